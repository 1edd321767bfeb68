import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import regularizers


def _linear_critic(w):
  """D(x) = <w, x>: its input gradient is w everywhere."""
  critic = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(1, use_bias=False)])
  critic.layers[-1].kernel.assign(np.reshape(w, (4, 1)).astype(np.float32))
  return critic


def _quadratic_critic(images):
  """D(x) = 1/2 ||x||^2: its input gradient is x."""
  return 0.5 * tf.reduce_sum(tf.square(images), axis=[1, 2, 3])[:, None]


def test_interpolation_weight_is_uniform_per_example():
  real, fake = tf.ones((2000, 4, 4, 3)), tf.zeros((2000, 4, 4, 3))
  x = regularizers.interpolate(real, fake, keras.random.SeedGenerator(0)).numpy()
  eps = x[:, 0, 0, 0]
  assert np.all(x == eps[:, None, None, None])  # one weight per example, every pixel alike
  assert 0.0 <= eps.min() < 0.02 and 0.98 < eps.max() <= 1.0
  assert abs(eps.mean() - 0.5) < 0.03  # Uniform[0, 1], not a point mass or a normal


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
  w = np.array([0.5, -1.0, 2.0, 0.0])
  rng = np.random.default_rng(0)
  real, fake = (tf.constant(rng.normal(size=(5, 2, 2, 1)), tf.float32) for _ in range(2))
  gp = regularizers.gradient_penalty(_linear_critic(w), real, fake,
                                     keras.random.SeedGenerator(1)).numpy()
  np.testing.assert_allclose(gp, np.full(5, (np.linalg.norm(w) - 1) ** 2), rtol=1e-5)


def test_gradient_penalty_of_a_quadratic_critic_matches_numpy():
  rng = np.random.default_rng(2)
  real, fake = (tf.constant(rng.normal(size=(6, 3, 3, 2)), tf.float32) for _ in range(2))
  gp = regularizers.gradient_penalty(_quadratic_critic, real, fake,
                                     keras.random.SeedGenerator(3)).numpy()
  x_hat = regularizers.interpolate(real, fake, keras.random.SeedGenerator(3)).numpy()
  expected = (np.linalg.norm(x_hat.reshape(6, -1).astype(np.float64), axis=1) - 1) ** 2
  np.testing.assert_allclose(gp, expected, rtol=1e-5)


def test_gradient_penalty_stays_finite_at_zero_gradient():
  critic = _linear_critic(np.zeros(4))
  real = tf.ones((3, 2, 2, 1))
  with tf.GradientTape() as tape:
    gp = regularizers.gradient_penalty(critic, real, -real, keras.random.SeedGenerator(0))
    loss = tf.reduce_mean(gp)
  grads = tape.gradient(loss, critic.trainable_variables)
  np.testing.assert_allclose(gp.numpy(), 1.0, rtol=1e-5)
  assert all(np.all(np.isfinite(g.numpy())) for g in grads)


def test_r1_matches_closed_forms():
  rng = np.random.default_rng(4)
  real = tf.constant(rng.normal(size=(4, 2, 2, 1)), tf.float32)
  w = np.array([1.0, 2.0, -2.0, 0.5])
  np.testing.assert_allclose(regularizers.r1_penalty(_linear_critic(w), real).numpy(),
                             np.full(4, np.sum(w ** 2)), rtol=1e-5)
  np.testing.assert_allclose(regularizers.r1_penalty(_quadratic_critic, real).numpy(),
                             np.sum(real.numpy().reshape(4, -1) ** 2, axis=1), rtol=1e-5)


def test_path_lengths_and_their_penalty_match_a_hand_computation():
  # A linear synthesis images = sum_{n,d} ws[b, n, d] A[n, d, :] times a scale s: J^T y is
  # s A y, so each length is s sqrt(mean_n sum_d (A y)^2) and d(sum lengths)/ds = sum(L / s).
  rng = np.random.default_rng(0)
  b, num_ws, w_dim, h, w, c = 3, 4, 5, 6, 6, 2
  a = tf.constant(rng.normal(size=(num_ws, w_dim, h * w * c)), tf.float32)
  s = tf.Variable(1.5)
  synthesis = lambda ws: s * tf.reshape(tf.einsum("bnd,ndp->bp", ws, a), (-1, h, w, c))  # noqa: E731
  ws = tf.constant(rng.normal(size=(b, num_ws, w_dim)), tf.float32)
  with tf.GradientTape() as tape:
    lengths = regularizers.path_lengths(synthesis, ws, keras.random.SeedGenerator(7))
    total = tf.reduce_sum(lengths)
  y = keras.random.normal((b, h, w, c), seed=keras.random.SeedGenerator(7)).numpy() / 6.0
  g = 1.5 * np.einsum("ndp,bp->bnd", a.numpy(), y.reshape(b, -1))
  want = np.sqrt(np.mean(np.sum(g ** 2, axis=2), axis=1))
  np.testing.assert_allclose(lengths.numpy(), want, rtol=1e-4)
  np.testing.assert_allclose(tape.gradient(total, s).numpy(), want.sum() / 1.5, rtol=1e-4)
  penalty, new_mean = regularizers.path_length_penalty(lengths, tf.constant(2.0),
                                                       tf.reduce_mean(lengths), decay=0.1)
  mean = 2.0 + 0.1 * (want.mean() - 2.0)
  assert float(new_mean) == pytest.approx(mean, rel=1e-5)
  np.testing.assert_allclose(penalty.numpy(), (want - mean) ** 2, rtol=1e-4)
