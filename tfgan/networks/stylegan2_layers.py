"""Building blocks of StyleGAN2 (Karras et al. 2020, https://arxiv.org/abs/1912.04958), as
NVlabs' stylegan2-ada-pytorch trains them; the networks are in tfgan.networks.stylegan2.

Equalised learning rate (Karras et al. 2018, sec. 4.1): every layer stores its weights
N(0, 1) / lr_mul and scales them at run time by lr_mul / sqrt(fan_in) (biases by lr_mul), so
Adam's steps are the same size relative to every layer's weights; lr_mul 0.01 slows the
mapping network by 100x.

FIR resampling with the [1, 3, 3, 1] filter f (outer product, normalised to sum 1): `upsample`
inserts a zero after each pixel, pads 2 before and 1 after per axis and convolves with 4 f
(x2 side); `blur` pads (p0, p1) and convolves with f (stride 2 keeps the even pixels). All
images are NHWC float32.

Modulated convolution (StyleGAN2 sec. 2.2): styles s = affine(w) [B, in] (bias 1 at init)
scale the input channels, one shared kernel convolves, and with demodulation each output
channel is divided by sqrt(sum_{kh, kw, in} (w s)^2 + 1e-8): the non-fused form NVlabs trains
with, equal to the per-example kernels w * s / norm.
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from tfgan import distribute
from tfgan.layers import PACKAGE

SQRT2 = math.sqrt(2.0)  # lrelu's gain: keeps the activations' second moment (He et al.)
FIR = (1.0, 3.0, 3.0, 1.0)


def fir_filter():
  """float32 [4, 4]: outer([1, 3, 3, 1]) / 64 (sums to 1)."""
  f = np.outer(FIR, FIR)
  return (f / f.sum()).astype(np.float32)


def _depthwise(x, kernel, stride=1):
  """x [B, H, W, C] convolved channel by channel with kernel [k, k], VALID padding."""
  channels = x.shape[-1]
  k = ops.convert_to_tensor(np.tile(kernel[:, :, None, None], (1, 1, channels, 1)))
  return ops.depthwise_conv(x, ops.cast(k, x.dtype), strides=stride, padding="valid")


def blur(x, pad, stride=1):
  """x [B, H, W, C] zero-padded by `pad` = (p0, p1) per axis, then convolved with the FIR
  filter (gain 1), keeping every `stride`-th pixel: [B, (H + p0 + p1 - 4) // stride + 1, ...]."""
  p0, p1 = pad
  x = ops.pad(x, ((0, 0), (p0, p1), (p0, p1), (0, 0)))
  return _depthwise(x, fir_filter(), stride)


def upsample(x):
  """x [B, H, W, C] -> [B, 2H, 2W, C]: zeros inserted after each pixel, padded (2, 1) per
  axis, convolved with 4 x the FIR filter (a constant image stays constant inside)."""
  b, h, w, c = ops.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
  x = ops.reshape(x, (b, h, 1, w, 1, c))
  x = ops.pad(x, ((0, 0), (0, 0), (0, 1), (0, 0), (0, 1), (0, 0)))
  x = ops.reshape(x, (b, 2 * h, 2 * w, c))
  x = ops.pad(x, ((0, 0), (2, 1), (2, 1), (0, 0)))
  return _depthwise(x, 4.0 * fir_filter())


def lrelu(x, gain=SQRT2, clamp=None):
  """leaky ReLU (slope 0.2) times `gain`, clipped to [-clamp, clamp] when clamp is set.
  Written as x times a slope (gain where x >= 0, else 0.2 gain), so its gradient is one
  multiplication by the same slope and its second derivative none: max(x, 0.2 x) gave each
  backward pass two selects and a comparison, 15% of a StyleGAN2 iteration's op time on the
  2-core CPU (2026-12-07); TensorFlow's LeakyRelu op, differentiated twice (R1, path length),
  makes grappler's remapper fail with an error line in every run's log."""
  slope = tf.where(x >= 0, tf.constant(gain, x.dtype), tf.constant(0.2 * gain, x.dtype))
  x = x * slope
  return x if clamp is None else ops.clip(x, -clamp, clamp)


def _normal(stddev):
  return keras.initializers.RandomNormal(0.0, stddev)


@keras.saving.register_keras_serializable(package=PACKAGE)
class EqualizedDense(layers.Layer):
  """y = x @ (W lr_mul / sqrt(in)) + b lr_mul, W stored N(0, 1/lr_mul^2) and b stored
  `bias_init` (as NVlabs: the bias starts at bias_init x lr_mul); then lrelu x sqrt(2) when
  `activation`. x [B, in] -> [B, units]."""

  def __init__(self, units, lr_mul=1.0, bias_init=0.0, activation=False, **kwargs):
    super().__init__(**kwargs)
    self.units, self.lr_mul, self.bias_init = int(units), float(lr_mul), float(bias_init)
    self.activation = bool(activation)

  def build(self, input_shape):
    fan_in = int(input_shape[-1])
    self.kernel = self.add_weight(name="kernel", shape=(fan_in, self.units),
                                  initializer=_normal(1.0 / self.lr_mul))
    self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=keras.initializers
                                .Constant(self.bias_init))
    self.gain = self.lr_mul / math.sqrt(fan_in)

  def call(self, x):
    y = ops.matmul(x, self.kernel * self.gain) + self.bias * self.lr_mul
    return lrelu(y) if self.activation else y

  def get_config(self):
    return {**super().get_config(), "units": self.units, "lr_mul": self.lr_mul,
            "bias_init": self.bias_init, "activation": self.activation}


