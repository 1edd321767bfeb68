"""The one home of tfgan's defaults: a frozen dataclass of every run setting.

`tfgan.train` turns each field into an absl flag with the same name, default and help text, so
flags, notebooks and tests share these defaults. Fields listed in `ARCHITECTURE_FIELDS` decide
the shapes of the checkpointed variables; a run directory refuses to resume under other values.
"""

import dataclasses
import json
from typing import Any, Dict, Mapping

JIT_CHOICES = ("auto", "true", "false")
STRATEGY_CHOICES = ("auto", "default", "mirrored", "multi_worker", "tpu")
PRECISION_CHOICES = ("none", "mixed_float16", "mixed_bfloat16")


def _field(default, help_text):
  return dataclasses.field(default=default, metadata={"help": help_text})


@dataclasses.dataclass(frozen=True)
class Config:
  """All settings of one training run.

  Units are given in each help text; steps count generator updates.
  """

  # Data.
  dataset: str = _field(
      "mnist", "Dataset name: mnist, fashion_mnist, cifar10, celeb_a (tensorflow-datasets or "
      "local files) or folder (any folder of images; class sub-folders become labels).")
  data_dir: str = _field(
      "", "Folder with the dataset's original files: the four IDX files (mnist, fashion_mnist), "
      "cifar-10-python.tar.gz or its batches (cifar10), the aligned JPEGs img_align_celeba/ "
      "(celeb_a), any images (folder). Searched, never written. Empty: tensorflow-datasets.")
  tfds_dir: str = _field("", "tensorflow-datasets data_dir (empty: TFDS default, "
                         "~/tensorflow_datasets).")
  image_size: int = _field(0, "Side in pixels that celeb_a and folder images are resized to "
                           "(32, 64 or 128 for dcgan); 0: 64. Fixed-size datasets take 0.")
  crop_fraction: float = _field(
      0.0, "Side of the centred square crop, as a fraction of the shorter image side, for "
      "celeb_a and folder; 0: the dataset's convention (108/178 for celeb_a as in DCGAN, 1 for "
      "folder).")
  channels: int = _field(0, "folder images: 3 (RGB; grey repeated, alpha dropped) or 1 (grey "
                         "by luminance); 0: 3.")
  skip_bad_images: bool = _field(
      False, "Train without folder files that do not decode (reported by path). Default: such "
      "files stop the run before training starts.")
  cache: str = _field(
      "auto", "Cache of decoded, resized examples: memory, file (WORKDIR/data_cache), none "
      "(stream from disk), or auto (memory when they fit in 2 GiB, else none).")
  shuffle_buffer: int = _field(60000, "Shuffle buffer, in examples.")

  # Networks.
  network: str = _field("dcgan", "Network pair from tfgan.networks.NETWORKS: mlp, dcgan, or "
                        "sndcgan (dcgan with a deeper, spectrally normalised D).")
  latent_dim: int = _field(100, "Length of the generator's latent vector z ~ N(0, I).")
  width: float = _field(1.0, "Width multiplier for the channel/unit counts of both networks.")
  kernel_size: int = _field(
      4, "dcgan convolution kernel size (4 in Radford et al.; 3 ran ~3x faster on a 2-core CPU). "
      "Ignored by mlp.")

  conditional: bool = _field(False, "Condition G and D on the dataset's class labels (cGAN).")
  conditioning: str = _field("projection", "How a conditional D sees labels: projection "
                             "(Miyato & Koyama 2018) or concat (one-hot input planes).")
  d_norm: str = _field("auto", "D normalization: batch, spectral, none, or auto (batch for "
                       "dcgan, spectral for sndcgan, none for mlp).")
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

  # Devices.
  strategy: str = _field(
      "auto", "tf.distribute strategy: auto (multi_worker when TF_CONFIG lists several "
      "workers, mirrored with more than one GPU, else default), default (one device), mirrored "
      "(all GPUs of this machine), multi_worker (TF_CONFIG), tpu.")
  sync_batch_norm: bool = _field(
      False, "Batch norm statistics over the global batch (an all-reduce per layer and step) "
      "instead of per replica. Without it each replica normalizes its own slice.")
  mixed_precision: str = _field(
      "none", "none (float32), mixed_float16 (loss-scaled; GPUs with tensor cores) or "
      "mixed_bfloat16 (TPUs, recent GPUs); variables, images and D's logits stay float32.")

  # Outputs and their cadence.
  log_every: int = _field(100, "Steps between progress lines, metrics.jsonl rows and "
                          "TensorBoard scalars.")
  sample_every: int = _field(500, "Steps between sample grids (PNG and TensorBoard image).")
  checkpoint_every: int = _field(1000, "Steps between checkpoints.")
  keep_checkpoints: int = _field(3, "Checkpoints kept by the CheckpointManager.")
  num_samples: int = _field(64, "Images in each sample grid (a square number makes a square grid).")

  # Evaluation during training (tfgan.metrics).
  eval_metrics: str = _field(
      "", "Comma-separated names from tfgan.metrics.METRICS evaluated every eval_every steps "
      "(e.g. classifier1k,fid1k); empty: none.")
  eval_every: int = _field(0, "Steps between evaluations; needed with eval_metrics.")
  best_metric: str = _field(
      "", "A result of eval_metrics (e.g. fid1k, pr1k_recall, classifier1k_kl_uniform) whose "
      "best value keeps a checkpoint in WORKDIR/best_checkpoint/ (recorded in best.json).")
  inception_weights: str = _field("imagenet", "InceptionV3 weights for fid/kid/is/pr: "
                                  "'imagenet' (Keras downloads them) or a weights file.")
  metrics_cache_dir: str = _field("", "Cache of domain classifiers and real-data statistics; "
                                  "empty: $TFGAN_CACHE_DIR or ~/.cache/tfgan.")

  def to_dict(self) -> Dict[str, Any]:
    return dataclasses.asdict(self)

  def to_json(self) -> str:
    return json.dumps(self.to_dict(), indent=2, sort_keys=True)

  def replace(self, **changes) -> "Config":
    return dataclasses.replace(self, **changes)


