"""The inpainting generator of DeepFill v2 (Yu et al. 2019, "Free-Form Image Inpainting with
Gated Convolution", https://arxiv.org/abs/1806.03589, sec. 3.1 and its reference code's coarse
network): gated convolutions in an encoder-decoder with a dilated middle, optionally followed
by a second (refinement) encoder-decoder of the same shape.

Inputs, one of:
  x float32 [B, H, W, C + 1] in [-1, 1]: an image (channels :C; the hole's values are
    ignored) and the mask as channel C, -1 = known, +1 = hole (2 m - 1: the uint8 0/255 mask
    of a PNG mapped to [-1, 1] like an image), the layout of tfgan.data.inpainting's pairs;
  [images float32 [B, H, W, C] in [-1, 1], masks float32 [B, H, W, 1] in {0, 1}, 1 = hole]
    (the SavedModel's serve(images, masks)).
Output float32 [B, H, W, C] in [-1, 1]: the known pixels of the input exactly, the network's
fill in the hole (composited as a select, so the known pixels are bit-exact).
Any H, W: the input is padded by reflection to a multiple of 4 (the two stride-2 levels) and
cropped back.
"""

import keras
import tensorflow as tf
from keras import layers, ops

from tfgan.layers import PACKAGE
from tfgan.networks.base import scaled
from tfgan.networks.unet import ImageNetworkBase

# DeepFill v2's dilation rates in the middle of the coarse network; rates at least as large as
# the middle level's side (H / 4) would sample mostly padding and are dropped (64 px: 2, 4, 8).
DILATIONS = (2, 4, 8, 16)
STAGES = (1, 2)


class GatedConv(layers.Layer):
  """A gated convolution: features and a soft gate from one convolution of 2 x `filters`
  channels, out = ELU(features) * sigmoid(gate), [B, H / stride, W / stride, filters].

  The gate learns where the input holds information (inside the hole at first nothing), which
  a plain convolution cannot tell from a black pixel (DeepFill v2 sec. 3.1). `activation=None`
  gives a plain convolution of `filters` channels (the output layer)."""

  def __init__(self, filters, kernel_size=3, strides=1, dilation_rate=1, activation="elu",
               **kwargs):
    super().__init__(**kwargs)
    self.filters, self.activation = int(filters), activation
    gated = activation is not None
    self.conv = layers.Conv2D(self.filters * (2 if gated else 1), kernel_size, strides=strides,
                              dilation_rate=dilation_rate, padding="same", name="conv")

  def build(self, input_shape):
    self.conv.build(input_shape)

  def call(self, x):
    h = self.conv(x)
    if self.activation is None:
      return h
    features, gate = ops.split(h, 2, axis=-1)
    return ops.elu(features) * ops.sigmoid(gate)

  def compute_output_shape(self, input_shape):
    return self.conv.compute_output_shape(input_shape)[:-1] + (self.filters,)


