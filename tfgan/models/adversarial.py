"""What the image-to-image GANs (pix2pix, inpainting) may add to their L1 + adversarial
objective, from the references that get sharp and clean outputs (issue 30). Each is off by
default; `Extras` holds the settings and `ExtrasMixin` the train-step pieces a family model
calls. With D's input z = (condition, image) (pix2pix: input | output; inpainting: image |
mask) and per-example terms reduced over the global batch by the train step:

- Feature matching (pix2pixHD, Wang et al. 2018, https://arxiv.org/abs/1711.11585, eq. 4):
    FM = sum_i w_i * mean |D_i(z_real) - D_i(z_fake)|,   w_i = 4 / L,
  over D's L intermediate activations D_i (tfgan.networks.unet.PatchDiscriminator.features:
  after each LeakyReLU; pix2pixHD's 4 / (n_layers + 1) per layer), the real features held
  fixed; G's loss adds feature_matching_weight * FM (10 in pix2pixHD).
- R1 on the PatchGAN (Mescheder et al. 2018, https://arxiv.org/abs/1801.04406, eq. 9):
    R1 = ||grad_z mean_patches D(z_real)||^2  (the gradient with respect to D's whole real
  input, through the augmentation when it is on); D's loss adds r1_gamma / 2 * R1.
- DiffAugment on D's inputs (Zhao et al. 2020, https://arxiv.org/abs/2006.10738): the policy
  applied to z_real and z_fake with independent draws in D's step, and with one draw shared by
  both in G's step, so feature matching compares the same view; 'color' changes the image
  channels only, translation and cutout move condition and image together.
- The adversarial weight ramped in: lambda_gan * min(1, k / ramp_steps) at G update k (0 at the
  first), so a generator started from an L1 model (--init_from) is not thrown off by an
  untrained D.
- An exponential moving average of G's weights (tfgan.models.base.ema_copy / update_ema,
  half-life in images, the ESRGAN/StyleGAN practice): previews, evaluation and the export use
  it.
"""

import dataclasses

import keras
import tensorflow as tf
from keras import ops

from tfgan import augment as augment_lib
from tfgan import distribute
from tfgan.models import base


@dataclasses.dataclass(frozen=True)
class Extras:
  """The settings above, as a family model takes them (all off by default).

  feature_matching_weight: >= 0; r1_gamma: >= 0; augment: a tfgan.augment.DiffAugment (empty:
  off); ramp_steps: G updates over which the adversarial weight rises from 0 (0: full from the
  start); ema_half_life: in training images (0: no average)."""
  feature_matching_weight: float = 0.0
  r1_gamma: float = 0.0
  augment: augment_lib.DiffAugment = augment_lib.DiffAugment()
  ramp_steps: int = 0
  ema_half_life: float = 0.0

  def __post_init__(self):
    for name in ("feature_matching_weight", "r1_gamma", "ramp_steps", "ema_half_life"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}.")

  @classmethod
  def from_config(cls, config):
    """From a Config: --feature_matching_weight, --r1_gamma, --diffaugment,
    --gan_ramp_steps and --ema_kimg (x 1000 images)."""
    t, o = config.translation, config.objective
    return cls(t.feature_matching_weight, o.r1_gamma, augment_lib.DiffAugment.parse(
        o.diffaugment), t.gan_ramp_steps, config.optimization.ema_kimg * 1000)


def feature_matching(real_features, fake_features, batch_size):
  """Per-example FM float32 [B] (the module docstring) of two lists of D activations
  [B, h_i, w_i, c_i] (PatchDiscriminator.features without its last entry, the logits)."""
  weight = 4.0 / len(fake_features)
  total = 0.0
  for real, fake in zip(real_features, fake_features):
    diff = ops.abs(ops.stop_gradient(ops.cast(real, "float32")) - ops.cast(fake, "float32"))
    total = total + weight * base.per_example_mean(diff, batch_size)
  return total


def r1_penalty(d_logits, real_in):
  """Per-example ||grad_z mean_patches D(z)||^2 float32 [B] at D's real inputs z float32
  [B, H, W, C]; d_logits: z -> patch logits [B, h, w, 1] (each example's logits depend on its
  own input only: no batch norm in D)."""
  with tf.GradientTape() as tape:
    tape.watch(real_in)
    logits = ops.cast(d_logits(real_in), "float32")
    total = ops.sum(ops.mean(ops.reshape(logits, (ops.shape(real_in)[0], -1)), axis=1))
  grads = tape.gradient(total, real_in)
  return ops.sum(ops.square(ops.reshape(grads, (ops.shape(real_in)[0], -1))), axis=1)


class ExtrasMixin:
  """Train-step pieces for a keras.Model with `generator`, `discriminator` and
  `g_optimizer`: call `_init_extras(extras, seed)` in __init__ (after the networks are set)."""

  def _init_extras(self, extras, seed=None):
    self.extras = extras or Extras()
    # The augmentation's draws; saved by the checkpoint with the model's other state.
    self.extras_seed = keras.random.SeedGenerator(seed)
    self.ema_generator = (base.ema_copy(self.generator) if self.extras.ema_half_life > 0
                          else None)
    self.fm_tracker = keras.metrics.Mean(name="fm")
    self.r1_tracker = keras.metrics.Mean(name="r1")

  def _extras_metrics(self):
    return ([self.fm_tracker] if self.extras.feature_matching_weight else []) + (
        [self.r1_tracker] if self.extras.r1_gamma else [])

  def _extras_checkpoint(self):
    """The EMA generator and the augmentation's RNG state, when they are in use."""
    out = {}
    if self.ema_generator is not None:
      out["ema_generator"] = self.ema_generator
      out.update({f"ema_seeds.{k}": v for k, v in base.seed_states(self.ema_generator).items()})
    if self.extras.augment:
      out["augment_rng"] = self.extras_seed.state
    return out

  @property
  def sampling_generator(self):
    """What previews, evaluation and the export use: the EMA generator when there is one."""
    return self.ema_generator if self.ema_generator is not None else self.generator

  def _augment_seed(self):
    return tf.cast(tf.math.floormod(self.extras_seed.next(), tf.int32.max - 1), tf.int32)

  def _augment(self, z, seed, colour_channels):
    """z augmented by the policy (z itself when it is off); seed None draws a new one."""
    if not self.extras.augment:
      return z
    seed = self._augment_seed() if seed is None else seed
    return self.extras.augment(z, seed, rows=distribute.replica_rows(tf.shape(z)[0]),
                               colour_channels=colour_channels)

  def _gan_weight(self, weight):
    """weight x the ramp at this G update (a float32 scalar tensor, or `weight` itself)."""
    if not self.extras.ramp_steps:
      return weight
    k = ops.cast(self.g_optimizer.iterations, "float32")
    return weight * ops.minimum(1.0, k / float(self.extras.ramp_steps))

  def _averaged(self):
    """(average, generator) pairs that `_update_ema` updates (one; CycleGAN adds G_BA's)."""
    return [(self.ema_generator, self.generator)]

  def _update_ema(self, batch_size):
    """After G's update: each average takes this step's global batch of images."""
    if self.ema_generator is None:
      return
    images = ops.cast(batch_size, "float32") * float(
        tf.distribute.get_strategy().num_replicas_in_sync)
    for ema, generator in self._averaged():
      base.update_ema(ema, generator, images, self.extras.ema_half_life)
