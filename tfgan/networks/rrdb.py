"""The super-resolution generator of ESRGAN (Wang et al. 2018, https://arxiv.org/abs/1809.00219,
sec. 3.1; XPixelGroup/BasicSR `RRDBNet`): residual-in-residual dense blocks, no batch norm,
nearest-neighbour upsampling followed by a convolution for each factor of 2.

Images are float32 [B, h, w, C] in [-1, 1] (low resolution) -> [B, h * scale, w * scale, C],
about [-1, 1]: the output is linear, as in ESRGAN (a tanh would slow the L1 regression near
saturated pixels), and is clipped where it becomes an image. The network is fully
convolutional: any h and w of at least 1 px.
"""

import math

import keras
import tensorflow as tf
from keras import layers, ops

from tfgan.layers import PACKAGE
from tfgan.networks.unet import ImageNetworkBase

SCALES = (2, 4, 8)
SKIPS = ("none", "bicubic")
RESIDUAL_SCALE = 0.2  # ESRGAN's residual scaling beta, for the dense blocks and the RRDBs


def _init(scale=1.0):
  """Kaiming-normal (fan_in, gain sqrt(2)) times `scale`: BasicSR's default_init_weights
  scales the dense blocks' weights by 0.1, which keeps a deep residual stack near identity at
  the start (the paper's "smaller initialization")."""
  return keras.initializers.VarianceScaling(2.0 * scale**2, "fan_in", "untruncated_normal")


@keras.saving.register_keras_serializable(package=PACKAGE)
class RRDBGenerator(ImageNetworkBase):
  """conv_first, n_blocks x RRDB, conv_body (+ conv_first's features), log2(scale) x
  [nearest x2, 3x3 conv, LeakyReLU 0.2], conv_hr + LeakyReLU, conv_last.

  RRDB: three residual dense blocks, out = x + 0.2 * RDB3(RDB2(RDB1(x))). Residual dense block:
  five 3x3 convolutions, the k-th seeing x and the outputs of all before it (growth channels
  each, the fifth back to `features`), LeakyReLU 0.2 after the first four,
  out = x + 0.2 * conv5(...). All convolutions 3x3, stride 1, 'same' padding, with bias.

  Size: ESRGAN's model is features 64, n_blocks 23, growth 32 (16.7 M parameters); this
  project's CPU flagfiles use features 32, n_blocks 3, growth 16.

  With skip='bicubic' (not in ESRGAN; VDSR's global residual learning, Kim et al. 2016,
  https://arxiv.org/abs/1511.04587) the output is added to the bicubic upsampling of the
  input, so the network learns only the residual the interpolation misses and starts from
  the bicubic image (conv_last initialised 10x smaller): far fewer steps to pass bicubic.

  Args:
    image_shape: the low-resolution input (h, w, C).
    scale: 2, 4 or 8; the output is (h * scale, w * scale, C).
    features, n_blocks, growth: as above.
    skip: 'none' (ESRGAN) or 'bicubic'.
  """
  num_downs = 0  # tfgan.translation pads inputs to a multiple of 2**num_downs: any size here

  def __init__(self, image_shape=(16, 16, 3), scale=4, features=64, n_blocks=23, growth=32,
               skip="none", **kwargs):
    super().__init__(**kwargs)
    image_shape = tuple(int(s) for s in image_shape)
    if int(scale) not in SCALES:
      raise ValueError(f"scale must be one of {SCALES}, got {scale!r}.")
    if min(int(features), int(n_blocks), int(growth)) < 1:
      raise ValueError(f"features, n_blocks and growth must be >= 1, got {features}, "
                       f"{n_blocks}, {growth}.")
    if skip not in SKIPS:
      raise ValueError(f"skip must be one of {SKIPS}, got {skip!r}.")
    self._args = dict(image_shape=image_shape, scale=int(scale), features=int(features),
                      n_blocks=int(n_blocks), growth=int(growth), skip=skip)
    self.image_shape, self.scale, self.skip = image_shape, int(scale), skip
    self.out_channels = image_shape[-1]
    self.test_mode = "inference"  # no dropout or batch norm
    nf, gc = int(features), int(growth)

    def conv(filters, name, scale_init=1.0):
      return self._attr(layers.Conv2D(filters, 3, padding="same", name=name,
                                      kernel_initializer=_init(scale_init)))

    self.conv_first = conv(nf, "conv_first")
    # [block][dense block][conv]: the 5 convolutions of each of the 3 dense blocks.
    self.blocks = [[[conv(gc if k < 4 else nf, f"rrdb_{b}_rdb_{r}_conv_{k}", 0.1)
                     for k in range(5)] for r in range(3)] for b in range(int(n_blocks))]
    self.conv_body = conv(nf, "conv_body")
    self.ups = [conv(nf, f"conv_up_{i}") for i in range(int(math.log2(self.scale)))]
    self.conv_hr = conv(nf, "conv_hr")
    # With the bicubic skip the network starts near the bicubic image: a small last layer.
    self.conv_last = conv(self.out_channels, "conv_last", 0.1 if skip == "bicubic" else 1.0)

  @staticmethod
  def _dense_block(convs, x):
    features = [x]
    for k, conv in enumerate(convs):
      out = conv(ops.concatenate(features, axis=-1) if len(features) > 1 else x)
      if k < 4:
        features.append(ops.leaky_relu(out, 0.2))
    return x + RESIDUAL_SCALE * out

  def call(self, x, training=False):
    feat = self.conv_first(x)
    body = feat
    for block in self.blocks:
      h = body
      for convs in block:
        h = self._dense_block(convs, h)
      body = body + RESIDUAL_SCALE * h
    feat = feat + self.conv_body(body)
    for conv in self.ups:
      # Nearest-neighbour x2 (not a transposed convolution: no checkerboard), then 3x3.
      feat = ops.repeat(ops.repeat(feat, 2, axis=1), 2, axis=2)
      feat = ops.leaky_relu(conv(feat), 0.2)
    out = self.conv_last(ops.leaky_relu(self.conv_hr(feat), 0.2))
    if self.skip == "bicubic":
      size = tf.shape(x)[1:3] * self.scale
      out = out + ops.cast(tf.image.resize(ops.cast(x, "float32"), size, "bicubic"), out.dtype)
    return out
