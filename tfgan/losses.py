"""GAN losses as pure paired functions on discriminator logits.

Each pair is `<name>_generator_loss(fake_logits)` and
`<name>_discriminator_loss(real_logits, fake_logits)`. Logits are float tensors of shape [B] or
[B, 1] (any real value; D(x) = sigmoid(logit)). Each returns a float32 per-example loss of shape
[B]. Reduction over the global batch happens once, in `GAN.train_step`, so that the losses stay
correct under tf.distribute (gradients are summed across replicas).
"""

import collections

import tensorflow as tf

LossPair = collections.namedtuple("LossPair", ["generator", "discriminator"])


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


def non_saturating_discriminator_loss(real_logits, fake_logits):
  """Discriminator cross-entropy, -log D(x) - log(1 - D(G(z))) (Goodfellow et al. 2014).

  https://arxiv.org/abs/1406.2661. In logits: softplus(-l_real) + softplus(l_fake).

  Args:
    real_logits: [B] or [B, 1] logits on real images.
    fake_logits: [B] or [B, 1] logits on generated images (same B).
  Returns:
    [B] float32 per-example loss, >= 0 (log 4 ~ 1.386 when D outputs 1/2 everywhere).
  """
  return tf.math.softplus(-_flat(real_logits)) + tf.math.softplus(_flat(fake_logits))


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


def minimax_discriminator_loss(real_logits, fake_logits):
  """Minimax discriminator loss; the same cross-entropy as the non-saturating game.

  https://arxiv.org/abs/1406.2661. -log D(x) - log(1 - D(G(z))).

  Args:
    real_logits: [B] or [B, 1] logits on real images.
    fake_logits: [B] or [B, 1] logits on generated images.
  Returns:
    [B] float32 per-example loss, >= 0.
  """
  return non_saturating_discriminator_loss(real_logits, fake_logits)


LOSSES = {
    "non_saturating": LossPair(non_saturating_generator_loss, non_saturating_discriminator_loss),
    "minimax": LossPair(minimax_generator_loss, minimax_discriminator_loss),
}
