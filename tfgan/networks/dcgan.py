"""The DCGAN pair (Radford et al. 2015, https://arxiv.org/abs/1511.06434) and its SNGAN-depth
discriminator, for square images of 28, 32, 64, 128, ... pixels."""

import math

import keras
from keras import layers, ops

from tfgan.layers import PACKAGE, MinibatchStdDev, spectral
from tfgan.networks.base import DiscriminatorBase, GeneratorBase, check_d_options, scaled


def _dcgan_geometry(image_shape):
  """Returns (start, n): images are start * 2**n pixels square, start 7 for 28 px, else 4."""
  height, width_px = image_shape[0], image_shape[1]
  if height != width_px:
    raise ValueError(f"dcgan needs square images, got image_shape {tuple(image_shape)}.")
  start = 7 if height % 7 == 0 else 4
  n = int(round(math.log2(height / start))) if height >= start else -1
  if n < 2 or start * 2**n != height:
    raise ValueError(f"dcgan supports 28, 32, 64, 128, ... pixel images, got {height}.")
  return start, n


@keras.saving.register_keras_serializable(package=PACKAGE)
class DCGANGenerator(GeneratorBase):
  """DCGAN generator (Radford et al. 2015, https://arxiv.org/abs/1511.06434).

  z -> dense -> start x start x (64 * width * 2**(n-1)) -> (n-1) x [k x k stride-2 transposed
  conv, channels halved, batch norm, ReLU] -> k x k stride-2 transposed conv to C channels ->
  tanh. start is 7 for 28-pixel images (7 -> 14 -> 28) and 4 otherwise (4 -> ... -> 64).
  k = kernel_size, 4 in the paper; on a 2-core CPU with oneDNN, 3x3 ran ~3x faster than 4x4
  (measured: 17 vs 47 ms per G forward+backward at batch 64, 28 px). A 3x3 stride-2 transposed
  convolution overlaps unevenly and can paint a checkerboard (Odena et al. 2016). Measured on
  CelebA: with a batch-norm D, k=3 made faces; with a spectrally normalised D under DiffAugment
  translation, k=3 made gridded blobs and k=4 faces (flags/celeba_sngan_hinge.flags).
  """

  def __init__(self, latent_dim=100, image_shape=(28, 28, 1), width=1.0, kernel_size=4,
               num_classes=0, **kwargs):
    super().__init__(**kwargs)
    image_shape = tuple(int(s) for s in image_shape)
    self._args = dict(latent_dim=int(latent_dim), image_shape=image_shape, width=float(width),
                      kernel_size=int(kernel_size), num_classes=int(num_classes))
    self.latent_dim, self.image_shape, self.num_classes = int(latent_dim), image_shape, \
        int(num_classes)
    start, n = _dcgan_geometry(image_shape)
    channels = scaled(64 * 2**(n - 1), width)
    self.project = layers.Dense(start * start * channels, use_bias=False, name="project")
    self.reshape = layers.Reshape((start, start, channels))
    self.norms = [self._attr(layers.BatchNormalization(name="bn_project"))]
    self.ups = []
    for i in range(n - 1):
      channels = scaled(64 * 2**(n - 2 - i), width)
      self.ups.append(self._attr(layers.Conv2DTranspose(
          channels, kernel_size, strides=2, padding="same", use_bias=False, name=f"up_{i}")))
      self.norms.append(self._attr(layers.BatchNormalization(name=f"bn_{i}")))
    self.to_image = layers.Conv2DTranspose(image_shape[-1], kernel_size, strides=2,
                                           padding="same", activation="tanh", name="to_image")

  def call(self, inputs, training=False):
    x = self.reshape(self.project(self.join_labels(inputs)))
    x = ops.relu(self.norms[0](x, training=training))
    for up, norm in zip(self.ups, self.norms[1:]):
      x = ops.relu(norm(up(x), training=training))
    return self.to_image(x)


