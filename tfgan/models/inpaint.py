"""Inpainting (DeepFill v2, Yu et al. 2019, https://arxiv.org/abs/1806.03589): `Inpainter`, a
keras.Model that trains a gated-convolution generator and an SN-PatchGAN discriminator in
`train_step`, and `InpaintingFamily`, which builds it from a Config (images of any source with
masks of tfgan.data.masks, masked | diffusion fill | output | original preview rows, the
generator as export with serve(images, masks), hole and whole-image scores against the mean
and diffusion fills as evaluation).

Objective, with m the mask (1 = hole), y the image, o_s the raw output of stage s, and
x_hat = m * o_last + (1 - m) * y the composited image:
  G: sum_s [hole_weight * sum(m |o_s - y|) / sum(m) + valid_weight * sum((1-m) |o_s - y|) /
     sum(1 - m)] / C  (per example; means over the hole and over the known pixels, so a small
     hole weighs as much as a large one)  + adversarial_weight * mean_patches l_G(D(x_hat, m))
  D: mean_patches l_D(D(y, m), D(x_hat, m))
with (l_G, l_D) a tfgan.losses pair: hinge is DeepFill v2's SN-PatchGAN loss (its D, a
spectrally normalised PatchGAN seeing the mask, scores every patch). DeepFill v2 weighs L1 and
GAN 1:1 over whole images; adversarial_weight 0 trains the L1-only model (no D). One D update
on the same G output (detached), then one G update, as pix2pix. The optional extras of
tfgan.models.adversarial (feature matching, R1, DiffAugment on D's inputs, a ramped
adversarial weight, an EMA of G) add their terms as documented there, with D's input
z = (x_hat or y, m):
  D: ... + r1_gamma / 2 * R1(y, m)
  G: L1 terms + ramp_k * adversarial_weight * l_G + feature_matching_weight * FM
"""

import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import data, export, generation, images, precision, rundir
from tfgan import losses as losses_lib
from tfgan.data import inpainting as data_lib
from tfgan.data import masks as masks_lib
from tfgan.models import adversarial, base
from tfgan.networks import gated, unet

EVAL_MASK_SEED = 0  # evaluation masks: the same holes for every run and baseline



def masked_l1(output, target, weights):
  """Per-example mean of |output - target| over the pixels where weights = 1 (and all
  channels), float32 [B]; output, target float [B, H, W, C]; weights float [B, H, W, 1] in
  {0, 1}. An example without such pixels scores 0 (nothing to penalise)."""
  error = ops.sum(ops.abs(output - target) * weights, axis=(1, 2, 3))
  count = ops.sum(weights, axis=(1, 2, 3)) * ops.cast(ops.shape(target)[-1], "float32")
  return ops.divide_no_nan(error, count)


