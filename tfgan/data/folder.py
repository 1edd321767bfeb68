"""Image folders: a recursive index of image files, class labels from sub-folders, and a scan
for files that do not decode."""

import dataclasses
import os
from typing import List, Tuple

import numpy as np
import tensorflow as tf

from tfgan.data import decode
from tfgan.data.errors import DataError, op_error_text

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


@dataclasses.dataclass(frozen=True)
class FolderIndex:
  """The image files under a folder, in sorted path order.

  paths: tf.string [N] (one tensor, ~100 bytes a file, not a Python list kept alive).
  labels: int32 [N]; the index of the top-level sub-folder when labelled, else 0.
  class_names: the sub-folder names in label order; () when unlabelled.
  ignored: files skipped for their extension or for being hidden (names starting with '.',
    such as macOS '._x.jpg' resource forks).
  """
  root: str
  paths: tf.Tensor
  labels: np.ndarray
  class_names: Tuple[str, ...]
  ignored: int

  @property
  def size(self) -> int:
    """Number of image files, N."""
    return int(self.labels.shape[0])


def _walk(folder):
  """Yields (image paths, ignored count) per directory, recursively, in sorted order."""
  for parent, dirs, files in os.walk(folder, onerror=None):
    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    images = sorted(f for f in files
                    if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS))
    yield [os.path.join(parent, f) for f in images], len(files) - len(images)


def index_folder(root: str) -> FolderIndex:
  """Finds every jpg/jpeg/png/bmp/gif under `root` (case-insensitive, recursive).

  When `root` holds no images itself and at least two sub-folders hold images, each
  top-level sub-folder is a class: labels are their indices in sorted name order.
  Raises:
    DataError: for a missing path, a file instead of a folder, or no images.
  """
  if not os.path.exists(root):
    raise DataError(f"data_dir {root!r} does not exist.")
  if not os.path.isdir(root):
    raise DataError(f"data_dir {root!r} is a file; expected a folder of images.")
  top_images, ignored = next(_walk(root))
  subdirs = sorted(d for d in os.listdir(root)
                   if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))
  groups: List[Tuple[str, List[str]]] = [("", top_images)]
  for d in subdirs:
    files = []
    for paths, skipped in _walk(os.path.join(root, d)):
      files.extend(paths)
      ignored += skipped
    groups.append((d, files))
  total = sum(len(files) for _, files in groups)
  if total == 0:
    raise DataError(f"data_dir {root!r} holds no images with extensions "
                    f"{'/'.join(e[1:] for e in IMAGE_EXTENSIONS)} (searched recursively; "
                    f"{ignored} other files).")
  labelled = not top_images and sum(1 for _, files in groups[1:] if files) >= 2
  classes = [(name, files) for name, files in groups[1:] if files] if labelled else []
  label_of = np.concatenate([np.full(len(files), i, np.int32) for i, (_, files) in
                             enumerate(classes)]) if labelled else np.zeros(total, np.int32)
  paths = tf.constant([p for _, files in (classes or groups) for p in files])
  return FolderIndex(root, paths, label_of, tuple(name for name, _ in classes), ignored)


def find_unreadable(paths: tf.Tensor, channels: int = 3,
                    max_reasons: int = 20) -> Tuple[np.ndarray, List[Tuple[str, str]]]:
  """Decodes every file once, in parallel, to find those that are not readable images.

  Args:
    paths: tf.string [N].
  Returns:
    (bad, reasons): bad is int64 [M] indices into `paths`; reasons holds (path, error) for the
    first `max_reasons` of them.
  """
  n = int(paths.shape[0])

  def check(i):
    image = decode.decode_image(tf.io.read_file(paths[i]), channels)
    return i, tf.size(image)

  ok = np.zeros(n, bool)
  ds = (tf.data.Dataset.range(n)
        .map(check, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
        .ignore_errors()
        .map(lambda i, size: tf.where(size > 0, i, -1)).batch(4096))
  for batch in ds:
    batch = batch.numpy()
    ok[batch[batch >= 0]] = True
  bad = np.flatnonzero(~ok)
  reasons = []
  for i in bad[:max_reasons]:
    path = paths[int(i)].numpy().decode()
    try:
      decode.decode_image(tf.io.read_file(path), channels)
      reason = "empty image"
    except (tf.errors.OpError, ValueError) as e:
      reason = op_error_text(e)
    reasons.append((path, reason))
  return bad, reasons