# String settings with a closed set of values (enum flags in tfgan.train).
CHOICES = {"jit_compile": JIT_CHOICES, "strategy": STRATEGY_CHOICES,
           "mixed_precision": PRECISION_CHOICES}

# Settings that change the checkpoint's variables or the meaning of its step counter.
ARCHITECTURE_FIELDS = ("dataset", "image_size", "channels", "network", "latent_dim", "width",
                       "kernel_size", "conditional", "conditioning", "d_norm", "minibatch_std",
                       "loss", "d_steps", "ema_kimg")


def resolved_d_norm(config: "Config") -> str:
  """The D normalization that `d_norm='auto'` stands for: batch for dcgan, spectral for
  sndcgan, none for mlp."""
  if config.d_norm != "auto":
    return config.d_norm
  return {"dcgan": "batch", "sndcgan": "spectral"}.get(config.network, "none")


def from_dict(values: Mapping[str, Any]) -> Config:
  """Builds a Config from a mapping, refusing unknown keys by name."""
  known = {f.name for f in dataclasses.fields(Config)}
  unknown = sorted(set(values) - known)
  if unknown:
    raise ValueError(f"Unknown config keys {unknown}; known keys: {sorted(known)}.")
  return Config(**dict(values))


def _parse_flag_value(name: str, kind: type, text: str, where: str) -> Any:
  if kind is bool:
    if text.lower() in ("true", "1", "yes"):
      return True
    if text.lower() in ("false", "0", "no"):
      return False
    raise ValueError(f"{where}: --{name} takes true or false, got {text!r}.")
  try:
    return kind(text)
  except ValueError as e:
    raise ValueError(f"{where}: --{name} takes a {kind.__name__}, got {text!r}.") from e


