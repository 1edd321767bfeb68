"""Building blocks shared by tfgan's networks: spectral normalization, the minibatch
standard-deviation layer and batch norms (inference with batch statistics, class-conditional).
Network base classes are in tfgan.networks.base."""

import keras
from keras import layers, ops

from tfgan import distribute

# Keras registers tfgan's serializable classes as "tfgan>ClassName" (saved files name them so).
PACKAGE = "tfgan"


@keras.saving.register_keras_serializable(package=PACKAGE)
class MinibatchStdDev(layers.Layer):
  """Appends the mean standard deviation across a group of examples as one extra feature
  (Karras et al. 2018, https://arxiv.org/abs/1710.10196, sec. 3), so D can see a batch whose
  samples are too alike: a direct signal against mode collapse.

  Input [B, ..., F] -> output [B, ..., F + 1]. Groups of `group_size` examples (or the whole
  batch when smaller) must divide B.
  """

  def __init__(self, group_size=4, **kwargs):
    super().__init__(**kwargs)
    self.group_size = int(group_size)

  def call(self, x):
    shape = ops.shape(x)
    group = ops.minimum(self.group_size, shape[0])
    grouped = ops.reshape(x, (group, -1) + tuple(x.shape[1:]))  # [G, B/G, ...]
    std = ops.sqrt(ops.var(grouped, axis=0) + 1e-8)  # [B/G, ...]
    stat = ops.mean(std, axis=tuple(range(1, len(x.shape))), keepdims=True)  # [B/G, 1, ...]
    stat = ops.tile(stat, (group,) + (1,) * (len(x.shape) - 1))  # example i gets group i % (B/G)
    stat = ops.broadcast_to(stat, tuple(shape[:-1]) + (1,))
    return ops.concatenate([x, ops.cast(stat, x.dtype)], axis=-1)

  def compute_output_shape(self, input_shape):
    return tuple(input_shape[:-1]) + (None if input_shape[-1] is None else input_shape[-1] + 1,)

  def get_config(self):
    return {**super().get_config(), "group_size": self.group_size}


class _SpectralKernel:
  """Spectral normalization as a reparameterisation (Miyato et al. 2018,
  https://arxiv.org/abs/1802.05957, Algorithm 1): the layer computes with W / sigma(W), where
  sigma(W) = u^T W v estimates W's largest singular value from power-iteration vectors u, v
  (treated as constants). The kernel variable keeps the unnormalised W, and the gradient flows
  through sigma(W) too.

  keras.layers.SpectralNormalization instead overwrites the kernel with W / sigma before each
  training call, so no gradient reaches sigma; with DiffAugment that D never learned faces in
  this project's CelebA runs (flags/celeba_sngan_hinge.flags).

  W is viewed as a matrix [fan_in, units] (convolutions: [kh * kw * c_in, c_out]; embeddings:
  [classes, features]); u is float32 [1, units], updated by one power iteration per training
  call. `_weight_name` names the layer's variable attribute that holds W.
  """
  _weight_name = "_kernel"

  def build(self, input_shape):
    super().build(input_shape)
    units = self._weight.shape[-1]
    self.sn_u = self.add_weight(name="sn_u", shape=(1, units), trainable=False,
                                initializer=keras.initializers.RandomNormal(seed=0))

  @property
  def _weight(self):
    return getattr(self, self._weight_name)

  def _matrix(self):
    return ops.reshape(self._weight.value, (-1, self._weight.shape[-1]))

  def _normalized(self):
    return ops.cast(self._weight.value / self.sigma(), self.compute_dtype)

  def _vectors(self, w):
    """Power-iteration vectors (u, v) for matrix w [fan_in, units], without gradient."""
    w = ops.stop_gradient(w)
    v = _l2_normalize(ops.matmul(self.sn_u.value, ops.transpose(w)))  # [1, fan_in]
    u = _l2_normalize(ops.matmul(v, w))  # [1, units]
    return u, v

  def sigma(self):
    """The current estimate of W's largest singular value (float32 scalar)."""
    w = self._matrix()
    u, v = self._vectors(w)
    return ops.sum(ops.matmul(v, w) * u)

  @property
  def kernel(self):
    return self._normalized()

  def call(self, inputs, training=None):
    if training:
      self.sn_u.assign(self._vectors(self._matrix())[0])
    return super().call(inputs)

  # Dense, Conv2D and Embedding save only `kernel`/`embeddings` (here the normalised tensor,
  # not the variable) and the bias, and then refuse to load a file without sn_u: a .keras
  # file of a spectrally normalised network would not load. Every variable as it is, as the
  # base Layer saves them, restores W and u exactly.
  def save_own_variables(self, store):
    layers.Layer.save_own_variables(self, store)

  def load_own_variables(self, store):
    layers.Layer.load_own_variables(self, store)


def _l2_normalize(x):
  return x / ops.sqrt(ops.sum(ops.square(x)) + 1e-12)


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpectralDense(_SpectralKernel, layers.Dense):
  """keras.layers.Dense whose kernel is spectrally normalised (see `_SpectralKernel`)."""


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpectralConv2D(_SpectralKernel, layers.Conv2D):
  """keras.layers.Conv2D whose kernel is spectrally normalised (see `_SpectralKernel`)."""


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpectralEmbedding(_SpectralKernel, layers.Embedding):
  """keras.layers.Embedding whose table [classes, features] is spectrally normalised (see
  `_SpectralKernel`): the class embedding of a projection discriminator, normalised as in the
  official SNGAN projection code (SNEmbedID) and BigGAN, so a spectrally normalised D stays
  Lipschitz in its features for every class."""
  _weight_name = "_embeddings"

  @property
  def embeddings(self):
    return self._normalized()


