"""StyleGAN2's training (Karras et al. 2020, https://arxiv.org/abs/1912.04958), as NVlabs'
stylegan2-ada-pytorch runs it: `StyleGAN2`, a keras.Model whose train step is one iteration of
its loop over the networks of tfgan.networks.stylegan2.

One iteration, in NVlabs' order, each phase its own optimizer step:
  G main: z ~ N(0, I) (labels drawn uniformly when conditional), style mixing (with
    probability `style_mixing` one cutoff for the batch, the styles from it on from a second
    z), fresh noise; loss softplus(-D(T(G(z)))), T the augmentation of what D sees (identity
    when off). w_avg follows the batch's mean w (beta 0.995).
  G reg, every `pl_every` iterations: path lengths on `B / pl_batch_shrink` new latents
    (tfgan.regularizers.path_lengths), penalty (length - a)^2 x pl_weight x pl_every, a the
    running mean of the lengths over the global batch (decay 0.01).
  D main: softplus(D(T(G(z)))) + softplus(-D(T(x))).
  D reg, every `r1_every` iterations: r1_gamma / 2 ||grad_x D(T(x))||^2 x r1_every (through T).
Then the EMA of G: beta = 0.5 ** (batch / half_life), half_life = min(ema_kimg x 1000,
ema_rampup x images seen before the batch) (NVlabs' ramp), buffers (w_avg, fixed noise)
copied. Per-example losses are averaged over the global batch.

Lazy regularisation makes the regularisation phases extra Adam steps: build the optimizers
with `lazy_adam` (lr x k/(k+1), betas^(k/(k+1))), as NVlabs does. The four combinations of
phases are four compiled functions; the host picks one per step from the step count (an
optimizer step inside tf.cond cannot synchronise under MirroredStrategy), so
steps_per_execution must be 1.
"""

import functools

import keras
import tensorflow as tf
from keras import ops

from tfgan import ada as ada_lib
from tfgan import augment as augment_lib
from tfgan import distribute, export, regularizers
from tfgan.models import base, gan
from tfgan.networks import stylegan2 as networks


def lazy_adam(lr, beta_1, beta_2, every):
  """(lr, beta_1, beta_2) of an Adam that also takes a regularisation step every `every`
  steps (NVlabs' compensation): lr x r, beta_1^r, beta_2^r with r = every / (every + 1);
  unchanged when every is 0 (no regularisation)."""
  if not every:
    return lr, beta_1, beta_2
  r = every / (every + 1.0)
  return lr * r, beta_1 ** r, beta_2 ** r


