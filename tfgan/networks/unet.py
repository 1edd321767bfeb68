"""Image-to-image networks of pix2pix (Isola et al. 2017, https://arxiv.org/abs/1611.07004):
the U-Net generator and the PatchGAN discriminator, as in junyanz/pytorch-CycleGAN-and-pix2pix
(`UnetGenerator`, `NLayerDiscriminator`), with its N(0, 0.02) initialisation.

Images are float32 [B, H, W, C] in [-1, 1]. Both networks are fully convolutional: the U-Net
takes any H and W divisible by 2**num_downs, the PatchGAN any size.
"""

import math

import keras
from keras import layers, ops

from tfgan.layers import PACKAGE, BatchNorm, NoiseDropout, instance_norm, spectral
from tfgan.networks.base import NetworkBase, scaled

TRANSLATION_NORMS = ("batch", "instance", "none")
UPSAMPLINGS = ("transpose", "resize")


def _init():
  return keras.initializers.RandomNormal(0.0, 0.02)


def _norm(kind, name, batch_statistics=False):
  if kind == "batch":  # gamma ~ N(1, 0.02) as the reference initialises it
    return BatchNorm(batch_statistics=batch_statistics, momentum=0.9, epsilon=1e-5, name=name,
                     gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02))
  if kind == "instance":
    return instance_norm(name)
  return None


class ImageNetworkBase(NetworkBase):
  """A network of images: input [B, H, W, C] of `image_shape`, no class labels."""

  @property
  def input_spec_shape(self):
    return self.image_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class UNetGenerator(ImageNetworkBase):
  """U-Net generator: num_downs 4x4 stride-2 convolutions (LeakyReLU 0.2 before each but the
  first, norm after each but the first and the innermost), mirrored by num_downs upsamplings
  (ReLU before each, norm and, for the inner 8 * ngf blocks, dropout 0.5 after each but the
  last), each decoder block fed the concatenation of the previous one and its encoder mirror;
  tanh output.

  Channels: ngf = 64 * width, encoder block i has ngf * min(2**i, 8); num_downs defaults to
  log2(side), a 1x1 bottleneck (8 at 256 px as in the paper, 6 at 64 px). Dropout sits on
  decoder blocks 4 .. num_downs - 2 (counted from the outside), the reference's
  `num_downs - 5` intermediate blocks (one at 64 px, three at 256 px).

  Args:
    image_shape: input (H, W, C_in); H and W divisible by 2**num_downs.
    out_channels: C_out of the output image.
    norm: 'batch' (pix2pix), 'instance' or 'none'.
    upsample: 'transpose' (4x4 stride-2 transposed convolutions, the paper's) or 'resize'
      (bilinear resize then a 3x3 convolution, free of checkerboards: Odena et al. 2016).
    test_mode: how an inference-mode call (translation, export) runs dropout and batch norm:
      'train' (the paper: dropout on, batch statistics) or 'inference' (dropout off, moving
      averages).
  """

  def __init__(self, image_shape=(64, 64, 3), out_channels=3, width=1.0, num_downs=0,
               norm="batch", upsample="transpose", dropout=True, test_mode="train", **kwargs):
    super().__init__(**kwargs)
    image_shape = tuple(int(s) for s in image_shape)
    side = min(image_shape[:2])
    num_downs = int(num_downs) or int(math.log2(side))
    if norm not in TRANSLATION_NORMS or upsample not in UPSAMPLINGS:
      raise ValueError(f"norm must be one of {TRANSLATION_NORMS} and upsample one of "
                       f"{UPSAMPLINGS}, got {norm!r}, {upsample!r}.")
    if test_mode not in ("train", "inference"):
      raise ValueError(f"test_mode must be train or inference, got {test_mode!r}.")
    if num_downs < 2 or any(s % 2**num_downs for s in image_shape[:2]):
      raise ValueError(f"a U-Net with {num_downs} downsamplings needs sides divisible by "
                       f"{2**num_downs}, got image_shape {image_shape}.")
    self._args = dict(image_shape=image_shape, out_channels=int(out_channels),
                      width=float(width), num_downs=num_downs, norm=norm, upsample=upsample,
                      dropout=bool(dropout), test_mode=test_mode)
    self.image_shape, self.out_channels, self.num_downs = image_shape, int(out_channels), \
        num_downs
    self.test_mode = test_mode
    ngf = scaled(64, width)
    filters = [ngf * min(2**i, 8) for i in range(num_downs)]
    use_bias = norm != "batch"  # batch norm's beta replaces the bias
    at_test = test_mode == "train"
    self.downs, self.down_norms, self.ups, self.up_norms, self.drops = [], [], [], [], []
    self.resize = layers.UpSampling2D(2, interpolation="bilinear") if upsample == "resize" \
        else None
    for i, f in enumerate(filters):
      self.downs.append(self._attr(layers.Conv2D(
          f, 4, strides=2, padding="same", use_bias=use_bias, kernel_initializer=_init(),
          name=f"down_{i}")))
      inner = 0 < i < num_downs - 1
      self.down_norms.append(self._attr(_norm(norm, f"down_norm_{i}", at_test))
                             if inner and norm != "none" else None)
    for i in reversed(range(num_downs)):
      out = self.out_channels if i == 0 else filters[i - 1]
      if upsample == "transpose":
        up = layers.Conv2DTranspose(out, 4, strides=2, padding="same",
                                    use_bias=use_bias or i == 0, kernel_initializer=_init(),
                                    name=f"up_{i}")
      else:
        up = layers.Conv2D(out, 3, padding="same", use_bias=use_bias or i == 0,
                           kernel_initializer=_init(), name=f"up_{i}")
      self.ups.append(self._attr(up))
      self.up_norms.append(self._attr(_norm(norm, f"up_norm_{i}", at_test))
                           if i > 0 and norm != "none" else None)
      self.drops.append(self._attr(NoiseDropout(0.5, always=at_test, name=f"dropout_{i}"))
                        if dropout and 4 <= i <= num_downs - 2 else None)

  def call(self, x, training=False):
    skips = []
    for i, (down, norm) in enumerate(zip(self.downs, self.down_norms)):
      x = down(x if i == 0 else ops.leaky_relu(x, 0.2))
      if norm is not None:
        x = norm(x, training=training)
      skips.append(x)
    for k, (up, norm, drop) in enumerate(zip(self.ups, self.up_norms, self.drops)):
      i = self.num_downs - 1 - k  # the encoder block this decoder block mirrors
      if k > 0:
        x = ops.concatenate([x, skips[i]], axis=-1)
      x = ops.relu(x)
      if self.resize is not None:
        x = self.resize(x)
      x = up(x)
      if norm is not None:
        x = norm(x, training=training)
      if drop is not None:
        x = drop(x, training=training)
    return ops.tanh(x)