_SPECTRAL = {layers.Dense: SpectralDense, layers.Conv2D: SpectralConv2D,
             layers.Embedding: SpectralEmbedding}


def spectral(layer, enabled):
  """`layer` (an unbuilt Dense or Conv2D) as its spectrally normalised twin when enabled."""
  if not enabled:
    return layer
  if type(layer) not in _SPECTRAL:
    raise TypeError(f"spectral normalization supports {[c.__name__ for c in _SPECTRAL]}, "
                    f"got {type(layer).__name__}.")
  return _SPECTRAL[type(layer)].from_config(layer.get_config())


@keras.saving.register_keras_serializable(package=PACKAGE)
class BatchNorm(layers.BatchNormalization):
  """keras.layers.BatchNormalization that can also normalise with the batch's own statistics
  in inference mode (`batch_statistics=True`), without touching the moving averages.

  That is pix2pix's test-time behaviour (Isola et al. 2017, sec. 3.3: "we apply batch
  normalization using the statistics of the test batch"); a layer called with training=True
  outside fit() would instead overwrite the averages a later inference-mode user relies on.
  """

  def __init__(self, batch_statistics=False, **kwargs):
    super().__init__(**kwargs)
    self.batch_statistics = bool(batch_statistics)

  def call(self, inputs, training=None, mask=None):
    if training or not self.batch_statistics:
      return super().call(inputs, training=training, mask=mask)
    x = ops.cast(inputs, self.variable_dtype)
    mean, variance = ops.moments(x, axes=self._reduction_axes)
    out = ops.batch_normalization(x, mean, variance, axis=self.axis, offset=self.beta,
                                  scale=self.gamma, epsilon=self.epsilon)
    return ops.cast(out, self.compute_dtype)

  def get_config(self):
    return {**super().get_config(), "batch_statistics": self.batch_statistics}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ConditionalBatchNorm(layers.Layer):
  """Class-conditional batch normalization, the generator's batch norm of the cGAN with a
  projection discriminator (Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637, sec. 4;
  `CategoricalConditionalBatchNormalization` in pfnet-research/sngan_projection; de Vries et
  al. 2017): normalise as batch norm does (batch statistics in training, moving averages in
  inference), then scale and shift by a gain gamma(y) and a bias beta(y) looked up per class
  from tables float32 [num_classes, C]. beta starts at 0 and gamma at N(1, 0.02), as the
  PyTorch ConditionalBatchNorm2d of pytorch/pytorch#8985 (and Mimicry's SNGAN) initialise
  them: near the identity, but not equal for every class, so labels matter from the first
  step (SNGAN's Chainer code starts gamma at exactly 1).

  Called as layer(x, labels): x [B, ..., C], labels int [B] in [0, num_classes) -> [B, ..., C].
  The normalisation is a keras BatchNormalization without affine terms, so
  tfgan.distribute.synchronize_batch_norm finds it and synchronizes it across replicas.
  """

  def __init__(self, num_classes, momentum=0.99, epsilon=1e-3, **kwargs):
    super().__init__(**kwargs)
    self.num_classes = int(num_classes)
    self.momentum, self.epsilon = float(momentum), float(epsilon)
    self.norm = layers.BatchNormalization(momentum=momentum, epsilon=epsilon, center=False,
                                          scale=False, name="norm")

  def build(self, x_shape, labels_shape=None):
    self.norm.build(x_shape)
    table = (self.num_classes, x_shape[-1])
    self.gamma = self.add_weight(name="gamma", shape=table,
                                 initializer=keras.initializers.RandomNormal(1.0, 0.02))
    self.beta = self.add_weight(name="beta", shape=table, initializer="zeros")

  def call(self, x, labels, training=None):
    x = self.norm(x, training=training)
    # [B, C] rows of the tables, broadcast over the spatial axes: [B, 1, ..., 1, C].
    shape = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
    labels = ops.cast(labels, "int32")
    gamma = ops.reshape(ops.cast(ops.take(self.gamma, labels, axis=0), x.dtype), shape)
    beta = ops.reshape(ops.cast(ops.take(self.beta, labels, axis=0), x.dtype), shape)
    return x * gamma + beta

  def compute_output_shape(self, x_shape, labels_shape=None):
    return x_shape

  def get_config(self):
    return {**super().get_config(), "num_classes": self.num_classes,
            "momentum": self.momentum, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package=PACKAGE)
class NoiseDropout(layers.Dropout):
  """keras.layers.Dropout that stays on in inference mode when `always=True` (in pix2pix the
  decoder's dropout is the generator's only noise, and the paper keeps it at test time), and
  whose masks under a distribution strategy are the replicas' rows of one mask drawn for the
  global batch, as a single device would draw it (tfgan.distribute.replica_draw)."""

  def __init__(self, rate, always=False, **kwargs):
    super().__init__(rate, **kwargs)
    self.always = bool(always)

  def call(self, inputs, training=False):
    if not (training or self.always) or self.rate == 0:
      return inputs
    shape = ops.shape(inputs)
    keep = distribute.replica_draw(
        lambda n: keras.random.uniform((n,) + tuple(shape[1:]), seed=self.seed_generator),
        shape[0]) >= self.rate
    return ops.where(keep, inputs / (1.0 - self.rate), ops.zeros_like(inputs))

  def get_config(self):
    return {**super().get_config(), "always": self.always}


def instance_norm(name=None):
  """Instance normalization as in the CycleGAN and pix2pix reference code: per example and
  channel over H and W, no affine parameters, epsilon 1e-5. Keras's GroupNormalization with a
  group per channel is exactly that, and it serializes (tensorflow_examples' InstanceNorm does
  not)."""
  return layers.GroupNormalization(groups=-1, center=False, scale=False, epsilon=1e-5,
                                   name=name)
