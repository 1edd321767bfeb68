"""The vanilla MLP GAN pair of Goodfellow et al. 2014 (https://arxiv.org/abs/1406.2661)."""

import math

import keras
from keras import layers, ops

from tfgan.layers import PACKAGE, MinibatchStdDev, spectral
from tfgan.networks.base import DiscriminatorBase, GeneratorBase, check_d_options, scaled


@keras.saving.register_keras_serializable(package=PACKAGE)
class MLPGenerator(GeneratorBase):
  """Vanilla GAN generator (Goodfellow et al. 2014): z -> 256 -> 512 -> 1024 -> H*W*C, tanh.

  Hidden units are multiplied by `width`; batch norm then ReLU after each hidden layer.
  Without batch norm this generator collapsed to one blotchy digit within 1000 steps on MNIST
  (measured, Adam 2e-4 / 0.5, batch 64); with it, samples stay diverse. Conditional on
  `num_classes` labels (one-hot joined to z) when > 0.
  """

  def __init__(self, latent_dim=100, image_shape=(28, 28, 1), width=1.0, num_classes=0,
               **kwargs):
    super().__init__(**kwargs)
    image_shape = tuple(int(s) for s in image_shape)
    self._args = dict(latent_dim=int(latent_dim), image_shape=image_shape, width=float(width),
                      num_classes=int(num_classes))
    self.latent_dim, self.image_shape, self.num_classes = int(latent_dim), image_shape, \
        int(num_classes)
    self.hidden = [self._attr(layers.Dense(scaled(u, width), use_bias=False,
                                           name=f"dense_{i}"))
                   for i, u in enumerate((256, 512, 1024))]
    self.norms = [self._attr(layers.BatchNormalization(name=f"bn_{i}")) for i in range(3)]
    self.out = layers.Dense(math.prod(image_shape), activation="tanh", name="dense_out")
    self.reshape = layers.Reshape(image_shape)

  def call(self, inputs, training=False):
    x = self.join_labels(inputs)
    for layer, norm in zip(self.hidden, self.norms):
      x = ops.relu(norm(layer(x), training=training))
    return self.reshape(self.out(x))


@keras.saving.register_keras_serializable(package=PACKAGE)
class MLPDiscriminator(DiscriminatorBase):
  """Vanilla GAN discriminator: H*W*C -> 1024 -> 512 -> 256 -> 1 logit.

  LeakyReLU(0.2) and dropout 0.3 after each hidden layer; hidden units scale with `width`.
  normalization: 'none' or 'spectral' (every dense layer). minibatch_std appends the batch
  standard deviation feature before the logit.
  """

  def __init__(self, image_shape=(28, 28, 1), width=1.0, num_classes=0,
               conditioning="projection", normalization="none", minibatch_std=False, **kwargs):
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
    self.flatten = layers.Flatten()
    self.hidden = [self._attr(spectral(layers.Dense(scaled(u, width), name=f"dense_{i}"), sn))
                   for i, u in enumerate((1024, 512, 256))]
    self.act = layers.LeakyReLU(0.2)
    self.dropout = layers.Dropout(0.3)
    self.mbstd = MinibatchStdDev(name="mbstd") if minibatch_std else None
    self.make_head(scaled(256, width) + (1 if minibatch_std else 0), sn)

  def call(self, inputs, training=False):
    images, labels = self.split_inputs(inputs)
    x = self.flatten(self.concat_labels(images, labels))
    for layer in self.hidden:
      x = self.dropout(self.act(layer(x, training=training)), training=training)
    if self.mbstd is not None:
      x = self.mbstd(x)
    return self.head(x, labels, training)
