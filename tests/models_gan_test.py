import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import augment, losses, models, networks
from tfgan.models import gan


def _make(network="dcgan", loss="non_saturating", d_steps=1, jit_compile=False,
          run_eagerly=False, clip=None, ema_half_life=0.0):
  keras.utils.set_random_seed(3)
  g, d = networks.build(network, 8, (28, 28, 1), width=0.125, **(
      {"kernel_size": 3} if network == "dcgan" else {}))
  model = gan.GAN(g, d, 8, loss=losses.get(loss), d_steps=d_steps, seed=5,
                  ema_half_life=ema_half_life)
  model.compile(keras.optimizers.Adam(1e-3, global_clipnorm=clip),
                keras.optimizers.Adam(1e-3, global_clipnorm=clip),
                jit_compile=jit_compile, run_eagerly=run_eagerly)
  model.build_optimizers()
  return model


def _batch(n=8, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
  return tf.data.Dataset.from_tensors((x, np.zeros(n, np.int32))).repeat()


def _weights(model):
  return [v.numpy().copy() for v in model.generator.weights + model.discriminator.weights]


@pytest.mark.integration
@pytest.mark.parametrize("mode", ["eager", "tf_function", "xla"])
def test_train_step_updates_both_networks_in_every_mode(mode):
  model = _make(jit_compile=(mode == "xla"), run_eagerly=(mode == "eager"))
  g0 = [v.numpy().copy() for v in model.generator.trainable_variables]
  d0 = [v.numpy().copy() for v in model.discriminator.trainable_variables]
  history = model.fit(_batch(), epochs=1, steps_per_epoch=2, verbose=0)
  assert int(model.g_optimizer.iterations) == 2 and int(model.d_optimizer.iterations) == 2
  for before, var in zip(g0, model.generator.trainable_variables):
    assert not np.allclose(before, var.numpy())
  for before, var in zip(d0, model.discriminator.trainable_variables):
    assert not np.allclose(before, var.numpy())
  for key in ("d_loss", "g_loss", "d_real", "d_fake"):
    assert np.isfinite(history.history[key][-1])
  assert 0 <= history.history["d_real"][-1] <= 1


@pytest.mark.integration
def test_eager_compiled_and_xla_steps_agree():
  # SGD, not Adam: Adam's first step is lr * sign(gradient), which turns float noise in
  # near-zero gradients into full-size differences. Fixed latents: XLA's normal sampler
  # draws a different stream from the same seed.
  z = tf.constant(np.random.default_rng(7).standard_normal((8, 8)).astype(np.float32))
  results = {}
  for mode in ("eager", "tf_function", "xla"):
    model = _make(network="mlp")
    model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1),
                  jit_compile=(mode == "xla"), run_eagerly=(mode == "eager"))
    model.build_optimizers()
    model.discriminator.dropout.rate = 0.0  # dropout masks come from per-mode random streams
    model.sample_latents = lambda n: z[:n]
    model.fit(_batch(), epochs=1, steps_per_epoch=1, verbose=0)
    results[mode] = _weights(model)
  for mode in ("tf_function", "xla"):
    for a, b in zip(results["eager"], results[mode]):
      np.testing.assert_allclose(a, b, atol=2e-5, err_msg=mode)


def test_step_losses_match_the_loss_functions():
  # With learning rate 0, one eager step's metrics must equal the losses computed by hand on
  # the same latents (drawn from an identically seeded SeedGenerator).
  model = _make(network="mlp", run_eagerly=True)
  model.g_optimizer.learning_rate.assign(0.0)
  model.d_optimizer.learning_rate.assign(0.0)
  x = next(iter(_batch()))[0]
  rng = keras.random.SeedGenerator(5)
  z_d = keras.random.normal((8, 8), seed=rng)
  z_g = keras.random.normal((8, 8), seed=rng)
  g, d = model.generator, model.discriminator
  # Dropout makes D stochastic in training mode; compare with dropout off on both sides.
  d.dropout.rate = 0.0
  logs = model.train_step((x, None))
  fake_d = g(z_d, training=True)
  d_loss = losses.non_saturating_discriminator_loss(d(x, training=True), d(fake_d, training=True))
  g_loss = losses.non_saturating_generator_loss(d(g(z_g, training=True), training=True))
  assert float(logs["d_loss"]) == pytest.approx(float(tf.reduce_mean(d_loss)), rel=1e-5)
  assert float(logs["g_loss"]) == pytest.approx(float(tf.reduce_mean(g_loss)), rel=1e-5)


