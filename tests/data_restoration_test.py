"""Super-resolution pairs: the one degradation, its split, and the paired augmentation."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import write_gradient_faces
from tfgan.data import DataError, pairs, restoration


def test_pairs_are_the_bicubic_downsampling_of_each_image(tmp_path):
  root = write_gradient_faces(str(tmp_path / "faces"), n=6, size=(24, 24))
  sr = restoration.open_sr_pairs(4, "folder", root, image_size=16, holdout=2,
                                 log=lambda line: None)
  assert sr.spec.input_shape == (4, 4, 3) and sr.spec.target_shape == (16, 16, 3)
  assert sr.spec.num_examples == 4
  for lr, hr in sr.examples().take(2):
    assert lr.dtype == tf.uint8
    # By hand: resize in [0, 1], bicubic with antialiasing, rounded to uint8.
    expected = tf.image.resize(tf.cast(hr, tf.float32) / 255.0, (4, 4), "bicubic",
                               antialias=True)
    expected = tf.cast(tf.round(tf.clip_by_value(expected, 0, 1) * 255.0), tf.uint8)
    np.testing.assert_array_equal(lr, expected)
  held = restoration.open_sr_pairs(4, "folder", root, image_size=16, holdout=2,
                                   split="holdout", log=lambda line: None)
  assert held.spec.num_examples == 2 and held.fingerprint() != sr.fingerprint()


def test_a_size_that_does_not_divide_by_the_scale_is_refused(tmp_path):
  root = write_gradient_faces(str(tmp_path / "faces"), n=3)
  with pytest.raises(DataError, match="--scale=8"):
    restoration.open_sr_pairs(8, "folder", root, image_size=20, log=lambda line: None)


def test_flips_and_transposes_keep_the_pair_exact():
  rng = np.random.default_rng(0)
  hr = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
  lr = pairs.downsample(tf.constant(hr), 4)
  seen = set()
  for s in range(16):
    a, b = restoration.flip_rotate(tf.cast(lr, tf.float32), tf.cast(hr, tf.float32),
                                   tf.constant([s, 7], tf.int32))
    # The augmented LR is the degradation of the augmented HR (up to uint8 rounding).
    redone = tf.cast(pairs.downsample(tf.cast(b, tf.uint8), 4), tf.float32)
    assert float(tf.reduce_max(tf.abs(redone - a))) <= 1.0
    seen.add(b.numpy().tobytes())
  assert len(seen) >= 5  # several of the 8 symmetries are drawn
  wide = tf.zeros((8, 16, 3))
  assert restoration.flip_rotate(tf.zeros((2, 4, 3)), wide, tf.constant([1, 2]))[1].shape == \
      (8, 16, 3)  # non-square images are flipped, never transposed
