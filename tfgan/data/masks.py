"""Inpainting masks: float32 [H, W, 1] in {0, 1}, 1 = hole (the pixels to fill; white in a PNG).

Kinds (`MASK_KINDS`), all seeded and deterministic (numpy default_rng):
  centre   `centre_box`: one centred box, sides a fraction (0.5) of the image sides
  boxes    `random_boxes`: 1-3 axis-aligned boxes of random size and position
  strokes  `free_form`: DeepFill v2's free-form brush strokes (Yu et al. 2019,
           https://arxiv.org/abs/1806.03589, appendix; its brush_stroke_mask), scaled to the
           image size
  mixed    boxes and strokes alternating (mask i of a batch: boxes for even i, strokes for odd
           i), DeepFill v2's training mix
`mask_batch` makes N of one kind; mask i of a batch depends on (seed, i) only, so the first k
masks of a batch of N are the batch of k. User masks (white = hole) are read by `load_masks`.
"""

import math
import os
from typing import Sequence, Tuple, Union

import numpy as np
import tensorflow as tf

from tfgan.data import decode
from tfgan.data.errors import DataError
from tfgan.data.folder import IMAGE_EXTENSIONS

MASK_KINDS = ("centre", "boxes", "strokes", "mixed")

# DeepFill v2's brush_stroke_mask constants, for a 256x256 image.
STROKES = (1, 3)         # strokes per mask, inclusive
VERTICES = (4, 12)       # vertices per stroke: np.random.randint(4, 12), i.e. 4-11
MEAN_ANGLE = 2 * math.pi / 5
ANGLE_RANGE = 2 * math.pi / 15
BRUSH_WIDTH = (12, 40)   # px at the reference size
REFERENCE_DIAGONAL = 256 * math.sqrt(2)


def _empty(h, w):
  if h < 1 or w < 1:
    raise ValueError(f"a mask needs a positive size, got {w}x{h}.")
  return np.zeros((h, w, 1), np.float32)


def centre_box(h, w, fraction=0.5):
  """float32 [h, w, 1]: one centred box of round(fraction * h) x round(fraction * w) pixels.

  fraction in (0, 1]. With even sides and fraction 0.5 the hole is exactly 25% of the pixels
  (a 32x32 hole in 64x64, pixels 16-47)."""
  if not 0 < fraction <= 1:
    raise ValueError(f"centre_box fraction must be in (0, 1], got {fraction}.")
  mask = _empty(h, w)
  bh, bw = max(1, round(fraction * h)), max(1, round(fraction * w))
  top, left = (h - bh) // 2, (w - bw) // 2
  mask[top:top + bh, left:left + bw] = 1.0
  return mask


def random_boxes(h, w, seed, count=(1, 3), max_fraction=0.4, min_fraction=0.1):
  """float32 [h, w, 1]: count[0]-count[1] (inclusive) boxes, each side uniform in
  [min_fraction, max_fraction] of the image side, placed uniformly inside the image (boxes
  may overlap). Coverage is at most count[1] * max_fraction^2 (48% with the defaults) and at
  least min_fraction^2 (1%).

  seed: an int or a sequence of ints (numpy default_rng)."""
  if not 0 < min_fraction <= max_fraction <= 1:
    raise ValueError(f"random_boxes needs 0 < min_fraction <= max_fraction <= 1, got "
                     f"{min_fraction}, {max_fraction}.")
  rng = np.random.default_rng(seed)
  mask = _empty(h, w)
  for _ in range(rng.integers(count[0], count[1] + 1)):
    bh = max(1, round(rng.uniform(min_fraction, max_fraction) * h))
    bw = max(1, round(rng.uniform(min_fraction, max_fraction) * w))
    top, left = rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1)
    mask[top:top + bh, left:left + bw] = 1.0
  return mask