@pytest.mark.integration
def test_d_steps_split_the_batch_and_count_updates():
  model = _make(d_steps=2)
  seen = []
  original = model._discriminator_step

  def spy(real, labels):
    seen.append(real.shape[0])
    return original(real, labels)

  model._discriminator_step = spy
  model.fit(_batch(n=8), epochs=1, steps_per_epoch=3, verbose=0)
  assert seen[:2] == [4, 4]  # traced once: two D updates on halves of the 8-image batch
  assert int(model.d_optimizer.iterations) == 6 and int(model.g_optimizer.iterations) == 3


def test_gradient_clipping_bounds_each_update():
  # With plain SGD at learning rate 1, each network's update equals its clipped gradient, so
  # the global norm of the weight change must be the clip norm.
  model = _make(network="mlp")
  clip = 1e-3
  model.compile(keras.optimizers.SGD(1.0, global_clipnorm=clip),
                keras.optimizers.SGD(1.0, global_clipnorm=clip))
  model.build_optimizers()
  nets = (model.generator, model.discriminator)
  before = [[v.numpy().copy() for v in n.trainable_variables] for n in nets]
  model.fit(_batch(), epochs=1, steps_per_epoch=1, verbose=0)
  for net, old in zip(nets, before):
    delta = np.sqrt(sum(np.sum((v.numpy() - o) ** 2)
                        for v, o in zip(net.trainable_variables, old)))
    assert delta == pytest.approx(clip, rel=1e-3)


@pytest.mark.integration
@pytest.mark.parametrize("jit_compile", [False, True])
def test_ema_follows_the_half_life(jit_compile):
  model = _make(ema_half_life=24.0, jit_compile=jit_compile)
  g, ema = model.generator, model.ema_generator
  assert model.sampling_generator is ema and ema is not g
  init = [w.numpy().copy() for w in g.trainable_weights]
  for a, b in zip(init, ema.trainable_weights):
    np.testing.assert_array_equal(a, b.numpy())
  model.fit(_batch(n=8), epochs=1, steps_per_epoch=1, verbose=0)
  beta = 0.5 ** (8 / 24.0)  # one step of 8 images with a 24-image half-life
  for old, w, e in zip(init, g.trainable_weights, ema.trainable_weights):
    np.testing.assert_allclose(e.numpy(), beta * old + (1 - beta) * w.numpy(), atol=1e-6)
  for w, e in zip(g.non_trainable_weights, ema.non_trainable_weights):
    np.testing.assert_array_equal(e.numpy(), w.numpy())  # batch-norm statistics copied
  assert any(not np.allclose(a, w.numpy()) for a, w in zip(init, g.trainable_weights))


@pytest.mark.integration
def test_ema_half_life_counts_the_real_images_of_every_d_step():
  # d_steps=2 on a batch of 8: G updates on chunks of 4, but each G step consumed 8 real
  # images, which is what the half-life (ema_kimg, in real images) counts.
  model = _make(ema_half_life=24.0, d_steps=2)
  init = [w.numpy().copy() for w in model.generator.trainable_weights]
  model.fit(_batch(n=8), epochs=1, steps_per_epoch=1, verbose=0)
  beta = 0.5 ** (8 / 24.0)
  for old, w, e in zip(init, model.generator.trainable_weights,
                       model.ema_generator.trainable_weights):
    np.testing.assert_allclose(e.numpy(), beta * old + (1 - beta) * w.numpy(), atol=1e-6)


