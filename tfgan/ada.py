"""Adaptive discriminator augmentation (ADA; Karras et al. 2020,
https://arxiv.org/abs/2006.06676): the 'bgc' pipeline applied to every image D sees (reals
and fakes, in D's and G's steps, under R1), each op on each example with probability p, and p
steered so that D's overconfidence on reals stays at a target.

The pipeline, in NVlabs' order and strengths (stylegan2-ada-pytorch, augpipe 'bgc'):
  geometric, composed into one 3x3 matrix per example (pixel coordinates centred on the
  image) and applied with one bilinear resampling, reflecting at the borders:
    xflip (x -> -x with probability 1/2), rotate90 (k x 90 degrees, k uniform in 0..3),
    xint (integer translation, U[-0.125, 0.125] x side, rounded), scale (isotropic,
    2^N(0, 0.2^2)), rotate (U[-pi, pi], with p_rot = 1 - sqrt(1 - p) so that one of the two
    rotations happens with probability p), aniso (x by s, y by 1/s, s = 2^N(0, 0.2^2)), rotate
    again, xfrac (fractional translation, N(0, 0.125^2) x side);
  colour, composed into one 4x4 affine matrix on RGB (images in [-1, 1]):
    brightness (+N(0, 0.2^2)), contrast (x 2^N(0, 0.5^2)), lumaflip (the reflection
    I - 2 v v^T about the luma axis v = (1, 1, 1) / sqrt(3), with probability 1/2), hue
    (rotation about v by U[-pi, pi]), saturation (v v^T + (I - v v^T) 2^N(0, 1)).
  One-channel images take the colour matrix's mean row (brightness, contrast, lumaflip).
Differences from NVlabs: the warp samples at the image's own resolution (NVlabs warps at 2x
between sym6 wavelet filters to limit aliasing) and reflects at the border directly (NVlabs
pads by reflection, then samples with zeros outside); the sampling is a gather, exactly
linear in the image, so G's gradient and R1's second-order gradient through it are exact
(TensorFlow's ImageProjectiveTransformV3 has an approximate gradient, so it is not used).

Why it does not leak (paper sec. 2): each op is skipped with probability 1 - p, so for p < 1
the augmented distribution determines the original one and G gains nothing by generating
augmented images; the paper finds 'bgc' safe up to p ~ 0.8.

The adaptation (paper sec. 3): r_t = E[sign(D(augmented reals))] over the last `interval`
iterations; p <- clip(p + sign(r_t - target) x images in those iterations / (ada_kimg x
1000), 0, P_MAX): p can move from 0 to 1 in ada_kimg thousand images.
"""

import math

import keras
import numpy as np
import tensorflow as tf

OPS = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac", "brightness",
       "contrast", "lumaflip", "hue", "saturation")
# Strengths of 'bgc' (NVlabs' AugmentPipe defaults): fractions of the side, std of log2.
XINT_MAX, SCALE_STD, ANISO_STD, XFRAC_STD = 0.125, 0.2, 0.2, 0.125
BRIGHTNESS_STD, CONTRAST_STD, SATURATION_STD = 0.2, 0.5, 1.0
P_MAX = 0.999  # p < 1: the identity stays possible, so the augmentation stays invertible.
_LUMA = np.array([1.0, 1.0, 1.0, 0.0], np.float32) / math.sqrt(3.0)


def _on(u, p, value, identity):
  """value where the example's uniform draw u < p (the op applies), else identity."""
  return tf.where(u < p, value, identity)


