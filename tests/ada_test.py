"""tfgan.ada: the 'bgc' pipeline's ops against hand computations, its parameters'
probabilities and strengths, its exact gradient, and ADA's update of p."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfgan import ada
from tfgan.config import sections

SEED = tf.constant([3, 4], tf.int32)


def _identity_params(n):
  return {k: tf.identity(v) for k, v in ada.draw_parameters(n, 0.0, SEED).items()}


def _images(n=2, h=8, w=8, c=3, seed=0):
  return np.random.RandomState(seed).uniform(-1, 1, (n, h, w, c)).astype(np.float32)


def _warp(x, **changes):
  params = _identity_params(len(x))
  for key, value in changes.items():
    params[key] = tf.constant(value, tf.float32)
  return ada.warp(tf.constant(x), ada.geometric_matrix(params, x.shape[1], x.shape[2])).numpy()


def test_p_zero_is_the_identity_exactly():
  x = _images(4, 16, 12)
  np.testing.assert_array_equal(ada.augment(tf.constant(x), 0.0, SEED).numpy(), x)


def test_flip_rotate90_and_integer_translation_move_pixels_as_numpy_does():
  x = _images(2, 8, 8)
  np.testing.assert_array_equal(_warp(x, xflip=[1.0, 1.0]), x[:, :, ::-1])
  for k in range(4):
    got = _warp(x, rotate90=[float(k)] * 2)
    # A quarter turn either way: the pipeline's draws are symmetric in direction.
    assert min(np.abs(got - np.rot90(x, k, axes=(1, 2))).max(),
               np.abs(got - np.rot90(x, -k, axes=(1, 2))).max()) < 1e-5
  # xint 0.25 of 8 px = 2 px; the output at column j samples column j - 2, reflected.
  got = _warp(x, xint=[[0.25, 0.0]] * 2)
  source = np.abs(np.arange(8) - 2)
  np.testing.assert_allclose(got, x[:, :, source], atol=1e-6)


def test_colour_ops_match_their_matrices():
  x = _images(3)
  params = _identity_params(3)
  params["brightness"] = tf.constant([0.1, -0.2, 0.0])
  params["contrast"] = tf.constant([2.0, 1.0, 0.5])
  got = ada.apply_colour(tf.constant(x), ada.colour_matrix(params)).numpy()
  expected = (x + np.array([0.1, -0.2, 0.0])[:, None, None, None]) * \
      np.array([2.0, 1.0, 0.5])[:, None, None, None]
  np.testing.assert_allclose(got, expected, atol=1e-6)
  grey = np.repeat(_images(3, c=1), 3, axis=-1)
  params = _identity_params(3)
  params["lumaflip"] = tf.constant([1.0, 1.0, 0.0])
  params["hue"] = tf.constant([1.0, -2.0, 3.0])
  params["saturation"] = tf.constant([4.0, 0.25, 2.0])
  got = ada.apply_colour(tf.constant(grey), ada.colour_matrix(params)).numpy()
  # Grey lies on the luma axis: hue and saturation keep it, the luma flip negates it.
  np.testing.assert_allclose(got, grey * np.array([-1, -1, 1])[:, None, None, None], atol=1e-5)
  colour = _images(1)
  params = _identity_params(1)
  params["hue"] = tf.constant([2.0])
  got = ada.apply_colour(tf.constant(colour), ada.colour_matrix(params)).numpy()
  # A hue rotation keeps each pixel's mean and its distance from grey.
  np.testing.assert_allclose(got.mean(-1), colour.mean(-1), atol=1e-5)
  np.testing.assert_allclose(np.linalg.norm(got - got.mean(-1, keepdims=True), axis=-1),
                             np.linalg.norm(colour - colour.mean(-1, keepdims=True), axis=-1),
                             atol=1e-5)
  assert np.abs(got - colour).max() > 0.1
  one = _images(2, c=1)
  params = _identity_params(2)
  params["brightness"] = tf.constant([0.3, 0.0])
  params["lumaflip"] = tf.constant([0.0, 1.0])
  got = ada.apply_colour(tf.constant(one), ada.colour_matrix(params)).numpy()
  np.testing.assert_allclose(got, np.stack([one[0] + 0.3, -one[1]]), atol=1e-5)


def test_parameters_have_the_papers_probabilities_and_strengths():
  n, p = 40000, 0.4
  params = {k: v.numpy() for k, v in ada.draw_parameters(n, p, SEED).items()}
  rng = 0.012  # ~4 standard errors of a frequency near 0.4 at n = 40000

  def applied(key, identity):
    values = params[key]
    return (np.abs(values - identity) > 1e-7) if values.ndim == 1 else \
        (np.abs(values - identity) > 1e-7).any(axis=1)

  # Ops whose draws can equal the identity: flips and quarter turns, half and a quarter of
  # the time; the continuous ones apply exactly with probability p.
  assert abs(applied("xflip", 0).mean() - p / 2) < rng
  assert abs(applied("rotate90", 0).mean() - p * 3 / 4) < rng
  assert abs(applied("lumaflip", 0).mean() - p / 2) < rng
  for key, identity in (("xint", 0), ("scale", 1), ("aniso", 1), ("xfrac", 0),
                        ("brightness", 0), ("contrast", 1), ("hue", 0), ("saturation", 1)):
    assert abs(applied(key, identity).mean() - p) < rng, key
  rotated = applied("pre_rotate", 0) | applied("post_rotate", 0)
  assert abs(rotated.mean() - p) < rng  # two rotations at 1 - sqrt(1 - p) each
  assert abs(applied("pre_rotate", 0).mean() - (1 - math.sqrt(1 - p))) < rng
  on = lambda key, identity: params[key][applied(key, identity)]  # noqa: E731
  assert set(np.unique(on("rotate90", 0))) == {1.0, 2.0, 3.0}
  assert np.abs(on("xint", 0)).max() <= 0.125
  for key, std in (("scale", 0.2), ("aniso", 0.2), ("contrast", 0.5), ("saturation", 1.0)):
    assert abs(np.log2(on(key, 1)).std() - std) < 0.03 * std + 0.005, key
  assert abs(on("brightness", 0).std() - 0.2) < 0.01
  assert abs(on("xfrac", 0).std() - 0.125) < 0.005
  hue = on("hue", 0)
  assert hue.min() > -math.pi and hue.max() < math.pi and abs(hue.std() - math.pi / 3 ** .5) < .05


def test_warp_gradient_is_the_exact_adjoint_of_the_sampling():
  x = _images(1, 5, 6, 1)
  params = {k: v for k, v in ada.draw_parameters(1, 0.9, tf.constant([7, 1])).items()}
  matrix = ada.geometric_matrix(params, 5, 6)
  basis = np.eye(30, dtype=np.float32).reshape(30, 5, 6, 1)
  columns = ada.warp(tf.constant(basis), tf.repeat(matrix, 30, axis=0)).numpy()
  jacobian = columns.reshape(30, 30).T  # output pixel x input pixel
  np.testing.assert_allclose(ada.warp(tf.constant(x), matrix).numpy().reshape(-1),
                             jacobian @ x.reshape(-1), atol=1e-5)
  y = tf.constant(_images(1, 5, 6, 1, seed=1))
  xt = tf.constant(x)
  with tf.GradientTape() as tape:
    tape.watch(xt)
    inner = tf.reduce_sum(ada.warp(xt, matrix) * y)
  np.testing.assert_allclose(tape.gradient(inner, xt).numpy().reshape(-1),
                             jacobian.T @ y.numpy().reshape(-1), atol=1e-5)
  assert np.abs(jacobian - np.eye(30)).max() > 0.1  # p 0.9 moved something


def test_a_replicas_rows_are_the_global_batchs_rows():
  x = _images(6, 8, 8)
  whole = ada.augment(tf.constant(x), 0.7, SEED).numpy()
  part = ada.augment(tf.constant(x[2:4]), 0.7, SEED, rows=(2, 6)).numpy()
  np.testing.assert_allclose(part, whole[2:4], atol=1e-6)


def test_p_follows_the_sign_of_r_t_minus_the_target_every_interval():
  aug = ada.AdaptiveAugment(target=0.6, kimg=1.0, interval=4)
  confident = tf.constant([2.0, 1.0, 3.0, 0.5, 1.0, 1.0, 1.0, 1.0])  # r_t 1 > 0.6
  for i in range(3):
    aug.observe(confident)
    aug.adjust(8)
    assert float(aug.p) == 0.0  # no update before the 4th iteration
  aug.observe(confident)
  aug.adjust(8)
  assert float(aug.p) == pytest.approx(4 * 8 / 1000.0)  # interval x batch / (kimg x 1000)
  assert float(aug.r_t) == 1.0
  assert float(aug.sign_count) == 0.0  # the sums restart
  unsure = tf.constant([1.0, -1.0, -2.0, 1.0, 1.0, -1.0, 1.0, -1.0])  # r_t 0 < 0.6
  for _ in range(8):
    aug.observe(unsure)
    aug.adjust(8)
  assert float(aug.p) == 0.0  # down by 0.032 twice, clipped at 0
  assert float(aug.r_t) == 0.0
  fixed = ada.AdaptiveAugment(initial_p=0.3, adaptive=False)
  for _ in range(8):
    fixed.observe(confident)
    fixed.adjust(8)
  assert float(fixed.p) == pytest.approx(0.3)
  high = ada.AdaptiveAugment(kimg=0.001, initial_p=0.99, interval=1)
  high.observe(confident)
  high.adjust(8)
  assert float(high.p) == pytest.approx(ada.P_MAX)  # stays below 1


def test_bad_settings_are_named():
  with pytest.raises(ValueError, match="ada_p"):
    ada.check(sections.make(ada_p=1.0).objective)
  with pytest.raises(ValueError, match="ada_kimg"):
    ada.check(sections.make(ada=True, ada_kimg=0.0).objective)
  with pytest.raises(ValueError, match="ada_target"):
    ada.check(sections.make(ada=True, ada_target=1.5).objective)
  with pytest.raises(ValueError, match="1- or 3-channel"):
    ada.augment(tf.zeros([1, 8, 8, 4]), 0.5, SEED)
  assert ada.from_config(sections.make().objective) is None
  assert not ada.from_config(sections.make(ada_p=0.2).objective).adaptive


# The no-leak check (paper sec. 2): a toy distribution with one known orientation, an "F"
# (no symmetry: each of its 8 flips and quarter turns is another image), shifted by up to a
# pixel. D sees it through the pipeline at p; G must still draw upright F's.
SIDE = 16


def f_shape():
  """float32 [16, 16]: an upright F in 1 on -1."""
  t = -np.ones((SIDE, SIDE), np.float32)
  t[2:14, 3:5] = 1.0  # the stem
  t[2:4, 3:13] = 1.0  # the top arm
  t[7:9, 3:10] = 1.0  # the middle arm
  return t


def orientations():
  """The F's 8 orientations: 0 upright, 1-3 quarter turns, 4-7 mirrored and turned."""
  t = f_shape()
  return [np.rot90(f, k) for f in (t, t[:, ::-1]) for k in range(4)]


