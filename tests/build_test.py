import numpy as np
import pytest
import tensorflow as tf

from tfgan import build, data, losses, models, networks
from tfgan import config as config_lib


def test_jit_compile_auto_follows_the_devices_and_the_measurements():
  assert build.resolve_jit_compile("true") is True
  assert build.resolve_jit_compile("false") is False
  has_accelerator = bool(tf.config.list_physical_devices("GPU"))
  assert build.resolve_jit_compile("auto", networks.NETWORKS["dcgan"].xla_on_cpu) is (
      has_accelerator)
  assert build.resolve_jit_compile("auto", networks.NETWORKS["mlp"].xla_on_cpu) is True


@pytest.mark.parametrize("changes, message", [
    (dict(batch_size=0), "batch_size must be a positive integer"),     # config
    (dict(dataset="imagenet"), "dataset must be one of"),               # data
    (dict(dataset="mnist", image_size=64), "mnist images are 28 pixels"),
    (dict(family="stylegan9"), "family must be one of"),                # models
    (dict(network="biggan"), "network must be one of"),                 # networks
    (dict(network="mlp", d_norm="batch"), "not available for network mlp"),
    (dict(loss="wgan"), "loss must be one of"),                         # losses
    (dict(loss="wasserstein"), "1-Lipschitz"),                          # the GAN model
    (dict(diffaugment="flip"), "Unknown DiffAugment ops"),              # augment
    (dict(eval_metrics="fid3k", eval_every=10), "eval_metrics .*unknown"),  # metrics
    (dict(eval_metrics="kid1k", eval_every=10, best_metric="kid1k_std"), "best_metric"),
])
def test_validate_runs_every_owners_check(changes, message):
  with pytest.raises(ValueError, match=message):
    build.validate(config_lib.make(**changes))


def test_validate_returns_the_family_and_build_hands_objects_to_the_model():
  config = config_lib.make(network="mlp", width=0.05, latent_dim=4, loss="hinge",
                           diffaugment="color", ema_kimg=1.0, d_steps=2)
  assert build.validate(config) is models.FAMILIES["gan"]
  model = build.build_model(config, data.DataSpec("mnist", (28, 28, 1), 10))
  assert model.loss_pair == losses.LOSSES["hinge"]
  assert model.augment_policy.ops == ("color",) and model.d_steps == 2
  assert model.ema_generator is not None and model.jit_compile is True  # mlp: XLA on CPU
  assert set(model.checkpoint_objects()) == {
      "generator", "discriminator", "g_optimizer", "d_optimizer", "rng", "ema_generator",
      "g_skipped", "d_skipped", "network_seeds"}  # network_seeds: the MLP D's dropout
  assert list(model.checkpoint_objects()["network_seeds"]) == ["discriminator.0"]
  assert model.g_optimizer.beta_1 == 0.5 and model.step_count() == 0


def test_a_conditional_gan_needs_labels():
  config = config_lib.make(network="mlp", width=0.05, conditional=True)
  with pytest.raises(data.DataError, match="conditional needs a labelled dataset"):
    build.build_model(config, data.DataSpec("celeb_a", (28, 28, 1), 0))


def test_the_gan_family_keeps_todays_architecture_fields():
  # The fields a run directory compares before resuming: the shared ones and the GAN's are
  # exactly the list tfgan used before families existed, plus the family itself and the codes
  # G reads from z (InfoGAN's, the clusters'), which change both networks' variables.
  fields = config_lib.ARCHITECTURE_FIELDS + models.FAMILIES["gan"].architecture_fields
  assert sorted(fields) == sorted((
      "family", "dataset", "image_size", "channels", "network", "latent_dim", "width",
      "kernel_size", "conditional", "conditioning", "d_norm", "minibatch_std", "loss",
      "d_steps", "ema_kimg", "info_codes", "clusters"))
  assert set(fields) <= set(config_lib.FIELDS)


@pytest.mark.parametrize("clip_norm", [0.0, 1e-3])
def test_clip_norm_reaches_both_optimizers_and_bounds_a_huge_update(clip_norm):
  # The GAN tests clip with optimizers they make themselves; this goes through the build path
  # (build_model -> make_optimizers -> the family's compile). Adam's first moment after one
  # update is (1 - beta_1) * the (clipped) gradient, so its global norm shows the clipping.
  config = config_lib.make(network="mlp", width=0.05, latent_dim=4, d_steps=2,
                           clip_norm=clip_norm)
  model = build.build_model(config, data.DataSpec("mnist", (28, 28, 1), 10))
  for optimizer, net in ((model.g_optimizer, model.generator),
                         (model.d_optimizer, model.discriminator)):
    assert optimizer.global_clipnorm == (clip_norm or None)
    huge = [tf.fill(v.shape, 1e6) for v in net.trainable_variables]
    optimizer.apply_gradients(zip(huge, net.trainable_variables))
    momentums = [v for v in optimizer.variables if "momentum" in v.name]
    assert len(momentums) == len(huge)
    norm = np.sqrt(sum(np.sum(np.square(m.numpy(), dtype=np.float64)) for m in momentums))
    expected = clip_norm or float(tf.linalg.global_norm(huge))
    assert norm == pytest.approx((1 - config.optimization.beta_1) * expected, rel=1e-4)