def from_flagfile(path: str, **overrides: Any) -> Config:
  """The Config of a flagfile (`--name=value` lines, `--flag`/`--noflag` for booleans, `#`
  comments), then `overrides`, as `python -m tfgan.train --flagfile=path` would resolve it.

  Flags that are not Config fields (e.g. --workdir) are refused with the line that holds them;
  nested --flagfile lines are followed relative to the file.
  """
  import os
  kinds = {f.name: f.type for f in dataclasses.fields(Config)}
  values: Dict[str, Any] = {}
  with open(path) as f:
    lines = f.read().splitlines()
  for number, line in enumerate(lines, 1):
    line = line.strip()
    where = f"{path}:{number}"
    if not line or line.startswith("#"):
      continue
    if not line.startswith("--"):
      raise ValueError(f"{where}: expected --name=value, got {line!r}.")
    name, has_value, text = line[2:].partition("=")
    if name == "flagfile":
      values.update(from_flagfile(os.path.join(os.path.dirname(path), text)).to_dict())
      continue
    if not has_value and name.startswith("no") and kinds.get(name[2:]) is bool:
      name, text = name[2:], "false"
    elif not has_value and kinds.get(name) is bool:
      text = "true"
    if name not in kinds:
      raise ValueError(f"{where}: --{name} is not a tfgan.Config setting.")
    values[name] = _parse_flag_value(name, kinds[name], text, where)
  return Config(**{**values, **overrides})


def _validate_eval(config: Config) -> None:
  from tfgan.metrics.evaluation import METRICS
  names = [n for n in config.eval_metrics.split(",") if n]
  unknown = [n for n in names if n not in METRICS]
  if unknown:
    raise ValueError(f"eval_metrics {unknown} unknown; choose from {sorted(METRICS)}.")
  if config.eval_every < 0:
    raise ValueError(f"eval_every must be >= 0, got {config.eval_every!r}.")
  if names and not config.eval_every:
    raise ValueError("eval_metrics needs eval_every > 0 (steps between evaluations).")
  if config.eval_every % config.steps_per_execution:
    raise ValueError(f"eval_every={config.eval_every} must be a multiple of "
                     f"steps_per_execution={config.steps_per_execution}.")
  if config.best_metric and not any(config.best_metric == n or
                                    config.best_metric.startswith(n + "_") for n in names):
    raise ValueError(f"best_metric {config.best_metric!r} is not a result of eval_metrics "
                     f"{names} (e.g. fid1k, pr1k_recall, classifier1k_kl_uniform).")


def validate(config: Config) -> None:
  """Raises ValueError naming the setting when a value is out of range."""
  positive = ("latent_dim", "kernel_size", "r1_every", "steps_per_execution", "batch_size",
              "d_steps", "train_steps", "log_every", "sample_every", "checkpoint_every",
              "keep_checkpoints", "num_samples", "shuffle_buffer")
  for name in positive:
    if getattr(config, name) <= 0:
      raise ValueError(f"{name} must be a positive integer, got {getattr(config, name)!r}.")
  if config.image_size < 0:
    raise ValueError(f"image_size must be >= 0 (0: the dataset's default), got "
                     f"{config.image_size!r}.")
  if not 0.0 <= config.crop_fraction <= 1.0:
    raise ValueError(f"crop_fraction must be in [0, 1] (0: the dataset's default), got "
                     f"{config.crop_fraction!r}.")
  if config.channels not in (0, 1, 3):
    raise ValueError(f"channels must be 0, 1 or 3, got {config.channels!r}.")
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
  for name, choices in CHOICES.items():
    if getattr(config, name) not in choices:
      raise ValueError(f"{name} must be one of {choices}, got {getattr(config, name)!r}.")
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
  if config.cache not in data.CACHE_CHOICES:
    raise ValueError(f"cache must be one of {data.CACHE_CHOICES}, got {config.cache!r}.")
  _validate_eval(config)
  augment.parse_policy(config.diffaugment)
  gan.check_options(config.loss, resolved_d_norm(config), config.label_smoothing,
                    config.gp_weight, config.r1_gamma, config.r1_every, config.weight_clip)
