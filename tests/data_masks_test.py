"""Inpainting masks: coverage of each kind, determinism, 0/1 values, scaling with the image
size, and user masks read from PNGs."""

import os

import numpy as np
import pytest

from conftest import write_image
from tfgan.data import DataError, masks


def _is_binary(m):
  return m.dtype == np.float32 and np.isin(m, (0.0, 1.0)).all()


def test_centre_box_covers_its_fraction_squared_exactly():
  m = masks.centre_box(64, 64, 0.5)
  assert m.shape == (64, 64, 1) and _is_binary(m)
  assert masks.coverage(m) == 0.25
  assert m[16:48, 16:48].all() and m.sum() == 32 * 32  # centred: pixels 16-47
  assert masks.coverage(masks.centre_box(40, 80, 0.25)) == (10 * 20) / (40 * 80)
  with pytest.raises(ValueError, match="fraction"):
    masks.centre_box(8, 8, 0.0)


def test_random_boxes_count_size_and_determinism():
  batch = masks.mask_batch("boxes", 100, 64, 48, seed=3)
  assert batch.shape == (100, 64, 48, 1) and _is_binary(batch)
  c = masks.coverage(batch)
  # One box of at least 0.1 x 0.1 of the sides, three of at most 0.4 x 0.4.
  assert (c >= 0.1 * 0.1 * 0.9).all() and (c <= 3 * 0.4 * 0.4 * 1.05).all()
  assert 0.05 < c.mean() < 0.25
  np.testing.assert_array_equal(masks.random_boxes(64, 48, [3, 7]), batch[7])
  assert not np.array_equal(batch[0], batch[1])


def test_strokes_coverage_is_the_same_at_64_and_256_px():
  c64 = masks.coverage(masks.mask_batch("strokes", 100, 64, 64, seed=0))
  c256 = masks.coverage(masks.mask_batch("strokes", 100, 256, 256, seed=0))
  # The documented range (free_form's docstring): 12-22% on average, each in 0.5-60%.
  for c in (c64, c256):
    assert 0.12 < c.mean() < 0.22 and c.min() > 0.005 and c.max() < 0.6
  # Scaled with the image: the same seed draws the same strokes shrunk, so the coverages
  # agree mask by mask, not only on average (unscaled 12-40 px brushes cover 48% of
  # a 64x64 image).
  assert abs(c64.mean() - c256.mean()) < 0.01
  assert np.abs(c64 - c256).mean() < 0.01
  small = masks.free_form(64, 64, [0, 5])[..., 0]
  shrunk = masks.free_form(256, 256, [0, 5])[..., 0].reshape(64, 4, 64, 4).mean(axis=(1, 3))
  assert np.abs(small - shrunk).mean() < 0.05


def test_masks_are_seeded_binary_and_differ_between_seeds():
  for kind in ("boxes", "strokes", "mixed"):
    a = masks.mask_batch(kind, 6, 32, 32, seed=1)
    assert _is_binary(a) and (masks.coverage(a) > 0).all()
    np.testing.assert_array_equal(a, masks.mask_batch(kind, 6, 32, 32, seed=1))
    np.testing.assert_array_equal(a[:4], masks.mask_batch(kind, 4, 32, 32, seed=1))
    b = masks.mask_batch(kind, 6, 32, 32, seed=2)
    assert all(not np.array_equal(a[i], b[i]) for i in range(6))
  centre = masks.mask_batch("centre", 3, 32, 32)
  assert (centre == masks.centre_box(32, 32)).all()
  with pytest.raises(ValueError, match="mask kind"):
    masks.mask_batch("circles", 1, 8, 8)


def test_mixed_alternates_boxes_and_strokes():
  mixed = masks.mask_batch("mixed", 4, 32, 32, seed=5)
  np.testing.assert_array_equal(mixed[0], masks.random_boxes(32, 32, [5, 0]))
  np.testing.assert_array_equal(mixed[1], masks.free_form(32, 32, [5, 1]))
  np.testing.assert_array_equal(mixed[2], masks.random_boxes(32, 32, [5, 2]))


def test_load_masks_thresholds_resizes_and_names_missing_files(tmp_path):
  folder = str(tmp_path / "masks")
  grey = np.zeros((8, 8, 1), np.uint8)
  grey[:, 4:] = 128   # the threshold itself is a hole
  grey[:, 3] = 127    # just below it is not
  write_image(os.path.join(folder, "a.png"), grey)
  rgb = np.zeros((4, 4, 3), np.uint8)
  rgb[:2, :2] = 255   # white top-left quarter, RGB file
  write_image(os.path.join(folder, "b.png"), rgb)
  got = masks.load_masks(folder, ["faces/a.jpg", "b.jpg"], 8)
  assert got.shape == (2, 8, 8, 1) and _is_binary(got)
  np.testing.assert_array_equal(got[0, :, :, 0], np.tile([0, 0, 0, 0, 1, 1, 1, 1], (8, 1)))
  expected = np.zeros((8, 8), np.float32)
  expected[:4, :4] = 1.0  # 4x4 -> 8x8 nearest: each pixel becomes 2x2, no grey edge
  np.testing.assert_array_equal(got[1, :, :, 0], expected)
  assert masks.load_masks(folder, ["a"], (4, 6)).shape == (1, 4, 6, 1)
  with open(os.path.join(folder, "c.png"), "wb") as f:
    f.write(b"not a png")
  with pytest.raises(DataError) as e:
    masks.load_masks(folder, ["a.jpg", "c.jpg", "d.jpg"], 8)
  message = str(e.value)
  assert "2 of 3" in message and "c.png is unreadable" in message
  assert f"d.jpg: no mask {os.path.join(folder, 'd')}.png" in message
  assert "a.jpg" not in message
  with pytest.raises(DataError, match="does not exist"):
    masks.load_masks(str(tmp_path / "nowhere"), ["a"], 8)
