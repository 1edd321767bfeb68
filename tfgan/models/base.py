"""The family interface: what the shared build step, trainer, run directory, callbacks,
evaluation and export need from a model family, and nothing more.

A family module (tfgan/models/<name>.py) holds its training logic: a `FamilyModel` (a
keras.Model whose `train_step` fit() runs) and a `Family` that builds it from a validated
Config. Networks come from tfgan.networks; neither knows the run directory.
"""

import os
from typing import Callable, Dict, List, Optional

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import data, generation, losses


class FamilyModel(keras.Model):
  """Base of a family's model, trained by `fit()` through its `train_step`.

  A subclass provides `step` (an int64 variable counting train steps, saved by the checkpoint,
  e.g. an optimizer's `iterations`) and `checkpoint_objects()`. Callbacks read the global step
  from it, so they agree across resumed runs and with steps_per_execution > 1.
  """

  @property
  def step(self):
    raise NotImplementedError

  def step_count(self) -> int:
    """`step` as a Python int, also under a strategy (where the variable is mirrored)."""
    return int(tf.convert_to_tensor(self.step.value))

  def checkpoint_objects(self) -> Dict[str, object]:
    """{name: trackable} saved in every checkpoint: networks, optimizers (with `step`), the
    RNG state and any other state the train step keeps. The names are the checkpoint's keys:
    changing one makes older checkpoints unreadable."""
    raise NotImplementedError


def seed_states(*networks) -> Dict[str, object]:
  """The state variable of every keras.random.SeedGenerator inside `networks` (a dropout
  layer's masks, say), for the checkpoint: without them a resumed run would replay the masks
  of its first steps. Keys are '<network name>.<k>', k counting the generators in the
  network's (fixed) layer order: Keras's automatic layer names depend on what else the process
  built, so they cannot name checkpoint entries."""
  out = {}
  for network in networks:
    found = [generator for layer in network._flatten_layers(include_self=False, recursive=True)
             for generator in getattr(layer, "_seed_generators", [])]
    out.update({f"{network.name}.{k}": generator.state for k, generator in enumerate(found)})
  return out


def per_example_mean(values, batch_size):
  """float [B, ...] or [B * P] (per-patch values) -> the mean per example, float32 [B]: the
  per-example losses a train step averages over the global batch."""
  return ops.mean(ops.reshape(ops.cast(values, "float32"), (batch_size, -1)), axis=1)


def ema_copy(generator, name="generator_ema"):
  """A copy of `generator` (same class and config, named generator_ema) holding its current
  weights: the start of an exponential moving average of them."""
  ema = generator.__class__.from_config({**generator.get_config(), "name": name})
  ema.build(ema.input_shapes())
  ema.set_weights(generator.get_weights())
  return ema


def update_ema(ema, generator, images, half_life):
  """One step of the weight average: w_ema <- b * w_ema + (1 - b) * w with
  b = 0.5 ** (images / half_life), `images` the real images this step consumed (a float32
  tensor, all replicas); non-trainable weights (batch-norm statistics) are copied."""
  beta = tf.pow(0.5, images / half_life)
  for e, w in zip(ema.trainable_weights, generator.trainable_weights):
    e.assign(beta * e + (1.0 - beta) * w)
  for e, w in zip(ema.non_trainable_weights, generator.non_trainable_weights):
    e.assign(w)


class GeneratorDiscriminatorModel(FamilyModel):
  """A FamilyModel training `generator` and `discriminator` with one optimizer each, whose
  step counter is G's updates."""

  def compile(self, g_optimizer, d_optimizer, **kwargs):
    """One optimizer per network; other kwargs (jit_compile, ...) go to keras.Model.compile."""
    super().compile(**kwargs)
    self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
    g_optimizer.build(self.generator.trainable_variables)
    d_optimizer.build(self.discriminator.trainable_variables)

  @property
  def step(self):
    return self.g_optimizer.iterations


