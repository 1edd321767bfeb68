"""Pairs for super-resolution: (LR, HR) derived from any image source by one degradation,
and their training augmentation.

The degradation, stated once (tfgan.data.pairs.downsample): HR is the image as the data
source frames it (its crop and --image_size), LR = tf.image.resize(HR, HR size / scale,
bicubic, antialias=True) in [0, 1], rounded to uint8 as a saved PNG would be. Training,
evaluation, `tfgan.translate --derive` and the bicubic baseline all use it.
"""

import hashlib

import tensorflow as tf

from tfgan.data.errors import DataError
from tfgan.data.pairs import PairSource, PairSpec, downsample
from tfgan.data.sources import open_source


class DownsampledPairs(PairSource):
  """(downsample(HR, scale) uint8 [H/s, W/s, C], HR uint8 [H, W, C]) for each image of an image
  Source (tfgan.data.sources); H and W must be multiples of the scale."""

  def __init__(self, source, scale):
    h, w, c = source.spec.image_shape
    if h % scale or w % scale:
      raise DataError(f"{source.spec.origin}: images of {w}x{h} px do not divide by "
                      f"--scale={scale}; choose an --image_size that is a multiple of it.")
    self.source, self.scale = source, int(scale)
    self.spec = PairSpec(source.spec.name, (h // scale, w // scale, c), (h, w, c),
                         source.spec.num_examples, source.spec.origin, f"downsample_x{scale}")

  def examples(self, shuffle_seed=None):
    scale = self.scale
    return self.source.examples(shuffle_seed).map(
        lambda x, y: (downsample(x, scale), x), num_parallel_calls=tf.data.AUTOTUNE)

  def fingerprint(self):
    return hashlib.sha1(f"x{self.scale}|{self.source.fingerprint()}".encode()).hexdigest()[:16]


def open_sr_pairs(scale, dataset="folder", data_dir="", tfds_dir="", image_size=0,
                  crop_fraction=0.0, channels=0, holdout=0, split="train",
                  skip_bad_images=False, log=print) -> DownsampledPairs:
  """The (LR, HR) pairs of one split ('train', or 'holdout': the last `holdout` files sorted
  by path) of `dataset`, opened as tfgan.data.open_source does; image files are decoded once
  here (DataError names unreadable ones)."""
  source = open_source(dataset, split, data_dir, tfds_dir, image_size, crop_fraction, channels,
                       skip_bad_images, log=log, holdout=holdout)
  if hasattr(source, "check"):
    source.check()
  return DownsampledPairs(source, scale)


def flip_rotate(lr, hr, seed):
  """BasicSR's paired augmentation: a random left-right flip, a random up-down flip and a
  random transpose of square images (together the 8 symmetries of the square), the same for LR and HR.
  lr [h, w, C], hr [H, W, C] float; seed int32 [2] (stateless). The bicubic degradation
  commutes with these symmetries, so the pair stays an exact (degraded, original) pair."""
  coins = tf.random.stateless_uniform([3], seed) < 0.5

  def apply(x):
    x = tf.cond(coins[0], lambda: tf.reverse(x, [1]), lambda: x)
    x = tf.cond(coins[1], lambda: tf.reverse(x, [0]), lambda: x)
    return tf.cond(coins[2], lambda: tf.transpose(x, [1, 0, 2]), lambda: x) if square else x

  # Non-square images are only flipped: a transpose would change their shape.
  square = hr.shape[0] is not None and hr.shape[0] == hr.shape[1]
  return apply(lr), apply(hr)
