"""The ResNet generator of CycleGAN (Zhu et al. 2017, https://arxiv.org/abs/1703.10593,
appendix 7.2; Johnson et al. 2016's style-transfer network), as in
junyanz/pytorch-CycleGAN-and-pix2pix (`ResnetGenerator`), with its N(0, 0.02) initialisation.
CycleGAN's discriminators are tfgan.networks.unet.PatchDiscriminator with instance norm.

Images are float32 [B, H, W, C] in [-1, 1]; the network is fully convolutional and takes any
H and W divisible by 4.
"""

import keras
from keras import layers, ops

from tfgan.layers import PACKAGE
from tfgan.networks.base import scaled
from tfgan.networks.unet import TRANSLATION_NORMS, UPSAMPLINGS, ImageNetworkBase, _init, _norm


def _reflect(x, pad):
  return ops.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="reflect")


def default_blocks(side):
  """The paper's residual block count: 6 below 256 px (its 128 px models), 9 from 256 px."""
  return 9 if side >= 256 else 6


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResNetGenerator(ImageNetworkBase):
  """c7s1-ngf, d(2 ngf), d(4 ngf), n_blocks x R(4 ngf), u(2 ngf), u(ngf), c7s1-C_out, tanh.

  c7s1-k: reflect-pad 3, 7x7 convolution to k channels, norm, ReLU (the last: no norm, tanh).
  d-k: 3x3 stride-2 convolution, norm, ReLU. R-k: reflect-pad 1, 3x3 conv, norm, ReLU,
  reflect-pad 1, 3x3 conv, norm, added to the block's input. u-k: 3x3 stride-2 transposed
  convolution (or bilinear x2 then a 3x3 convolution), norm, ReLU. ngf = 64 * width.

  Args:
    image_shape: input (H, W, C_in), H and W divisible by 4.
    out_channels: C_out.
    n_blocks: residual blocks (0: `default_blocks(side)`, 6 at 128 px, 9 at 256 px).
    norm: 'instance' (CycleGAN), 'batch' or 'none'.
    upsample: 'transpose' (the paper's) or 'resize'.
  """
  num_downs = 2  # tfgan.translation pads inputs to a multiple of 2**num_downs

  def __init__(self, image_shape=(64, 64, 3), out_channels=3, width=1.0, n_blocks=0,
               norm="instance", upsample="transpose", **kwargs):
    super().__init__(**kwargs)
    image_shape = tuple(int(s) for s in image_shape)
    if norm not in TRANSLATION_NORMS or upsample not in UPSAMPLINGS:
      raise ValueError(f"norm must be one of {TRANSLATION_NORMS} and upsample one of "
                       f"{UPSAMPLINGS}, got {norm!r}, {upsample!r}.")
    if any(s % 4 or s < 8 for s in image_shape[:2]):
      raise ValueError(f"the ResNet generator needs sides divisible by 4 and at least 8 px, "
                       f"got image_shape {image_shape}.")
    n_blocks = int(n_blocks) or default_blocks(min(image_shape[:2]))
    self._args = dict(image_shape=image_shape, out_channels=int(out_channels),
                      width=float(width), n_blocks=n_blocks, norm=norm, upsample=upsample)
    self.image_shape, self.out_channels, self.n_blocks = image_shape, int(out_channels), n_blocks
    self.test_mode = "inference"  # no dropout; instance norm has no train/test difference
    ngf = scaled(64, width)
    bias = norm != "batch"  # the reference: a bias unless batch norm's beta replaces it

    def conv(filters, kernel, name, strides=1, padding="valid", use_bias=bias):
      return self._attr(layers.Conv2D(filters, kernel, strides=strides, padding=padding,
                                      use_bias=use_bias, kernel_initializer=_init(), name=name))

    def norm_layer(name):
      return self._attr(_norm(norm, name)) if norm != "none" else None

    self.stem, self.stem_norm = conv(ngf, 7, "stem"), norm_layer("stem_norm")
    self.downs = [(conv(ngf * 2**(i + 1), 3, f"down_{i}", 2, "same"), norm_layer(f"down_norm_{i}"))
                  for i in range(2)]
    self.blocks = [(conv(ngf * 4, 3, f"block_{i}_a"), norm_layer(f"block_{i}_a_norm"),
                    conv(ngf * 4, 3, f"block_{i}_b"), norm_layer(f"block_{i}_b_norm"))
                   for i in range(n_blocks)]
    self.resize = layers.UpSampling2D(2, interpolation="bilinear") if upsample == "resize" \
        else None
    self.ups = []
    for i, filters in enumerate((ngf * 2, ngf)):
      if upsample == "transpose":
        up = self._attr(layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                               use_bias=bias, kernel_initializer=_init(),
                                               name=f"up_{i}"))
      else:
        up = conv(filters, 3, f"up_{i}", padding="same")
      self.ups.append((up, norm_layer(f"up_norm_{i}")))
    self.head = conv(self.out_channels, 7, "head", use_bias=True)

  @staticmethod
  def _apply(norm, x, training):
    return x if norm is None else norm(x, training=training)

  def call(self, x, training=False):
    x = ops.relu(self._apply(self.stem_norm, self.stem(_reflect(x, 3)), training))
    for conv, norm in self.downs:
      x = ops.relu(self._apply(norm, conv(x), training))
    for conv_a, norm_a, conv_b, norm_b in self.blocks:
      h = ops.relu(self._apply(norm_a, conv_a(_reflect(x, 1)), training))
      x = x + self._apply(norm_b, conv_b(_reflect(h, 1)), training)
    for up, norm in self.ups:
      if self.resize is not None:
        x = self.resize(x)
      x = ops.relu(self._apply(norm, up(x), training))
    return ops.tanh(self.head(_reflect(x, 3)))
