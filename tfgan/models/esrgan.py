"""Super-resolution (ESRGAN, Wang et al. 2018, https://arxiv.org/abs/1809.00219, as trained by
XPixelGroup/BasicSR): `ESRGAN`, a keras.Model that trains an RRDB generator (and, in the GAN
stage, a discriminator) in `train_step`, and `ESRGANFamily`, which builds it from a Config
(pairs from tfgan.data.restoration, LR | bicubic | output | HR preview rows, the generator as
export, BasicSR's Y-channel PSNR/SSIM with the bicubic baseline as evaluation).

Two stages, one family:
  PSNR-oriented model (adversarial_weight 0, the default): G: pixel_weight * mean |G(x) - y|;
    no D is trained.
  GAN stage (ESRGAN's weights: pixel 1e-2, perceptual 1, adversarial 5e-3, --init_from the
    PSNR run):
    G: pixel_weight * L1 + perceptual_weight * mean |phi(G(x)) - phi(y)|
       + adversarial_weight * L_G^Ra
    D: L_D^Ra, with C the PatchGAN's per-patch logits,
    L^Ra the relativistic average losses of tfgan.losses (the means E[C] over the global batch
    and all patches, all-reduced across replicas). phi: VGG19 conv5_4 before ReLU
    (tfgan.networks.vgg) or, without weights, D's intermediate features (pix2pixHD's feature
    matching: the mean over D's layers of the L1 distance of its activations).
Order as BasicSR's ESRGANModel: one G update (D fixed), then one D update on the same G(x),
detached. With --ema_kimg, G's weights are averaged; samples, evaluation and exports use the
average (BasicSR's net_g_ema).
"""

import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import distribute, export, generation, images, precision, rundir
from tfgan import losses as losses_lib
from tfgan.data import pairs as pairs_lib
from tfgan.data import restoration as data_lib
from tfgan.models import base
from tfgan.networks import rrdb, unet


def _global_mean(x):
  """The mean of float32 x [N] over every replica's values (a scalar)."""
  total, count = tf.reduce_sum(x), tf.cast(tf.size(x), tf.float32)
  ctx = tf.distribute.get_replica_context()
  if ctx is not None and ctx.num_replicas_in_sync > 1:
    total, count = ctx.all_reduce(tf.distribute.ReduceOp.SUM, [total, count])
  return total / count



