import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import build, data, distribute, layers, losses, networks
from tfgan import config as config_lib
from tfgan.models import gan
from tfgan.networks import resnet

# side -> G's start side, channels of its linear layer and of each up block; D's channels of
# each block and the side of its last feature map: at width 1, SNGAN's table 4 at 32 px
# (28 px: the same from 7x7) and its code's ImageNet ResNets at 64 and 128 px.
GEOMETRY = {28: (7, 256, [256] * 2, [128] * 4, 7),
            32: (4, 256, [256] * 3, [128] * 4, 8),
            64: (4, 1024, [512, 256, 128, 64], [64, 128, 256, 512, 1024], 2),
            128: (4, 1024, [1024, 512, 256, 128, 64], [64, 128, 256, 512, 1024, 1024], 4)}
WIDTH = 1 / 16  # ch = 4


def _labels(n, num_classes=10):
  return (np.arange(n) * 3 % num_classes).astype(np.int32)


def _batch(n=8, side=28, channels=1):
  x = np.random.default_rng(0).uniform(-1, 1, (n, side, side, channels)).astype(np.float32)
  return tf.data.Dataset.from_tensors((x, _labels(n))).repeat()


@pytest.mark.integration
@pytest.mark.parametrize("side", sorted(GEOMETRY))
@pytest.mark.parametrize("num_classes", [0, 10])
def test_shapes_schedules_and_ranges(side, num_classes):
  channels = 1 if side == 28 else 3
  g, d = networks.build("resnet", 8, (side, side, channels), width=WIDTH,
                        num_classes=num_classes)
  start, project, g_channels, d_channels, last = GEOMETRY[side]
  assert g.project.units == start * start * round(project * WIDTH)
  assert [b.conv_2.filters for b in g.blocks] == [round(c * WIDTH) for c in g_channels]
  assert [b.conv_2.filters for b in d.blocks] == [round(c * WIDTH) for c in d_channels]
  z = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
  labels = _labels(3)
  inputs = [z, labels] if num_classes else z
  x = np.asarray(g(inputs, training=True))
  assert x.shape == (3, side, side, channels) and x.dtype == np.float32
  assert not np.allclose(x[0], x[1])  # the image depends on z
  # A tanh output: the last convolution's kernel scaled 1000x saturates it at both -1 and 1,
  # never beyond (a linear output would run far past 1, a sigmoid stop at 0).
  g.to_image.kernel.assign(g.to_image.kernel * 1000.0)
  big = np.asarray(g(inputs, training=True))
  assert -1 <= big.min() < -0.99 and 0.99 < big.max() <= 1
  h = x
  for block in d.blocks:
    h = block(h)
  assert h.shape[1:3] == (last, last)  # the feature map D sum-pools
  logits = np.asarray(d([x, labels] if num_classes else x))
  assert logits.shape == (3, 1) and np.isfinite(logits).all()


def test_unsupported_sizes_and_options_are_refused_with_the_flag():
  with pytest.raises(ValueError, match=r"resnet supports \[28, 32, 64, 128\] pixel images "
                                       r"\(--image_size\), got 48"):
    networks.build("resnet", 8, (48, 48, 3), width=WIDTH)
  with pytest.raises(ValueError, match="square"):
    networks.build("resnet", 8, (32, 64, 3), width=WIDTH)
  with pytest.raises(ValueError, match="normalization must be one of"):
    resnet.ResNetGANDiscriminator((32, 32, 3), width=WIDTH, normalization="batch")
  with pytest.raises(ValueError, match="d_norm 'batch' is not available for network resnet"):
    networks.check("resnet", "batch")
  with pytest.raises(ValueError, match="d_norm 'batch' is not available for network resnet"):
    build.validate(config_lib.make(network="resnet", d_norm="batch"))


def test_conditional_batch_norm_is_batch_norm_with_a_gain_and_bias_per_class():
  rng = np.random.default_rng(0)
  norm = layers.ConditionalBatchNorm(3, epsilon=1e-3)
  x = rng.standard_normal((6, 2, 2, 4)).astype(np.float32) * 3 + 1
  y = np.array([0, 1, 2, 2, 1, 0], np.int32)
  norm(x, y)
  gamma, beta = rng.standard_normal((2, 3, 4)).astype(np.float32)
  norm.gamma.assign(gamma)
  norm.beta.assign(beta)
  mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
  expected = (x - mean) / np.sqrt(var + 1e-3) * gamma[y][:, None, None] + beta[y][:, None, None]
  np.testing.assert_allclose(np.asarray(norm(x, y, training=True)), expected, atol=1e-4)
  # Inference mode: the moving averages, which that training call moved.
  moving = np.asarray(norm.norm.moving_variance)
  assert not np.allclose(moving, 1.0)
  expected = ((x - np.asarray(norm.norm.moving_mean)) / np.sqrt(moving + 1e-3)
              * gamma[y][:, None, None] + beta[y][:, None, None])
  np.testing.assert_allclose(np.asarray(norm(x, y, training=False)), expected, atol=1e-4)


