"""Paired metrics of an image-to-image model against its targets, and evaluating a run.

Protocol, stated once: images in [0, 1] (the network's [-1, 1] mapped linearly, clipped),
compared at the pairs' resolution on all their channels (RGB, or grey for grey targets; a grey
input compared with an RGB target is repeated to RGB); `l1_rgb` is the mean absolute
difference, `psnr_rgb` tf.image.psnr with max_val 1 and `ssim_rgb` tf.image.ssim (11x11
Gaussian window, sigma 1.5, k1 0.01, k2 0.03, averaged over channels), each averaged over the
images. The split (held-out files, or a folder given to tfgan.evaluate) is recorded with the
numbers. `tfgan.translation.evaluate_run` evaluates a run directory with them.
"""


import tensorflow as tf

from tfgan import generation
from tfgan.data import pairs as pairs_lib

# The one paired metric set: name -> {result key: higher is better}.
METRICS = {"paired": {"l1_rgb": False, "psnr_rgb": True, "ssim_rgb": True}}


def check(names, best_metric="") -> None:
  """Raises ValueError naming the setting for unknown eval_metrics or best_metric."""
  unknown = [n for n in names if n not in METRICS]
  if unknown:
    raise ValueError(f"eval_metrics {unknown} unknown for image-to-image families; choose from "
                     f"{sorted(METRICS)}.")
  keys = {k for n in names for k in METRICS[n]}
  if best_metric and best_metric not in keys:
    raise ValueError(f"best_metric {best_metric!r} is not a result of eval_metrics {names}; "
                     f"choose one of {sorted(keys)}.")


def _unit(x):
  return tf.clip_by_value((tf.convert_to_tensor(x, tf.float32) + 1.0) / 2.0, 0.0, 1.0)


def scores(prediction, target):
  """Per-image l1_rgb, psnr_rgb, ssim_rgb (float32 [B] each) of float [B, H, W, C] images in
  [-1, 1]; a 1-channel prediction against a 3-channel target is repeated to 3 channels."""
  p, t = _unit(prediction), _unit(target)
  if p.shape[-1] == 1 and t.shape[-1] == 3:
    p = tf.repeat(p, 3, axis=-1)
  return {"l1_rgb": tf.reduce_mean(tf.abs(p - t), axis=[1, 2, 3]),
          "psnr_rgb": tf.image.psnr(p, t, max_val=1.0),
          "ssim_rgb": tf.image.ssim(p, t, max_val=1.0)}


def evaluate_pairs(predict, pairs, batch_size=32, score_fn=None):
  """Means of `scores` (or `score_fn`, same contract) over every pair of `pairs` (a
  tfgan.data.pairs.PairSource), in file order. predict: x float32 [B, H, W, C_in] in [-1, 1]
  -> [B, H, W, C_out]; None scores the input itself (the identity baseline). Returns
  {key: float, 'pairs': count}."""
  score_fn = score_fn or scores
  totals, n = {}, 0
  for x, y in pairs_lib.make_pair_dataset(pairs, batch_size, repeat=False, cache="none",
                                          drop_remainder=False):
    out = x if predict is None else predict(x.numpy())
    for key, values in score_fn(out, y).items():
      totals[key] = totals.get(key, 0.0) + float(tf.reduce_sum(tf.cast(values, tf.float64)))
    n += int(x.shape[0])
  return {**{k: v / n for k, v in totals.items()}, "pairs": n}


class PairedEvaluator:
  """The evaluation of an image-to-image run during training (tfgan.models.base.Evaluator):
  the paired metrics of its generator (in its test_mode) on `pairs`.

  score_fn, higher: a family's own per-image scores and {key: higher is better} (default
  `scores` and METRICS['paired']); generator_of: model -> the generator to score (default
  model.generator)."""

  def __init__(self, names, pairs, score_fn=None, higher=None, generator_of=None):
    self.names, self.pairs = list(names), pairs
    self.score_fn, self.higher = score_fn, higher or METRICS["paired"]
    self.generator_of = generator_of or (lambda model: model.generator)

  def __call__(self, model):
    generator = self.generator_of(model)
    results = evaluate_pairs(lambda x: generation.translate(generator, x), self.pairs,
                             score_fn=self.score_fn)
    results.pop("pairs")
    return results

  def higher_is_better(self, key):
    return self.higher.get(key)