class Inpainter(adversarial.ExtrasMixin, base.GeneratorDiscriminatorModel):
  """Inpainting G (and D when adversarial_weight > 0).

  Each `train_step` takes (x float32 [B, H, W, C + 1], y float32 [B, H, W, C]) in [-1, 1], the
  layout of tfgan.data.inpainting (channel C: -1 known, +1 hole); B is read from the batch
  (per replica); per-example losses are averaged over the global batch.

  Args:
    generator: tfgan.networks.gated.GatedGenerator.
    discriminator: keras.Model concat(image, mask) [B, H, W, C + 1] -> patch logits
      (tfgan.networks.unet.PatchDiscriminator, spectral norm).
    loss: a tfgan.losses.LossPair (hinge in DeepFill v2).
    hole_weight, valid_weight, adversarial_weight: G's loss weights (>= 0, the L1 ones not
      both 0).
    extras: tfgan.models.adversarial.Extras, or None for none of them.
    seed: seed of the augmentation's draws.
  """

  def __init__(self, generator, discriminator, loss=losses_lib.LOSSES["hinge"], hole_weight=1.0,
               valid_weight=1.0, adversarial_weight=0.0, extras=None, seed=None, **kwargs):
    super().__init__(**kwargs)
    if min(hole_weight, valid_weight, adversarial_weight) < 0 or not (hole_weight or
                                                                      valid_weight):
      raise ValueError(f"hole_weight, valid_weight and adversarial_weight must be >= 0 and the "
                       f"L1 weights not both 0, got {hole_weight}, {valid_weight}, "
                       f"{adversarial_weight}.")
    if not isinstance(loss, losses_lib.LossPair):
      raise TypeError(f"loss must be a tfgan.losses.LossPair, got {loss!r}.")
    self.generator, self.discriminator, self.loss_pair = generator, discriminator, loss
    self.hole_weight, self.valid_weight = float(hole_weight), float(valid_weight)
    self.adversarial_weight = float(adversarial_weight)
    self.trackers = {name: keras.metrics.Mean(name=name) for name in
                     ("l1_hole", "l1_valid", "g_gan", "d_loss", "d_real", "d_fake")}
    self._init_extras(extras, seed)
    self.built = True  # G and D arrive built; fit() must not call the model on a batch

  @property
  def metrics(self):
    names = ["l1_hole", "l1_valid"] + (
        ["g_gan", "d_loss", "d_real", "d_fake"] if self.adversarial_weight else [])
    return [self.trackers[n] for n in names] + (
        self._extras_metrics() if self.adversarial_weight else [])

  def checkpoint_objects(self):
    """G, D and both optimizers (with the step); the EMA generator and the augmentation's RNG
    when in use."""
    return dict(generator=self.generator, discriminator=self.discriminator,
                g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer,
                **self._extras_checkpoint())

  def call(self, x, training=False):
    return self.generator(x, training=training)

  def _d_input(self, image, masks, seed=None):
    """What D sees: concat(image, mask), augmented when DiffAugment is on (the mask moves with
    the image; colour changes the image only)."""
    z = ops.concatenate([image, masks], axis=-1)
    return self._augment(z, seed, (0, ops.shape(image)[-1]))

  def _d_logits(self, z):
    return ops.reshape(ops.cast(self.discriminator(z, training=True), "float32"), (-1,))

  def train_step(self, batch):
    x, y = batch[0], ops.cast(batch[1], "float32")
    b = ops.shape(x)[0]
    t = self.trackers
    if self.adversarial_weight:
      outputs, (known, masks) = self.generator.stages(x, training=True)
      fake = ops.stop_gradient(ops.where(masks > 0.5, outputs[-1], known))
      with tf.GradientTape() as tape:
        real_in = self._d_input(y, masks)
        real_logits = self._d_logits(real_in)
        fake_logits = self._d_logits(self._d_input(fake, masks))
        d_loss = base.per_example_mean(self.loss_pair.discriminator(real_logits, fake_logits), b)
        if self.extras.r1_gamma:
          r1 = adversarial.r1_penalty(lambda z: self.discriminator(z, training=True), real_in)
          d_loss = d_loss + 0.5 * self.extras.r1_gamma * r1
        scaled = self.d_optimizer.scale_loss(tf.nn.compute_average_loss(d_loss))
      grads = tape.gradient(scaled, self.discriminator.trainable_variables)
      self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_variables))
      t["d_loss"].update_state(d_loss)
      t["d_real"].update_state(real_logits)  # raw patch scores: hinge pushes them to +-1
      t["d_fake"].update_state(fake_logits)
      if self.extras.r1_gamma:
        self.r1_tracker.update_state(r1)
    with tf.GradientTape() as tape:
      outputs, (known, masks) = self.generator.stages(x, training=True)
      hole = ops.sum(ops.stack([masked_l1(o, y, masks) for o in outputs]), axis=0)
      valid = ops.sum(ops.stack([masked_l1(o, y, 1.0 - masks) for o in outputs]), axis=0)
      g_loss = self.hole_weight * hole + self.valid_weight * valid
      if self.adversarial_weight:
        completed = ops.where(masks > 0.5, outputs[-1], known)
        # One augmentation draw for both views: feature matching compares the same transform.
        seed = self._augment_seed() if self.extras.augment else None
        fake_features = self.discriminator.features(self._d_input(completed, masks, seed),
                                                    training=True)
        g_gan = base.per_example_mean(self.loss_pair.generator(
            ops.reshape(ops.cast(fake_features[-1], "float32"), (-1,))), b)
        g_loss = g_loss + self._gan_weight(self.adversarial_weight) * g_gan
        if self.extras.feature_matching_weight:
          real_features = self.discriminator.features(self._d_input(y, masks, seed),
                                                      training=True)
          fm = adversarial.feature_matching(real_features[:-1], fake_features[:-1], b)
          g_loss = g_loss + self.extras.feature_matching_weight * fm
      scaled = self.g_optimizer.scale_loss(tf.nn.compute_average_loss(g_loss))
    grads = tape.gradient(scaled, self.generator.trainable_variables)
    self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))
    self._update_ema(b)
    t["l1_hole"].update_state(hole)
    t["l1_valid"].update_state(valid)
    if self.adversarial_weight:
      t["g_gan"].update_state(g_gan)
      if self.extras.feature_matching_weight:
        self.fm_tracker.update_state(fm)
    return {m.name: m.result() for m in self.metrics}