class ESRGAN(base.GeneratorDiscriminatorModel):
  """Super-resolution G (and D in the GAN stage).

  Each `train_step` takes (LR float32 [B, h, w, C], HR float32 [B, h * s, w * s, C]) in
  [-1, 1]; B is read from the batch (per replica); per-example losses are averaged over the
  global batch (tf.nn.compute_average_loss).

  Args:
    generator: keras.Model LR -> HR (tfgan.networks.rrdb.RRDBGenerator).
    discriminator: keras.Model HR -> patch logits [B, h', w', 1] with a `features` method
      (tfgan.networks.unet.PatchDiscriminator); built always, trained when
      adversarial_weight > 0.
    pixel_weight, perceptual_weight, adversarial_weight: G's loss weights (>= 0).
    perceptual: None, 'd_features', or a callable images [B, H, W, C] -> features (VGG).
    ema_half_life: half-life of G's weight average in real images seen; 0: none.
  """

  def __init__(self, generator, discriminator, pixel_weight=1.0, perceptual_weight=0.0,
               adversarial_weight=0.0, perceptual=None, ema_half_life=0.0, **kwargs):
    super().__init__(**kwargs)
    weights = (pixel_weight, perceptual_weight, adversarial_weight)
    if min(weights) < 0 or not any(weights):
      raise ValueError(f"pixel_weight, perceptual_weight and adversarial_weight must be >= 0 "
                       f"and not all 0, got {weights}.")
    if perceptual_weight and perceptual is None:
      raise ValueError("perceptual_weight > 0 needs perceptual features (VGG or d_features).")
    if perceptual == "d_features" and perceptual_weight and not adversarial_weight:
      raise ValueError("perceptual 'd_features' matches the features of a trained D: it needs "
                       "adversarial_weight > 0.")
    self.generator, self.discriminator = generator, discriminator
    self.pixel_weight, self.perceptual_weight = float(pixel_weight), float(perceptual_weight)
    self.adversarial_weight, self.perceptual = float(adversarial_weight), perceptual
    self.ema_half_life = float(ema_half_life)
    self.ema_generator = base.ema_copy(generator) if self.ema_half_life > 0 else None
    self.trackers = {name: keras.metrics.Mean(name=name) for name in
                     ("l1", "perceptual", "g_gan", "d_loss", "d_real", "d_fake")}
    self.built = True  # G and D arrive built; fit() must not call the model on a batch

  @property
  def metrics(self):
    names = ["l1"] + (["perceptual"] if self.perceptual_weight else []) + (
        ["g_gan", "d_loss", "d_real", "d_fake"] if self.adversarial_weight else [])
    return [self.trackers[n] for n in names]

  @property
  def sampling_generator(self):
    """The generator to preview, evaluate and export: the EMA copy when there is one."""
    return self.ema_generator if self.ema_generator is not None else self.generator

  def checkpoint_objects(self):
    """G (and its EMA), D and both optimizers (with the step)."""
    out = dict(generator=self.generator, discriminator=self.discriminator,
               g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer)
    if self.ema_generator is not None:
      out["ema_generator"] = self.ema_generator
    return out

  def call(self, x, training=False):
    return self.generator(x, training=training)

  def _d(self, images):
    """(D's intermediate features, its logits flattened float32 [B * P])."""
    out = self.discriminator.features(images, training=True)
    return out[:-1], ops.reshape(ops.cast(out[-1], "float32"), (-1,))

  def train_step(self, batch):
    x, y = batch[0], ops.cast(batch[1], "float32")
    b = ops.shape(x)[0]
    t = self.trackers
    with tf.GradientTape() as tape:
      fake = ops.cast(self.generator(x, training=True), "float32")
      l1 = ops.mean(ops.abs(fake - y), axis=(1, 2, 3))
      g_loss = self.pixel_weight * l1
      if self.adversarial_weight:
        real_features, real_logits = self._d(y)
        fake_features, fake_logits = self._d(fake)
        # Real logits are constants to G; the fake mean carries G's gradient.
        real_logits = ops.stop_gradient(real_logits)
        g_gan = base.per_example_mean(losses_lib.relativistic_average_generator_loss(
            real_logits, fake_logits, _global_mean(real_logits), _global_mean(fake_logits)), b)
        g_loss = g_loss + self.adversarial_weight * g_gan
      if self.perceptual_weight:
        if self.perceptual == "d_features":
          per_layer = [base.per_example_mean(ops.abs(ops.cast(f, "float32") -
                                            ops.stop_gradient(ops.cast(r, "float32"))), b)
                       for f, r in zip(fake_features, real_features)]
          perceptual = ops.mean(ops.stack(per_layer, axis=0), axis=0)
        else:
          perceptual = base.per_example_mean(ops.abs(self.perceptual(fake) -
                                            ops.stop_gradient(self.perceptual(y))), b)
        g_loss = g_loss + self.perceptual_weight * perceptual
      scaled = self.g_optimizer.scale_loss(tf.nn.compute_average_loss(g_loss))
    grads = tape.gradient(scaled, self.generator.trainable_variables)
    self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
    t["l1"].update_state(l1)
    if self.perceptual_weight:
      t["perceptual"].update_state(perceptual)
    if self.adversarial_weight:
      t["g_gan"].update_state(g_gan)
      self._discriminator_step(y, ops.stop_gradient(fake), b)
    if self.ema_generator is not None:
      self._update_ema(b)
    return distribute.step_logs({m.name: m.result() for m in self.metrics})

  def _discriminator_step(self, real, fake, b):
    with tf.GradientTape() as tape:
      _, real_logits = self._d(real)
      _, fake_logits = self._d(fake)
      real_mean, fake_mean = _global_mean(real_logits), _global_mean(fake_logits)
      d_loss = base.per_example_mean(losses_lib.relativistic_average_discriminator_loss(
          real_logits, fake_logits, real_mean, fake_mean), b)
      scaled = self.d_optimizer.scale_loss(tf.nn.compute_average_loss(d_loss))
    grads = tape.gradient(scaled, self.discriminator.trainable_variables)
    self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
    t = self.trackers
    t["d_loss"].update_state(d_loss)
    # D_Ra: the probability that a real patch is more real than the average fake, and back.
    t["d_real"].update_state(ops.sigmoid(real_logits - fake_mean))
    t["d_fake"].update_state(ops.sigmoid(fake_logits - real_mean))

  def _update_ema(self, batch_size):
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    base.update_ema(self.ema_generator, self.generator,
                    tf.cast(batch_size * replicas, tf.float32), self.ema_half_life)


