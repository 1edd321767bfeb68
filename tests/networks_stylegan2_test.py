"""StyleGAN2's layers and networks against hand computations: FIR resampling against a numpy
upfirdn2d, the modulated (de)modulated convolution against per-example kernels, the equalised
learning-rate gains and the mapping multiplier, noise, the toRGB skip sum, truncation and w_avg,
the discriminator's blocks and projection, serialization and the sizes it takes."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan.networks import stylegan2, stylegan2_layers as sl


def _upfirdn(x, f, up=1, pad=(0, 0), down=1, gain=1.0):
  """numpy upfirdn2d of one image x [H, W] (NVlabs' reference): zeros after each pixel, pad,
  true convolution with f x gain (VALID), keep every down-th pixel."""
  h, w = x.shape
  u = np.zeros((h * up, w * up))
  u[::up, ::up] = x
  u = np.pad(u, ((pad[0], pad[1]), (pad[0], pad[1])))
  k = (f * gain)[::-1, ::-1]
  n = k.shape[0]
  out = np.array([[np.sum(u[i:i + n, j:j + n] * k) for j in range(u.shape[1] - n + 1)]
                  for i in range(u.shape[0] - n + 1)])
  return out[::down, ::down]


def test_the_fir_filter_upsampling_and_blur_equal_numpy_upfirdn():
  f = sl.fir_filter()
  np.testing.assert_allclose(f, np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0)
  x = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype(np.float32)
  up = np.asarray(sl.upsample(tf.constant(x)))
  down = np.asarray(sl.blur(tf.constant(x), (1, 1), stride=2))
  same = np.asarray(sl.blur(tf.constant(x), (2, 1)))
  for b in range(2):
    for c in range(3):
      np.testing.assert_allclose(up[b, ..., c], _upfirdn(x[b, ..., c], f, up=2, pad=(2, 1),
                                                          gain=4.0), atol=1e-5)
      np.testing.assert_allclose(down[b, ..., c], _upfirdn(x[b, ..., c], f, pad=(1, 1),
                                                            down=2), atol=1e-5)
      np.testing.assert_allclose(same[b, ..., c], _upfirdn(x[b, ..., c], f, pad=(2, 1)),
                                 atol=1e-5)
  assert up.shape == (2, 12, 12, 3) and down.shape == (2, 3, 3, 3)
  # A constant image stays constant away from the zero padding.
  np.testing.assert_allclose(np.asarray(sl.upsample(tf.ones((1, 6, 6, 1))))[0, 3:-3, 3:-3], 1.0,
                             rtol=1e-6)


def test_lrelu_its_gradient_and_clamp_by_hand():
  x = tf.constant([-2.0, -0.5, 0.0, 0.5, 3.0])
  c = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])
  slope = np.where(x.numpy() >= 0, math.sqrt(2), 0.2 * math.sqrt(2))
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = sl.lrelu(x)
    total = tf.reduce_sum(y * c)
  np.testing.assert_allclose(y, x.numpy() * slope, rtol=1e-6)
  np.testing.assert_allclose(tape.gradient(total, x), c.numpy() * slope, rtol=1e-6)
  np.testing.assert_allclose(sl.lrelu(x, gain=2.0, clamp=1.5), [-0.8, -0.2, 0.0, 1.0, 1.5],
                             rtol=1e-6)


def _conv_valid(x, k):
  """numpy cross-correlation of x [H, W, I] with k [kh, kw, I, O], VALID."""
  n = k.shape[0]
  return np.array([[np.einsum("hwi,hwio->o", x[i:i + n, j:j + n], k)
                    for j in range(x.shape[1] - n + 1)] for i in range(x.shape[0] - n + 1)])


def _modulated(layer, x, w, noise_mode="none"):
  return np.asarray(layer([tf.constant(x), tf.constant(w)], noise_mode=noise_mode))


def test_the_modulated_convolution_equals_per_example_demodulated_kernels():
  rng = np.random.default_rng(1)
  x = rng.normal(size=(2, 5, 5, 3)).astype(np.float32)
  w = rng.normal(size=(2, 4)).astype(np.float32)
  for up in (False, True):
    layer = sl.ModulatedConv2D(2, 3, up=up, activation=False)
    layer.build(((None, 5, 5, 3), (None, 4)))
    layer.bias.assign([0.1, -0.2])
    got = _modulated(layer, x, w)
    kernel = layer.kernel.numpy()
    styles = w @ layer.affine.kernel.numpy() / 2.0 + layer.affine.bias.numpy()  # gain 1/sqrt(4)
    for b in range(2):
      k = kernel * styles[b][None, None, :, None]  # the example's kernel w * s
      k = k / np.sqrt(np.sum(k ** 2, axis=(0, 1, 2), keepdims=True) + 1e-8)  # demodulated
      if up:  # NVlabs' generic path: zeros inserted, pad (3, 2), blur x 4, VALID convolution
        planes = [_upfirdn(x[b, ..., c], sl.fir_filter(), up=2, pad=(3, 2), gain=4.0)
                  for c in range(3)]
        want = _conv_valid(np.stack(planes, -1), k)
        assert want.shape[:2] == (10, 10)
      else:
        want = _conv_valid(np.pad(x[b], ((1, 1), (1, 1), (0, 0))), k)
      np.testing.assert_allclose(got[b], want + [0.1, -0.2], atol=2e-5)


def test_demodulation_removes_the_style_scale_and_to_rgb_keeps_it():
  x = np.random.default_rng(2).normal(size=(1, 4, 4, 3)).astype(np.float32)
  w = np.zeros((1, 4), np.float32)
  layer = sl.ModulatedConv2D(2, 3, activation=False)
  to_rgb = sl.ModulatedConv2D(3, 1, demodulate=False, noise=False, activation=False)
  outs = {}
  for net in (layer, to_rgb):
    net.build(((None, 4, 4, 3), (None, 4)))
    for scale in (1.0, 5.0):  # affine(0) = its bias: styles all equal to `scale`
      net.affine.bias.assign(np.full(3, scale, np.float32))
      outs[net.name, scale] = _modulated(net, x, w)
  # atol for entries near 0 among outputs up to ~13: float32 sums are off by ~1e-6 there,
  # depending on the kernels oneDNN picks (a CI run saw 2.5e-7 at -0.017 against rtol 1e-5).
  np.testing.assert_allclose(outs[layer.name, 5.0], outs[layer.name, 1.0], rtol=1e-5,
                             atol=1e-5)
  np.testing.assert_allclose(outs[to_rgb.name, 5.0], 5.0 * outs[to_rgb.name, 1.0], rtol=1e-5,
                             atol=1e-5)
  # toRGB: styles scaled by 1/sqrt(in), no demodulation: the plain 1x1 product.
  k = to_rgb.kernel.numpy()[0, 0]
  np.testing.assert_allclose(outs[to_rgb.name, 1.0][0], x[0] @ k / math.sqrt(3), atol=1e-5)


def test_equalised_dense_gains_and_the_mapping_multiplier():
  keras.utils.set_random_seed(3)
  layer = sl.EqualizedDense(64, lr_mul=0.01, bias_init=0.0)
  layer.build((None, 256))
  assert layer.kernel.numpy().std() == pytest.approx(100.0, rel=0.05)  # N(0, 1 / lr_mul^2)
  layer.bias.assign(np.full(64, 3.0, np.float32))
  x = np.random.default_rng(4).normal(size=(2, 256)).astype(np.float32)
  want = x @ (layer.kernel.numpy() * 0.01 / 16.0) + 3.0 * 0.01
  np.testing.assert_allclose(np.asarray(layer(x)), want, rtol=1e-4, atol=1e-5)
  # One SGD step on the stored kernel moves the effective one by lr_mul^2 x the plain step.
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(layer(x))
  grad = tape.gradient(loss, layer.kernel).numpy()
  np.testing.assert_allclose(grad * (0.01 / 16.0), np.repeat(x.sum(0)[:, None], 64, 1) *
                             (0.01 / 16.0) ** 2, rtol=1e-5)
  conv = sl.EqualizedConv2D(4, 3)
  conv.build((None, 8, 8, 2))
  assert conv.weight_gain == pytest.approx(1 / math.sqrt(18))
  affine = sl.ModulatedConv2D(2)
  affine.build(((None, 4, 4, 3), (None, 5)))
  np.testing.assert_array_equal(affine.affine.bias.numpy(), 1.0)  # styles start at 1


def test_noise_starts_off_and_its_modes_differ_once_strength_is_learned():
  x = np.random.default_rng(5).normal(size=(2, 4, 4, 3)).astype(np.float32)
  w = np.random.default_rng(6).normal(size=(2, 4)).astype(np.float32)
  layer = sl.ModulatedConv2D(2, seed=7)
  layer.build(((None, 4, 4, 3), (None, 4)))
  assert float(layer.noise_strength.numpy()) == 0.0
  outs = {m: _modulated(layer, x, w, m) for m in sl.NOISE_MODES}
  np.testing.assert_array_equal(outs["random"], outs["none"])
  np.testing.assert_array_equal(outs["const"], outs["none"])
  layer.noise_strength.assign(0.5)
  const = _modulated(layer, x, w, "const")
  np.testing.assert_array_equal(const, _modulated(layer, x, w, "const"))
  assert not np.allclose(const, _modulated(layer, x, w, "none"))
  random_a, random_b = _modulated(layer, x, w, "random"), _modulated(layer, x, w, "random")
  assert not np.allclose(random_a, random_b)
  with pytest.raises(ValueError, match="noise_mode must be one of"):
    _modulated(layer, x, w, "fixed")


def _generator(side=16, **kwargs):
  keras.utils.set_random_seed(8)
  g = stylegan2.StyleGAN2Generator(latent_dim=8, image_shape=(side, side, 3), width=1 / 64,
                                   **kwargs)
  g.build(g.input_shapes())
  return g


def test_the_image_is_the_sum_of_every_resolutions_to_rgb_upsampled():
  g = _generator()
  assert g.num_ws == 6 and [len(convs) for convs, _ in g.blocks] == [1, 2, 2]
  for (_, to_rgb), colour in zip(g.blocks, ([0.5, -0.25, 0.1], [0.0] * 3, [0.2, 0.2, -0.4])):
    to_rgb.kernel.assign(np.zeros_like(to_rgb.kernel.numpy()))
    to_rgb.bias.assign(np.asarray(colour, np.float32))
  image = np.asarray(g(np.random.default_rng(9).normal(size=(2, 8)).astype(np.float32)))
  # 4x4 toRGB upsampled twice (constant inside the zero padding's reach) + the 16x16 one.
  np.testing.assert_allclose(image[:, 6:-6, 6:-6], np.array([0.7, -0.05, -0.3]) + 0 * image[
      :, 6:-6, 6:-6], atol=1e-5)


def test_mapping_normalises_z_truncates_toward_w_avg_and_w_avg_is_a_running_mean():
  g = _generator(num_classes=3)
  z = np.random.default_rng(10).normal(size=(4, 8)).astype(np.float32)
  labels = np.array([0, 1, 2, 0])
  ws = np.asarray(g.mapping(z, labels))
  assert ws.shape == (4, g.num_ws, 8)
  np.testing.assert_allclose(np.asarray(g.mapping(3.0 * z, labels)), ws, rtol=1e-4, atol=1e-6)
  assert not np.allclose(np.asarray(g.mapping(z, labels[::-1])), ws)
  g.update_w_avg(ws[:, 0].mean(0))
  np.testing.assert_allclose(g.w_avg.numpy(), 0.005 * ws[:, 0].mean(0), rtol=1e-5)
  avg = g.w_avg.numpy()
  np.testing.assert_allclose(np.asarray(g.mapping(z, labels, psi=0.0)),
                             np.broadcast_to(avg, ws.shape), atol=1e-6)
  half = np.asarray(g.mapping(z, labels, psi=0.5, cutoff=2))
  np.testing.assert_allclose(half[:, :2], avg + 0.5 * (ws[:, :2] - avg), atol=1e-6)
  np.testing.assert_allclose(half[:, 2:], ws[:, 2:], atol=1e-6)
  with pytest.raises(ValueError, match="conditional on 3 classes"):
    g.mapping(z)


def test_the_discriminator_halves_to_4x4_and_projects_its_labels():
  keras.utils.set_random_seed(11)
  d = stylegan2.StyleGAN2Discriminator(image_shape=(16, 16, 3), width=1 / 64, num_classes=2)
  d.build(d.input_shapes())
  assert [b[0].name for b in d.blocks] == ["b16_skip", "b8_skip"]
  x = np.random.default_rng(12).normal(size=(4, 16, 16, 3)).astype(np.float32)
  a = np.asarray(d([x, np.zeros(4, np.int32)]))
  b = np.asarray(d([x, np.ones(4, np.int32)]))
  assert a.shape == (4, 1) and not np.allclose(a, b)
  d.embed.kernel.assign(np.zeros_like(d.embed.kernel.numpy()))
  np.testing.assert_allclose(np.asarray(d([x, np.zeros(4, np.int32)])),
                             np.asarray(d([x, np.ones(4, np.int32)])), atol=1e-6)
  assert stylegan2.channels(4, 64, 1.0) == 512 and stylegan2.channels(64, 64, 1.0) == 256
  assert stylegan2.channels(1024, 1024, 1.0) == 32 and stylegan2.channels(8, 512, 0.25) == 128


def test_networks_round_trip_through_keras_files_at_every_size(tmp_path):
  g = _generator(num_classes=2)
  g.w_avg.assign(np.arange(8, dtype=np.float32))
  g.save(tmp_path / "g.keras")
  loaded = keras.models.load_model(tmp_path / "g.keras")
  inputs = [np.random.default_rng(13).normal(size=(2, 8)).astype(np.float32), np.array([0, 1])]
  np.testing.assert_array_equal(np.asarray(loaded(inputs)), np.asarray(g(inputs)))
  np.testing.assert_array_equal(loaded.w_avg.numpy(), np.arange(8))
  for side in (8, 1024):
    big = stylegan2.StyleGAN2Generator(latent_dim=4, image_shape=(side, side, 1), width=1 / 64)
    big.build(big.input_shapes())
    assert big.num_ws == 2 * int(math.log2(side)) - 2
  for shape in ((48, 48, 3), (32, 64, 3), (2048, 2048, 3), (4, 4, 3)):
    with pytest.raises(ValueError, match="square images of 8, 16, ..., 1024 pixels"):
      stylegan2.StyleGAN2Discriminator(image_shape=shape)


def test_style_mixing_cutoffs_and_the_mix():
  seed = keras.random.SeedGenerator(14)
  cutoffs = np.array([int(stylegan2.mixing_cutoff(6, 0.9, seed)) for _ in range(3000)])
  assert set(cutoffs) == {1, 2, 3, 4, 5, 6}
  assert np.mean(cutoffs == 6) == pytest.approx(0.1, abs=0.02)  # no mixing: 1 - 0.9
  for k in range(1, 6):  # the rest uniform over 1 .. num_ws - 1
    assert np.mean(cutoffs == k) == pytest.approx(0.18, abs=0.025)
  assert {int(stylegan2.mixing_cutoff(6, 0.0, seed)) for _ in range(20)} == {6}
  ws, other = np.zeros((2, 6, 3), np.float32), np.ones((2, 6, 3), np.float32)
  mixed = np.asarray(stylegan2.mix_styles(ws, other, 4))
  np.testing.assert_array_equal(mixed[:, :4], 0.0)
  np.testing.assert_array_equal(mixed[:, 4:], 1.0)
