"""DiffAugment (Zhao et al. 2020, https://arxiv.org/abs/2006.10738): differentiable
augmentations applied to every image D sees, real and generated, so D cannot memorise a small
dataset while G still receives gradients through the augmentation.

Every function takes images float32 [B, H, W, C] in about [-1, 1] and a stateless seed
(int32 [2]); the same seed gives the same transform, so two batches can share one. `rows`
(first row, global batch) says which rows of a global batch x holds: the per-example
parameters are drawn for the global batch and sliced, so replicas of a distributed step
together apply exactly the transforms one device would apply to the whole batch.
"""

import dataclasses

import tensorflow as tf

POLICIES = ("color", "translation", "cutout")


def _uniform(shape, seed, minval=0.0, maxval=1.0):
  return tf.random.stateless_uniform(shape, seed, minval, maxval)


def _per_example(x, rows, draw):
  """x's rows of draw(global batch): draw(n) -> [n, ...]; rows=None means x is the batch."""
  b = tf.shape(x)[0]
  start, total = rows if rows is not None else (0, b)
  return draw(total)[start:start + b]


def color(x, seed, rows=None):
  """Per-example brightness (+U[-0.5, 0.5]), saturation (x U[0, 2] around the pixel's channel
  mean) and contrast (x U[0.5, 1.5] around the image mean), as in the DiffAugment paper."""
  seeds = tf.random.experimental.stateless_split(seed, 3)

  def factor(i, low, high):
    return _per_example(x, rows, lambda n: _uniform([n, 1, 1, 1], seeds[i], low, high))

  x = x + factor(0, -0.5, 0.5)
  mean = tf.reduce_mean(x, axis=3, keepdims=True)
  x = (x - mean) * factor(1, 0.0, 2.0) + mean
  mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
  return (x - mean) * factor(2, 0.5, 1.5) + mean


def _shift(x, offsets, axis):
  """Shifts each example of x by its integer offset along axis 1 or 2, filling with zeros."""
  size = tf.shape(x)[axis]
  source = tf.range(size)[None, :] - offsets[:, None]  # [B, size]
  valid = tf.cast((source >= 0) & (source < size), x.dtype)
  moved = tf.gather(x, tf.clip_by_value(source, 0, size - 1), axis=axis, batch_dims=1)
  mask_shape = [-1, size, 1, 1] if axis == 1 else [-1, 1, size, 1]
  return moved * tf.reshape(valid, mask_shape)


def _fraction(size, ratio):
  """int(size * ratio + 0.5): a fraction of a side in whole pixels, rounded half up as in the
  reference (DiffAugment-stylegan2-pytorch; the original TF code floors, size * 1 // 8, which
  differs where size * ratio ends in .5 or more, e.g. 3 vs 2 pixels at 20 px, 4 vs 3 at 28)."""
  return tf.cast(tf.cast(size, tf.float32) * ratio + 0.5, tf.int32)


def translation(x, seed, ratio=0.125, rows=None):
  """Shifts each example by t ~ U{-s..s} pixels along each axis, s = int(side * ratio + 0.5)
  (4 at 32 px, 8 at 64 px), filling with zeros."""
  h, w = tf.shape(x)[1], tf.shape(x)[2]
  seeds = tf.random.experimental.stateless_split(seed, 2)
  max_y, max_x = _fraction(h, ratio), _fraction(w, ratio)
  dy = _per_example(x, rows, lambda n: tf.random.stateless_uniform(
      [n], seeds[0], -max_y, max_y + 1, dtype=tf.int32))
  dx = _per_example(x, rows, lambda n: tf.random.stateless_uniform(
      [n], seeds[1], -max_x, max_x + 1, dtype=tf.int32))
  return _shift(_shift(x, dy, 1), dx, 2)


def cutout(x, seed, ratio=0.5, rows=None):
  """Zeroes one square of int(side * ratio + 0.5) pixels per side per example (16x16 at 32
  px), centred at c ~ U{0..side - (size % 2)} on each axis (rows c - size // 2 to
  c - size // 2 + size - 1), clipped at the borders, as in the reference."""
  h, w = tf.shape(x)[1], tf.shape(x)[2]
  seeds = tf.random.experimental.stateless_split(seed, 2)
  size_h, size_w = _fraction(h, ratio), _fraction(w, ratio)
  # An even-sized square's centre may also sit on the last row + 1, so that the square can
  # cover the far border as often as the near one.
  cy = _per_example(x, rows, lambda n: tf.random.stateless_uniform(
      [n, 1, 1], seeds[0], 0, h + 1 - size_h % 2, dtype=tf.int32))
  cx = _per_example(x, rows, lambda n: tf.random.stateless_uniform(
      [n, 1, 1], seeds[1], 0, w + 1 - size_w % 2, dtype=tf.int32))
  top, left = cy - size_h // 2, cx - size_w // 2
  ys, xs = tf.range(h)[None, :, None], tf.range(w)[None, None, :]
  inside = (ys >= top) & (ys < top + size_h) & (xs >= left) & (xs < left + size_w)
  return x * tf.cast(~inside, x.dtype)[..., None]


_OPS = {"color": color, "translation": translation, "cutout": cutout}


def parse_policy(policy):
  """'color,translation,cutout' -> ('color', 'translation', 'cutout'); '' -> ()."""
  names = tuple(p.strip() for p in policy.split(",") if p.strip())
  unknown = [n for n in names if n not in _OPS]
  if unknown:
    raise ValueError(f"Unknown DiffAugment ops {unknown}; choose from {POLICIES}.")
  return names


def diff_augment(x, policy, seed, rows=None, colour_channels=None):
  """Applies the ops of `policy` (names or a comma-separated string) in order.

  Args:
    x: float32 [B, H, W, C].
    policy: e.g. ('color', 'translation', 'cutout').
    seed: int32 [2] stateless seed; equal seeds give equal transforms.
    rows: (first row, global batch) when x is one replica's slice of a global batch.
    colour_channels: (start, stop): 'color' changes only channels start..stop-1 (the image
      of what a conditional D sees, e.g. pix2pix's input | output or an image | mask), the
      geometric ops move all channels together; None: every op on all channels.
  Returns:
    float32 [B, H, W, C], differentiable with respect to x.
  """
  names = parse_policy(policy) if isinstance(policy, str) else tuple(policy)
  seeds = tf.random.experimental.stateless_split(seed, max(len(names), 1))
  for i, name in enumerate(names):
    if name == "color" and colour_channels is not None:
      start, stop = colour_channels
      x = tf.concat([x[..., :start], color(x[..., start:stop], seeds[i], rows=rows),
                     x[..., stop:]], axis=-1)
    else:
      x = _OPS[name](x, seeds[i], rows=rows)
  return x


@dataclasses.dataclass(frozen=True)
class DiffAugment:
  """A DiffAugment policy, the object a model is handed: `ops` applied in order.

  `policy(x, seed, rows=None)` is `diff_augment(x, policy.ops, seed, rows)`; an empty policy
  is falsy and the model then skips augmentation.
  """
  ops: tuple = ()

  @classmethod
  def parse(cls, text: str) -> "DiffAugment":
    """From the --diffaugment setting, e.g. 'color,translation,cutout' ('' for none)."""
    return cls(parse_policy(text))

  def __bool__(self):
    return bool(self.ops)

  def __call__(self, x, seed, rows=None, colour_channels=None):
    return diff_augment(x, self.ops, seed, rows=rows, colour_channels=colour_channels)

