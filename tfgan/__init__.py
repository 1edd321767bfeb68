"""tfgan: train, evaluate and reuse image GANs with Keras 3 on TensorFlow.

Where each concept lives (one guess each):

  tfgan.config     settings: one frozen dataclass per section, flags generated from them;
                   imports nothing else from tfgan
  tfgan.build      validate a config once, open its data, build its family's model
  tfgan.trainer    train_and_evaluate(config, workdir): strategy -> build -> restore -> fit
                   -> export
  tfgan.rundir     every file of a run directory; checkpoints (latest, best); atomic writes
  tfgan.callbacks  progress, metric rows, sample grids, checkpoints, evaluation, signals
  tfgan.export     .keras files and the SavedModel of a family's exports
  tfgan.models     training logic, one module per family (FAMILIES): gan (noise-to-image)
  tfgan.networks   architectures, one module per kind (NETWORKS): mlp, dcgan, resnet; base classes
  tfgan.layers     building blocks: spectral norm, minibatch stddev, conditional batch norm
  tfgan.losses, tfgan.regularizers, tfgan.augment
                   loss pairs, gradient penalties, DiffAugment (pure functions)
  tfgan.data       datasets, sources and the tf.data pipeline
  tfgan.metrics    FID/KID/IS/PR, domain classifier report, evaluating a run
  tfgan.distribute, tfgan.precision
                   strategies and replica-exact randomness; mixed precision
  tfgan.generation latents, generating, interpolation, loading a saved generator
  tfgan.images, tfgan.files
                   grids and PNGs; the one atomic-write helper
  tfgan.train, tfgan.sample, tfgan.evaluate
                   the command lines (the only modules that define flags)

Importing tfgan is cheap: the names below are loaded on first use, so `import tfgan.config`
loads no TensorFlow and no other tfgan module. Keras finds tfgan's network classes (to load a
saved `generator.keras`) once `tfgan.networks` is imported; `tfgan.generation.load_generator`
does that for you.
"""

import importlib

__version__ = "0.1.0"

# Public name -> (module, attribute or None for the module itself), imported on first access.
_LAZY = {
    "Config": ("tfgan.config", "Config"),
    "GAN": ("tfgan.models.gan", "GAN"),
    "train_and_evaluate": ("tfgan.trainer", "train_and_evaluate"),
    "load_generator": ("tfgan.generation", "load_generator"),
}


def __getattr__(name):
  if name not in _LAZY:
    raise AttributeError(f"module 'tfgan' has no attribute {name!r}")
  module, attribute = _LAZY[name]
  value = getattr(importlib.import_module(module), attribute)
  globals()[name] = value
  return value


__all__ = ["Config", "GAN", "load_generator", "train_and_evaluate", "__version__"]
