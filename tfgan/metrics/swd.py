"""The multi-scale sliced Wasserstein distance (SWD) of Karras et al. 2018 (ProGAN,
https://arxiv.org/abs/1710.10196, sec. 5 and its reference code `sliced_wasserstein.py`): a
distance between two sets of images that needs no pretrained weights.

Protocol (stated in the metric names, e.g. `swd10k`: 10,000 images per set):
  1. Each image (uint8 [H, W, C]) becomes a Laplacian pyramid (5-tap binomial filter
     [1, 4, 6, 4, 1] / 16 per axis, reflect borders) whose levels run from H x W down to the
     first level of 16 px or less on the shorter side; the last level is the Gaussian level.
  2. At each level, 128 random 7x7 neighbourhoods per image give descriptors of 7 * 7 * C values
     (image i of both sets at the same positions, unlike the reference code, so that a set
     scores exactly 0 against itself).
  3. Each level's descriptors of both sets are normalised per channel with the mean and std of
     that set's own descriptors (as the reference code does, per set).
  4. The distance per level: 4 repeats of 512 random unit directions; the descriptors of both
     sets projected on each direction, sorted, and the mean absolute difference taken; the
     mean over repeats, x 1e3.
  5. The reported `swd` is the mean over levels; each level is reported too.
Both sets must hold the same number of images. Pure numpy; float64 projections.
"""

from typing import Dict, List

import numpy as np

NEIGHBOURHOOD = 7
PER_IMAGE = 128
REPEATS = 4
DIRECTIONS = 512
SMALLEST = 16
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def _blur(x):
  """Separable 5-tap binomial filter of float [N, H, W, C], reflect borders."""
  padded = np.pad(x, ((0, 0), (2, 2), (0, 0), (0, 0)), mode="reflect")
  x = sum(w * padded[:, i:i + x.shape[1]] for i, w in enumerate(_BINOMIAL))
  padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (0, 0)), mode="reflect")
  return sum(w * padded[:, :, i:i + x.shape[2]] for i, w in enumerate(_BINOMIAL))


def _down(x):
  return _blur(x)[:, ::2, ::2]


def _up(x, shape):
  """x [N, h, w, C] -> [N, H, W, C]: zeros between samples, blurred, x4 (energy kept)."""
  out = np.zeros((x.shape[0],) + tuple(shape) + (x.shape[3],), x.dtype)
  out[:, ::2, ::2] = x
  return _blur(out) * 4.0


def laplacian_pyramid(images, smallest=SMALLEST) -> List[np.ndarray]:
  """uint8 or float [N, H, W, C] -> levels float64 [N, H_k, W_k, C], k = 0 .. L-1: band-pass
  levels G_k - up(G_{k+1}) while G_k's shorter side is above `smallest`, then G_L itself."""
  g = np.asarray(images, np.float64)
  levels = []
  while min(g.shape[1:3]) > smallest:
    smaller = _down(g)
    levels.append(g - _up(smaller, g.shape[1:3]))
    g = smaller
  levels.append(g)
  return levels


def descriptors(level, rng, per_image=PER_IMAGE, size=NEIGHBOURHOOD):
  """float [N, H, W, C] -> [N * per_image, size * size * C]: random size x size
  neighbourhoods, per_image of them per image."""
  n, h, w, c = level.shape
  if min(h, w) < size:
    raise ValueError(f"a pyramid level of {h}x{w} is smaller than the {size}x{size} "
                     f"neighbourhoods.")
  ys = rng.integers(0, h - size + 1, (n, per_image))
  xs = rng.integers(0, w - size + 1, (n, per_image))
  offsets = np.arange(size)
  rows = ys[..., None, None] + offsets[:, None]  # [n, P, size, 1]
  cols = xs[..., None, None] + offsets[None, :]  # [n, P, 1, size]
  patches = level[np.arange(n)[:, None, None, None], rows, cols]  # [n, P, size, size, C]
  return patches.reshape(n * per_image, size * size * c)


def _normalise(desc, channels):
  d = desc.reshape(len(desc), -1, channels)
  mean = d.mean(axis=(0, 1))
  std = d.std(axis=(0, 1))
  return ((d - mean) / np.maximum(std, 1e-8)).reshape(len(desc), -1)


def sliced_wasserstein(a, b, rng, repeats=REPEATS, directions=DIRECTIONS) -> float:
  """Mean over `repeats` of the mean |sorted(a @ v) - sorted(b @ v)| over `directions`
  random unit vectors v; a, b float [M, D] with the same M."""
  if a.shape != b.shape:
    raise ValueError(f"both sets need as many descriptors of one size, got {a.shape} and "
                     f"{b.shape}.")
  total = 0.0
  for _ in range(repeats):
    v = rng.standard_normal((a.shape[1], directions))
    v /= np.sqrt((v**2).sum(axis=0, keepdims=True))
    pa, pb = np.sort(a @ v, axis=0), np.sort(b @ v, axis=0)
    total += float(np.abs(pa - pb).mean())
  return total / repeats


def swd(images_a, images_b, seed=0) -> Dict[str, float]:
  """The multi-scale SWD between uint8 image sets [N, H, W, C] (same N and shape); returns
  {'swd': mean over levels, 'swd_<side>px': per level}, each x 1e3 (lower is closer)."""
  a, b = np.asarray(images_a), np.asarray(images_b)
  if a.shape != b.shape or a.ndim != 4:
    raise ValueError(f"swd needs two sets of the same shape [N, H, W, C], got {a.shape} and "
                     f"{b.shape}.")
  rng = np.random.default_rng(seed)
  out = {}
  channels = a.shape[-1]
  for level_a, level_b in zip(laplacian_pyramid(a), laplacian_pyramid(b)):
    # Both sets are sampled at the same positions (common random numbers: a set against
    # itself scores exactly 0, and sampling noise cancels between the sets).
    positions = int(rng.integers(2**31))
    da = _normalise(descriptors(level_a, np.random.default_rng(positions)), channels)
    db = _normalise(descriptors(level_b, np.random.default_rng(positions)), channels)
    out[f"swd_{min(level_a.shape[1:3])}px"] = 1e3 * sliced_wasserstein(da, db, rng)
  out["swd"] = float(np.mean(list(out.values())))
  return out
