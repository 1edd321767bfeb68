import math

import numpy as np
import pytest
import tensorflow as tf

from tfgan import losses


def _sigmoid(x):
  return 1.0 / (1.0 + math.exp(-x))


REAL = [2.0, -1.0, 0.0]
FAKE = [-3.0, 0.5, 0.0]


def test_non_saturating_matches_hand_computed_values():
  g = losses.non_saturating_generator_loss(tf.constant(FAKE)).numpy()
  d = losses.non_saturating_discriminator_loss(tf.constant(REAL), tf.constant(FAKE)).numpy()
  np.testing.assert_allclose(g, [-math.log(_sigmoid(f)) for f in FAKE], rtol=1e-6)
  expected_d = [-math.log(_sigmoid(r)) - math.log(1 - _sigmoid(f)) for r, f in zip(REAL, FAKE)]
  np.testing.assert_allclose(d, expected_d, rtol=1e-6)
  # D at chance on both: log 4.
  assert d[2] == pytest.approx(math.log(4.0), rel=1e-6)


def test_minimax_matches_hand_computed_values():
  g = losses.minimax_generator_loss(tf.constant(FAKE)).numpy()
  np.testing.assert_allclose(g, [math.log(1 - _sigmoid(f)) for f in FAKE], rtol=1e-6)
  d = losses.minimax_discriminator_loss(tf.constant(REAL), tf.constant(FAKE)).numpy()
  # -log D(x) - log(1 - D(G(z))) with D = 1 / (1 + e^-l), in numpy: the same game as the
  # non-saturating D, but checked against numbers, not against that function.
  real, fake = np.array(REAL), np.array(FAKE)
  expected = -np.log(1 / (1 + np.exp(-real))) - np.log(1 - 1 / (1 + np.exp(-fake)))
  np.testing.assert_allclose(d, expected, rtol=1e-6)
  # By hand: r = 2, f = -3: log(1 + e^-2) + log(1 + e^-3) = 0.126928 + 0.048587.
  assert d[0] == pytest.approx(0.175515, abs=1e-6)
  assert d[2] == pytest.approx(math.log(4.0), rel=1e-6)  # chance on both


def test_losses_are_per_example_and_accept_column_logits():
  col = tf.constant([[1.0], [2.0], [3.0], [4.0]])
  for pair in losses.LOSSES.values():
    assert pair.generator(col).shape == (4,)
    assert pair.discriminator(col, col).shape == (4,)
    assert pair.generator(col).dtype == tf.float32


def test_extreme_logits_stay_finite():
  big = tf.constant([1e4, -1e4])
  for pair in losses.LOSSES.values():
    assert np.all(np.isfinite(pair.generator(big).numpy()))
    assert np.all(np.isfinite(pair.discriminator(big, big).numpy()))


def test_generator_gradients_point_the_right_way():
  # Every generator loss must decrease as D's score on fakes rises towards "real" (LSGAN's
  # target is 1, so the points stay below it).
  for pair in losses.LOSSES.values():
    x = tf.Variable([-2.0, 0.0, 0.5])
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(pair.generator(x))
    assert np.all(tape.gradient(loss, x).numpy() < 0)


def test_non_saturating_keeps_gradient_where_minimax_saturates():
  x = tf.Variable([-8.0])  # D confidently rejects the fake.
  grads = {}
  for name in ("non_saturating", "minimax"):
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(losses.LOSSES[name].generator(x))
    grads[name] = abs(float(tape.gradient(loss, x)[0]))
  assert grads["non_saturating"] > 0.99
  assert grads["minimax"] < 1e-3


def test_wasserstein_hinge_and_least_squares_match_hand_computed_values():
  r, f = tf.constant(REAL), tf.constant(FAKE)
  np.testing.assert_allclose(losses.wasserstein_generator_loss(f), [3.0, -0.5, 0.0])
  np.testing.assert_allclose(losses.wasserstein_discriminator_loss(r, f), [-5.0, 1.5, 0.0])
  np.testing.assert_allclose(losses.hinge_generator_loss(f), [3.0, -0.5, 0.0])
  # relu(1 - r) + relu(1 + f): r = 2 -> 0, f = -3 -> 0; r = -1 -> 2, f = 0.5 -> 1.5; 1 + 1.
  np.testing.assert_allclose(losses.hinge_discriminator_loss(r, f), [0.0, 3.5, 2.0])
  np.testing.assert_allclose(losses.least_squares_generator_loss(f), [8.0, 0.125, 0.5])
  np.testing.assert_allclose(losses.least_squares_discriminator_loss(r, f),
                             [0.5 + 4.5, 2.0 + 0.125, 0.5])


def test_one_sided_label_smoothing():
  s = 0.1
  d = losses.non_saturating_discriminator_loss(tf.constant(REAL), tf.constant(FAKE),
                                               label_smoothing=s).numpy()
  expected = [-(1 - s) * math.log(_sigmoid(r)) - s * math.log(1 - _sigmoid(r))
              - math.log(1 - _sigmoid(f)) for r, f in zip(REAL, FAKE)]
  np.testing.assert_allclose(d, expected, rtol=1e-5)
  # Smoothing touches only the real side: the fake term is unchanged.
  zero = tf.zeros(3)
  np.testing.assert_allclose(
      losses.non_saturating_discriminator_loss(zero, tf.constant(FAKE), label_smoothing=s),
      losses.non_saturating_discriminator_loss(zero, tf.constant(FAKE)), rtol=1e-6)


def test_get_names_the_choices_and_pairs_say_what_the_model_must_know():
  with pytest.raises(ValueError, match="Unknown loss 'hinge_typo'.*loss must be one of"):
    losses.get("hinge_typo")
  assert losses.get("hinge") is losses.LOSSES["hinge"]
  assert {n for n, p in losses.LOSSES.items() if p.cross_entropy} == {"non_saturating",
                                                                       "minimax"}
  assert {n for n, p in losses.LOSSES.items() if p.critic} == {"wasserstein"}
  assert all(p.name == n for n, p in losses.LOSSES.items())

