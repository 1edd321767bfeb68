"""The perceptual features of ESRGAN (Wang et al. 2018, sec. 3.3): VGG19's conv5_4 before its
ReLU (denser than after it, the paper's point), from keras.applications.VGG19 weights.

Online, 'imagenet' makes Keras download the weights (80 MB); offline, a weights file of
keras.applications.VGG19(include_top=False) is given by path.
"""

import os

import keras
import tensorflow as tf

from tfgan import downloads

VGG19_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
# keras.applications.vgg19.preprocess_input ('caffe'): BGR, ImageNet means subtracted, 0..255.
_BGR_MEAN = (103.939, 116.779, 123.68)


class WeightsUnavailableError(RuntimeError):
  """The VGG19 weights cannot be loaded (offline without a file, or a bad file)."""


def load_application(constructor, weights):
  """keras.applications `constructor` (VGG16, VGG19) without its top, any input size, frozen,
  with 'imagenet' weights (Keras's download) or a weights file. Raises
  WeightsUnavailableError naming --vgg_weights when they cannot be loaded."""
  try:
    model = constructor(include_top=False, input_shape=(None, None, 3),
                        weights="imagenet" if weights == "imagenet" else None)
    if weights != "imagenet":
      model.load_weights(weights)
  except Exception as e:  # Keras raises various errors for a failed download or bad file.
    raise WeightsUnavailableError(f"--vgg_weights={weights!r} could not be loaded as "
                                  f"{constructor.__name__}(include_top=False) weights "
                                  f"({type(e).__name__}: {e}).") from e
  model.trainable = False
  return model


class VGGFeatures:
  """images float32 [B, H, W, C] in [-1, 1] (C = 1 or 3; grey is repeated) -> conv5_4
  pre-activation features float32 [B, H / 16, W / 16, 512]. Not trainable, not checkpointed
  (the weights come from `weights` each time).

  Args:
    weights: 'imagenet' (Keras's download, or its cache) or a weights file path.
  Raises:
    WeightsUnavailableError naming --vgg_weights when they cannot be had.
  """

  def __init__(self, weights):
    if weights != "imagenet" and not os.path.isfile(str(weights)):
      raise WeightsUnavailableError(f"--vgg_weights={weights!r}: no such file; give a weights "
                                    f"file of keras.applications.VGG19(include_top=False) "
                                    f"or 'imagenet'.")
    if weights == "imagenet" and not os.path.isfile(downloads.keras_cached(VGG19_WEIGHTS_FILE)):
      reason = downloads.unreachable(downloads.KERAS_WEIGHTS_HOST)
      if reason:
        raise WeightsUnavailableError(
            f"VGG19's ImageNet weights are not in Keras's cache "
            f"({downloads.keras_cached(VGG19_WEIGHTS_FILE)}) and "
            f"{downloads.KERAS_WEIGHTS_HOST} cannot be reached ({reason}). Offline, download "
            f"{VGG19_WEIGHTS_FILE} elsewhere and pass --vgg_weights=PATH, or use "
            f"--perceptual=d_features (needs no weights).")
    vgg = load_application(keras.applications.VGG19, weights)
    self.trunk = keras.Model(vgg.input, vgg.get_layer("block5_conv3").output)
    self.conv5_4 = vgg.get_layer("block5_conv4")
    self.weights = weights

  def __call__(self, images):
    x = tf.cast(images, tf.float32)
    if x.shape[-1] == 1:
      x = tf.repeat(x, 3, axis=-1)
    x = (x + 1.0) * 127.5
    x = x[..., ::-1] - tf.constant(_BGR_MEAN)
    h = self.trunk(x, training=False)
    # conv5_4 without its ReLU: the kernel and bias applied by hand.
    return tf.nn.conv2d(h, self.conv5_4.kernel, 1, "SAME") + self.conv5_4.bias