@keras.saving.register_keras_serializable(package=PACKAGE)
class GatedGenerator(ImageNetworkBase):
  """DeepFill v2's coarse network (and, with stages=2, its refinement network without the
  contextual-attention branch), channels scaled by `width`.

  Each stage, with c = round(24 * width) (DeepFill v2's cnum 48 halved by the gate: 24 output
  channels), all gated 3x3 ELU convolutions unless said:
    5x5 c | stride 2, 2c | 2c | stride 2, 4c | 4c | 4c | dilated 4c at DILATIONS | 4c | 4c |
    nearest x2, 2c | 2c | nearest x2, c | c / 2 | plain 3x3 to C channels, tanh.
  Stage 1 sees concat(image * (1 - m), ones, m) (the ones plane tells the zero padding of the
  borders from the zeroed hole, as in DeepFill v2); stage 2 sees stage 1's output composited
  into the known pixels, with the same ones and mask planes.

  `stages(x)` gives every stage's raw output (the L1 terms of training); `call` composites the
  last one.

  Args:
    image_shape: (H, W, C) of the images (not counting the mask channel); H and W are only
      the default build size.
    width: channel multiplier (1: DeepFill v2's 48-filter convolutions).
    stages: 1 (coarse only) or 2 (coarse, then refine).
  """
  num_downs = 0  # pads itself: tfgan.translation need not

  def __init__(self, image_shape=(64, 64, 3), width=1.0, stages=1, **kwargs):
    super().__init__(**kwargs)
    image_shape = tuple(int(s) for s in image_shape)
    if int(stages) not in STAGES:
      raise ValueError(f"stages must be one of {STAGES}, got {stages!r}.")
    self._args = dict(image_shape=image_shape, width=float(width), stages=int(stages))
    self.image_shape, self.out_channels = image_shape, image_shape[-1]
    self.test_mode = "inference"  # no dropout or batch norm
    c = scaled(24, width)
    middle = min(image_shape[:2]) // 4
    self.dilations = tuple(r for r in DILATIONS if r < middle) or (1,)
    self.stage_layers = []
    for s in range(int(stages)):
      def gated(filters, k=3, stride=1, rate=1, name=""):
        return self._attr(GatedConv(filters, k, stride, rate, name=f"stage{s}_{name}"))

      encoder = [gated(c, 5, name="conv1"), gated(2 * c, stride=2, name="down1"),
                 gated(2 * c, name="conv2"), gated(4 * c, stride=2, name="down2"),
                 gated(4 * c, name="conv3"), gated(4 * c, name="conv4")]
      middle_layers = [gated(4 * c, rate=r, name=f"dilated{r}") for r in self.dilations]
      middle_layers += [gated(4 * c, name="conv5"), gated(4 * c, name="conv6")]
      decoder = [gated(2 * c, name="up1"), gated(2 * c, name="conv7"),
                 gated(c, name="up2"), gated(max(1, c // 2), name="conv8")]
      last = self._attr(GatedConv(self.out_channels, 3, activation=None,
                                  name=f"stage{s}_out"))
      self.stage_layers.append((encoder + middle_layers, decoder, last))

  @property
  def input_spec_shape(self):
    return self.image_shape[:2] + (self.image_shape[-1] + 1,)

  def split(self, inputs):
    """(images float32 [B, H, W, C], masks float32 [B, H, W, 1] in {0, 1}) of either input
    layout (the module docstring)."""
    if isinstance(inputs, (list, tuple)):
      images, masks = inputs
      masks = ops.cast(ops.cast(masks, "float32") > 0.5, "float32")
    else:
      images = inputs[..., :-1]
      masks = ops.cast(ops.cast(inputs[..., -1:], "float32") > 0.0, "float32")
    return ops.cast(images, "float32"), masks

  def _stage(self, index, x, masks):
    body, decoder, last = self.stage_layers[index]
    ones = ops.ones_like(masks)
    h = ops.concatenate([x * (1.0 - masks), ones, masks], axis=-1)
    for layer in body:
      h = layer(h)
    for k, layer in enumerate(decoder):
      if k % 2 == 0:  # up1, up2: nearest-neighbour x2 then the gated convolution
        h = ops.repeat(ops.repeat(h, 2, axis=1), 2, axis=2)
      h = layer(h)
    return ops.tanh(last(h))

  def stages(self, inputs, training=False):
    """[stage outputs float32 [B, H, W, C] in (-1, 1), uncomposited], (images, masks)."""
    images, masks = self.split(inputs)
    h, w = tf.shape(images)[1], tf.shape(images)[2]
    # Reflection-pad to a multiple of 4 (two stride-2 levels), cropped back below.
    pad_h, pad_w = -h % 4, -w % 4
    padding = [[0, 0], [0, pad_h], [0, pad_w], [0, 0]]
    x = tf.pad(images, padding, "REFLECT")
    m = tf.pad(masks, padding, "REFLECT")
    outputs = []
    for index in range(len(self.stage_layers)):
      out = self._stage(index, x, m)
      outputs.append(out[:, :h, :w])
      x = out * m + x * (1.0 - m)  # the next stage starts from this fill
    return outputs, (images, masks)

  def call(self, inputs, training=False):
    outputs, (images, masks) = self.stages(inputs, training)
    return ops.where(masks > 0.5, outputs[-1], images)
