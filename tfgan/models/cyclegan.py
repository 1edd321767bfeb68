"""The unpaired image-to-image family (CycleGAN, Zhu et al. 2017,
https://arxiv.org/abs/1703.10593): `CycleGAN`, a keras.Model that trains two generators
G_AB: A -> B, G_BA: B -> A and two PatchGAN discriminators D_A, D_B in `train_step`, and
`CycleGANFamily`, which builds it from a Config for the shared trainer. Photo -> painting is
GAN style transfer.

Objective (the paper's eq. 3 and sec. 5.2, with the reference code's reductions):
  G: s l_G(D_B(G_AB(a))) + s l_G(D_A(G_BA(b)))
     + lambda_cycle (|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|)
     + lambda_cycle lambda_identity (|G_AB(b) - b| + |G_BA(a) - a|)
  D_B: 0.5 l_D(D_B(b), D_B(pool_B(G_AB(a)))), D_A likewise
with (l_G, l_D) a tfgan.losses pair (least_squares is the paper's LSGAN), |.| the mean
absolute difference per image, and s = 2 for least_squares (tfgan's pair carries Mao et
al.'s 1/2; the reference's G loss is MSE(D(G(x)), 1) without it, so lambda_cycle = 10 weighs
as in the paper), else 1. pool_X returns, per image, the fake itself or, once the pool holds
`pool_size` fakes, with probability 0.5 a stored older fake that the new one replaces
(Shrivastava et al. 2017).

The extras of tfgan.models.adversarial that apply to unpaired translation (issue 30), each
off by default: DiffAugment on every image a discriminator sees (reals and pooled fakes in D's
step, fakes in G's step; independent draws), R1 on each D's real inputs (D_X's loss adds
r1_gamma / 2 * R1), the adversarial terms ramped in (s l_G(.) x min(1, k / gan_ramp_steps) at
G update k), and an exponential moving average of both generators (--ema_kimg: previews,
evaluation and the exports use the averages). Feature matching does not apply: it compares
D's features of a real image and of the fake made from the same input (pix2pixHD), and
CycleGAN's reals and fakes are unrelated images.
"""

import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import data, distribute, export, generation, images, precision, rundir
from tfgan import losses as losses_lib
from tfgan.data import unpaired
from tfgan.data.pairs import TRANSFORMS
from tfgan.models import adversarial, base
from tfgan.networks import resnet_translation, unet

_G_SCALE = {"least_squares": 2.0}  # see the module docstring
NO_FEATURE_MATCHING = (
    "feature_matching_weight: feature matching compares D's features of a real image and of "
    "the fake made from the same input (pix2pixHD); CycleGAN's reals and fakes are unrelated "
    "images, so family cyclegan does not use it.")


def _per_example(per_pixel, batch_size):
  return ops.mean(ops.reshape(ops.cast(per_pixel, "float32"), (batch_size, -1)), axis=1)


class ImagePool:
  """A history of `size` past fakes (float32 [size, H, W, C]) for one discriminator, held in
  model variables so checkpoints keep it and a resumed run continues exactly.

  Under a distribution strategy every replica gathers the global batch of fakes, runs the same
  query with the same random draws (the model's shared seed) and keeps its own rows, so the pool
  (one copy, variables aggregated ONLY_FIRST_REPLICA) evolves as on one device.
  """

  def __init__(self, model, name, size, image_shape):
    self.size = int(size)
    if self.size:
      self.images = model.add_weight(name=f"{name}_images", shape=(self.size,) + image_shape,
                                     initializer="zeros", trainable=False,
                                     aggregation="only_first_replica")
      self.count = model.add_weight(name=f"{name}_count", shape=(), dtype="int32",
                                    initializer="zeros", trainable=False,
                                    aggregation="only_first_replica")

  def variables(self):
    return [self.images, self.count] if self.size else []

  def query(self, fakes, seed_generator):
    """fakes float32 [B, H, W, C] (this replica's) -> [B, H, W, C]: each image or a pooled one."""
    if not self.size:
      return fakes
    b = ops.shape(fakes)[0]
    start, total = distribute.replica_rows(b)
    context = tf.distribute.get_replica_context()
    everything = fakes if context is None or context.num_replicas_in_sync == 1 \
        else context.all_gather(fakes, axis=0)
    swap = keras.random.uniform((total,), seed=seed_generator) > 0.5
    slot = ops.cast(keras.random.randint((total,), 0, self.size, seed=seed_generator), "int32")
    # The reference queries image by image; the same result in one gather and one scatter:
    # image i fills slot count + i while the pool is not full, else with probability 0.5 it
    # takes slot[i]'s content (the pool's, or that of the last earlier image of this batch
    # that wrote slot[i]) and writes itself there.
    order = tf.range(total)
    filling = self.count + order < self.size
    swapped = tf.logical_and(swap, tf.logical_not(filling))
    target = tf.where(filling, self.count + order, tf.where(swapped, slot, -1))  # -1: no write
    earlier = order[None, :] < order[:, None]  # [i, j]: j comes before i
    same = tf.equal(target[None, :], slot[:, None])
    last = tf.reduce_max(tf.where(tf.logical_and(earlier, same), order[None, :], -1), axis=1)
    pool = tf.convert_to_tensor(self.images)
    old = tf.where((last >= 0)[:, None, None, None], tf.gather(everything, tf.maximum(last, 0)),
                   tf.gather(pool, slot))
    returned = tf.where(swapped[:, None, None, None], old, everything)
    later = order[None, :] > order[:, None]  # [j, k]: k comes after j
    overwritten = tf.reduce_any(tf.logical_and(later, tf.equal(target[None, :],
                                                               target[:, None])), axis=1)
    # Each slot's last write only: scatter order over duplicate indices is not defined on GPUs.
    keep = tf.logical_and(target >= 0, tf.logical_not(overwritten))
    self.images.assign(tf.tensor_scatter_nd_update(
        pool, tf.boolean_mask(target, keep)[:, None], tf.boolean_mask(everything, keep)))
    self.count.assign(tf.minimum(self.count + total, self.size))
    return returned[start:start + b]


