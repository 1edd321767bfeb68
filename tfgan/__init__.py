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
  tfgan.models     training logic, one module per family (FAMILIES): gan (noise-to-image),
                   stylegan2, pix2pix, cyclegan, esrgan (super-resolution), inpaint;
                   base.py is the interface a family implements
  tfgan.networks   architectures, one module per kind (NETWORKS): mlp, dcgan, resnet, unet,
                   resnet_translation, rrdb, gated, vgg, stylegan2; base classes
  tfgan.layers     building blocks: spectral norm, minibatch stddev, conditional batch norm,
                   instance norm
  tfgan.losses, tfgan.regularizers, tfgan.augment
                   loss pairs, gradient penalties, DiffAugment (pure functions)
  tfgan.ada        adaptive discriminator augmentation: the 'bgc' pipeline and p's control
  tfgan.data       datasets, sources and the tf.data pipeline; pairs, unpaired domains,
                   restoration pairs, inpainting masks, pixel clusters
  tfgan.metrics    FID/KID/IS/PR, SWD, PSNR/SSIM, inpainting scores, nearest neighbours,
                   domain classifier report, evaluating a run
  tfgan.translation
                   image-to-image runs: translating files, evaluating against a baseline
  tfgan.distribute, tfgan.precision
                   strategies and replica-exact randomness; mixed precision
  tfgan.generation latents, generating, interpolation, loading a saved generator
  tfgan.styles, tfgan.projection
                   StyleGAN2's W space: style mixing, W interpolation; projecting photos
  tfgan.images, tfgan.files, tfgan.summary
                   grids and PNGs; the one atomic-write helper; a run's summary.png
  tfgan.train, tfgan.sample, tfgan.evaluate, tfgan.translate, tfgan.project
                   the command lines (the only modules that define flags), over tfgan.cli
                   (one-line errors) and tfgan.quiet (TensorFlow's start-up notices hidden)

`import tfgan` registers tfgan's network classes with Keras, as packages that ship Keras
layers do, so `import tfgan, keras; keras.models.load_model("runs/x/generator.keras")` works;
that loads TensorFlow (~5 s on a 2-core CPU). Every other name below loads on first use. The
one exception: while Python imports this package as the parent of `python -m tfgan.<cli>`
(sys.argv[0] is then "-m", as Python documents), nothing is loaded, so `--help` and the flag
checks answer without TensorFlow; each CLI imports it quietly once its flags are checked.
"""

import importlib
import sys

__version__ = "0.1.0"

if sys.argv[:1] != ["-m"]:
  from tfgan import networks as _networks  # noqa: F401  registers the Keras classes

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
