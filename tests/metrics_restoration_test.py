"""Super-resolution metrics against hand-computed values, and the bicubic baseline."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan.metrics import restoration


def _to_signed(unit):
  return unit * 2.0 - 1.0


def test_psnr_of_a_known_error_and_the_border_crop():
  rng = np.random.default_rng(0)
  target = rng.integers(10, 240, (2, 24, 24, 3)) / 255.0
  prediction = target + 4 / 255.0  # every pixel off by 4 grey levels: MSE = (4/255)^2
  s = restoration.sr_scores(_to_signed(prediction), _to_signed(target), crop=0)
  np.testing.assert_allclose(s["psnr_rgb_crop0"], 20 * np.log10(255 / 4), atol=1e-6)
  # Y moves by (65.481 + 128.553 + 24.966) / 255 * 4 grey levels.
  np.testing.assert_allclose(s["psnr_y_crop0"], 20 * np.log10(255 / (4 * 219 / 255)), atol=1e-6)
  np.testing.assert_allclose(s["l1_rgb_crop0"], 4 / 255.0, atol=1e-9)
  # An error only in the 4-pixel border: gone after crop 4, there before it.
  bordered = target.copy()
  bordered[:, :4] += 8 / 255.0
  cropped = restoration.sr_scores(_to_signed(bordered), _to_signed(target), crop=4)
  assert np.isinf(cropped["psnr_y_crop4"]).all() and set(cropped) == {
      "l1_rgb_crop4", "psnr_rgb_crop4", "psnr_y_crop4", "ssim_y_crop4"}
  assert np.isfinite(restoration.sr_scores(_to_signed(bordered), _to_signed(target), 2)
                     ["psnr_y_crop2"]).all()


def test_predictions_are_rounded_to_the_png_grid_first():
  target = np.full((1, 16, 16, 3), 100 / 255.0)
  off = target + 0.4 / 255.0  # rounds back onto the target's grey level
  s = restoration.sr_scores(_to_signed(off), _to_signed(target), crop=0)
  assert np.isinf(s["psnr_rgb_crop0"]).all() and s["l1_rgb_crop0"][0] == 0.0


def test_luma_is_bt601_as_basicsr():
  black_white = np.array([[[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]])
  np.testing.assert_allclose(restoration.luma(black_white)[..., 0], [[[16 / 255, 235 / 255]]])
  red = np.array([[[[1.0, 0.0, 0.0]]]])
  np.testing.assert_allclose(restoration.luma(red)[..., 0], [[[(16 + 65.481) / 255]]])
  grey = np.zeros((1, 2, 2, 1))
  assert restoration.luma(grey) is grey


def test_ssim_is_one_for_identical_images_and_matches_tensorflow():
  rng = np.random.default_rng(1)
  a = rng.uniform(0, 1, (3, 32, 32, 1))
  b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1)
  np.testing.assert_allclose(restoration.ssim(a, a), 1.0, atol=1e-12)
  ours = restoration.ssim(a, b)
  theirs = tf.image.ssim(tf.constant(a, tf.float32), tf.constant(b, tf.float32), 1.0).numpy()
  np.testing.assert_allclose(ours, theirs, atol=2e-4)
  assert (ours < 0.99).all()
  with pytest.raises(ValueError, match="11x11"):
    restoration.ssim(a[:, :8, :8], b[:, :8, :8])


def test_bicubic_upsampling_is_the_tensorflow_resize_of_the_lr_image():
  rng = np.random.default_rng(2)
  lr = rng.uniform(-1, 1, (2, 5, 7, 3)).astype(np.float32)
  up = restoration.bicubic_upsample(lr, 4)
  assert up.shape == (2, 20, 28, 3) and up.min() >= -1 and up.max() <= 1
  expected = tf.clip_by_value(tf.image.resize((lr + 1) / 2, (20, 28), "bicubic"), 0, 1) * 2 - 1
  np.testing.assert_allclose(up, expected, atol=1e-6)
