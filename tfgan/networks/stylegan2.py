"""StyleGAN2 (Karras et al. 2020, https://arxiv.org/abs/1912.04958): a mapping network and a
skip-architecture synthesis network in one generator, and the residual discriminator, as
NVlabs' stylegan2-ada-pytorch builds them (its 'auto' configuration; layers in
tfgan.networks.stylegan2_layers).

Generator: z [B, latent_dim] (with labels [B] when conditional) -> w = mapping(z) (z divided
by its root mean square, `mapping_layers` equalised dense layers with lrelu and learning-rate
multiplier 0.01; a conditional run's one-hot label embedded, normalised the same way and
joined to z) -> ws [B, num_ws, w_dim], w repeated, num_ws = 2 log2(side) - 2 -> synthesis: a
learned 4x4 constant, per resolution 4 .. side a modulated 3x3 convolution that upsamples
(none at 4x4), a second one, and a toRGB (modulated 1x1, no demodulation) whose output is
added to the running image upsampled with the [1, 3, 3, 1] FIR filter. Block b's toRGB shares
its w with block b+1's first convolution. w_avg (the running mean of w, updated by the family
with `update_w_avg`) is the centre of truncation. Images are float32, about [-1, 1] (not
squashed: callers clip). Inference (training=False) uses each layer's fixed noise map, so a
seed always gives the same image; training draws fresh noise.

Discriminator (resnet): a 1x1 fromRGB, then per resolution side .. 8 a block (3x3 conv,
3x3 conv blurred and strided down, beside a 1x1 strided skip without bias, both x sqrt(0.5)),
then at 4x4 the minibatch standard deviation (group 4, 1 channel), a 3x3 conv, a dense layer
and the logit; conditional by projection, logit + <embed(y), h> / sqrt(dim).

Channels per resolution r: min(fmaps 32768 / r, 512) x width, fmaps 1 from 512 px and 0.5
below (NVlabs' 'auto' rule); any square power-of-two side from 8 to 1024.
"""

import math

import keras
from keras import ops

from tfgan.layers import PACKAGE, MinibatchStdDev
from tfgan.networks.base import DiscriminatorBase, GeneratorBase
from tfgan.networks.stylegan2_layers import (EqualizedConv2D, EqualizedDense, ModulatedConv2D,
                                             upsample)


def channels(resolution, side, width):
  """The channel count at `resolution` of a network for `side`-pixel images (the module
  docstring's rule), at least 1."""
  fmaps = 1.0 if side >= 512 else 0.5
  return max(1, int(round(min(fmaps * 32768 / resolution, 512) * width)))


def check_image_shape(image_shape):
  """The side of a square power-of-two image_shape (H, W, C) from 8 to 1024; ValueError
  naming image_size otherwise."""
  h, w = int(image_shape[0]), int(image_shape[1])
  if h != w or h < 8 or h > 1024 or h & (h - 1):
    raise ValueError(f"stylegan2 takes square images of 8, 16, ..., 1024 pixels "
                     f"(--image_size), got {h}x{w}.")
  return h


def mixing_cutoff(num_ws, probability, seed):
  """StyleGAN2's style-mixing point for one batch: int32 scalar, uniform over 1 .. num_ws - 1
  with `probability` (0.9 in the paper), else num_ws (no mixing). seed: a SeedGenerator."""
  u = keras.random.uniform((2,), seed=seed)
  cutoff = 1 + ops.cast(ops.floor(u[0] * (num_ws - 1)), "int32")
  return ops.where(u[1] < probability, ops.minimum(cutoff, num_ws - 1), num_ws)


def mix_styles(ws, other, cutoff):
  """ws float32 [B, num_ws, w_dim] with its styles from index `cutoff` on taken from `other`
  (same shape): coarse styles from ws, fine ones from other."""
  keep = ops.arange(ops.shape(ws)[1])[None, :, None] < cutoff
  return ops.where(keep, ws, other)


def normalize_2nd_moment(x):
  """x / sqrt(mean(x^2 over features) + 1e-8), per row of x [B, F]."""
  return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + 1e-8)