def mask_kinds(setting):
  """The kinds of a --mask_kind setting ('mixed', or a comma list such as 'centre,strokes')."""
  kinds = [k for k in setting.split(",") if k]
  unknown = [k for k in kinds if k not in masks_lib.MASK_KINDS]
  if not kinds or unknown:
    raise ValueError(f"mask_kind must be one of {masks_lib.MASK_KINDS} or a comma list of them, "
                     f"got {setting!r}.")
  return kinds


def mask_sizes(config):
  """The --centre_fraction and --box_max_fraction of `config` (masks.mask_batch's sizes)."""
  r = config.restoration
  return dict(centre_fraction=r.centre_fraction, box_max_fraction=r.box_max_fraction)


def training_masks(config, h, w):
  """uint8 [mask_bank, h, w, 1]: the bank of training masks, mask i of kind i % len(kinds)
  of --mask_kind (a 'mixed' kind alternates boxes and strokes itself), seeded by --seed."""
  r = config.restoration
  kinds = mask_kinds(r.mask_kind)
  bank = np.zeros((r.mask_bank, h, w, 1), np.uint8)
  for k, kind in enumerate(kinds):
    # Seeds differ per kind, so 'boxes,strokes' does not reuse the random state of one kind.
    part = data_lib.mask_bank(kind, len(range(k, r.mask_bank, len(kinds))), h, w,
                              [config.runtime.seed, k], **mask_sizes(config))
    bank[k::len(kinds)] = part
  return bank


class TrainingImages(data_lib.PairSource):
  """The training split's images (`source`) and the run's mask bank (`bank`, uint8
  [K, H, W, 1]): what the trainer opens. `spec` is the pairs' (input C + 1 channels); the
  batches come from tfgan.data.inpainting.train_dataset, not from `examples`."""

  def __init__(self, source, bank):
    self.source, self.bank = source, bank
    shape = source.spec.image_shape
    self.spec = data_lib.PairSpec(source.spec.name, shape[:2] + (shape[-1] + 1,), shape,
                                  source.spec.num_examples, source.spec.origin,
                                  f"inpaint (a bank of {len(bank)} training masks)")

  def examples(self, shuffle_seed=None):
    raise NotImplementedError("training batches come from tfgan.data.inpainting.train_dataset")

  def fingerprint(self):
    return self.source.fingerprint()


