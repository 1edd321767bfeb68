"""The noise-to-image GAN family: `GAN`, a keras.Model that owns G and D and trains both in
`train_step` under fit(), and `GANFamily`, which builds it from a Config for the shared
trainer (networks from tfgan.networks, sample grids of generated images, the generator as
export, FID/KID/IS/PR and the classifier report as evaluation)."""

import os

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import ada as ada_lib
from tfgan import augment as augment_lib
from tfgan import data, distribute, export, generation, images, networks, precision, rundir
from tfgan import losses as losses_lib
from tfgan import regularizers
from tfgan.models import base, codes as codes_lib


def check_options(loss, d_normalization, label_smoothing=0.0, gp_weight=0.0, r1_gamma=0.0,
                  r1_every=1, weight_clip=0.0):
  """Raises ValueError, saying why, for option combinations that make no sense.

  Args:
    loss: a tfgan.losses.LossPair (its `cross_entropy` and `critic` properties decide).
    d_normalization: 'batch', 'spectral' or 'none'.
  """
  if not isinstance(loss, losses_lib.LossPair):
    raise TypeError(f"loss must be a tfgan.losses.LossPair (e.g. tfgan.losses.get('hinge')), "
                    f"got {loss!r}.")
  for name, value in (("label_smoothing", label_smoothing), ("gp_weight", gp_weight),
                      ("r1_gamma", r1_gamma), ("weight_clip", weight_clip)):
    if value < 0:
      raise ValueError(f"{name} must be >= 0, got {value!r}.")
  if not 0 <= label_smoothing < 1:
    raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
  if label_smoothing and not loss.cross_entropy:
    raise ValueError(f"label_smoothing softens the real target of a cross-entropy loss "
                     f"(non_saturating, minimax); loss {loss.name!r} has no such target.")
  if int(r1_every) < 1:
    raise ValueError(f"r1_every must be >= 1 (steps between R1 penalties), got {r1_every!r}.")
  if gp_weight and weight_clip:
    raise ValueError("gp_weight and weight_clip both constrain the critic's Lipschitz "
                     "constant; the gradient penalty replaces clipping (Gulrajani et al. 2017). "
                     "Use one.")
  if gp_weight and r1_gamma:
    raise ValueError("gp_weight and r1_gamma are two gradient penalties on D; use one.")
  if weight_clip and not loss.critic:
    raise ValueError(f"weight_clip keeps a Wasserstein critic 1-Lipschitz; it has no role "
                     f"with loss {loss.name!r}.")
  if (gp_weight or r1_gamma) and d_normalization == "batch":
    raise ValueError("gradient penalties are per example, but batch norm in D mixes the "
                     "examples of a batch (Gulrajani et al. 2017, sec. 4); use D "
                     "normalization 'none' or 'spectral'.")
  if loss.critic and not (gp_weight or weight_clip or d_normalization == "spectral"):
    raise ValueError(f"loss {loss.name!r} needs a 1-Lipschitz critic: set gp_weight (WGAN-GP), "
                     "weight_clip (WGAN) or spectral normalization in D.")