@keras.saving.register_keras_serializable(package=PACKAGE)
class DCGANDiscriminator(DiscriminatorBase):
  """DCGAN discriminator (Radford et al. 2015).

  n x [k x k stride-2 conv, channels 64 * width doubling, LeakyReLU(0.2)] down to
  start x start, then a dense logit; start and k as in DCGANGenerator. normalization:
  'batch' (batch norm from the second conv on, as in the paper), 'spectral' (every conv and
  the logit layer; the SNGAN recipe) or 'none' (needed by per-example gradient penalties).
  minibatch_std appends the batch standard-deviation feature map before the logit.
  extra_convs adds a 3x3 stride-1 convolution after each stride-2 one (see
  SNDCGANDiscriminator).
  """

  def __init__(self, image_shape=(28, 28, 1), width=1.0, kernel_size=4, num_classes=0,
               conditioning="projection", normalization="batch", minibatch_std=False,
               extra_convs=False, **kwargs):
    super().__init__(**kwargs)
    check_d_options(normalization, conditioning)
    image_shape = tuple(int(s) for s in image_shape)
    self._args = dict(image_shape=image_shape, width=float(width), kernel_size=int(kernel_size),
                      num_classes=int(num_classes), conditioning=conditioning,
                      normalization=normalization, minibatch_std=bool(minibatch_std),
                      extra_convs=bool(extra_convs))
    self.image_shape, self.num_classes, self.conditioning = image_shape, int(num_classes), \
        conditioning
    start, n = _dcgan_geometry(image_shape)
    self.normalization = normalization
    sn = normalization == "spectral"
    self.downs, self.norms = [], []
    for i in range(n):
      for stride in (2, 1) if extra_convs else (2,):
        suffix = "" if stride == 2 else "_s1"
        conv = layers.Conv2D(scaled(64 * 2**i, width), kernel_size if stride == 2 else 3,
                             strides=stride, padding="same",
                             use_bias=(i == 0 or normalization != "batch"),
                             name=f"down_{i}{suffix}")
        self.downs.append(self._attr(spectral(conv, sn)))
        use_bn = i > 0 and normalization == "batch"
        self.norms.append(self._attr(layers.BatchNormalization(name=f"bn_{i}{suffix}"))
                          if use_bn else None)
    self.mbstd = MinibatchStdDev(name="mbstd") if minibatch_std else None
    self.flatten = layers.Flatten()
    channels = scaled(64 * 2**(n - 1), width) + (1 if minibatch_std else 0)
    self.make_head(start * start * channels, sn)

  def call(self, inputs, training=False):
    images, labels = self.split_inputs(inputs)
    x = self.concat_labels(images, labels)
    for down, norm in zip(self.downs, self.norms):
      x = down(x, training=training)
      if norm is not None:
        x = norm(x, training=training)
      x = ops.leaky_relu(x, 0.2)
    if self.mbstd is not None:
      x = self.mbstd(x)
    return self.head(self.flatten(x), labels, training)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SNDCGANDiscriminator(DCGANDiscriminator):
  """The DCGAN discriminator with a 3x3 stride-1 convolution after each stride-2 one and
  spectral normalization by default: the depth of the "standard CNN" of SNGAN (Miyato et al.
  2018, https://arxiv.org/abs/1802.05957, table 3) and of Kurach et al.'s SNDCGAN.

  SNGAN puts the stride-1 convolution before each stride-2 one, at the higher resolution; here
  it follows, which keeps D's cost at 0.44x of that order (multiply-adds, 64 px, width 0.5). With
  kernel_size=4 this D learns CelebA faces at 64 px (flags/celeba_sngan_hinge.flags); the
  runs that failed with it, and with the plain DCGAN D under spectral norm, used 3x3 kernels
  (see DCGANGenerator), so whether the extra depth is needed was not isolated.
  """

  def __init__(self, *args, normalization="spectral", extra_convs=True, **kwargs):
    super().__init__(*args, normalization=normalization, extra_convs=extra_convs, **kwargs)