def test_without_ema_the_generator_is_sampled():
  model = _make()
  assert model.ema_generator is None and model.sampling_generator is model.generator


def test_bad_arguments_are_refused():
  g, d = networks.build("mlp", 8, (28, 28, 1), width=0.125)
  with pytest.raises(TypeError, match="LossPair"):
    gan.GAN(g, d, 8, loss="hinge")  # the model takes the loss pair, not its name
  with pytest.raises(ValueError, match="d_steps"):
    gan.GAN(g, d, 8, d_steps=0)
  with pytest.raises(ValueError, match="ema_half_life"):
    gan.GAN(g, d, 8, ema_half_life=-1)


COMBOS = {
    "wgan_clip": dict(loss="wasserstein", weight_clip=0.01, d_norm="none"),
    # InfoGAN's Q head beside a gradient penalty (taken on the real/fake column alone).
    "wgan_gp_info": dict(loss="wasserstein", gp_weight=10.0, d_norm="none", d_steps=2,
                         info_codes=4),
    "sngan_hinge_aug": dict(loss="hinge", d_norm="spectral",
                            augment_ops="color,translation,cutout",
                            ema_half_life=100.0),
    "lsgan_mbstd": dict(loss="least_squares", minibatch_std=True),
    "r1_lazy_smooth": dict(loss="non_saturating", r1_gamma=1.0, r1_every=2, d_norm="none",
                           label_smoothing=0.1),
    "cgan_projection": dict(num_classes=10),
    "cgan_concat_wgan_sn": dict(num_classes=10, conditioning="concat", loss="wasserstein",
                                d_norm="spectral"),
}


def _make_combo(loss="non_saturating", d_norm="batch", minibatch_std=False, num_classes=0,
                conditioning="projection", jit_compile=False, run_eagerly=False, augment_ops="",
                network="dcgan", info_codes=0, **gan_kwargs):
  keras.utils.set_random_seed(3)
  options = {"kernel_size": 3} if networks.NETWORKS[network].kernel_size else {}
  g_options = {}
  if info_codes:
    g_options["codes"] = gan_kwargs["info_codes"] = info_codes
  g, d = networks.build(network, 8, (28, 28, 1), width=0.125, num_classes=num_classes,
                        **options, g_options=g_options,
                        d_options=dict(normalization=d_norm, minibatch_std=minibatch_std,
                                       conditioning=conditioning, info_codes=info_codes))
  model = gan.GAN(g, d, 8, loss=losses.get(loss), seed=5, num_classes=num_classes,
                  augment=augment.DiffAugment.parse(augment_ops) or None, **gan_kwargs)
  model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                jit_compile=jit_compile, run_eagerly=run_eagerly)
  model.build_optimizers()
  return model


def _labelled_batch(n=8):
  rng = np.random.default_rng(0)
  x = rng.uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
  return tf.data.Dataset.from_tensors((x, (np.arange(n) % 10).astype(np.int32))).repeat()


# XLA compiles each combination for ~10 s on the 2-core CPU: it runs the combinations whose
# step has its own control flow or random draws (the lazy R1 tf.cond, the gradient penalty's
# interpolation with d_steps and InfoGAN's head, DiffAugment with the EMA); the others differ
# from them in elementwise loss functions of the logits and in D options (conditioning,
# clipping, minibatch std) that the eager and tf_function modes test.
XLA_COMBOS = ("r1_lazy_smooth", "sngan_hinge_aug", "wgan_gp_info")
MODE_CASES = [(combo, mode) for combo in sorted(COMBOS) for mode in ("eager", "tf_function", "xla")
              if mode != "xla" or combo in XLA_COMBOS]


