"""Pairs for super-resolution: (LR, HR) derived from any image source by one degradation,
and their training augmentation.

The degradation, stated once (tfgan.data.pairs.downsample): HR is the image as the data
source frames it (its crop and --image_size), LR = tf.image.resize(HR, HR size / scale,
bicubic, antialias=True) in [0, 1], rounded to uint8 as a saved PNG would be. Training,
evaluation, `tfgan.translate --derive` and the bicubic baseline all use it.
"""

import hashlib
import os

import tensorflow as tf

from tfgan.data import decode, folder
from tfgan.data.errors import DataError
from tfgan.data.pairs import PairSource, PairSpec, _split, downsample
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


class _FullSizeImages(PairSource):
  """The files of a folder at their own size (sorted by path, split by holdout), each decoded
  once by the constructor: unreadable files and, with `min_side`, images too small are
  refused by name."""

  def __init__(self, data_dir, scale, channels, holdout, split, min_side, kind):
    index = folder.index_folder(data_dir)
    paths = [p.decode() for p in index.paths.numpy()]
    paths = [paths[i] for i in _split(list(range(len(paths))), holdout, split, data_dir)]
    bad, reasons = folder.find_unreadable(tf.constant(paths), channels)
    if len(bad):
      listing = "\n".join(f"  {p}: {r}" for p, r in reasons)
      raise DataError(f"{len(bad)} of {len(paths)} files in {data_dir} are not readable "
                      f"images:\n{listing}")
    small = []
    for path in paths:
      shape = tf.io.extract_jpeg_shape(tf.io.read_file(path)) if path.lower().endswith(
          (".jpg", ".jpeg")) else tf.shape(decode.decode_image(tf.io.read_file(path), channels))
      if min(int(shape[0]), int(shape[1])) < min_side:
        small.append(f"  {path}: {int(shape[1])}x{int(shape[0])}")
    if small:
      raise DataError(f"{len(small)} images in {data_dir} are smaller than {min_side} px on "
                      f"a side ({kind}):\n" + "\n".join(small[:20]))
    self.paths, self.scale, self.channels = tf.constant(paths), int(scale), int(channels)
    self.digest = hashlib.sha1("|".join(f"{p}:{os.path.getsize(p)}" for p in paths).encode())

  def fingerprint(self):
    return self.digest.hexdigest()[:16]

  def _decoded(self, shuffle_seed):
    ds = tf.data.Dataset.from_tensor_slices(self.paths)
    if shuffle_seed is not None:
      ds = ds.shuffle(len(self.paths), seed=shuffle_seed)
    channels = self.channels
    return ds.map(lambda p: decode.decode_image(tf.io.read_file(p), channels),
                  num_parallel_calls=tf.data.AUTOTUNE)


class PatchPairs(_FullSizeImages):
  """DIV2K-style training pairs: on every pass, a new random patch x patch HR crop of each
  full-size image of a folder (BasicSR's gt_size), and its degradation. Never cached: the
  crops change each epoch."""
  cacheable = False

  def __init__(self, data_dir, patch, scale, channels=3, holdout=0, split="train"):
    if patch % scale:
      raise DataError(f"--patch_size={patch} does not divide by --scale={scale}.")
    super().__init__(data_dir, scale, channels, holdout, split, patch,
                     f"--patch_size={patch} crops")
    self.patch = int(patch)
    name = os.path.basename(os.path.normpath(data_dir))
    self.spec = PairSpec(name, (patch // scale, patch // scale, channels),
                         (patch, patch, channels), len(self.paths.numpy()), data_dir,
                         f"patches{patch}_x{scale}")

  def examples(self, shuffle_seed=None):
    patch, scale, c = self.patch, self.scale, self.channels

    def crop(image):
      # A stateful draw: each pass over the data crops elsewhere.
      hr = tf.image.random_crop(image, [patch, patch, c])
      return downsample(hr, scale), hr

    return self._decoded(shuffle_seed).map(crop, num_parallel_calls=tf.data.AUTOTUNE)


class WholeImagePairs(_FullSizeImages):
  """Evaluation pairs of whole images of any size (Set5, Set14, DIV2K's validation set): HR is
  each image cropped at its bottom and right to a multiple of the scale (BasicSR's mod_crop),
  LR its degradation. Shapes vary: evaluated one image at a time, never cached."""
  cacheable = False

  def __init__(self, data_dir, scale, channels=3, holdout=0, split="train"):
    super().__init__(data_dir, scale, channels, holdout, split, scale * 11,
                     "SSIM's 11x11 window on the LR side")
    name = os.path.basename(os.path.normpath(data_dir))
    self.spec = PairSpec(name, (None, None, channels), (None, None, channels),
                         len(self.paths.numpy()), data_dir, f"whole_x{scale}")

  def examples(self, shuffle_seed=None):
    scale = self.scale

    def pair(image):
      size = tf.shape(image)[:2] // scale * scale
      hr = image[:size[0], :size[1]]
      return downsample(hr, scale), hr

    return self._decoded(shuffle_seed).map(pair, num_parallel_calls=tf.data.AUTOTUNE)


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
