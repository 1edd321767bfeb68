"""Dataset sources: which datasets exist, where their examples come from, and their shapes.

`open_source(name, ...)` returns a Source whose `spec` (shapes, classes) is known before any
image is decoded, and whose `examples()` is an unbatched tf.data.Dataset of
(uint8 [H, W, C] in [0, 255], int32 label). Local files are only ever read.
"""

import dataclasses
import hashlib
import os
from typing import Callable, Optional, Tuple

import numpy as np
import tensorflow as tf

from tfgan import downloads
from tfgan.config import CACHE_CHOICES
from tfgan.data import cifar, decode, folder, idx
from tfgan.data.errors import DataError, DataUnavailableError


@dataclasses.dataclass(frozen=True)
class DataSpec:
  """What a model needs to know about a dataset.

  image_shape: (H, W, C) of the examples; num_classes: 0 when unlabelled; class_names: the
  label names when known (label i is class_names[i]); num_examples: None when unknown;
  class_shares: the share of each class among the examples when known (clusters), else ().
  """
  name: str
  image_shape: Tuple[int, int, int]
  num_classes: int
  class_names: Tuple[str, ...] = ()
  num_examples: Optional[int] = None
  origin: str = ""
  class_shares: Tuple[float, ...] = ()


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """A registry entry. `native_shape` is None for datasets resized to `image_size`."""
  native_shape: Optional[Tuple[int, int, int]]
  num_classes: int
  tfds_name: str
  local_files: str  # Shown in error messages: what a local data_dir must hold.
  load_local: Optional[Callable] = None  # (data_dir, split) -> (uint8 images, int32 labels)
  crop_fraction: float = 1.0
  default_size: int = 64
  tfds_image_key: str = ""  # Set when TFDS yields dicts rather than (image, label) pairs.


DATASETS = {
    "mnist": DatasetInfo((28, 28, 1), 10, "mnist",
                         "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                         "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz",
                         load_local=idx.load_idx_split),
    "fashion_mnist": DatasetInfo((28, 28, 1), 10, "fashion_mnist",
                                 "the four Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, "
                                 "...), named as in the MNIST release",
                                 load_local=idx.load_idx_split),
    "cifar10": DatasetInfo((32, 32, 3), 10, "cifar10", cifar.LOCAL_FILES,
                           load_local=cifar.load_cifar10_split),
    "celeb_a": DatasetInfo(None, 0, "celeb_a",
                           "the aligned CelebA JPEGs (img_align_celeba/, from the official or "
                           "the Kaggle archive)", crop_fraction=decode.CELEBA_CROP_FRACTION,
                           tfds_image_key="image"),
    "folder": DatasetInfo(None, 0, "", "images (jpg/jpeg/png/bmp/gif), optionally in one "
                          "sub-folder per class"),
}


class Source:
  """Examples of one split: `spec` plus `examples(shuffle_seed)`; see the module docstring."""
  spec: DataSpec
  in_memory = False  # True: examples are already decoded arrays, caching would copy them.
  file_shuffle = False  # True: examples(shuffle_seed) shuffles files fully before decoding.
  crop_fraction = None  # The centre crop applied while decoding (None: none), for cache keys.

  def fingerprint(self) -> str:
    """A digest of everything that decides the examples: the spec (dataset, shape, classes,
    count, origin), the crop, and the data itself (file list with sizes and modification
    times, or the array bytes). Equal fingerprints mean equal real images."""
    spec = self.spec
    h = hashlib.sha1(repr((spec.name, spec.image_shape, spec.num_classes, spec.class_names,
                           spec.num_examples, spec.origin, self.crop_fraction,
                           type(self).__name__)).encode())
    self._hash_data(h)
    return h.hexdigest()[:16]

  def _hash_data(self, h) -> None:
    """Adds the data's identity to hash `h`."""

  def examples(self, shuffle_seed=None) -> tf.data.Dataset:
    """Unbatched (uint8 [H, W, C] in [0, 255], int32 label) of the split, each example once.

    shuffle_seed: used by sources with `file_shuffle` to shuffle all files before decoding
    (reshuffled on every repetition); other sources ignore it and are shuffled downstream.
    """
    raise NotImplementedError