@keras.saving.register_keras_serializable(package=PACKAGE)
class StyleGAN2Generator(GeneratorBase):
  """The mapping and synthesis networks (module docstring): z -> images [B, H, W, C].

  Args:
    latent_dim: z's size; w_dim: w's (None: latent_dim; 512 both in the paper).
    image_shape: (side, side, C), side a power of two from 8 to 1024.
    width: multiplies every synthesis channel count.
    num_classes: > 0: conditional (labels embedded beside z).
    mapping_layers: 2 ('auto'), 8 (the paper). lr_mul: the mapping layers' multiplier.
    clamp: activations clipped to +-clamp (NVlabs: 256 with float16); None: not clipped.
  """

  def __init__(self, latent_dim=512, image_shape=(64, 64, 3), width=1.0, num_classes=0,
               w_dim=None, mapping_layers=2, lr_mul=0.01, clamp=None, **kwargs):
    super().__init__(**kwargs)
    if self.codes:
      raise ValueError("stylegan2 takes no InfoGAN codes.")
    image_shape = tuple(int(s) for s in image_shape)
    side = check_image_shape(image_shape)
    w_dim = int(w_dim or latent_dim)
    self._args = dict(latent_dim=int(latent_dim), image_shape=image_shape, width=float(width),
                      num_classes=int(num_classes), w_dim=w_dim,
                      mapping_layers=int(mapping_layers), lr_mul=float(lr_mul), clamp=clamp)
    self.latent_dim, self.image_shape, self.num_classes = int(latent_dim), image_shape, \
        int(num_classes)
    self.w_dim, self.log2_side = w_dim, int(math.log2(side))
    self.num_ws = 2 * self.log2_side - 2
    if int(mapping_layers) < 1:
      raise ValueError(f"mapping_layers must be >= 1, got {mapping_layers!r}.")
    self.embed = self._attr(EqualizedDense(w_dim, name="embed")) if self.num_classes else None
    self.mapping_net = [self._attr(EqualizedDense(w_dim, lr_mul=lr_mul, activation=True,
                                                  name=f"mapping_{i}"))
                        for i in range(int(mapping_layers))]
    # The running mean of w (the truncation centre): a weight, so saved and exported.
    # Every replica assigns the same value (the global batch's mean w).
    self.w_avg = self.add_weight(name="w_avg", shape=(w_dim,), initializer="zeros",
                                 trainable=False, aggregation="only_first_replica")
    ch = lambda r: channels(r, side, width)  # noqa: E731
    self.const = self.add_weight(name="const", shape=(4, 4, ch(4)),
                                 initializer=keras.initializers.RandomNormal(0.0, 1.0))
    self.blocks = []
    for k in range(2, self.log2_side + 1):
      r = 2 ** k
      convs = ([] if r == 4 else [ModulatedConv2D(ch(r), up=True, clamp=clamp,
                                                  name=f"b{r}_conv0")])
      convs.append(ModulatedConv2D(ch(r), clamp=clamp, name=f"b{r}_conv1"))
      to_rgb = ModulatedConv2D(image_shape[-1], 1, demodulate=False, noise=False,
                               activation=False, clamp=clamp, name=f"b{r}_torgb")
      self.blocks.append(([self._attr(c) for c in convs], self._attr(to_rgb)))

  def mapping(self, z, labels=None, psi=1.0, cutoff=None):
    """ws float32 [B, num_ws, w_dim] of z [B, latent_dim] (labels int [B] when conditional):
    w repeated num_ws times; with psi != 1, ws[:, :cutoff] (all when cutoff is None) moved
    to w_avg + psi (w - w_avg)."""
    x = normalize_2nd_moment(ops.cast(z, "float32"))
    if self.num_classes:
      if labels is None:
        raise ValueError(f"{self.name} is conditional on {self.num_classes} classes: give "
                         f"labels.")
      y = self.embed(ops.one_hot(ops.cast(labels, "int32"), self.num_classes))
      x = ops.concatenate([x, normalize_2nd_moment(y)], axis=-1)
    for layer in self.mapping_net:
      x = layer(x)
    ws = ops.repeat(x[:, None, :], self.num_ws, axis=1)
    if psi != 1.0:
      truncated = self.w_avg + psi * (ws - self.w_avg)
      if cutoff is None:
        ws = truncated
      else:
        keep = ops.arange(self.num_ws)[None, :, None] < int(cutoff)
        ws = ops.where(keep, truncated, ws)
    return ws

  def update_w_avg(self, w_mean, beta=0.995):
    """w_avg <- beta w_avg + (1 - beta) w_mean; w_mean float32 [w_dim], the batch's mean w
    (one per replica reduced by the caller)."""
    self.w_avg.assign(beta * self.w_avg + (1.0 - beta) * ops.cast(w_mean, "float32"))

  def noise_layers(self):
    """The synthesis layers that add noise, in order: their `noise_const` [H', W', 1] are the
    maps `synthesis(noise=...)` replaces."""
    return [conv for convs, _ in self.blocks for conv in convs]

  def synthesis(self, ws, noise_mode="const", noise=None):
    """Images float32 [B, H, W, C] of ws float32 [B, num_ws, w_dim]; noise_mode 'random'
    (training), 'const' (each layer's fixed map) or 'none'; or `noise`, one map
    [B or 1, H', W', 1] per noise layer (noise_layers order)."""
    x = ops.repeat(self.const[None], ops.shape(ws)[0], axis=0)
    image, i = None, 0
    maps = iter(noise) if noise is not None else None
    for convs, to_rgb in self.blocks:
      for conv in convs:
        x = conv([x, ws[:, i]], noise_mode=noise_mode,
                 noise=next(maps) if maps is not None else None)
        i += 1
      y = to_rgb([x, ws[:, i]])
      image = y if image is None else upsample(image) + y
    return image

  def call(self, inputs, training=False):
    z, labels = self.split_inputs(inputs)
    return self.synthesis(self.mapping(z, labels), "random" if training else "const")

  # NVlabs' metrics (metric_utils.compute_feature_stats_for_generator) call G with its default
  # noise_mode 'random'; its generate.py renders with 'const', as tfgan.sample does.
  metric_protocol = "noise: fresh N(0, 1) maps per image and layer (noise_mode 'random')"

  def metric_images(self, inputs, rng):
    """Images float32 [B, H, W, C] of `inputs` at psi 1 with fresh noise (metric_protocol):
    one map [B, H', W', 1] per noise layer drawn from `rng`, a numpy Generator."""
    z, labels = self.split_inputs(inputs)
    ws = self.mapping(z, labels)
    b = int(ops.shape(ws)[0])
    noise = [rng.standard_normal((b,) + tuple(layer.noise_const.shape)).astype("float32")
             for layer in self.noise_layers()]
    return self.synthesis(ws, noise=noise)


