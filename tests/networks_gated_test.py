"""The gated-convolution inpainting generator: the gate, the known pixels kept bit for bit, any
size, both input layouts, two stages and serialization."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan.networks import gated


def _inputs(n=2, h=16, w=16, seed=0):
  rng = np.random.default_rng(seed)
  images = rng.uniform(-1, 1, (n, h, w, 3)).astype(np.float32)
  masks = (rng.uniform(size=(n, h, w, 1)) < 0.3).astype(np.float32)
  return images, masks


def test_a_gated_convolution_is_elu_of_features_times_sigmoid_of_gate():
  layer = gated.GatedConv(2, kernel_size=1)
  x = np.random.default_rng(0).normal(size=(1, 3, 3, 4)).astype(np.float32)
  out = layer(x).numpy()
  kernel, bias = (v.numpy() for v in layer.conv.weights)
  h = x @ kernel[0, 0] + bias  # a 1x1 convolution by hand, 4 channels (2 features, 2 gates)
  expected = np.where(h[..., :2] > 0, h[..., :2], np.expm1(h[..., :2])) / (1 + np.exp(-h[..., 2:]))
  np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
  assert gated.GatedConv(5, activation=None)(x).shape == (1, 3, 3, 5)


@pytest.mark.parametrize("stages", [1, 2])
def test_known_pixels_are_the_inputs_bit_for_bit_at_any_size(stages):
  g = gated.GatedGenerator((16, 16, 3), width=0.25, stages=stages)
  g.build(g.input_shapes())
  for h, w in ((16, 16), (13, 22)):  # 13x22: padded to 16x24 inside, cropped back
    images, masks = _inputs(h=h, w=w)
    out = g([images, masks]).numpy()
    assert out.shape == images.shape and np.abs(out).max() <= 1.0
    np.testing.assert_array_equal(out[masks[..., 0] == 0], images[masks[..., 0] == 0])
    assert not np.allclose(out[masks[..., 0] == 1], images[masks[..., 0] == 1])
    # The pipeline's layout: one tensor, mask as a last channel in [-1, 1], hole black.
    x = np.concatenate([np.where(masks > 0, -1.0, images), 2 * masks - 1], -1)
    np.testing.assert_array_equal(g(x).numpy(), out)
    outputs, _ = g.stages([images, masks])
    assert len(outputs) == stages and outputs[0].shape == images.shape


def test_the_hole_content_of_the_input_is_ignored():
  g = gated.GatedGenerator((16, 16, 3), width=0.25)
  g.build(g.input_shapes())
  images, masks = _inputs()
  other = np.where(masks > 0, 0.7, images).astype(np.float32)
  np.testing.assert_array_equal(g([images, masks]).numpy(), g([other, masks]).numpy())


def test_dilations_follow_the_middle_level_and_bad_stages_are_refused():
  assert gated.GatedGenerator((64, 64, 3), 0.25).dilations == (2, 4, 8)
  assert gated.GatedGenerator((256, 256, 3), 0.25).dilations == (2, 4, 8, 16)
  assert gated.GatedGenerator((16, 16, 1), 0.25).dilations == (2,)
  assert gated.GatedGenerator((8, 8, 1), 0.25).dilations == (1,)
  with pytest.raises(ValueError, match="stages must be one of"):
    gated.GatedGenerator((16, 16, 3), stages=3)


def test_a_saved_generator_loads_with_the_same_outputs(tmp_path):
  g = gated.GatedGenerator((16, 16, 3), width=0.25, stages=2, name="generator")
  g.build(g.input_shapes())
  images, masks = _inputs()
  path = os.path.join(tmp_path, "g.keras")
  g.save(path)
  loaded = keras.models.load_model(path)
  assert loaded.get_config()["stages"] == 2
  np.testing.assert_array_equal(loaded([images, masks]).numpy(), g([images, masks]).numpy())
  assert len(tf.nest.flatten(loaded.trainable_weights)) == len(g.trainable_weights)
