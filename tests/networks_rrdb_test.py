"""The RRDB super-resolution generator and the discriminator features it trains against."""

import keras
import numpy as np
import pytest

from tfgan.networks import rrdb, unet


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_each_scale_multiplies_any_input_size(scale):
  g = rrdb.RRDBGenerator((6, 5, 3), scale=scale, features=8, n_blocks=1, growth=4)
  g.build(g.input_shapes())
  assert g(np.zeros((2, 6, 5, 3), np.float32)).shape == (2, 6 * scale, 5 * scale, 3)
  # Fully convolutional: another size through the same weights.
  assert g(np.zeros((1, 9, 4, 3), np.float32)).shape == (1, 9 * scale, 4 * scale, 3)


@pytest.mark.integration
def test_the_papers_model_has_esrgans_parameter_count():
  # BasicSR's RRDBNet(num_feat=64, num_block=23, num_grow_ch=32) for x4: 16,697,987
  # parameters (the published ESRGAN_x4 weights). Any change to the block structure (convs per
  # dense block, their widths, the upsampling convs) changes this count.
  g = rrdb.RRDBGenerator((8, 8, 3), scale=4, features=64, n_blocks=23, growth=32)
  g.build(g.input_shapes())
  assert g.count_params() == 16_697_987


def test_a_saved_generator_reloads_with_the_same_outputs(tmp_path):
  g = rrdb.RRDBGenerator((8, 8, 3), scale=2, features=8, n_blocks=2, growth=4, name="generator")
  g.build(g.input_shapes())
  x = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
  path = str(tmp_path / "g.keras")
  g.save(path)
  loaded = keras.models.load_model(path, compile=False)
  assert isinstance(loaded, rrdb.RRDBGenerator) and loaded.scale == 2
  np.testing.assert_allclose(loaded(x), g(x), atol=1e-6)


def test_dense_blocks_start_near_identity_and_bad_sizes_are_refused():
  # The dense blocks' convolutions start at 0.1 x Kaiming (BasicSR) and add 0.2 x their
  # output to their input: at initialisation each block barely changes what it is given.
  g = rrdb.RRDBGenerator((8, 8, 3), scale=2, features=16, n_blocks=2, growth=8)
  g.build(g.input_shapes())
  x = np.random.default_rng(1).uniform(-1, 1, (1, 8, 8, 16)).astype(np.float32)
  for convs in g.blocks[0] + g.blocks[1]:
    change = np.abs(np.asarray(g._dense_block(convs, x)) - x).mean()
    assert 0 < change < 0.05 * np.abs(x).mean()
  with pytest.raises(ValueError, match="scale"):
    rrdb.RRDBGenerator((8, 8, 3), scale=3)
  with pytest.raises(ValueError, match="n_blocks"):
    rrdb.RRDBGenerator((8, 8, 3), n_blocks=0)


def test_patch_discriminator_features_end_in_its_logits():
  d = unet.PatchDiscriminator((16, 16, 3), width=0.125, n_layers=2, norm="spectral")
  d.build(d.input_shapes())
  x = np.random.default_rng(2).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
  features = d.features(x)
  assert len(features) == 2 + 2  # n_layers stride-2 layers, the stride-1 layer, the logits
  np.testing.assert_allclose(features[-1], d(x), atol=1e-6)
  assert features[0].shape == (2, 8, 8, 8) and features[-1].shape[-1] == 1
  assert all(float(np.min(f)) < 0 for f in features[:-1])  # after LeakyReLU: negatives kept


def test_the_bicubic_skip_starts_at_the_bicubic_image_and_reloads(tmp_path):
  import tensorflow as tf
  from tfgan.metrics import restoration
  keras.utils.set_random_seed(0)
  x = np.random.default_rng(3).uniform(-1, 1, (2, 6, 7, 3)).astype(np.float32)
  bicubic = tf.image.resize(x, (24, 28), "bicubic").numpy()
  skip = rrdb.RRDBGenerator((6, 7, 3), scale=4, features=8, n_blocks=1, growth=4,
                            skip="bicubic", name="generator")
  plain = rrdb.RRDBGenerator((6, 7, 3), scale=4, features=8, n_blocks=1, growth=4)
  for g in (skip, plain):
    g.build(g.input_shapes())
  near = np.abs(np.asarray(skip(x)) - bicubic).mean()
  far = np.abs(np.asarray(plain(x)) - bicubic).mean()
  assert near < 0.2 * far and near < 0.15  # [-1, 1] units; images average |x| ~0.5
  # The residual is what the network adds to the interpolation (unclipped, in [-1, 1] units).
  np.testing.assert_allclose(restoration.bicubic_upsample(x, 4), np.clip(bicubic, -1, 1),
                             atol=1e-5)
  path = str(tmp_path / "skip.keras")
  skip.save(path)
  loaded = keras.models.load_model(path, compile=False)
  assert loaded.skip == "bicubic"
  np.testing.assert_allclose(loaded(x), skip(x), atol=1e-5)
  assert loaded(np.zeros((1, 3, 5, 3), np.float32)).shape == (1, 12, 20, 3)
  with pytest.raises(ValueError, match="skip"):
    rrdb.RRDBGenerator((6, 7, 3), skip="bilinear")
