"""InfoGAN: the code read from z (tfgan.networks.base), Q's head, the loss, the GAN's train step
with info_codes, and tfgan.generation.with_codes."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import generation, losses, networks
from tfgan.models import gan

K = 4


def _pair(network="mlp", info_codes=K, latent_dim=8):
  keras.utils.set_random_seed(3)
  options = {"kernel_size": 3} if network == "dcgan" else {}
  return networks.build(network, latent_dim, (28, 28, 1), width=0.125, **options,
                        g_options=dict(codes=info_codes), d_options=dict(info_codes=info_codes))


def _z(n=64, d=8, seed=0):
  return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


def test_the_code_is_the_argmax_of_the_first_k_entries_and_uniform():
  z = _z(200_000, K + 3)
  codes = np.asarray(networks.latent_code(z, K))
  np.testing.assert_array_equal(codes, np.argmax(z[:, :K], axis=1))
  # 200k draws: each share's standard error is ~0.001.
  np.testing.assert_allclose(np.bincount(codes, minlength=K) / len(z), 1 / K, atol=0.005)


@pytest.mark.parametrize("network", ["mlp", "dcgan", "resnet"])
def test_g_sees_the_one_hot_code_and_d_predicts_it(network):
  g, d = _pair(network)
  z = _z(6)
  joined = np.asarray(g.join_code(z))
  np.testing.assert_array_equal(joined[:, :8], z)
  np.testing.assert_array_equal(joined[:, 8:], np.eye(K)[np.argmax(z[:, :K], 1)])
  assert d(np.zeros((3, 28, 28, 1), np.float32)).shape == (3, 1 + K)
  # The code changes the image even where z's other entries do not.
  other = generation.with_codes(z, (np.argmax(z[:, :K], 1) + 1) % K, K)
  assert not np.allclose(g(z), g(other), atol=1e-6)


def test_info_networks_reload_from_their_config(tmp_path):
  g, d = _pair("dcgan")
  path = str(tmp_path / "g.keras")
  g.save(path)
  again = keras.models.load_model(path, compile=False)
  assert again.codes == K
  np.testing.assert_allclose(again(_z(5)), g(_z(5)), atol=1e-6)
  d2 = networks.DCGANDiscriminator.from_config(d.get_config())
  assert d2.info_codes == K and "info_codes" not in _pair("dcgan", 0)[1].get_config()
  assert "codes" not in _pair("dcgan", 0)[0].get_config()


def test_info_loss_is_the_cross_entropy_of_the_code():
  logits = np.log(np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]], np.float32))
  np.testing.assert_allclose(losses.info_loss([0, 2], logits), [-np.log(0.7), -np.log(0.5)],
                             rtol=1e-5)


def test_with_codes_permutes_each_row_to_the_asked_code():
  z = _z(50, 10)
  codes = np.arange(50) % K
  out = generation.with_codes(z, codes, K)
  np.testing.assert_array_equal(np.argmax(out[:, :K], 1), codes)
  np.testing.assert_array_equal(np.sort(out, 1), np.sort(z, 1))
  np.testing.assert_array_equal(out[:, K:], z[:, K:])
  with pytest.raises(ValueError, match=r"in \[0, 4\)"):
    generation.with_codes(z, np.full(50, K), K)


def _model(info_weight=1.0, **kwargs):
  g, d = _pair()
  model = gan.GAN(g, d, 8, seed=5, info_codes=K, info_weight=info_weight, **kwargs)
  model.compile(keras.optimizers.Adam(2e-3), keras.optimizers.Adam(2e-3))
  model.build_optimizers()
  d.dropout.rate = 0.0
  return model


def _data():
  x = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32)
  return tf.data.Dataset.from_tensors(x).repeat()


@pytest.mark.integration
def test_q_and_g_learn_the_code_only_with_the_info_term():
  # Q's cross-entropy on G's fakes (the last 15 steps' mean) starts at ~log K; the info term trains Q and G to make the
  # code recognisable. Without it (weight 0) nothing trains Q and it stays near log K.
  on = _model().fit(_data(), epochs=4, steps_per_epoch=15, verbose=0).history["info"][-1]
  off = _model(0.0).fit(_data(), epochs=4, steps_per_epoch=15, verbose=0).history["info"][-1]
  assert on < 0.4 * np.log(K) and off > 0.8 * np.log(K), (on, off)


def test_the_step_adds_the_info_term_to_both_losses():
  # Learning rate 0: the logged losses equal the adversarial ones plus weight x Q's
  # cross-entropy, computed by hand on the latents an identically seeded generator draws.
  model = _model(info_weight=2.0)
  model.g_optimizer.learning_rate.assign(0.0)
  model.d_optimizer.learning_rate.assign(0.0)
  x = next(iter(_data()))
  rng = keras.random.SeedGenerator(5)
  z_d, z_g = (keras.random.normal((16, 8), seed=rng) for _ in range(2))
  g, d = model.generator, model.discriminator
  logs = {k: float(v) for k, v in model.train_step(x).items()}
  fake_d, fake_g = d(g(z_d, training=True), training=True), d(g(z_g, training=True),
                                                               training=True)
  info_d = losses.info_loss(networks.latent_code(z_d, K), fake_d[:, 1:])
  info_g = losses.info_loss(networks.latent_code(z_g, K), fake_g[:, 1:])
  d_loss = losses.non_saturating_discriminator_loss(d(x, training=True)[:, :1], fake_d[:, :1])
  g_loss = losses.non_saturating_generator_loss(fake_g[:, :1])
  assert logs["d_loss"] == pytest.approx(float(tf.reduce_mean(d_loss + 2 * info_d)), rel=1e-5)
  assert logs["g_loss"] == pytest.approx(float(tf.reduce_mean(g_loss + 2 * info_g)), rel=1e-5)
  assert logs["info"] == pytest.approx(float(tf.reduce_mean(info_g)), rel=1e-5)


@pytest.mark.parametrize("kwargs,message", [
    (dict(info_codes=1), "carries no information"),
    (dict(info_codes=20), "latent_dim must be >= 20"),
    (dict(num_classes=10), "Use one"),
    (dict(networks_codes=0), "must be built with codes=4"),
])
def test_senseless_info_settings_are_refused(kwargs, message):
  g, d = _pair(info_codes=kwargs.pop("networks_codes", K))
  with pytest.raises(ValueError, match=message):
    gan.GAN(g, d, 8, info_codes=kwargs.get("info_codes", K), **{
        k: v for k, v in kwargs.items() if k != "info_codes"})
