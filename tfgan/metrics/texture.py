"""What a person sees in an image-to-image model's outputs beyond per-pair error: colour noise,
sharpness and colourfulness, each as a ratio of the outputs' set mean to the targets'.

Protocol, stated once (the keys printed by tfgan.evaluate carry these names):
  Images in [0, 1] (the network's [-1, 1] mapped linearly and clipped), RGB (a 1-channel
  image is repeated to RGB), converted to BT.601 full-range YCbCr:
    Y  =  0.299 R + 0.587 G + 0.114 B
    Cb = -0.168736 R - 0.331264 G + 0.5 B        (+ 0.5, which the Laplacian removes)
    Cr =  0.5 R - 0.418688 G - 0.081312 B
  Laplacian: the 4-neighbour kernel [[0, 1, 0], [1, -4, 1], [0, 1, 0]], valid positions only
  (no border padding), its absolute value averaged over the region's pixels (the whole image,
  or the hole of an inpainting mask) and, for chroma, over Cb and Cr.
  - `chroma_hf_ratio`: mean |Laplacian| of Cb, Cr of all outputs / the same of all targets.
    1 means as much colour detail as the targets (real faces); colour speckles and
    checkerboards push it above 1, colour blur below.
  - `sharpness_ratio`: the same on Y (luma detail: blur below 1, noise and over-sharpening
    above).
  - `colourfulness_ratio`: Hasler and Suesstrunk's colourfulness (2003, "Measuring
    colourfulness in natural images", M = sigma_rgyb + 0.3 mu_rgyb with rg = R - G,
    yb = (R + G) / 2 - B, over the region's pixels of each image), outputs' mean over targets'
    mean. Washed-out colour (a grey -> colour model's sepia) is below 1.
  Each ratio is of set means (the mean over images of each image's region mean, outputs over
  targets), so a few images with no detail cannot make it infinite; it is NaN when the
  targets have none.
"""

import numpy as np
import tensorflow as tf

RATIO_KEYS = ("chroma_hf_ratio", "sharpness_ratio", "colourfulness_ratio")

_BT601 = np.array([[0.299, 0.587, 0.114],
                   [-0.168736, -0.331264, 0.5],
                   [0.5, -0.418688, -0.081312]], np.float32)
_LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)


def _rgb_unit(x):
  x = tf.clip_by_value((tf.cast(x, tf.float32) + 1.0) / 2.0, 0.0, 1.0)
  return tf.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x


def ycbcr(x):
  """float [B, H, W, 3] RGB in [0, 1] -> float32 [B, H, W, 3] BT.601 Y, Cb - 0.5, Cr - 0.5."""
  return tf.einsum("bhwc,kc->bhwk", tf.cast(x, tf.float32), _BT601)


def abs_laplacian(planes):
  """float [B, H, W, K] -> float32 [B, H - 2, W - 2, K]: |4-neighbour Laplacian| of each plane
  at the valid positions."""
  k = tf.constant(_LAPLACIAN)[:, :, None, None]
  b, h, w, c = tf.unstack(tf.shape(planes))
  flat = tf.reshape(tf.transpose(planes, [0, 3, 1, 2]), [-1, h, w, 1])
  out = tf.abs(tf.nn.conv2d(flat, k, 1, "VALID"))
  return tf.transpose(tf.reshape(out, [b, c, h - 2, w - 2]), [0, 2, 3, 1])


def _region_mean(values, weights):
  """Per-image weighted mean of values [B, h, w, K] (all K) with weights [B, h, w, 1]."""
  total = tf.reduce_sum(values * weights, axis=[1, 2, 3])
  count = tf.reduce_sum(weights, axis=[1, 2, 3]) * tf.cast(tf.shape(values)[-1], tf.float32)
  return tf.math.divide_no_nan(total, count)


def colourfulness(rgb, weights):
  """Hasler-Suesstrunk colourfulness of each image float32 [B] over the pixels where weights
  [B, H, W, 1] are 1; rgb float [B, H, W, 3] in [0, 1] (so M is in [0, ~1.1])."""
  r, g, b = tf.unstack(tf.cast(rgb, tf.float32), axis=-1)
  rg, yb = r - g, 0.5 * (r + g) - b
  w = weights[..., 0]
  n = tf.maximum(tf.reduce_sum(w, axis=[1, 2]), 1e-12)
  stats = []
  for c in (rg, yb):
    mean = tf.reduce_sum(c * w, axis=[1, 2]) / n
    var = tf.reduce_sum(tf.square(c - mean[:, None, None]) * w, axis=[1, 2]) / n
    stats.append((mean, var))
  sigma = tf.sqrt(stats[0][1] + stats[1][1])
  mu = tf.sqrt(tf.square(stats[0][0]) + tf.square(stats[1][0]))
  return sigma + 0.3 * mu


def image_stats(images, region=None):
  """Per-image statistics of images float [B, H, W, C] in [-1, 1] (C 1 or 3):
  {'chroma_hf', 'luma_hf', 'colourfulness'}, float32 [B] each, over `region` (float
  [B, H, W, 1], 1 = counted; None: the whole image). A Laplacian position counts when its
  centre pixel is in the region."""
  rgb = _rgb_unit(images)
  if region is None:
    region = tf.ones_like(rgb[..., :1])
  region = tf.cast(region, tf.float32)
  lap = abs_laplacian(ycbcr(rgb))
  inner = region[:, 1:-1, 1:-1]
  return {"luma_hf": _region_mean(lap[..., :1], inner),
          "chroma_hf": _region_mean(lap[..., 1:], inner),
          "colourfulness": colourfulness(rgb, region)}


class TextureRatios:
  """Accumulates `image_stats` of outputs and targets batch by batch; `result()` gives the
  RATIO_KEYS (outputs' set mean / targets' set mean; NaN where the targets' is 0)."""

  def __init__(self):
    self.sums = {"outputs": {}, "targets": {}}
    self.counts = {"outputs": 0, "targets": 0}

  def update(self, outputs=None, targets=None, region=None):
    """outputs, targets float [B, H, W, C] in [-1, 1] (either may be None: unpaired sets of
    different sizes are accumulated apart); region float [B, H, W, 1] or None."""
    for name, x in (("outputs", outputs), ("targets", targets)):
      if x is None:
        continue
      self.counts[name] += int(x.shape[0])
      for key, values in image_stats(x, region).items():
        self.sums[name][key] = self.sums[name].get(key, 0.0) + float(
            tf.reduce_sum(tf.cast(values, tf.float64)))

  def result(self):
    out = {}
    for ratio, key in zip(RATIO_KEYS, ("chroma_hf", "luma_hf", "colourfulness")):
      num = self.sums["outputs"].get(key, 0.0) / max(self.counts["outputs"], 1)
      den = self.sums["targets"].get(key, 0.0) / max(self.counts["targets"], 1)
      out[ratio] = num / den if den > 0 else float("nan")
    return out
