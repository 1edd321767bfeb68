"""The one home of tfgan's defaults: a frozen dataclass of every run setting.

`tfgan.train` turns each field into an absl flag with the same name, default and help text, so
flags, notebooks and tests share these defaults. Fields listed in `ARCHITECTURE_FIELDS` decide
the shapes of the checkpointed variables; a run directory refuses to resume under other values.
"""

import dataclasses
import json
from typing import Any, Dict, Mapping

JIT_CHOICES = ("auto", "true", "false")


def _field(default, help_text):
  return dataclasses.field(default=default, metadata={"help": help_text})


@dataclasses.dataclass(frozen=True)
class Config:
  """All settings of one training run.

  Units are given in each help text; steps count generator updates.
  """

  # Data.
  dataset: str = _field("mnist", "Dataset name: mnist.")
  data_dir: str = _field(
      "", "Folder with the dataset's original files (for MNIST the four IDX files, gzipped or "
      "not). Empty: download through tensorflow-datasets.")
  tfds_dir: str = _field("", "tensorflow-datasets data_dir (empty: TFDS default, "
                         "~/tensorflow_datasets).")
  shuffle_buffer: int = _field(60000, "Shuffle buffer, in examples.")

  # Networks.
  network: str = _field("dcgan", "Network pair from tfgan.networks.NETWORKS: mlp or dcgan.")
  latent_dim: int = _field(100, "Length of the generator's latent vector z ~ N(0, I).")
  width: float = _field(1.0, "Width multiplier for the channel/unit counts of both networks.")
  kernel_size: int = _field(
      4, "dcgan convolution kernel size (4 in Radford et al.; 3 ran ~3x faster on a 2-core CPU). "
      "Ignored by mlp.")

  conditional: bool = _field(False, "Condition G and D on the dataset's class labels (cGAN).")
  conditioning: str = _field("projection", "How a conditional D sees labels: projection "
                             "(Miyato & Koyama 2018) or concat (one-hot input planes).")
  d_norm: str = _field("auto", "D normalization: batch, spectral, none, or auto (batch for "
                       "dcgan, none for mlp).")
  minibatch_std: bool = _field(False, "Minibatch standard-deviation feature in D (Karras et "
                               "al. 2018), against mode collapse.")

  # Objective and optimisation.
  loss: str = _field("non_saturating", "Loss pair from tfgan.losses.LOSSES.")
  label_smoothing: float = _field(0.0, "One-sided label smoothing of D's real target, e.g. "
                                  "0.1 (cross-entropy losses only).")
  gp_weight: float = _field(0.0, "WGAN-GP gradient penalty weight lambda (10 in the paper); "
                            "0 disables.")
  weight_clip: float = _field(0.0, "WGAN weight clipping bound c (0.01 in the paper); 0 "
                              "disables.")
  r1_gamma: float = _field(0.0, "R1 penalty weight gamma on real images; 0 disables.")
  r1_every: int = _field(1, "Apply R1 every k-th D step, scaled by k (lazy regularization).")
  diffaugment: str = _field("", "DiffAugment ops applied to all images D sees, e.g. "
                            "color,translation,cutout; empty disables.")
  batch_size: int = _field(64, "Global batch size, in images per generator step.")
  g_lr: float = _field(2e-4, "Generator Adam learning rate.")
  d_lr: float = _field(2e-4, "Discriminator Adam learning rate.")
  beta_1: float = _field(0.5, "Adam beta_1 for both optimizers.")
  beta_2: float = _field(0.999, "Adam beta_2 for both optimizers.")
  d_steps: int = _field(1, "Discriminator updates per generator update.")
  clip_norm: float = _field(0.0, "Clip each network's gradients to this global norm; 0 disables.")
  ema_kimg: float = _field(
      0.0, "Half-life of the exponential moving average of G's weights, in thousands of real "
      "images; 0 disables. Samples and exports then use the averaged generator.")
  train_steps: int = _field(5000, "Total generator steps; a resumed run continues up to this "
                            "count.")
  seed: int = _field(0, "Seed for weights, data order, latents and the fixed sample batch.")
  steps_per_execution: int = _field(
      1, "Train steps per tf.function call; > 1 cuts per-step Python overhead. log_every, "
      "sample_every, checkpoint_every and train_steps must be multiples of it.")
  jit_compile: str = _field(
      "auto", "XLA for the train step: true, false, or auto (on with a GPU or TPU; on CPU only "
      "for mlp: measured 1.37x faster there, while it made the DCGAN step ~2x slower).")

  # Outputs and their cadence.
  log_every: int = _field(100, "Steps between progress lines, metrics.jsonl rows and "
                          "TensorBoard scalars.")
  sample_every: int = _field(500, "Steps between sample grids (PNG and TensorBoard image).")
  checkpoint_every: int = _field(1000, "Steps between checkpoints.")
  keep_checkpoints: int = _field(3, "Checkpoints kept by the CheckpointManager.")
  num_samples: int = _field(64, "Images in each sample grid (a square number makes a square grid).")

  def to_dict(self) -> Dict[str, Any]:
    return dataclasses.asdict(self)

  def to_json(self) -> str:
    return json.dumps(self.to_dict(), indent=2, sort_keys=True)

  def replace(self, **changes) -> "Config":
    return dataclasses.replace(self, **changes)