def load_weights_from(generator, workdir):
  """Sets `generator`'s weights to those of the generator exported by the run in `workdir`
  (ESRGAN's GAN stage starts from its PSNR model, an inpainting GAN may from its L1 model).
  Raises ValueError naming --init_from when there is none or its architecture differs."""
  try:
    source = generation.load_generator(workdir)
  except FileNotFoundError as e:
    raise ValueError(f"--init_from={workdir}: {e}") from None
  mine = {k: v for k, v in generator.get_config().items() if k in generator._args}
  theirs = {k: v for k, v in source.get_config().items() if k in generator._args}
  if type(source) is not type(generator) or mine != theirs:
    raise ValueError(f"--init_from={workdir}: its generator ({type(source).__name__} "
                     f"{theirs}) does not match this run's ({type(generator).__name__} {mine}).")
  generator.set_weights(source.get_weights())


class Evaluator:
  """What a family's evaluation gives the EvaluateEvery callback."""
  names: List[str] = []

  def __call__(self, model: FamilyModel) -> Dict[str, float]:
    """Evaluates `model` now; returns {result key: value}."""
    raise NotImplementedError

  def higher_is_better(self, key: str) -> Optional[bool]:
    """Whether a larger value of result `key` is better (None: not a quality, e.g. a std)."""
    raise NotImplementedError


class Family:
  """One kind of model. Subclasses set the class attributes and override `build`, `preview`
  and `exports`; the other methods have defaults that suit an image dataset.

  Attributes:
    name: the --family value.
    section: the Config attribute that holds this family's own settings, or None.
    architecture_fields: settings (flag names), beyond config.ARCHITECTURE_FIELDS, that change
      the checkpoint's variables or the meaning of its step; a run resumes only with equal ones.
  """
  name = ""
  section: Optional[str] = None
  architecture_fields = ()
  # The tab of `python -m tfgan.demo` for a run of this family: 'module:function', the
  # function (run: tfgan.demo.runs.View, limits: tfgan.demo.runs.Limits) building the tab's
  # components inside the open gradio Tab, each action an event with api_name
  # '<run.api>_<action>' whose handler runs `run.call(fn, ...)` (fn(loaded Run, ...) where
  # the networks are). The module may define `facts(run: Run) -> dict`, what the tab needs
  # from the networks before any call (View.facts). The module must not import TensorFlow at
  # import time (the page's process has none). A name, not an import: the demo imports the
  # families, and a new family brings its own tab without touching the app. Empty: no tab.
  demo_tab = ""

  def check(self, config) -> None:
    """Raises ValueError naming the setting for values or combinations this family cannot
    train. Runs before any data is opened or TensorFlow op runs."""

  def open_data(self, config, log=print) -> data.Source:
    """The training split, less the last --holdout images of a local dataset; image folders
    are decoded once here, so bad files stop the run before anything is written (DataError
    naming them, unless skip_bad_images)."""
    c = config.data
    source = data.open_source(c.dataset, "train", c.data_dir, c.tfds_dir, c.image_size,
                              c.crop_fraction, c.channels, c.skip_bad_images, log=log,
                              holdout=c.holdout)
    if isinstance(source, data.FolderSource):
      source.check()
    return source

  def uses_labels(self, config) -> bool:
    """True when the labels mean classes to the model (a resumed run then refuses folders
    whose class names changed)."""
    return False

  def examples_per_step(self, config) -> int:
    """Real examples one train step consumes (the batch fit() feeds, for images/s too)."""
    return config.optimization.batch_size

  def train_dataset(self, config, source, seed, cache_dir) -> tf.data.Dataset:
    """Endless batches for fit(); `seed` changes with the resume step."""
    c = config.data
    return data.make_dataset(source, self.examples_per_step(config),
                             shuffle_buffer=c.shuffle_buffer, seed=seed, cache=c.cache,
                             cache_dir=cache_dir)

  def optimizers(self, config) -> Dict[str, tuple]:
    """{optimizer name: (learning rate, its updates per train step)}; the build step makes one
    Adam for each, with the shared schedule counted in that optimizer's updates."""
    return {"g": (config.optimization.g_lr, 1)}

  def xla_helps_on_cpu(self, config) -> bool:
    """Whether jit_compile=auto turns XLA on on CPU (measured per network)."""
    return False

  def describe(self, config, spec) -> str:
    """What the start line says is trained on what, e.g. 'dcgan on mnist (DIR: 60000 images,
    28x28x1, 10 classes)'."""
    count = f"{spec.num_examples} images" if spec.num_examples else "size unknown"
    if config.data.holdout:  # the spec counts the training images only
      count += f" ({config.data.holdout} more held out)"
    classes = f", {spec.num_classes} {self.label_kind(config)}" if spec.num_classes else ""
    return (f"{config.model.network} on {spec.name} ({spec.origin}: {count}, "
            f"{'x'.join(map(str, spec.image_shape))}{classes})")

  def label_kind(self, config) -> str:
    """What the data's labels are, for the start line: 'classes' (GAN clusters: 'clusters')."""
    return "classes"

  def build(self, config, spec: data.DataSpec, optimizers: Dict[str, keras.Optimizer],
            **compile_options) -> FamilyModel:
    """The family's model for data `spec`, compiled with `optimizers` (as named by
    `optimizers()`) and `compile_options` (jit_compile, steps_per_execution), optimizer slots
    created so a checkpoint can restore into them. Called inside the strategy's scope."""
    raise NotImplementedError

  def preview(self, config, source: data.Source) -> Callable[[FamilyModel], np.ndarray]:
    """A function model -> uint8 [h, w, C] grid, from inputs fixed now (the sample grids):
    latents for a GAN, held examples of `source` for a family that maps images."""
    raise NotImplementedError

  def exports(self, model: FamilyModel) -> List["object"]:
    """The tfgan.export.Export entries to write at the end of a run."""
    raise NotImplementedError

  def export_names(self, config) -> List[str]:
    """The `<name>.keras` files `exports` writes, for readers of a finished run (tfgan.demo)
    that must check them before loading."""
    return ["generator"]

  def next_commands(self, config, workdir) -> List[str]:
    """What a user may run next on a finished run in `workdir` (printed at its end)."""
    return [f"tensorboard --logdir {os.path.join(workdir, 'tensorboard')}"]

  def evaluator(self, config, source, log=print) -> Optional[Evaluator]:
    """The evaluation of config.evaluation's metrics during training, or None."""
    if config.evaluation.metric_names:
      raise ValueError(f"family {self.name!r} has no eval_metrics; leave eval_metrics empty.")
    return None