@keras.saving.register_keras_serializable(package=PACKAGE)
class EqualizedConv2D(layers.Layer):
  """A k x k convolution with equalised learning rate (kernel N(0, 1) x 1/sqrt(in k k)), SAME
  padding; with `down` (NVlabs' padding): 3x3 blurred with pad (2, 2) then strided by 2, 1x1
  blurred with pad (1, 1) keeping the even pixels then convolved. Then bias (unless
  use_bias=False) and lrelu x sqrt(2) x `gain` when `activation`, else x `gain`; clipped to
  +-clamp x gain when clamp is set.
  [B, H, W, in] -> [B, H, W, filters] ([B, H/2, W/2, filters] with down)."""

  def __init__(self, filters, kernel_size=3, down=False, use_bias=True, activation=True,
               gain=1.0, clamp=None, **kwargs):
    super().__init__(**kwargs)
    self.filters, self.kernel_size, self.down = int(filters), int(kernel_size), bool(down)
    self.use_bias, self.activation, self.gain = bool(use_bias), bool(activation), float(gain)
    self.clamp = None if clamp is None else float(clamp)

  def build(self, input_shape):
    fan_in = int(input_shape[-1]) * self.kernel_size ** 2
    self.kernel = self.add_weight(name="kernel", shape=(self.kernel_size, self.kernel_size,
                                                        int(input_shape[-1]), self.filters),
                                  initializer=_normal(1.0))
    self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros") \
        if self.use_bias else None
    self.weight_gain = 1.0 / math.sqrt(fan_in)

  def call(self, x):
    w = self.kernel * self.weight_gain
    if self.down and self.kernel_size == 1:
      y = ops.conv(blur(x, (1, 1), stride=2), w, padding="valid")
    elif self.down:
      y = ops.conv(blur(x, (2, 2)), w, strides=2, padding="valid")
    else:
      y = ops.conv(x, w, padding="same")
    if self.bias is not None:
      y = y + self.bias
    clamp = None if self.clamp is None else self.clamp * self.gain
    if self.activation:
      return lrelu(y, SQRT2 * self.gain, clamp)
    y = y * self.gain
    return y if clamp is None else ops.clip(y, -clamp, clamp)

  def get_config(self):
    return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
            "down": self.down, "use_bias": self.use_bias, "activation": self.activation,
            "gain": self.gain, "clamp": self.clamp}


NOISE_MODES = ("random", "const", "none")