class InpaintingFamily(base.ImageToImageFamily):
  """Inpainting (`--family=inpaint`, `--network=gated`): settings in config.restoration (masks,
  stages, loss weights, init_from), the discriminator's depth from --d_layers, the GAN pair
  from --loss, face flips from --jitter."""
  name = "inpaint"
  section = "restoration"
  test_modes = False  # no dropout or batch norm in the gated network
  needs_masks = True
  demo_tab = "tfgan.demo.inpaint:tab"  # paint the hole; the fill beside the diffusion fill
  architecture_fields = ("inpaint_stages", "d_layers", "loss", "ema_kimg")
  extras_supported = base.EXTRAS

  def check(self, config):
    r = config.restoration
    if config.model.network != "gated":
      raise ValueError(f"network must be gated for family inpaint, got "
                       f"{config.model.network!r}.")
    mask_kinds(r.mask_kind)
    for name in ("centre_fraction", "box_max_fraction"):
      if not 0 < getattr(r, name) <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {getattr(r, name)!r}.")
    if r.inpaint_stages not in gated.STAGES:
      raise ValueError(f"inpaint_stages must be one of {gated.STAGES}, got "
                       f"{r.inpaint_stages!r}.")
    if min(r.hole_weight, r.valid_weight, r.adversarial_weight) < 0 or not (
        r.hole_weight or r.valid_weight):
      raise ValueError("hole_weight, valid_weight and adversarial_weight must be >= 0, and "
                       "hole_weight and valid_weight not both 0.")
    if r.patch_size or r.perceptual_weight:
      raise ValueError("patch_size and perceptual_weight are super-resolution (esrgan) "
                       "settings; family inpaint does not use them.")
    if config.translation.patch_norm != "auto":
      raise ValueError("patch_norm is pix2pix's; inpainting's PatchGAN is spectrally "
                       "normalised (SN-PatchGAN).")
    self.check_objective(config, metrics=False, adversarial_weight=r.adversarial_weight)
    self.check_own_metric(config, "inpaint")

  def score_keys(self, config):
    from tfgan.metrics import inpainting
    return [f"{k}_{config.restoration.eval_mask}" for k in inpainting.KEYS]

  def scores(self, config):
    from tfgan.metrics import inpainting
    kind = config.restoration.eval_mask

    def score(prediction, target, inputs):
      values = inpainting.inpaint_scores(prediction, target, data_lib.split_input(inputs)[1])
      return {f"{k}_{kind}": v for k, v in values.items()}

    return score

  def texture(self, config):
    """The composited image (what a user sees) measured inside the hole: keys
    chroma_hf_ratio_hole_<eval_mask>, ..."""
    from tfgan.metrics import inpainting

    def view(prediction, target, inputs):
      mask = data_lib.split_input(inputs)[1]
      return inpainting.composite(prediction, target, mask), mask

    return view, f"_hole_{config.restoration.eval_mask}"

  def baselines(self, config, spec):
    from tfgan.metrics import inpainting
    return {"mean_fill": lambda x: inpainting.mean_fill(*data_lib.split_input(x)).numpy(),
            "diffusion_fill": lambda x: inpainting.diffusion_fill(
                *data_lib.split_input(x)).numpy()}

  def _images(self, config, split, log=print, data_dir=None):
    c = config.data
    source = data.open_source(c.dataset, split, c.data_dir if data_dir is None else data_dir,
                              c.tfds_dir, c.image_size, c.crop_fraction, c.channels,
                              c.skip_bad_images, log=log,
                              holdout=c.holdout if data_dir is None else 0)
    if isinstance(source, data.FolderSource):
      source.check()
    return source

  def _pairs(self, config, split, log=print, data_dir=None):
    return data_lib.eval_pairs(self._images(config, split, log, data_dir),
                               config.restoration.eval_mask, EVAL_MASK_SEED,
                               **mask_sizes(config))

  def open_data(self, config, log=print):
    source = self._images(config, "train", log)
    h, w = source.spec.image_shape[:2]
    return TrainingImages(source, training_masks(config, h, w))

  def train_dataset(self, config, source, seed, cache_dir):
    c = config.data
    return data_lib.train_dataset(source.source, source.bank, config.optimization.batch_size,
                                  c.shuffle_buffer, seed, c.cache, cache_dir,
                                  flip=config.translation.jitter)

  def describe(self, config, spec):
    r = config.restoration
    stage = "L1 only" if not r.adversarial_weight else f"GAN ({config.objective.loss})"
    h, w, ch = spec.target_shape
    return (f"inpaint {stage}, gated {r.inpaint_stages}-stage x{config.model.width:g}, masks "
            f"{r.mask_kind}, on {spec.name} ({spec.origin}: {spec.num_examples} images, "
            f"{h}x{w}x{ch})")

  def build(self, config, spec, optimizers, **compile_options):
    r, t = config.restoration, config.translation
    d_cls = unet.PatchDiscriminator
    if min(spec.target_shape[:2]) < d_cls.min_side(t.d_layers):
      raise ValueError(f"--d_layers={t.d_layers} needs images of at least "
                       f"{d_cls.min_side(t.d_layers)} px; lower --d_layers.")
    with precision.policy_scope(config.runtime.mixed_precision):
      generator = gated.GatedGenerator(image_shape=spec.target_shape, width=config.model.width,
                                       stages=r.inpaint_stages, name="generator")
      discriminator = d_cls(image_shape=spec.input_shape, width=config.model.width,
                            n_layers=t.d_layers, norm="spectral", name="discriminator")
    generator.build(generator.input_shapes())
    discriminator.build(discriminator.input_shapes())
    if r.init_from:
      base.load_weights_from(generator, r.init_from)
    model = Inpainter(generator, discriminator, losses_lib.get(config.objective.loss),
                      r.hole_weight, r.valid_weight, r.adversarial_weight,
                      adversarial.Extras.from_config(config), seed=config.runtime.seed)
    model.compile(optimizers["g"], optimizers["d"], **compile_options)
    return model

  def preview(self, config, source):
    n = min(config.outputs.num_samples, 16)
    pairs = self._pairs(config, "holdout" if config.data.holdout else "train")
    from tfgan.data import pairs as pairs_lib
    from tfgan.metrics import inpainting
    x, y = next(iter(pairs_lib.make_pair_dataset(pairs, n, repeat=False, cache="none",
                                                 drop_remainder=False)))
    x, y = np.asarray(x), np.asarray(y)
    known, masks = data_lib.split_input(x)
    shown = np.where(masks.numpy() > 0.5, 1.0, known.numpy())  # the hole in white
    classical = inpainting.diffusion_fill(known, masks).numpy()

    def render(model):
      out = generation.translate(model.sampling_generator, x)
      if not np.isfinite(out).all():
        raise rundir.NonFiniteError("the generator's outputs hold NaN or infinite values: "
                                    "training diverged; lower the learning rates.")
      # One row per example: masked | diffusion fill | output | original.
      tiles = np.stack([shown, classical, np.clip(out, -1, 1), y], axis=1)
      if tiles.shape[-1] == 1:
        tiles = np.repeat(tiles, 3, axis=-1)
      return images.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), rows=len(x))

    return render

  def exports(self, model):
    g = model.sampling_generator
    c = g.image_shape[-1]
    specs = (tf.TensorSpec([None, None, None, c], tf.float32, name="images"),
             tf.TensorSpec([None, None, None, 1], tf.float32, name="masks"))
    return [export.Export("generator", g, {"serve": specs})]

  def next_commands(self, config, workdir):
    return [f"python -m tfgan.translate --workdir={workdir} --input=YOUR_IMAGES "
            f"--masks=THEIR_MASKS --output={os.path.join(workdir, 'filled')}",
            f"python -m tfgan.evaluate --workdir={workdir}" + (
                "" if config.data.holdout else " --data_dir=HELD_OUT_IMAGES"),
            *base.Family.next_commands(self, config, workdir)]

  def evaluator(self, config, source, log=print):
    if not config.evaluation.metric_names:
      return None
    from tfgan.metrics import inpainting, paired
    pairs = self._pairs(config, "holdout" if config.data.holdout else "train", log)
    higher = {k: inpainting.higher_is_better(k) for k in self.score_keys(config)}
    return paired.PairedEvaluator(["inpaint"], pairs, self.scores(config), higher,
                                  lambda model: model.sampling_generator)