@pytest.mark.integration
@pytest.mark.parametrize("combo, mode", MODE_CASES, ids=[f"{c}-{m}" for c, m in MODE_CASES])
def test_option_combinations_train_in_every_mode(combo, mode):
  model = _make_combo(jit_compile=(mode == "xla"), run_eagerly=(mode == "eager"),
                      **COMBOS[combo])
  d0 = [v.numpy().copy() for v in model.discriminator.trainable_variables]
  history = model.fit(_labelled_batch(8 * model.d_steps), epochs=1, steps_per_epoch=2,
                      verbose=0)
  for key, values in history.history.items():
    assert np.isfinite(values[-1]), key
  assert any(not np.allclose(a, v.numpy())
             for a, v in zip(d0, model.discriminator.trainable_variables))
  if model.weight_clip:
    assert max(np.abs(v.numpy()).max() for v in model.discriminator.trainable_variables) <= (
        model.weight_clip + 1e-7)
  if model.penalty_tracker is not None:
    assert model.penalty_tracker.name in history.history


@pytest.mark.parametrize("kwargs,message", [
    (dict(loss="wasserstein", d_norm="none"), "1-Lipschitz"),
    (dict(loss="wasserstein", gp_weight=10, weight_clip=0.01, d_norm="none"), "replaces"),
    (dict(loss="non_saturating", gp_weight=10, d_norm="batch"), "batch norm"),
    (dict(loss="hinge", label_smoothing=0.1), "cross-entropy"),
    (dict(loss="hinge", weight_clip=0.01), "Wasserstein"),
    (dict(gp_weight=10, r1_gamma=1, d_norm="none"), "two gradient penalties"),
    (dict(r1_gamma=1, r1_every=0, d_norm="none"), "r1_every"),
])
def test_senseless_combinations_are_refused_with_a_reason(kwargs, message):
  with pytest.raises(ValueError, match=message):
    _make_combo(**kwargs)


def test_lazy_r1_runs_on_every_kth_step_scaled_by_k():
  model = _make_combo(r1_gamma=2.0, r1_every=3, d_norm="none", run_eagerly=True)
  penalties = []
  batch = next(iter(_labelled_batch()))
  for _ in range(6):
    model.penalty_tracker.reset_state()
    model.train_step(batch)
    penalties.append(float(model.penalty_tracker.result()))
  assert [p > 0 for p in penalties] == [True, False, False, True, False, False]


def test_r1_is_taken_with_respect_to_the_real_images_through_the_augmentation():
  # Learning rate 0: D keeps the weights R1 was computed with, so a hand-built tape can redo it.
  model = _make_combo(r1_gamma=2.0, d_norm="none", augment_ops="translation", run_eagerly=True)
  model.d_optimizer.learning_rate.assign(0.0)
  model.g_optimizer.learning_rate.assign(0.0)
  seed = tf.constant([7, 9], tf.int32)
  model._augment_seed = lambda: seed  # one known transform for reals (and fakes)
  x, labels = next(iter(_labelled_batch()))
  model.train_step((x, labels))

  def squared_gradient_norm(wrt, make_input):
    with tf.GradientTape() as tape:
      tape.watch(wrt)
      total = tf.reduce_sum(model.discriminator(make_input(wrt), training=True))
    return tf.reduce_sum(tf.square(tape.gradient(total, wrt)), axis=[1, 2, 3])

  through = squared_gradient_norm(x, lambda v: augment.diff_augment(v, ("translation",), seed))
  expected = float(tf.reduce_mean(0.5 * 2.0 * through))  # gamma / 2 * ||grad_x D(T(x))||^2
  assert float(model.penalty_tracker.result()) == pytest.approx(expected, rel=1e-4)
  # The previous convention, the gradient at T(x), is another number here.
  at_augmented = squared_gradient_norm(augment.diff_augment(x, ("translation",), seed),
                                       lambda v: v)
  assert abs(float(tf.reduce_mean(at_augmented)) - expected) > 1e-3 * expected