@keras.saving.register_keras_serializable(package=PACKAGE)
class PatchDiscriminator(ImageNetworkBase):
  """PatchGAN discriminator: a logit per overlapping image patch.

  n_layers 4x4 stride-2 convolutions (ndf * min(2**i, 8) channels, ndf = 64 * width), a 4x4
  stride-1 convolution, and a 4x4 stride-1 convolution to one logit channel, each followed by
  LeakyReLU 0.2 but the last, norm on all but the first and the last; the stride-1 layers pad
  one pixel as the reference does. Receptive field of each logit: 16x16 (n_layers 1), 34x34
  (2), 70x70 (3, the paper's default), 142x142 (4). Output [B, h, w, 1] logits; at 256 px and
  n_layers 3 h = w = 30, at 64 px 6.

  Args:
    image_shape: (H, W, C) of what D sees (pix2pix: input and output concatenated).
    norm: 'batch', 'instance', 'none' or 'spectral' (spectral norm on every convolution).
  """

  def __init__(self, image_shape=(64, 64, 6), width=1.0, n_layers=3, norm="batch", **kwargs):
    super().__init__(**kwargs)
    image_shape = tuple(int(s) for s in image_shape)
    if norm not in TRANSLATION_NORMS + ("spectral",):
      raise ValueError(f"norm must be one of {TRANSLATION_NORMS + ('spectral',)}, got "
                       f"{norm!r}.")
    if int(n_layers) < 1:
      raise ValueError(f"n_layers must be >= 1, got {n_layers!r}.")
    if min(image_shape[:2]) < self.min_side(int(n_layers)):
      raise ValueError(f"a PatchGAN with n_layers={n_layers} needs images of at least "
                       f"{self.min_side(int(n_layers))} px; got {image_shape[:2]}.")
    self._args = dict(image_shape=image_shape, width=float(width), n_layers=int(n_layers),
                      norm=norm)
    self.image_shape, self.normalization = image_shape, norm
    ndf = scaled(64, width)
    sn = norm == "spectral"
    self.convs, self.norms, self.pads = [], [], []
    n_layers = int(n_layers)
    for i in range(n_layers + 2):
      last = i == n_layers + 1
      filters = 1 if last else ndf * min(2**i, 8)
      stride = 2 if i < n_layers else 1
      conv = layers.Conv2D(filters, 4, strides=stride, padding="same" if stride == 2 else "valid",
                           use_bias=last or i == 0 or norm not in ("batch",),
                           kernel_initializer=_init(), name=f"conv_{i}")
      self.convs.append(self._attr(spectral(conv, sn)))
      self.pads.append(self._attr(layers.ZeroPadding2D(1, name=f"pad_{i}"))
                       if stride == 1 else None)
      use_norm = 0 < i and not last and norm in ("batch", "instance")
      self.norms.append(self._attr(_norm(norm, f"norm_{i}")) if use_norm else None)

  @staticmethod
  def min_side(n_layers):
    """The smallest image side with at least one output logit: side / 2**n_layers - 2 >= 1."""
    return 3 * 2**n_layers

  @staticmethod
  def receptive_field(n_layers):
    """Side in pixels of the input patch that one output logit sees."""
    strides = [2] * n_layers + [1, 1]
    field, jump = 1, 1
    for s in strides:
      field += 3 * jump  # kernel 4: 3 more pixels at the current input spacing
      jump *= s
    return field

  def call(self, x, training=False):
    return self.features(x, training)[-1]

  def features(self, x, training=False):
    """[the activation after each LeakyReLU (n_layers + 1 of them, [B, h_i, w_i, c_i]),
    logits [B, h, w, 1]]: the intermediate features of feature matching (pix2pixHD)."""
    last = len(self.convs) - 1
    out = []
    for i, (conv, norm, pad) in enumerate(zip(self.convs, self.norms, self.pads)):
      if pad is not None:
        x = pad(x)
      x = conv(x, training=training)
      if norm is not None:
        x = norm(x, training=training)
      if i < last:
        x = ops.leaky_relu(x, 0.2)
      out.append(x)
    return out
