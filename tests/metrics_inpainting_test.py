"""Inpainting compositing, baselines and scores against hand-computed values."""

import numpy as np
import pytest

from tfgan.data import masks
from tfgan.metrics import inpainting


def _to_signed(unit):
  return unit * 2.0 - 1.0


def _gradient(h=24, w=28):
  """float32 [1, h, w, 3]: a different linear ramp per channel, inside [-1, 1]."""
  i, j = np.mgrid[:h, :w].astype(np.float64)
  ramps = [0.03 * i - 0.4, 0.02 * j - 0.3, 0.015 * (i + j) - 0.5]
  return np.stack(ramps, axis=-1)[None].astype(np.float32)


def test_composite_keeps_known_pixels_bit_exactly():
  rng = np.random.default_rng(0)
  image = rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
  output = rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
  output[:, 0, 0] = np.inf  # a broken network's output outside the hole must not leak in
  output[:, 0, 1] = np.nan
  mask = masks.centre_box(8, 8, 0.5)
  got = inpainting.composite(output, image, mask).numpy()
  hole = np.broadcast_to(mask[None] > 0.5, got.shape)
  np.testing.assert_array_equal(got[~hole], image[~hole])
  np.testing.assert_array_equal(got[hole], output[hole])
  per_image = np.stack([mask, 1 - mask])  # one mask per image: the second is all hole but one box
  got = inpainting.composite(output, image, per_image).numpy()
  np.testing.assert_array_equal(got[1, 0, 2:], output[1, 0, 2:])
  np.testing.assert_array_equal(got[0, 0], image[0, 0])
  with pytest.raises(ValueError, match="mask must be"):
    inpainting.composite(output, image, masks.centre_box(4, 4))


def test_mean_fill_is_the_mean_of_each_images_known_pixels():
  image = np.zeros((2, 4, 4, 2), np.float32)
  # Squares: the mean of the known pixels is not the mean of all (a symmetric ramp's would be).
  image[0, ..., 0] = np.arange(16).reshape(4, 4) ** 2
  image[0, ..., 1] = -1.0
  image[1, ..., 0] = 0.5
  image[1, ..., 1] = np.arange(16).reshape(4, 4) ** 2 / 256
  mask = np.zeros((4, 4, 1), np.float32)
  mask[1:3, 1:3] = 1.0  # hole: pixels 5, 6, 9, 10 of 0..15
  got = inpainting.mean_fill(image, mask).numpy()
  known = np.array([0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 14, 15]) ** 2
  np.testing.assert_allclose(got[0, 1:3, 1:3, 0], 998 / 12, rtol=1e-6)
  assert np.sum(known) == 998
  np.testing.assert_allclose(got[0, 1:3, 1:3, 1], -1.0)
  np.testing.assert_allclose(got[1, 1:3, 1:3, 0], 0.5)
  np.testing.assert_allclose(got[1, 1:3, 1:3, 1], 998 / 12 / 256, rtol=1e-6)
  np.testing.assert_array_equal(got[:, 0], image[:, 0])  # known pixels untouched
  with pytest.raises(ValueError, match="no known pixel"):
    inpainting.mean_fill(image, np.ones((4, 4, 1), np.float32))


def test_diffusion_fill_reproduces_a_linear_gradient_and_beats_the_mean_fill():
  image = _gradient()
  mask = np.zeros((24, 28, 1), np.float32)
  mask[5:19, 6:20] = 1.0  # interior box, 14x14
  mask[3:5, 20:25] = 1.0  # and a thin hole beside it
  damaged = np.where(mask[None] > 0.5, 0.0, image)  # the hole's content is never read
  hole = np.broadcast_to(mask[None] > 0.5, image.shape)
  diffused = inpainting.diffusion_fill(damaged, mask).numpy()
  mean = inpainting.mean_fill(damaged, mask).numpy()
  # A linear function equals the mean of its 4 neighbours: a fixed point of the iteration.
  assert np.abs(diffused - image)[hole].max() < 1e-4
  assert np.abs(mean - image)[hole].max() > 0.1
  np.testing.assert_array_equal(diffused[~hole], image[~hole])


def test_diffusion_fill_converges_on_a_64px_centre_hole_by_default():
  # The criterion of diffusion_fill's docstring, on noise: the hardest boundary values.
  rng = np.random.default_rng(4)
  image = rng.uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32)
  mask = masks.centre_box(64, 64, 0.5)
  default = inpainting.diffusion_fill(image, mask).numpy()
  more = inpainting.diffusion_fill(image, mask, sweeps=4 * inpainting.DIFFUSION_SWEEPS).numpy()
  assert np.abs(default - more).max() < 0.1 / 127.5
  # Not trivially: a quarter of the default sweeps is still far from the solution.
  fewer = inpainting.diffusion_fill(image, mask, sweeps=inpainting.DIFFUSION_SWEEPS // 4)
  assert np.abs(fewer.numpy() - more).max() > 1 / 127.5


def test_scores_of_an_error_confined_to_the_hole():
  rng = np.random.default_rng(1)
  target = rng.integers(10, 240, (2, 32, 32, 3)) / 255.0
  mask = masks.centre_box(32, 32, 0.5)  # 25% of the pixels
  prediction = target + np.where(mask[None] > 0.5, 4 / 255.0, 0.0)
  s = inpainting.inpaint_scores(_to_signed(prediction), _to_signed(target), mask)
  assert set(s) == set(inpainting.KEYS)
  np.testing.assert_allclose(s["psnr_hole"], 20 * np.log10(255 / 4), atol=1e-6)
  np.testing.assert_allclose(s["l1_hole"], 4 / 255.0, atol=1e-9)
  # Over the whole image the same error has a quarter of the MSE and of the L1.
  np.testing.assert_allclose(s["psnr_rgb"], 20 * np.log10(255 / 4) + 10 * np.log10(4), atol=1e-6)
  np.testing.assert_allclose(s["l1_rgb"], 1 / 255.0, atol=1e-9)
  assert (s["ssim_rgb"] < 1).all() and (s["ssim_rgb"] > 0.9).all()
  for value in s.values():
    assert value.dtype == np.float64 and value.shape == (2,)


def test_a_prediction_wrong_only_outside_the_hole_scores_perfectly():
  rng = np.random.default_rng(2)
  target = _to_signed(rng.integers(0, 256, (3, 24, 24, 3)) / 255.0)
  mask = masks.mask_batch("strokes", 3, 24, 24, seed=0)
  prediction = np.where(mask > 0.5, target, rng.uniform(-1, 1, target.shape))
  s = inpainting.inpaint_scores(prediction, target, mask)
  assert (s["l1_rgb"] == 0).all() and (s["l1_hole"] == 0).all()
  assert np.isinf(s["psnr_rgb"]).all() and np.isinf(s["psnr_hole"]).all()
  np.testing.assert_allclose(s["ssim_rgb"], 1.0, atol=1e-12)
  # Rounded to the uint8 grid first: 0.4 grey levels off in the hole is no error either.
  s = inpainting.inpaint_scores(prediction + 0.8 / 255.0 * mask, target, mask)
  assert np.isinf(s["psnr_hole"]).all()


def test_scores_refuse_soft_or_empty_masks():
  target = np.zeros((2, 16, 16, 3))
  with pytest.raises(ValueError, match="exactly 0"):
    inpainting.inpaint_scores(target, target, np.full((16, 16, 1), 0.5))
  empty = np.stack([masks.centre_box(16, 16), np.zeros((16, 16, 1), np.float32)])
  with pytest.raises(ValueError, match=r"images \[1\] have no hole"):
    inpainting.inpaint_scores(target, target, empty)
