"""The training pipeline: (cache), shuffle, repeat, batch, scale to [-1, 1], prefetch."""

import glob
import hashlib
import os
from typing import Optional, Union

import numpy as np
import tensorflow as tf

from tfgan.config import CACHE_CHOICES
from tfgan.data.errors import DataError
from tfgan.data.sources import Source, open_source

# 'auto' caches decoded examples in memory up to this size (bytes); larger sets stream.
AUTO_CACHE_LIMIT = 2 * 2**30


def resolve_cache(cache: str, source: Source) -> str:
  """'memory', 'file' or 'none' for `cache` (one of CACHE_CHOICES) and this source.

  Arrays already in memory are never cached again. 'auto' caches in memory when the decoded
  examples (H*W*C bytes each) fit in AUTO_CACHE_LIMIT, and streams otherwise.
  """
  if cache not in CACHE_CHOICES:
    raise DataError(f"cache must be one of {CACHE_CHOICES}, got {cache!r}.")
  if source.in_memory:
    return "none"
  if cache != "auto":
    return cache
  n = source.spec.num_examples
  if n is None:
    return "memory"
  return "memory" if n * int(np.prod(source.spec.image_shape)) <= AUTO_CACHE_LIMIT else "none"


def _cache_file(cache_dir: str, source: Source) -> str:
  """A cache file name that changes with every setting that changes the cached tensors."""
  spec = source.spec
  key = repr((spec.name, os.path.abspath(spec.origin), spec.image_shape, spec.num_examples,
              source.crop_fraction, spec.class_names)).encode()
  prefix = os.path.join(cache_dir, f"{spec.name}_{hashlib.sha1(key).hexdigest()[:12]}")
  data_dir = os.path.abspath(spec.origin) + os.sep
  if os.path.abspath(prefix).startswith(data_dir):
    raise DataError(f"cache directory {cache_dir!r} is inside the data folder {spec.origin!r}; "
                    f"tfgan never writes there. Choose another place.")
  # A run killed while writing leaves a lock file and partial shards that would make
  # tf.data refuse ("cache lockfile already exists"): the directory is this run's own.
  if glob.glob(prefix + "*.lockfile"):
    for stale in glob.glob(prefix + "*"):
      os.remove(stale)
  os.makedirs(cache_dir, exist_ok=True)
  return prefix


def to_float(images):
  """uint8 [..., H, W, C] in [0, 255] -> float32 in [-1, 1]."""
  return tf.cast(images, tf.float32) / 127.5 - 1.0


def make_dataset(source: Union[str, Source], batch_size: int, split: str = "train",
                 shuffle_buffer: int = 60000, seed: Optional[int] = None, repeat: bool = True,
                 cache: str = "auto", cache_dir: str = "", drop_remainder: bool = True,
                 **source_options) -> tf.data.Dataset:
  """Batched training examples.

  Args:
    source: a Source, or a DATASETS name opened with `split` and `source_options` (data_dir,
      tfds_dir, image_size, crop_fraction, channels, skip_bad_images).
    batch_size: global batch size; batches are static-shaped unless drop_remainder is False
      (evaluation passes that must see every example).
    shuffle_buffer: examples held for shuffling decoded images (capped at the dataset size);
      streamed folders shuffle all file names instead.
    seed: shuffle seed; None for a nondeterministic order.
    cache: one of CACHE_CHOICES; 'file' writes under `cache_dir` (never into the data folder).
  Returns:
    Dataset of (images float32 [batch_size, H, W, C] in [-1, 1], labels int32 [batch_size]).
  """
  if isinstance(source, str):
    source = open_source(source, split, **source_options)
  mode = resolve_cache(cache, source)
  n = source.spec.num_examples
  buffer = min(shuffle_buffer, n) if n else shuffle_buffer
  if mode == "none" and source.file_shuffle:
    ds = source.examples(shuffle_seed=seed if seed is not None else np.random.randint(2**31))
  else:
    ds = source.examples()
    if mode == "memory":
      ds = ds.cache()
    elif mode == "file":
      if not cache_dir:
        raise DataError("cache='file' needs a cache_dir (the trainer uses WORKDIR/data_cache).")
      ds = ds.cache(_cache_file(cache_dir, source))
    ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
  if repeat:
    ds = ds.repeat()
  ds = ds.batch(batch_size, drop_remainder=drop_remainder)
  # Scaling after batching runs one vectorised op per batch instead of one per image.
  ds = ds.map(lambda x, y: (to_float(x), tf.cast(y, tf.int32)),
              num_parallel_calls=tf.data.AUTOTUNE)
  return ds.prefetch(tf.data.AUTOTUNE)
