"""Cluster conditioning: tfgan.data.clusters (k-means of images), codes drawn from z in given
shares (tfgan.networks.latent_code), the GAN step with code_labels and the family's run."""
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import config as config_lib
from tfgan import networks, trainer
from tfgan.data import clusters
from tfgan.models import gan

SMOKE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "flags",
                     "smoke.flags")


def _groups(sizes=(50, 30, 20), side=28, channels=1, seed=0):
  """Images of three kinds (dark, a bright left half, a bright bottom half) with noise; the
  kind of each image."""
  rng = np.random.default_rng(seed)
  kinds = np.repeat(np.arange(len(sizes)), sizes)
  rng.shuffle(kinds)
  x = np.full((len(kinds), side, side, channels), -0.8, np.float32)
  x[kinds == 1, :, : side // 2] = 0.8
  x[kinds == 2, side // 2:] = 0.8
  return np.clip(x + rng.normal(0, 0.3, x.shape), -1, 1).astype(np.float32), kinds


@pytest.mark.integration
@pytest.mark.parametrize("side,channels", [(28, 1), (64, 3)])
def test_clusters_recover_the_groups_and_their_shares(side, channels):
  x, kinds = _groups(side=side, channels=channels)
  fitted = clusters.fit_clusters(x, 3, seed=1)
  assert fitted.side == (28 if side == 28 else 32)
  found = fitted.labels(x).numpy()
  assert clusters.purity(found, kinds) == 1.0 and len(np.unique(found)) == 3
  np.testing.assert_allclose(sorted(fitted.probs), [0.2, 0.3, 0.5])
  # The same labels inside a tf.data map, batch by batch, and on fresh images of each kind.
  ds = tf.data.Dataset.from_tensor_slices(x).batch(16).map(fitted.labels)
  np.testing.assert_array_equal(np.concatenate(list(ds.as_numpy_iterator())), found)
  fresh, fresh_kinds = _groups(seed=5, side=side, channels=channels)
  again = fitted.labels(fresh).numpy()
  assert all(len(np.unique(again[fresh_kinds == k])) == 1 for k in range(3))


def test_fitting_is_deterministic_and_refuses_impossible_counts():
  x, _ = _groups()
  a, b = clusters.fit_clusters(x, 3, seed=2), clusters.fit_clusters(x, 3, seed=2)
  np.testing.assert_array_equal(a.centres, b.centres)
  for k in (1, 101):
    with pytest.raises(ValueError, match=r"clusters must be in \[2, 100\]"):
      clusters.fit_clusters(x, k)
  with pytest.raises(ValueError, match="fewer than 4 distinct"):
    clusters.fit_clusters(np.repeat(x[:3], 10, axis=0), 4)


def test_codes_drawn_from_z_follow_the_given_shares():
  p = np.array([0.5, 0.3, 0.15, 0.05])
  z = np.random.default_rng(0).standard_normal((200_000, 6)).astype(np.float32)
  codes = np.asarray(networks.latent_code(z, 4, p))
  # 200k draws: standard errors <= 0.0012.
  np.testing.assert_allclose(np.bincount(codes, minlength=4) / len(z), p, atol=0.006)
  # Uniform shares give the plain argmax code, the InfoGAN one.
  np.testing.assert_array_equal(networks.latent_code(z, 4, [0.25] * 4), np.argmax(z[:, :4], 1))
  with pytest.raises(ValueError, match="4 positive probabilities summing to 1"):
    networks.MLPGenerator(8, codes=4, code_probs=[0.5, 0.5, 0.0, 0.0])


@pytest.mark.integration
def test_the_inverse_cdf_code_follows_the_shares_from_z_first_entry_alone():
  # 300 codes from a 6-entry z: the shares hold, and only z_0 decides the code.
  rng = np.random.default_rng(1)
  p = rng.uniform(0.2, 1.0, 300)
  p /= p.sum()
  z = rng.standard_normal((600_000, 6)).astype(np.float32)
  codes = np.asarray(networks.latent_code(z, 300, p, draw="inverse_cdf"))
  # 2000 expected draws per code on average: relative errors ~2%; 4 standard errors.
  counts = np.bincount(codes, minlength=300)
  assert len(counts) == 300
  np.testing.assert_allclose(counts / len(z), p, atol=4 * np.sqrt(p.max() / len(z)))
  # Ordered: the code grows with z_0, whose quantiles are the shares' cumulative sums.
  order = np.argsort(z[:, 0])
  assert np.all(np.diff(codes[order]) >= 0)
  shuffled = np.concatenate([z[:, :1], rng.standard_normal((len(z), 5))], 1).astype(np.float32)
  np.testing.assert_array_equal(networks.latent_code(shuffled, 300, p, draw="inverse_cdf"),
                                codes)
  # Extreme z_0 (Phi rounds to 0 or 1 in float32) still lands on the first or last code.
  tails = np.array([[-40.0], [40.0]], np.float32)
  assert list(np.asarray(networks.latent_code(tails, 300, p, draw="inverse_cdf"))) == [0, 299]
  # A generator with more codes than latent entries, saved and reloaded, keeps its draw.
  g = networks.MLPGenerator(4, (28, 28, 1), width=0.125, codes=10, code_draw="inverse_cdf")
  z4 = rng.standard_normal((3, 4)).astype(np.float32)
  again = networks.MLPGenerator.from_config(g.get_config())
  assert again.code_draw == "inverse_cdf" and again(z4).shape == (3, 28, 28, 1)
  np.testing.assert_array_equal(again.code(z4), g.code(z4))
  assert "code_draw" not in networks.MLPGenerator(8, (28, 28, 1), width=0.125,
                                                  codes=4).get_config()
  with pytest.raises(ValueError, match="code_draw must be one of"):
    networks.MLPGenerator(8, (28, 28, 1), codes=4, code_draw="gumbel")


def _spy(network, calls):
  original = network.call

  def spy(inputs, training=False):
    result = original(inputs, training=training)
    calls.append((inputs, result))
    return result

  network.call = spy


def test_d_judges_reals_by_their_cluster_and_fakes_by_their_code():
  keras.utils.set_random_seed(3)
  p = (0.4, 0.3, 0.2, 0.1)
  g, d = networks.build("mlp", 8, (28, 28, 1), width=0.125, g_options=dict(codes=4, code_probs=p),
                        d_options=dict(num_classes=4))
  model = gan.GAN(g, d, 8, seed=5, num_classes=4, code_labels=True)
  model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), run_eagerly=True)
  model.build_optimizers()
  g_calls, d_calls = [], []
  _spy(g, g_calls)
  _spy(d, d_calls)
  x = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
  labels = np.array([0, 1, 2, 3, 3, 2, 1, 0], np.int32)
  model.train_step((tf.constant(x), tf.constant(labels)))
  (z_d, fake_d), (z_g, fake_g) = g_calls
  assert not isinstance(z_d, (list, tuple))  # G reads its cluster from z alone
  (real_in, _), (fake_in, _), (g_in, _) = d_calls
  np.testing.assert_array_equal(real_in[1].numpy(), labels)
  np.testing.assert_array_equal(fake_in[1].numpy(), g.code(z_d).numpy())
  np.testing.assert_array_equal(g_in[1].numpy(), g.code(z_g).numpy())
  np.testing.assert_array_equal(fake_in[0].numpy(), fake_d.numpy())
  with pytest.raises(ValueError, match="clusters and gp_weight|WGAN-GP"):
    gan.GAN(g, networks.build("mlp", 8, (28, 28, 1), width=0.125,
                              d_options=dict(num_classes=4, normalization="none"))[1], 8,
            num_classes=4, code_labels=True, gp_weight=10.0, loss=gan.losses_lib.get("hinge"))


