"""Feature extractors for the metrics: InceptionV3 (FID, KID, IS, precision/recall) and
tfgan's own domain classifiers (the classifier report).

Each extractor maps images float32 [B, H, W, C] in [-1, 1] to (features float32 [B, d],
logits float32 [B, K]) and has an `id` that names its weights, used in cache keys.
"""

import hashlib
import os

import keras
import tensorflow as tf

from tfgan import downloads

INCEPTION_SIZE = 299
# What keras.applications.InceptionV3(weights='imagenet') downloads into Keras's cache.
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"


def _keras_cached(name):
  return downloads.keras_cached(name)


def weights_on_disk(weights) -> bool:
  """Whether InceptionExtractor(weights) finds its weights without a download: Keras's
  'imagenet' file already in its cache, or a weights file that exists."""
  if weights == "imagenet":
    return os.path.isfile(_keras_cached(INCEPTION_WEIGHTS_FILE))
  return bool(weights) and os.path.isfile(weights)


class MetricsUnavailableError(RuntimeError):
  """A feature extractor's weights could not be loaded; the message says how to go offline."""


def _file_digest(path, length=12):
  h = hashlib.sha1()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      h.update(chunk)
  return h.hexdigest()[:length]


class InceptionExtractor:
  """InceptionV3 from keras.applications: 2048-d pool features and 1000 ImageNet logits.

  Protocol (fixed): images in [-1, 1] (InceptionV3's own input range) are resized to 299x299
  with bilinear interpolation without antialiasing, as TensorFlow's reference FID code
  (TF-GAN / the original TTUR implementation) did; grey images are repeated to 3 channels.
  Keras's ImageNet weights are not the 2015 graph behind published FIDs, so values are
  comparable between tfgan runs, not with papers.

  Args:
    weights: 'imagenet' (downloaded by Keras when online), a path to an InceptionV3 weights
      file (offline), or None for random weights (plumbing tests only).
  """

  def __init__(self, weights="imagenet", batch_size=50):
    if weights not in ("imagenet", None) and not os.path.isfile(str(weights)):
      raise FileNotFoundError(f"inception_weights {weights!r}: no such file; pass the "
                              f"InceptionV3 weights file (.h5 / .weights.h5) or 'imagenet'.")
    if weights == "imagenet" and not weights_on_disk(weights):
      reason = downloads.unreachable(downloads.KERAS_WEIGHTS_HOST)
      if reason:
        raise MetricsUnavailableError(
            f"InceptionV3's ImageNet weights are not in Keras's cache "
            f"({_keras_cached(INCEPTION_WEIGHTS_FILE)}) and {downloads.KERAS_WEIGHTS_HOST} "
            f"cannot be reached ({reason}). Offline, download {INCEPTION_WEIGHTS_FILE} "
            f"elsewhere and pass --inception_weights=PATH (or put it in that cache folder).")
    try:
      net = keras.applications.InceptionV3(include_top=True, weights=weights,
                                           classifier_activation=None)
    except Exception as e:  # Keras raises various errors when the download fails.
      raise MetricsUnavailableError(
          f"could not load InceptionV3 weights {weights!r} ({type(e).__name__}: {e}). Offline, "
          f"download {INCEPTION_WEIGHTS_FILE} elsewhere and pass --inception_weights=PATH.") from e
    self.model = keras.Model(net.input, [net.get_layer("avg_pool").output, net.output])
    self.batch_size = batch_size
    if weights is None:
      self.id = "inception_v3-random"
    elif weights == "imagenet":
      self.id = "inception_v3-imagenet"
    else:
      self.id = f"inception_v3-{_file_digest(weights)}"
    self._call = tf.function(self._features, reduce_retracing=True)

  def _features(self, images):
    images = tf.image.resize(images, (INCEPTION_SIZE, INCEPTION_SIZE), method="bilinear",
                             antialias=False)
    features, logits = self.model(images, training=False)
    return features, logits

  def __call__(self, images):
    """images float32 [B, H, W, C] in [-1, 1] -> (float32 [B, 2048], float32 [B, 1000])."""
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape[-1] == 1:  # Decided here: the traced function's channel count is relaxed.
      images = tf.repeat(images, 3, axis=-1)
    return self._call(images)


class ClassifierExtractor:
  """A tfgan domain classifier (tfgan.metrics.classifier): penultimate features and logits."""

  def __init__(self, model, path=""):
    self.model = keras.Model(model.inputs, [model.get_layer("features").output, model.output])
    self.batch_size = 500
    self.id = f"classifier-{_file_digest(path)}" if path else f"classifier-{model.name}"
    self._call = tf.function(lambda x: self.model(x, training=False), reduce_retracing=True)

  def __call__(self, images):
    """images float32 [B, H, W, C] in [-1, 1] -> (float32 [B, d], float32 [B, classes])."""
    return self._call(tf.convert_to_tensor(images, tf.float32))
