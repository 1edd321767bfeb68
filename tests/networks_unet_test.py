import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import layers
from tfgan.networks import unet


def _unet(**kwargs):
  keras.utils.set_random_seed(0)
  g = unet.UNetGenerator(**{"image_shape": (64, 64, 1), "out_channels": 3, "width": 0.125,
                            **kwargs})
  g.build(g.input_shapes())
  return g


@pytest.mark.integration
def test_unet_depth_channels_and_dropout_follow_the_reference():
  g = _unet()
  assert g.num_downs == 6  # 64 px down to a 1x1 bottleneck
  assert [d.filters for d in g.downs] == [8, 16, 32, 64, 64, 64]  # ngf * min(2**i, 8)
  # Dropout on the inner 8 * ngf decoder blocks 4 .. num_downs - 2: one at 64 px.
  assert sum(d is not None for d in g.drops) == 1
  assert _unet(image_shape=(256, 256, 3)).num_downs == 8
  assert sum(d is not None for d in _unet(image_shape=(256, 256, 3)).drops) == 3
  out = g(np.zeros((2, 64, 64, 1), np.float32))
  assert out.shape == (2, 64, 64, 3)
  assert _unet(upsample="resize")(np.zeros((1, 64, 64, 1), np.float32)).shape == (1, 64, 64, 3)
  with pytest.raises(ValueError, match="divisible by 64"):
    _unet(image_shape=(48, 48, 1), num_downs=6)


def test_test_mode_train_uses_batch_statistics_and_dropout_without_changing_state():
  x = np.random.default_rng(0).uniform(-1, 1, (4, 64, 64, 1)).astype(np.float32)
  g = _unet(test_mode="train")
  before = [v.numpy().copy() for v in g.non_trainable_variables
            if "seed" not in v.path]
  a, b = np.asarray(g(x)), np.asarray(g(x))
  assert not np.allclose(a, b)  # dropout stays on at test time: the paper's noise
  after = [v.numpy() for v in g.non_trainable_variables if "seed" not in v.path]
  for u, v in zip(before, after):
    np.testing.assert_array_equal(u, v)  # moving averages untouched
  plain = _unet(test_mode="inference")
  np.testing.assert_allclose(np.asarray(plain(x)), np.asarray(plain(x)))  # deterministic


def test_unet_reloads_with_its_test_mode(tmp_path):
  g = _unet(test_mode="inference")
  path = str(tmp_path / "g.keras")
  g.save(path)
  loaded = keras.models.load_model(path, compile=False)
  x = np.random.default_rng(1).uniform(-1, 1, (2, 64, 64, 1)).astype(np.float32)
  np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(g(x)), atol=1e-6)
  assert loaded.test_mode == "inference"
  assert any(isinstance(l, layers.BatchNorm) for l in loaded._flatten_layers())


@pytest.mark.parametrize("n_layers, field", [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field_is_what_its_docstring_says(n_layers, field):
  assert unet.PatchDiscriminator.receptive_field(n_layers) == field
  keras.utils.set_random_seed(0)
  d = unet.PatchDiscriminator(image_shape=(128, 128, 2), width=0.125, n_layers=n_layers,
                              norm="none")
  d.build(d.input_shapes())
  x = tf.Variable(np.random.default_rng(0).normal(size=(1, 128, 128, 2)).astype(np.float32))
  with tf.GradientTape() as tape:
    logits = d(x)
    h, w = logits.shape[1] // 2, logits.shape[2] // 2
    centre = logits[0, h, w, 0]
  grad = np.abs(tape.gradient(centre, x).numpy()[0]).sum(-1)
  rows, cols = np.nonzero(grad)
  assert rows.max() - rows.min() + 1 == field and cols.max() - cols.min() + 1 == field


def test_patchgan_output_sizes():
  d = unet.PatchDiscriminator(image_shape=(256, 256, 6), width=0.125)
  d.build(d.input_shapes())
  assert d(np.zeros((1, 256, 256, 6), np.float32)).shape == (1, 30, 30, 1)  # the paper's
  d64 = unet.PatchDiscriminator(image_shape=(64, 64, 4), width=0.125, norm="spectral")
  d64.build(d64.input_shapes())
  assert d64(np.zeros((1, 64, 64, 4), np.float32)).shape == (1, 6, 6, 1)
