"""Evaluating a generator: the METRICS registry, cached real-data statistics, and one pass of
generation per feature extractor shared by every requested metric.

Metric names state their protocol: `fid10k` is the Frechet distance between 10,000 generated
samples and the moments of the full training split; `kid10k` and `pr10k` compare 10,000
generated with 10,000 real samples; `is10k` scores 10,000 generated samples in 10 splits;
`classifier10k` is the domain-classifier report on 10,000 generated samples; `swd10k` is the
multi-scale sliced Wasserstein distance (tfgan.metrics.swd, no network) between 10,000
generated images and the first 10,000 images of the seeded shuffled training split; `nn1k`
is the memorization check (tfgan.metrics.neighbours): the median nearest-training pixel-L2
distance of 1,000 generated samples, that of 1,000 held-out real images, and their ratio.
"""

import dataclasses
import hashlib
import os
import re
from typing import Dict, Optional

import numpy as np

from tfgan import files, images as images_lib
from tfgan.metrics import distances, neighbours, swd as swd_lib


@dataclasses.dataclass(frozen=True)
class MetricSpec:
  """kind: fid, kid, is, pr, classifier, swd or nn; num_samples generated; extractor:
  inception, classifier, pixels (no network: the images themselves, as uint8) or none (nn:
  the images in [-1, 1], compared with the whole training split and held-out images)."""
  kind: str
  num_samples: int
  extractor: str


METRICS = {
    **{f"{kind}{n}k": MetricSpec(kind, n * 1000, "inception")
       for kind in ("fid", "kid", "is", "pr") for n in (1, 10, 50)},
    **{f"classifier{n}k": MetricSpec("classifier", n * 1000, "classifier") for n in (1, 10)},
    **{f"swd{n}k": MetricSpec("swd", n * 1000, "pixels") for n in (1, 10)},
    "nn1k": MetricSpec("nn", 1000, "none"),
}
METRICS["classifier"] = METRICS["classifier10k"]

# The results each kind of metric reports, as {suffix of the metric name: higher is better}
# (None: a spread, not a quality to optimise). `classifier10k_fd` is the Frechet distance in
# the classifier's feature space; the other classifier fields are class_report's. `swd10k` is
# the mean over pyramid levels.
RESULTS = {
    "fid": {"": False},
    "kid": {"": False, "_std": None},
    "is": {"": True, "_std": None},
    "pr": {"_precision": True, "_recall": True},
    "classifier": {"_fd": False, "_classes_hit": True, "_kl_uniform": False,
                   "_class_min": None, "_class_max": None, "_confidence": True,
                   "_label_accuracy": True},
    "swd": {"": False},
    # The ratio is no quality to optimise: ~1 for a good generator, below for copies, above
    # for samples unlike any real image; so no best_metric.
    "nn": {"": None, "_generated": None, "_heldout": None},
}
# Results whose suffix depends on the images: SWD's per-level distances (`swd10k_16px`, one
# per pyramid level, named by its shorter side), lower is better. They are reported and
# understood by higher_is_better, but not listed by result_keys (the levels are not known
# before the data is), so best_metric takes the mean over levels, `swdNk`.
PATTERN_RESULTS = {"swd": ((re.compile(r"_\d+px"), False),)}


def result_keys(names, registry=None) -> Dict[str, Optional[bool]]:
  """{result key: higher is better (None: not a quality)} for the metrics `names`."""
  registry = registry or METRICS
  return {f"{name}{suffix}": higher for name in names
          for suffix, higher in RESULTS[registry[name].kind].items()}


def higher_is_better(key: str, registry=None) -> Optional[bool]:
  """Whether a larger value of result `key` (e.g. 'fid10k', 'pr10k_recall', 'swd1k_16px') is
  better; None for spreads (e.g. 'kid10k_std'). ValueError for a key no metric reports."""
  registry = registry or METRICS
  for name, spec in registry.items():
    if key.startswith(name) and key[len(name):] in RESULTS[spec.kind]:
      return RESULTS[spec.kind][key[len(name):]]
    for pattern, higher in PATTERN_RESULTS.get(spec.kind, ()):
      if key.startswith(name) and pattern.fullmatch(key[len(name):]):
        return higher
  raise ValueError(f"no metric of {sorted(registry)} reports a result {key!r}.")


