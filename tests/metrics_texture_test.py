import numpy as np
import pytest
import tensorflow as tf

from tfgan.metrics import texture


def _faces(n=4, size=24, seed=0):
  """Smooth colour images in [-1, 1] with some detail: gradients plus a few soft blobs."""
  rng = np.random.default_rng(seed)
  yy, xx = np.mgrid[0:size, 0:size] / size
  out = []
  for _ in range(n):
    img = np.stack([0.6 * xx + 0.2, 0.5 * yy + 0.3, 0.4 * (1 - xx) + 0.1], -1)
    for _ in range(3):
      cy, cx, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.2)
      blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / r**2)[..., None]
      img = img + 0.3 * blob * rng.uniform(-1, 1, 3)
    # Fine detail, different per channel (skin texture, hair): what a blur removes.
    img = img + 0.06 * np.sin(np.pi * size * (xx + yy * rng.uniform(0.3, 1.0)) / 2.5
                              + rng.uniform(0, 6, 3)[:, None, None]).transpose(1, 2, 0)
    out.append(np.clip(img, 0, 1) * 2 - 1)
  return np.asarray(out, np.float32)


def _hand_chroma(images, region=None):
  """The protocol by hand, pixel by pixel: BT.601 Cb, Cr of [0, 1] RGB; |4-neighbour
  Laplacian| at valid positions whose centre is in the region; mean per image, then over
  images."""
  per_image = []
  for k, img in enumerate(np.clip((images.astype(np.float64) + 1) / 2, 0, 1)):
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    planes = [-0.168736 * r - 0.331264 * g + 0.5 * b, 0.5 * r - 0.418688 * g - 0.081312 * b]
    total, count = 0.0, 0
    for p in planes:
      for i in range(1, p.shape[0] - 1):
        for j in range(1, p.shape[1] - 1):
          if region is not None and region[k, i, j, 0] < 0.5:
            continue
          lap = p[i - 1, j] + p[i + 1, j] + p[i, j - 1] + p[i, j + 1] - 4 * p[i, j]
          total, count = total + abs(lap), count + 1
    per_image.append(total / count)
  return float(np.mean(per_image))


def _ratios(outputs, targets, region=None):
  r = texture.TextureRatios()
  r.update(outputs, targets, region)
  return r.result()


def test_chroma_ratio_is_the_hand_computation_and_one_for_the_targets_themselves():
  targets = _faces()
  noisy = np.clip(targets + np.random.default_rng(1).normal(0, 0.05, targets.shape), -1, 1)
  stats = texture.image_stats(tf.constant(noisy))
  np.testing.assert_allclose(float(np.mean(stats["chroma_hf"])), _hand_chroma(noisy),
                             rtol=1e-4)
  ratios = _ratios(noisy, targets)
  np.testing.assert_allclose(ratios["chroma_hf_ratio"],
                             _hand_chroma(noisy) / _hand_chroma(targets), rtol=1e-4)
  assert _ratios(targets, targets) == {k: pytest.approx(1.0) for k in texture.RATIO_KEYS}


def test_colour_noise_raises_the_chroma_ratio_and_blur_lowers_it():
  targets = _faces()
  rng = np.random.default_rng(2)
  # Colour noise with no luma: Cb/Cr speckles only (what the faces show).
  speckle = rng.normal(0, 0.06, targets.shape[:3] + (1,)) * np.array([1, -0.6, 0.2])
  speckled = np.clip(targets + speckle, -1, 1).astype(np.float32)
  blurred = tf.nn.avg_pool2d(tf.pad(targets, [[0, 0], [1, 1], [1, 1], [0, 0]], "SYMMETRIC"),
                             3, 1, "VALID").numpy()
  assert _ratios(speckled, targets)["chroma_hf_ratio"] > 1.5
  low = _ratios(blurred, targets)
  assert low["chroma_hf_ratio"] < 0.8 and low["sharpness_ratio"] < 0.8
  grey = np.repeat(targets.mean(-1, keepdims=True), 3, -1)
  washed = _ratios(grey, targets)
  assert washed["colourfulness_ratio"] < 0.05 and washed["chroma_hf_ratio"] < 0.05
  # A 1-channel output is repeated to RGB: no chroma at all.
  assert _ratios(grey[..., :1], targets)["chroma_hf_ratio"] == pytest.approx(0.0, abs=1e-6)


def test_a_region_counts_only_its_pixels():
  targets = _faces(n=2)
  region = np.zeros(targets.shape[:3] + (1,), np.float32)
  region[:, 6:18, 6:18] = 1
  noisy = targets.copy()
  noise = np.random.default_rng(3).normal(0, 0.1, targets.shape).astype(np.float32)
  noisy[:, :4] += noise[:, :4]  # noise outside the region only (rows 0-3)
  stats = texture.image_stats(tf.constant(targets), tf.constant(region))
  np.testing.assert_allclose(float(np.mean(stats["chroma_hf"])),
                             _hand_chroma(targets, region), rtol=1e-4)
  assert _ratios(noisy, targets, region)["chroma_hf_ratio"] == pytest.approx(1.0)
  assert _ratios(noisy, targets)["chroma_hf_ratio"] > 1.2


def test_colourfulness_is_hasler_and_suesstrunks_formula():
  rgb = (_faces(n=2) + 1) / 2
  got = texture.colourfulness(tf.constant(rgb), tf.ones(rgb.shape[:3] + (1,))).numpy()
  for k, img in enumerate(rgb.astype(np.float64)):
    rg = img[..., 0] - img[..., 1]
    yb = 0.5 * (img[..., 0] + img[..., 1]) - img[..., 2]
    want = np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    assert got[k] == pytest.approx(want, rel=1e-4)


def test_targets_without_detail_give_nan_not_infinity():
  flat = np.zeros((2, 8, 8, 3), np.float32)
  assert np.isnan(_ratios(_faces(n=2, size=8), flat)["chroma_hf_ratio"])