class CycleGAN(adversarial.ExtrasMixin, base.FamilyModel):
  """Two generators and two discriminators trained on unpaired batches.

  Each `train_step` takes (a float32 [B, H, W, C_A], b float32 [B, H, W, C_B]) in [-1, 1], B
  read from the batch (per replica): one update of both generators (one optimizer), then one
  of both discriminators on real images against pooled fakes of that G forward pass (the
  reference's order). Per-example losses are averaged over the global batch.

  Args:
    g_ab, g_ba: keras.Models A -> B and B -> A, images in [-1, 1].
    d_a, d_b: keras.Models, images of A / B -> patch logits [B, h, w, 1].
    loss: a tfgan.losses.LossPair (least_squares in the paper).
    lambda_cycle, lambda_identity: 10 and 0.5 in the paper (identity 0: off).
    pool_size: past fakes per discriminator (50; 0: no pool).
    extras: tfgan.models.adversarial.Extras without feature matching (the module docstring);
      None: none.
  """

  def __init__(self, g_ab, g_ba, d_a, d_b, loss=losses_lib.LOSSES["least_squares"],
               lambda_cycle=10.0, lambda_identity=0.5, pool_size=50, seed=None, extras=None,
               **kwargs):
    super().__init__(**kwargs)
    if extras is not None and extras.feature_matching_weight:
      raise ValueError(NO_FEATURE_MATCHING)
    if not isinstance(loss, losses_lib.LossPair):
      raise TypeError(f"loss must be a tfgan.losses.LossPair, got {loss!r}.")
    if lambda_cycle < 0 or lambda_identity < 0 or pool_size < 0:
      raise ValueError("lambda_cycle, lambda_identity and pool_size must be >= 0.")
    if lambda_identity and g_ab.image_shape[-1] != g_ba.image_shape[-1]:
      raise ValueError(f"identity loss needs domains with equal channels (A has "
                       f"{g_ab.image_shape[-1]}, B {g_ba.image_shape[-1]}); set "
                       f"--lambda_identity=0.")
    self.g_ab, self.g_ba, self.d_a, self.d_b, self.loss_pair = g_ab, g_ba, d_a, d_b, loss
    self.lambda_cycle, self.lambda_identity = float(lambda_cycle), float(lambda_identity)
    self.g_scale = _G_SCALE.get(loss.name, 1.0)
    self.seed_generator = keras.random.SeedGenerator(seed)
    out_shape = lambda g: tuple(g.image_shape[:2]) + (g.out_channels,)  # noqa: E731
    self.pool_a = ImagePool(self, "pool_a", pool_size, out_shape(g_ba))
    self.pool_b = ImagePool(self, "pool_b", pool_size, out_shape(g_ab))
    names = ("d_a", "d_b", "g_gan", "cycle", "identity")
    self.trackers = {n: keras.metrics.Mean(name=n) for n in names
                     if n != "identity" or self.lambda_identity}
    # The augmentation's own draws (seed + 1): turning it on leaves the pools' draws as they were.
    self._init_extras(extras, None if seed is None else seed + 1)  # ema_generator: G_AB's
    self.ema_generator_ba = (base.ema_copy(g_ba, name="generator_ba_ema")
                             if self.ema_generator is not None else None)
    self.built = True  # the networks arrive built; fit() must not call the model on a batch

  @property
  def generator(self):
    """G_AB, the exported `generator` (tfgan.translate and evaluation use it)."""
    return self.g_ab

  @property
  def sampling_generator_ba(self):
    """G_BA as previews, evaluation and the export use it: its average with --ema_kimg."""
    return self.ema_generator_ba if self.ema_generator_ba is not None else self.g_ba

  @property
  def metrics(self):
    return list(self.trackers.values()) + self._extras_metrics()

  def compile(self, g_optimizer, d_optimizer, **kwargs):
    """One optimizer for both generators, one for both discriminators (as the reference);
    other kwargs (jit_compile, ...) go to keras.Model.compile."""
    super().compile(**kwargs)
    self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
    g_optimizer.build(self._g_variables())
    d_optimizer.build(self._d_variables())

  def _g_variables(self):
    return self.g_ab.trainable_variables + self.g_ba.trainable_variables

  def _d_variables(self):
    return self.d_a.trainable_variables + self.d_b.trainable_variables

  @property
  def step(self):
    return self.g_optimizer.iterations

  def checkpoint_objects(self):
    """The four networks, both optimizers (with the step), the pools, the RNG states and the
    extras' state (both averages, the augmentation's draws)."""
    out = dict(g_ab=self.g_ab, g_ba=self.g_ba, d_a=self.d_a, d_b=self.d_b,
               g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer,
               rng=self.seed_generator.state, **self._extras_checkpoint())
    if self.ema_generator_ba is not None:
      out["ema_generator_ba"] = self.ema_generator_ba
      out.update({f"ema_seeds_ba.{k}": v
                  for k, v in base.seed_states(self.ema_generator_ba).items()})
    for name, pool in (("pool_a", self.pool_a), ("pool_b", self.pool_b)):
      if pool.size:
        out[f"{name}_images"], out[f"{name}_count"] = pool.images, pool.count
    return out

  def call(self, a, training=False):
    return self.g_ab(a, training=training)

  def _l1(self, x, y):
    return ops.mean(ops.abs(ops.cast(x, "float32") - y), axis=(1, 2, 3))

  def _averaged(self):
    """Both generators are averaged (`ExtrasMixin._update_ema`)."""
    return [(self.ema_generator, self.g_ab), (self.ema_generator_ba, self.g_ba)]

  def train_step(self, batch):
    a, b = ops.cast(batch[0], "float32"), ops.cast(batch[1], "float32")
    n = ops.shape(a)[0]
    seen = lambda z: self._augment(z, None, None)  # noqa: E731  what a D sees (DiffAugment)
    adv = lambda d, fake: _per_example(self.loss_pair.generator(  # noqa: E731
        ops.reshape(d(seen(fake), training=True), (-1,))), n)
    with tf.GradientTape() as tape:
      fake_b, fake_a = self.g_ab(a, training=True), self.g_ba(b, training=True)
      cycle = self._l1(self.g_ba(fake_b, training=True), a) + self._l1(
          self.g_ab(fake_a, training=True), b)
      g_gan = self.g_scale * (adv(self.d_b, fake_b) + adv(self.d_a, fake_a))
      g_loss = self._gan_weight(1.0) * g_gan + self.lambda_cycle * cycle
      if self.lambda_identity:
        identity = self._l1(self.g_ab(b, training=True), b) + self._l1(
            self.g_ba(a, training=True), a)
        g_loss = g_loss + self.lambda_cycle * self.lambda_identity * identity
      scaled = self.g_optimizer.scale_loss(tf.nn.compute_average_loss(g_loss))
    variables = self._g_variables()
    self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
    self._update_ema(n)
    pooled_b = self.pool_b.query(ops.stop_gradient(ops.cast(fake_b, "float32")),
                                 self.seed_generator)
    pooled_a = self.pool_a.query(ops.stop_gradient(ops.cast(fake_a, "float32")),
                                 self.seed_generator)
    r1 = 0.0
    with tf.GradientTape() as tape:
      d_losses = {}
      for key, d, real, fake in (("d_a", self.d_a, a, pooled_a), ("d_b", self.d_b, b, pooled_b)):
        real_in = seen(real)
        logits = [ops.reshape(ops.cast(d(x, training=True), "float32"), (-1,))
                  for x in (real_in, seen(fake))]
        d_losses[key] = 0.5 * _per_example(self.loss_pair.discriminator(*logits), n)
        if self.extras.r1_gamma:
          penalty = adversarial.r1_penalty(lambda z, d=d: d(z, training=True), real_in)
          d_losses[key] = d_losses[key] + 0.5 * self.extras.r1_gamma * penalty
          r1 = r1 + penalty
      scaled = self.d_optimizer.scale_loss(
          tf.nn.compute_average_loss(d_losses["d_a"] + d_losses["d_b"]))
    variables = self._d_variables()
    self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
    values = dict(d_losses, g_gan=g_gan, cycle=cycle)
    if self.lambda_identity:
      values["identity"] = identity
    for name, tracker in self.trackers.items():
      tracker.update_state(values[name])
    if self.extras.r1_gamma:
      self.r1_tracker.update_state(r1)
    return {m.name: m.result() for m in self.metrics}


