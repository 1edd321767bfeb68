"""Clusters of training images, for cluster-conditioned GANs (tfgan.models.gan, --clusters).

`fit_clusters(images, k)` reduces images to at most 32x32 pixels, projects them on their
leading principal components and runs k-means (k-means++ seeding, Arthur & Vassilvitskii
2007; Lloyd iterations): a `Clusters` labels any image, in numpy or inside a tf.data map, by
its nearest centre. No network and no labels are involved: the clusters are modes of the
pixels, which a conditional D and G then learn one by one (Sage et al. 2018,
https://arxiv.org/abs/1712.04407; Liu et al. 2020, https://arxiv.org/abs/2006.10728, who
cluster D's features instead).
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tfgan.data.errors import DataError
from tfgan.data.sources import Source

# Images are averaged down to at most this side before clustering (28 px MNIST stays; 64 px
# faces become 32x32x3 = 3072 values): k-means on pixels sees layout, not texture.
MAX_SIDE = 32


@dataclasses.dataclass(frozen=True)
class Clusters:
  """A fitted clustering. mean float32 [F], components float32 [F, D] (orthonormal columns),
  centres float32 [K, D], probs float64 [K] (the share of the fitting images in each
  cluster, all > 0), side: images are reduced to side x side before flattening to F."""
  mean: np.ndarray
  components: np.ndarray
  centres: np.ndarray
  probs: np.ndarray
  side: int

  @property
  def k(self):
    return len(self.centres)

  def labels(self, images):
    """Cluster of each image: images float [N, H, W, C] in [-1, 1] (numpy or tensors, also in
    a tf.data map) -> int32 [N] in [0, K)."""
    x = _features(tf.convert_to_tensor(images, tf.float32), self.side)
    projected = tf.matmul(x - self.mean, self.components)
    distance = (tf.reduce_sum(projected**2, 1, keepdims=True) - 2 * tf.matmul(
        projected, self.centres, transpose_b=True) + tf.reduce_sum(self.centres**2, 1)[None])
    return tf.cast(tf.argmin(distance, axis=1), tf.int32)


def _side(height):
  side = height
  while side > MAX_SIDE:
    side = -(-side // 2)
  return side


def _reduce(images, side):
  """float [N, H, W, C] -> float32 [N, side, side, C], area-averaged (unchanged at side)."""
  if images.shape[1] != side:
    images = tf.image.resize(images, (side, side), method="area", antialias=True)
  return images


def _features(images, side):
  """float [N, H, W, C] -> float32 [N, side * side * C], area-averaged to side x side."""
  images = _reduce(images, side)
  return tf.reshape(images, (tf.shape(images)[0], -1))


def _nearest(x, centres):
  """Index of each row's nearest centre: x float64 [N, D], centres [K, D] -> int [N]."""
  return np.argmin((x**2).sum(1)[:, None] - 2 * x @ centres.T + (centres**2).sum(1)[None],
                   axis=1)


def _kmeans(x, k, rng, iterations):
  """Lloyd's k-means on x float64 [N, D] from k-means++ seeds; returns the centres [k, D]."""
  centres = [x[rng.integers(len(x))]]
  nearest = ((x - centres[0])**2).sum(1)
  for _ in range(k - 1):
    centres.append(x[rng.choice(len(x), p=nearest / nearest.sum())])
    nearest = np.minimum(nearest, ((x - centres[-1])**2).sum(1))
  centres = np.array(centres)
  for _ in range(iterations):
    assign = _nearest(x, centres)
    for j in range(k):
      members = x[assign == j]
      if len(members):  # an emptied cluster keeps its centre
        centres[j] = members.mean(0)
  return centres


