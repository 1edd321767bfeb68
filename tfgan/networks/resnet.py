"""The ResNet pair of SNGAN (Miyato et al. 2018, https://arxiv.org/abs/1802.05957, appendix B,
table 4 for 32 px, after the CIFAR-10 ResNets of Gulrajani et al. 2017's WGAN-GP), with
the 64 and 128 px schedules of its code (pfnet-research/sngan_projection, `resnet_64`,
`snresnet_64`, `resnet`, `snresnet`; BigGAN's at ch=64), conditional batch norm in G and a
projection D when conditional (Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637).

Images are square, 28 (MNIST: SNGAN's 32 px pair started at 7x7), 32, 64 or 128 pixels.
Channel counts are multiples of ch = 64 * width, SNGAN's ch; `--width` scales them all.
"""

import keras
from keras import layers, ops

from tfgan.layers import PACKAGE, ConditionalBatchNorm, MinibatchStdDev, spectral
from tfgan.networks.base import DiscriminatorBase, GeneratorBase, check_d_options, scaled

# Per side: G's (start side, channels of the linear layer, channels of each up block) and D's
# (channels of each block, the first being the optimized block; whether it halves the side),
# in units of ch. 32 px: SNGAN's table 4 (G 256 = 4 ch, D 128 = 2 ch, the last two D blocks
# at 8x8 without downsampling). 64 and 128 px: SNGAN's ImageNet ResNets (ch 16 ch at 4x4
# halving to ch; D doubling from ch to 16 ch, at 128 px with a last block at 4x4).
_G_SCHEDULES = {
    28: (7, 4, (4, 4)),
    32: (4, 4, (4, 4, 4)),
    64: (4, 16, (8, 4, 2, 1)),
    128: (4, 16, (16, 8, 4, 2, 1)),
}
_D_SCHEDULES = {
    28: ((2, 2, 2, 2), (True, True, False, False)),
    32: ((2, 2, 2, 2), (True, True, False, False)),
    64: ((1, 2, 4, 8, 16), (True,) * 5),
    128: ((1, 2, 4, 8, 16, 16), (True,) * 5 + (False,)),
}
_CH = 64


def _side(image_shape):
  """The image side, after checking that resnet has a schedule for it."""
  height, width_px = image_shape[0], image_shape[1]
  if height != width_px:
    raise ValueError(f"resnet needs square images, got image_shape {tuple(image_shape)}.")
  if height not in _G_SCHEDULES:
    raise ValueError(f"resnet supports {sorted(_G_SCHEDULES)} pixel images (--image_size), "
                     f"got {height}.")
  return height


def _residual_init():
  # SNGAN's code initialises the residual convolutions Glorot-uniform with gain sqrt(2)
  # (variance x2, for the ReLU before each) and the shortcuts and linear layers with gain 1.
  return keras.initializers.VarianceScaling(2.0, mode="fan_avg", distribution="uniform")


def _conv(channels, size, name, sn=False, residual=True):
  init = _residual_init() if residual else "glorot_uniform"
  return spectral(layers.Conv2D(channels, size, padding="same", kernel_initializer=init,
                                name=name), sn)


class _UpBlock(layers.Layer):
  """G's residual block: BN, ReLU, nearest x2, 3x3 conv, BN, ReLU, 3x3 conv, plus a 1x1 conv of
  the upsampled input (SNGAN's shortcut is learnable whenever the block upsamples). The batch
  norms are ConditionalBatchNorm when num_classes > 0. [B, s, s, C_in] -> [B, 2s, 2s, C]."""

  def __init__(self, channels, num_classes, **kwargs):
    super().__init__(**kwargs)
    norm = (lambda name: ConditionalBatchNorm(num_classes, name=name)) if num_classes else (
        lambda name: layers.BatchNormalization(name=name))
    self.conditional = bool(num_classes)
    self.bn_1, self.bn_2 = norm("bn_1"), norm("bn_2")
    self.up = layers.UpSampling2D(2, interpolation="nearest")
    self.conv_1, self.conv_2 = _conv(channels, 3, "conv_1"), _conv(channels, 3, "conv_2")
    self.shortcut = _conv(channels, 1, "shortcut", residual=False)

  def _norm(self, norm, x, labels, training):
    return norm(x, labels, training=training) if self.conditional else norm(x, training=training)

  def call(self, x, labels=None, training=None):
    h = self.up(ops.relu(self._norm(self.bn_1, x, labels, training)))
    h = self.conv_1(h)
    h = self.conv_2(ops.relu(self._norm(self.bn_2, h, labels, training)))
    return h + self.shortcut(self.up(x))


