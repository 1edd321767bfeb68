"""Model families: the training logic of each kind of model, one module per family.

`FAMILIES` maps a --family name to its `Family` (tfgan.models.base): the build step, trainer,
run directory, callbacks, evaluation and export know families only through that interface.
A new family is a module with a Family subclass, added here.
"""

from tfgan.models.base import Evaluator, Family, FamilyModel
from tfgan.models.cyclegan import CycleGAN, CycleGANFamily
from tfgan.models.esrgan import ESRGAN, ESRGANFamily
from tfgan.models.gan import GAN, GANFamily
from tfgan.models.inpaint import Inpainter, InpaintingFamily
from tfgan.models.pix2pix import Pix2Pix, Pix2PixFamily
from tfgan.models.stylegan2 import StyleGAN2, StyleGAN2Family

FAMILIES = {"gan": GANFamily(), "pix2pix": Pix2PixFamily(), "cyclegan": CycleGANFamily(),
            "esrgan": ESRGANFamily(), "inpaint": InpaintingFamily(),
            "stylegan2": StyleGAN2Family()}

__all__ = ["CycleGAN", "CycleGANFamily", "ESRGAN", "ESRGANFamily", "Evaluator", "FAMILIES", "Family", "FamilyModel", "GAN", "GANFamily", "Inpainter",
           "InpaintingFamily", "Pix2Pix",
           "Pix2PixFamily", "StyleGAN2", "StyleGAN2Family"]