def check(names, best_metric="", registry=None) -> None:
  """Raises ValueError naming the setting for unknown eval_metrics, or a best_metric that
  none of them reports as a quality."""
  registry = registry or METRICS
  unknown = [n for n in names if n not in registry]
  if unknown:
    raise ValueError(f"eval_metrics {unknown} unknown; choose from {sorted(registry)}.")
  nearest_names = [n for n in names if registry[n].kind == "nn"]
  if nearest_names:
    raise ValueError(f"eval_metrics {nearest_names}: the memorization check reads the whole "
                     f"training split and needs held-out images; run it on the finished run "
                     f"with python -m tfgan.evaluate --metrics={nearest_names[0]}.")
  if best_metric:
    keys = {k: v for k, v in result_keys(names, registry).items() if v is not None}
    if best_metric not in keys:
      raise ValueError(f"best_metric {best_metric!r} is not a result of eval_metrics {names}; "
                       f"choose one of {sorted(keys)}.")


def class_report(probs, asked=None) -> Dict[str, float]:
  """The mode-collapse diagnostic from a domain classifier's predictions.

  Args:
    probs: float [N, K] predicted class probabilities of generated samples.
    asked: optional int [N], the labels a conditional generator was asked for.
  Returns:
    classes_hit: classes holding at least 1% of the samples (K for full coverage);
    kl_uniform: KL(predicted-label histogram || uniform) in nats (0 when classes are equally
    frequent, log K when all samples fall in one class); class_min / class_max: the smallest
    and largest fraction of samples predicted as one class (1/K each when even; the rarest
    and the most over-produced digit of an unconditional MNIST generator); confidence: mean
    top probability; and, with `asked`, label_accuracy: the fraction classified as the asked
    class.
  """
  probs = np.asarray(probs, np.float64)
  k = probs.shape[1]
  predicted = probs.argmax(1)
  hist = np.bincount(predicted, minlength=k) / len(predicted)
  nonzero = hist[hist > 0]
  out = {"classes_hit": int((hist >= 0.01).sum()),
         "kl_uniform": float((nonzero * np.log(nonzero * k)).sum()),
         "class_min": float(hist.min()), "class_max": float(hist.max()),
         "confidence": float(probs.max(1).mean())}
  if asked is not None:
    out["label_accuracy"] = float((predicted == np.asarray(asked)).mean())
  return out


def _softmax(logits):
  z = logits - logits.max(1, keepdims=True)
  e = np.exp(z)
  return e / e.sum(1, keepdims=True)


class FeatureSet:
  """Moments of all features seen, plus the first `keep` feature rows and logits."""

  def __init__(self, keep):
    self.keep, self.moments = keep, None
    self.features, self.logits = [], []

  def update(self, features, logits):
    """features float [B, d], logits float [B, K] of one batch."""
    features, logits = np.asarray(features), np.asarray(logits)
    if self.moments is None:
      self.moments = distances.Moments(features.shape[1])
    self.moments.update(features)
    have = sum(len(f) for f in self.features)
    if have < self.keep:  # Never more than `keep` rows: memory stays bounded.
      self.features.append(features[:self.keep - have].astype(np.float32))
      self.logits.append(logits[:self.keep - have].astype(np.float32))

  def arrays(self):
    """(features float32 [keep, d], logits float32 [keep, K]); empty when keep is 0."""
    if not self.features:
      return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
    return np.concatenate(self.features), np.concatenate(self.logits)


