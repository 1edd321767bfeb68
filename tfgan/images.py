"""Image helpers: [-1, 1] floats to uint8, grids, and PNG files that never overwrite silently."""

import math
import os

import numpy as np
import tensorflow as tf

from tfgan import files


def to_uint8(images):
  """float [..., H, W, C] in [-1, 1] -> uint8 in [0, 255] (values outside are clipped)."""
  images = np.asarray(images, dtype=np.float32)
  return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def make_grid(images, rows=None, padding=2, pad_value=0):
  """Tiles images float [N, H, W, C] in [-1, 1] (or uint8) into one uint8 [h, w, C] image.

  Args:
    rows: number of rows; default the smallest square that holds N (columns = ceil(N / rows)).
    padding: pixels between and around tiles.
    pad_value: uint8 value of the padding.
  """
  images = np.asarray(images)
  if images.ndim != 4:
    raise ValueError(f"make_grid needs images [N, H, W, C], got shape {images.shape}.")
  if images.dtype != np.uint8:
    images = to_uint8(images)
  n, h, w, c = images.shape
  rows = rows or max(1, int(math.ceil(math.sqrt(n))))
  cols = int(math.ceil(n / rows))
  grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, c), pad_value,
                 dtype=np.uint8)
  for i in range(n):
    r, k = divmod(i, cols)
    y, x = padding + r * (h + padding), padding + k * (w + padding)
    grid[y:y + h, x:x + w] = images[i]
  return grid


def unique_path(path):
  """`path` if free, else `stem-1.ext`, `stem-2.ext`, ...: the first name that is free."""
  if not os.path.exists(path):
    return path
  stem, ext = os.path.splitext(path)
  i = 1
  while os.path.exists(f"{stem}-{i}{ext}"):
    i += 1
  return f"{stem}-{i}{ext}"


def save_png(path, image, overwrite=False):
  """Writes uint8 [H, W, C] (C = 1, 3 or 4) as PNG, atomically.

  Raises:
    FileExistsError: `path` exists and overwrite is False.
  """
  if os.path.exists(path) and not overwrite:
    raise FileExistsError(f"{path} exists; refusing to overwrite it.")
  image = np.asarray(image)
  if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] not in (1, 3, 4):
    raise ValueError(f"save_png needs uint8 [H, W, 1|3|4], got {image.dtype} {image.shape}.")
  return files.write(path, tf.io.encode_png(image).numpy())
