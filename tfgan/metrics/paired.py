"""Paired metrics of an image-to-image model against its targets, and evaluating a run.

Protocol, stated once: images in [0, 1] (the network's [-1, 1] mapped linearly, clipped),
compared at the pairs' resolution on all their channels (RGB, or grey for grey targets; a grey
input compared with an RGB target is repeated to RGB); `l1_rgb` is the mean absolute
difference, `psnr_rgb` tf.image.psnr with max_val 1 and `ssim_rgb` tf.image.ssim (11x11
Gaussian window, sigma 1.5, k1 0.01, k2 0.03, averaged over channels), each averaged over the
images. The split (held-out files, or a folder given to tfgan.evaluate) is recorded with the
numbers. `tfgan.translation.evaluate_run` evaluates a run directory with them.

`tfgan.translation.evaluate_run` adds a distribution distance, `swd_vs_targets`: the
multi-scale sliced Wasserstein distance (tfgan.metrics.swd; its protocol there) between all
N outputs and all N targets of the split as uint8 (outputs from [-1, 1] rounded and clipped; a
1-channel output against 3-channel targets repeated to 3), the mean over pyramid levels, with
`swd_vs_targets_<side>px` per level; lower is closer. N is the split's pair count, recorded
and printed with it. It says whether the outputs look like the targets as a set, which L1,
PSNR and SSIM (per pair) do not; it needs images of at least 16 px and is skipped, with a
message, below that. It is not one of the metrics evaluated during training.

`evaluate_run` also reports what a person sees beyond per-pair error, as ratios of the
outputs' set mean to the targets' (tfgan.metrics.texture; its protocol there):
`chroma_hf_ratio` (colour noise above 1, colour blur below), `sharpness_ratio` (luma detail)
and `colourfulness_ratio`; 1 is the targets' own level.
"""

import numpy as np
import tensorflow as tf

from tfgan import generation, images
from tfgan.data import pairs as pairs_lib
from tfgan.metrics import distances
from tfgan.metrics import swd as swd_lib
from tfgan.metrics import texture as texture_lib

SWD_KEY = "swd_vs_targets"

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


def scores(prediction, target, inputs=None):
  """Per-image l1_rgb, psnr_rgb, ssim_rgb (float32 [B] each) of float [B, H, W, C] images in
  [-1, 1]; a 1-channel prediction against a 3-channel target is repeated to 3 channels.
  `inputs` (the network's inputs, which a family's scores may need: an inpainting mask) are
  not used here."""
  p, t = _unit(prediction), _unit(target)
  if p.shape[-1] == 1 and t.shape[-1] == 3:
    p = tf.repeat(p, 3, axis=-1)
  return {"l1_rgb": tf.reduce_mean(tf.abs(p - t), axis=[1, 2, 3]),
          "psnr_rgb": tf.image.psnr(p, t, max_val=1.0),
          "ssim_rgb": tf.image.ssim(p, t, max_val=1.0)}


def swd_skip_reason(shape):
  """Why SWD cannot score images of `shape` [..., H, W, C] (None when it can)."""
  h, w = shape[-3:-1]
  if h is None or w is None:
    return f"{SWD_KEY} skipped: the images vary in size (SWD compares sets of one size)."
  if min(h, w) < swd_lib.SMALLEST:
    return (f"{SWD_KEY} skipped: {w}x{h} images are below the {swd_lib.SMALLEST} px SWD needs "
            f"(pyramid levels down to {swd_lib.SMALLEST} px, {swd_lib.NEIGHBOURHOOD}x"
            f"{swd_lib.NEIGHBOURHOOD} neighbourhoods).")
  return None


def swd_vs_targets(outputs, targets, seed=0):
  """{'swd_vs_targets': mean over levels, 'swd_vs_targets_<side>px': per level} of outputs
  uint8 [N, H, W, C_out] against targets uint8 [N, H, W, C] (1 output channel is repeated to
  3 for RGB targets); see tfgan.metrics.swd.swd."""
  outputs, targets = np.asarray(outputs), np.asarray(targets)
  if outputs.shape[-1] == 1 and targets.shape[-1] == 3:
    outputs = np.repeat(outputs, 3, axis=-1)
  result = swd_lib.swd(targets, outputs, seed=seed)
  return {SWD_KEY: result["swd"], **{f"{SWD_KEY}{k[len('swd'):]}": v for k, v in result.items()
                                     if k != "swd"}}