def _rgb(x):
  return np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x


class CycleGANFamily(base.ImageToImageFamily):
  """Unpaired image-to-image translation (`--family=cyclegan`, `--network=resnet`): settings
  in config.translation (domains, lambdas, pool), config.objective (the loss pair: the paper
  uses least_squares) and config.optimization."""
  name = "cyclegan"
  demo_tab = "tfgan.demo.translate:cyclegan_tab"  # both directions of an upload
  architecture_fields = ("domains", "norm", "upsample", "d_layers", "resnet_blocks", "loss",
                         "pool_size", "ema_kimg")
  extras_supported = ("gan_ramp_steps", "r1_gamma", "diffaugment")

  def check(self, config):
    t = config.translation
    if config.model.network not in CYCLEGAN_NETWORKS:
      raise ValueError(f"network must be one of {sorted(CYCLEGAN_NETWORKS)} for family "
                       f"cyclegan, got {config.model.network!r}.")
    if t.domains not in unpaired.DOMAIN_KINDS:
      raise ValueError(f"domains must be one of {unpaired.DOMAIN_KINDS}, got {t.domains!r}.")
    if t.lambda_cycle < 0 or t.lambda_identity < 0 or t.pool_size < 0 or t.resnet_blocks < 0:
      raise ValueError("lambda_cycle, lambda_identity, pool_size and resnet_blocks must be "
                       ">= 0.")
    if t.feature_matching_weight:
      raise ValueError(NO_FEATURE_MATCHING)
    if config.evaluation.metric_names and t.domains not in TRANSFORMS:
      raise ValueError("eval_metrics=paired needs held-out pairs: domains derived by a "
                       "transform (edges, grey, blur, downsample) with --holdout; unpaired "
                       "folders have no ground truth to compare with.")
    self.check_objective(config)

  def _domains(self, config, split, log=print, data_dir=None):
    c, t = config.data, config.translation
    return unpaired.open_domains(
        t.domains, c.dataset, c.data_dir if data_dir is None else data_dir, c.tfds_dir,
        c.image_size, c.crop_fraction, c.channels, c.holdout if data_dir is None else 0,
        split, c.skip_bad_images, log)

  def _pairs(self, config, split, log=print, data_dir=None):
    """Pairs to score G_AB on (tfgan.translation.evaluate_run): the held-out (transform(x), x)
    pairs, or those of every image in `data_dir`, for domains derived by a transform."""
    if config.translation.domains not in TRANSFORMS:
      raise ValueError("this CycleGAN run's domains are unpaired folders: there is no ground "
                       "truth to score a translation against (paired metrics need domains "
                       "derived by a transform).")
    if data_dir is not None:
      c = config.data
      return unpaired.HalvesPairs(data.open_source(
          c.dataset, "train", data_dir, c.tfds_dir, c.image_size, c.crop_fraction, c.channels,
          c.skip_bad_images, log=log), config.translation.domains)
    return self._domains(config, split, log)

  def open_data(self, config, log=print):
    return self._domains(config, "train", log)

  def train_dataset(self, config, source, seed, cache_dir):
    return unpaired.make_unpaired_dataset(source, config.optimization.batch_size,
                                          config.data.shuffle_buffer, seed,
                                          cache=config.data.cache,
                                          use_jitter=config.translation.jitter)

  def describe(self, config, spec):
    shape = lambda s: "x".join(map(str, s))  # noqa: E731
    return (f"cyclegan {config.model.network} on {spec.name} ({spec.origin}, {spec.kind}: "
            f"{spec.num_a} A images {shape(spec.input_shape)}, {spec.num_b} B images "
            f"{shape(spec.target_shape)})")

  def build(self, config, spec, optimizers, **compile_options):
    t, m = config.translation, config.model
    g_cls, d_cls = CYCLEGAN_NETWORKS[m.network]
    side = min(spec.input_shape[:2])
    if side < d_cls.min_side(t.d_layers):
      raise ValueError(f"--d_layers={t.d_layers} needs images of at least "
                       f"{d_cls.min_side(t.d_layers)} px; lower --d_layers or raise "
                       f"--image_size.")
    norm = "instance" if t.norm == "auto" else t.norm
    with precision.policy_scope(config.runtime.mixed_precision):
      g_ab, g_ba = [g_cls(image_shape=src, out_channels=dst[-1], width=m.width,
                          n_blocks=t.resnet_blocks, norm=norm, upsample=t.upsample, name=name)
                    for src, dst, name in ((spec.input_shape, spec.target_shape, "g_ab"),
                                           (spec.target_shape, spec.input_shape, "g_ba"))]
      d_a, d_b = [d_cls(image_shape=shape, width=m.width, n_layers=t.d_layers, norm=norm,
                        name=name)
                  for shape, name in ((spec.input_shape, "d_a"), (spec.target_shape, "d_b"))]
    for network in (g_ab, g_ba, d_a, d_b):
      network.build(network.input_shapes())
    model = CycleGAN(g_ab, g_ba, d_a, d_b, losses_lib.get(config.objective.loss),
                     t.lambda_cycle, t.lambda_identity, t.pool_size, seed=config.runtime.seed,
                     extras=adversarial.Extras.from_config(config))
    model.compile(optimizers["g"], optimizers["d"], **compile_options)
    return model

  def preview(self, config, source):
    n = min(config.outputs.num_samples, 16)
    if config.data.holdout and config.translation.domains in TRANSFORMS:
      held = self._domains(config, "holdout")
      a, b = [], []
      for x, y in held.examples().take(n):
        a.append(x.numpy())
        b.append(y.numpy())
      a, b = np.stack(a), np.stack(b)
    else:
      a, b = [np.stack([x.numpy() for x in source.domain(d).take(n)]) for d in "AB"]
    a, b = a.astype(np.float32) / 127.5 - 1, b.astype(np.float32) / 127.5 - 1
    k = min(len(a), len(b))
    a, b = a[:k], b[:k]

    def render(model):
      g_ab, g_ba = model.sampling_generator, model.sampling_generator_ba
      fake_b, fake_a = generation.translate(g_ab, a), generation.translate(g_ba, b)
      rec_a, rec_b = generation.translate(g_ba, fake_b), generation.translate(g_ab, fake_a)
      if not all(np.isfinite(x).all() for x in (fake_a, fake_b)):
        raise rundir.NonFiniteError("the generators' outputs hold NaN or infinite values: "
                                    "training diverged; lower the learning rates.")
      # One row per example: a | G_AB(a) | G_BA(G_AB(a)) | b | G_BA(b) | G_AB(G_BA(b)).
      tiles = np.stack([_rgb(t) for t in (a, fake_b, rec_a, b, fake_a, rec_b)], axis=1)
      return images.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), rows=k)

    return render

  def exports(self, model):
    def spec(network):
      return tf.TensorSpec([None] + list(network.image_shape), tf.float32, name="images")
    g_ab, g_ba = model.sampling_generator, model.sampling_generator_ba  # the averages, if any
    return [export.Export("generator", g_ab, {"serve": (spec(g_ab),)}),
            export.Export("generator_ba", g_ba, {"serve_ba": (spec(g_ba),)})]

  def export_names(self, config):
    return ["generator", "generator_ba"]

  def input_transform(self, config):
    """Domain A's transform of a photo (domains edges, grey, blur, downsample), or None."""
    return TRANSFORMS.get(config.translation.domains)

  def next_commands(self, config, workdir):
    derive = " --derive" if config.translation.domains in TRANSFORMS else ""
    out = [f"python -m tfgan.translate --workdir={workdir} --input=YOUR_A_IMAGES "
           f"--output={os.path.join(workdir, 'translated')}{derive}",
           f"python -m tfgan.translate --workdir={workdir} --reverse --input=YOUR_B_IMAGES "
           f"--output={os.path.join(workdir, 'translated_ba')}"]
    if config.translation.domains == "folders" or config.data.holdout:
      out.append(f"python -m tfgan.evaluate --workdir={workdir}")
    return out + super().next_commands(config, workdir)

  def evaluator(self, config, source, log=print):
    names = config.evaluation.metric_names
    if not names:
      return None
    from tfgan.metrics import paired
    return paired.PairedEvaluator(names, self._domains(config, "holdout", log),
                                  generator_of=lambda model: model.sampling_generator)


CYCLEGAN_NETWORKS = {"resnet": (resnet_translation.ResNetGenerator, unet.PatchDiscriminator)}
