import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import losses, networks, precision
from tfgan.models import gan


def _gan(policy, loss="non_saturating", **kwargs):
  keras.utils.set_random_seed(3)
  with precision.policy_scope(policy):
    g, d = networks.build("dcgan", 8, (28, 28, 1), width=0.125, kernel_size=3,
                          d_options=dict(normalization="none"))
  model = gan.GAN(g, d, 8, loss=losses.get(loss), seed=5, **kwargs)
  model.compile(precision.wrap_optimizer(keras.optimizers.Adam(1e-3), policy),
                precision.wrap_optimizer(keras.optimizers.Adam(1e-3), policy))
  model.build_optimizers()
  return model


def test_policy_scope_applies_inside_and_restores_the_global_policy():
  before = keras.config.dtype_policy().name
  with precision.policy_scope("mixed_bfloat16"):
    layer = keras.layers.Dense(2)
  assert layer.compute_dtype == "bfloat16" and layer.variable_dtype == "float32"
  assert keras.config.dtype_policy().name == before
  with pytest.raises(ValueError, match="mixed_precision must be one of"):
    with precision.policy_scope("float16"):
      pass


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_steps_train_with_float32_losses(policy):
  model = _gan(policy, gp_weight=10.0, loss="wasserstein")
  assert model.generator.compute_dtype == policy.split("_")[1]
  assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer) == (
      policy == "mixed_float16")
  x = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
  d0 = [v.numpy().copy() for v in model.discriminator.trainable_variables]
  history = model.fit(tf.data.Dataset.from_tensors(x).repeat(), epochs=1, steps_per_epoch=3,
                      verbose=0)
  assert model.step_count() == 3
  for key, values in history.history.items():
    assert np.isfinite(values[-1]), key
  assert all(v.dtype == "float32" for v in model.discriminator.trainable_variables)
  assert any(not np.allclose(a, v.numpy())
             for a, v in zip(d0, model.discriminator.trainable_variables))
  assert model._d_scores(tf.constant(x), None).dtype == tf.float32


def test_float16_loss_scaling_skips_a_step_with_overflowing_gradients():
  model = _gan("mixed_float16")
  model.d_optimizer.dynamic_scale.assign(2.0 ** 30)  # certain to overflow float16 gradients
  x = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
  d0 = [v.numpy().copy() for v in model.discriminator.trainable_variables]
  model.fit(tf.data.Dataset.from_tensors(x).repeat(), epochs=1, steps_per_epoch=1, verbose=0)
  # The overflowing update was skipped (weights unchanged) and the scale halved.
  for before, var in zip(d0, model.discriminator.trainable_variables):
    np.testing.assert_array_equal(before, var.numpy())
  assert float(model.d_optimizer.dynamic_scale) == 2.0 ** 29


def test_float32_copy_is_a_float32_model_with_the_same_function():
  model = _gan("mixed_bfloat16")
  copy = precision.float32_copy(model.generator)
  assert copy is not model.generator and precision.computes_in_float32(copy)
  z = tf.random.stateless_normal([4, 8], [1, 2])
  out16, out32 = model.generator(z), copy(z)
  assert out16.dtype == tf.bfloat16 and out32.dtype == tf.float32
  # bfloat16 keeps 8 significant bits: measured 5.5e-4 at most between the two (this seed),
  # on outputs that reach 0.11. A copy with other weights differs by about the outputs' size.
  assert np.abs(out32.numpy()).max() > 0.05
  np.testing.assert_allclose(out32.numpy(), tf.cast(out16, tf.float32).numpy(), atol=3e-3)
  plain = _gan("none").generator
  assert precision.float32_copy(plain) is plain


def test_a_dropped_float16_step_still_counts_as_a_step_trained():
  # Both optimizers overflow on the first step and drop it; the step counter counts batches
  # trained, so fit() stops after exactly the asked batches and no step number repeats.
  from tfgan import callbacks as cb
  model = _gan("mixed_float16", r1_gamma=1.0, r1_every=2)
  model.g_optimizer.dynamic_scale.assign(2.0 ** 40)
  model.d_optimizer.dynamic_scale.assign(2.0 ** 40)
  seen = []

  class Steps(cb.StepCallback):
    def at_step(self, step, logs):
      seen.append(step)

  x = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
  model.fit(tf.data.Dataset.from_tensors(x).repeat(), epochs=1, steps_per_epoch=10, verbose=0,
            callbacks=[Steps(), cb.StopAt(4)])
  assert seen == [1, 2, 3, 4] and model.step_count() == 4
  assert int(model.g_skipped.numpy()) >= 1 and int(model.d_skipped.numpy()) >= 1
  assert int(model.g_optimizer.iterations.numpy()) == 4 - int(model.g_skipped.numpy())
  assert set(model.checkpoint_objects()) >= {"g_skipped", "d_skipped"}