def fit_clusters(images, k, seed=0, dims=50, iterations=20):
  """Clusters images float [N, H, W, C] in [-1, 1] (N >= k) into k groups.

  dims: principal components kept (fewer when the images have fewer values). Deterministic
  for a given seed and data. Raises ValueError when k < 2, k > N, or a cluster ends empty.
  """
  images = np.asarray(images, np.float32)
  if k < 2 or k > len(images):
    raise ValueError(f"clusters must be in [2, {len(images)}] (the images fitted), got {k}.")
  side = _side(images.shape[1])
  x = _features(tf.constant(images), side).numpy().astype(np.float64)
  if len({row.tobytes() for row in x}) < k:  # k-means++ would have nothing left to seed
    raise ValueError(f"the images have fewer than {k} distinct values; use fewer clusters.")
  mean = x.mean(0)
  # Principal axes from the covariance (F x F, F <= 3072): cheaper than an SVD of N x F.
  values, vectors = np.linalg.eigh(np.cov(x - mean, rowvar=False))
  components = vectors[:, ::-1][:, :min(dims, x.shape[1])]
  projected = (x - mean) @ components
  centres = _kmeans(projected, k, np.random.default_rng(seed), iterations)
  counts = np.bincount(_nearest(projected, centres), minlength=k)
  if counts.min() == 0:
    raise ValueError(f"k-means left {int((counts == 0).sum())} of {k} clusters empty; use "
                     f"fewer clusters.")
  return Clusters(mean.astype(np.float32), components.astype(np.float32),
                  centres.astype(np.float32), counts / counts.sum(), side)


def purity(clusters, labels):
  """Share of examples whose class is their cluster's most common class: int [N] each."""
  clusters, labels = np.asarray(clusters), np.asarray(labels)
  return float(sum(np.bincount(labels[clusters == j]).max() for j in np.unique(clusters))
               / len(labels))


class ClusteredSource(Source):
  """`base`'s examples with `clusters.k` classes, the clusters: spec.num_classes is k and
  spec.class_shares the clusters' shares. examples() yields base's own labels; `relabel`
  replaces them, batch by batch, by each image's cluster."""

  def __init__(self, base, clusters):
    self.base, self.clusters = base, clusters
    self.spec = dataclasses.replace(base.spec, num_classes=clusters.k, class_names=(),
                                    class_shares=tuple(float(p) for p in clusters.probs))
    self.in_memory, self.file_shuffle = base.in_memory, base.file_shuffle
    self.crop_fraction = base.crop_fraction

  def _hash_data(self, h):
    self.base._hash_data(h)
    h.update(self.clusters.centres.tobytes())

  def examples(self, shuffle_seed=None):
    return self.base.examples(shuffle_seed)

  def relabel(self, dataset):
    """(images float32 [B, H, W, C] in [-1, 1], labels) batches -> (images, clusters int32
    [B])."""
    return dataset.map(lambda x, y: (x, self.clusters.labels(x)),
                       num_parallel_calls=tf.data.AUTOTUNE)


def cluster_source(source, k, seed=0, max_images=20000, log=print):
  """Fits k clusters to up to `max_images` training images of `source` (a seeded random
  subset; sets TensorFlow's global seed to `seed`) and returns the ClusteredSource. Logs the
  time, the cluster shares and, when the source has labels, the clusters' purity against them
  (a diagnostic; labels are not used)."""
  import time
  from tfgan.data.pipeline import make_dataset  # pipeline imports sources, as this does
  t0 = time.perf_counter()
  kept, labels, have = [], [], 0
  side = _side(source.spec.image_shape[0])
  # A seeded shuffle still depends on TensorFlow's global seed: set it, so a resumed run
  # (or a second call in one process) fits on the same images (the build step sets it next).
  tf.random.set_seed(seed)
  for x, y in make_dataset(source, 1000, seed=seed, repeat=False, cache="none",
                           drop_remainder=False):
    # Kept reduced to side x side (what the clustering sees): 20k 64 px faces in 0.25 GB.
    kept.append(_reduce(x, side).numpy()[:max_images - have])
    labels.append(y.numpy()[:max_images - have])
    have += len(kept[-1])
    if have >= max_images:
      break
  if have < k:
    raise DataError(f"clusters={k}: the training split has {have} images; use fewer clusters.")
  kept = np.concatenate(kept)
  try:
    clusters = fit_clusters(kept, k, seed)
  except ValueError as e:
    raise DataError(f"clusters={k}: {e}") from None
  note = ""
  if source.spec.num_classes:
    found = clusters.labels(kept).numpy()
    note = (f"; purity against the dataset's {source.spec.num_classes} classes "
            f"{purity(found, np.concatenate(labels)):.2f} (labels not used)")
  log(f"tfgan: {k} clusters of {have} training images (pixel k-means, "
      f"{time.perf_counter() - t0:.1f} s): shares {100 * clusters.probs.min():.1f}-"
      f"{100 * clusters.probs.max():.1f}%{note}")
  return ClusteredSource(source, clusters)
