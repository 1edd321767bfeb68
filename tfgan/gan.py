"""The GAN model: a keras.Model that owns G and D and trains both in `train_step` under fit()."""

import keras
import tensorflow as tf
from keras import ops

from tfgan import losses as losses_lib


class GAN(keras.Model):
  """Adversarial training of `generator` against `discriminator` with a paired loss.

  Each `train_step` takes a batch of real images float32 [d_steps * B, H, W, C] in [-1, 1]
  (optionally with labels, ignored here), splits it into `d_steps` chunks of B images for
  `d_steps` discriminator updates, then makes one generator update on B fresh latents. B is
  read from the batch, so it is the per-replica batch under tf.distribute. Per-example losses
  are averaged over the global batch (`tf.nn.compute_average_loss`) because gradients are summed
  across replicas.

  Args:
    generator: keras.Model, z float32 [B, latent_dim] -> images [B, H, W, C] in [-1, 1].
    discriminator: keras.Model, images -> logits float32 [B, 1].
    latent_dim: length of z ~ N(0, I).
    loss: a key of `tfgan.losses.LOSSES`.
    d_steps: discriminator updates per generator update.
    seed: seed of the model's SeedGenerator for latents drawn in the step (None: random).
    ema_half_life: half-life, in real images seen, of an exponential moving average of G's
      weights (Karras et al. 2018, https://arxiv.org/abs/1710.10196); 0 disables it. After each
      G update w_ema <- b * w_ema + (1 - b) * w with b = 0.5 ** (global batch / half-life);
      batch-norm statistics are copied. `sampling_generator` is then the averaged copy.
  """

  def __init__(self, generator, discriminator, latent_dim, loss="non_saturating", d_steps=1,
               seed=None, ema_half_life=0.0, **kwargs):
    super().__init__(**kwargs)
    if loss not in losses_lib.LOSSES:
      raise ValueError(f"Unknown loss {loss!r}; choose one of {sorted(losses_lib.LOSSES)}.")
    if int(d_steps) < 1:
      raise ValueError(f"d_steps must be >= 1, got {d_steps!r}.")
    self.generator = generator
    self.discriminator = discriminator
    self.latent_dim = int(latent_dim)
    self.loss_name = loss
    self.loss_pair = losses_lib.LOSSES[loss]
    self.d_steps = int(d_steps)
    self.seed_generator = keras.random.SeedGenerator(seed)
    if ema_half_life < 0:
      raise ValueError(f"ema_half_life must be >= 0 images, got {ema_half_life!r}.")
    self.ema_half_life = float(ema_half_life)
    self.ema_generator = None
    if self.ema_half_life > 0:
      self.ema_generator = generator.__class__.from_config(
          {**generator.get_config(), "name": "generator_ema"})
      self.ema_generator.build((None, self.latent_dim))
      self.ema_generator.set_weights(generator.get_weights())
    self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
    self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
    # Mean D(x) and D(G(z)) in [0, 1]: the quickest signs of a discriminator that has won.
    self.real_score_tracker = keras.metrics.Mean(name="d_real")
    self.fake_score_tracker = keras.metrics.Mean(name="d_fake")

  @property
  def metrics(self):
    return [self.d_loss_tracker, self.g_loss_tracker, self.real_score_tracker,
            self.fake_score_tracker]

  def compile(self, g_optimizer, d_optimizer, **kwargs):
    """Sets one optimizer per network; other kwargs (jit_compile, steps_per_execution, ...)
    go to keras.Model.compile."""
    super().compile(**kwargs)
    self.g_optimizer = g_optimizer
    self.d_optimizer = d_optimizer

  def build_optimizers(self):
    """Creates both optimizers' slot variables now, so a checkpoint can restore into them."""
    self.g_optimizer.build(self.generator.trainable_variables)
    self.d_optimizer.build(self.discriminator.trainable_variables)

  @property
  def sampling_generator(self):
    """The generator to sample, evaluate and export: the EMA copy when there is one."""
    return self.ema_generator if self.ema_generator is not None else self.generator

  @property
  def step(self):
    """Generator updates made so far (int64 variable, checkpointed with the optimizer)."""
    return self.g_optimizer.iterations

  def call(self, z, training=False):
    """Generates images [B, H, W, C] in [-1, 1] from latents z [B, latent_dim]."""
    return self.generator(z, training=training)

  def sample_latents(self, batch_size):
    """Draws z ~ N(0, I), float32 [batch_size, latent_dim], from the model's SeedGenerator.

    The stream is reproducible for a given seed and jit_compile setting; XLA's stateless
    normal sampler differs from TensorFlow's, so runs with and without XLA draw other latents.
    """
    return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

  def _discriminator_step(self, real):
    batch_size = ops.shape(real)[0]
    fake = self.generator(self.sample_latents(batch_size), training=True)
    with tf.GradientTape() as tape:
      real_logits = self.discriminator(real, training=True)
      fake_logits = self.discriminator(fake, training=True)
      per_example = self.loss_pair.discriminator(real_logits, fake_logits)
      loss = tf.nn.compute_average_loss(per_example)
    grads = tape.gradient(loss, self.discriminator.trainable_variables)
    self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
    self.d_loss_tracker.update_state(per_example)
    self.real_score_tracker.update_state(ops.sigmoid(real_logits))
    self.fake_score_tracker.update_state(ops.sigmoid(fake_logits))

  def _generator_step(self, batch_size):
    z = self.sample_latents(batch_size)
    with tf.GradientTape() as tape:
      fake_logits = self.discriminator(self.generator(z, training=True), training=True)
      per_example = self.loss_pair.generator(fake_logits)
      loss = tf.nn.compute_average_loss(per_example)
    grads = tape.gradient(loss, self.generator.trainable_variables)
    self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
    self.g_loss_tracker.update_state(per_example)

  def _update_ema(self, batch_size):
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    images = tf.cast(batch_size * replicas, tf.float32)
    beta = tf.pow(0.5, images / self.ema_half_life)
    for ema, w in zip(self.ema_generator.trainable_weights, self.generator.trainable_weights):
      ema.assign(beta * ema + (1.0 - beta) * w)
    for ema, w in zip(self.ema_generator.non_trainable_weights,
                      self.generator.non_trainable_weights):
      ema.assign(w)

  def train_step(self, data):
    real = data[0] if isinstance(data, (tuple, list)) else data
    chunk = ops.shape(real)[0] // self.d_steps
    for i in range(self.d_steps):  # Unrolled in the graph; d_steps is small (1-5).
      self._discriminator_step(real[i * chunk:(i + 1) * chunk])
    self._generator_step(chunk)
    if self.ema_generator is not None:
      self._update_ema(chunk)
    return {m.name: m.result() for m in self.metrics}
