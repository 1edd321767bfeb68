"""GAN losses as pure paired functions on discriminator logits.

Each pair is `<name>_generator_loss(fake_logits)` and
`<name>_discriminator_loss(real_logits, fake_logits)`. Logits are float tensors of shape [B] or
[B, 1] (any real value; D(x) = sigmoid(logit)). Each returns a float32 per-example loss of shape
[B]. Reduction over the global batch happens once, in `GAN.train_step`, so that the losses stay
correct under tf.distribute (gradients are summed across replicas).
"""

import collections

import tensorflow as tf

# A loss pair and what the GAN model must know about it: `name` (for messages),
# `cross_entropy` (D's output is a probability logit, so one-sided label smoothing has a
# meaning and `discriminator` takes label_smoothing) and `critic` (D is an unbounded critic
# that must be kept 1-Lipschitz: weight clipping, a gradient penalty or spectral norm).
LossPair = collections.namedtuple(
    "LossPair", ["generator", "discriminator", "name", "cross_entropy", "critic"],
    defaults=("custom", False, False))


def _flat(logits):
  logits = tf.convert_to_tensor(logits)
  return tf.reshape(tf.cast(logits, tf.float32), [-1])


def non_saturating_generator_loss(fake_logits):
  """Non-saturating generator loss, -log D(G(z)) (Goodfellow et al. 2014, sec. 3).

  https://arxiv.org/abs/1406.2661. With l = logit, -log sigmoid(l) = softplus(-l), which keeps
  strong gradients early in training when D rejects G's samples (l << 0).

  Args:
    fake_logits: [B] or [B, 1] discriminator logits on generated images.
  Returns:
    [B] float32 per-example loss, >= 0.
  """
  return tf.math.softplus(-_flat(fake_logits))


def non_saturating_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
  """Discriminator cross-entropy, -log D(x) - log(1 - D(G(z))) (Goodfellow et al. 2014).

  https://arxiv.org/abs/1406.2661. In logits: softplus(-l_real) + softplus(l_fake). With
  one-sided label smoothing s (Salimans et al. 2016, https://arxiv.org/abs/1606.03498) the
  real target is 1 - s: -(1 - s) log D(x) - s log(1 - D(x)) - log(1 - D(G(z))).

  Args:
    real_logits: [B] or [B, 1] logits on real images.
    fake_logits: [B] or [B, 1] logits on generated images (same B).
    label_smoothing: s in [0, 1); fakes keep target 0.
  Returns:
    [B] float32 per-example loss, >= 0 (log 4 ~ 1.386 when D outputs 1/2 everywhere).
  """
  real, fake = _flat(real_logits), _flat(fake_logits)
  real_term = (1.0 - label_smoothing) * tf.math.softplus(-real) + label_smoothing * (
      tf.math.softplus(real))
  return real_term + tf.math.softplus(fake)


def minimax_generator_loss(fake_logits):
  """Original minimax generator loss, log(1 - D(G(z))) (Goodfellow et al. 2014, eq. 1).

  https://arxiv.org/abs/1406.2661. In logits: log(1 - sigmoid(l)) = -softplus(l). Saturates
  when D confidently rejects fakes; kept for reproducing the paper.

  Args:
    fake_logits: [B] or [B, 1] logits on generated images.
  Returns:
    [B] float32 per-example loss, <= 0.
  """
  return -tf.math.softplus(_flat(fake_logits))


def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
  """Minimax discriminator loss; the same cross-entropy as the non-saturating game.

  https://arxiv.org/abs/1406.2661. -log D(x) - log(1 - D(G(z))), with optional one-sided
  label smoothing as in `non_saturating_discriminator_loss`.

  Returns:
    [B] float32 per-example loss, >= 0.
  """
  return non_saturating_discriminator_loss(real_logits, fake_logits, label_smoothing)


def wasserstein_generator_loss(fake_logits):
  """Wasserstein generator loss, -D(G(z)) (Arjovsky et al. 2017, https://arxiv.org/abs/1701.07875).

  D is a critic (unbounded score, 1-Lipschitz by weight clipping, a gradient penalty or
  spectral normalization); G raises the critic's score on its samples.

  Returns:
    [B] float32 per-example loss, any real value.
  """
  return -_flat(fake_logits)


def wasserstein_discriminator_loss(real_logits, fake_logits):
  """Wasserstein critic loss, D(G(z)) - D(x): its negative mean estimates the Wasserstein-1
  distance when D is 1-Lipschitz (Arjovsky et al. 2017, eq. 3).

  Returns:
    [B] float32 per-example loss, any real value.
  """
  return _flat(fake_logits) - _flat(real_logits)


