"""The build step: validate a Config once, open its data, and build its family's model with
the optimizers, precision and compilation choices resolved here.

    family = build.validate(config)                # every check, before any TensorFlow op
    built = build.build(config, family, strategy)  # data (files checked), compiled model

Each check lives in the module that owns the concept (config ranges, data settings, the
family's networks, losses, penalties, augmentation and metrics); `validate` calls them all,
and the model receives objects (a LossPair, a DiffAugment), not names.
"""

import dataclasses
from typing import Dict, Tuple

import keras
import tensorflow as tf

from tfgan import config as config_lib
from tfgan import data, distribute, models, precision, schedules


def family_of(config) -> models.Family:
  """The Family that config.model.family names (tfgan.models.FAMILIES)."""
  name = config.model.family
  if name not in models.FAMILIES:
    raise ValueError(f"family must be one of {sorted(models.FAMILIES)}, got {name!r}.")
  return models.FAMILIES[name]


def validate(config) -> models.Family:
  """Raises ValueError naming the setting when `config` cannot train; returns its Family.

  Opens no file and runs no TensorFlow op, so `--dry_run` and a strategy created afterwards
  (MultiWorkerMirroredStrategy must come before any op) are unaffected.
  """
  config_lib.check(config)
  data.check_settings(config.data.dataset, config.data.image_size, config.data.crop_fraction,
                      config.data.channels, config.data.cache)
  family = family_of(config)
  family.check(config)
  return family


def resolve_jit_compile(setting, xla_helps_on_cpu=False, strategy=None):
  """'true'/'false' as given; 'auto' -> on when a GPU or TPU is visible, and on CPU only where
  it was measured to help (`xla_helps_on_cpu`, the family's answer for its network).

  XLA cannot run replicas on several logical CPU devices of one process (TF 2.21: each
  replica's compiled step runs on CPU:0 and cannot reach the variables on CPU:1), so there
  'auto' is off and 'true' is refused.
  """
  if setting not in config_lib.JIT_CHOICES:
    raise ValueError(f"jit_compile must be auto, true or false, got {setting!r}.")
  if distribute.replicas_on_logical_cpus(strategy):
    if setting == "true":
      raise distribute.StrategyError(
          "jit_compile=true cannot run with replicas on several CPU devices of one machine "
          "(XLA places every replica's step on CPU:0); use --jit_compile=auto or false.")
    return False
  if setting in ("true", "false"):
    return setting == "true"
  if tf.config.list_physical_devices("GPU") or tf.config.list_physical_devices("TPU"):
    return True
  return bool(xla_helps_on_cpu)


def make_optimizers(config, learning_rates: Dict[str, Tuple[float, int]]
                    ) -> Dict[str, keras.Optimizer]:
  """One Adam per entry of `learning_rates` ({name: (lr, updates per train step)}, or
  (lr, updates per step, beta_1, beta_2) for an optimizer with betas of its own: StyleGAN2's
  lazy-regularisation compensation) with config.optimization's betas, gradient clipping and
  learning-rate schedule (the decay counts each optimizer's own updates), loss-scaled under
  mixed_float16."""
  o = config.optimization

  def adam(lr, per_step, beta_1=o.beta_1, beta_2=o.beta_2):
    rate = schedules.learning_rate(lr, o.lr_decay_start * per_step, o.train_steps * per_step)
    return precision.wrap_optimizer(
        keras.optimizers.Adam(rate, beta_1=beta_1, beta_2=beta_2,
                              global_clipnorm=o.clip_norm or None),
        config.runtime.mixed_precision)

  return {name: adam(*settings) for name, settings in learning_rates.items()}


def build_model(config, spec: data.DataSpec, family=None):
  """The family's compiled model for data `spec`, in the current strategy's scope."""
  family = family or family_of(config)
  keras.utils.set_random_seed(config.runtime.seed)
  strategy = tf.distribute.get_strategy()
  model = family.build(
      config, spec, make_optimizers(config, family.optimizers(config)),
      jit_compile=resolve_jit_compile(config.runtime.jit_compile,
                                      family.xla_helps_on_cpu(config), strategy),
      steps_per_execution=config.runtime.steps_per_execution)
  if config.runtime.sync_batch_norm:
    distribute.synchronize_batch_norm(model)
  return model


@dataclasses.dataclass
class Built:
  """What the trainer runs: the family, the training data and the compiled model."""
  family: models.Family
  source: data.Source
  model: models.FamilyModel

  @property
  def spec(self) -> data.DataSpec:
    return self.source.spec


def build(config, family, strategy, log=print) -> Built:
  """Opens the training data of a validated `config` (bad files stop here) and builds
  `family`'s model inside `strategy`'s scope."""
  if config.runtime.deterministic:
    # Process-wide and one-way (TensorFlow has no public switch back).
    tf.config.experimental.enable_op_determinism()
  source = family.open_data(config, log)
  with strategy.scope():
    model = build_model(config, source.spec, family)
  return Built(family, source, model)