# The settings of tfgan.models.adversarial's extras, as Family.extras_supported names them.
EXTRAS = ("feature_matching_weight", "gan_ramp_steps", "patch_norm", "r1_gamma", "diffaugment")


class ImageToImageFamily(Family):
  """What the image-to-image families share: a G and a D optimizer, and their objective
  checks (a tfgan loss pair; no noise-GAN penalties or augmentation; paired metrics only).

  test_modes: whether the generator behaves differently in --test_mode train and inference
  (dropout, batch norm); evaluation then records which was used."""
  section = "translation"
  test_modes = True
  demo_tab = "tfgan.demo.translate:tab"  # upload or a held-out example; input | output
  needs_masks = False  # inpainting: tfgan.translate needs a mask per image (--masks)

  # Which settings of tfgan.models.adversarial's extras the family trains with: EXTRAS (all),
  # a part of it, or () (none). The EMA of G (--ema_kimg) is each family's own.
  extras_supported = ()

  def check_objective(self, config, metrics=True, adversarial_weight=1.0):
    """Raises ValueError naming the settings this family cannot use (with `metrics`, also
    eval_metrics other than the paired ones); `adversarial_weight`: the run's weight of the
    adversarial term (the extras need one)."""
    losses.get(config.objective.loss)
    o, t = config.objective, config.translation
    supported = set(self.extras_supported)
    unused = [n for n in ("gp_weight", "r1_gamma", "weight_clip", "label_smoothing",
                          "diffaugment", "ada", "ada_p") if getattr(o, n) and n not in supported]
    if unused:
      raise ValueError(f"{unused} are noise-GAN options; family {self.name} does not use "
                       f"them.")
    own = {"feature_matching_weight": t.feature_matching_weight,
           "gan_ramp_steps": t.gan_ramp_steps, "patch_norm": t.patch_norm != "auto"}
    refused = [k for k, v in own.items() if v and k not in supported]
    if refused:
      raise ValueError(f"{refused} are pix2pix and inpaint options; family {self.name} does "
                       f"not use them.")
    if supported:
      from tfgan import augment
      augment.parse_policy(o.diffaugment)
      numbers = {"feature_matching_weight": t.feature_matching_weight,
                 "gan_ramp_steps": t.gan_ramp_steps, "r1_gamma": o.r1_gamma}
      for name, value in numbers.items():
        if value < 0:
          raise ValueError(f"{name} must be >= 0, got {value!r}.")
      if o.r1_every != 1:
        raise ValueError(f"r1_every: family {self.name} applies R1 at every D step; leave it "
                         f"1.")
      used = [k for k, v in {**numbers, "diffaugment": o.diffaugment}.items() if v]
      if used and not adversarial_weight:
        raise ValueError(f"{used} act on the adversarial term, which this run does not train "
                         f"(its weight is 0).")
    if metrics:
      from tfgan.metrics import paired  # numpy and TensorFlow image ops only
      paired.check(config.evaluation.metric_names, config.evaluation.best_metric)

  def check_own_metric(self, config, metric):
    """Raises ValueError naming the setting unless eval_metrics is empty or [metric] (the
    family's own evaluation) and best_metric is empty or one of score_keys(config)."""
    names = config.evaluation.metric_names
    if names and names != [metric]:
      raise ValueError(f"eval_metrics for family {self.name}: '{metric}' (or empty), got "
                       f"{names}.")
    keys = self.score_keys(config)
    if config.evaluation.best_metric and config.evaluation.best_metric not in keys:
      raise ValueError(f"best_metric {config.evaluation.best_metric!r} is not a result of "
                       f"eval_metrics {metric}; choose one of {keys}.")

  def open_pairs(self, config, split, log=print, data_dir=None):
    """The (input, target) pairs of `split` ('train' or 'holdout'), or of every image in
    `data_dir` (derived pairs re-derived with the run's transform), as a PairSource."""
    return self._pairs(config, split, log=log, data_dir=data_dir)

  def _pairs(self, config, split, log=print, data_dir=None):
    raise NotImplementedError

  def scores(self, config):
    """The per-image scores of evaluation: (prediction, target float [B, H, W, C] in
    [-1, 1], the network's inputs) -> {key: [B]} (tfgan.metrics.paired.scores by default)."""
    from tfgan.metrics import paired
    return paired.scores

  def score_keys(self, config):
    """The keys `scores` returns, in table order."""
    from tfgan.metrics import paired
    return list(paired.METRICS["paired"])

  def texture(self, config):
    """(view, key suffix) for the texture ratios of evaluation (tfgan.metrics.texture):
    view (prediction, target, inputs float [B, H, W, C]) -> (the images to measure, a region
    float [B, H, W, 1] or None for whole images). Default: the whole prediction, no suffix."""
    return (lambda prediction, target, inputs: (prediction, None)), ""

  def baselines(self, config, spec):
    """{name: predict x -> output, or None for the input itself}: what evaluation scores
    beside the model on the same pairs (the input itself where its shape is the target's)."""
    return {"input_itself": None} if spec.input_shape[:2] == spec.target_shape[:2] else {}

  def input_transform(self, config):
    """A function uint8 image [H, W, C] -> the run's input domain (tfgan.translate
    --derive), or None when the inputs are not derived from images."""
    return None

  def optimizers(self, config):
    return {"g": (config.optimization.g_lr, 1), "d": (config.optimization.d_lr, 1)}