class StyleGAN2(base.GeneratorDiscriminatorModel):
  """Trains a StyleGAN2Generator and StyleGAN2Discriminator (module docstring).

  Each `train_step` takes real images float32 [B, H, W, C] in [-1, 1] (with int labels [B]
  when conditional), B per replica.

  Args:
    generator, discriminator: built tfgan.networks.stylegan2 networks.
    r1_gamma: R1 weight (NVlabs' 'auto': 0.0002 side^2 / batch); 0: none. r1_every: its
      interval (16). pl_weight: path-length weight (2); 0: none. pl_every: its interval (4).
    pl_batch_shrink: the path-length batch is B / this (2). pl_decay: of its running mean.
    style_mixing: probability of mixing two latents' styles (0.9).
    ema_half_life: in images (0: no EMA); ema_rampup: the ramp's fraction of images seen
      (0.05; 0: no ramp).
    augment: a tfgan.augment.DiffAugment (called as (images [B, H, W, C], seed int32 [2],
      rows=this replica's rows)) applied to everything D sees, or None.
    ada: a tfgan.ada.AdaptiveAugment applied to everything D sees (before DiffAugment), fed
      D main's signs on reals and adjusted once per iteration, or None.
    seed: of the latents, mixing and augmentation draws.
  """

  def __init__(self, generator, discriminator, r1_gamma=0.0, r1_every=16, pl_weight=2.0,
               pl_every=4, pl_batch_shrink=2, pl_decay=0.01, style_mixing=0.9,
               ema_half_life=0.0, ema_rampup=0.05, augment=None, ada=None, seed=None,
               **kwargs):
    super().__init__(**kwargs)
    if not isinstance(generator, networks.StyleGAN2Generator):
      raise TypeError(f"generator must be a StyleGAN2Generator, got {type(generator).__name__}.")
    for name, value in (("r1_every", r1_every), ("pl_every", pl_every),
                        ("pl_batch_shrink", pl_batch_shrink)):
      if int(value) < 1:
        raise ValueError(f"{name} must be >= 1, got {value!r}.")
    if not 0.0 <= style_mixing <= 1.0:
      raise ValueError(f"style_mixing is a probability, got {style_mixing!r}.")
    self.generator, self.discriminator = generator, discriminator
    self.num_classes = generator.num_classes
    self.r1_gamma, self.r1_every = float(r1_gamma), int(r1_every)
    self.pl_weight, self.pl_every = float(pl_weight), int(pl_every)
    self.pl_batch_shrink, self.pl_decay = int(pl_batch_shrink), float(pl_decay)
    self.style_mixing = float(style_mixing)
    self.ema_half_life, self.ema_rampup = float(ema_half_life), float(ema_rampup)
    self.augment_fn, self.ada = augment, ada
    self.seed_generator = keras.random.SeedGenerator(seed)
    self.ema_generator = base.ema_copy(generator) if self.ema_half_life > 0 else None
    self.iteration = self.add_weight(name="iteration", shape=(), dtype="int64",
                                     initializer="zeros", trainable=False,
                                     aggregation="only_first_replica")
    self.pl_mean = self.add_weight(name="pl_mean", shape=(), initializer="zeros",
                                   trainable=False, aggregation="only_first_replica")
    self.trackers = {n: keras.metrics.Mean(name=n) for n in
                     ("g_loss", "d_loss", "real_score", "fake_score", "pl_penalty", "r1")}
    self._host_step = None
    self.built = True

  @property
  def metrics(self):
    return list(self.trackers.values())

  @property
  def step(self):
    """Iterations done (int64 variable, checkpointed): each is G main + D main, and the
    regularisation steps when due."""
    return self.iteration

  @property
  def state_log_keys(self):
    """Logged values that are state, not metrics: ADA's p and r_t when it is on."""
    return ("ada_p", "ada_rt") if self.ada is not None else ()

  @property
  def sampling_generator(self):
    """The generator to sample, evaluate and export: the EMA copy when there is one."""
    return self.ema_generator if self.ema_generator is not None else self.generator

  def checkpoint_objects(self):
    """G (and its EMA), D, both optimizers, the iteration count, the path-length mean,
    ADA's state and every RNG state (latents, mixing, augmentation, each layer's noise)."""
    out = dict(generator=self.generator, discriminator=self.discriminator,
               g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer,
               iteration=self.iteration, pl_mean=self.pl_mean, rng=self.seed_generator.state,
               network_seeds=base.seed_states(self.generator))
    if self.ema_generator is not None:
      out["ema_generator"] = self.ema_generator
    if self.ada is not None:
      out["ada"] = self.ada
    return out

  def call(self, inputs, training=False):
    return self.generator(inputs, training=training)

  def phases(self, iteration):
    """(G reg due, D reg due) at `iteration` (a Python int): NVlabs' `batch_idx % k == 0`."""
    return (bool(self.pl_weight) and iteration % self.pl_every == 0,
            bool(self.r1_gamma) and iteration % self.r1_every == 0)

  # Lazy phases: one compiled function per combination, chosen on the host.
  def make_train_function(self, force=False):
    if self.train_function is not None and not force:
      return self.train_function
    if self.steps_per_execution != 1:
      raise ValueError("stylegan2 picks its lazy regularisation steps per step: "
                       "steps_per_execution must be 1.")
    variants = {}

    def train_function(iterator):
      if self._host_step is None:  # read once per fit(): the counter a checkpoint restored
        self._host_step = self.step_count()
      key = self.phases(self._host_step)
      if key not in variants:
        variants[key] = self._make_function(functools.partial(self._train_step, *key))
      self._host_step += 1
      return variants[key](iterator)

    self.train_function = train_function
    return train_function

  def fit(self, *args, **kwargs):
    self._host_step = None
    return super().fit(*args, **kwargs)

  def train_step(self, data):
    """One iteration, its phases read from the step counter (eager calls: tests)."""
    return self._train_step(*self.phases(self.step_count()), data)

  # The phases.
  def _latents(self, n):
    return distribute.replica_draw(
        lambda k: keras.random.normal((k, self.generator.latent_dim), seed=self.seed_generator),
        n)

  def _labels(self, n):
    if not self.num_classes:
      return None
    return distribute.replica_draw(
        lambda k: keras.random.randint((k,), 0, self.num_classes, seed=self.seed_generator), n)

  def _styles(self, n, labels):
    """ws [n, num_ws, w_dim] of new latents, mixed with a second latent's from one cutoff
    (the same on every replica: the draws share the model's seed state)."""
    g = self.generator
    ws = g.mapping(self._latents(n), labels)
    if self.style_mixing > 0:
      cutoff = networks.mixing_cutoff(g.num_ws, self.style_mixing, self.seed_generator)
      ws = networks.mix_styles(ws, g.mapping(self._latents(n), labels), cutoff)
    return ws

  def _augment_seed(self):
    """A stateless seed (int32 [2]) for one augmentation draw, from the model's RNG."""
    return tf.cast(tf.math.floormod(self.seed_generator.next(), tf.int32.max - 1), tf.int32)

  def _seen(self, images):
    """What D sees: images through ADA and DiffAugment when on (a new draw per call)."""
    if self.augment_fn is None and self.ada is None:
      return images
    return ada_lib.discriminator_view(images, self._augment_seed(),
                                      distribute.replica_rows(tf.shape(images)[0]), self.ada,
                                      self.augment_fn, self.discriminator.image_shape)

  def _d(self, images, labels):
    inputs = [images, labels] if self.num_classes else images
    return ops.reshape(ops.cast(self.discriminator(inputs, training=True), "float32"), (-1,))

  @staticmethod
  def _loss(optimizer, per_example):
    """The global-batch mean of `per_example` [B] as `optimizer` takes it (loss-scaled)."""
    return optimizer.scale_loss(tf.nn.compute_average_loss(per_example))

  @staticmethod
  def _step(optimizer, loss, tape, variables):
    # Zeros for the weights a phase does not reach (toRGB biases under the path-length
    # penalty, D's last bias under R1), as NVlabs' `+ 0 * output` gives them.
    grads = tape.gradient(loss, variables)
    grads = [tf.zeros(v.shape, v.dtype) if g is None else g for g, v in zip(grads, variables)]
    optimizer.apply_gradients(zip(grads, variables))

  def _global_mean(self, value):
    context = tf.distribute.get_replica_context()
    return value if context is None else context.all_reduce("mean", value)

  def _train_step(self, g_reg, d_reg, data):
    real, labels = (data[0], data[1]) if isinstance(data, (tuple, list)) else (data, None)
    real = ops.cast(real, "float32")
    real_labels = ops.cast(labels, "int32") if self.num_classes else None
    n = ops.shape(real)[0]
    g, d = self.generator, self.discriminator
    g_vars, d_vars = g.trainable_variables, d.trainable_variables
    # G main.
    fake_labels = self._labels(n)
    with tf.GradientTape() as tape:
      ws = self._styles(n, fake_labels)
      fake = ops.cast(g.synthesis(ws, "random"), "float32")
      g_loss = ops.softplus(-self._d(self._seen(fake), fake_labels))
      loss = self._loss(self.g_optimizer, g_loss)
    self._step(self.g_optimizer, loss, tape, g_vars)
    g.update_w_avg(self._global_mean(ops.mean(ws[:, 0], axis=0)))
    self.trackers["g_loss"].update_state(g_loss)
    # G reg: path lengths on a smaller batch.
    if g_reg:
      m = ops.maximum(n // self.pl_batch_shrink, 1)
      pl_labels = self._labels(m)
      with tf.GradientTape() as tape:
        lengths = regularizers.path_lengths(
            lambda w: g.synthesis(w, "random"), self._styles(m, pl_labels), self.seed_generator)
        penalty, new_mean = regularizers.path_length_penalty(
            lengths, self.pl_mean, self._global_mean(ops.mean(lengths)), self.pl_decay)
        loss = self._loss(self.g_optimizer, penalty * (self.pl_weight * self.pl_every))
      self._step(self.g_optimizer, loss, tape, g_vars)
      self.pl_mean.assign(new_mean)
      self.trackers["pl_penalty"].update_state(penalty)
    # D main.
    d_labels = self._labels(n)
    fake = ops.stop_gradient(ops.cast(g.synthesis(self._styles(n, d_labels), "random"),
                                      "float32"))
    with tf.GradientTape() as tape:
      fake_logits = self._d(self._seen(fake), d_labels)
      real_logits = self._d(self._seen(real), real_labels)
      d_loss = ops.softplus(fake_logits) + ops.softplus(-real_logits)
      loss = self._loss(self.d_optimizer, d_loss)
    self._step(self.d_optimizer, loss, tape, d_vars)
    self.trackers["d_loss"].update_state(d_loss)
    if self.ada is not None:
      self.ada.observe(real_logits)
    self.trackers["real_score"].update_state(ops.sigmoid(real_logits))
    self.trackers["fake_score"].update_state(ops.sigmoid(fake_logits))
    # D reg: R1 through the augmentation.
    if d_reg:
      with tf.GradientTape() as tape:
        r1 = regularizers.r1_penalty(
            lambda x: self._d(self._seen(x), real_labels)[:, None], real)
        loss = self._loss(self.d_optimizer, r1 * (0.5 * self.r1_gamma * self.r1_every))
      self._step(self.d_optimizer, loss, tape, d_vars)
      self.trackers["r1"].update_state(r1)
    if self.ema_generator is not None:
      replicas = tf.distribute.get_strategy().num_replicas_in_sync
      batch = ops.cast(n * replicas, "float32")
      half_life = self.ema_half_life
      if self.ema_rampup:
        seen = ops.cast(self.iteration, "float32") * batch
        half_life = ops.maximum(ops.minimum(half_life, seen * self.ema_rampup), 1e-8)
      base.update_ema(self.ema_generator, g, batch, half_life)
    if self.ada is not None:
      self.ada.adjust(n * tf.distribute.get_strategy().num_replicas_in_sync)
    self.iteration.assign_add(1)
    return distribute.step_logs(ada_lib.step_logs({m.name: m.result() for m in self.metrics},
                                                  self.ada))


class StyleGAN2Family(gan.GANFamily):
  """StyleGAN2 (`--family=stylegan2 --network=stylegan2`): settings in config.style, config.gan
  (latent_dim, also w's size; conditional), config.objective (r1_gamma, r1_every,
  diffaugment, ada and its settings) and config.optimization (learning rates and betas before
  the lazy compensation, ema_kimg). Sampling, evaluation and previews are the gan family's;
  the exports add truncation and the synthesis network (`exports`)."""
  name = "stylegan2"
  section = "style"
  demo_tab = "tfgan.demo.style:tab"  # truncation, style mixing, projection of an upload
  architecture_fields = ("latent_dim", "conditional", "mapping_layers", "ema_kimg")

  def check(self, config):
    g, o, s = config.gan, config.objective, config.style
    if config.model.network != "stylegan2":
      raise ValueError(f"network must be stylegan2 for family stylegan2, got "
                       f"{config.model.network!r}.")
    if config.data.image_size:
      networks.check_image_shape((config.data.image_size, config.data.image_size))
    unused = [k for k, v in (("d_norm", g.d_norm != "auto"),
                             ("conditioning", g.conditioning != "projection"),
                             ("minibatch_std", g.minibatch_std), ("d_steps", g.d_steps != 1),
                             ("info_codes", g.info_codes), ("clusters", g.clusters),
                             ("gp_weight", o.gp_weight), ("weight_clip", o.weight_clip),
                             ("label_smoothing", o.label_smoothing)) if v]
    if unused:
      raise ValueError(f"{unused}: family stylegan2 does not use them (its D always has the "
                       f"minibatch standard deviation and projects labels; one D step per "
                       f"iteration).")
    if o.loss != "non_saturating":
      raise ValueError(f"loss: stylegan2 trains the non-saturating logistic loss, got "
                       f"{o.loss!r}.")
    if o.r1_gamma <= 0:
      side = config.data.image_size or 64
      auto = 0.0002 * side * side / config.optimization.batch_size
      raise ValueError(f"r1_gamma: stylegan2 trains with R1; NVlabs' 'auto' rule is 0.0002 x "
                       f"side^2 / batch = {auto:.4g} for {side} px and batch "
                       f"{config.optimization.batch_size}.")
    if s.mapping_layers < 1 or s.pl_every < 1 or s.pl_weight < 0 or s.ema_rampup < 0:
      raise ValueError("mapping_layers and pl_every must be >= 1, pl_weight and ema_rampup "
                       ">= 0.")
    if not 0 <= s.style_mixing <= 1:
      raise ValueError(f"style_mixing is a probability, got {s.style_mixing!r}.")
    if config.runtime.steps_per_execution != 1:
      raise ValueError("steps_per_execution: stylegan2 picks its lazy regularisation steps per "
                       "step; leave it 1.")
    if config.runtime.mixed_precision != "none":
      raise ValueError("mixed_precision: stylegan2 trains in float32 for now.")
    augment_lib.DiffAugment.parse(o.diffaugment)
    ada_lib.check(o)
    from tfgan.metrics import evaluation  # numpy only
    evaluation.check(config.evaluation.metric_names, config.evaluation.best_metric)

  def optimizers(self, config):
    """G's and D's Adam with NVlabs' compensation for their extra regularisation steps
    (`lazy_adam`); the schedule counts those steps too."""
    o, s, r1_every = config.optimization, config.style, config.objective.r1_every
    pl_every = s.pl_every if s.pl_weight else 0
    g_lr, g_b1, g_b2 = lazy_adam(o.g_lr, o.beta_1, o.beta_2, pl_every)
    d_lr, d_b1, d_b2 = lazy_adam(o.d_lr, o.beta_1, o.beta_2, r1_every)
    return {"g": (g_lr, 1 + (1 / pl_every if pl_every else 0), g_b1, g_b2),
            "d": (d_lr, 1 + 1 / r1_every, d_b1, d_b2)}

  def exports(self, model):
    """The EMA generator as `generator.keras` and, in the SavedModel (loadable without
    tfgan), three endpoints on fixed noise (a seed always gives the same image):
      serve(z, psi) (conditional: serve(z, labels, psi)) -> images [B, H, W, C] in about
        [-1, 1], every w moved to w_avg + psi (w - w_avg) (psi float32 scalar; 1: none);
      mapping(z, psi) (conditional: mapping(z, labels, psi)) -> ws [B, num_ws, w_dim];
      synthesize(ws) -> images: ws from `mapping`, mixed or projected."""
    g = model.sampling_generator
    z = tf.TensorSpec([None, g.latent_dim], tf.float32, name="z")
    labels = (tf.TensorSpec([None], tf.int32, name="labels"),) if g.num_classes else ()
    psi = tf.TensorSpec([], tf.float32, name="psi")
    ws = tf.TensorSpec([None, g.num_ws, g.w_dim], tf.float32, name="ws")

    def mapping(generator):
      def call(z, *rest):  # rest: (labels, psi) or (psi,)
        w = generator.mapping(z, rest[0] if generator.num_classes else None)
        return generator.w_avg + rest[-1] * (w - generator.w_avg)
      return call

    def serve(generator):
      return lambda z, *rest: generator.synthesis(mapping(generator)(z, *rest), "const")

    def synthesize(generator):
      return lambda w: generator.synthesis(w, "const")

    return [export.Export("generator", g, {"serve": (z, *labels, psi),
                                           "mapping": (z, *labels, psi), "synthesize": (ws,)},
                          calls={"serve": serve, "mapping": mapping,
                                 "synthesize": synthesize})]

  def xla_helps_on_cpu(self, config):
    # benchmarks/stylegan2_xla.py (2-core CPU, 2026-12-07): 385 s to compile against 67 s of
    # tracing, then at least 3x slower per iteration.
    return False

  def build(self, config, spec, optimizers, **compile_options):
    g, o, s, m = config.gan, config.objective, config.style, config.model
    networks.check_image_shape(spec.image_shape)
    num_classes = spec.num_classes if g.conditional else 0
    if g.conditional and num_classes < 2:
      from tfgan import data
      raise data.DataError(f"conditional needs a labelled dataset; {spec.name!r} has "
                           f"{num_classes} classes.")
    generator = networks.StyleGAN2Generator(
        latent_dim=g.latent_dim, image_shape=spec.image_shape, width=m.width,
        num_classes=num_classes, mapping_layers=s.mapping_layers, name="generator")
    discriminator = networks.StyleGAN2Discriminator(
        image_shape=spec.image_shape, width=m.width, num_classes=num_classes,
        name="discriminator")
    generator.build(generator.input_shapes())
    discriminator.build(discriminator.input_shapes())
    model = StyleGAN2(generator, discriminator, r1_gamma=o.r1_gamma, r1_every=o.r1_every,
                      pl_weight=s.pl_weight, pl_every=s.pl_every, style_mixing=s.style_mixing,
                      ema_half_life=config.optimization.ema_kimg * 1000,
                      ema_rampup=s.ema_rampup,
                      augment=augment_lib.DiffAugment.parse(o.diffaugment) or None,
                      ada=ada_lib.from_config(o),
                      seed=config.runtime.seed)
    model.compile(optimizers["g"], optimizers["d"], **compile_options)
    return model