class PixelExtractor:
  """The "pixels" extractor of the SWD metrics: no network. Called on generated images float
  [B, H, W, C] in [-1, 1] it returns (uint8 [B, H, W, C], None); `real_images` keeps the first
  real images of the split, in memory, so that evaluations during training read them once."""
  id = "pixels"

  def __init__(self):
    self._key, self._images = None, None

  def __call__(self, images):
    return images_lib.to_uint8(images), None

  def real_images(self, real_batches, cache_key, num, name=""):
    """uint8 [num, H, W, C]: the first `num` images of `real_batches()` (the seeded shuffled
    split: the same images every call), read once per cache key and number (memory: those
    images only). ValueError naming the metric `name` when the split holds fewer."""
    if self._key == (cache_key, num):
      return self._images
    self._images = None  # Released before the next set is read: one set held at a time.
    kept, have = [], 0
    for batch in real_batches():
      kept.append(images_lib.to_uint8(batch)[:num - have])
      have += len(kept[-1])
      if have >= num:
        break
    if have < num:
      raise ValueError(f"{name or 'swd'} compares {num} generated with {num} real images, but "
                       f"the training split holds {have}; choose a smaller metric (e.g. swd1k).")
    self._key, self._images = (cache_key, num), np.concatenate(kept)
    return self._images


def extract(extractor, batches, keep) -> FeatureSet:
  """Runs `extractor` over an iterable of image batches float32 [B, H, W, C] in [-1, 1]."""
  out = FeatureSet(keep)
  for images in batches:
    features, logits = extractor(images)
    out.update(features, logits)
  return out


def real_statistics(extractor, real_batches, cache_key, keep, cache_dir="") -> dict:
  """Moments of the full real split and `keep` real feature rows, cached on disk.

  Args:
    real_batches: a callable returning an iterable over the whole split, once, in a fixed
      shuffled order (so the kept rows are a random sample).
    cache_key: names the dataset, its files, split and resolution; the extractor's id is added.
  Returns:
    dict of mu [d], sigma [d, d] (float64), n, features [keep, d], logits [keep, K].
  """
  from tfgan.metrics.classifier import default_cache_dir
  digest = hashlib.sha1(f"{cache_key}|{extractor.id}".encode()).hexdigest()[:16]
  path = os.path.join(cache_dir or default_cache_dir(), "stats", f"{digest}.npz")
  if os.path.isfile(path):
    with np.load(path) as f:  # Closed at once: an open NpzFile per call would pile up.
      cached = {k: f[k] for k in f.files}
    if len(cached["features"]) >= min(keep, int(cached["n"])):
      return {**cached, "features": cached["features"][:keep], "logits": cached["logits"][:keep]}
  stats = extract(extractor, real_batches(), keep)
  mu, sigma = stats.moments.result()
  features, logits = stats.arrays()
  result = {"mu": mu, "sigma": sigma, "n": stats.moments.n, "features": features,
            "logits": logits}
  with files.atomic_path(path) as tmp:
    np.savez(tmp, key=f"{cache_key}|{extractor.id}", **result)
  return result


def generated_batches(generator, num, latent_dim, num_classes=0, batch_size=250, seed=0):
  """Yields (images float32 [b, H, W, C], asked labels int32 [b] or None) from the generator.

  Latents come from numpy with `seed`; a conditional generator is asked for every class in
  turn (labels i % num_classes), so classes are balanced. A tfgan generator gives its
  metric_images (StyleGAN2: fresh per-layer noise, drawn from a second stream of `seed`); any
  other callable is called with training=False.
  """
  rng = np.random.default_rng(seed)
  own = np.random.default_rng([seed, 1])  # the generator's own draws: z's stream unchanged
  draw = getattr(generator, "metric_images", None)
  for start in range(0, num, batch_size):
    b = min(batch_size, num - start)
    z = rng.standard_normal((b, latent_dim)).astype(np.float32)
    labels = None
    if num_classes:
      labels = ((start + np.arange(b)) % num_classes).astype(np.int32)
    inputs = [z, labels] if labels is not None else z
    images = draw(inputs, own) if draw else generator(inputs, training=False)
    yield images, labels