def test_conditional_gan_feeds_labels_to_both_networks():
  model = _make_combo(num_classes=10, run_eagerly=True)
  seen = []
  original = model.discriminator.call

  def spy(inputs, training=False):
    seen.append(inputs)
    return original(inputs, training=training)

  model.discriminator.call = spy
  model.train_step(next(iter(_labelled_batch())))
  assert all(isinstance(s, (list, tuple)) and len(s) == 2 for s in seen)
  np.testing.assert_array_equal(seen[0][1].numpy(), np.arange(8) % 10)  # the real labels
  with pytest.raises(ValueError, match="labels"):
    model.train_step(tf.zeros((8, 28, 28, 1)))


# Every network under XLA once. dcgan is compiled by test_train_step_updates_both_networks_
# in_every_mode[xla] and the XLA combos (the critic with its gradient penalty: wgan_gp_info),
# mlp by test_eager_compiled_and_xla_steps_agree; the other losses are elementwise functions
# of the logits, each tested without XLA (~5-10 s of compilation saved per case on the 2-core
# CPU).
XLA_NETWORKS = [network for network in sorted(networks.NETWORKS)
                if network not in ("dcgan", "mlp")]
assert XLA_NETWORKS, "every network but dcgan and mlp is compiled here"


@pytest.mark.integration
@pytest.mark.parametrize("network", XLA_NETWORKS)
def test_every_network_trains_with_xla(network):
  keras.utils.set_random_seed(3)
  options = {"kernel_size": 3} if networks.NETWORKS[network].kernel_size else {}
  d_norm = {"sndcgan": "spectral", "resnet": "spectral"}[network]
  g, d = networks.build(network, 8, (32, 32, 3) if network == "sndcgan" else (28, 28, 1),
                        width=0.125, d_options=dict(normalization=d_norm), **options)
  model = gan.GAN(g, d, 8, loss=losses.get("non_saturating"), seed=5)
  model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), jit_compile=True)
  model.build_optimizers()
  shape = (8,) + tuple(d.image_shape)
  x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
  g0 = [v.numpy().copy() for v in g.trainable_variables]
  history = model.fit(tf.data.Dataset.from_tensors(x).repeat(), epochs=1, steps_per_epoch=2,
                      verbose=0)
  assert model.jit_compile is True and model.step_count() == 2
  assert all(np.isfinite(v[-1]) for v in history.history.values())
  assert any(not np.allclose(a, v.numpy()) for a, v in zip(g0, g.trainable_variables))


def test_the_sample_grid_refuses_a_generator_that_outputs_nan():
  from tfgan import build, data, rundir
  from tfgan import config as config_lib
  config = config_lib.make(network="mlp", width=0.05, latent_dim=4, num_samples=4)
  spec = data.DataSpec("mnist", (28, 28, 1), 10)
  model = build.build_model(config, spec)
  render = models.FAMILIES["gan"].preview(config, data.ArraySource(spec, None, None))
  assert render(model).dtype == np.uint8
  kernel = model.generator.out.kernel
  kernel.assign(np.full(kernel.shape, np.inf, np.float32))
  with pytest.raises(rundir.NonFiniteError, match="samples hold NaN or infinite"):
    render(model)



def _spy(network, calls, outputs=False):
  """Records each call of `network` (its inputs, and its output when `outputs`) in `calls`."""
  original = network.call

  def spy(inputs, training=False):
    result = original(inputs, training=training)
    calls.append((inputs, result) if outputs else inputs)
    return result

  network.call = spy


@pytest.mark.parametrize("ops", ["", "color,translation,cutout"])
def test_d_sees_every_image_through_diffaugment_exactly_when_it_is_on(ops):
  # The option matrix only checks that an augmented run trains: a DiffAugment that became a
  # no-op, or reached the reals but not the fakes, would pass it. Here every image D sees is
  # compared with the transform of the image it should be (one known seed for every draw).
  seed = tf.constant([7, 9], tf.int32)
  x, d_inputs, shown, _ = _one_step_seen_by_d(_make_combo(augment_ops=ops, run_eagerly=True),
                                              seed)
  expect = (lambda v: augment.diff_augment(v, ops, seed)) if ops else (lambda v: v)
  for seen, image in zip(d_inputs, shown):
    np.testing.assert_allclose(seen.numpy(), expect(image).numpy(), atol=1e-6)
  assert np.allclose(d_inputs[0].numpy(), x) is not bool(ops)