def toy_faces(n, seed=0):
  """float32 [n, 16, 16, 1]: upright F's, each shifted by -1..1 px on each axis."""
  rng = np.random.default_rng(seed)
  shifts = rng.integers(-1, 2, (n, 2))
  return np.stack([np.roll(f_shape(), tuple(s), (0, 1)) for s in shifts])[..., None]


def classify(images):
  """(orientation index [N], its correlation [N]) of images [N, 16, 16, 1]: the best mean
  product with any of the 8 orientations at any shift of -1..1 px (1 for an exact F)."""
  x = images[..., 0]
  scores = np.stack([np.max([np.mean(x * np.roll(o, (dy, dx), (0, 1)), axis=(1, 2))
                             for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)
                     for o in orientations()], axis=1)
  return scores.argmax(1), scores.max(1)


def train_toy(p, steps, leak=False, seed=0):
  """An MLP GAN trained `steps` steps (batch 64) on toy_faces with ADA at a fixed p; `leak`
  breaks it on purpose (reals augmented, fakes shown to D as they are). Returns 512 samples."""
  import keras
  from tfgan import losses, networks
  from tfgan.models import gan
  keras.utils.set_random_seed(seed)
  g, d = networks.build("mlp", 16, (SIDE, SIDE, 1), width=0.5)
  model = gan.GAN(g, d, 16, loss=losses.get("non_saturating"), seed=1,
                  ada=ada.AdaptiveAugment(initial_p=p, adaptive=False))
  if leak:
    augment, step = model._augment, model._discriminator_step
    model._augment = lambda images, seed=None: images
    model._discriminator_step = lambda real, labels: step(augment(real), labels)
  model.compile(keras.optimizers.Adam(1e-3, 0.5), keras.optimizers.Adam(1e-3, 0.5))
  model.build_optimizers()
  data = tf.data.Dataset.from_tensor_slices(toy_faces(2048)).shuffle(2048, seed=0)
  model.fit(data.repeat().batch(64), steps_per_epoch=steps, epochs=1, verbose=0)
  z = np.random.default_rng(5).standard_normal((512, 16)).astype(np.float32)
  return np.asarray(g(z, training=False))


@pytest.mark.integration
def test_a_run_at_p_0_6_draws_no_rotated_or_mirrored_samples():
  # Measured (benchmarks/ada_leak.py): 100% upright at p 0.5 and 0.6; at p 0.8 a fifth of
  # the samples turned; augmenting the reals alone leaves ~20% upright (chance: 12.5%).
  orientation, correlation = classify(train_toy(0.6, 200))
  assert np.median(correlation) > 0.7  # it draws F's
  assert (orientation == 0).mean() >= 0.97, np.bincount(orientation, minlength=8)


def test_the_flags_give_gan_and_stylegan2_their_ada_and_other_families_refuse_it():
  from tfgan import build, data
  spec = data.DataSpec("faces", (32, 32, 3), 0)
  for family, network, extra in (("gan", "dcgan", {}), ("gan", "resnet", {}),
                                 ("stylegan2", "stylegan2", dict(r1_gamma=0.1))):
    config = sections.make(family=family, network=network, ada=True, ada_target=0.5,
                           ada_kimg=20.0, ada_p=0.1, width=1 / 64, latent_dim=8, **extra)
    build.validate(config)
    model = build.build_model(config, spec)
    assert model.ada.adaptive and (model.ada.target, model.ada.kimg) == (0.5, 20.0), family
    assert float(model.ada.p) == pytest.approx(0.1)
    assert "ada" in model.checkpoint_objects()
  fixed = build.build_model(sections.make(ada_p=0.3, width=1 / 64, latent_dim=8), spec)
  assert not fixed.ada.adaptive and build.build_model(sections.make(), spec).ada is None
  for family, network in (("pix2pix", "unet"), ("cyclegan", "resnet")):
    with pytest.raises(ValueError, match="'ada'.* family"):
      build.validate(sections.make(family=family, network=network, ada=True))