@pytest.mark.integration
def test_a_clustered_run_trains_on_cluster_labels_and_exports_an_unconditional_generator(
    tmp_path, idx_dir):
  config = config_lib.from_flagfile(SMOKE, data_dir=idx_dir, train_steps=2, log_every=1,
                                    clusters=20)  # more clusters than z's 16 entries
  lines = []
  result = trainer.train_and_evaluate(config, str(tmp_path / "run"), verbose=False)
  model = result["model"]
  g, d = model.generator, model.discriminator
  assert g.codes == 20 and g.num_classes == 0 and d.num_classes == 20
  assert g.code_draw == "inverse_cdf"  # clusters read one entry of z, whatever their number
  assert model.code_labels and abs(sum(g.code_probs) - 1) < 1e-6
  # The data the run trained on carries each image's cluster, not the IDX labels.
  from tfgan.models import gan as gan_family
  family = gan_family.GANFamily()
  source = family.open_data(config, log=lines.append)
  assert "20 clusters of 128 training images" in lines[0] and "purity against" in lines[0]
  assert family.describe(config, source.spec).endswith("28x28x1, 20 clusters)")
  images, labels = next(iter(family.train_dataset(config, source, 0, "")))
  np.testing.assert_array_equal(labels, source.clusters.labels(images))
  np.testing.assert_allclose(g.code_probs, source.clusters.probs, rtol=1e-6)
  exported = keras.models.load_model(result["generator_keras"], compile=False)
  z = np.random.default_rng(0).standard_normal((4, exported.latent_dim)).astype(np.float32)
  assert exported(z).shape == (4, 28, 28, 1) and exported.code_probs == g.code_probs
  assert exported.code_draw == "inverse_cdf"
