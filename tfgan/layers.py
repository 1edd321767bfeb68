"""Building blocks shared by tfgan's networks: the serializable model base, conditioning on
class labels, spectral normalization and the minibatch standard-deviation layer."""

import keras
from keras import layers, ops

_PACKAGE = "tfgan"
NORMALIZATIONS = ("batch", "spectral", "none")
CONDITIONINGS = ("projection", "concat")


@keras.saving.register_keras_serializable(package=_PACKAGE)
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


class NetworkBase(keras.Model):
  """Keeps constructor arguments for get_config, registers layers for tf.train.Checkpoint,
  and builds every variable by running one zero example (with label 0 when conditional)."""

  num_classes = 0

  def _attr(self, layer):
    """Also keeps `layer` under an attribute of its name. tf.train.Checkpoint follows
    attributes but not Keras' tracked lists, so a layer only in a list (a batch norm's moving
    statistics, say) would silently be left out of checkpoints."""
    setattr(self, layer.name, layer)
    return layer

  def example_inputs(self, batch_size=1):
    """Zero inputs of the network's input structure: x, or [x, labels] when conditional."""
    x = ops.zeros((batch_size,) + tuple(self.input_spec_shape))
    return [x, ops.zeros((batch_size,), "int32")] if self.num_classes else x

  def input_shapes(self):
    """The input shape(s) with a free batch axis: one shape, or [x shape, labels shape]."""
    x = (None,) + tuple(self.input_spec_shape)
    return [x, (None,)] if self.num_classes else x

  def build(self, input_shape=None):
    self.call(self.example_inputs(), training=False)

  def split_inputs(self, inputs):
    """(x, labels) from x or [x, labels]; labels None when unconditional."""
    if self.num_classes:
      if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
        raise ValueError(f"{self.name} is conditional on {self.num_classes} classes: call it "
                         f"with [inputs, labels].")
      return inputs[0], ops.cast(inputs[1], "int32")
    return inputs, None

  def get_config(self):
    return {**super().get_config(), **self._args}

  @classmethod
  def from_config(cls, config):
    return cls(**config)


class _SpectralKernel:
  """Spectral normalization as a reparameterisation (Miyato et al. 2018,
  https://arxiv.org/abs/1802.05957, Algorithm 1): the layer computes with W / sigma(W), where
  sigma(W) = u^T W v estimates W's largest singular value from power-iteration vectors u, v
  (treated as constants). The kernel variable keeps the unnormalised W, and the gradient flows
  through sigma(W) too.

  keras.layers.SpectralNormalization instead overwrites the kernel with W / sigma before each
  training call, so no gradient reaches sigma; with DiffAugment that D never learned faces in
  this project's CelebA runs (flags/celeba_sngan_hinge.flags).

  W is viewed as a matrix [fan_in, units] (convolutions: [kh * kw * c_in, c_out]); u is float32
  [1, units], updated by one power iteration per training call.
  """

  def build(self, input_shape):
    super().build(input_shape)
    units = self._kernel.shape[-1]
    self.sn_u = self.add_weight(name="sn_u", shape=(1, units), trainable=False,
                                initializer=keras.initializers.RandomNormal(seed=0))

  def _vectors(self, w):
    """Power-iteration vectors (u, v) for matrix w [fan_in, units], without gradient."""
    w = ops.stop_gradient(w)
    v = _l2_normalize(ops.matmul(self.sn_u.value, ops.transpose(w)))  # [1, fan_in]
    u = _l2_normalize(ops.matmul(v, w))  # [1, units]
    return u, v

  def sigma(self):
    """The current estimate of the kernel's largest singular value (float32 scalar)."""
    w = ops.reshape(self._kernel.value, (-1, self._kernel.shape[-1]))
    u, v = self._vectors(w)
    return ops.sum(ops.matmul(v, w) * u)

  @property
  def kernel(self):
    return ops.cast(self._kernel.value / self.sigma(), self.compute_dtype)

  def call(self, inputs, training=None):
    if training:
      w = ops.reshape(self._kernel.value, (-1, self._kernel.shape[-1]))
      self.sn_u.assign(self._vectors(w)[0])
    return super().call(inputs)


def _l2_normalize(x):
  return x / ops.sqrt(ops.sum(ops.square(x)) + 1e-12)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SpectralDense(_SpectralKernel, layers.Dense):
  """keras.layers.Dense whose kernel is spectrally normalised (see `_SpectralKernel`)."""


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SpectralConv2D(_SpectralKernel, layers.Conv2D):
  """keras.layers.Conv2D whose kernel is spectrally normalised (see `_SpectralKernel`)."""


_SPECTRAL = {layers.Dense: SpectralDense, layers.Conv2D: SpectralConv2D}


def spectral(layer, enabled):
  """`layer` (an unbuilt Dense or Conv2D) as its spectrally normalised twin when enabled."""
  if not enabled:
    return layer
  if type(layer) not in _SPECTRAL:
    raise TypeError(f"spectral normalization supports {[c.__name__ for c in _SPECTRAL]}, "
                    f"got {type(layer).__name__}.")
  return _SPECTRAL[type(layer)].from_config(layer.get_config())


class GeneratorBase(NetworkBase):
  """A generator: z [B, latent_dim] (and labels [B] when conditional) -> images."""

  @property
  def input_spec_shape(self):
    return (self.latent_dim,)

  def join_labels(self, inputs):
    """z, or [z, one_hot(y)] joined along features (Mirza & Osindero 2014,
    https://arxiv.org/abs/1411.1784)."""
    z, labels = self.split_inputs(inputs)
    if labels is None:
      return z
    return ops.concatenate([z, ops.one_hot(labels, self.num_classes, dtype=z.dtype)], axis=-1)


class DiscriminatorBase(NetworkBase):
  """A discriminator: images [B, H, W, C] (and labels [B] when conditional) -> logits [B, 1].

  Conditioning is by projection (Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637):
  logit = w.h + b + <embed(y), h> on the last features h, or by concatenating one-hot label
  planes to the input image ("concat").
  """

  @property
  def input_spec_shape(self):
    return self.image_shape

  def make_head(self, features, spectral_norm):
    self.logits = self._attr(spectral(layers.Dense(1, name="logits"), spectral_norm))
    self.embed = None
    if self.num_classes and self.conditioning == "projection":
      # Not spectrally normalised: SNGAN's projection discriminator leaves the embedding free.
      self.embed = self._attr(layers.Embedding(self.num_classes, features, name="embed"))

  def concat_labels(self, images, labels):
    """Images with num_classes one-hot planes appended when conditioning by concatenation."""
    if labels is None or self.conditioning != "concat":
      return images
    planes = ops.one_hot(labels, self.num_classes, dtype=images.dtype)[:, None, None, :]
    planes = ops.broadcast_to(planes, tuple(ops.shape(images)[:3]) + (self.num_classes,))
    return ops.concatenate([images, planes], axis=-1)

  def head(self, h, labels, training):
    logits = self.logits(h, training=training)
    if self.embed is not None:
      logits = logits + ops.sum(self.embed(labels) * h, axis=-1, keepdims=True)
    return logits


def check_d_options(normalization, conditioning, allowed=NORMALIZATIONS):
  if normalization not in allowed:
    raise ValueError(f"normalization must be one of {allowed}, got {normalization!r}.")
  if conditioning not in CONDITIONINGS:
    raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got {conditioning!r}.")
