"""Inpainting: compositing, the two baselines without a network, and the scores.

Masks are float [N, H, W, 1] in {0, 1}, 1 = hole (tfgan.data.masks). Images are float
[N, H, W, C] in [-1, 1] (the fills work on any range).

Protocol of `inpaint_scores`, stated once: the prediction and the target are rounded to the
uint8 grid as the PNGs tfgan.translate writes would be and mapped to [0, 1]
(tfgan.metrics.restoration.as_png_unit); the prediction is COMPOSITED with the target (its hole
pixels, the target's known pixels: what a user of an inpainting model sees); values are
float64 numpy, per image, then averaged over the images by the caller.
  l1_rgb     mean absolute difference over all pixels and channels of the composited image
  psnr_rgb   10 log10(1 / MSE) over all pixels and channels (tfgan.metrics.restoration.psnr)
  ssim_rgb   SSIM of the whole composited image (tfgan.metrics.restoration.ssim: 11x11
             Gaussian window, sigma 1.5, 'valid' borders, averaged over channels)
  l1_hole    mean absolute difference over the hole pixels only (and all channels)
  psnr_hole  10 log10(1 / MSE) with the MSE over the hole pixels only
The whole-image scores depend on the hole's size (known pixels are exact, so a small hole
scores high whatever fills it): compare them at the same masks only, i.e. the same kind, seed
and image size. The hole scores do not, and say how good the fill itself is. There is no
SSIM of the hole alone: SSIM compares local windows of 11x11 pixels, and the windows that
touch a hole of arbitrary shape also hold known pixels (exact after compositing), so any
"hole SSIM" is a choice of which windows to count and how to weigh their known pixels, not a
standard number.
"""

from typing import Dict

import numpy as np
import tensorflow as tf

from tfgan.metrics import restoration

KEYS = ("l1_rgb", "psnr_rgb", "ssim_rgb", "l1_hole", "psnr_hole")

# diffusion_fill's defaults: enough for the largest hole of the benchmarks, the centre 32x32
# hole of a 64x64 image (the criterion is in diffusion_fill's docstring).
DIFFUSION_SWEEPS = 100
DIFFUSION_OMEGA = 1.9


def _mask(mask, images):
  m = tf.convert_to_tensor(mask, tf.float32)
  if m.shape.rank == 3:  # one mask [H, W, 1] for every image
    m = m[None]
  if m.shape.rank != 4 or m.shape[-1] != 1 or m.shape[1:3] != images.shape[1:3]:
    raise ValueError(f"mask must be [N, H, W, 1] or [H, W, 1] with the images' H, W; got "
                     f"{m.shape} for images {images.shape}.")
  return m


def composite(output, image, mask):
  """float32 [N, H, W, C] tf.Tensor: `output` in the hole, `image` elsewhere.

  output, image: float [N, H, W, C]; mask: float [N, H, W, 1] or [H, W, 1] in {0, 1}, 1 =
  hole. Equals output * mask + image * (1 - mask) for binary masks, written as a select so
  that the known pixels are `image`'s bit for bit even where `output` is inf or nan (a
  product would make them nan)."""
  image = tf.convert_to_tensor(image, tf.float32)
  output = tf.convert_to_tensor(output, tf.float32)
  return tf.where(_mask(mask, image) > 0.5, output, image)


def mean_fill(image, mask):
  """float32 [N, H, W, C] tf.Tensor: each image with its hole set to the mean colour (per
  channel) of its own known pixels. image: float [N, H, W, C] (any range); mask as
  `composite`. Raises ValueError for an image without a known pixel."""
  image = tf.convert_to_tensor(image, tf.float32)
  m = _mask(mask, image)
  known = 1.0 - m
  count = tf.reduce_sum(known, axis=[1, 2, 3])
  if np.any(count.numpy() == 0):
    raise ValueError(f"images {np.flatnonzero(count.numpy() == 0).tolist()} have no known "
                     f"pixel: the whole image is the hole.")
  mean = tf.reduce_sum(image * known, axis=[1, 2]) / count[:, None]  # [N, C]
  return composite(tf.broadcast_to(mean[:, None, None, :], tf.shape(image)), image, m)


def _neighbour_mean(x):
  """Mean of the 4 neighbours of every pixel of float32 [N, H, W, C]; borders replicated (a
  pixel on the image's edge counts itself for the neighbour it lacks: no flow out of the
  image)."""
  p = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], "SYMMETRIC")
  return 0.25 * (p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:])


@tf.function(reduce_retracing=True)
def _sor(x, red, black, omega, sweeps):
  def sweep(i, x):
    # Red pixels' neighbours are all black and vice versa: each half-sweep is a Jacobi step
    # on one colour with the other's newest values (Gauss-Seidel), over-relaxed by omega.
    x = tf.where(red, x + omega * (_neighbour_mean(x) - x), x)
    x = tf.where(black, x + omega * (_neighbour_mean(x) - x), x)
    return i + 1, x

  return tf.while_loop(lambda i, _: i < sweeps, sweep, (tf.constant(0), x))[1]


