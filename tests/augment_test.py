import numpy as np
import pytest
import tensorflow as tf

from tfgan import augment

SEED = tf.constant([3, 4], tf.int32)


def _images(seed=0, n=8):
  return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, 3)), tf.float32)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout",
                                    "color,translation,cutout"])
def test_shapes_gradients_and_determinism(policy):
  x = _images()
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = augment.diff_augment(x, policy, SEED)
    total = tf.reduce_sum(y * y)
  grad = tape.gradient(total, x)
  assert y.shape == x.shape and y.dtype == tf.float32
  assert grad is not None and np.all(np.isfinite(grad.numpy()))
  assert np.abs(grad.numpy()).sum() > 0
  np.testing.assert_array_equal(augment.diff_augment(x, policy, SEED).numpy(), y.numpy())
  other = augment.diff_augment(x, policy, tf.constant([5, 6], tf.int32)).numpy()
  assert not np.allclose(other, y.numpy())


@pytest.mark.parametrize("policy", ["translation", "cutout"])
def test_geometric_ops_keep_the_value_range(policy):
  x = _images()
  y = augment.diff_augment(x, policy, SEED).numpy()
  assert y.min() >= min(x.numpy().min(), 0.0) and y.max() <= max(x.numpy().max(), 0.0)
  assert np.mean(y == 0) > 0  # zero fill or cut-out squares appear


def test_the_same_seed_transforms_real_and_fake_alike():
  # With one seed, translation and cutout move/mask the same pixels of two different batches.
  ones_a, ones_b = tf.ones((8, 16, 16, 3)), 2 * tf.ones((8, 16, 16, 3))
  a = augment.diff_augment(ones_a, "translation,cutout", SEED).numpy()
  b = augment.diff_augment(ones_b, "translation,cutout", SEED).numpy()
  np.testing.assert_array_equal(a == 0, b == 0)
  # Translation really shifts: a known image moves by whole pixels.
  x = np.zeros((1, 16, 16, 1), np.float32)
  x[0, 8, 8, 0] = 1.0
  moved = augment.translation(tf.constant(x), SEED).numpy()
  assert moved.sum() in (0.0, 1.0)
  if moved.sum():
    (y, x_), = np.argwhere(moved[0, ..., 0] == 1.0)
    assert abs(y - 8) <= 2 and abs(x_ - 8) <= 2


def _color_factors(n=400, seed=SEED):
  """Recovers each example's (brightness, saturation, contrast) of augment.color under `seed`
  from three probe batches (the factors depend on the seed and batch size only):

  - a flat grey image: saturation and contrast have nothing to act on, so y - x = brightness;
  - a grey image varying in space: saturation still does nothing (the channels are equal), and
    the deviation from the image mean is scaled by the contrast;
  - one coloured pixel repeated: the deviation from the pixel's channel mean is scaled by
    saturation x contrast (the image mean is that channel mean).
  """
  flat = tf.fill((n, 4, 4, 3), 0.25)
  brightness = (augment.color(flat, seed) - flat).numpy()
  assert np.ptp(brightness.reshape(n, -1), axis=1).max() < 1e-6  # one shift per example
  ramp = np.linspace(-0.8, 0.8, 16, dtype=np.float32).reshape(1, 4, 4, 1)
  grey = tf.constant(np.tile(ramp, (n, 1, 1, 3)))
  y = augment.color(grey, seed).numpy()
  contrast = ((y - y.mean(axis=(1, 2, 3), keepdims=True))[:, 0, 0, 0]
              / (ramp[0, 0, 0, 0] - ramp.mean()))
  pixel = np.array([-0.6, 0.1, 0.5], np.float32)
  coloured = tf.constant(np.tile(pixel, (n, 4, 4, 1)))
  y = augment.color(coloured, seed).numpy()
  scaled = (y - y.mean(axis=3, keepdims=True))[:, 0, 0, 0] / (pixel[0] - pixel.mean())
  return brightness[:, 0, 0, 0], scaled / contrast, contrast


