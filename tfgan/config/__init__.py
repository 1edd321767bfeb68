"""Run settings: `Config`, one frozen dataclass per section (tfgan.config.sections).

    config = tfgan.config.make(dataset="folder", data_dir="faces", train_steps=2000)
    config.data.dataset, config.optimization.train_steps      # read by section
    config.replace(width=0.5)                                  # change by flat (flag) name
    tfgan.config.from_flagfile("flags/mnist_dcgan.flags")      # exactly as --flagfile does

`to_dict()` is flat ({flag name: value}); that is what `config.json` holds and `from_dict`
reads. This package imports nothing from the rest of tfgan; checks that need a registry (a
dataset, network or loss name) live with the registry and run from `tfgan.build.validate`.
"""

from tfgan.config.checks import check, first_stage_error
from tfgan.config.flags import config_from_flags, define_flags, from_flagfile, grouped_help
from tfgan.config.sections import (ARCHITECTURE_FIELDS, CACHE_CHOICES, CHOICES, FIELDS,
                                   JIT_CHOICES, NOISE_TO_IMAGE_FAMILIES, PRECISION_CHOICES,
                                   SECTIONS, STRATEGY_CHOICES, StyleConfig,
                                   Config, DataConfig, EvaluationConfig, GANConfig, ModelConfig,
                                   ObjectiveConfig, OptimizationConfig, OutputsConfig,
                                   RestorationConfig, RuntimeConfig, TranslationConfig, from_dict,
                                   make)

__all__ = ["ARCHITECTURE_FIELDS", "CACHE_CHOICES", "CHOICES", "Config", "DataConfig",
           "EvaluationConfig", "FIELDS", "GANConfig", "JIT_CHOICES", "ModelConfig",
           "ObjectiveConfig", "OptimizationConfig", "OutputsConfig", "PRECISION_CHOICES",
           "RestorationConfig", "RuntimeConfig", "SECTIONS", "TranslationConfig", "STRATEGY_CHOICES", "check", "config_from_flags",
           "define_flags", "first_stage_error", "from_dict", "from_flagfile", "grouped_help", "make"]
