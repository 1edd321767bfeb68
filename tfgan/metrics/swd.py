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
Both sets must hold the same number of images.

Computation: numpy, float32 pyramid, descriptors and projections (float64 sums). The pyramid is
built level by level over chunks of IMAGE_CHUNK images, so only one level's descriptors of both
sets are held at a time; projections are [directions, descriptors] blocks (sorted along their
contiguous axis) of at most PROJECTION_BLOCK values per set. Peak memory beyond the two input
sets: 2 x N x 128 x 7 x 7 x C x 4 bytes of descriptors (N = 10,000 RGB: 1.5 GB; 1,000: 150 MB),
plus the next Gaussian level of both sets (float32, N x H x W x C x 2 bytes), plus 2 x 128 MiB
of projections, plus the pyramid of one chunk. Time on a 2-core x86-64 CPU at 64x64 RGB: see
the README (Evaluate, "Without weights").
"""

from concurrent import futures
from typing import Dict, List

import numpy as np

NEIGHBOURHOOD = 7
PER_IMAGE = 128
REPEATS = 4
DIRECTIONS = 512
SMALLEST = 16
IMAGE_CHUNK = 250  # Images per pyramid step: bounds the temporaries of the filter.
PROJECTION_BLOCK = 2**25  # float32 projections per set and block (128 MiB).
# Threads sorting the two sets' projections (numpy's sort releases the GIL); 1: one after the
# other, as before 2026-12-08 (benchmarks/swd_speed.py times both).
SORT_THREADS = 2
_BINOMIAL = (1.0 / 16, 4.0 / 16, 6.0 / 16)  # The symmetric taps: w0 = w4, w1 = w3, w2.


def _float(x):
  """float64 stays float64 (exact references in tests); anything else becomes float32."""
  x = np.asarray(x)
  return x if x.dtype == np.float64 else x.astype(np.float32, copy=False)


def _filter(padded, axis, length, step):
  """The 5-tap binomial filter along `axis` of an array padded by 2 on that axis, at output
  positions 0, step, 2 * step, ... < length (step 2: only the samples a decimation keeps)."""
  def tap(i):
    index = [slice(None)] * padded.ndim
    index[axis] = slice(i, i + length, step)
    return padded[tuple(index)]
  w0, w1, w2 = (padded.dtype.type(w) for w in _BINOMIAL)
  # Symmetric taps: 3 multiplications per sample instead of 5.
  return w0 * (tap(0) + tap(4)) + w1 * (tap(1) + tap(3)) + w2 * tap(2)


def _blur(x, step=1):
  """Separable 5-tap binomial filter of float [N, H, W, C], reflect borders; `step` 2 returns
  only every second row and column (the blur of a decimation, without the samples dropped)."""
  h, w = x.shape[1:3]
  x = _filter(np.pad(x, ((0, 0), (2, 2), (0, 0), (0, 0)), mode="reflect"), 1, h, step)
  return _filter(np.pad(x, ((0, 0), (0, 0), (2, 2), (0, 0)), mode="reflect"), 2, w, step)


def _down(x):
  """float [N, H, W, C] -> [N, ceil(H / 2), ceil(W / 2), C]: blurred, every second sample."""
  return _blur(x, step=2)


def _up(x, shape):
  """x [N, h, w, C] -> [N, H, W, C]: zeros between samples, blurred, x4 (energy kept)."""
  out = np.zeros((x.shape[0],) + tuple(shape) + (x.shape[3],), x.dtype)
  out[:, ::2, ::2] = x
  return _blur(out) * x.dtype.type(4.0)


def laplacian_pyramid(images, smallest=SMALLEST) -> List[np.ndarray]:
  """uint8 or float [N, H, W, C] -> levels [N, H_k, W_k, C], k = 0 .. L-1: band-pass levels
  G_k - up(G_{k+1}) while G_k's shorter side is above `smallest`, then G_L itself. float64
  input stays float64; anything else is computed in float32. Holds the whole pyramid: swd()
  builds it chunk by chunk instead."""
  g = _float(images)
  levels = []
  while min(g.shape[1:3]) > smallest:
    smaller = _down(g)
    levels.append(g - _up(smaller, g.shape[1:3]))
    g = smaller
  levels.append(g)
  return levels


def _positions(shape, rng, per_image, size):
  """(ys, xs) int [N, per_image]: the top-left corners of the neighbourhoods of a level."""
  n, h, w = shape[:3]
  if min(h, w) < size:
    raise ValueError(f"a pyramid level of {h}x{w} is smaller than the {size}x{size} "
                     f"neighbourhoods.")
  return rng.integers(0, h - size + 1, (n, per_image)), rng.integers(0, w - size + 1,
                                                                     (n, per_image))


def _gather(level, ys, xs, size):
  """float [n, H, W, C], corners int [n, P] -> [n * P, size * size * C] (rows, columns,
  channels). Each neighbourhood is `size` contiguous runs of size * C values in the [n, H, W * C]
  view, so one fancy index of whole blocks copies it (indexing every pixel was the slow part)."""
  n, h, w, c = level.shape
  rows = np.ascontiguousarray(level).reshape(n, h, w * c)
  blocks = np.lib.stride_tricks.sliding_window_view(rows, (size, size * c), axis=(1, 2))
  patches = blocks[np.arange(n)[:, None], ys, xs * c]  # [n, P, size, size * C]
  return patches.reshape(n * ys.shape[1], size * size * c)


def descriptors(level, rng, per_image=PER_IMAGE, size=NEIGHBOURHOOD):
  """float [N, H, W, C] -> [N * per_image, size * size * C] (same dtype): random size x size
  neighbourhoods, per_image of them per image (corners drawn as rng.integers, ys then xs)."""
  ys, xs = _positions(level.shape, rng, per_image, size)
  return _gather(level, ys, xs, size)


def _level_descriptors(g, last, ys, xs, size):
  """One pyramid level of a whole set, IMAGE_CHUNK images at a time.

  Args:
    g: the set's Gaussian level, uint8 or float [N, H, W, C].
    last: whether this is the pyramid's last level (the Gaussian level itself is described).
    ys, xs: int [N, P] neighbourhood corners.
  Returns:
    (descriptors float32 [N * P, size * size * C], the next Gaussian level float32
    [N, ceil(H / 2), ceil(W / 2), C] or None when `last`).
  """
  n, h, w, c = g.shape
  per_image = ys.shape[1]
  out = np.empty((n * per_image, size * size * c), np.float32)
  smaller = None if last else np.empty((n, (h + 1) // 2, (w + 1) // 2, c), np.float32)
  for s in range(0, n, IMAGE_CHUNK):
    e = min(n, s + IMAGE_CHUNK)
    x = np.asarray(g[s:e], np.float32)
    if not last:
      smaller[s:e] = _down(x)
      x = x - _up(smaller[s:e], (h, w))
    out[s * per_image:e * per_image] = _gather(x, ys[s:e], xs[s:e], size)
  return out, smaller


def _normalise(desc, channels):
  """Per-channel standardisation of float32 [M, D] in place (float64 statistics)."""
  m = len(desc)
  # Sums of values and squares per descriptor column (float64 accumulators), then per channel:
  # ~20x faster than numpy's std over the (M, D / C) axes of a [M, D / C, C] view.
  total = desc.sum(axis=0, dtype=np.float64).reshape(-1, channels).sum(0)
  squares = np.einsum("ij,ij->j", desc, desc, dtype=np.float64).reshape(-1, channels).sum(0)
  count = m * desc.shape[1] // channels
  mean = total / count
  std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
  # Broadcast over whole rows of D values (a C-long inner loop is slow).
  desc -= np.tile(mean, desc.shape[1] // channels).astype(desc.dtype)
  desc *= np.tile(1.0 / np.maximum(std, 1e-8), desc.shape[1] // channels).astype(desc.dtype)
  return desc


def sliced_wasserstein(a, b, rng, repeats=REPEATS, directions=DIRECTIONS) -> float:
  """Mean over `repeats` of the mean |sorted(a @ v) - sorted(b @ v)| over `directions`
  random unit vectors v; a, b float [M, D] with the same M (float32 projections unless both
  are float64). Directions are drawn as float64 standard normals [D, directions] per repeat
  and projected in blocks of at most PROJECTION_BLOCK values per set."""
  if a.shape != b.shape:
    raise ValueError(f"both sets need as many descriptors of one size, got {a.shape} and "
                     f"{b.shape}.")
  a, b = _float(a), _float(b)
  dtype = np.result_type(a, b)
  m = a.shape[0]
  block = max(1, min(directions, PROJECTION_BLOCK // max(m, 1)))
  # [k, M] blocks, allocated once (fresh 128 MiB arrays per block cost their page faults):
  # each direction's projections are contiguous, so numpy's (SIMD) sort runs along rows.
  pa_block, pb_block = np.empty((block, m), dtype), np.empty((block, m), dtype)
  total = 0.0
  # The two sets' sorts run side by side (SORT_THREADS): they were most of the time, in one
  # thread; the result is the same.
  with futures.ThreadPoolExecutor(SORT_THREADS) as pool:
    for _ in range(repeats):
      v = rng.standard_normal((a.shape[1], directions))
      v /= np.sqrt((v**2).sum(axis=0, keepdims=True))
      v = np.ascontiguousarray(v.T, dtype)  # [directions, D]
      absolute = 0.0
      for s in range(0, directions, block):
        k = min(block, directions - s)
        pa, pb = pa_block[:k], pb_block[:k]
        np.matmul(v[s:s + k], a.T, out=pa)
        np.matmul(v[s:s + k], b.T, out=pb)
        for sorting in [pool.submit(p.sort, axis=1) for p in (pa, pb)]:
          sorting.result()
        np.subtract(pa, pb, out=pa)
        np.abs(pa, out=pa)
        absolute += float(pa.sum(dtype=np.float64))
      total += absolute / (directions * m)
  return total / repeats


def swd(images_a, images_b, seed=0) -> Dict[str, float]:
  """The multi-scale SWD between uint8 image sets [N, H, W, C] (same N and shape; the shorter
  side at least 16 px); returns {'swd': mean over levels, 'swd_<side>px': per level}, each
  x 1e3 (lower is closer; 0 for a set and itself)."""
  a, b = np.asarray(images_a), np.asarray(images_b)
  if a.shape != b.shape or a.ndim != 4:
    raise ValueError(f"swd needs two sets of the same shape [N, H, W, C], got {a.shape} and "
                     f"{b.shape}.")
  if min(a.shape[1:3]) < SMALLEST:
    raise ValueError(f"swd needs images of at least {SMALLEST}x{SMALLEST} px (pyramid levels "
                     f"down to {SMALLEST} px, {NEIGHBOURHOOD}x{NEIGHBOURHOOD} neighbourhoods), "
                     f"got {a.shape[2]}x{a.shape[1]}.")
  rng = np.random.default_rng(seed)
  out = {}
  channels = a.shape[-1]
  ga, gb = a, b
  while ga is not None:
    side = min(ga.shape[1:3])
    last = side <= SMALLEST
    # Both sets are sampled at the same positions (common random numbers: a set against
    # itself scores exactly 0, and sampling noise cancels between the sets).
    ys, xs = _positions(ga.shape, np.random.default_rng(int(rng.integers(2**31))), PER_IMAGE,
                        NEIGHBOURHOOD)
    da, ga = _level_descriptors(ga, last, ys, xs, NEIGHBOURHOOD)
    db, gb = _level_descriptors(gb, last, ys, xs, NEIGHBOURHOOD)
    out[f"swd_{side}px"] = 1e3 * sliced_wasserstein(_normalise(da, channels),
                                                    _normalise(db, channels), rng)
    del da, db  # Before the next level's descriptors: one level at a time.
  out["swd"] = float(np.mean(list(out.values())))
  return out
