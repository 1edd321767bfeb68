import keras
import numpy as np
import pytest

from tfgan.networks import resnet_translation


def test_the_resnet_generator_has_the_papers_layout_and_reloads(tmp_path):
  g = resnet_translation.ResNetGenerator((32, 24, 3), out_channels=1, width=0.25)
  g.build(g.input_shapes())
  assert g.n_blocks == 6 and resnet_translation.default_blocks(256) == 9
  names = [layer.name for layer in g.layers]
  assert names.count("stem") == 1 and sum(n.startswith("block_") and n.endswith("_a")
                                          for n in names) == 6
  # ngf = 16: 7x7 stem to 16, stride-2 convolutions to 32 and 64, blocks at 64.
  assert g.stem.kernel.shape == (7, 7, 3, 16) and g.downs[1][0].kernel.shape == (3, 3, 32, 64)
  assert g.blocks[0][0].kernel.shape == (3, 3, 64, 64) and g.head.kernel.shape == (7, 7, 16, 1)
  x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 24, 3)).astype(np.float32)
  y = g(x).numpy()
  assert y.shape == (2, 32, 24, 1)
  # Instance norm: one example's output does not depend on the others in its batch.
  np.testing.assert_allclose(g(x[:1]).numpy(), y[:1], atol=1e-5)
  path = str(tmp_path / "g.keras")
  g.save(path)
  again = keras.models.load_model(path, compile=False)
  np.testing.assert_allclose(again(x).numpy(), y, atol=1e-6)
  assert again.num_downs == 2 and again.n_blocks == 6


def test_resize_upsampling_and_bad_shapes():
  g = resnet_translation.ResNetGenerator((16, 16, 3), width=0.125, n_blocks=1,
                                         upsample="resize")
  g.build(g.input_shapes())
  assert g(np.zeros((1, 16, 16, 3), np.float32)).shape == (1, 16, 16, 3)
  with pytest.raises(ValueError, match="divisible by 4"):
    resnet_translation.ResNetGenerator((18, 16, 3))
  with pytest.raises(ValueError, match="norm must be one of"):
    resnet_translation.ResNetGenerator((16, 16, 3), norm="layer")