@keras.saving.register_keras_serializable(package=PACKAGE)
class StyleGAN2Discriminator(DiscriminatorBase):
  """The residual discriminator (module docstring): images [B, H, W, C] in [-1, 1] (with
  labels [B] when conditional) -> logits float32 [B, 1].

  Args:
    image_shape, width: as the generator's. num_classes: > 0: projection on the labels.
    mbstd_group: examples per minibatch-standard-deviation group (4; the batch when smaller,
      which it must divide).
    clamp: as the generator's.
  """

  def __init__(self, image_shape=(64, 64, 3), width=1.0, num_classes=0, mbstd_group=4,
               clamp=None, **kwargs):
    super().__init__(**kwargs)
    if self.info_codes:
      raise ValueError("stylegan2's discriminator has no InfoGAN head.")
    image_shape = tuple(int(s) for s in image_shape)
    side = check_image_shape(image_shape)
    self._args = dict(image_shape=image_shape, width=float(width), num_classes=int(num_classes),
                      mbstd_group=int(mbstd_group), clamp=clamp)
    self.image_shape, self.num_classes = image_shape, int(num_classes)
    ch = lambda r: channels(r, side, width)  # noqa: E731
    half = math.sqrt(0.5)  # the two paths of a block summed at unit variance
    self.from_rgb = EqualizedConv2D(ch(side), 1, clamp=clamp, name="from_rgb")
    self.blocks = []
    r = side
    while r > 4:
      self.blocks.append((
          self._attr(EqualizedConv2D(ch(r // 2), 1, down=True, use_bias=False,
                                     activation=False, gain=half, name=f"b{r}_skip")),
          self._attr(EqualizedConv2D(ch(r), 3, clamp=clamp, name=f"b{r}_conv0")),
          self._attr(EqualizedConv2D(ch(r // 2), 3, down=True, gain=half, clamp=clamp,
                                     name=f"b{r}_conv1"))))
      r //= 2
    self.mbstd = MinibatchStdDev(int(mbstd_group), name="mbstd")
    self.conv = EqualizedConv2D(ch(4), 3, clamp=clamp, name="b4_conv")
    self.fc = EqualizedDense(ch(4), activation=True, name="b4_fc")
    self.out = EqualizedDense(1, name="b4_out")
    self.embed = self._attr(EqualizedDense(ch(4), name="embed")) if self.num_classes else None

  def call(self, inputs, training=False):
    images, labels = self.split_inputs(inputs)
    x = self.from_rgb(ops.cast(images, "float32"))
    for skip, conv0, conv1 in self.blocks:
      x = skip(x) + conv1(conv0(x))
    x = self.conv(self.mbstd(x))
    h = self.fc(ops.reshape(x, (ops.shape(x)[0], -1)))
    logits = self.out(h)
    if self.embed is not None:
      y = self.embed(ops.one_hot(labels, self.num_classes))
      logits = logits + ops.sum(y * h, axis=-1, keepdims=True) / math.sqrt(h.shape[-1])
    return logits