class ArraySource(Source):
  """Decoded arrays in memory (IDX and CIFAR files): images uint8 [N, H, W, C], labels
  int32 [N]."""
  in_memory = True

  def __init__(self, spec, images, labels):
    self.spec, self.images, self.labels = spec, images, labels

  def _hash_data(self, h):
    h.update(np.ascontiguousarray(self.images).tobytes())
    h.update(np.ascontiguousarray(self.labels).tobytes())

  def examples(self, shuffle_seed=None):
    return tf.data.Dataset.from_tensor_slices((self.images, self.labels))


class TFDSSource(Source):
  """A tensorflow-datasets split, downloaded and prepared by TFDS on first use."""

  def __init__(self, spec, info, split, tfds_dir, size, crop_fraction):
    self.spec, self._info, self._split, self._tfds_dir = spec, info, split, tfds_dir
    self._size, self.crop_fraction = size, crop_fraction

  def _hash_data(self, h):
    # TFDS datasets are versioned releases: their name and split identify the data.
    h.update(repr((self._info.tfds_name, self._split)).encode())

  def check_available(self):
    """Raises DataUnavailableError within seconds when TFDS would have to download the
    dataset and its host cannot be reached, naming the offline way (--data_dir)."""
    import tensorflow_datasets as tfds  # Slow to import; only this path needs it.
    info = self._info
    from absl import logging as absl_logging
    # TFDS warns about a half-downloaded folder left by an earlier attempt; the message below
    # says what matters. The log level is put back at once.
    previous = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
    try:
      builder = tfds.builder(info.tfds_name, data_dir=self._tfds_dir or None)
      prepared = builder.is_prepared()
    finally:
      absl_logging.set_verbosity(previous)
    if prepared:
      return
    host = downloads.TFDS_HOSTS.get(info.tfds_name)
    reason = downloads.unreachable(host) if host else None
    if reason:
      raise DataUnavailableError(
          f"{info.tfds_name!r} is not in tensorflow-datasets' folder ({builder.data_dir}) and "
          f"its download host {host} cannot be reached ({reason}). Offline, pass "
          f"--data_dir=FOLDER holding {info.local_files} (make train DATA_DIR=FOLDER).")

  def examples(self, shuffle_seed=None):
    import tensorflow_datasets as tfds  # Slow to import; only this path needs it.
    info = self._info
    try:
      ds = tfds.load(info.tfds_name, split=self._split, data_dir=self._tfds_dir or None,
                     as_supervised=not info.tfds_image_key, download=True)
    except Exception as e:  # tfds raises many types for a failed download.
      raise DataUnavailableError(
          f"tensorflow-datasets could not provide {info.tfds_name!r} ({type(e).__name__}: "
          f"{e}). Without network, download the original files elsewhere and pass "
          f"--data_dir=FOLDER holding {info.local_files} (make train DATA_DIR=FOLDER).") from e
    if info.tfds_image_key:
      size, crop, key = self._size, self.crop_fraction, info.tfds_image_key

      def prepare(example):
        return decode.crop_resize_uint8(example[key], size, crop), tf.constant(0)

      ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return ds