def draw_parameters(n, p, seed):
  """Per-example parameters of the 12 ops for n examples at probability p (a float32
  scalar), from a stateless seed int32 [2]; an op that does not apply has its identity value.

  Returns a dict of float32 [n] tensors (translations [n, 2], in fractions of the side):
    xflip 0/1, rotate90 0..3, xint [-0.125, 0.125] (rounded to pixels later), scale, pre_rotate
    (radians), aniso, post_rotate, xfrac, brightness, contrast, lumaflip 0/1, hue (radians),
    saturation.
  """
  p = tf.cast(p, tf.float32)
  p_rot = 1.0 - tf.sqrt(tf.clip_by_value(1.0 - p, 0.0, 1.0))
  # Two draws per parameter (13: rotate has two): whether it applies, and its value.
  seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 26))
  u = lambda k, shape=(n,): tf.random.stateless_uniform(shape, seeds[k])  # noqa: E731
  gauss = lambda k, shape=(n,): tf.random.stateless_normal(shape, seeds[k])  # noqa: E731
  one, zero = tf.ones([n]), tf.zeros([n])
  return {
      "xflip": _on(u(0), p, tf.floor(u(1) * 2.0), zero),
      "rotate90": _on(u(2), p, tf.floor(u(3) * 4.0), zero),
      "xint": _on(u(4)[:, None], p, (u(5, (n, 2)) * 2.0 - 1.0) * XINT_MAX, tf.zeros([n, 2])),
      "scale": _on(u(6), p, tf.pow(2.0, gauss(7) * SCALE_STD), one),
      "pre_rotate": _on(u(8), p_rot, (u(9) * 2.0 - 1.0) * math.pi, zero),
      "aniso": _on(u(10), p, tf.pow(2.0, gauss(11) * ANISO_STD), one),
      "post_rotate": _on(u(12), p_rot, (u(13) * 2.0 - 1.0) * math.pi, zero),
      "xfrac": _on(u(14)[:, None], p, gauss(15, (n, 2)) * XFRAC_STD, tf.zeros([n, 2])),
      "brightness": _on(u(16), p, gauss(17) * BRIGHTNESS_STD, zero),
      "contrast": _on(u(18), p, tf.pow(2.0, gauss(19) * CONTRAST_STD), one),
      "lumaflip": _on(u(20), p, tf.floor(u(21) * 2.0), zero),
      "hue": _on(u(22), p, (u(23) * 2.0 - 1.0) * math.pi, zero),
      "saturation": _on(u(24), p, tf.pow(2.0, gauss(25) * SATURATION_STD), one),
  }


def _matrix(rows):
  """[n, k, k] from k rows of k [n] tensors."""
  return tf.stack([tf.stack(r, axis=-1) for r in rows], axis=-2)


def _rotate(theta):
  c, s, z, o = tf.cos(theta), tf.sin(theta), tf.zeros_like(theta), tf.ones_like(theta)
  return _matrix([[c, -s, z], [s, c, z], [z, z, o]])


def _scale(sx, sy):
  z, o = tf.zeros_like(sx), tf.ones_like(sx)
  return _matrix([[sx, z, z], [z, sy, z], [z, z, o]])


def _translate(tx, ty):
  z, o = tf.zeros_like(tx), tf.ones_like(tx)
  return _matrix([[o, z, tx], [z, o, ty], [z, z, o]])


def geometric_matrix(params, height, width):
  """float32 [n, 3, 3]: for each example the inverse of its geometric ops, mapping an output
  pixel's centred coordinates (x, y, 1) to the input point it samples (NVlabs' G_inv: each
  op's inverse multiplied on the right, in the pipeline's order)."""
  w, h = float(width), float(height)
  m = _scale(1.0 - 2.0 * params["xflip"], tf.ones_like(params["xflip"]))
  m = m @ _rotate(math.pi / 2.0 * params["rotate90"])
  t = params["xint"]
  m = m @ _translate(-tf.round(t[:, 0] * w), -tf.round(t[:, 1] * h))
  m = m @ _scale(1.0 / params["scale"], 1.0 / params["scale"])
  m = m @ _rotate(params["pre_rotate"])
  m = m @ _scale(1.0 / params["aniso"], params["aniso"])
  m = m @ _rotate(params["post_rotate"])
  t = params["xfrac"]
  return m @ _translate(-t[:, 0] * w, -t[:, 1] * h)