@keras.saving.register_keras_serializable(package=PACKAGE)
class ModulatedConv2D(layers.Layer):
  """A style-modulated k x k convolution: inputs [x [B, H, W, in], w [B, w_dim]] ->
  [B, H', W', filters], H' = 2H with `up`, else H.

  StyleGAN2's synthesis layer (`demodulate`, k = 3): s = affine(w) (bias 1 at init), x s, the
  shared kernel (stored N(0, 1), no gain: demodulation normalises), / sqrt(sum (w s)^2 + 1e-8)
  per output channel, plus noise (one N(0, 1) map [B, H', W', 1] times a learned strength
  initialised to 0; `noise_mode` 'random' draws it, 'const' uses a map fixed at construction,
  'none' adds none), bias, lrelu x sqrt(2), clip to +-clamp. With `up` the convolution is
  transposed with stride 2 (VALID: 2H + 1), then padded (1, 1) and blurred with 4 f (2H):
  equal to inserting zeros, padding (3, 2), blurring with 4 f and a VALID convolution.

  Its toRGB (demodulate=False, k = 1, activation False, noise False): styles scaled by
  1/sqrt(in), no demodulation, bias, linear.
  """

  def __init__(self, filters, kernel_size=3, up=False, demodulate=True, noise=True,
               activation=True, clamp=None, seed=None, **kwargs):
    super().__init__(**kwargs)
    self.filters, self.kernel_size, self.up = int(filters), int(kernel_size), bool(up)
    self.demodulate, self.noise, self.activation = bool(demodulate), bool(noise), \
        bool(activation)
    self.clamp = None if clamp is None else float(clamp)
    self.seed_generator = keras.random.SeedGenerator(seed) if self.noise else None

  def build(self, input_shape):
    x_shape, w_shape = input_shape
    fan_in = int(x_shape[-1])
    self.affine = EqualizedDense(fan_in, bias_init=1.0, name="affine")
    self.affine.build(w_shape)
    self.kernel = self.add_weight(name="kernel", shape=(self.kernel_size, self.kernel_size,
                                                        fan_in, self.filters),
                                  initializer=_normal(1.0))
    self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
    self.style_gain = 1.0 if self.demodulate else 1.0 / math.sqrt(fan_in * self.kernel_size**2)
    if self.noise:
      side = int(x_shape[1]) * (2 if self.up else 1)
      self.noise_const = self.add_weight(name="noise_const", shape=(side, side, 1),
                                         initializer=_normal(1.0), trainable=False)
      self.noise_strength = self.add_weight(name="noise_strength", shape=(),
                                            initializer="zeros")

  def call(self, inputs, noise_mode="random", noise=None):
    """noise: a map [B or 1, H', W', 1] to use instead of noise_mode's (projection
    optimises them)."""
    x, w = inputs
    if noise_mode not in NOISE_MODES:
      raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}.")
    styles = self.affine(w) * self.style_gain  # [B, in]
    x = x * ops.cast(styles[:, None, None, :], x.dtype)
    if self.up:
      b, h, wd = ops.shape(x)[0], x.shape[1], x.shape[2]
      # conv_transpose's kernel is [k, k, out, in], and it convolves (kernel flipped): flipped
      # here, the layer cross-correlates the zero-upsampled input with the stored kernel, as
      # its SAME branch does.
      kernel = ops.transpose(self.kernel[::-1, ::-1], (0, 1, 3, 2))
      x = tf.nn.conv2d_transpose(x, kernel, (b, 2 * h + 1, 2 * wd + 1, self.filters),
                                 strides=2, padding="VALID")
      x = _depthwise(ops.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))), 4.0 * fir_filter())
    else:
      x = ops.conv(x, self.kernel, padding="same")
    if self.demodulate:
      # d[b, o] = 1 / sqrt(sum_i s[b, i]^2 sum_{kh, kw} k[kh, kw, i, o]^2 + 1e-8)
      squares = ops.sum(ops.square(self.kernel), axis=(0, 1))  # [in, out]
      d = ops.rsqrt(ops.matmul(ops.square(styles), squares) + 1e-8)
      x = x * ops.cast(d[:, None, None, :], x.dtype)
    if self.noise and noise is not None:
      x = x + ops.cast(noise * self.noise_strength, x.dtype)
    elif self.noise and noise_mode != "none":
      if noise_mode == "random":
        # Drawn for the global batch, this replica keeping its rows: one device's draw.
        side = (x.shape[1], x.shape[2], 1)
        noise = distribute.replica_draw(
            lambda n: keras.random.normal((n,) + side, seed=self.seed_generator),
            ops.shape(x)[0])
      else:
        noise = self.noise_const[None]
      x = x + ops.cast(noise * self.noise_strength, x.dtype)
    x = x + self.bias
    if self.activation:
      return lrelu(x, SQRT2, self.clamp)
    return x if self.clamp is None else ops.clip(x, -self.clamp, self.clamp)

  def get_config(self):
    return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
            "up": self.up, "demodulate": self.demodulate, "noise": self.noise,
            "activation": self.activation, "clamp": self.clamp}
