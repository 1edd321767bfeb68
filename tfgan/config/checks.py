"""Checks of a Config that need no registry: counts, cadences, ranges and closed choices.

Checks that need a registry (dataset, network, loss, metric names) and option combinations
live in the module that owns the concept; `tfgan.build.validate` runs them all, in one place.
"""

import os

from tfgan.config.sections import CHOICES, NOISE_TO_IMAGE_FAMILIES, Config

# (section, field) pairs that count something and must be positive.
_POSITIVE = (("model", "kernel_size"), ("gan", "latent_dim"), ("gan", "d_steps"),
             ("objective", "r1_every"), ("optimization", "batch_size"),
             ("optimization", "train_steps"), ("runtime", "steps_per_execution"),
             ("outputs", "log_every"), ("outputs", "sample_every"),
             ("outputs", "checkpoint_every"), ("outputs", "keep_checkpoints"),
             ("outputs", "num_samples"), ("data", "shuffle_buffer"),
             ("translation", "d_layers"), ("restoration", "mask_bank"))


def check(config: Config) -> None:
  """Raises ValueError naming the setting (its flag name) when a value is out of range."""
  for section, name in _POSITIVE:
    value = getattr(getattr(config, section), name)
    if value <= 0:
      raise ValueError(f"{name} must be a positive integer, got {value!r}.")
  opt, outputs, evaluation = config.optimization, config.outputs, config.evaluation
  for name in ("g_lr", "d_lr"):
    if not getattr(opt, name) > 0:
      raise ValueError(f"{name} must be > 0, got {getattr(opt, name)!r}.")
  if not config.model.width > 0:
    raise ValueError(f"width must be > 0, got {config.model.width!r}.")
  for name in ("beta_1", "beta_2"):
    if not 0.0 <= getattr(opt, name) < 1.0:
      raise ValueError(f"{name} must be in [0, 1), got {getattr(opt, name)!r}.")
  if opt.ema_kimg < 0:
    raise ValueError(f"ema_kimg must be >= 0 (0 disables the EMA), got {opt.ema_kimg!r}.")
  if not 0 <= opt.lr_decay_start < opt.train_steps:
    raise ValueError(f"lr_decay_start must be in [0, train_steps={opt.train_steps}), got "
                     f"{opt.lr_decay_start!r}.")
  if opt.clip_norm < 0:
    raise ValueError(f"clip_norm must be >= 0 (0 disables clipping), got {opt.clip_norm!r}.")
  if evaluation.eval_every < 0:
    raise ValueError(f"eval_every must be >= 0, got {evaluation.eval_every!r}.")
  if evaluation.metric_names and not evaluation.eval_every:
    raise ValueError("eval_metrics needs eval_every > 0 (steps between evaluations).")
  if evaluation.eval_data_dir:
    if config.model.family not in NOISE_TO_IMAGE_FAMILIES:
      raise ValueError(f"eval_data_dir applies to the noise-to-image families "
                       f"{NOISE_TO_IMAGE_FAMILIES}; family {config.model.family} evaluates on "
                       f"its --holdout images.")
    if not evaluation.metric_names:
      raise ValueError("eval_data_dir needs eval_metrics (what to evaluate against it).")
    if config.data.data_dir and (os.path.abspath(evaluation.eval_data_dir) ==
                                 os.path.abspath(config.data.data_dir)):
      raise ValueError(f"eval_data_dir {evaluation.eval_data_dir} is the data_dir the run "
                       f"trains on; give a folder of images it does not train on.")
  if evaluation.best_metric and not evaluation.metric_names:
    raise ValueError(f"best_metric {evaluation.best_metric!r} needs eval_metrics to compute "
                     f"it.")
  per_call = config.runtime.steps_per_execution
  cadences = {"log_every": outputs.log_every, "sample_every": outputs.sample_every,
              "checkpoint_every": outputs.checkpoint_every, "train_steps": opt.train_steps,
              "eval_every": evaluation.eval_every}
  for name, value in cadences.items():
    if value % per_call:
      raise ValueError(f"{name}={value} must be a multiple of steps_per_execution={per_call}: "
                       f"callbacks run only between executions.")
  values = config.to_dict()
  for name, choices in CHOICES.items():
    if values[name] not in choices:
      raise ValueError(f"{name} must be one of {choices}, got {values[name]!r}.")


def first_stage_error(config: Config, workdir: str):
  """Why a second-stage configuration (--first_stage set by its flagfile) must not start in
  `workdir`, or None: refused when it has no --init_from and `workdir` holds no run yet (a
  run that exists resumes from its own checkpoint). A GAN stage trained from scratch instead
  of from its first stage's model silently gives a worse model (issue 30: inpainting fills
  below the diffusion fill, rainbow-coloured)."""
  r = config.restoration
  if not r.first_stage or r.init_from or os.path.isfile(os.path.join(workdir, "config.json")):
    return None
  return (f"this configuration is a second stage (first_stage={r.first_stage}): it starts "
          f"from the finished run of that flagfile, and trained from scratch it gives a worse "
          f"model. Train the first stage: python -m tfgan.train --flagfile={r.first_stage} "
          f"--workdir=FIRST_RUN (same --data_dir); then add --init_from=FIRST_RUN to this "
          f"command.")