def colour_matrix(params):
  """float32 [n, 4, 4]: the colour ops as one affine map of (r, g, b, 1), in order."""
  n = tf.shape(params["brightness"])[0]
  eye = tf.eye(4, batch_shape=[n])
  v = tf.constant(_LUMA)
  vv = tf.tensordot(v, v, axes=0)[None]  # [1, 4, 4]
  b, c = params["brightness"], params["contrast"]
  z, o = tf.zeros_like(b), tf.ones_like(b)
  m = _matrix([[o, z, z, b], [z, o, z, b], [z, z, o, b], [z, z, z, o]])
  m = _matrix([[c, z, z, z], [z, c, z, z], [z, z, c, z], [z, z, z, o]]) @ m
  m = (eye - 2.0 * vv * params["lumaflip"][:, None, None]) @ m
  theta = params["hue"]
  m = _axis_rotation(_LUMA[:3], theta) @ m
  s = params["saturation"][:, None, None]
  return (vv + (eye - vv) * s) @ m


def _axis_rotation(axis, theta):
  """[n, 4, 4]: rotation by theta [n] about the unit 3-vector `axis` (Rodrigues), affine."""
  x, y, zz = (float(a) for a in axis)
  c, s = tf.cos(theta), tf.sin(theta)
  cc, z, o = 1.0 - c, tf.zeros_like(theta), tf.ones_like(theta)
  return _matrix([[x * x * cc + c, x * y * cc - zz * s, x * zz * cc + y * s, z],
                  [y * x * cc + zz * s, y * y * cc + c, y * zz * cc - x * s, z],
                  [zz * x * cc - y * s, zz * y * cc + x * s, zz * zz * cc + c, z],
                  [z, z, z, o]])


def _reflect(i, size):
  """Integer indices folded into 0 .. size - 1 by reflection without repeating the edge
  (period 2 (size - 1))."""
  if size == 1:
    return tf.zeros_like(i)
  period = 2 * (size - 1)
  i = tf.math.floormod(i, period)
  return tf.where(i > size - 1, period - i, i)


def warp(images, inverse):
  """images float32 [n, H, W, C] resampled bilinearly at inverse @ (x, y, 1) for every output
  pixel (centred coordinates; inverse [n, 3, 3]), reflecting at the borders. A gather: linear
  in the images, with its exact adjoint as gradient."""
  h, w = images.shape[1], images.shape[2]
  ys, xs = tf.meshgrid(tf.range(h, dtype=tf.float32) - (h - 1) / 2.0,
                       tf.range(w, dtype=tf.float32) - (w - 1) / 2.0, indexing="ij")
  grid = tf.stack([tf.reshape(xs, [-1]), tf.reshape(ys, [-1]), tf.ones([h * w])])  # [3, HW]
  source = tf.einsum("nij,jk->nik", inverse, grid)  # [n, 3, HW]
  sx, sy = source[:, 0] + (w - 1) / 2.0, source[:, 1] + (h - 1) / 2.0
  x0, y0 = tf.floor(sx), tf.floor(sy)
  fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
  x0, y0 = tf.cast(x0, tf.int32), tf.cast(y0, tf.int32)
  flat = tf.reshape(images, [-1, h * w, images.shape[3]])

  def at(yi, xi):
    index = _reflect(yi, h) * w + _reflect(xi, w)
    return tf.gather(flat, index, axis=1, batch_dims=1)

  top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1) * fx
  bottom = at(y0 + 1, x0) * (1.0 - fx) + at(y0 + 1, x0 + 1) * fx
  return tf.reshape(top * (1.0 - fy) + bottom * fy, tf.shape(images))


def apply_colour(images, matrix):
  """images float32 [n, H, W, C] (C = 3: rgb' = M[:3, :3] rgb + M[:3, 3]; C = 1: the mean of
  M's first three rows, x' = x sum(row[:3]) + row[3]) under matrix [n, 4, 4]."""
  channels = images.shape[-1]
  if channels == 3:
    return tf.einsum("nij,nhwj->nhwi", matrix[:, :3, :3], images) + \
        matrix[:, None, None, :3, 3]
  row = tf.reduce_mean(matrix[:, :3, :], axis=1)  # [n, 4]
  return images * tf.reduce_sum(row[:, :3], axis=1)[:, None, None, None] + \
      row[:, 3][:, None, None, None]


