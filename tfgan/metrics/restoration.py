"""Super-resolution metrics as BasicSR computes them, and the bicubic baseline.

Protocol, stated once and in every name (`psnr_y_crop4`: PSNR on the Y channel, 4 border
pixels cropped): the network's output in [-1, 1] is rounded to uint8 as the PNG that
tfgan.translate writes would be; both images are mapped to [0, 1]; `scale` pixels are cropped
from every border; values are float64 numpy. Y is ITU-R BT.601 luma as BasicSR and MATLAB's
rgb2ycbcr give it: Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255 for RGB in [0, 1] (grey
images are their own Y). PSNR = 10 log10(1 / MSE) per image; SSIM is Wang et al. 2004 with an
11x11 Gaussian window (sigma 1.5), K1 0.01, K2 0.03, 'valid' borders (as tf.image.ssim and
BasicSR), averaged over channels; each is averaged over the images.
"""

from typing import Dict

import numpy as np

Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0
Y_OFFSET = 16.0 / 255.0


def as_png_unit(x):
  """float [..] in [-1, 1] (clipped) -> float64 in [0, 1] on the uint8 grid (k / 255)."""
  x = np.clip((np.asarray(x, np.float64) + 1.0) * 127.5, 0.0, 255.0)
  return np.round(x) / 255.0


def luma(x):
  """float64 [N, H, W, 3] RGB in [0, 1] -> [N, H, W, 1] BT.601 Y in [16/255, 235/255];
  1-channel images are returned as they are."""
  if x.shape[-1] == 1:
    return x
  return (x @ Y_WEIGHTS)[..., None] + Y_OFFSET


def _gaussian_filter(x, size=11, sigma=1.5):
  """'valid' separable Gaussian filter of float64 [N, H, W, C] over H and W."""
  t = np.arange(size) - (size - 1) / 2.0
  k = np.exp(-t**2 / (2 * sigma**2))
  k /= k.sum()
  h, w = x.shape[1] - size + 1, x.shape[2] - size + 1
  x = sum(k[i] * x[:, i:i + h] for i in range(size))
  return sum(k[i] * x[:, :, i:i + w] for i in range(size))


def ssim(a, b, k1=0.01, k2=0.03):
  """Per-image SSIM float64 [N] of float64 images [N, H, W, C] in [0, 1] (H, W >= 11)."""
  if min(a.shape[1:3]) < 11:
    raise ValueError(f"SSIM needs images of at least 11x11 px after cropping, got "
                     f"{a.shape[2]}x{a.shape[1]}.")
  c1, c2 = k1**2, k2**2
  mu_a, mu_b = _gaussian_filter(a), _gaussian_filter(b)
  var_a = _gaussian_filter(a * a) - mu_a**2
  var_b = _gaussian_filter(b * b) - mu_b**2
  cov = _gaussian_filter(a * b) - mu_a * mu_b
  s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
  return s.mean(axis=(1, 2, 3))


def psnr(a, b):
  """Per-image PSNR in dB float64 [N] of images in [0, 1]; inf for identical images."""
  mse = ((a - b)**2).mean(axis=(1, 2, 3))
  with np.errstate(divide="ignore"):
    return 10.0 * np.log10(1.0 / mse)


def sr_scores(prediction, target, crop) -> Dict[str, np.ndarray]:
  """Per-image float64 [N] scores of float [N, H, W, C] images in [-1, 1] (the prediction is
  rounded to the uint8 grid first; targets already lie on it):
  l1_rgb_crop{crop}, psnr_rgb_crop{crop}, psnr_y_crop{crop}, ssim_y_crop{crop}."""
  p, t = as_png_unit(prediction), as_png_unit(target)
  if p.shape != t.shape:
    raise ValueError(f"prediction {p.shape} and target {t.shape} differ in shape.")
  if crop:
    p, t = p[:, crop:-crop, crop:-crop], t[:, crop:-crop, crop:-crop]
  py, ty = luma(p), luma(t)
  return {f"l1_rgb_crop{crop}": np.abs(p - t).mean(axis=(1, 2, 3)),
          f"psnr_rgb_crop{crop}": psnr(p, t), f"psnr_y_crop{crop}": psnr(py, ty),
          f"ssim_y_crop{crop}": ssim(py, ty)}


def higher_is_better(key) -> bool:
  """True for PSNR and SSIM keys, False for L1."""
  return not key.startswith("l1")


def bicubic_upsample(lr, scale):
  """The baseline without a network: float32 [N, h, w, C] in [-1, 1] -> [N, h * scale,
  w * scale, C], tf.image.resize bicubic (Keys a = -0.5, as MATLAB's imresize) in [0, 1]."""
  import tensorflow as tf
  x = (tf.convert_to_tensor(lr, tf.float32) + 1.0) / 2.0
  size = (int(x.shape[1]) * scale, int(x.shape[2]) * scale)
  return np.asarray(tf.clip_by_value(tf.image.resize(x, size, method="bicubic"), 0, 1)) * 2 - 1
