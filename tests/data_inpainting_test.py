"""Inpainting pairs: the input layout, fixed evaluation masks in file order, and training
batches whose masks come from the bank."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import write_gradient_faces
from tfgan import config as config_lib
from tfgan.data import inpainting, masks, open_source
from tfgan.models import inpaint


def _source(tmp_path, n=6, size=16):
  root = write_gradient_faces(str(tmp_path / "faces"), n=n, size=(size, size))
  return open_source("folder", "train", root, image_size=size)


def test_the_input_is_the_image_with_a_black_hole_and_a_white_is_hole_mask_channel():
  image = np.full((4, 4, 3), 200, np.uint8)
  mask = np.zeros((4, 4, 1), np.float32)
  mask[1:3, 1:3] = 1
  x = inpainting.masked_input(image, mask).numpy()
  assert x.shape == (4, 4, 4) and x.dtype == np.uint8
  assert (x[1:3, 1:3, :3] == 0).all() and (x[0, :, :3] == 200).all()
  np.testing.assert_array_equal(x[..., 3], mask[..., 0] * 255)
  known, hole = inpainting.split_input(x[None].astype(np.float32) / 127.5 - 1)
  np.testing.assert_array_equal(hole.numpy()[0], mask)
  assert known.shape == (1, 4, 4, 3)


def test_evaluation_pairs_take_mask_i_of_the_seeded_batch_for_image_i(tmp_path):
  source = _source(tmp_path)
  pairs = inpainting.eval_pairs(source, "strokes", seed=3)
  assert pairs.spec.input_shape == (16, 16, 4) and pairs.spec.target_shape == (16, 16, 3)
  expected = masks.mask_batch("strokes", 6, 16, 16, 3)
  images = [x.numpy() for x, _ in source.examples()]
  for i, (x, y) in enumerate(pairs.examples()):
    np.testing.assert_array_equal(x.numpy()[..., 3:] // 255, expected[i].astype(np.uint8))
    np.testing.assert_array_equal(y.numpy(), images[i])
  again = inpainting.eval_pairs(source, "strokes", seed=3)
  assert again.fingerprint() == pairs.fingerprint()
  assert inpainting.eval_pairs(source, "strokes", seed=4).fingerprint() != pairs.fingerprint()
  with pytest.raises(ValueError, match="masks must be"):
    inpainting.MaskedPairs(source, np.zeros((6, 8, 8, 1)), "wrong size")


def test_training_batches_hold_flips_of_bank_masks_in_the_input_layout(tmp_path):
  source = _source(tmp_path)
  bank = inpainting.mask_bank("boxes", 5, 16, 16, seed=1)
  variants = [np.flip(np.flip(m, 0) if ud else m, 1) if lr else (np.flip(m, 0) if ud else m)
              for m in bank for lr in (0, 1) for ud in (0, 1)]
  ds = inpainting.train_dataset(source, bank, 4, seed=0, flip=True)
  images = {x.numpy().tobytes() for x, _ in source.examples()}
  for x, y in ds.take(3):
    x, y = x.numpy(), y.numpy()
    assert x.shape == (4, 16, 16, 4) and y.shape == (4, 16, 16, 3)
    m = (x[..., 3:] > 0).astype(np.uint8)
    assert set(np.unique(x[..., 3])) <= {-1.0, 1.0}
    for k in range(4):
      assert any(np.array_equal(m[k], v) for v in variants)
      np.testing.assert_array_equal(x[k, ..., :3][m[k, ..., 0] == 1], -1.0)
      np.testing.assert_array_equal(x[k, ..., :3][m[k, ..., 0] == 0], y[k][m[k, ..., 0] == 0])
      as_uint8 = np.round((y[k] + 1) * 127.5).astype(np.uint8)
      assert (as_uint8.tobytes() in images or
              np.flip(as_uint8, 1).tobytes() in images)  # the image, or its mirror


def test_the_training_bank_alternates_the_kinds_of_a_comma_list():
  config = config_lib.make(family="inpaint", network="gated", mask_kind="centre,strokes",
                           mask_bank=6, seed=2)
  bank = inpaint.training_masks(config, 16, 16)
  assert bank.shape == (6, 16, 16, 1) and bank.dtype == np.uint8
  for i in (0, 2, 4):
    np.testing.assert_array_equal(bank[i], masks.centre_box(16, 16))
  assert not np.array_equal(bank[1], bank[3])
  np.testing.assert_array_equal(bank[1::2], masks.mask_batch("strokes", 3, 16, 16, [2, 1]))
  with pytest.raises(ValueError, match="mask_kind must be one of"):
    inpaint.mask_kinds("centre,stars")


def test_mask_sizes_reach_the_bank_and_the_evaluation_masks(tmp_path):
  config = config_lib.make(family="inpaint", network="gated", mask_kind="centre,boxes",
                           mask_bank=40, centre_fraction=0.25, box_max_fraction=0.2)
  bank = inpaint.training_masks(config, 16, 16)
  assert masks.coverage(bank[0]) == pytest.approx(1 / 16)  # a 4x4 hole in 16x16
  # At most 3 boxes of at most round(0.2 * 16) = 3 px a side: 27 of 256 pixels.
  assert masks.coverage(bank[1::2]).max() <= 27 / 256 < masks.coverage(
      inpaint.training_masks(config.replace(box_max_fraction=0.4), 16, 16)[1::2]).max()
  pairs = inpaint.InpaintingFamily()._pairs(config.replace(
      dataset="folder", data_dir=write_gradient_faces(str(tmp_path / "f"), 4, (16, 16)),
      image_size=16), "train")
  x, _ = next(iter(pairs.examples()))
  assert (x.numpy()[..., 3] > 0).mean() == pytest.approx(1 / 16)
