import os

import numpy as np
import pytest
import tensorflow as tf

from tfgan import images


def test_to_uint8_maps_range_and_clips():
  out = images.to_uint8(np.array([-1.0, 0.0, 1.0, -2.0, 3.0]))
  np.testing.assert_array_equal(out, [0, 128, 255, 0, 255])
  assert out.dtype == np.uint8


def test_make_grid_places_tiles_in_row_major_order():
  tiles = np.stack([np.full((2, 3, 1), v, np.uint8) for v in (10, 20, 30, 40, 50)])
  grid = images.make_grid(tiles, padding=1)
  # 5 tiles -> 3 rows x 2 columns of 2x3 tiles with 1 px padding.
  assert grid.shape == (3 * 3 + 1, 2 * 4 + 1, 1)
  assert grid[1, 1, 0] == 10 and grid[1, 5, 0] == 20 and grid[4, 1, 0] == 30
  assert grid[7, 5, 0] == 0  # The sixth slot stays padding.
  assert grid[0, 0, 0] == 0


def test_save_png_round_trips_and_refuses_to_overwrite(tmp_path):
  img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
  path = str(tmp_path / "a.png")
  images.save_png(path, img)
  back = tf.io.decode_png(open(path, "rb").read()).numpy()
  np.testing.assert_array_equal(back, img)
  with pytest.raises(FileExistsError, match="a.png"):
    images.save_png(path, img)
  assert images.unique_path(path) == str(tmp_path / "a-1.png")
  with pytest.raises(ValueError):
    images.save_png(str(tmp_path / "b.png"), img.astype(np.float32))