def _one_step_seen_by_d(model, seed):
  """One eager train_step with every augmentation drawn from `seed`: (the real batch, D's
  inputs, the images they should be made from (the batch and its fakes in the D step, the G
  step's fakes), the step's logs)."""
  model._augment_seed = lambda: seed
  g_calls, d_inputs = [], []
  _spy(model.generator, g_calls, outputs=True)
  _spy(model.discriminator, d_inputs)
  x = next(iter(_batch()))[0]
  logs = model.train_step((x, None))
  assert len(d_inputs) == 3 and len(g_calls) == 2
  return x, d_inputs, [x, g_calls[0][1], g_calls[1][1]], logs


def test_d_sees_ada_then_diffaugment_and_p_follows_its_signs_on_reals():
  # ADA's pipeline (fixed draws from one seed, folded) comes first, DiffAugment after it, on
  # every image D sees; each D update feeds ADA its signs on the reals and counts an iteration.
  from tfgan import ada as ada_lib
  aug = ada_lib.AdaptiveAugment(initial_p=0.6, kimg=0.008, interval=1)
  model = _make_combo(augment_ops="translation", run_eagerly=True, ada=aug)
  seed = tf.constant([7, 9], tf.int32)
  x, d_inputs, shown, logs = _one_step_seen_by_d(model, seed)

  def expect(v):
    v = ada_lib.augment(v, 0.6, tf.random.experimental.stateless_fold_in(seed, 1))
    return augment.diff_augment(v, ("translation",), seed)

  for seen, image in zip(d_inputs, shown):
    np.testing.assert_allclose(seen.numpy(), expect(image).numpy(), atol=1e-5)
  real_signs = np.sign(np.asarray(model.discriminator(expect(x), training=True))).mean()
  step = 8 / 8.0  # batch / (kimg x 1000)
  assert float(aug.r_t) == pytest.approx(real_signs)
  assert float(logs["ada_p"]) == pytest.approx(np.clip(0.6 + step * np.sign(real_signs - 0.6),
                                                       0.0, ada_lib.P_MAX))


def _softplus(v):
  return np.logaddexp(0.0, v)


def _input_gradient_norms(d, images):
  """||grad_x D(x)||_2 per example, in plain TensorFlow."""
  images = tf.convert_to_tensor(images)
  with tf.GradientTape() as tape:
    tape.watch(images)
    total = tf.reduce_sum(d(images, training=True))
  grads = tape.gradient(total, images).numpy().reshape(images.shape[0], -1)
  return np.sqrt((grads.astype(np.float64) ** 2).sum(axis=1))


def _step_at_lr_zero(**options):
  """One eager train_step with learning rate 0 on a D without batch norm: returns the logs,
  the networks' inputs (D's, and G's with its outputs) and D, whose weights are still those
  the step used."""
  model = _make_combo(d_norm="none", run_eagerly=True, **options)
  model.g_optimizer.learning_rate.assign(0.0)
  model.d_optimizer.learning_rate.assign(0.0)
  g_calls, d_inputs = [], []
  _spy(model.generator, g_calls, outputs=True)
  _spy(model.discriminator, d_inputs)
  x = next(iter(_batch()))[0]
  logs = {k: float(v) for k, v in model.train_step((x, None)).items()}
  return model, logs, x, d_inputs, g_calls


def _logits(d, images):
  return np.asarray(d(images, training=True), np.float64).reshape(-1)


