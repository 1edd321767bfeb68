"""The paired image-to-image family (pix2pix, Isola et al. 2017, https://arxiv.org/abs/1611.07004):
`Pix2Pix`, a keras.Model that trains a U-Net G and a PatchGAN D in `train_step`, and
`Pix2PixFamily`, which builds it from a Config for the shared trainer (pairs from
tfgan.data.pairs, input | output | target preview rows, the generator as export, L1/PSNR/SSIM
on held-out pairs as evaluation).

Objective (the paper's eq. 4, with the reference code's reductions):
  D: 0.5 * mean_patches l_D(D(x, y), D(x, G(x)))       (the paper halves D's objective)
  G: lambda_gan * mean_patches l_G(D(x, G(x))) + lambda_l1 * mean |y - G(x)|
with (l_G, l_D) a tfgan.losses pair: non_saturating is the paper's BCE; least_squares is LSGAN
(tfgan's pair carries Mao et al.'s 1/2 factors, so G's adversarial term is half the reference
code's MSE: --lambda_gan=2 reproduces its weighting). lambda_gan = 0 trains G on L1 alone and
skips D. The optional extras of tfgan.models.adversarial (feature matching, R1, DiffAugment on
D's inputs, a ramped lambda_gan, an EMA of G) add their terms as documented there:
  D: ... + r1_gamma / 2 * R1(x, y)
  G: lambda_l1 * L1 + ramp_k * lambda_gan * l_G + feature_matching_weight * FM
"""

import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import data, export, generation, images, precision, rundir
from tfgan import losses as losses_lib
from tfgan.data import pairs as pairs_lib
from tfgan.models import adversarial, base
from tfgan.networks import unet


def _per_example(per_patch, batch_size):
  """Per-patch values [B * P] -> their mean per example [B]."""
  return ops.mean(ops.reshape(per_patch, (batch_size, -1)), axis=1)


class Pix2Pix(adversarial.ExtrasMixin, base.GeneratorDiscriminatorModel):
  """Conditional GAN for paired translation.

  Each `train_step` takes (input x float32 [B, H, W, C_in], target y float32 [B, H, W, C_out])
  in [-1, 1]; B is read from the batch (per replica). One D update on D(x, y) against
  D(x, G(x)) (inputs concatenated along channels), then one G update against the updated D.
  Per-example losses are averaged over the global batch (tf.nn.compute_average_loss).

  Args:
    generator: keras.Model, x -> G(x) in [-1, 1] (tfgan.networks.unet.UNetGenerator).
    discriminator: keras.Model, concat(x, y) -> patch logits [B, h, w, 1].
    loss: a tfgan.losses.LossPair.
    lambda_l1, lambda_gan: weights of G's L1 and adversarial terms (100 and 1 in the paper).
    extras: tfgan.models.adversarial.Extras (feature matching, R1, DiffAugment, the ramp, the
      EMA), or None for none of them.
    seed: seed of the augmentation's draws.
  """

  def __init__(self, generator, discriminator, loss=losses_lib.LOSSES["non_saturating"],
               lambda_l1=100.0, lambda_gan=1.0, extras=None, seed=None, **kwargs):
    super().__init__(**kwargs)
    if not isinstance(loss, losses_lib.LossPair):
      raise TypeError(f"loss must be a tfgan.losses.LossPair, got {loss!r}.")
    if lambda_l1 < 0 or lambda_gan < 0 or not (lambda_l1 or lambda_gan):
      raise ValueError(f"lambda_l1 and lambda_gan must be >= 0 and not both 0, got "
                       f"{lambda_l1!r}, {lambda_gan!r}.")
    self.generator, self.discriminator, self.loss_pair = generator, discriminator, loss
    self.lambda_l1, self.lambda_gan = float(lambda_l1), float(lambda_gan)
    self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
    self.g_gan_tracker = keras.metrics.Mean(name="g_gan")
    self.l1_tracker = keras.metrics.Mean(name="l1")
    self.real_score_tracker = keras.metrics.Mean(name="d_real")
    self.fake_score_tracker = keras.metrics.Mean(name="d_fake")
    self._init_extras(extras, seed)
    self.built = True  # G and D arrive built; fit() must not call the model on a batch

  @property
  def metrics(self):
    if not self.lambda_gan:  # L1 alone: D is not trained, its numbers would be zeros
      return [self.l1_tracker]
    return [self.d_loss_tracker, self.g_gan_tracker, self.l1_tracker, self.real_score_tracker,
            self.fake_score_tracker] + self._extras_metrics()

  def checkpoint_objects(self):
    """G, D, both optimizers (with the step), G's dropout seed states and, when in use, the
    EMA generator and the augmentation's RNG."""
    out = dict(generator=self.generator, discriminator=self.discriminator,
               g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer)
    seeds = base.seed_states(self.generator, self.discriminator)
    if seeds:
      out["network_seeds"] = seeds
    out.update(self._extras_checkpoint())
    return out

  def call(self, x, training=False):
    return self.generator(x, training=training)

  def _d_input(self, x, y, seed=None):
    """What D sees: concat(x, y), augmented when DiffAugment is on (seed None: a new draw)."""
    z = ops.concatenate([x, ops.cast(y, x.dtype)], axis=-1)
    c = ops.shape(x)[-1]
    return self._augment(z, seed, (c, c + ops.shape(y)[-1]))

  def _d_logits(self, z):
    return ops.reshape(ops.cast(self.discriminator(z, training=True), "float32"), (-1,))

  def train_step(self, batch):
    x, y = batch[0], ops.cast(batch[1], "float32")
    b = ops.shape(x)[0]
    extras = self.extras
    fake = ops.cast(self.generator(x, training=True), "float32")
    if self.lambda_gan:
      with tf.GradientTape() as tape:
        real_in = self._d_input(x, y)
        real_logits = self._d_logits(real_in)
        fake_logits = self._d_logits(self._d_input(x, ops.stop_gradient(fake)))
        d_loss = 0.5 * _per_example(self.loss_pair.discriminator(real_logits, fake_logits), b)
        if extras.r1_gamma:
          r1 = adversarial.r1_penalty(
              lambda z: self.discriminator(z, training=True), real_in)
          d_loss = d_loss + 0.5 * extras.r1_gamma * r1
        scaled = self.d_optimizer.scale_loss(tf.nn.compute_average_loss(d_loss))
      grads = tape.gradient(scaled, self.discriminator.trainable_variables)
      self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
      self.d_loss_tracker.update_state(d_loss)
      self.real_score_tracker.update_state(ops.sigmoid(real_logits))
      self.fake_score_tracker.update_state(ops.sigmoid(fake_logits))
      if extras.r1_gamma:
        self.r1_tracker.update_state(r1)
    with tf.GradientTape() as tape:
      fake = ops.cast(self.generator(x, training=True), "float32")
      l1 = ops.mean(ops.abs(y - fake), axis=(1, 2, 3))
      g_loss = self.lambda_l1 * l1
      if self.lambda_gan:
        # One augmentation draw for both views: feature matching compares the same transform.
        seed = self._augment_seed() if extras.augment else None
        fake_features = self.discriminator.features(self._d_input(x, fake, seed), training=True)
        g_gan = _per_example(self.loss_pair.generator(
            ops.reshape(ops.cast(fake_features[-1], "float32"), (-1,))), b)
        g_loss = g_loss + self._gan_weight(self.lambda_gan) * g_gan
        if extras.feature_matching_weight:
          real_features = self.discriminator.features(self._d_input(x, y, seed), training=True)
          fm = adversarial.feature_matching(real_features[:-1], fake_features[:-1], b)
          g_loss = g_loss + extras.feature_matching_weight * fm
      scaled = self.g_optimizer.scale_loss(tf.nn.compute_average_loss(g_loss))
    grads = tape.gradient(scaled, self.generator.trainable_variables)
    self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
    self._update_ema(b)
    self.l1_tracker.update_state(l1)
    if self.lambda_gan:
      self.g_gan_tracker.update_state(g_gan)
      if extras.feature_matching_weight:
        self.fm_tracker.update_state(fm)
    return {m.name: m.result() for m in self.metrics}