class _DownBlock(layers.Layer):
  """D's residual block, [B, s, s, C_in] -> [B, s/2, s/2, C] (or [B, s, s, C] without
  downsampling), spectrally normalised when `sn`.

  optimized (D's first block, on the image): 3x3 conv, ReLU, 3x3 conv, 2x2 average pool,
  plus the average-pooled input through a 1x1 conv (pooling first is cheaper, and equal).
  Otherwise: ReLU, 3x3 conv to C_in (SNGAN's hidden width), ReLU, 3x3 conv to C, average pool
  when downsampling, plus the input through a 1x1 conv then the pool, or the input itself
  when the block keeps both the side and the channels (SNGAN's, WGAN-GP's identity shortcut).
  """

  def __init__(self, channels, in_channels, downsample, optimized, sn, **kwargs):
    super().__init__(**kwargs)
    self.optimized, self.downsample = bool(optimized), bool(downsample)
    hidden = channels if optimized else in_channels
    self.conv_1, self.conv_2 = _conv(hidden, 3, "conv_1", sn), _conv(channels, 3, "conv_2", sn)
    learnable = optimized or downsample or channels != in_channels
    self.shortcut = _conv(channels, 1, "shortcut", sn, residual=False) if learnable else None
    self.pool = layers.AveragePooling2D(2)

  def call(self, x, training=None):
    if self.optimized:
      h = self.pool(self.conv_2(ops.relu(self.conv_1(x, training=training)), training=training))
      return h + self.shortcut(self.pool(x), training=training)
    h = self.conv_2(ops.relu(self.conv_1(ops.relu(x), training=training)), training=training)
    skip = x if self.shortcut is None else self.shortcut(x, training=training)
    if self.downsample:
      h, skip = self.pool(h), self.pool(skip)
    return h + skip


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResNetGANGenerator(GeneratorBase):
  """SNGAN's ResNet generator (Miyato et al. 2018, table 4 at 32 px).

  z [B, latent_dim] -> linear to start x start x c_0 -> up blocks (see `_UpBlock`) -> BN,
  ReLU, 3x3 conv to C, tanh -> images [B, side, side, C] in [-1, 1]. Per side (ch = 64 *
  width): 28 px 7x7x4ch, 2 blocks of 4ch; 32 px 4x4x4ch, 3 blocks of 4ch; 64 px 4x4x16ch,
  blocks 8, 4, 2, 1 ch; 128 px 4x4x16ch, blocks 16, 8, 4, 2, 1 ch.

  Conditional (num_classes > 0): called with [z, labels int [B]]; every block's batch norm
  takes a per-class gain and bias (ConditionalBatchNorm, Miyato & Koyama 2018), the last batch
  norm stays unconditional as in their code, and z is not joined with the label.
  """

  def __init__(self, latent_dim=128, image_shape=(32, 32, 3), width=1.0, num_classes=0,
               **kwargs):
    super().__init__(**kwargs)
    image_shape = tuple(int(s) for s in image_shape)
    self._args = dict(latent_dim=int(latent_dim), image_shape=image_shape, width=float(width),
                      num_classes=int(num_classes))
    self.latent_dim, self.image_shape, self.num_classes = int(latent_dim), image_shape, \
        int(num_classes)
    start, c_0, schedule = _G_SCHEDULES[_side(image_shape)]
    channels = scaled(_CH * c_0, width)
    self.project = layers.Dense(start * start * channels, name="project")
    self.reshape = layers.Reshape((start, start, channels))
    self.blocks = [self._attr(_UpBlock(scaled(_CH * c, width), self.num_classes,
                                       name=f"block_{i}"))
                   for i, c in enumerate(schedule)]
    self.bn_out = layers.BatchNormalization(name="bn_out")
    self.to_image = layers.Conv2D(image_shape[-1], 3, padding="same", activation="tanh",
                                  name="to_image")

  def call(self, inputs, training=False):
    z, labels = self.split_inputs(inputs)
    x = self.reshape(self.project(self.join_code(z)))
    for block in self.blocks:
      x = block(x, labels, training=training)
    return self.to_image(ops.relu(self.bn_out(x, training=training)))


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResNetGANDiscriminator(DiscriminatorBase):
  """SNGAN's ResNet discriminator (Miyato et al. 2018, table 4 at 32 px).

  images [B, side, side, C] -> optimized block -> down blocks (see `_DownBlock`) -> ReLU ->
  global sum pooling -> linear -> logits float32 [B, 1]; with labels, + <embed(y), h> on the
  pooled features h (projection) or one-hot label planes on the image (concat). Per side (ch =
  64 * width): 28 and 32 px 2ch in all four blocks, the last two keeping the side (32 -> 8);
  64 px ch, 2, 4, 8, 16 ch, each halving (64 -> 2); 128 px ch, 2, 4, 8, 16, 16 ch, the last
  keeping the side (128 -> 4).

  normalization: 'spectral' (every conv, the linear layer and the projection embedding: SNGAN)
  or 'none' (for gradient penalties; WGAN-GP's 32 px critic had no normalization); batch norm
  is refused: neither paper's ResNet D has it. minibatch_std appends the
  batch standard-deviation feature to the pooled features, as MLPDiscriminator does.
  """

  def __init__(self, image_shape=(32, 32, 3), width=1.0, num_classes=0,
               conditioning="projection", normalization="spectral", minibatch_std=False,
               **kwargs):
    super().__init__(**kwargs)
    check_d_options(normalization, conditioning, allowed=("spectral", "none"))
    image_shape = tuple(int(s) for s in image_shape)
    self._args = dict(image_shape=image_shape, width=float(width), num_classes=int(num_classes),
                      conditioning=conditioning, normalization=normalization,
                      minibatch_std=bool(minibatch_std))
    self.image_shape, self.num_classes, self.conditioning = image_shape, int(num_classes), \
        conditioning
    self.normalization = normalization
    sn = normalization == "spectral"
    schedule, downsamples = _D_SCHEDULES[_side(image_shape)]
    self.blocks, in_channels = [], None
    for i, (c, down) in enumerate(zip(schedule, downsamples)):
      channels = scaled(_CH * c, width)
      self.blocks.append(self._attr(_DownBlock(channels, in_channels, down, i == 0, sn,
                                               name=f"block_{i}")))
      in_channels = channels
    self.mbstd = MinibatchStdDev(name="mbstd") if minibatch_std else None
    self.make_head(in_channels + (1 if minibatch_std else 0), sn)

  def call(self, inputs, training=False):
    images, labels = self.split_inputs(inputs)
    x = self.concat_labels(images, labels)
    for block in self.blocks:
      x = block(x, training=training)
    # Sum, not mean, as in SNGAN's table 4 and code: the logit's scale then grows with the
    # feature map's area, which spectral norm's per-layer bound does not see.
    h = ops.sum(ops.relu(x), axis=(1, 2))
    if self.mbstd is not None:
      h = self.mbstd(h)
    return self.head(h, labels, training)
