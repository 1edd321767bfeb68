"""tf.data input pipelines: images float32 [B, H, W, C] in [-1, 1] with int32 labels [B].

A dataset comes from tensorflow-datasets (downloaded when online) or, when `data_dir` is set,
from the original files in a local folder. Nothing in that folder is ever written to.
"""

import dataclasses
import gzip
import os
from typing import Callable, Optional, Tuple

import numpy as np
import tensorflow as tf


class DataError(ValueError):
  """A data file or folder is missing or not in the expected format; the message names it."""


class DataUnavailableError(RuntimeError):
  """tensorflow-datasets could not provide the data (e.g. no network); says how to go local."""


# IDX magic numbers: two zero bytes, the element type (0x08 = unsigned byte), the rank.
_IDX_IMAGES_MAGIC = 0x00000803
_IDX_LABELS_MAGIC = 0x00000801
_IDX_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str, expected_magic: int) -> np.ndarray:
  """Reads an IDX file (gzipped when the name ends in .gz) of unsigned bytes.

  Args:
    path: file path.
    expected_magic: 0x00000803 for [N, rows, cols] images, 0x00000801 for [N] labels.
  Returns:
    uint8 array of the shape given in the file's header.
  Raises:
    DataError: naming `path`, for a wrong magic number, a short header or truncated data.
  """
  opener = gzip.open if path.endswith(".gz") else open
  try:
    with opener(path, "rb") as f:
      raw = f.read()
  except (OSError, EOFError) as e:
    raise DataError(f"{path}: cannot read IDX file ({e}).") from e
  if len(raw) < 4:
    raise DataError(f"{path}: {len(raw)} bytes is too short for an IDX header.")
  magic = int.from_bytes(raw[:4], "big")
  if magic != expected_magic:
    raise DataError(f"{path}: IDX magic number 0x{magic:08x}, expected 0x{expected_magic:08x} "
                    f"({'images' if expected_magic == _IDX_IMAGES_MAGIC else 'labels'}).")
  rank = expected_magic & 0xFF
  header = 4 + 4 * rank
  if len(raw) < header:
    raise DataError(f"{path}: header needs {header} bytes, file has {len(raw)}.")
  shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
  expected = int(np.prod(shape))
  if len(raw) - header != expected:
    raise DataError(f"{path}: header shape {shape} needs {expected} data bytes, file has "
                    f"{len(raw) - header} (truncated or wrong file).")
  return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(data_dir: str, stem: str) -> str:
  # Mirrors of MNIST spell the names with '-' or '.' before idx (Kaggle), gzipped or not.
  for name in (stem, stem.replace("-idx", ".idx")):
    for suffix in (".gz", ""):
      path = os.path.join(data_dir, name + suffix)
      if os.path.isfile(path):
        return path
  raise DataError(f"{data_dir}: missing {stem}.gz (or {stem}); expected the four original IDX "
                  f"files of the dataset in this folder.")


def load_idx_split(data_dir: str, split: str = "train",
                   image_shape=(28, 28, 1)) -> Tuple[np.ndarray, np.ndarray]:
  """Loads one split of an MNIST-format dataset from its IDX files.

  Returns:
    images uint8 [N, H, W, 1] in [0, 255] and labels int32 [N].
  """
  if not os.path.isdir(data_dir):
    raise DataError(f"data_dir {data_dir!r} is not a folder.")
  if split not in _IDX_SPLIT_FILES:
    raise DataError(f"split must be one of {sorted(_IDX_SPLIT_FILES)}, got {split!r}.")
  image_stem, label_stem = _IDX_SPLIT_FILES[split]
  image_path, label_path = _find(data_dir, image_stem), _find(data_dir, label_stem)
  images = read_idx(image_path, _IDX_IMAGES_MAGIC)
  labels = read_idx(label_path, _IDX_LABELS_MAGIC)
  if images.shape[1:] != tuple(image_shape[:2]):
    raise DataError(f"{image_path}: images are {images.shape[1:]}, expected "
                    f"{tuple(image_shape[:2])}.")
  if images.shape[0] != labels.shape[0]:
    raise DataError(f"{image_path} holds {images.shape[0]} images but {label_path} holds "
                    f"{labels.shape[0]} labels.")
  return images[..., None], labels.astype(np.int32)


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What the pipeline needs to know about a dataset."""
  image_shape: Tuple[int, int, int]
  num_classes: int
  tfds_name: str
  local_loader: Callable[..., Tuple[np.ndarray, np.ndarray]]
  local_files: str  # Shown in error messages: what a local data_dir must hold.


DATASETS = {
    "mnist": DatasetInfo((28, 28, 1), 10, "mnist", load_idx_split,
                         "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                         "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"),
    "fashion_mnist": DatasetInfo((28, 28, 1), 10, "fashion_mnist", load_idx_split,
                                 "the four Fashion-MNIST IDX files (train-images-idx3-ubyte.gz, "
                                 "...), as in the MNIST release"),
}


def _tfds_source(name: str, split: str, tfds_dir: Optional[str]) -> tf.data.Dataset:
  info = DATASETS[name]
  import tensorflow_datasets as tfds  # Slow to import; only this path needs it.
  try:
    return tfds.load(info.tfds_name, split=split, as_supervised=True,
                     data_dir=tfds_dir or None, download=True)
  except Exception as e:  # tfds raises many types for a failed download.
    raise DataUnavailableError(
        f"tensorflow-datasets could not provide {info.tfds_name!r} ({type(e).__name__}: {e}). "
        f"Without network, download the original files elsewhere and pass "
        f"--data_dir=FOLDER holding {info.local_files}.") from e


def source(name: str, split: str = "train", data_dir: str = "",
           tfds_dir: str = "") -> tf.data.Dataset:
  """Unbatched dataset of (uint8 [H, W, C] in [0, 255], int label) for a split."""
  if name not in DATASETS:
    raise DataError(f"Unknown dataset {name!r}; choose one of {sorted(DATASETS)}.")
  info = DATASETS[name]
  if not data_dir:
    return _tfds_source(name, split, tfds_dir)
  images, labels = info.local_loader(data_dir, split, info.image_shape)
  return tf.data.Dataset.from_tensor_slices((images, labels))


def to_float(images):
  """uint8 [..., H, W, C] in [0, 255] -> float32 in [-1, 1]."""
  return tf.cast(images, tf.float32) / 127.5 - 1.0


def make_dataset(name: str, batch_size: int, split: str = "train", data_dir: str = "",
                 tfds_dir: str = "", shuffle_buffer: int = 60000, seed: Optional[int] = None,
                 repeat: bool = True) -> tf.data.Dataset:
  """The training pipeline: cache, shuffle, repeat, batch (drop_remainder), scale, prefetch.

  Args:
    name: a key of DATASETS.
    batch_size: global batch size; batches are static-shaped (drop_remainder=True).
    seed: shuffle seed; None for a nondeterministic order.
  Returns:
    Dataset of (images float32 [batch_size, H, W, C] in [-1, 1], labels int32 [batch_size]).
  """
  ds = source(name, split, data_dir, tfds_dir).cache()
  ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
  if repeat:
    ds = ds.repeat()
  ds = ds.batch(batch_size, drop_remainder=True)
  # Scaling after batching runs one vectorised op per batch instead of one per image.
  ds = ds.map(lambda x, y: (to_float(x), tf.cast(y, tf.int32)),
              num_parallel_calls=tf.data.AUTOTUNE)
  return ds.prefetch(tf.data.AUTOTUNE)