def augment(images, p, seed, rows=None):
  """The 'bgc' pipeline at probability p (module docstring).

  Args:
    images: float32 [B, H, W, C], C 1 or 3, about [-1, 1].
    p: float32 scalar in [0, 1): each op's probability per example.
    seed: int32 [2] stateless seed; the same seed gives the same transforms.
    rows: (first row, global batch) when images is one replica's slice: the parameters are
      drawn for the global batch and sliced, as one device would draw them.
  Returns:
    float32 [B, H, W, C], differentiable with respect to images (exactly, to any order).
  """
  if None in images.shape[1:]:
    raise ValueError(f"ADA needs images of static size [B, H, W, C], got {images.shape}.")
  channels = images.shape[-1]
  if channels not in (1, 3):
    raise ValueError(f"ADA's colour ops take 1- or 3-channel images, got {channels} channels.")
  b = tf.shape(images)[0]
  start, total = rows if rows is not None else (0, b)
  params = {k: v[start:start + b]
            for k, v in draw_parameters(total, p, seed).items()}
  x = warp(images, geometric_matrix(params, images.shape[1], images.shape[2]))
  return apply_colour(x, colour_matrix(params))


class AdaptiveAugment(keras.layers.Layer):
  """ADA's state and its pipeline, the object a model is handed (module docstring).

  `ada.augment(images, seed, rows)` augments at the current p. `observe(real_logits)` adds
  sign(D(augmented reals)) [B] to the running sums; `adjust(images_per_iteration)` is called
  once per iteration and, every `interval` iterations, moves p (unless fixed) and clears the
  sums. p, the sums and the iteration count are non-trainable weights (checkpointed with the
  model), each replica holding the global value.

  Args:
    target: the r_t that p steers to (0.6). kimg: thousands of images for p to move by 1
      (500 in NVlabs; 100 for transfer). initial_p: p at the start. adaptive: False keeps p
      at initial_p. interval: iterations between updates (4).
  """

  def __init__(self, target=0.6, kimg=500.0, initial_p=0.0, adaptive=True, interval=4,
               **kwargs):
    super().__init__(**kwargs)
    if not 0.0 <= initial_p <= P_MAX:
      raise ValueError(f"ada_p must be in [0, {P_MAX}], got {initial_p!r}.")
    if adaptive and (kimg <= 0 or not -1.0 < target < 1.0):
      raise ValueError(f"ada_kimg must be > 0 and ada_target in (-1, 1), got {kimg!r} and "
                       f"{target!r}.")
    self.target, self.kimg, self.adaptive = float(target), float(kimg), bool(adaptive)
    self.initial_p = float(initial_p)
    self.interval = int(interval)
    weight = lambda name, value: self.add_weight(  # noqa: E731
        name=name, shape=(), initializer=keras.initializers.Constant(value), trainable=False,
        aggregation="only_first_replica")
    self.p = weight("p", float(initial_p))
    self.sign_sum, self.sign_count = weight("sign_sum", 0.0), weight("sign_count", 0.0)
    self.iterations = weight("iterations", 0.0)
    self.r_t = weight("r_t", 0.0)  # the last update's statistic, for the logs
    # Complete as made: a model under a strategy otherwise tries to build it from a batch.
    self.built = True

  def augment(self, images, seed, rows=None):
    """images float32 [B, H, W, C] through the pipeline at the current p (`augment`)."""
    return augment(images, tf.convert_to_tensor(self.p), seed, rows)

  def _global_sum(self, value):
    context = tf.distribute.get_replica_context()
    return value if context is None else context.all_reduce("sum", value)

  def observe(self, real_logits):
    """Adds sign(real_logits) (float32 [B] or [B, 1], this replica's) to the sums, over the
    global batch."""
    signs = tf.sign(tf.cast(tf.reshape(real_logits, [-1]), tf.float32))
    self.sign_sum.assign_add(self._global_sum(tf.reduce_sum(signs)))
    self.sign_count.assign_add(self._global_sum(tf.cast(tf.size(signs), tf.float32)))

  def adjust(self, images_per_iteration):
    """Counts one iteration of `images_per_iteration` (global) real images; every `interval`
    iterations r_t = sign_sum / sign_count and, when adaptive,
    p <- clip(p + sign(r_t - target) x interval x images / (kimg x 1000), 0, P_MAX)."""
    self.iterations.assign_add(1.0)
    due = tf.equal(tf.math.floormod(self.iterations, float(self.interval)), 0.0)
    r_t = self.sign_sum / tf.maximum(self.sign_count, 1.0)
    if self.adaptive:
      step = tf.sign(r_t - self.target) * self.interval * tf.cast(images_per_iteration,
                                                                  tf.float32) / (self.kimg * 1e3)
      self.p.assign(tf.where(due, tf.clip_by_value(self.p + step, 0.0, P_MAX), self.p))
    self.r_t.assign(tf.where(due, r_t, self.r_t))
    self.sign_sum.assign(tf.where(due, 0.0, self.sign_sum))
    self.sign_count.assign(tf.where(due, 0.0, self.sign_count))

  def logs(self):
    """{'ada_p': p, 'ada_rt': the last update's r_t}, float32 scalars."""
    return {"ada_p": tf.convert_to_tensor(self.p), "ada_rt": tf.convert_to_tensor(self.r_t)}

  def get_config(self):
    return {**super().get_config(), "target": self.target, "kimg": self.kimg,
            "initial_p": self.initial_p,
            "adaptive": self.adaptive, "interval": self.interval}


