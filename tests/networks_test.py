import keras
import numpy as np
import pytest

from tfgan import layers, networks


def _dense(n_in, n_out, bias=True):
  return n_in * n_out + (n_out if bias else 0)


def test_mlp_shapes_and_parameter_counts():
  g, d = networks.build("mlp", 100, (28, 28, 1))
  z = np.random.default_rng(0).standard_normal((3, 100)).astype(np.float32)
  x = np.asarray(g(z))
  assert x.shape == (3, 28, 28, 1)
  assert not np.allclose(x[0], x[1])  # the image depends on z
  # A tanh output: latents scaled 1000x (the hidden layers have no bias, and batch norm in
  # inference mode starts as the identity) saturate it at both -1 and 1, never beyond. A
  # sigmoid would stop at 0, a linear output run far past 1.
  big = np.asarray(g(1000 * z))
  assert -1 <= big.min() < -0.99 and 0.99 < big.max() <= 1
  assert d(x).shape == (3, 1)
  # Hidden layers without bias, each followed by batch norm (4 values per unit).
  assert g.count_params() == (_dense(100, 256, False) + _dense(256, 512, False)
                              + _dense(512, 1024, False) + 4 * (256 + 512 + 1024)
                              + _dense(1024, 784))
  assert d.count_params() == (_dense(784, 1024) + _dense(1024, 512) + _dense(512, 256)
                              + _dense(256, 1))


def test_dcgan28_shapes_and_parameter_counts():
  g, d = networks.build("dcgan", 100, (28, 28, 1))
  x = np.asarray(g(np.zeros((2, 100), np.float32)))
  assert x.shape == (2, 28, 28, 1)
  assert d(x).shape == (2, 1)
  bn = lambda c: 4 * c  # gamma, beta, moving mean, moving variance
  # dense to 7x7x128 (no bias) + BN over 128 channels, 4x4 transposed conv 128->64 + BN,
  # 4x4 transposed conv 64->1 (+bias).
  assert g.count_params() == (100 * 7 * 7 * 128 + bn(128) + 16 * 128 * 64 + bn(64)
                              + 16 * 64 + 1)
  # 4x4 conv 1->64 (+bias), 4x4 conv 64->128 + BN, dense 7*7*128 -> 1.
  assert d.count_params() == 16 * 64 + 64 + 16 * 64 * 128 + bn(128) + 7 * 7 * 128 + 1


@pytest.mark.parametrize("size,channels,stages", [(32, 3, 3), (64, 3, 4)])
def test_dcgan_other_resolutions(size, channels, stages):
  g, d = networks.build("dcgan", 16, (size, size, channels), width=0.25)
  x = g(np.zeros((2, 16), np.float32))
  assert x.shape == (2, size, size, channels)
  assert d(x).shape == (2, 1)
  assert len(d.downs) == stages


def test_width_and_kernel_size_change_the_networks():
  g1, _ = networks.build("dcgan", 100, (28, 28, 1), width=1.0)
  g2, _ = networks.build("dcgan", 100, (28, 28, 1), width=0.5)
  g3, _ = networks.build("dcgan", 100, (28, 28, 1), kernel_size=3)
  assert g2.count_params() < g1.count_params()
  assert g3.ups[0].kernel.shape[:2] == (3, 3)


def test_bad_shapes_are_refused():
  with pytest.raises(ValueError, match="square"):
    networks.build("dcgan", 10, (28, 32, 1))
  with pytest.raises(ValueError, match="supports"):
    networks.build("dcgan", 10, (30, 30, 1))
  with pytest.raises(ValueError, match="Unknown network"):
    networks.build("biggan", 10, (28, 28, 1))


@pytest.mark.parametrize("name", sorted(networks.NETWORKS))
def test_checkpoints_hold_every_weight(tmp_path, name):
  # tf.train.Checkpoint must see every variable, batch-norm moving statistics included, so a
  # restored network computes exactly what the saved one did in inference mode.
  import tensorflow as tf
  g, d = networks.build(name, 8, (28, 28, 1), width=0.25)
  z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
  g(z, training=True)  # moves the batch-norm statistics away from their initial values
  path = tf.train.Checkpoint(g=g, d=d).write(str(tmp_path / "ckpt"))
  saved = [k for k, _ in tf.train.list_variables(path) if not k.startswith("_")]
  assert len(saved) == len(g.weights) + len(d.weights)
  g2, d2 = networks.build(name, 8, (28, 28, 1), width=0.25)
  tf.train.Checkpoint(g=g2, d=d2).read(path).assert_consumed()
  np.testing.assert_array_equal(np.asarray(g2(z)), np.asarray(g(z)))