def diffusion_fill(image, mask, sweeps=DIFFUSION_SWEEPS, omega=DIFFUSION_OMEGA):
  """float32 [N, H, W, C] tf.Tensor: the classical diffusion fill (harmonic inpainting).

  Every hole pixel is moved towards the mean of its 4 neighbours, the known pixels fixed,
  until the hole holds the solution of Laplace's equation with the known pixels as its
  border: the smoothest fill that meets the hole's edge; a linear gradient across a hole is
  reproduced exactly (it is its own neighbour mean). image: float [N, H, W, C] (any range);
  mask as `composite`.

  Iterations: from `mean_fill`, `sweeps` red-black successive over-relaxation sweeps (the
  pixels of a checkerboard's two colours in turn, each replaced by x + omega * (neighbour
  mean - x); omega = 1 is Gauss-Seidel). Plain neighbour averaging (Jacobi) reaches the same
  fixed point but shrinks the slowest error of an n x n hole only by cos(pi / (n + 1)) per
  step: on the 32x32 centre hole of 64x64 faces it needed ~1500 steps to come within half a
  grey level of the solution (~3 minutes for 1000 faces on two CPU cores, from 34 s for 200). Over-relaxation
  with omega near 2 / (1 + sin(pi / (n + 1))) needs O(n) sweeps instead; a hole on the
  image's edge acts as one of twice its size there (replicated borders mirror it), so the
  default omega 1.9 sits above the 1.83 of a 32x32 interior hole: slightly slower on that hole,
  much faster on strokes along the edges (1.85 left 1 grey level after 75 sweeps there).
  Convergence criterion for the defaults (100 sweeps, omega 1.9): 10x the sweeps move no pixel
  by more than 0.1 grey level (0.1 / 127.5 on the [-1, 1] scale). Measured on 100 held-out
  64x64 faces: at most 0.006 grey levels with the centre mask, 0.05 with strokes; tested on
  noise with the centre hole (4x the sweeps). Larger holes need more sweeps: check
  the criterion there.
  """
  start = mean_fill(image, mask)
  hole = _mask(mask, start) > 0.5
  h, w = start.shape[1], start.shape[2]
  checker = tf.constant((np.add.outer(np.arange(h), np.arange(w)) % 2 == 0)[None, :, :, None])
  red = tf.broadcast_to(hole & checker, tf.shape(start))
  black = tf.broadcast_to(hole & ~checker, tf.shape(start))
  return _sor(start, red, black, tf.constant(float(omega)), tf.constant(int(sweeps)))


def inpaint_scores(prediction, target, mask) -> Dict[str, np.ndarray]:
  """Per-image float64 [N] scores (KEYS; the module docstring's protocol) of the prediction
  composited with the target. prediction, target: float [N, H, W, C] in [-1, 1] (H, W >= 11
  for SSIM); mask: float [N, H, W, 1] or [H, W, 1] in {0, 1}, 1 = hole. Raises ValueError
  for masks that are not 0/1, shapes that differ, or an image whose mask has no hole (its
  hole scores would be undefined)."""
  p, t = restoration.as_png_unit(prediction), restoration.as_png_unit(target)
  if p.shape != t.shape:
    raise ValueError(f"prediction {p.shape} and target {t.shape} differ in shape.")
  m = np.asarray(mask, np.float64)
  m = m[None] if m.ndim == 3 else m
  if m.shape[1:] != t.shape[1:3] + (1,) or m.shape[0] not in (1, t.shape[0]):
    raise ValueError(f"mask must be [N, H, W, 1] or [H, W, 1] with the images' N, H, W; got "
                     f"{m.shape} for images {t.shape}.")
  if not np.isin(m, (0.0, 1.0)).all():
    raise ValueError("mask values must be exactly 0 (known) or 1 (hole).")
  m = np.broadcast_to(m, t.shape[:3] + (1,))
  holes = m.sum(axis=(1, 2, 3))
  if (holes == 0).any():
    raise ValueError(f"the masks of images {np.flatnonzero(holes == 0).tolist()} have no hole "
                     f"pixel: their hole scores are undefined.")
  c = np.where(m > 0.5, p, t)
  error = c - t  # zero at every known pixel
  hole_values = holes * t.shape[-1]
  with np.errstate(divide="ignore"):
    psnr_hole = 10.0 * np.log10(hole_values / (error**2).sum(axis=(1, 2, 3)))
  return {"l1_rgb": np.abs(error).mean(axis=(1, 2, 3)),
          "psnr_rgb": restoration.psnr(c, t),
          "ssim_rgb": restoration.ssim(c, t),
          "l1_hole": np.abs(error).sum(axis=(1, 2, 3)) / hole_values,
          "psnr_hole": psnr_hole}


def higher_is_better(key) -> bool:
  """True for PSNR and SSIM keys, False for L1."""
  return not key.startswith("l1")
