import keras
import numpy as np
import pytest
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
  normalised = [layer for layer in d._flatten_layers()
                if isinstance(layer, (layers.SpectralDense, layers.SpectralConv2D))]
  assert len(normalised) == 3  # two convolutions and the logit layer
  for layer in normalised:
    raw = layer._kernel.numpy()
    kernel = layer.kernel.numpy()  # what the layer computes with: W / sigma(W)
    sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
    assert abs(sigma - 1.0) < 0.05, (layer.name, sigma)
    # The variable keeps the unnormalised W: sigma(W) estimates its largest singular value.
    raw_sigma = np.linalg.svd(raw.reshape(-1, raw.shape[-1]), compute_uv=False)[0]
    assert float(layer.sigma()) == pytest.approx(raw_sigma, rel=0.05)
  assert not any("batch_normalization" in v.path or "/bn_" in v.path for v in d.weights)


def test_spectral_norm_gradient_flows_through_sigma():
  # Miyato et al.'s reparameterisation: d/dW of f(W / sigma(W)) with sigma = u^T W v (u, v
  # constants) -- computed here by hand -- differs from treating sigma as a constant, which
  # is what overwriting the kernel with W / sigma (keras.layers.SpectralNormalization) does.
  layer = layers.spectral(keras.layers.Dense(3, use_bias=False), True)
  x = tf.constant(np.random.default_rng(0).normal(size=(5, 4)), tf.float32)
  for _ in range(5):
    layer(x, training=True)
  w = tf.Variable(layer._kernel.numpy())
  u = layer.sn_u.numpy()
  v = u @ w.numpy().T
  v /= np.linalg.norm(v)
  u2 = v @ w.numpy()
  u2 /= np.linalg.norm(u2)

  def reference(kernel, sigma_has_gradient):
    sigma = tf.reduce_sum(tf.matmul(v, kernel) * u2)
    if not sigma_has_gradient:
      sigma = tf.stop_gradient(sigma)
    return tf.reduce_sum(tf.sin(x @ (kernel / sigma)))

  with tf.GradientTape() as tape:
    out = tf.reduce_sum(tf.sin(layer(x)))
  got = tape.gradient(out, layer._kernel).numpy()
  grads = {}
  for flag in (True, False):
    with tf.GradientTape() as tape:
      value = reference(w, flag)
    grads[flag] = tape.gradient(value, w).numpy()
  np.testing.assert_allclose(got, grads[True], rtol=1e-4, atol=1e-6)
  assert not np.allclose(got, grads[False], atol=1e-4)


def test_spectral_refuses_layers_it_cannot_normalise():
  with pytest.raises(TypeError, match="supports"):
    layers.spectral(keras.layers.DepthwiseConv2D(3), True)