def _stamp_segment(mask, a, b, radius):
  """Sets to 1 every pixel of mask [h, w] whose centre lies within `radius` of the segment
  a-b (points (x, y) in pixel units, pixel (i, j) centred at (j, i)): the union of circles of
  that radius centred along the segment, i.e. a line of brush stamps with round ends."""
  (ax, ay), (bx, by) = a, b
  # Only the segment's bounding box (grown by the radius) can be touched: keeps 256x256 cheap.
  r = int(math.ceil(radius))
  i0, i1 = max(0, int(math.floor(min(ay, by))) - r), min(mask.shape[0], int(max(ay, by)) + r + 2)
  j0, j1 = max(0, int(math.floor(min(ax, bx))) - r), min(mask.shape[1], int(max(ax, bx)) + r + 2)
  if i0 >= i1 or j0 >= j1:
    return
  y, x = np.mgrid[i0:i1, j0:j1].astype(np.float64)
  dx, dy = bx - ax, by - ay
  length2 = dx * dx + dy * dy
  t = np.clip(((x - ax) * dx + (y - ay) * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
  d2 = (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2
  mask[i0:i1, j0:j1][d2 <= radius * radius] = 1.0


def free_form(h, w, seed):
  """float32 [h, w, 1]: DeepFill v2's free-form mask (its brush_stroke_mask), 1-3 strokes.

  Each stroke: 4-11 vertices (randint(4, 12), as the original), starting at a uniform random
  point of the image; each next vertex is a step of length r ~ Normal(d/8, d/16) clipped to
  [0, d/4] (d the image diagonal, as the original) in direction a_k, where the angles alternate
  2 pi - U(lo, hi) and U(lo, hi) with lo, hi = 2 pi/5 -/+ U(0, 2 pi/15) drawn per stroke (a
  zigzag), each vertex clipped to the image; the brush width is U(12, 40) px at 256x256.

  Differences from the original, so that a mask scales with the image (a 64x64 mask is nearly
  the 256x256 one of the same seed shrunk; the tests check this): the brush width is scaled by
  d / (256 sqrt 2), as the step lengths already are (the original keeps 12-40 px at every
  size: unscaled, the mean coverage at 64x64 is 48% instead of 17%), and the start, the
  vertices and the width stay real numbers (the original truncates them to whole pixels,
  which at 64x64 would be steps of 4 of its 256x256 pixels). The step's standard deviation is
  d/16 (the original floors it: 22 instead of 22.6 px at 256x256). Its random flips are not
  applied: the original discards their result (`mask.transpose(...)` unassigned), so its
  masks are unflipped. Drawn with numpy: each segment is the union of brush-radius circles
  centred along it (the original draws PIL's thick line plus a disc at every vertex), no
  OpenCV or PIL.

  Coverage (tests/data_masks_test.py): 12-22% averaged over 100 seeds (measured 16.8% at
  64x64 and at 256x256), every mask between 0.5% and 60%.
  """
  rng = np.random.default_rng(seed)
  mask = _empty(h, w)
  diagonal = math.sqrt(h * h + w * w)
  average_radius = diagonal / 8
  scale = diagonal / REFERENCE_DIAGONAL
  for _ in range(rng.integers(STROKES[0], STROKES[1] + 1)):
    num_vertex = rng.integers(VERTICES[0], VERTICES[1])
    angle_min = MEAN_ANGLE - rng.uniform(0, ANGLE_RANGE)
    angle_max = MEAN_ANGLE + rng.uniform(0, ANGLE_RANGE)
    angles = [2 * math.pi - rng.uniform(angle_min, angle_max) if k % 2 == 0
              else rng.uniform(angle_min, angle_max) for k in range(num_vertex)]
    # Pixel centres lie at 0 .. w-1, 0 .. h-1.
    vertices = [(rng.uniform(0, w - 1), rng.uniform(0, h - 1))]
    for angle in angles:
      r = float(np.clip(rng.normal(average_radius, average_radius / 2), 0, 2 * average_radius))
      x, y = vertices[-1]
      vertices.append((float(np.clip(x + r * math.cos(angle), 0, w - 1)),
                       float(np.clip(y + r * math.sin(angle), 0, h - 1))))
    radius = rng.uniform(*BRUSH_WIDTH) * scale / 2
    for a, b in zip(vertices[:-1], vertices[1:]):
      _stamp_segment(mask[..., 0], a, b, radius)
  return mask


def mask_batch(kind, n, h, w, seed=0, centre_fraction=0.5, box_max_fraction=0.4):
  """float32 [n, h, w, 1] in {0, 1}: n masks of `kind` (MASK_KINDS); mask i is drawn from
  default_rng([seed, i]), so it does not depend on n. 'centre' masks are all
  centre_box(h, w, centre_fraction); boxes are random_boxes(..., max_fraction=
  box_max_fraction) (at least its 0.1 minimum)."""
  if kind not in MASK_KINDS:
    raise ValueError(f"mask kind must be one of {MASK_KINDS}, got {kind!r}.")
  out = np.zeros((n, h, w, 1), np.float32)
  for i in range(n):
    if kind == "centre":
      out[i] = centre_box(h, w, centre_fraction)
    elif kind == "boxes" or (kind == "mixed" and i % 2 == 0):
      out[i] = random_boxes(h, w, [seed, i], max_fraction=box_max_fraction,
                            min_fraction=min(0.1, box_max_fraction))
    else:
      out[i] = free_form(h, w, [seed, i])
  return out


def coverage(mask):
  """Fraction of hole pixels: float for one mask [H, W, 1], float64 [N] for masks
  [N, H, W, 1] (values in {0, 1})."""
  mask = np.asarray(mask)
  if mask.ndim == 3:
    return float(mask.mean())
  return mask.reshape(mask.shape[0], -1).mean(axis=1, dtype=np.float64)


def _base(name):
  return os.path.splitext(os.path.basename(name))[0]


def _match(folder, names):
  """([mask path or None per name], [problem lines]) for find_masks and load_masks."""
  if not os.path.isdir(folder):
    raise DataError(f"mask folder {folder} does not exist (masks: one PNG per image, named as "
                    f"the image, white = hole).")
  found = {}
  for entry in sorted(os.listdir(folder)):
    if entry.lower().endswith(IMAGE_EXTENSIONS):
      found.setdefault(_base(entry), []).append(os.path.join(folder, entry))
  out, bad = [], []
  for name in names:
    paths = found.get(_base(name))
    out.append(paths[0] if paths and len(paths) == 1 else None)
    if not paths:
      bad.append(f"  {name}: no mask {os.path.join(folder, _base(name))}.png (or "
                 f"{'/'.join(e for e in IMAGE_EXTENSIONS if e != '.png')})")
    elif len(paths) > 1:
      bad.append(f"  {name}: several masks {', '.join(paths)}; keep one")
  return out, bad


def _refuse(folder, bad, total):
  raise DataError(f"{folder}: {len(bad)} of {total} images have no usable mask:\n"
                  + "\n".join(bad[:20]) + ("\n  ..." if len(bad) > 20 else ""))


def find_masks(folder, names: Sequence[str]):
  """The mask file of each image in `names` (file names or paths): <folder>/<base name>.<ext>
  with ext any of IMAGE_EXTENSIONS. Raises DataError listing every image whose mask is missing
  or ambiguous."""
  paths, bad = _match(folder, names)
  if bad:
    _refuse(folder, bad, len(names))
  return paths


def read_mask(path, size: Union[int, Tuple[int, int]]):
  """float32 [H, W, 1] in {0, 1} of the mask file `path` (white = hole: grey value >= 128, RGB
  by ITU-R 601 luminance, alpha ignored), resized nearest-neighbour to `size` (H = W = size,
  or (H, W)). Raises DataError naming the file when it cannot be decoded."""
  h, w = (size, size) if isinstance(size, int) else tuple(size)
  try:
    grey = decode.decode_image(tf.io.read_file(path), 1)
  except (tf.errors.OpError, ValueError) as e:
    raise DataError(f"mask {path} is unreadable "
                    f"({getattr(e, 'message', str(e)).splitlines()[0]})") from None
  # Threshold before resizing: nearest-neighbour then only copies 0s and 1s.
  hole = tf.cast(grey >= 128, tf.float32)
  return tf.image.resize(hole, (h, w), method="nearest").numpy()


def load_masks(folder, names: Sequence[str], size: Union[int, Tuple[int, int]]):
  """float32 [len(names), H, W, 1] in {0, 1}: user masks, one per image.

  folder: the folder holding a mask per image, named as the image without its extension (a
    mask for faces/000001.jpg is <folder>/000001.png; any of IMAGE_EXTENSIONS is read, PNG
    recommended: JPEG's blocks blur the edge). names: the images' file names or paths.
  size: H = W = size, or (H, W): the images' size; masks of another size are resized
    nearest-neighbour (a hole stays a hole, no grey edge).
  A pixel is a hole when its grey value (RGB by ITU-R 601 luminance; alpha ignored) is >= 128
  (white = hole).
  Raises DataError listing every image whose mask is missing, ambiguous or unreadable.
  """
  h, w = (size, size) if isinstance(size, int) else tuple(size)
  paths, bad = _match(folder, names)
  out = np.zeros((len(names), h, w, 1), np.float32)
  for k, (name, path) in enumerate(zip(names, paths)):
    if path is None:
      continue
    try:
      out[k] = read_mask(path, (h, w))
    except DataError as e:
      bad.append(f"  {name}: {e}")
  if bad:
    _refuse(folder, bad, len(names))
  return out