class FolderSource(Source):
  """Image files, decoded and centre-cropped in parallel by tf.data; see tfgan.data.folder.

  Files that do not decode are found by `check()` (one parallel decoding pass), which
  `examples()` runs first: they raise DataError, or are dropped when skip_bad is set.
  """
  file_shuffle = True

  def __init__(self, spec, index, size, crop_fraction, channels, skip_bad, log=print):
    self.spec, self.index = spec, index
    self._size, self.crop_fraction = size, crop_fraction
    self._channels, self._skip_bad = channels, skip_bad
    self._log = log
    self._checked = None

  def _hash_data(self, h):
    # Paths, sizes and modification times: a changed, added or removed file changes it.
    for path in self.index.paths.numpy():
      stat = os.stat(path)
      h.update(path + b"|%d|%d|" % (stat.st_size, stat.st_mtime_ns))
    h.update(repr((self._channels, self._skip_bad)).encode())

  def check(self):
    """Returns (paths, labels) of the readable files; raises DataError for unreadable ones
    unless skip_bad."""
    if self._checked is None:
      index = self.index
      bad, reasons = folder.find_unreadable(index.paths, self._channels)
      paths, labels = index.paths, index.labels
      if len(bad):
        listing = "\n".join(f"  {p}: {r}" for p, r in reasons)
        more = f"\n  ... and {len(bad) - len(reasons)} more" if len(bad) > len(reasons) else ""
        if not self._skip_bad:
          raise DataError(f"{index.root}: {len(bad)} of {index.size} image files cannot be "
                          f"decoded:\n{listing}{more}\nRemove them, or pass "
                          f"--skip_bad_images to train without them.")
        if len(bad) == index.size:
          # Skipping every file would train on nothing and export an untrained generator.
          raise DataError(f"{index.root}: none of its {index.size} image files can be decoded, "
                          f"so --skip_bad_images leaves nothing to train on:\n{listing}{more}")
        keep = np.ones(index.size, bool)
        keep[bad] = False
        paths, labels = tf.boolean_mask(paths, keep), labels[keep]
        self._log(f"tfgan: skipped {len(bad)} unreadable files of {index.size} in "
                  f"{index.root}:\n{listing}{more}")
      self._checked = (paths, labels)
    return self._checked

  def examples(self, shuffle_seed=None):
    paths, labels = self.check()
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    if shuffle_seed is not None:
      # A full shuffle of file names costs ~100 bytes a file, so the images can stream.
      ds = ds.shuffle(int(paths.shape[0]), seed=shuffle_seed, reshuffle_each_iteration=True)
    size, crop, channels = self._size, self.crop_fraction, self._channels
    return ds.map(lambda p, y: (decode.load_and_preprocess(p, size, crop, channels), y),
                  num_parallel_calls=tf.data.AUTOTUNE)


def check_settings(name: str, image_size: int = 0, crop_fraction: float = 0.0,
                   channels: int = 0, cache: str = "auto") -> Tuple[int, float, int]:
  """Checks dataset settings without opening any file; returns the resolved (image size,
  crop fraction, channels). Raises DataError naming the setting at fault."""
  if name not in DATASETS:
    raise DataError(f"Unknown dataset {name!r}: dataset must be one of {sorted(DATASETS)}.")
  if cache not in CACHE_CHOICES:
    raise DataError(f"cache must be one of {CACHE_CHOICES}, got {cache!r}.")
  if image_size < 0:
    raise DataError(f"image_size must be >= 0 (0: the dataset's default), got {image_size!r}.")
  if not 0.0 <= crop_fraction <= 1.0:
    raise DataError(f"crop_fraction must be in [0, 1] (0: the dataset's default), got "
                    f"{crop_fraction!r}.")
  info = DATASETS[name]
  if info.native_shape is not None:
    if image_size and image_size != info.native_shape[0]:
      raise DataError(f"{name} images are {info.native_shape[0]} pixels; image_size must be 0 "
                      f"or {info.native_shape[0]}, got {image_size}.")
    if crop_fraction not in (0, 1) or channels not in (0, info.native_shape[2]):
      raise DataError(f"crop_fraction and channels apply to celeb_a and folder datasets, not "
                      f"{name}.")
  size = image_size or info.default_size
  crop = crop_fraction or info.crop_fraction
  if not 0 < crop <= 1:
    raise DataError(f"crop_fraction must be in (0, 1], got {crop_fraction!r}.")
  channels = channels or 3
  if channels not in (1, 3):
    raise DataError(f"channels must be 1 or 3, got {channels!r}.")
  if name == "celeb_a" and channels != 3:
    raise DataError("celeb_a images are RGB; channels must be 0 or 3.")
  return size, crop, channels


