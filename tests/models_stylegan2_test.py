"""StyleGAN2's training (tfgan.models.stylegan2) on tiny networks, eagerly: the main phases'
SGD steps against the hand objectives with the same draws, the lazy schedule (regularisation
steps as extra optimizer steps, also through fit()'s per-step dispatch), NVlabs' Adam
compensation, w_avg, the path-length mean and the EMA ramp, and an exact resume."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import regularizers
from tfgan.models import base
from tfgan.models import stylegan2 as family
from tfgan.networks import stylegan2 as networks

LR = 0.05
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _networks(seed=0, num_classes=0, mbstd_group=4):
  keras.utils.set_random_seed(seed)
  # Named as the family names them: the checkpoint's noise-seed keys carry the names.
  g = networks.StyleGAN2Generator(latent_dim=8, image_shape=(8, 8, 3), width=1 / 64,
                                  num_classes=num_classes, name="generator")
  d = networks.StyleGAN2Discriminator(image_shape=(8, 8, 3), width=1 / 64,
                                      num_classes=num_classes, mbstd_group=mbstd_group,
                                      name="discriminator")
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  return g, d


def _model(optimizer=lambda: keras.optimizers.SGD(LR), seed=1, networks_seed=0, **kwargs):
  g, d = _networks(networks_seed)
  model = family.StyleGAN2(g, d, seed=seed, **kwargs)
  model.compile(optimizer(), optimizer(), run_eagerly=True)
  return model


def _real(n=4, seed=0):
  return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (n, 8, 8, 3)), tf.float32)


def _states(model):
  return [model.seed_generator.state] + list(base.seed_states(model.generator).values())


def test_lazy_adam_is_nvlabs_compensation():
  lr, b1, b2 = family.lazy_adam(0.0025, 0.0, 0.99, 4)
  assert lr == pytest.approx(0.002) and b1 == 0.0 and b2 == pytest.approx(0.99 ** 0.8)
  lr, _, b2 = family.lazy_adam(0.0025, 0.0, 0.99, 16)
  assert lr == pytest.approx(0.0025 * 16 / 17) and b2 == pytest.approx(0.99 ** (16 / 17))
  assert family.lazy_adam(0.002, 0.5, 0.9, 0) == (0.002, 0.5, 0.9)


def _assert_sgd(variables, before, after, grads, what):
  """after - before == -LR x grads, to float32's resolution of each weight."""
  for v, b0, b1, grad in zip(variables, before, after, grads):
    want = -LR * (0 if grad is None else grad.numpy())
    # The mapping's stored weights are ~100 (N(0, 1) / lr_mul): float32 rounds their steps.
    atol = 2e-7 + 2 * float(np.spacing(np.float32(np.abs(b0).max())))
    np.testing.assert_allclose(b1, b0 + want, rtol=2e-3, atol=atol, err_msg=f"{what}: {v.path}")