def test_label_smoothing_softens_the_real_target_of_the_logged_d_loss():
  # The existing hand check runs without smoothing: a smoothing dropped from D's step would
  # pass it. s = 0.2: real target 0.8, fakes keep 0 (one-sided).
  s = 0.2
  model, logs, x, d_inputs, g_calls = _step_at_lr_zero(label_smoothing=s)
  d = model.discriminator
  r, f = _logits(d, x), _logits(d, g_calls[0][1])
  d_loss = np.mean((1 - s) * _softplus(-r) + s * _softplus(r) + _softplus(f))
  assert logs["d_loss"] == pytest.approx(d_loss, rel=1e-5)
  assert abs(d_loss - np.mean(_softplus(-r) + _softplus(f))) > 1e-3  # smoothing matters here
  g_loss = np.mean(_softplus(-_logits(d, g_calls[1][1])))
  assert logs["g_loss"] == pytest.approx(g_loss, rel=1e-5)
  assert logs["d_real"] == pytest.approx(np.mean(1 / (1 + np.exp(-r))), rel=1e-5)
  assert logs["d_fake"] == pytest.approx(np.mean(1 / (1 + np.exp(-f))), rel=1e-5)


def test_the_wgan_gp_penalty_is_lambda_times_the_squared_norm_excess_at_interpolates():
  model, logs, x, d_inputs, g_calls = _step_at_lr_zero(loss="wasserstein", gp_weight=10.0)
  d, fake = model.discriminator, g_calls[0][1].numpy()
  # D's third input is the interpolates: eps * real + (1 - eps) * fake, one eps in [0, 1] per
  # example (recovered by least squares, then checked to reproduce them).
  x_hat, real = d_inputs[2].numpy(), x.numpy()
  diff = (real - fake).reshape(8, -1)
  eps = ((x_hat - fake).reshape(8, -1) * diff).sum(1) / (diff ** 2).sum(1)
  np.testing.assert_allclose(x_hat, eps[:, None, None, None] * real +
                             (1 - eps[:, None, None, None]) * fake, atol=1e-5)
  assert (eps >= 0).all() and (eps <= 1).all() and np.ptp(eps) > 0
  penalty = 10.0 * (_input_gradient_norms(d, x_hat) - 1.0) ** 2
  assert logs["gp"] == pytest.approx(np.mean(penalty), rel=1e-4)
  critic = _logits(d, fake) - _logits(d, real)
  assert logs["d_loss"] == pytest.approx(np.mean(critic + penalty), rel=1e-4, abs=1e-6)
  assert logs["g_loss"] == pytest.approx(np.mean(-_logits(d, g_calls[1][1])), rel=1e-5)


def test_lazy_r1_is_half_gamma_times_k_times_the_squared_gradient_norm():
  # gamma = 2, k = 3: the penalty of updates 0 and 3 is 0.5 * 2 * 3 * ||grad_x D(x)||^2, and
  # updates 1, 2 and 4 have none. The test above checks only which steps get one.
  model, logs, x, _, g_calls = _step_at_lr_zero(r1_gamma=2.0, r1_every=3)
  d = model.discriminator
  r1 = 0.5 * 2.0 * 3 * _input_gradient_norms(d, x) ** 2
  assert logs["r1"] == pytest.approx(np.mean(r1), rel=1e-4)
  r, f = _logits(d, x), _logits(d, g_calls[0][1])
  assert logs["d_loss"] == pytest.approx(np.mean(_softplus(-r) + _softplus(f) + r1), rel=1e-4)
  penalties = []
  for _ in range(3):
    model.reset_metrics()
    penalties.append(float(model.train_step((x, None))["r1"]))
  # Same weights (learning rate 0), same reals: the 4th update's penalty is the 1st's again.
  assert penalties[:2] == [0.0, 0.0] and penalties[2] == pytest.approx(logs["r1"], rel=1e-4)