class ESRGANFamily(base.ImageToImageFamily):
  """Super-resolution (`--family=esrgan`, `--network=rrdb`): settings in config.restoration,
  the discriminator's depth from --d_layers, the flips of --jitter, run length, rates and EMA
  from config.optimization."""
  name = "esrgan"
  demo_tab = "tfgan.demo.translate:sr_tab"  # input | output | the bicubic upsample
  section = "restoration"
  test_modes = False  # no dropout or batch norm in the RRDB
  architecture_fields = ("scale", "rrdb_features", "rrdb_blocks", "rrdb_growth", "rrdb_skip",
                         "d_layers", "ema_kimg")

  def check(self, config):
    r, m = config.restoration, config.model
    if m.network != "rrdb":
      raise ValueError(f"network must be rrdb for family esrgan, got {m.network!r}.")
    if r.scale not in rrdb.SCALES:
      raise ValueError(f"scale must be one of {rrdb.SCALES}, got {r.scale!r}.")
    weights = (r.pixel_weight, r.perceptual_weight, r.adversarial_weight)
    if min(weights) < 0 or not any(weights):
      raise ValueError("pixel_weight, perceptual_weight and adversarial_weight must be >= 0 "
                       "and not all 0.")
    if r.perceptual_weight and self.perceptual_kind(config) == "d_features" and \
        not r.adversarial_weight:
      raise ValueError("perceptual_weight with perceptual=d_features (no --vgg_weights) "
                       "matches a trained D's features: set adversarial_weight > 0, or give "
                       "--vgg_weights.")
    if r.patch_size and config.data.dataset != "folder":
      raise ValueError(f"--patch_size crops full-size images of --dataset=folder, not "
                       f"{config.data.dataset!r}.")
    if r.perceptual == "vgg19" and not r.vgg_weights:
      raise ValueError("perceptual=vgg19 needs --vgg_weights=PATH (or 'imagenet' online).")
    if config.objective.loss != "non_saturating":
      raise ValueError("family esrgan uses the relativistic average GAN loss of ESRGAN; "
                       "leave --loss at its default.")
    self.check_objective(config, metrics=False)
    self.check_own_metric(config, "sr")

  @staticmethod
  def perceptual_kind(config):
    """'vgg19' or 'd_features': what --perceptual=auto resolves to for `config`."""
    r = config.restoration
    if r.perceptual != "auto":
      return r.perceptual
    return "vgg19" if r.vgg_weights else "d_features"

  def score_keys(self, config):
    s = config.restoration.scale
    return [f"l1_rgb_crop{s}", f"psnr_rgb_crop{s}", f"psnr_y_crop{s}", f"ssim_y_crop{s}"]

  def scores(self, config):
    from tfgan.metrics import restoration
    return lambda p, t, x=None: restoration.sr_scores(p, t, config.restoration.scale)

  def baselines(self, config, spec):
    from tfgan.metrics import restoration
    return {"bicubic": lambda x: restoration.bicubic_upsample(x, config.restoration.scale)}

  def input_transform(self, config):
    s = config.restoration.scale
    return lambda image: pairs_lib.downsample(image, s)

  def _pairs(self, config, split, log=print, data_dir=None):
    c, r = config.data, config.restoration
    if r.patch_size:  # DIV2K-style: random crops to train, whole images to evaluate
      holdout = c.holdout if data_dir is None else 0
      if data_dir is not None or split == "holdout":
        return data_lib.WholeImagePairs(data_dir or c.data_dir, r.scale, c.channels or 3,
                                        holdout, split if data_dir is None else "train")
      return data_lib.PatchPairs(c.data_dir, r.patch_size, r.scale, c.channels or 3, holdout,
                                 split)
    return data_lib.open_sr_pairs(
        config.restoration.scale, c.dataset, c.data_dir if data_dir is None else data_dir,
        c.tfds_dir, c.image_size, c.crop_fraction, c.channels,
        c.holdout if data_dir is None else 0, split, c.skip_bad_images, log)

  def open_data(self, config, log=print):
    return self._pairs(config, "train", log)

  def train_dataset(self, config, source, seed, cache_dir):
    return pairs_lib.make_pair_dataset(
        source, config.optimization.batch_size, config.data.shuffle_buffer, seed,
        cache=config.data.cache,
        augment=data_lib.flip_rotate if config.translation.jitter else None)

  def describe(self, config, spec):
    shape = lambda s: "x".join(map(str, s))  # noqa: E731
    r = config.restoration
    stage = "PSNR-oriented (L1)" if not r.adversarial_weight else (
        f"GAN, perceptual {self.perceptual_kind(config) if r.perceptual_weight else 'off'}")
    return (f"esrgan x{r.scale} {stage}, RRDB {r.rrdb_blocks} blocks x {r.rrdb_features} "
            f"features, on {spec.name} ({spec.origin}: {spec.num_examples} images, "
            f"{shape(spec.input_shape)} -> {shape(spec.target_shape)})")

  def build(self, config, spec, optimizers, **compile_options):
    r, t = config.restoration, config.translation
    d_cls = unet.PatchDiscriminator
    if min(spec.target_shape[:2]) < d_cls.min_side(t.d_layers):
      raise ValueError(f"--d_layers={t.d_layers} needs HR images of at least "
                       f"{d_cls.min_side(t.d_layers)} px; lower --d_layers.")
    perceptual = None
    if r.perceptual_weight:
      kind = self.perceptual_kind(config)
      if kind == "vgg19":
        from tfgan.networks import vgg
        perceptual = vgg.VGGFeatures(r.vgg_weights)
      else:
        perceptual = kind
    with precision.policy_scope(config.runtime.mixed_precision):
      generator = rrdb.RRDBGenerator(image_shape=spec.input_shape, scale=r.scale,
                                     features=r.rrdb_features, n_blocks=r.rrdb_blocks,
                                     growth=r.rrdb_growth, skip=r.rrdb_skip,
                                     name="generator")
      # Spectral norm: a stable D for any HR size, no batch statistics (SN-PatchGAN).
      discriminator = d_cls(image_shape=spec.target_shape, width=config.model.width,
                            n_layers=t.d_layers, norm="spectral", name="discriminator")
    generator.build(generator.input_shapes())
    discriminator.build(discriminator.input_shapes())
    if r.init_from:
      base.load_weights_from(generator, r.init_from)
    model = ESRGAN(generator, discriminator, r.pixel_weight, r.perceptual_weight,
                   r.adversarial_weight, perceptual,
                   ema_half_life=config.optimization.ema_kimg * 1000)
    model.compile(optimizers["g"], optimizers["d"], **compile_options)
    return model

  def preview(self, config, source):
    n = min(config.outputs.num_samples, 16)
    # Whole held-out images vary in size: patch runs preview crops drawn once from training.
    held = config.data.holdout and not config.restoration.patch_size
    pairs = self._pairs(config, "holdout") if held else source
    x, y = next(iter(pairs_lib.make_pair_dataset(pairs, n, repeat=False, cache="none",
                                                 drop_remainder=False)))
    x, y = np.asarray(x), np.asarray(y)
    s = config.restoration.scale
    from tfgan.metrics import restoration
    nearest, bicubic = x.repeat(s, 1).repeat(s, 2), restoration.bicubic_upsample(x, s)

    def render(model):
      out = generation.translate(model.sampling_generator, x)
      if not np.isfinite(out).all():
        raise rundir.NonFiniteError("the generator's outputs hold NaN or infinite values: "
                                    "training diverged; lower the learning rates.")
      # One row per example: LR (nearest) | bicubic | output | HR.
      tiles = np.stack([nearest, bicubic, np.clip(out, -1, 1), y], axis=1)
      return images.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), rows=len(x))

    return render

  def exports(self, model):
    g = model.sampling_generator
    spec = tf.TensorSpec([None, None, None, g.image_shape[-1]], tf.float32, name="images")
    return [export.Export("generator", g, {"serve": (spec,)})]

  def next_commands(self, config, workdir):
    return [f"python -m tfgan.translate --workdir={workdir} --input=YOUR_LR_IMAGES "
            f"--output={os.path.join(workdir, 'upscaled')}",
            f"python -m tfgan.evaluate --workdir={workdir}" + (
                "" if config.data.holdout else " --data_dir=HELD_OUT_IMAGES"),
            *base.Family.next_commands(self, config, workdir)]

  def evaluator(self, config, source, log=print):
    if not config.evaluation.metric_names:
      return None
    from tfgan.metrics import paired
    pairs = self._pairs(config, "holdout", log) if config.data.holdout else source
    higher = {k: not k.startswith("l1") for k in self.score_keys(config)}
    return paired.PairedEvaluator(["sr"], pairs, self.scores(config), higher,
                                  lambda model: model.sampling_generator)

