import numpy as np
import tensorflow as tf

from tfgan import layers, networks


def test_minibatch_stddev_matches_numpy():
  x = np.random.default_rng(0).normal(size=(8, 3, 3, 2)).astype(np.float32)
  y = layers.MinibatchStdDev(group_size=4)(x).numpy()
  assert y.shape == (8, 3, 3, 3)
  np.testing.assert_array_equal(y[..., :2], x)
  grouped = x.reshape(4, 2, 3, 3, 2)  # [group member, column j, ...]: example i is (i // 2, i % 2)
  stat = np.sqrt(grouped.var(axis=0) + 1e-8).mean(axis=(1, 2, 3))  # one value per column j
  for i in range(8):
    np.testing.assert_allclose(y[i, ..., 2], stat[i % 2], rtol=1e-5)


def test_minibatch_stddev_sees_collapse():
  same = np.ones((4, 5), np.float32)
  varied = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)
  assert layers.MinibatchStdDev()(same).numpy()[:, -1].max() < 1e-3
  assert layers.MinibatchStdDev()(varied).numpy()[:, -1].min() > 0.3


def test_spectral_norm_drives_the_largest_singular_value_to_one():
  _, d = networks.build("dcgan", 8, (28, 28, 1), width=0.25,
                        d_options=dict(normalization="spectral"))
  x = tf.random.normal((4, 28, 28, 1))
  for _ in range(30):  # one power iteration per training call
    d(x, training=True)
  wrapped = [layer for layer in d._flatten_layers() if isinstance(layer, tf.keras.layers.Layer)
             and layer.__class__.__name__ == "SpectralNormalization"]
  assert len(wrapped) == 3  # two convolutions and the logit layer
  for layer in wrapped:
    kernel = layer.layer.kernel.numpy()
    sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
    assert abs(sigma - 1.0) < 0.05, (layer.name, sigma)
  assert not any("batch_normalization" in v.path or "/bn_" in v.path for v in d.weights)
