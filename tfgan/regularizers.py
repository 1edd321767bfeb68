"""Regularizers as per-example penalties, reduced in the families' train steps: the
discriminator's (WGAN-GP, R1) and StyleGAN2's path-length regularizer of the generator."""

import math

import keras
import tensorflow as tf

from tfgan import distribute

# Added under the square root of squared gradient norms: the derivative of sqrt at 0 is
# infinite, so a zero gradient (a dead critic, a saturated unit) would give NaN updates.
NORM_EPSILON = 1e-12


def interpolate(real, fake, seed):
  """x_hat = eps * real + (1 - eps) * fake with eps ~ Uniform[0, 1], one eps per example.

  Under a distribution strategy eps is drawn for the global batch and each replica keeps its
  rows (`tfgan.distribute.replica_draw`), as one device would draw it.

  Args:
    real, fake: float32 [B, H, W, C] (any rank >= 2; eps broadcasts over the non-batch axes).
    seed: a keras.random.SeedGenerator or seed tensor.
  Returns:
    float32 tensor shaped like `real`.
  """
  ones = tf.ones([tf.rank(real) - 1], tf.int32)
  eps = distribute.replica_draw(
      lambda n: keras.random.uniform(tf.concat([[n], ones], 0), 0.0, 1.0, seed=seed),
      tf.shape(real)[0])
  return eps * real + (1.0 - eps) * tf.cast(fake, real.dtype)


def _input_gradients(discriminator, images):
  with tf.GradientTape() as tape:
    tape.watch(images)
    scores = discriminator(images)
    total = tf.reduce_sum(tf.cast(scores, tf.float32))
  grads = tape.gradient(total, images)
  return tf.reshape(grads, [tf.shape(images)[0], -1])


def gradient_penalty(discriminator, real, fake, seed):
  """WGAN-GP penalty (||grad_x D(x_hat)||_2 - 1)^2 at random interpolates (Gulrajani et al.
  2017, https://arxiv.org/abs/1704.00028, eq. 3). Each example's score depends only on its
  own image (no batch norm in the critic), so the gradient of the summed scores gives each
  example's gradient.

  Args:
    discriminator: callable, images [B, ...] -> scores [B, 1], called as in training.
    real, fake: float32 [B, H, W, C].
    seed: keras.random.SeedGenerator for the interpolation weights.
  Returns:
    [B] float32 per-example penalty, >= 0 (multiply by lambda, 10 in the paper).
  """
  grads = _input_gradients(discriminator, interpolate(real, fake, seed))
  norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=1) + NORM_EPSILON)
  return tf.square(norm - 1.0)


def r1_penalty(discriminator, real):
  """R1 penalty ||grad_x D(x)||_2^2 on real images (Mescheder et al. 2018,
  https://arxiv.org/abs/1801.04406, eq. 9).

  Args:
    discriminator: callable, images [B, ...] -> scores [B, 1], called as in training.
    real: float32 [B, H, W, C].
  Returns:
    [B] float32 per-example penalty, >= 0 (multiply by gamma / 2).
  """
  grads = _input_gradients(discriminator, real)
  return tf.reduce_sum(tf.square(grads), axis=1)


def path_lengths(synthesis, ws, seed):
  """StyleGAN2's per-example path lengths ||J_w^T y||_2 (Karras et al. 2020,
  https://arxiv.org/abs/1912.04958, eq. 4), as NVlabs computes them: y ~ N(0, I) / sqrt(H W)
  shaped like the images, g = d sum(images * y) / d ws, length = sqrt(mean over the num_ws
  styles of sum over w_dim of g^2). Differentiable (second order) with respect to the
  generator's weights.

  Args:
    synthesis: callable, ws float32 [B, num_ws, w_dim] -> images [B, H, W, C] (each image
      depending on its own ws only), called as in training.
    ws: float32 [B, num_ws, w_dim].
    seed: keras.random.SeedGenerator or seed tensor for y.
  Returns:
    float32 [B], >= 0.
  """
  with tf.GradientTape() as tape:
    tape.watch(ws)
    images = tf.cast(synthesis(ws), tf.float32)
    scale = 1.0 / math.sqrt(images.shape[1] * images.shape[2])
    y = distribute.replica_draw(  # the global batch's draw, as for the interpolates above
        lambda n: keras.random.normal(tf.concat([[n], tf.shape(images)[1:]], 0), seed=seed),
        tf.shape(images)[0]) * scale
    total = tf.reduce_sum(images * y)
  grads = tape.gradient(total, ws)
  return tf.sqrt(tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=2), axis=1) +
                 NORM_EPSILON)


def path_length_penalty(lengths, pl_mean, batch_mean, decay=0.01):
  """StyleGAN2's path-length penalty against the running mean a of the lengths.

  a <- pl_mean + decay (batch_mean - pl_mean), penalty = (lengths - a)^2 per example.
  batch_mean: the mean length over the global batch (all replicas: the caller reduces it),
  held constant (NVlabs lets the 0.01 x mean path carry a gradient on its one device; a
  cross-replica mean cannot).

  Args:
    lengths: float32 [B] (path_lengths). pl_mean: float32 scalar, the running mean so far
      (0 at the start). batch_mean: float32 scalar. decay: 0.01 in the paper.
  Returns:
    (penalty float32 [B], the new running mean float32 scalar): multiply the penalty by the
    weight (2) and the lazy interval (4).
  """
  new_mean = pl_mean + decay * (tf.stop_gradient(batch_mean) - pl_mean)
  return tf.square(lengths - new_mean), new_mean