def _rgb(x):
  """float [N, H, W, C] -> [N, H, W, 3] (grey repeated) for the preview grid."""
  return np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x


class Pix2PixFamily(base.ImageToImageFamily):
  """Paired image-to-image translation (`--family=pix2pix`, `--network=unet`): settings in
  config.translation, config.objective (the loss pair) and config.optimization."""
  name = "pix2pix"
  architecture_fields = ("pairs", "direction", "norm", "upsample", "d_layers", "loss",
                         "test_mode", "patch_norm", "ema_kimg")
  extras_supported = base.EXTRAS

  def check(self, config):
    t = config.translation
    if config.model.network not in TRANSLATION_NETWORKS:
      raise ValueError(f"network must be one of {sorted(TRANSLATION_NETWORKS)} for family "
                       f"pix2pix, got {config.model.network!r}.")
    if t.pairs not in pairs_lib.PAIR_KINDS:
      raise ValueError(f"pairs must be one of {pairs_lib.PAIR_KINDS}, got {t.pairs!r}.")
    if t.pairs == "folders" and not t.target_dir:
      raise ValueError("pairs=folders needs --target_dir (targets named as their inputs).")
    if t.lambda_l1 < 0 or t.lambda_gan < 0 or not (t.lambda_l1 or t.lambda_gan):
      raise ValueError("lambda_l1 and lambda_gan must be >= 0 and not both 0.")
    self.check_objective(config, adversarial_weight=t.lambda_gan)
    if config.objective.r1_gamma and self._patch_norm(config) == "batch":
      raise ValueError("r1_gamma needs a PatchGAN without batch norm (each example's gradient "
                       "its own): set --patch_norm to spectral, instance or none.")

  @staticmethod
  def _patch_norm(config):
    t = config.translation
    if t.patch_norm != "auto":
      return t.patch_norm
    return "batch" if t.norm == "auto" else t.norm  # pix2pix's own choice

  def _pairs(self, config, split, log=print, data_dir=None):
    c, t = config.data, config.translation
    return pairs_lib.open_pairs(
        t.pairs, c.dataset, c.data_dir if data_dir is None else data_dir, t.target_dir,
        c.tfds_dir, c.image_size, c.crop_fraction, c.channels, t.direction,
        c.holdout if data_dir is None else 0, split, c.skip_bad_images, log)

  def open_data(self, config, log=print):
    return self._pairs(config, "train", log)

  def train_dataset(self, config, source, seed, cache_dir):
    return pairs_lib.make_pair_dataset(source, config.optimization.batch_size,
                                       config.data.shuffle_buffer, seed, cache=config.data.cache,
                                       use_jitter=config.translation.jitter)

  def describe(self, config, spec):
    shape = lambda s: "x".join(map(str, s))  # noqa: E731
    return (f"pix2pix {config.model.network} on {spec.name} ({spec.origin}: "
            f"{spec.num_examples} {spec.kind} pairs, {shape(spec.input_shape)} -> "
            f"{shape(spec.target_shape)})")

  def build(self, config, spec, optimizers, **compile_options):
    t, m = config.translation, config.model
    g_cls, d_cls = TRANSLATION_NETWORKS[m.network]
    if min(spec.input_shape[:2]) < d_cls.min_side(t.d_layers):
      raise data.DataError(f"--d_layers={t.d_layers} needs images of at least "
                           f"{d_cls.min_side(t.d_layers)} px, these are "
                           f"{spec.input_shape[0]}x{spec.input_shape[1]}; lower --d_layers or "
                           f"raise --image_size.")
    norm = "batch" if t.norm == "auto" else t.norm  # pix2pix's own choice
    d_norm = self._patch_norm(config)
    with precision.policy_scope(config.runtime.mixed_precision):
      generator = g_cls(image_shape=spec.input_shape, out_channels=spec.target_shape[-1],
                        width=m.width, norm=norm, upsample=t.upsample,
                        test_mode=t.test_mode, name="generator")
      discriminator = d_cls(image_shape=spec.input_shape[:2] + (
          spec.input_shape[-1] + spec.target_shape[-1],), width=m.width, n_layers=t.d_layers,
          norm=d_norm, name="discriminator")
    generator.build(generator.input_shapes())
    discriminator.build(discriminator.input_shapes())
    if config.restoration.init_from:  # e.g. the L1 twin, before the adversarial term ramps in
      base.load_weights_from(generator, config.restoration.init_from)
    model = Pix2Pix(generator, discriminator, losses_lib.get(config.objective.loss),
                    t.lambda_l1, t.lambda_gan, adversarial.Extras.from_config(config),
                    seed=config.runtime.seed)
    model.compile(optimizers["g"], optimizers["d"], **compile_options)
    return model

  def preview(self, config, source):
    x, y = self._preview_pairs(config, source)

    def render(model):
      out = generation.translate(model.sampling_generator, x)
      if not np.isfinite(out).all():
        raise rundir.NonFiniteError("the generator's outputs hold NaN or infinite values: "
                                    "training diverged; lower the learning rates.")
      # One row per example: input | output | target.
      tiles = np.stack([_rgb(x), _rgb(out), _rgb(y)], axis=1)
      return images.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), rows=len(x))

    return render

  def _preview_pairs(self, config, source):
    """Up to num_samples fixed pairs: held-out ones when --holdout is set, else the first."""
    n = min(config.outputs.num_samples, 16)
    pairs = self._pairs(config, "holdout") if config.data.holdout else source
    ds = pairs_lib.make_pair_dataset(pairs, n, repeat=False, cache="none",
                                     drop_remainder=False)
    x, y = next(iter(ds))
    return np.asarray(x), np.asarray(y)

  def exports(self, model):
    """The generator (the EMA one with --ema_kimg) as generator.keras and its SavedModel."""
    spec = tf.TensorSpec([None] + list(model.generator.image_shape), tf.float32,
                         name="images")
    return [export.Export("generator", model.sampling_generator, {"serve": (spec,)})]

  def input_transform(self, config):
    """The --pairs transform of a photo (edges, grey, blur, downsample), or None."""
    return pairs_lib.TRANSFORMS.get(config.translation.pairs)

  def next_commands(self, config, workdir):
    derive = " --derive" if config.translation.pairs in pairs_lib.TRANSFORMS else ""
    return [f"python -m tfgan.translate --workdir={workdir} --input=YOUR_IMAGES "
            f"--output={os.path.join(workdir, 'translated')}{derive}",
            f"python -m tfgan.evaluate --workdir={workdir}" + (
                "" if config.data.holdout else " --data_dir=HELD_OUT_IMAGES"),
            *super().next_commands(config, workdir)]

  def evaluator(self, config, source, log=print):
    names = config.evaluation.metric_names
    if not names:
      return None
    from tfgan.metrics import paired
    return paired.PairedEvaluator(names, self._pairs(config, "holdout", log)
                                  if config.data.holdout else source,
                                  generator_of=lambda model: model.sampling_generator)


TRANSLATION_NETWORKS = {"unet": (unet.UNetGenerator, unet.PatchDiscriminator)}
