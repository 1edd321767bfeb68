"""Pairs for inpainting: (image + mask, image), from any image source and the masks of
tfgan.data.masks.

Layout, stated once (tfgan.networks.gated reads it): the input is uint8 [H, W, C + 1], the
image with its hole painted black (0) in channels :C and the mask as channel C, 255 = hole,
0 = known (a white-is-hole PNG); mapped to [-1, 1] by the pair pipeline like any image, the
mask channel is then -1 (known) / +1 (hole). The target is the image, uint8 [H, W, C].

Evaluation pairs take fixed masks: mask i of `masks.mask_batch(kind, N, H, W, seed)` for image
i of the split in file order, so every run and baseline is scored on the same holes. Training
draws a mask per example from a bank of `bank_size` masks of its kind (seeded), each flipped
left-right and up-down at random: DeepFill v2 draws a new mask per example; a bank of a few
thousand, times 4 flips, is as varied for a run of this project's length and costs no Python
in the input pipeline.
"""

import hashlib

import numpy as np
import tensorflow as tf

from tfgan.data import masks as masks_lib
from tfgan.data.pairs import PairSource, PairSpec  # noqa: F401  PairSpec: for families
from tfgan.data.pipeline import make_dataset

MASK_CHANNEL_HOLE = 255  # uint8 value of a hole in the input's mask channel


def masked_input(image, mask):
  """uint8 [H, W, C] image and float/uint8 mask [H, W, 1] in {0, 1} -> uint8 [H, W, C + 1]:
  the image with the hole set to 0, and the mask (255 = hole) as its last channel. Also for
  batches [N, H, W, ...]."""
  hole = tf.cast(mask, tf.float32) > 0.5
  image = tf.convert_to_tensor(image, tf.uint8)
  painted = tf.where(hole, tf.zeros_like(image), image)
  return tf.concat([painted, tf.cast(hole, tf.uint8) * MASK_CHANNEL_HOLE], axis=-1)


def split_input(x):
  """float [B, H, W, C + 1] in [-1, 1] (the pipeline's input) -> (images [B, H, W, C] in
  [-1, 1], hole black; masks float32 [B, H, W, 1] in {0, 1})."""
  x = tf.convert_to_tensor(x, tf.float32)
  return x[..., :-1], tf.cast(x[..., -1:] > 0.0, tf.float32)


class MaskedPairs(PairSource):
  """(masked_input(image, mask_i), image) for image i of an image Source, in its order.

  masks: uint8 or float [N, H, W, 1] in {0, 1}, N the source's image count (fixed masks:
  evaluation); `describe` says where they came from (e.g. 'centre masks, seed 0')."""

  def __init__(self, source, masks, describe):
    shape = source.spec.image_shape
    masks = np.asarray(masks)
    if masks.ndim != 4 or masks.shape[1:] != shape[:2] + (1,):
      raise ValueError(f"masks must be [N, {shape[0]}, {shape[1]}, 1] for {shape} images, got "
                       f"{masks.shape}.")
    if source.spec.num_examples is not None and len(masks) != source.spec.num_examples:
      raise ValueError(f"{len(masks)} masks for {source.spec.num_examples} images.")
    self.source, self.masks = source, (masks > 0.5).astype(np.uint8)
    self.describe = describe
    self.spec = PairSpec(source.spec.name, shape[:2] + (shape[-1] + 1,), shape,
                         source.spec.num_examples, source.spec.origin, f"inpaint ({describe})")

  def examples(self, shuffle_seed=None):
    if shuffle_seed is not None:
      raise ValueError("MaskedPairs hold fixed evaluation masks, in file order; training "
                       "draws its masks with `train_dataset`.")
    masks = tf.data.Dataset.from_tensor_slices(self.masks)
    images = self.source.examples().map(lambda x, y: x)
    return tf.data.Dataset.zip((images, masks)).map(
        lambda x, m: (masked_input(x, m), x), num_parallel_calls=tf.data.AUTOTUNE)

  def fingerprint(self):
    h = hashlib.sha1(f"{self.describe}|{self.source.fingerprint()}".encode())
    h.update(self.masks.tobytes())
    return h.hexdigest()[:16]


def eval_pairs(source, kind, seed=0, **sizes):
  """MaskedPairs of `source` with mask i = masks.mask_batch(kind, N, H, W, seed, **sizes)[i]
  (sizes: centre_fraction, box_max_fraction)."""
  n = source.spec.num_examples
  h, w = source.spec.image_shape[:2]
  named = "".join(f", {k} {v:g}" for k, v in sorted(sizes.items()))
  return MaskedPairs(source, masks_lib.mask_batch(kind, n, h, w, seed, **sizes),
                     f"{kind} masks, seed {seed}{named}")


def mask_bank(kind, size, h, w, seed, **sizes):
  """uint8 [size, h, w, 1] in {0, 1}: the training masks (masks.mask_batch of `kind`)."""
  return masks_lib.mask_batch(kind, size, h, w, seed, **sizes).astype(np.uint8)


def _random_masks(bank, batch_size, seed):
  """float32 [B, H, W, 1]: masks drawn from `bank` (a uint8 tensor) with stateless seed int32
  [2], each flipped left-right and up-down with probability 1/2."""
  seeds = tf.random.experimental.stateless_split(seed, 3)
  index = tf.random.stateless_uniform([batch_size], seeds[0], 0, tf.shape(bank)[0], tf.int32)
  m = tf.cast(tf.gather(bank, index), tf.float32)
  flip_lr = tf.random.stateless_uniform([batch_size, 1, 1, 1], seeds[1]) < 0.5
  flip_ud = tf.random.stateless_uniform([batch_size, 1, 1, 1], seeds[2]) < 0.5
  m = tf.where(flip_lr, tf.reverse(m, [2]), m)
  return tf.where(flip_ud, tf.reverse(m, [1]), m)


def train_dataset(source, bank, batch_size, shuffle_buffer=10000, seed=0, cache="auto",
                  cache_dir="", flip=False):
  """Endless batches (input float32 [B, H, W, C + 1], target float32 [B, H, W, C]) in [-1, 1]
  (the layout of the module docstring) of `source`'s images with masks drawn from `bank`
  (uint8 [K, H, W, 1]); `flip`: also flip each image left-right at random (faces are nearly
  symmetric)."""
  bank = tf.constant(np.asarray(bank, np.uint8))
  images = make_dataset(source, batch_size, shuffle_buffer=shuffle_buffer, seed=seed,
                        cache=cache, cache_dir=cache_dir)
  seeds = tf.data.Dataset.random(seed).batch(2)

  def pair(batch, s):
    x = batch[0]
    s = tf.cast(s % (2**31 - 1), tf.int32)
    if flip:
      mirror = tf.random.stateless_uniform([batch_size, 1, 1, 1], s[::-1]) < 0.5
      x = tf.where(mirror, tf.reverse(x, [2]), x)
    m = _random_masks(bank, batch_size, s)
    # The same layout as masked_input's, in [-1, 1]: hole black (-1), mask channel 2 m - 1.
    return tf.concat([tf.where(m > 0.5, -tf.ones_like(x), x), 2.0 * m - 1.0], axis=-1), x

  return tf.data.Dataset.zip((images, seeds)).map(
      pair, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