def check(objective):
  """Raises ValueError naming the flag when config.objective's ADA settings are out of range
  (ada_p in [0, P_MAX]; with --ada, ada_kimg > 0 and ada_target in (-1, 1))."""
  o = objective
  if not 0.0 <= o.ada_p <= P_MAX:
    raise ValueError(f"ada_p must be in [0, {P_MAX}] (a probability below 1, so the "
                     f"augmentation stays invertible), got {o.ada_p!r}.")
  if o.ada and o.ada_kimg <= 0:
    raise ValueError(f"ada_kimg must be > 0 (thousands of images), got {o.ada_kimg!r}.")
  if o.ada and not -1.0 < o.ada_target < 1.0:
    raise ValueError(f"ada_target is a mean of signs, in (-1, 1); got {o.ada_target!r}.")


def from_config(objective):
  """An AdaptiveAugment from config.objective (--ada, --ada_target, --ada_kimg, --ada_p), or
  None when ADA is off (no --ada and ada_p 0)."""
  o = objective
  if not o.ada and not o.ada_p:
    return None
  return AdaptiveAugment(target=o.ada_target, kimg=o.ada_kimg, initial_p=o.ada_p,
                         adaptive=o.ada, name="ada")



def discriminator_view(images, seed, rows, ada=None, diffaugment=None, image_shape=None):
  """What a D sees of images float32 [B, H, W, C]: ADA's pipeline (its draws from `seed`
  folded with 1) then DiffAugment's (from `seed`), each when given; images unchanged when
  neither is. image_shape (H, W, C): the static sizes ADA's warp needs when the data does
  not carry them. rows: this replica's (first row, global batch)."""
  if ada is not None:
    if image_shape is not None:
      images = tf.ensure_shape(images, [None, *image_shape])
    images = ada.augment(images, tf.random.experimental.stateless_fold_in(seed, 1), rows)
  if diffaugment:
    images = diffaugment(images, seed, rows=rows)
  return images


def step_logs(logs, ada=None):
  """A train step's logs with ADA's p and r_t added when `ada` is on."""
  return {**logs, **ada.logs()} if ada is not None else logs