@pytest.mark.parametrize("regularised", [False, True], ids=["main", "all_four_phases"])
def test_each_phase_is_an_sgd_step_on_its_hand_objective_with_the_same_draws(regularised):
  # Iteration 0: G main, (path length), D main, (R1), each an SGD step of its own; no mixing,
  # no augmentation. The hand objectives replay the step's draws from the same RNG states.
  gamma, pl_weight = 1.5, 2.0
  model = _model(pl_weight=pl_weight if regularised else 0.0, pl_every=4,
                 r1_gamma=gamma if regularised else 0.0, r1_every=16, style_mixing=0.0)
  g, d = model.generator, model.discriminator
  real = _real()
  states = [s.numpy().copy() for s in _states(model)]
  g0 = [v.numpy().copy() for v in g.trainable_variables]
  d0 = [v.numpy().copy() for v in d.trainable_variables]
  model.train_step(real)
  g1 = [v.numpy().copy() for v in g.trainable_variables]
  d1 = [v.numpy().copy() for v in d.trainable_variables]
  assert int(model.g_optimizer.iterations.numpy()) == 1 + regularised
  assert int(model.d_optimizer.iterations.numpy()) == 1 + regularised
  for s, value in zip(_states(model), states):
    s.assign(value)

  def assign(variables, values):
    for v, value in zip(variables, values):
      v.assign(value)

  def sgd_step(variables, total):
    with tf.GradientTape() as tape:
      objective = total()
    grads = tape.gradient(objective, variables)
    before = [v.numpy().copy() for v in variables]
    assign(variables, [b - LR * (0 if gr is None else gr.numpy())
                       for b, gr in zip(before, grads)])
    return before, grads

  assign(g.trainable_variables, g0)
  assign(d.trainable_variables, d0)
  z = keras.random.normal((4, 8), seed=model.seed_generator)
  # w_avg moved from 0 toward the G phase's mean w by 1 - 0.995.
  np.testing.assert_allclose(g.w_avg.numpy(), 0.005 * np.mean(g.mapping(z)[:, 0], axis=0),
                             rtol=1e-5, atol=1e-8)
  steps = [sgd_step(g.trainable_variables, lambda: tf.reduce_mean(
      tf.math.softplus(-tf.reshape(d(g.synthesis(g.mapping(z), "random")), [-1]))))]
  if regularised:  # the path-length step on half the batch, x pl_weight x pl_every
    z_pl = keras.random.normal((2, 8), seed=model.seed_generator)

    def pl_total():
      lengths = regularizers.path_lengths(lambda w: g.synthesis(w, "random"), g.mapping(z_pl),
                                          model.seed_generator)
      mean = 0.01 * tf.reduce_mean(tf.stop_gradient(lengths))  # a: from 0 by 0.01
      return tf.reduce_mean(tf.square(lengths - mean)) * pl_weight * 4

    steps.append(sgd_step(g.trainable_variables, pl_total))
  # The last phase's step from where the replayed earlier ones left G.
  _assert_sgd(g.trainable_variables, steps[-1][0], g1, steps[-1][1], "G")
  assign(g.trainable_variables, g1)
  z = keras.random.normal((4, 8), seed=model.seed_generator)
  fake = tf.stop_gradient(g.synthesis(g.mapping(z), "random"))
  steps = [sgd_step(d.trainable_variables, lambda: tf.reduce_mean(
      tf.math.softplus(tf.reshape(d(fake), [-1])) +
      tf.math.softplus(-tf.reshape(d(real), [-1]))))]
  if regularised:  # R1 x r1_every
    def r1_total():
      with tf.GradientTape() as inner:
        inner.watch(real)
        scores = tf.reduce_sum(d(real))
      grad = inner.gradient(scores, real)
      return tf.reduce_mean(tf.reduce_sum(tf.square(grad), axis=[1, 2, 3])) * gamma / 2 * 16

    steps.append(sgd_step(d.trainable_variables, r1_total))
  _assert_sgd(d.trainable_variables, steps[-1][0], d1, steps[-1][1], "D")
  moved = max(float(np.abs(a - b).max()) for a, b in zip(d0, d1))
  assert moved > 1e-6


def test_regularisation_steps_are_extra_optimizer_steps_on_the_lazy_schedule():
  model = _model(r1_gamma=0.5, r1_every=4, pl_every=2, ema_half_life=100.0)
  assert [model.phases(k) for k in range(5)] == [(True, True), (False, False), (True, False),
                                                 (False, False), (True, True)]
  assert _model(r1_gamma=0.0, pl_weight=0.0).phases(0) == (False, False)
  logs = model.train_step(_real())
  assert int(model.iteration.numpy()) == 1
  assert int(model.g_optimizer.iterations.numpy()) == 2  # G main + path length
  assert int(model.d_optimizer.iterations.numpy()) == 2  # D main + R1
  assert float(logs["pl_penalty"]) >= 0 and float(logs["r1"]) > 0
  # The running mean of the lengths starts from 0: a = 0.01 mean(length) > 0.
  assert 0 < float(model.pl_mean.numpy()) < 1
  # The EMA at step 0 is a copy (the ramp's half-life is 0 images); then a ramped average.
  g, ema = model.generator, model.ema_generator
  g_before = [v.numpy().copy() for v in g.trainable_variables]
  ema_before = [v.numpy().copy() for v in ema.trainable_variables]
  np.testing.assert_allclose(ema_before[0], g_before[0])
  model.train_step(_real(seed=1))
  beta = 0.5 ** (4 / min(100.0, 0.05 * 4 * 1))  # batch 4, 4 images seen before
  for e0, e1, w1 in zip(ema_before, ema.trainable_variables, g.trainable_variables):
    np.testing.assert_allclose(e1.numpy(), beta * e0 + (1 - beta) * w1.numpy(), rtol=1e-4,
                               atol=1e-6)
  np.testing.assert_array_equal(ema.w_avg.numpy(), g.w_avg.numpy())  # buffers copied


