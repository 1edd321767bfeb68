"""Base classes of tfgan's networks: serializable Keras models that build their variables at
construction, generators and discriminators, and conditioning on class labels.

Every generator maps z, float32 [B, latent_dim] ~ N(0, I) (with int labels [B] as
`[z, labels]` when `num_classes` > 0), to images float32 [B, H, W, C] in [-1, 1]. Every
discriminator maps images [B, H, W, C] in [-1, 1] (with labels as `[images, labels]` when
conditional) to logits float32 [B, 1], or [B, 1 + info_codes] with an InfoGAN head.

Codes read from z: a generator built with `codes` = K > 0 draws a categorical code c from its
own latent (`latent_code`: c ~ Categorical(code_probs), uniform by default, from z's first K
entries or, with code_draw 'inverse_cdf', from its first entry alone) and sees
one_hot(c) beside z, so it stays an ordinary z -> image model for sampling, evaluation and
export. InfoGAN (Chen et al. 2016, https://arxiv.org/abs/1606.03657) pairs it with a
discriminator built with `info_codes` = K, whose K extra logits (D's auxiliary network Q)
predict c; cluster conditioning (tfgan.models.gan) with a discriminator conditioned on c.
"""

import itertools

import keras
from keras import layers, ops

from tfgan.layers import spectral

NORMALIZATIONS = ("batch", "spectral", "none")
CONDITIONINGS = ("projection", "concat")


def scaled(units, width):
  """`units` times the width multiplier, at least 1."""
  return max(1, int(round(units * width)))


CODE_DRAWS = ("argmax", "inverse_cdf")
_ROOT_HALF = 0.7071067811865476  # 1 / sqrt(2): Phi(z) = erfc(-z / sqrt(2)) / 2


def latent_code(z, codes, probs=None, draw="argmax"):
  """The categorical code of latents z float [B, D], K = codes: int32 [B] in [0, K).

  draw 'argmax' reads z's first K entries (D >= K). Uniform (probs None): argmax(z[:, :K]),
  uniform over K when z ~ N(0, I). With probs p (K positive floats summing to 1): the
  Gumbel-max draw argmax_k(log p_k + g_k) with g_k = -log(-log Phi(z_k)), Phi the normal CDF:
  Phi(z_k) ~ U(0, 1), so g_k ~ Gumbel(0, 1) and c ~ Categorical(p) (Gumbel 1954; Maddison et
  al. 2014). Uniform p gives the same code as probs None (the map z -> g is increasing).

  draw 'inverse_cdf' reads z's first entry alone (any D >= 1): u = Phi(z_0) ~ U(0, 1) and c
  is the k with P_{k-1} <= u < P_k, P the cumulative sums of p (uniform when probs is None),
  so c ~ Categorical(p) whatever K is; it costs one entry of z instead of K.
  """
  if draw not in CODE_DRAWS:
    raise ValueError(f"draw must be one of {CODE_DRAWS}, got {draw!r}.")
  if draw == "inverse_cdf":
    u = 0.5 * ops.erfc(-ops.cast(z[:, 0], "float32") * _ROOT_HALF)
    p = [1.0 / codes] * codes if probs is None else list(probs)
    # The K - 1 inner boundaries; c counts those at or below u (u = 1.0 in float32 lands on
    # K - 1, never K). Summed in Python floats: float32 cumsums of 400 shares drift by ~1e-5.
    bounds = list(itertools.accumulate(p))[:-1]
    below = ops.cast(u[:, None] >= ops.convert_to_tensor(bounds, "float32")[None, :], "int32")
    return ops.sum(below, axis=-1)
  head = ops.cast(z[:, :codes], "float32")
  if probs is None:
    return ops.cast(ops.argmax(head, axis=-1), "int32")
  # log Phi(z), accurate in both tails: erfc keeps the small lower-tail values, log1p the
  # upper tail where Phi rounds to 1.
  log_phi = ops.where(head < 0, ops.log(0.5 * ops.erfc(-head * _ROOT_HALF)),
                      ops.log1p(-0.5 * ops.erfc(head * _ROOT_HALF)))
  gumbel = -ops.log(-log_phi)
  log_p = ops.log(ops.convert_to_tensor(probs, "float32"))
  return ops.cast(ops.argmax(log_p[None, :] + gumbel, axis=-1), "int32")


class NetworkBase(keras.Model):
  """Keeps constructor arguments for get_config, registers layers for tf.train.Checkpoint,
  and builds every variable by running one zero example (with label 0 when conditional)."""

  num_classes = 0
  # Constructor arguments kept by a base class (codes, info_codes): in get_config only when
  # set, so the configs saved before they existed stay identical.
  _base_args = {}

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
    return {**super().get_config(), **self._args, **self._base_args}

  @classmethod
  def from_config(cls, config):
    return cls(**config)



