"""Nearest training images by pixel L2: the memorization diagnostics of a noise-to-image GAN.

Distances are Euclidean norms over all H x W x C values of images in [-1, 1] at the model's
resolution (the generator's output and the training images as the run frames them): two
28x28x1 images one grey level (2/255 in [-1, 1]) apart everywhere are 28 * 2/255 = 0.22 apart.

A generator that copies its training set puts its samples (nearly) on training images: their
median nearest-training distance falls far below that of real images it never saw. `nn1k`
(tfgan.metrics.METRICS) reports both medians and their ratio; `tfgan.sample --nearest=K`
shows each sample beside its K nearest training images.
"""

from typing import Iterable, Tuple

import numpy as np


def nearest(queries, reference_batches: Iterable, k: int = 1) -> Tuple[np.ndarray, np.ndarray]:
  """The `k` nearest reference images of each query by pixel L2, reading the references once.

  Args:
    queries: float [N, H, W, C] in [-1, 1].
    reference_batches: an iterable of float [B, H, W, C] in [-1, 1] batches (e.g. the whole
      training split), of the queries' shape.
    k: neighbours kept per query, >= 1.
  Returns:
    (distances float64 [N, k], ascending per row; neighbours float32 [N, k, H, W, C]).
  Memory: besides the queries (N x D float32, D = H * W * C) one reference batch at a time,
    its [N, B] float32 block of squared distances, and the kept neighbours (N x k x D
    float32): 60,000 MNIST training images cost no more than 250.
  Raises:
    ValueError when the shapes differ or the references hold fewer than k images.
  """
  if k < 1:
    raise ValueError(f"k must be >= 1, got {k}.")
  q = np.asarray(queries, np.float32)
  shape = q.shape[1:]
  q = q.reshape(len(q), -1)
  q_sq = np.einsum("nd,nd->n", q, q)
  best_d = np.full((len(q), k), np.inf, np.float32)
  best = np.zeros((len(q), k, q.shape[1]), np.float32)
  rows, seen = np.arange(len(q))[:, None], 0
  for batch in reference_batches:
    r = np.asarray(batch, np.float32)
    if r.shape[1:] != shape:
      raise ValueError(f"reference images {r.shape[1:]} and queries {shape} differ in shape.")
    r = r.reshape(len(r), -1)
    seen += len(r)
    # |q - r|^2 = |q|^2 + |r|^2 - 2 q.r: one matrix product per batch. Its float32 rounding
    # only decides which candidates are kept; the kept ones' distances are exact below.
    d = q_sq[:, None] + np.einsum("bd,bd->b", r, r)[None, :] - 2.0 * (q @ r.T)
    candidates = np.concatenate([best_d, d], axis=1)
    keep = np.argpartition(candidates, k - 1, axis=1)[:, :k]
    from_batch = keep >= k
    best = np.where(from_batch[..., None], r[np.maximum(keep - k, 0)],
                    best[rows, np.minimum(keep, k - 1)])
    best_d = np.take_along_axis(candidates, keep, axis=1)
  if seen < k:
    raise ValueError(f"the references hold {seen} images, fewer than the {k} nearest asked for.")
  exact = np.sqrt(((best.astype(np.float64) - q[:, None].astype(np.float64)) ** 2).sum(-1))
  order = np.argsort(exact, axis=1)
  return (np.take_along_axis(exact, order, axis=1),
          best[rows, order].reshape((len(q), k) + shape))


def memorization(generated, heldout, training_batches: Iterable) -> dict:
  """Median nearest-training distances of generated and of held-out real images, in one pass
  over the training images.

  Args:
    generated: float [N, H, W, C] in [-1, 1], the generator's samples.
    heldout: float [M, H, W, C] in [-1, 1], real images the generator was not trained on.
    training_batches: iterable of float [B, H, W, C] in [-1, 1], the whole training split.
  Returns:
    {'generated': median over the samples of their nearest-training pixel-L2 distance,
     'heldout': the same for the held-out images, 'ratio': generated / heldout}. A ratio far
    below 1 means samples sit closer to training images than new real images do (copies); a
    generator of noise has a ratio well above 1.
  """
  generated, heldout = np.asarray(generated, np.float32), np.asarray(heldout, np.float32)
  distances, _ = nearest(np.concatenate([generated, heldout]), training_batches, k=1)
  gen, held = np.median(distances[:len(generated), 0]), np.median(distances[len(generated):, 0])
  if held == 0:
    raise ValueError("the held-out images are training images (median distance 0): give "
                     "images the run did not train on.")
  return {"generated": float(gen), "heldout": float(held), "ratio": float(gen / held)}