def test_color_is_diffaugments_brightness_saturation_and_contrast():
  # Zhao et al.'s rand_brightness, rand_saturation and rand_contrast (they commute):
  # x + U[-0.5, 0.5]; (x - channel mean) * U[0, 2] + channel mean; (x - image mean) *
  # U[0.5, 1.5] + image mean, one draw per example.
  brightness, saturation, contrast = _color_factors()
  for values, (low, high) in ((brightness, (-0.5, 0.5)), (saturation, (0.0, 2.0)),
                              (contrast, (0.5, 1.5))):
    assert low - 1e-5 <= values.min() and values.max() <= high + 1e-5
    # 400 uniform draws reach within 5% of both ends and are spread, not one value.
    assert values.min() < low + 0.05 * (high - low) and values.max() > high - 0.05 * (high - low)
    assert np.unique(np.round(values, 4)).size > 300
  # Independent draws: brightness says nothing about contrast.
  assert abs(np.corrcoef(brightness, contrast)[0, 1]) < 0.2
  # Any image: the three operations in that order with the recovered factors.
  x = np.random.default_rng(1).uniform(-1, 1, (400, 4, 4, 3)).astype(np.float32)
  b, s, c = (v[:, None, None, None] for v in (brightness, saturation, contrast))
  expected = x + b
  mean = expected.mean(axis=3, keepdims=True)
  expected = (expected - mean) * s + mean
  mean = expected.mean(axis=(1, 2, 3), keepdims=True)
  expected = (expected - mean) * c + mean
  np.testing.assert_allclose(augment.color(tf.constant(x), SEED).numpy(), expected, atol=1e-4)


def test_unknown_op_is_refused():
  with pytest.raises(ValueError, match="Unknown DiffAugment ops"):
    augment.parse_policy("color,flip")
  assert augment.parse_policy("") == ()


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_slices_of_a_global_batch_get_their_rows_of_the_global_transform(policy):
  # What two replicas do: each augments its half, told which rows of the global batch it holds.
  x = tf.random.stateless_uniform([6, 8, 8, 3], [1, 2], -1, 1)
  seed = tf.constant([4, 5], tf.int32)
  whole = augment.diff_augment(x, policy, seed)
  halves = [augment.diff_augment(x[i * 3:(i + 1) * 3], policy, seed, rows=(i * 3, 6))
            for i in range(2)]
  np.testing.assert_allclose(tf.concat(halves, 0).numpy(), whole.numpy(), atol=1e-6)
  # Without `rows` each half would draw as if it were the whole batch: other transforms.
  alone = augment.diff_augment(x[3:], policy, seed)
  assert not np.allclose(alone.numpy(), whole[3:].numpy())


def _zeroed_per_example(policy, side, n=400):
  ones = tf.ones((n, side, side, 1))
  out = augment.diff_augment(ones, policy, SEED).numpy()[..., 0]
  return out == 0


def test_cutout_zeroes_the_references_square_and_reaches_both_borders():
  # Zhao et al.'s reference: a 16x16 square at 32 px (int(32 * 0.5 + 0.5)), its centre
  # anywhere in 0..32 for even sizes, clipped at the borders.
  zeroed = _zeroed_per_example("cutout", 32)
  counts = zeroed.sum(axis=(1, 2))
  assert counts.max() == 16 * 16 and counts.min() >= 8 * 8
  rows = zeroed.any(axis=2)  # [n, 32]: which rows each square covers
  heights = rows.sum(1)
  assert set(heights) <= set(range(8, 17)) and 16 in heights
  # Both borders get covered, each also by a square cut to its 8 rows inside: an even size's
  # centre ranges over 0..32, so the last row is reached as often as the first.
  assert (heights[rows[:, 0]] == 8).any() and (heights[rows[:, -1]] == 8).any()
  # Odd sizes: a 9x9 square at 17 px (int(8.5 + 0.5)).
  assert _zeroed_per_example("cutout", 17).sum(axis=(1, 2)).max() == 9 * 9


def test_translation_shifts_by_up_to_the_rounded_fraction():
  # int(20 * 0.125 + 0.5) = 3 pixels at 20 px (round half to even would give 2).
  zeroed = _zeroed_per_example("translation", 20)
  empty_rows = zeroed.all(axis=2).sum(1)  # rows shifted in from outside: |dy|
  empty_cols = zeroed.all(axis=1).sum(1)
  assert empty_rows.max() == 3 and empty_cols.max() == 3
  assert set(empty_rows) == {0, 1, 2, 3}
  # The content moves whole: no pixel of a shifted image is lost except at the border.
  assert (zeroed.sum(axis=(1, 2)) == 20 * 20 - (20 - empty_rows) * (20 - empty_cols)).all()