@pytest.mark.integration
def test_conditioning_cbn_in_g_projection_or_concat_in_d():
  g, d = networks.build("resnet", 8, (28, 28, 1), width=WIDTH, num_classes=10)
  norms = [n for b in g.blocks for n in (b.bn_1, b.bn_2)]
  assert all(isinstance(n, layers.ConditionalBatchNorm) for n in norms)
  assert type(g.bn_out) is keras.layers.BatchNormalization  # unconditional, as SNGAN's
  # Every batch norm, the conditional ones' inner normalisation included, is synchronizable.
  assert distribute.synchronize_batch_norm(g) == len(norms) + 1
  assert isinstance(d.embed, layers.SpectralEmbedding)
  z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
  labels = np.array([0, 3, 7, 9], np.int32)
  x = np.asarray(g([z, labels]))
  logits = np.asarray(d([x, labels]))
  assert not np.allclose(np.asarray(g([z, labels[::-1]])), x)
  assert not np.allclose(np.asarray(d([x, (labels + 1) % 10])), logits)
  with pytest.raises(ValueError, match="conditional"):
    g(z)
  _, concat = networks.build("resnet", 8, (28, 28, 1), width=WIDTH, num_classes=10,
                             d_options=dict(conditioning="concat"))
  assert concat.embed is None and concat.blocks[0].conv_1.kernel.shape[2] == 1 + 10
  unconditional, _ = networks.build("resnet", 8, (28, 28, 1), width=WIDTH)
  assert type(unconditional.blocks[0].bn_1) is keras.layers.BatchNormalization


@pytest.mark.integration
def test_config_and_keras_file_round_trips_give_identical_outputs(tmp_path):
  # Conditional, with minibatch stddev: every kind of layer and variable the pair has.
  num_classes = 10
  g, d = networks.build("resnet", 8, (28, 28, 1), width=WIDTH, num_classes=num_classes,
                        d_options=dict(minibatch_std=True))
  z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
  labels = _labels(4)
  g_in = [z, labels]
  x = g(g_in, training=True)  # moves the batch-norm statistics off their initial values
  d_in = [x, labels]
  d(d_in, training=True)  # and the spectral norms' power-iteration vectors
  for net, inputs in ((g, g_in), (d, d_in)):
    clone = type(net).from_config(net.get_config())
    clone.build(clone.input_shapes())
    clone.set_weights(net.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(inputs)), np.asarray(net(inputs)))
    path = str(tmp_path / f"{net.name}.keras")
    net.save(path)
    loaded = keras.models.load_model(path, compile=False)
    assert type(loaded) is type(net) and loaded.get_config() == net.get_config()
    np.testing.assert_array_equal(np.asarray(loaded(inputs)), np.asarray(net(inputs)))


@pytest.mark.integration
@pytest.mark.parametrize("num_classes", [0, 10])
def test_spectral_norm_applies_to_every_d_layer_when_asked(num_classes):
  x = np.random.default_rng(0).uniform(-1, 1, (4, 32, 32, 3)).astype(np.float32)
  inputs = [x, _labels(4)] if num_classes else x
  for normalization, kind in (("spectral", layers.SpectralConv2D), ("none", keras.layers.Conv2D)):
    _, d = networks.build("resnet", 8, (32, 32, 3), width=WIDTH, num_classes=num_classes,
                          d_options=dict(normalization=normalization))
    convs = [c for b in d.blocks for c in (b.conv_1, b.conv_2, b.shortcut) if c is not None]
    assert len(convs) == 4 * 2 + 2  # shortcut convs in the two blocks that downsample
    assert all(type(c) is kind for c in convs)
    before = np.asarray(d(inputs))
    # Scaling every raw kernel (and the embedding) 10x leaves a normalised D's logits exactly
    # where they were, whatever the power iteration's state: W / sigma(W) is scale-free.
    weights = [c._kernel for c in convs] + [d.logits._kernel] + (
        [d.embed._embeddings] if num_classes else [])
    for w in weights:
      w.assign(w * 10.0)
    after = np.asarray(d(inputs))
    if normalization == "spectral":
      np.testing.assert_allclose(after, before, rtol=1e-4, atol=1e-5)
    else:
      assert not np.allclose(after, before, rtol=0.5)


@pytest.mark.integration
def test_the_gan_family_trains_resnet_with_its_options():
  # --network=resnet through the family: spectral D by default (d_norm auto), conditional
  # with projection, hinge, EMA; two steps change both networks and stay finite.
  config = config_lib.make(network="resnet", width=WIDTH, latent_dim=8, loss="hinge",
                           conditional=True, ema_kimg=0.1, batch_size=8)
  assert build.validate(config).name == "gan"
  model = build.build_model(config, data.DataSpec("mnist", (28, 28, 1), 10))
  assert model.discriminator.normalization == "spectral"
  assert isinstance(model.discriminator.logits, layers.SpectralDense)
  assert model.ema_generator is not None and model.jit_compile is False
  model.run_eagerly = True  # tracing the step cost more than two eager steps on the 2-core CPU
  weights = [v.numpy().copy() for v in model.generator.trainable_variables +
             model.discriminator.trainable_variables]
  history = model.fit(_batch(), epochs=1, steps_per_epoch=2, verbose=0)
  assert all(np.isfinite(v[-1]) for v in history.history.values())
  after = model.generator.trainable_variables + model.discriminator.trainable_variables
  assert all(not np.allclose(a, v.numpy()) for a, v in zip(weights, after))


def test_a_gradient_penalty_critic_trains():
  # WGAN-GP's setting: no normalization in the critic, the penalty's double backward pass
  # through the residual blocks.
  g, d = networks.build("resnet", 8, (28, 28, 1), width=WIDTH,
                        d_options=dict(normalization="none"))
  model = gan.GAN(g, d, 8, loss=losses.get("wasserstein"), gp_weight=10.0, seed=1)
  # Eagerly: tracing this graph cost more than the step itself on the 2-core CPU.
  model.compile(keras.optimizers.Adam(1e-4, 0.0, 0.9), keras.optimizers.Adam(1e-4, 0.0, 0.9),
                run_eagerly=True)
  model.build_optimizers()
  history = model.fit(_batch(), epochs=1, steps_per_epoch=1, verbose=0)
  assert np.isfinite(history.history["gp"][-1]) and history.history["gp"][-1] > 0