def hinge_generator_loss(fake_logits):
  """Hinge-GAN generator loss, -D(G(z)) (Lim & Ye 2017, https://arxiv.org/abs/1705.02894;
  Miyato et al. 2018, https://arxiv.org/abs/1802.05957).

  Returns:
    [B] float32 per-example loss, any real value.
  """
  return -_flat(fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
  """Hinge discriminator loss, max(0, 1 - D(x)) + max(0, 1 + D(G(z))) (Lim & Ye 2017).

  Returns:
    [B] float32 per-example loss, >= 0 (0 once real scores >= 1 and fake scores <= -1).
  """
  return tf.nn.relu(1.0 - _flat(real_logits)) + tf.nn.relu(1.0 + _flat(fake_logits))


def least_squares_generator_loss(fake_logits):
  """LSGAN generator loss, 1/2 (D(G(z)) - 1)^2 (Mao et al. 2017, https://arxiv.org/abs/1611.04076,
  eq. 2 with a = 0, b = c = 1).

  Returns:
    [B] float32 per-example loss, >= 0.
  """
  return 0.5 * tf.square(_flat(fake_logits) - 1.0)


def least_squares_discriminator_loss(real_logits, fake_logits):
  """LSGAN discriminator loss, 1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2 (Mao et al. 2017, eq. 2).

  Returns:
    [B] float32 per-example loss, >= 0.
  """
  return 0.5 * tf.square(_flat(real_logits) - 1.0) + 0.5 * tf.square(_flat(fake_logits))


def relativistic_average_generator_loss(real_logits, fake_logits, real_mean, fake_mean):
  """Relativistic average GAN generator loss (Jolicoeur-Martineau 2018,
  https://arxiv.org/abs/1807.00734; ESRGAN, Wang et al. 2018, eq. 2), on raw critic values C:
  1/2 [-log(1 - sigmoid(C(x_r) - E[C(x_f)])) - log sigmoid(C(x_f) - E[C(x_r)])]
  = 1/2 [softplus(C(x_r) - E[C(x_f)]) + softplus(E[C(x_r)] - C(x_f))]: G is rewarded for
  making real images look less real than its fakes on average, so both terms carry gradient.

  Args:
    real_logits, fake_logits: float [N] critic values (per example or per patch).
    real_mean, fake_mean: float scalars, E[C(x_r)] and E[C(x_f)] over the global batch (the
      caller averages across replicas).
  Returns:
    [N] float32 per-logit loss, >= 0.
  """
  real, fake = _flat(real_logits), _flat(fake_logits)
  return 0.5 * (tf.math.softplus(real - fake_mean) + tf.math.softplus(real_mean - fake))


def relativistic_average_discriminator_loss(real_logits, fake_logits, real_mean, fake_mean):
  """Relativistic average GAN discriminator loss (as above, the labels swapped):
  1/2 [softplus(E[C(x_f)] - C(x_r)) + softplus(C(x_f) - E[C(x_r)])].

  Returns:
    [N] float32 per-logit loss, >= 0.
  """
  real, fake = _flat(real_logits), _flat(fake_logits)
  return 0.5 * (tf.math.softplus(fake_mean - real) + tf.math.softplus(fake - real_mean))


LOSSES = {
    "non_saturating": LossPair(non_saturating_generator_loss, non_saturating_discriminator_loss,
                               "non_saturating", cross_entropy=True),
    "minimax": LossPair(minimax_generator_loss, minimax_discriminator_loss, "minimax",
                        cross_entropy=True),
    "wasserstein": LossPair(wasserstein_generator_loss, wasserstein_discriminator_loss,
                            "wasserstein", critic=True),
    "hinge": LossPair(hinge_generator_loss, hinge_discriminator_loss, "hinge"),
    "least_squares": LossPair(least_squares_generator_loss, least_squares_discriminator_loss,
                              "least_squares"),
}


def get(name):
  """The LossPair registered as `name`; ValueError naming the choices otherwise."""
  if name not in LOSSES:
    raise ValueError(f"Unknown loss {name!r}: loss must be one of {sorted(LOSSES)}.")
  return LOSSES[name]


def info_loss(codes, code_logits):
  """InfoGAN's mutual-information term for a categorical code (Chen et al. 2016, eq. 5).

  https://arxiv.org/abs/1606.03657. I(c; G(z, c)) >= H(c) + E[log Q(c | G(z, c))]; H(c) is a
  constant (log K for a uniform code), so G and Q both minimise the cross-entropy
  -log Q(c | x) of the code c that made x. Added, times lambda (1 in the paper), to both
  networks' losses.

  Args:
    codes: int [B], the codes in [0, K) the fakes were generated with.
    code_logits: [B, K] Q's logits on those fakes.
  Returns:
    [B] float32 per-example loss, >= 0 (log K when Q guesses uniformly).
  """
  return tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=tf.cast(tf.reshape(codes, [-1]), tf.int32),
      logits=tf.cast(code_logits, tf.float32))