@pytest.mark.parametrize("d_steps", [1, 2])
def test_the_d_step_makes_its_fakes_for_the_batch_labels_and_g_gets_labels(d_steps):
  # The existing test spies on D only. Here G's inputs too: the D step's fakes must be made
  # for the labels of the reals they are judged against (each strided chunk's own), and the
  # G step's fakes judged with the labels G drew them for.
  model = _make_combo(num_classes=10, run_eagerly=True, d_steps=d_steps)
  n = 8 * d_steps
  labels = np.random.default_rng(4).integers(0, 10, n).astype(np.int32)
  x = np.random.default_rng(0).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)
  g_calls, d_inputs = [], []
  _spy(model.generator, g_calls, outputs=True)
  _spy(model.discriminator, d_inputs)
  model.train_step((tf.constant(x), tf.constant(labels)))
  assert len(g_calls) == d_steps + 1 and len(d_inputs) == 2 * d_steps + 1
  for i in range(d_steps):
    chunk = labels[i::d_steps]
    (_, g_labels), fake = g_calls[i]
    np.testing.assert_array_equal(g_labels.numpy(), chunk)  # G made the fakes for them
    real_in, fake_in = d_inputs[2 * i], d_inputs[2 * i + 1]
    np.testing.assert_array_equal(real_in[0].numpy(), x[i::d_steps])
    np.testing.assert_array_equal(real_in[1].numpy(), chunk)
    np.testing.assert_array_equal(fake_in[0].numpy(), fake.numpy())
    np.testing.assert_array_equal(fake_in[1].numpy(), chunk)  # and D judged them with them
  (_, drawn), fake = g_calls[-1]
  drawn = drawn.numpy()
  assert drawn.shape == (8,) and drawn.min() >= 0 and drawn.max() < 10
  np.testing.assert_array_equal(d_inputs[-1][0].numpy(), fake.numpy())
  np.testing.assert_array_equal(d_inputs[-1][1].numpy(), drawn)


def _next(tmp_path, monkeypatch, **overrides):
  from tfgan import config as config_lib
  monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))  # no Inception weights
  config = config_lib.make(metrics_cache_dir=str(tmp_path / "cache"), **overrides)
  return models.FAMILIES["gan"].next_commands(config, "runs/x")


def test_next_commands_train_the_missing_classifier_first(tmp_path, monkeypatch):
  # The printed evaluation failed on any fresh machine ("no classifier for 'mnist'"): the
  # one-time classifier step comes first, with its cost, and only while it is missing.
  cache = tmp_path / "cache"
  lines = _next(tmp_path, monkeypatch, dataset="mnist", data_dir="data/mnist")
  assert lines[1] == (f"python -m tfgan.evaluate --train_classifier --dataset=mnist "
                      f"--data_dir=data/mnist --cache_dir={cache}  # once: "
                      f"{gan.CLASSIFIER_COST}")
  assert lines[2] == f"python -m tfgan.evaluate --workdir=runs/x --cache_dir={cache} " \
                     f"--metrics=classifier10k"
  (cache / "classifiers").mkdir(parents=True)
  (cache / "classifiers" / "mnist.keras").write_bytes(b"cached")
  lines = _next(tmp_path, monkeypatch, dataset="mnist", data_dir="data/mnist")
  assert not any("--train_classifier" in line for line in lines)
  assert lines[1].endswith("--metrics=classifier10k")


def test_next_commands_suggest_fid_only_where_inception_weights_are(tmp_path, monkeypatch):
  lines = _next(tmp_path, monkeypatch, dataset="folder", data_dir="faces")
  assert "--metrics=swd10k  # fid10k needs InceptionV3's weights" in lines[1]
  assert not any("--metrics=fid" in line for line in lines)
  weights = tmp_path / "keras_home" / "models" / "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
  weights.parent.mkdir(parents=True)
  weights.write_bytes(b"weights")
  assert _next(tmp_path, monkeypatch, dataset="folder", data_dir="faces")[1].endswith(
      "--metrics=fid10k,swd10k")
  own = tmp_path / "inception.h5"
  own.write_bytes(b"weights")
  assert _next(tmp_path, monkeypatch, dataset="folder", data_dir="faces",
               inception_weights=str(own))[1].endswith(f"--inception_weights={own}")