class _Accumulator:
  """What one metric needs from the first `n` generated samples, gathered batch by batch:
  moments (fid, classifier), kept features (kid, pr), streaming Inception Score sums (is),
  kept class probabilities (the classifier report: K is small) and kept uint8 images (swd)."""

  def __init__(self, spec):
    self.spec, self.n, self.seen = spec, spec.num_samples, 0
    self.moments, self.features, self.probs, self.asked = None, [], [], []
    splits = 10
    self.bounds = np.cumsum([len(p) for p in np.array_split(np.arange(self.n), splits)])
    self.p_sum = self.plogp_sum = None

  def update(self, features, logits, asked):
    take = min(len(features), self.n - self.seen)
    if take <= 0:
      return
    if self.spec.kind == "swd":  # The "features" are the uint8 images; there are no logits.
      self.features.append(np.asarray(features)[:take])
      self.seen += take
      return
    features, logits = np.asarray(features)[:take], np.asarray(logits, np.float64)[:take]
    kind = self.spec.kind
    if kind in ("fid", "classifier"):
      if self.moments is None:
        self.moments = distances.Moments(features.shape[1])
      self.moments.update(features)
    if kind in ("kid", "pr"):
      self.features.append(features.astype(np.float32))
    if kind == "classifier":
      self.probs.append(_softmax(logits))
      if asked is not None:
        self.asked.append(np.asarray(asked)[:take])
    if kind == "is":
      probs = _softmax(logits)
      if self.p_sum is None:
        self.p_sum = np.zeros((len(self.bounds), probs.shape[1]))
        self.plogp_sum = np.zeros(len(self.bounds))
      split = np.searchsorted(self.bounds, self.seen + np.arange(take), side="right")
      with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(probs > 0, probs * np.log(probs), 0.0).sum(1)
      np.add.at(self.p_sum, split, probs)
      np.add.at(self.plogp_sum, split, plogp)
    self.seen += take

  def result(self, name, real, seed):
    kind = self.spec.kind
    if kind == "fid":
      return {name: distances.frechet_distance(*self.moments.result(), real["mu"],
                                               real["sigma"])}
    if kind == "kid":
      mean, std = distances.kernel_inception_distance(real["features"][:self.n],
                                                      np.concatenate(self.features), seed=seed)
      return {name: mean, f"{name}_std": std}
    if kind == "pr":
      precision, recall = distances.precision_recall(real["features"][:self.n],
                                                     np.concatenate(self.features))
      return {f"{name}_precision": precision, f"{name}_recall": recall}
    if kind == "swd":
      generated = np.concatenate(self.features)
      real_images = real["images"][:self.n]
      if generated.shape != real_images.shape:
        raise ValueError(f"{name}: generated images {generated.shape[1:]} and real images "
                         f"{real_images.shape[1:]} differ in shape.")
      try:
        distance = swd_lib.swd(real_images, generated, seed=seed)
      except ValueError as e:
        raise ValueError(f"{name}: {e}") from None
      return {name: distance["swd"], **{f"{name}{k[len('swd'):]}": v
                                        for k, v in distance.items() if k != "swd"}}
    if kind == "is":
      # Per split: exp(mean_x sum_y p log p - sum_y m log m), m the split's mean prediction;
      # the same value as distances.inception_score on the stored probabilities.
      counts = np.diff(np.concatenate([[0], self.bounds]))[:, None]
      marginal = self.p_sum / counts
      with np.errstate(divide="ignore", invalid="ignore"):
        mlogm = np.where(marginal > 0, marginal * np.log(marginal), 0.0).sum(1)
      scores = np.exp(self.plogp_sum / counts[:, 0] - mlogm)
      return {name: float(scores.mean()), f"{name}_std": float(scores.std())}
    out = {f"{name}_fd": distances.frechet_distance(*self.moments.result(), real["mu"],
                                                    real["sigma"])}
    asked = np.concatenate(self.asked) if self.asked else None
    report = class_report(np.concatenate(self.probs), asked)
    out.update({f"{name}_{k}": v for k, v in report.items()})
    return out