@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(networks.NETWORKS))
def test_saved_generator_reloads_with_plain_keras(tmp_path, name):
  g, _ = networks.build(name, 8, (28, 28, 1), width=0.25)
  path = str(tmp_path / "g.keras")
  g.save(path)
  loaded = keras.models.load_model(path, compile=False)
  z = np.random.default_rng(1).standard_normal((4, 8)).astype(np.float32)
  np.testing.assert_allclose(np.asarray(loaded(z)), np.asarray(g(z)), atol=1e-6)
  assert type(loaded) is type(g)


@pytest.mark.parametrize("name", sorted(networks.NETWORKS))
@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_conditional_networks(tmp_path, name, conditioning):
  options = {"kernel_size": 3} if networks.NETWORKS[name].kernel_size else {}
  g, d = networks.build(name, 8, (28, 28, 1), width=0.25, num_classes=10,
                        d_options=dict(conditioning=conditioning), **options)
  z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
  labels = np.array([0, 3, 7, 9], np.int32)
  x = np.asarray(g([z, labels]))
  assert x.shape == (4, 28, 28, 1)
  logits = np.asarray(d([x, labels]))
  assert logits.shape == (4, 1)
  # The label changes both networks' outputs.
  assert not np.allclose(np.asarray(g([z, labels[::-1]])), x)
  assert not np.allclose(np.asarray(d([x, (labels + 1) % 10])), logits)
  with pytest.raises(ValueError, match="conditional"):
    g(z)
  path = str(tmp_path / "g.keras")
  g.save(path)
  loaded = keras.models.load_model(path, compile=False)
  np.testing.assert_allclose(np.asarray(loaded([z, labels])), x, atol=1e-6)


def test_minibatch_std_and_normalizations_in_d():
  for norm in ("batch", "spectral", "none"):
    _, d = networks.build("dcgan", 8, (28, 28, 1), width=0.25,
                          d_options=dict(normalization=norm, minibatch_std=True))
    assert d(np.zeros((4, 28, 28, 1), np.float32)).shape == (4, 1)
  with pytest.raises(ValueError, match="normalization"):
    networks.build("mlp", 8, (28, 28, 1), d_options=dict(normalization="batch"))


def test_sndcgan_discriminator_is_deeper_and_spectral():
  _, d = networks.build("sndcgan", 8, (64, 64, 3), width=0.125, kernel_size=3)
  convs = [layer for layer in d.downs]
  assert len(convs) == 8  # a stride-2 and a stride-1 convolution per resolution (64 -> 4)
  assert all(isinstance(c, layers.SpectralConv2D) for c in convs)
  strides = [c.strides for c in convs]
  assert strides == [(2, 2), (1, 1)] * 4
  assert d(np.zeros((2, 64, 64, 3), np.float32)).shape == (2, 1)
  clone = networks.SNDCGANDiscriminator.from_config(d.get_config())
  clone.build(clone.input_shapes())
  assert clone.count_params() == d.count_params()


def test_a_spectral_projection_discriminator_normalises_its_class_embedding():
  import tensorflow as tf
  _, d = networks.build("dcgan", 8, (28, 28, 1), width=0.125, kernel_size=3, num_classes=10,
                        d_options=dict(normalization="spectral"))
  assert isinstance(d.embed, layers.SpectralEmbedding)
  x = np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
  labels = np.array([0, 3, 5, 9], np.int32)
  for _ in range(20):  # let the power iteration converge
    d([x, labels], training=True)
  before = np.asarray(d([x, labels], training=False))
  # Scaling the raw embedding table 100x leaves a normalised critic's logits where they were;
  # an unnormalised <embed(y), h> term would grow 100x with it.
  d.embed._embeddings.assign(d.embed._embeddings * 100.0)
  after = np.asarray(d([x, labels], training=False))
  np.testing.assert_allclose(after, before, rtol=1e-4, atol=1e-6)
  # The power-iteration estimate approaches the table's top singular value from below.
  sigma = np.linalg.svd(d.embed._embeddings.numpy(), compute_uv=False)[0]
  assert 0.95 * sigma <= float(d.embed.sigma()) <= sigma * (1 + 1e-5)
  _, batch_norm_d = networks.build("dcgan", 8, (28, 28, 1), width=0.125, kernel_size=3,
                                   num_classes=10)
  assert type(batch_norm_d.embed) is keras.layers.Embedding
  assert tf.is_tensor(d.embed.embeddings)