# Settings that change the checkpoint's variables or the meaning of its step counter.
ARCHITECTURE_FIELDS = ("dataset", "network", "latent_dim", "width", "kernel_size",
                       "conditional", "conditioning", "d_norm", "minibatch_std", "loss",
                       "d_steps", "ema_kimg")


def resolved_d_norm(config: "Config") -> str:
  """The D normalization that `d_norm='auto'` stands for: batch for dcgan, none for mlp."""
  if config.d_norm != "auto":
    return config.d_norm
  return "batch" if config.network == "dcgan" else "none"


def from_dict(values: Mapping[str, Any]) -> Config:
  """Builds a Config from a mapping, refusing unknown keys by name."""
  known = {f.name for f in dataclasses.fields(Config)}
  unknown = sorted(set(values) - known)
  if unknown:
    raise ValueError(f"Unknown config keys {unknown}; known keys: {sorted(known)}.")
  return Config(**dict(values))


def validate(config: Config) -> None:
  """Raises ValueError naming the setting when a value is out of range."""
  positive = ("latent_dim", "kernel_size", "r1_every", "steps_per_execution", "batch_size",
              "d_steps", "train_steps", "log_every", "sample_every", "checkpoint_every",
              "keep_checkpoints", "num_samples", "shuffle_buffer")
  for name in positive:
    if getattr(config, name) <= 0:
      raise ValueError(f"{name} must be a positive integer, got {getattr(config, name)!r}.")
  for name in ("width", "g_lr", "d_lr"):
    if not getattr(config, name) > 0:
      raise ValueError(f"{name} must be > 0, got {getattr(config, name)!r}.")
  for name in ("beta_1", "beta_2"):
    if not 0.0 <= getattr(config, name) < 1.0:
      raise ValueError(f"{name} must be in [0, 1), got {getattr(config, name)!r}.")
  for name in ("log_every", "sample_every", "checkpoint_every", "train_steps"):
    if getattr(config, name) % config.steps_per_execution:
      raise ValueError(f"{name}={getattr(config, name)} must be a multiple of "
                       f"steps_per_execution={config.steps_per_execution}: callbacks run only "
                       f"between executions.")
  if config.ema_kimg < 0:
    raise ValueError(f"ema_kimg must be >= 0 (0 disables the EMA), got {config.ema_kimg!r}.")
  if config.clip_norm < 0:
    raise ValueError(f"clip_norm must be >= 0 (0 disables clipping), got {config.clip_norm!r}.")
  if config.jit_compile not in JIT_CHOICES:
    raise ValueError(f"jit_compile must be one of {JIT_CHOICES}, got {config.jit_compile!r}.")
  # Imported here: the registries import TensorFlow, and config must stay cheap to import.
  from tfgan import augment, data, gan, layers, losses, networks
  for name, registry in (("dataset", data.DATASETS), ("network", networks.NETWORKS),
                         ("loss", losses.LOSSES)):
    if getattr(config, name) not in registry:
      raise ValueError(f"{name} must be one of {sorted(registry)}, got "
                       f"{getattr(config, name)!r}.")
  if config.d_norm not in layers.NORMALIZATIONS + ("auto",):
    raise ValueError(f"d_norm must be one of {layers.NORMALIZATIONS + ('auto',)}, got "
                     f"{config.d_norm!r}.")
  if config.network == "mlp" and resolved_d_norm(config) == "batch":
    raise ValueError("d_norm 'batch' is not available for network mlp; use none or spectral.")
  if config.conditioning not in layers.CONDITIONINGS:
    raise ValueError(f"conditioning must be one of {layers.CONDITIONINGS}, got "
                     f"{config.conditioning!r}.")
  augment.parse_policy(config.diffaugment)
  gan.check_options(config.loss, resolved_d_norm(config), config.label_smoothing,
                    config.gp_weight, config.r1_gamma, config.r1_every, config.weight_clip)