def _held_out(n, holdout, split, origin):
  """Indices of `split` ('train' or 'holdout') among n examples in file order: the last
  `holdout` are held out."""
  if holdout < 0 or (holdout and holdout >= n):
    raise DataError(f"holdout={holdout} must be in [0, {n}) for the {n} examples of {origin}.")
  if split == "holdout":
    if not holdout:
      raise DataError("no held-out split: set --holdout=N (the last N examples are held out).")
    return np.arange(n - holdout, n)
  return np.arange(n - holdout)


def open_source(name: str, split: str = "train", data_dir: str = "", tfds_dir: str = "",
                image_size: int = 0, crop_fraction: float = 0.0, channels: int = 0,
                skip_bad_images: bool = False, log: Callable[[str], None] = print,
                holdout: int = 0) -> Source:
  """Opens a split of a dataset from DATASETS.

  Args:
    data_dir: local folder with the dataset's files; empty: tensorflow-datasets.
    image_size: side in pixels for celeb_a/folder (0: 64); fixed-size datasets accept 0 or
      their own size.
    crop_fraction: centred square crop as a fraction of the shorter side (0: the dataset's
      own: 108/178 for celeb_a, 1 for folder).
    channels: folder only: 3 or 1 (0: 3).
    skip_bad_images: drop undecodable folder files (reported through `log`) instead of
      raising DataError.
    holdout: the last `holdout` examples of a local dataset (in file order) are held out of
      split 'train' and make up split 'holdout' (never trained on: previews, evaluation).
  Raises:
    DataError naming the dataset, folder or setting at fault.
  """
  size, crop, channels = check_settings(name, image_size, crop_fraction, channels)
  info = DATASETS[name]
  shape = info.native_shape or (size, size, channels)
  if not data_dir:
    if holdout or split == "holdout":
      raise DataError("--holdout needs local files (--data_dir); tensorflow-datasets has its "
                      "own splits.")
    if not info.tfds_name:
      raise DataError(f"dataset {name!r} reads local files only: set data_dir to a folder "
                      f"holding {info.local_files}.")
    spec = DataSpec(name, shape, info.num_classes, origin=f"tensorflow-datasets {info.tfds_name}")
    source = TFDSSource(spec, info, split, tfds_dir, size, crop)
    source.check_available()  # now, before anything is written, and in seconds
    return source
  local_split = "train" if split == "holdout" else split
  if info.load_local is not None:
    images, labels = info.load_local(data_dir, local_split)
    if holdout or split == "holdout":
      keep = _held_out(len(labels), holdout, split, data_dir)
      images, labels = images[keep], labels[keep]
    spec = DataSpec(name, shape, info.num_classes, num_examples=len(labels), origin=data_dir)
    return ArraySource(spec, images, labels)
  if split not in ("train", "holdout"):
    raise DataError(f"a {name} folder has one split, 'train' (and 'holdout' with --holdout); "
                    f"got split {split!r}.")
  index = folder.index_folder(data_dir)
  if holdout or split == "holdout":
    keep = _held_out(index.size, holdout, split, data_dir)
    index = dataclasses.replace(index, paths=tf.gather(index.paths, keep),
                                labels=index.labels[keep])
  # CelebA's file names carry no classes; only generic folders take sub-folder labels.
  classes = index.class_names if name == "folder" else ()
  if not classes:
    index = dataclasses.replace(index, labels=np.zeros(index.size, np.int32), class_names=())
  spec = DataSpec(name, shape, len(classes), classes, index.size, data_dir)
  return FolderSource(spec, index, size, crop, channels, skip_bad_images, log)