class GeneratorBase(NetworkBase):
  """A generator: z [B, latent_dim] (and labels [B] when conditional) -> images.

  Args:
    codes: K > 0: a categorical code c = latent_code(z, K, code_probs, code_draw) is read
      from z and one_hot(c) joined to it (see the module docstring). 0: none.
    code_probs: K probabilities of the codes (summing to 1); None: uniform.
    code_draw: 'argmax' reads z's first K entries (needs latent_dim >= K); 'inverse_cdf'
      reads z's first entry alone, for many codes at a small latent_dim.
  """

  def __init__(self, codes=0, code_probs=None, code_draw="argmax", **kwargs):
    super().__init__(**kwargs)
    codes = int(codes)
    if codes < 0 or codes == 1:
      raise ValueError(f"codes must be 0 (none) or >= 2, got {codes!r}.")
    if code_draw not in CODE_DRAWS:
      raise ValueError(f"code_draw must be one of {CODE_DRAWS}, got {code_draw!r}.")
    if code_probs is not None:
      code_probs = tuple(float(p) for p in code_probs)
      if len(code_probs) != codes or min(code_probs) <= 0 or abs(sum(code_probs) - 1) > 1e-3:
        raise ValueError(f"code_probs must be {codes} positive probabilities summing to 1, "
                         f"got {code_probs!r}.")
    self.codes, self.code_probs, self.code_draw = codes, code_probs, code_draw
    # 'argmax' stays out of the config, as saved before code_draw existed.
    self._base_args = {k: v for k, v in (("codes", codes), ("code_probs", code_probs)) if v}
    if code_draw != "argmax":
      self._base_args["code_draw"] = code_draw

  # How metric_images draws what the inference images fix, for metrics rows ('' : nothing).
  metric_protocol = ""

  def metric_images(self, inputs, rng):
    """The images the sample-quality metrics score for `inputs` (z float32 [B, latent_dim],
    or [z, labels int32 [B]]): float32 [B, H, W, C] in about [-1, 1]. Here the inference
    images, self(inputs, training=False); a generator with randomness of its own besides z
    (StyleGAN2's per-layer noise) draws it from `rng`, a numpy Generator, so an evaluation
    repeats with its seed. `metric_protocol` names what is drawn."""
    del rng
    return self(inputs, training=False)

  def code(self, z):
    """The code of latents z [B, latent_dim]: int32 [B] in [0, codes); None without codes."""
    return latent_code(z, self.codes, self.code_probs, self.code_draw) if self.codes else None

  @property
  def input_spec_shape(self):
    return (self.latent_dim,)

  def join_code(self, z):
    """z [B, D], with one_hot(code(z)) [B, K] appended when codes = K > 0."""
    if not self.codes:
      return z
    if self.code_draw == "argmax" and z.shape[-1] is not None and z.shape[-1] < self.codes:
      raise ValueError(f"{self.name}: codes {self.codes} needs latent_dim >= {self.codes}, "
                       f"got {z.shape[-1]}.")
    return ops.concatenate([z, ops.one_hot(self.code(z), self.codes, dtype=z.dtype)], axis=-1)

  def join_labels(self, inputs):
    """z, or [z, one_hot(y)] joined along features (Mirza & Osindero 2014,
    https://arxiv.org/abs/1411.1784); with codes, one_hot(code(z)) is appended too."""
    z, labels = self.split_inputs(inputs)
    z = self.join_code(z)
    if labels is None:
      return z
    return ops.concatenate([z, ops.one_hot(labels, self.num_classes, dtype=z.dtype)], axis=-1)


class DiscriminatorBase(NetworkBase):
  """A discriminator: images [B, H, W, C] (and labels [B] when conditional) -> logits [B, 1]
  ([B, 1 + info_codes] with InfoGAN's Q head: column 0 real/fake, then the code's logits).

  Args:
    info_codes: K > 0 adds InfoGAN's Q head, K logits of the code c the image was made with
      (a linear layer on the last features). 0: none.

  Conditioning is by projection (Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637):
  logit = w.h + b + <embed(y), h> on the last features h, or by concatenating one-hot label
  planes to the input image ("concat").
  """

  def __init__(self, info_codes=0, **kwargs):
    super().__init__(**kwargs)
    if int(info_codes) < 0 or int(info_codes) == 1:
      raise ValueError(f"info_codes must be 0 (none) or >= 2, got {info_codes!r}.")
    self.info_codes = int(info_codes)
    self._base_args = {"info_codes": self.info_codes} if self.info_codes else {}

  @property
  def input_spec_shape(self):
    return self.image_shape

  def make_head(self, features, spectral_norm):
    self.logits = self._attr(spectral(layers.Dense(1, name="logits"), spectral_norm))
    self.embed = None
    if self.num_classes and self.conditioning == "projection":
      # Spectrally normalised with the rest of D, as SNGAN's projection code (SNEmbedID) and
      # BigGAN do: a free embedding would make <embed(y), h> unbounded in the labels' weights.
      self.embed = self._attr(spectral(layers.Embedding(self.num_classes, features,
                                                        name="embed"), spectral_norm))
    # InfoGAN's Q: a linear head on D's last features (Chen et al. share every layer but the
    # last; their extra 128-unit layer is left out). Not spectrally normalised: Q is a
    # classifier trained by cross-entropy, not part of the Lipschitz critic.
    self.info_logits = self._attr(layers.Dense(self.info_codes, name="info_logits")) if (
        self.info_codes) else None

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
      logits = logits + ops.sum(self.embed(labels, training=training) * h, axis=-1,
                                keepdims=True)
    if self.info_logits is not None:
      logits = ops.concatenate([logits, self.info_logits(h)], axis=-1)
    return logits


def check_d_options(normalization, conditioning, allowed=NORMALIZATIONS):
  """Raises ValueError naming the option when a discriminator option is not available."""
  if normalization not in allowed:
    raise ValueError(f"normalization must be one of {allowed}, got {normalization!r}.")
  if conditioning not in CONDITIONINGS:
    raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got {conditioning!r}.")