def test_fit_dispatches_the_phases_per_step_and_continues_the_count():
  model = _model(r1_gamma=0.5, r1_every=4, pl_every=3)
  data = tf.data.Dataset.from_tensors(_real()).repeat()
  model.fit(data, steps_per_epoch=5, epochs=1, verbose=0)
  # G: 5 + path length at 0, 3; D: 5 + R1 at 0, 4.
  assert [int(v.numpy()) for v in (model.iteration, model.g_optimizer.iterations,
                                   model.d_optimizer.iterations)] == [5, 7, 7]
  model.fit(data, steps_per_epoch=4, epochs=1, verbose=0)  # steps 5..8: 6 (G), 8 (D)
  assert [int(v.numpy()) for v in (model.iteration, model.g_optimizer.iterations,
                                   model.d_optimizer.iterations)] == [9, 12, 12]
  model.compile(model.g_optimizer, model.d_optimizer, steps_per_execution=2)
  with pytest.raises(ValueError, match="steps_per_execution must be 1"):
    model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)


def test_ada_reaches_every_image_d_sees_and_steers_p():
  # G main's fakes, D main's fakes and reals, and R1's reals: four D calls, each on an output
  # of ADA's pipeline; the path-length step calls no D.
  from tfgan import ada as ada_lib
  aug = ada_lib.AdaptiveAugment(initial_p=0.5, kimg=0.01, interval=1)
  model = _model(r1_gamma=1.0, r1_every=1, pl_every=1, ada=aug)
  made, seen = [], []
  original_augment, original_call = aug.augment, model.discriminator.call

  def augment(images, seed, rows=None):
    out = original_augment(images, seed, rows)
    made.append(out.numpy())
    return out

  def call(inputs, training=False):
    seen.append(np.asarray(inputs))
    return original_call(inputs, training=training)

  aug.augment, model.discriminator.call = augment, call
  logs = model.train_step(_real())
  assert len(seen) == 4 and len(made) == 4
  for image, augmented in zip(seen, made):
    np.testing.assert_array_equal(image, augmented)
  # D's signs on its 4 reals decide p's step: 4 images / (0.01 x 1000), up or down.
  assert float(aug.p) == pytest.approx(0.5 + 0.4 * np.sign(float(aug.r_t) - 0.6))
  assert float(logs["ada_p"]) == pytest.approx(float(aug.p))


def test_a_restored_run_continues_exactly(tmp_path):
  from tfgan import ada as ada_lib
  kwargs = dict(r1_gamma=0.5, r1_every=2, pl_every=2, ema_half_life=50.0,
                optimizer=lambda: keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99))
  model = _model(ada=ada_lib.AdaptiveAugment(kimg=0.1, initial_p=0.3, interval=3), **kwargs)
  for k in range(2):
    model.train_step(_real(seed=k))
  path = tf.train.Checkpoint(**model.checkpoint_objects()).save(str(tmp_path / "ckpt"))
  for k in range(2, 5):
    model.train_step(_real(seed=k))

  def state(m):
    return [v.numpy() for v in m.generator.weights + m.discriminator.weights +
            m.ema_generator.weights + m.ada.weights] + [m.pl_mean.numpy()]

  expected = state(model)
  assert float(model.ada.p) in (pytest.approx(0.18), pytest.approx(0.42))  # one update
  assert float(model.ada.sign_count) > 0  # mid-interval
  # Other draws and another ADA state: the checkpoint sets them.
  fresh = _model(seed=9, networks_seed=3,
                 ada=ada_lib.AdaptiveAugment(kimg=0.1, initial_p=0.7, interval=3), **kwargs)
  tf.train.Checkpoint(**fresh.checkpoint_objects()).restore(path).assert_consumed()
  assert fresh.step_count() == 2
  for k in range(2, 5):
    fresh.train_step(_real(seed=k))
  for e, got in zip(expected, state(fresh)):
    np.testing.assert_allclose(got, e, rtol=1e-5, atol=1e-6)


def test_bad_settings_are_refused_by_name():
  g, d = _networks()
  for kwargs, message in ((dict(r1_every=0), "r1_every must be >= 1"),
                          (dict(pl_every=0), "pl_every must be >= 1"),
                          (dict(style_mixing=1.5), "style_mixing is a probability")):
    with pytest.raises(ValueError, match=message):
      family.StyleGAN2(g, d, **kwargs)