class GAN(base.FamilyModel):
  """Adversarial training of `generator` against `discriminator` with a paired loss.

  Each `train_step` takes real images float32 [d_steps * B, H, W, C] in [-1, 1] (with int
  labels [d_steps * B] when conditional), splits them into `d_steps` strided chunks of B
  (rows i, i + d_steps, ...) for `d_steps` discriminator updates, then makes one generator
  update on B fresh latents. B is read from the batch, so it is the per-replica batch under
  tf.distribute. Per-example losses and penalties
  are averaged over the global batch (`tf.nn.compute_average_loss`), because gradients are
  summed across replicas, and random draws are made for the global batch with each replica
  keeping its rows (`tfgan.distribute.replica_draw`): a step on R replicas equals one
  single-device step on the global batch (with `tfgan.distribute.synchronize_batch_norm`
  when the networks have batch norm, which otherwise normalizes per replica).

  Mixed precision: networks built under a mixed dtype policy compute in float16/bfloat16;
  images and D's logits are cast to float32 before losses, and the losses are scaled by the
  optimizers' `scale_loss` (a keras.optimizers.LossScaleOptimizer does dynamic float16 loss
  scaling; other optimizers return the loss unchanged).

  Args:
    generator: keras.Model, z float32 [B, latent_dim] (or [z, labels]) -> images in [-1, 1].
    discriminator: keras.Model, images (or [images, labels]) -> logits float32 [B, 1].
    latent_dim: length of z ~ N(0, I).
    loss: a tfgan.losses.LossPair (e.g. tfgan.losses.get('hinge')).
    d_steps: discriminator updates per generator update.
    seed: seed of the model's SeedGenerator (latents, labels, augmentation, interpolation).
    ema_half_life: half-life, in real images seen, of an exponential moving average of G's
      weights (Karras et al. 2018, https://arxiv.org/abs/1710.10196); 0 disables it. After each
      G update w_ema <- b * w_ema + (1 - b) * w with b = 0.5 ** (d_steps * global batch /
      half-life), the real images that update's D steps consumed;
      batch-norm statistics are copied. `sampling_generator` is then the averaged copy.
    num_classes: > 0 for a conditional GAN. D sees real images with their labels and fakes
      made for the same labels; G's own update draws labels uniformly.
    label_smoothing: one-sided smoothing of D's real target (cross-entropy losses only).
    gp_weight: lambda of the WGAN-GP gradient penalty (10 in the paper); 0 disables.
    r1_gamma: gamma of the R1 penalty, gamma / 2 * ||grad D(x)||^2 on reals; 0 disables.
    r1_every: lazy regularization (Karras et al. 2020, https://arxiv.org/abs/1912.04958): R1
      on every k-th D update, scaled by k.
    weight_clip: c of WGAN weight clipping, D's weights clipped to [-c, c]; 0 disables.
    augment: a tfgan.augment.DiffAugment applied to every image D sees, or None.
    ada: a tfgan.ada.AdaptiveAugment applied to every image D sees (before DiffAugment), fed
      D's signs on reals in each D update and adjusted once per train step, or None.
    info_codes: K > 0 for InfoGAN (tfgan.models.codes): G built with codes=K, D with
      info_codes=K; both networks add info_weight * tfgan.losses.info_loss, the cross-entropy
      of D's Q head on the code c = G.code(z) of each fake.
    info_weight: lambda of the InfoGAN term (1 in the paper for categorical codes).
    code_labels: cluster conditioning (tfgan.models.codes): G built with codes=num_classes
      (unconditional otherwise), D conditional on num_classes; real images come with their
      cluster, and every fake is labelled with its own code G.code(z).
  """

  def __init__(self, generator, discriminator, latent_dim,
               loss=losses_lib.LOSSES["non_saturating"], d_steps=1, seed=None,
               ema_half_life=0.0, num_classes=0, label_smoothing=0.0, gp_weight=0.0,
               r1_gamma=0.0, r1_every=1, weight_clip=0.0, augment=None, info_codes=0,
               info_weight=1.0, code_labels=False, ada=None, **kwargs):
    super().__init__(**kwargs)
    # A discriminator from outside tfgan is taken to have no batch norm.
    check_options(loss, getattr(discriminator, "normalization", "none"), label_smoothing,
                  gp_weight, r1_gamma, r1_every, weight_clip)
    if int(d_steps) < 1:
      raise ValueError(f"d_steps must be >= 1, got {d_steps!r}.")
    if ema_half_life < 0:
      raise ValueError(f"ema_half_life must be >= 0 images, got {ema_half_life!r}.")
    codes_lib.check_codes(info_codes, info_weight, num_classes if code_labels else 0,
                          latent_dim, 0 if code_labels else num_classes, gp_weight)
    codes_lib.check_networks(generator, discriminator,
                             num_classes if code_labels else info_codes, info_codes)
    self.info_codes, self.info_weight = int(info_codes), float(info_weight)
    self.code_labels = bool(code_labels)
    self.generator = generator
    self.discriminator = discriminator
    self.latent_dim = int(latent_dim)
    self.loss_pair = loss
    self.d_steps = int(d_steps)
    self.num_classes = int(num_classes)
    self.label_smoothing = float(label_smoothing)
    self.gp_weight, self.weight_clip = float(gp_weight), float(weight_clip)
    self.r1_gamma, self.r1_every = float(r1_gamma), int(r1_every)
    self.augment_policy = augment
    self.ada = ada
    self.seed_generator = keras.random.SeedGenerator(seed)
    self.ema_half_life = float(ema_half_life)
    self.ema_generator = base.ema_copy(generator) if self.ema_half_life > 0 else None
    self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
    self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
    # Mean D(x) and D(G(z)) logits through a sigmoid, in [0, 1]: the quickest signs of a
    # discriminator that has won (for critics only their order means anything).
    self.real_score_tracker = keras.metrics.Mean(name="d_real")
    self.fake_score_tracker = keras.metrics.Mean(name="d_fake")
    self.penalty_tracker = keras.metrics.Mean(name="gp" if gp_weight else "r1") if (
        gp_weight or r1_gamma) else None
    # Q's cross-entropy on G's fakes in G's update: log K at chance, 0 when every code is
    # recognised (the mutual information's lower bound is log K minus it).
    self.info_tracker = keras.metrics.Mean(name="info") if self.info_codes else None
    # Updates a float16 loss-scaling optimizer dropped (non-finite gradients): they count as
    # steps trained, so a dropped step is not repeated (see `step_count`).
    self.g_skipped, self.d_skipped = (
        keras.Variable(0, dtype="int64", trainable=False, name=name,
                       aggregation="only_first_replica") for name in ("g_skipped", "d_skipped"))
    # G and D arrive built. Without this, fit() under a distribution strategy "builds" the GAN
    # by calling it on a batch of real images, which are not latents.
    self.built = True

  def _maybe_symbolic_build(self, iterator=None, data_batch=None):
    # Keras 3.15's fit() pulls the first distributed batch and MEAN-reduces it across replicas
    # to build the model from it; under MultiWorkerMirroredStrategy that reduce fails in eager
    # mode. A GAN arrives built, with no compiled loss or metrics: nothing to build from data.
    if all(layer.built for layer in self._flatten_layers()):
      return
    super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

  @property
  def metrics(self):
    trackers = [self.d_loss_tracker, self.g_loss_tracker, self.real_score_tracker,
                self.fake_score_tracker]
    return trackers + [t for t in (self.penalty_tracker, self.info_tracker) if t is not None]

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
  def state_log_keys(self):
    """Logged values that are state, not metrics: ADA's p and r_t when it is on."""
    return ("ada_p", "ada_rt") if self.ada is not None else ()

  @property
  def sampling_generator(self):
    """The generator to sample, evaluate and export: the EMA copy when there is one."""
    return self.ema_generator if self.ema_generator is not None else self.generator

  @property
  def step(self):
    """Generator updates applied so far (int64 variable, checkpointed with the optimizer)."""
    return self.g_optimizer.iterations

  def step_count(self):
    """Train steps done: G updates applied plus those a loss-scaling optimizer dropped."""
    return super().step_count() + int(tf.convert_to_tensor(self.g_skipped.value))

  def checkpoint_objects(self):
    """G (and its EMA), D, both optimizers (with the step counter), the RNG states (the
    model's and its networks'), the counts of dropped updates and ADA's state."""
    extra = {"ema_generator": self.ema_generator} if self.ema_generator is not None else {}
    if self.ada is not None:
      extra["ada"] = self.ada  # p, its sign sums and iteration count
    seeds = base.seed_states(self.generator, self.discriminator)
    if seeds:
      extra["network_seeds"] = seeds
    return dict(generator=self.generator, discriminator=self.discriminator,
                g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer,
                rng=self.seed_generator.state, g_skipped=self.g_skipped,
                d_skipped=self.d_skipped, **extra)

  def call(self, inputs, training=False):
    """Generates images [B, H, W, C] in [-1, 1] from z [B, latent_dim] (or [z, labels])."""
    return self.generator(inputs, training=training)

  def sample_latents(self, batch_size):
    """Draws z ~ N(0, I), float32 [batch_size, latent_dim], from the model's SeedGenerator.

    The stream is reproducible for a given seed and jit_compile setting; XLA's stateless
    normal sampler differs from TensorFlow's, so runs with and without XLA draw other latents.
    """
    return distribute.replica_draw(
        lambda n: keras.random.normal((n, self.latent_dim), seed=self.seed_generator),
        batch_size)

  def _with_labels(self, x, labels):
    return [x, labels] if self.num_classes else x

  def _augment_seed(self):
    """A stateless seed (int32 [2]) for one DiffAugment draw, from the model's SeedGenerator."""
    return tf.cast(tf.math.floormod(self.seed_generator.next(), tf.int32.max - 1), tf.int32)

  @property
  def _augments(self):
    return bool(self.augment_policy) or self.ada is not None

  def _augment(self, images, seed=None):
    """What D sees of images: ADA's pipeline, then DiffAugment's (each when on); seed None
    draws a new one, a given seed repeats its transforms (R1 through D's view)."""
    if not self._augments:
      return images
    seed = self._augment_seed() if seed is None else seed
    return ada_lib.discriminator_view(images, seed, distribute.replica_rows(tf.shape(images)[0]),
                                      self.ada, self.augment_policy,
                                      getattr(self.discriminator, "image_shape", None))

  def _generate(self, z, labels):
    # With code_labels the generator reads its label (its code) from z itself.
    g_inputs = z if self.code_labels else self._with_labels(z, labels)
    return tf.cast(self.generator(g_inputs, training=True), tf.float32)

  def _d_outputs(self, images, labels):
    """D's float32 outputs [B, 1 + info_codes] (float32 whatever D computes in: the losses'
    exp/log overflow in float16)."""
    return tf.cast(self.discriminator(self._with_labels(images, labels), training=True),
                   tf.float32)

  def _d_scores(self, images, labels):
    """D's real/fake logits, float32 [B, 1] (without InfoGAN's code logits)."""
    return self._d_outputs(images, labels)[:, :1]

  def _info_loss(self, z, outputs):
    """Per-example InfoGAN loss [B] (Q's cross-entropy on the code) of fakes made from z,
    given D's outputs on them."""
    return losses_lib.info_loss(self.generator.code(z), outputs[:, 1:])

  def _penalty(self, real, real_in, fake_in, labels, real_seed):
    """Per-example gradient penalty. WGAN-GP: at interpolates of the images D saw (augmented
    reals and fakes, as D sees them). R1: the gradient with respect to the real images x
    themselves, through D's (differentiable) augmentation T, ||grad_x D(T(x))||^2, as the
    DiffAugment and StyleGAN2-ADA references take it; published gammas assume that."""
    if self.gp_weight:
      return self.gp_weight * regularizers.gradient_penalty(
          lambda x: self._d_scores(x, labels), real_in, fake_in, self.seed_generator)

    def critic(x):
      return self._d_scores(self._augment(x, real_seed), labels)

    # Lazy R1: every r1_every-th D update, scaled by r1_every to keep its average weight.
    due = tf.equal(self._d_updates() % self.r1_every, 0)
    scale = tf.where(due, 0.5 * self.r1_gamma * self.r1_every, 0.0)
    return tf.cond(due, lambda: scale * regularizers.r1_penalty(critic, real),
                   lambda: tf.zeros([tf.shape(real)[0]]))

  def _discriminator_step(self, real, labels):
    batch_size = ops.shape(real)[0]
    z = self.sample_latents(batch_size)
    # Cluster conditioning: reals carry their clusters, fakes their own codes.
    fake_labels = self.generator.code(z) if self.code_labels else labels
    fake = self._generate(z, fake_labels)
    with tf.GradientTape() as tape:
      real_seed = self._augment_seed() if self._augments else None
      real_in, fake_in = self._augment(real, real_seed), self._augment(fake)
      real_logits = self._d_scores(real_in, labels)
      fake_outputs = self._d_outputs(fake_in, fake_labels)
      fake_logits = fake_outputs[:, :1]
      smoothing = {"label_smoothing": self.label_smoothing} if self.label_smoothing else {}
      per_example = self.loss_pair.discriminator(real_logits, fake_logits, **smoothing)
      if self.info_codes:  # Q learns to recognise the code of each fake.
        per_example = per_example + self.info_weight * self._info_loss(z, fake_outputs)
      if self.penalty_tracker is not None:
        penalty = self._penalty(real, real_in, fake_in, labels, real_seed)
        self.penalty_tracker.update_state(penalty)
        per_example = per_example + penalty
      loss = self.d_optimizer.scale_loss(tf.nn.compute_average_loss(per_example))
    grads = tape.gradient(loss, self.discriminator.trainable_variables)
    self._apply(self.d_optimizer, grads, self.discriminator.trainable_variables,
                self.d_skipped)
    if self.weight_clip:
      for var in self.discriminator.trainable_variables:
        var.assign(tf.clip_by_value(var, -self.weight_clip, self.weight_clip))
    if self.ada is not None:  # ADA's statistic: D's signs on the (augmented) reals
      self.ada.observe(real_logits)
    self.d_loss_tracker.update_state(per_example)
    self.real_score_tracker.update_state(ops.sigmoid(real_logits))
    self.fake_score_tracker.update_state(ops.sigmoid(fake_logits))

  def _generator_step(self, batch_size):
    z = self.sample_latents(batch_size)
    labels = None
    if self.code_labels:
      labels = self.generator.code(z)
    elif self.num_classes:
      labels = distribute.replica_draw(
          lambda n: keras.random.randint((n,), 0, self.num_classes, seed=self.seed_generator),
          batch_size)
    with tf.GradientTape() as tape:
      fake = self._generate(z, labels)
      outputs = self._d_outputs(self._augment(fake), labels)
      per_example = self.loss_pair.generator(outputs[:, :1])
      if self.info_codes:  # G makes its codes recognisable: the mutual-information term.
        info = self._info_loss(z, outputs)
        self.info_tracker.update_state(info)
        per_example = per_example + self.info_weight * info
      loss = self.g_optimizer.scale_loss(tf.nn.compute_average_loss(per_example))
    grads = tape.gradient(loss, self.generator.trainable_variables)
    self._apply(self.g_optimizer, grads, self.generator.trainable_variables, self.g_skipped)
    self.g_loss_tracker.update_state(per_example)

  def _apply(self, optimizer, grads, variables, skipped):
    """Applies `grads`; counts the update in `skipped` when a loss-scaling optimizer drops it
    (non-finite float16 gradients leave `iterations` where it was)."""
    if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
      optimizer.apply_gradients(zip(grads, variables))
      return
    before = tf.identity(optimizer.iterations)
    optimizer.apply_gradients(zip(grads, variables))
    skipped.assign_add(1 - (tf.convert_to_tensor(optimizer.iterations) - before))

  def _d_updates(self):
    """D updates made so far, applied or skipped (int64 tensor)."""
    return self.d_optimizer.iterations + self.d_skipped

  def _update_ema(self, batch_size):
    # The half-life counts real images seen, as documented: d_steps batches per G update.
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    images = tf.cast(batch_size * replicas * self.d_steps, tf.float32)
    base.update_ema(self.ema_generator, self.generator, images, self.ema_half_life)

  def train_step(self, data):
    real, labels = (data[0], data[1]) if isinstance(data, (tuple, list)) else (data, None)
    if self.num_classes and labels is None:
      raise ValueError("A conditional GAN needs (images, labels) batches.")
    labels = tf.cast(labels, tf.int32) if self.num_classes else None
    chunk = ops.shape(real)[0] // self.d_steps
    for i in range(self.d_steps):  # Unrolled in the graph; d_steps is small (1-5).
      # Strided, not contiguous, chunks: replica r holds rows [r * d * B, (r + 1) * d * B) of
      # the global batch, and its strided chunk i is then exactly its share of the global
      # strided chunk i, so distributed D updates see the examples a single device would.
      part = slice(i, None, self.d_steps)
      self._discriminator_step(real[part], labels[part] if labels is not None else None)
    self._generator_step(chunk)
    if self.ema_generator is not None:
      self._update_ema(chunk)
    if self.ada is not None:  # one ADA iteration: the real images of this step's D updates
      replicas = tf.distribute.get_strategy().num_replicas_in_sync
      self.ada.adjust(ops.shape(real)[0] * replicas)
    return distribute.step_logs(ada_lib.step_logs({m.name: m.result() for m in self.metrics},
                                                  self.ada))


