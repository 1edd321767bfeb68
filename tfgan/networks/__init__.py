"""Generator and discriminator networks as serializable Keras models, one module per
architecture (mlp, dcgan, resnet); base classes and the input/output contract in
tfgan.networks.base.

The classes are registered with Keras, so `keras.models.load_model` restores a saved
generator once this package has been imported. `NETWORKS` maps a name to its `NetworkPair`.
"""

import collections

from tfgan.networks.base import (CONDITIONINGS, NORMALIZATIONS, DiscriminatorBase,
                                 GeneratorBase, NetworkBase, check_d_options, latent_code)
from tfgan.networks.dcgan import DCGANDiscriminator, DCGANGenerator, SNDCGANDiscriminator
from tfgan.networks.gated import GatedGenerator
from tfgan.networks.mlp import MLPDiscriminator, MLPGenerator
from tfgan.networks.resnet import ResNetGANDiscriminator, ResNetGANGenerator
from tfgan.networks.resnet_translation import ResNetGenerator
from tfgan.networks.rrdb import RRDBGenerator
# StyleGAN2's networks (issue 32): registered for load_model; their family comes next.
from tfgan.networks.stylegan2 import StyleGAN2Discriminator, StyleGAN2Generator
from tfgan.networks.unet import PatchDiscriminator, UNetGenerator

# generator, discriminator: the classes. d_norm: what d_norm='auto' means for this pair.
# kernel_size: whether both take the kernel_size setting. xla_on_cpu: whether XLA made the
# train step faster on this project's 2-core CPU (benchmarks/results/, 2026-11-21): 1.3-1.5x
# for the MLP; for the DCGAN family 0.87x at full width (throughput.py) and 1.06-1.42x at the
# flagfiles' narrower settings (train_step.py), so off by default for convolutions on CPU:
# the gain is small where there is one and it reverses with width.
NetworkPair = collections.namedtuple(
    "NetworkPair", ["generator", "discriminator", "d_norm", "kernel_size", "xla_on_cpu"])

NETWORKS = {
    "mlp": NetworkPair(MLPGenerator, MLPDiscriminator, "none", False, True),
    "dcgan": NetworkPair(DCGANGenerator, DCGANDiscriminator, "batch", True, False),
    "sndcgan": NetworkPair(DCGANGenerator, SNDCGANDiscriminator, "spectral", True, False),
    # XLA on CPU not measured for resnet; off, as for the other convolutional pairs.
    "resnet": NetworkPair(ResNetGANGenerator, ResNetGANDiscriminator, "spectral", False, False),
}

# Pairs whose D has no batch-norm variant (the MLP's, SNGAN's ResNet D).
_NO_BATCH_NORM_D = ("mlp", "resnet")


def resolve_d_norm(network, d_norm):
  """The D normalization that `d_norm` means for `network` ('auto': the pair's default)."""
  return NETWORKS[network].d_norm if d_norm == "auto" else d_norm


def check(network, d_norm="auto", conditioning="projection"):
  """Raises ValueError naming the setting when the network or its D options do not exist."""
  if network not in NETWORKS:
    raise ValueError(f"network must be one of {sorted(NETWORKS)}, got {network!r}.")
  if d_norm not in NORMALIZATIONS + ("auto",):
    raise ValueError(f"d_norm must be one of {NORMALIZATIONS + ('auto',)}, got {d_norm!r}.")
  if network in _NO_BATCH_NORM_D and resolve_d_norm(network, d_norm) == "batch":
    raise ValueError(f"d_norm 'batch' is not available for network {network}; use none or "
                     f"spectral.")
  if conditioning not in CONDITIONINGS:
    raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got {conditioning!r}.")


def build(name, latent_dim, image_shape, width=1.0, g_options=None, d_options=None,
          **options):
  """Returns a built (generator, discriminator) pair from `NETWORKS[name]`.

  `options` (e.g. kernel_size, num_classes) go to both constructors; `g_options` and
  `d_options` to one each (e.g. d_options=dict(normalization='spectral')).
  """
  if name not in NETWORKS:
    raise ValueError(f"Unknown network {name!r}; choose one of {sorted(NETWORKS)}.")
  pair = NETWORKS[name]
  generator = pair.generator(latent_dim=latent_dim, image_shape=image_shape, width=width,
                             name="generator", **options, **(g_options or {}))
  discriminator = pair.discriminator(image_shape=image_shape, width=width, name="discriminator",
                                     **options, **(d_options or {}))
  # Real shapes, not None: Keras records them for the SavedModel's default signature.
  generator.build(generator.input_shapes())
  discriminator.build(discriminator.input_shapes())
  return generator, discriminator


__all__ = ["CONDITIONINGS", "DCGANDiscriminator", "DCGANGenerator", "DiscriminatorBase", "GatedGenerator",
           "GeneratorBase", "MLPDiscriminator", "MLPGenerator", "NETWORKS", "NORMALIZATIONS",
           "NetworkBase", "NetworkPair", "PatchDiscriminator", "RRDBGenerator",
           "ResNetGANDiscriminator", "ResNetGANGenerator", "SNDCGANDiscriminator",
           "StyleGAN2Discriminator", "StyleGAN2Generator",
           "UNetGenerator", "build", "check",
           "check_d_options", "latent_code", "resolve_d_norm"]