def _run_config(root, **changes):
  """flags/ffhq256_stylegan2_ada.flags (8 mapping layers, no EMA ramp) shrunk to 8 px, width
  1/64, batch 4, lazy intervals of 2, on `root`'s images: the flagfile's 'tests train two
  iterations of it'. ADA off: tracing it into the three phase combinations twice costs ~10 s
  here; its StyleGAN2 path is tested on the model above and through the trainer by
  trainer_test's GAN run."""
  from tfgan import config as config_lib
  path = os.path.join(REPO, "flags", "ffhq256_stylegan2_ada.flags")
  return config_lib.from_flagfile(path, **{
      "data_dir": root, "image_size": 8, "width": 1 / 64, "latent_dim": 8, "batch_size": 4,
      "train_steps": 2, "r1_gamma": 0.1, "r1_every": 2, "pl_every": 2, "ema_kimg": 0.01,
      "ada": False, "log_every": 1, "sample_every": 2,
      "checkpoint_every": 2, "eval_every": 0, "eval_metrics": "", "num_samples": 4,
      "holdout": 4, **changes})


@pytest.mark.integration
def test_a_stylegan2_run_trains_resumes_exports_and_samples(tmp_path):
  # The family through the shared trainer: lazy steps dispatched per step (steps 0 and 2 with
  # both regularisers), NVlabs' compensated Adam, resume, the EMA generator exported.
  from conftest import run_cli, write_gradient_faces
  from tfgan import build, generation, rundir, trainer
  root = write_gradient_faces(str(tmp_path / "faces"), n=12, size=(8, 8))
  workdir = str(tmp_path / "run")
  first = trainer.train_and_evaluate(_run_config(root), workdir, verbose=False)
  assert first["step"] == 2 and first["status"] == "completed"
  model = first["model"]
  g_opt = model.g_optimizer
  assert float(g_opt.beta_2) == pytest.approx(0.99 ** (2 / 3))  # pl_every 2: ratio 2/3
  assert int(g_opt.iterations.numpy()) == 3 and int(model.d_optimizer.iterations.numpy()) == 3
  second = trainer.train_and_evaluate(_run_config(root, train_steps=3), workdir, verbose=False)
  assert second["step"] == 3
  assert int(second["model"].g_optimizer.iterations.numpy()) == 5  # + step 2's path length
  rows = [r for r in rundir.RunDir(workdir).metric_rows() if "g_loss" in r]
  assert [r["step"] for r in rows] == [1, 2, 3]
  # The flagfile's 8 mapping layers, no EMA ramp.
  assert len(model.generator.mapping_net) == 8 and model.ema_rampup == 0
  generator = generation.load_generator(workdir)
  z = generation.latents(3, 8, 0)
  np.testing.assert_allclose(np.asarray(generator(z)),
                             np.asarray(second["model"].ema_generator(z)), atol=1e-5)
  # The SavedModel: serve(z, psi), mapping(z, psi) and synthesize(ws), on fixed noise.
  served = tf.saved_model.load(second["saved_model"])
  ema = second["model"].ema_generator
  np.testing.assert_allclose(served.serve(z, 1.0).numpy(), np.asarray(ema(z)), atol=1e-5)
  ws = served.mapping(z, 0.5)
  np.testing.assert_allclose(ws.numpy(), np.asarray(ema.mapping(z, psi=0.5)), atol=1e-6)
  np.testing.assert_allclose(served.synthesize(ws).numpy(), served.serve(z, 0.5).numpy(),
                             atol=1e-6)
  average = served.serve(z, 0.0).numpy()  # psi 0: every z draws the average face
  np.testing.assert_allclose(average, np.repeat(average[:1], 3, axis=0), atol=1e-6)
  result = run_cli("tfgan.sample", f"--workdir={workdir}", "--num=4",
                   f"--out={tmp_path / 'grid.png'}")
  assert result.returncode == 0, result.stderr[-2000:]
  for changes, message in ((dict(r1_gamma=0.0), "NVlabs' 'auto' rule is 0.0002 x side"),
                           (dict(image_size=12), "square images of 8, 16, ..., 1024"),
                           (dict(network="dcgan"), "network must be stylegan2"),
                           (dict(d_steps=2), "family stylegan2 does not use them"),
                           (dict(loss="hinge"), "non-saturating logistic loss"),
                           (dict(steps_per_execution=2, log_every=2), "leave it 1")):
    with pytest.raises(ValueError, match=message):
      build.validate(_run_config(root, **changes))