def compute(names, generator, latent_dim, num_classes, extractors, real_batches, cache_key,
            cache_dir="", seed=0, batch_size=250, registry=None, training_batches=None,
            heldout_batches=None) -> Dict[str, float]:
  """Evaluates `generator` on the metrics `names`, with one generation pass per extractor.

  Memory: moments are O(d^2); only kid/pr keep feature rows (N x d), the classifier
  report keeps N x K probabilities and swd keeps N generated and N real uint8 images (plus
  swd()'s own working memory, see tfgan.metrics.swd); the Inception Score streams; nn keeps
  N generated and N held-out images and streams the training split (tfgan.metrics.neighbours).

  Args:
    extractors: {'inception': extractor, 'classifier': extractor, 'pixels': PixelExtractor}
      for the kinds requested ('pixels' is made here when missing: it has no weights).
    real_batches: callable returning the real training split's batches (see real_statistics).
    registry: metric specs by name; default METRICS.
    training_batches, heldout_batches: for nn metrics, callables returning the batches of the
      whole training split and of the held-out images (float32 [B, H, W, C] in [-1, 1]).
  Returns:
    {name: value} with extra keys for two-valued metrics: `<name>_std` (kid, is),
    `<name>_precision`/`<name>_recall` (pr), `<name>_<field>` for the classifier report
    (`_fd`: Frechet distance in the classifier's feature space, and class_report's fields),
    and for swd `<name>` (the mean over pyramid levels) with `<name>_<side>px` per level;
    for nn `<name>` (the ratio), `<name>_generated` and `<name>_heldout` (the medians).
  """
  registry = registry or METRICS
  unknown = [n for n in names if n not in registry]
  if unknown:
    raise ValueError(f"unknown metrics {unknown}; choose from {sorted(registry)}.")
  results = {}
  for name in [n for n in names if registry[n].kind == "nn"]:
    results.update(_memorization(name, registry[name].num_samples, generator, latent_dim,
                                 num_classes, training_batches, heldout_batches, batch_size,
                                 seed))
  for kind in sorted({registry[n].extractor for n in names if registry[n].kind != "nn"}):
    wanted = [n for n in names if registry[n].extractor == kind]
    extractor = extractors.get(kind) or (PixelExtractor() if kind == "pixels" else
                                         extractors[kind])
    num = max(registry[n].num_samples for n in wanted)
    if kind == "pixels":
      # Real pixels are not cached on disk: decoding N images is seconds, and the first N of
      # the seeded order are the same N every call.
      real = {"images": extractor.real_images(real_batches, f"{cache_key}|seed {seed}", num,
                                              max(wanted, key=lambda n: registry[n].num_samples))}
    else:
      keep = max([registry[n].num_samples for n in wanted
                  if registry[n].kind in ("kid", "pr")], default=0)
      real = real_statistics(extractor, real_batches, cache_key, keep, cache_dir)
    accumulators = {n: _Accumulator(registry[n]) for n in wanted}
    for images, labels in generated_batches(generator, num, latent_dim, num_classes,
                                            batch_size, seed):
      features, logits = extractor(images)
      features, logits = np.asarray(features), np.asarray(logits)
      for acc in accumulators.values():
        acc.update(features, logits, labels)
    for name, acc in accumulators.items():
      results.update(acc.result(name, real, seed))
  return results


def _memorization(name, num, generator, latent_dim, num_classes, training_batches,
                  heldout_batches, batch_size, seed):
  """nn metric `name`: num generated samples and the first num held-out images (of the seeded
  order) against the whole training split."""
  if training_batches is None or heldout_batches is None:
    raise ValueError(f"{name} compares samples and held-out real images with the training "
                     f"images: it needs both sets (tfgan.metrics.evaluate_generator's "
                     f"`heldout`).")
  kept, have = [], 0
  for batch in heldout_batches():
    kept.append(np.asarray(batch, np.float32)[:num - have])
    have += len(kept[-1])
    if have >= num:
      break
  if have < num:
    raise ValueError(f"{name} compares {num} generated with {num} held-out real images, but "
                     f"the held-out images number {have}.")
  fake = np.concatenate([np.asarray(images, np.float32) for images, _ in generated_batches(
      generator, num, latent_dim, num_classes, batch_size, seed)])
  out = neighbours.memorization(fake, np.concatenate(kept), training_batches())
  return {name: out["ratio"], f"{name}_generated": out["generated"],
          f"{name}_heldout": out["heldout"]}