class GANFamily(base.Family):
  """The noise-to-image GAN (`--family=gan`): settings in config.gan and config.objective."""
  name = "gan"
  demo_tab = "tfgan.demo.noise:tab"  # seeds, classes, grids, interpolations, downloads
  section = "gan"
  architecture_fields = ("latent_dim", "conditional", "conditioning", "d_norm", "minibatch_std",
                         "loss", "d_steps", "ema_kimg", "info_codes", "clusters")

  def check(self, config):
    g, o = config.gan, config.objective
    networks.check(config.model.network, g.d_norm, g.conditioning)
    augment_lib.DiffAugment.parse(o.diffaugment)
    ada_lib.check(o)
    check_options(losses_lib.get(o.loss), networks.resolve_d_norm(config.model.network, g.d_norm),
                  o.label_smoothing, o.gp_weight, o.r1_gamma, o.r1_every, o.weight_clip)
    codes_lib.check_codes(g.info_codes, g.info_weight, g.clusters, g.latent_dim, g.conditional,
                          o.gp_weight)
    from tfgan.metrics import evaluation  # numpy only; the extractors load when evaluating
    evaluation.check(config.evaluation.metric_names, config.evaluation.best_metric)

  def uses_labels(self, config):
    return config.gan.conditional

  def open_data(self, config, log=print):
    """The training split; with --clusters, clustered before training (tfgan.data.clusters:
    the same data and seed give the same clusters when a run resumes)."""
    source = super().open_data(config, log)
    if config.gan.clusters:
      from tfgan.data import clusters  # numpy k-means; only this path needs it
      source = clusters.cluster_source(source, config.gan.clusters, config.runtime.seed,
                                       log=log)
    return source

  def label_kind(self, config):
    return "clusters" if config.gan.clusters else "classes"  # not the dataset's labels

  def train_dataset(self, config, source, seed, cache_dir):
    dataset = super().train_dataset(config, source, seed, cache_dir)
    return source.relabel(dataset) if config.gan.clusters else dataset

  def examples_per_step(self, config):
    return config.optimization.batch_size * config.gan.d_steps

  def optimizers(self, config):
    return {"g": (config.optimization.g_lr, 1),
            "d": (config.optimization.d_lr, config.gan.d_steps)}

  def xla_helps_on_cpu(self, config):
    return networks.NETWORKS[config.model.network].xla_on_cpu

  def build(self, config, spec, optimizers, **compile_options):
    g, o, m = config.gan, config.objective, config.model
    num_classes = spec.num_classes if g.conditional else 0
    if g.conditional and num_classes < 2:
      raise data.DataError(f"conditional needs a labelled dataset; {spec.name!r} has "
                           f"{num_classes} classes.")
    d_norm = networks.resolve_d_norm(m.network, g.d_norm)
    options, g_options = {}, {}
    d_options = dict(conditioning=g.conditioning, normalization=d_norm,
                     minibatch_std=g.minibatch_std)
    if g.info_codes:  # G reads a uniform code from z; D predicts it
      g_options["codes"] = d_options["info_codes"] = g.info_codes
    if g.clusters:  # G reads a code from z in the clusters' shares; D is conditioned on it
      num_classes = spec.num_classes
      g_options.update(codes=num_classes, code_probs=spec.class_shares, code_draw="inverse_cdf")
      d_options["num_classes"] = num_classes
    else:
      options["num_classes"] = num_classes
    if networks.NETWORKS[m.network].kernel_size:
      options["kernel_size"] = m.kernel_size
    with precision.policy_scope(config.runtime.mixed_precision):
      generator, discriminator = networks.build(
          m.network, g.latent_dim, spec.image_shape, m.width, **options, g_options=g_options,
          d_options=d_options)
    model = GAN(generator, discriminator, g.latent_dim, loss=losses_lib.get(o.loss),
                d_steps=g.d_steps, seed=config.runtime.seed,
                ema_half_life=config.optimization.ema_kimg * 1000, num_classes=num_classes,
                label_smoothing=o.label_smoothing, gp_weight=o.gp_weight, r1_gamma=o.r1_gamma,
                r1_every=o.r1_every, weight_clip=o.weight_clip,
                augment=augment_lib.DiffAugment.parse(o.diffaugment) or None,
                info_codes=g.info_codes, info_weight=g.info_weight,
                code_labels=bool(g.clusters), ada=ada_lib.from_config(o))
    model.compile(optimizers["g"], optimizers["d"], **compile_options)
    model.build_optimizers()
    return model

  def preview(self, config, source):
    num_classes = source.spec.num_classes if config.gan.conditional else 0
    z = generation.latents(config.outputs.num_samples, config.gan.latent_dim,
                           config.runtime.seed)
    inputs = [z, generation.class_rows(len(z), num_classes)] if num_classes else z
    codes = config.gan.info_codes
    if codes:  # A row per InfoGAN code: what each learned category draws.
      inputs = generation.with_codes(z, generation.class_rows(len(z), codes), codes)

    def render(model):
      # Inference mode, with the EMA generator when there is one; a row per class.
      fake = np.asarray(model.sampling_generator(inputs, training=False))
      if not np.isfinite(fake).all():  # e.g. finite weights whose activations overflow
        raise rundir.NonFiniteError("the generator's samples hold NaN or infinite values: "
                                    "training diverged; lower the learning rates.")
      return images.make_grid(fake, rows=num_classes or codes or None)

    return render

  def exports(self, model):
    return [export.generator_export(model.sampling_generator)]

  def next_commands(self, config, workdir):
    """Commands that work as printed on this machine: the domain classifier is trained first
    where it is not cached yet, and Inception metrics are suggested only where their weights
    are (else SWD, which needs no weights)."""
    e = config.evaluation
    cache = f" --cache_dir={e.metrics_cache_dir}" if e.metrics_cache_dir else ""
    evaluate = f"python -m tfgan.evaluate --workdir={workdir}{cache}"
    out = [f"python -m tfgan.sample --workdir={workdir} --num=64 "
           f"--out={os.path.join(workdir, 'grid.png')}"]
    dataset = config.data.dataset
    from tfgan.metrics import classifier, features  # loaded only once a run has finished
    if dataset in ("mnist", "fashion_mnist"):
      if not os.path.isfile(classifier.classifier_path(dataset, e.metrics_cache_dir)):
        data_dir = f" --data_dir={config.data.data_dir}" if config.data.data_dir else ""
        out.append(f"python -m tfgan.evaluate --train_classifier --dataset={dataset}{data_dir}"
                   f"{cache}  # once: {CLASSIFIER_COST}")
      out.append(f"{evaluate} --metrics=classifier10k")
    elif features.weights_on_disk(e.inception_weights):
      weights = "" if e.inception_weights == "imagenet" else (
          f" --inception_weights={e.inception_weights}")
      out.append(f"{evaluate} --metrics=fid10k,swd10k{weights}")
    else:
      out.append(f"{evaluate} --metrics=swd10k  # fid10k needs InceptionV3's weights: "
                 f"--inception_weights=FILE offline")
    return out + super().next_commands(config, workdir)

  def evaluator(self, config, source, log=print):
    e = config.evaluation
    if not e.metric_names:
      return None
    from tfgan.metrics import run  # Pulls in the metrics only when used.
    # `source` is the trainer's open_reference(config, --eval_data_dir): name it the same way.
    return run.GeneratorEvaluator(e.metric_names, source, e.inception_weights,
                                  e.metrics_cache_dir, config.runtime.seed,
                                  run.reference_split(config, e.eval_data_dir or None))


# Measured: `--train_classifier --dataset=mnist`, 3 epochs on a 2-core CPU: 373 s (2026-11-21),
# 216 s (2026-12-07): the slower figure, so the printed cost is not an underestimate.
CLASSIFIER_COST = "trains and caches the domain classifier, ~6 min on 2 CPU cores"