def inception_vs_targets(outputs, targets, extractor, seed=0, batch_size=50):
  """{'fid_vs_targets', 'kid_vs_targets', 'kid_vs_targets_std'}: Frechet and kernel
  Inception distances between the features of outputs and targets uint8 [N, H, W, C] (grey
  repeated to RGB), with `extractor` (tfgan.metrics.features.InceptionExtractor: images
  resized to 299 bilinearly); KID over subsets of min(N, 1000) (distances.py). Lower is
  closer; the numbers depend on N (state it)."""
  feats = []
  for images in (outputs, targets):
    chunks = [np.asarray(extractor(images[i:i + batch_size].astype(np.float32) / 127.5 - 1.0)[0],
                         np.float64) for i in range(0, len(images), batch_size)]
    feats.append(np.concatenate(chunks))
  moments = []
  for f in feats:
    m = distances.Moments(f.shape[1])
    m.update(f)
    moments.append(m.result())
  kid, kid_std = distances.kernel_inception_distance(feats[1], feats[0], seed=seed)
  return {"fid_vs_targets": distances.frechet_distance(*moments[0], *moments[1]),
          "kid_vs_targets": kid, "kid_vs_targets_std": kid_std}


def evaluate_pairs(predict, pairs, batch_size=32, swd=False, log=print, score_fn=None,
                   inception=None, texture=None):
  """Means of `scores` (or `score_fn`, same contract: (prediction, target, inputs)) over
  every pair of `pairs` (a
  tfgan.data.pairs.PairSource), in file order. predict: x float32 [B, H, W, C_in] in [-1, 1]
  -> [B, H, W, C_out]; None scores the input itself (the identity baseline).

  swd: also the SWD of all outputs against all targets (swd_vs_targets; memory: both sets as
  uint8, N x H x W x C bytes each), skipped with a message to `log` for images below 16 px.
  inception: an Inception extractor: also `inception_vs_targets` (FID, KID of all outputs
  against all targets; images of one size only).
  texture: (view, suffix): also the tfgan.metrics.texture ratios (chroma_hf_ratio,
  sharpness_ratio, colourfulness_ratio, each + suffix) of the outputs against the targets;
  view: (prediction, target, inputs) -> (images to measure, region float [B, H, W, 1] or
  None for whole images), e.g. an inpainting family's composited image and its hole.
  Returns {key: float, 'pairs': count}."""
  score_fn = score_fn or scores
  if pairs.spec.target_shape[0] is None:
    batch_size = 1  # whole images of varied sizes (Set5, Set14): one at a time
  totals, n = {}, 0
  if swd and swd_skip_reason(pairs.spec.target_shape):
    log(swd_skip_reason(pairs.spec.target_shape))
    swd = False
  outputs, targets = [], []
  ratios = texture_lib.TextureRatios() if texture else None
  for x, y in pairs_lib.make_pair_dataset(pairs, batch_size, repeat=False, cache="none",
                                          drop_remainder=False):
    out = x if predict is None else predict(x.numpy())
    for key, values in score_fn(out, y, x).items():
      totals[key] = totals.get(key, 0.0) + float(tf.reduce_sum(tf.cast(values, tf.float64)))
    if ratios is not None:
      seen, region = texture[0](out, y, x)
      ratios.update(seen, y, region)
    if swd or inception is not None:
      outputs.append(images.to_uint8(out))
      targets.append(images.to_uint8(y))
    n += int(x.shape[0])
  results = {**{k: v / n for k, v in totals.items()}, "pairs": n}
  if ratios is not None:
    results.update({k + texture[1]: v for k, v in ratios.result().items()})
  if swd:
    results.update(swd_vs_targets(np.concatenate(outputs), np.concatenate(targets)))
  if inception is not None:
    results.update(inception_vs_targets(np.concatenate(outputs), np.concatenate(targets),
                                        inception))
  return results


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
