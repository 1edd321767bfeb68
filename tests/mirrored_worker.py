"""Run by distribute_test.py in its own process: two logical CPU devices must be configured
before TensorFlow initialises, which the main test process has already done.

Usage:
  python tests/mirrored_worker.py all '{"mode": [NAME, ...], ...}'  # several modes, one process
  python tests/mirrored_worker.py combos NAME...  # gan_test.COMBOS train under the strategy
  python tests/mirrored_worker.py equal NAME...   # distribute_test.EQUAL_CASES: one step on 2
                                                  # replicas vs one step on one device
  python tests/mirrored_worker.py xla NETWORK...   # build.resolve_jit_compile's answers
  python tests/mirrored_worker.py pix2pix NORM...  # one pix2pix step, 2 replicas vs 1 device
  python tests/mirrored_worker.py cyclegan POOL|extras... # two CycleGAN steps, 2 replicas vs 1
  python tests/mirrored_worker.py esrgan STAGE...  # two ESRGAN steps (psnr, gan), 2 vs 1
  python tests/mirrored_worker.py inpaint STAGE... # two inpainting steps (l1, gan), 2 vs 1
  python tests/mirrored_worker.py stylegan2 NAME... # two StyleGAN2 iterations (plain, mixing_ada)
Prints one JSON line per name.
"""

import contextlib
import json
import os
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from distribute_test import EQUAL_CASES  # noqa: E402
from models_gan_test import COMBOS, _labelled_batch, _make_combo  # noqa: E402
from tfgan import distribute  # noqa: E402

# Grappler's graph rewrites off: they must not change what a step computes, they are not what
# these comparisons check (the replicas' reductions against one device, whose reference runs
# eagerly, without them), and they took ~20% of this process's time (31 s against 37 s for
# three comparisons, 2-core CPU, 2026-12-07).
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
STRATEGY = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def _reference():
  """Whether a model being built is the single-device reference of a comparison: it runs
  eagerly (the same ops and random draws, without a tf.function trace: ~1/3 of each
  comparison's time); the mirrored model runs its compiled step."""
  return not tf.distribute.has_strategy()


def combos(names):
  for name in names:
    with STRATEGY.scope():
      model = _make_combo(**COMBOS[name])
    d0 = [v.numpy().copy() for v in model.discriminator.trainable_variables]
    history = model.fit(_labelled_batch(8 * model.d_steps), epochs=1, steps_per_epoch=2,
                        verbose=0)
    changed = any(not np.allclose(a, v.numpy())
                  for a, v in zip(d0, model.discriminator.trainable_variables))
    print(json.dumps({"name": name, "replicas": STRATEGY.num_replicas_in_sync,
                      "changed": changed,
                      "finite": all(np.isfinite(v[-1]) for v in history.history.values())}),
          flush=True)


def _one_step(case, batch):
  model = _make_combo(**case)
  # SGD, not Adam: Adam's first step is lr * sign(gradient), which would turn float noise in
  # near-zero gradients into full-size weight differences.
  model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                jit_compile=model.jit_compile, run_eagerly=_reference())
  model.build_optimizers()
  distribute.synchronize_batch_norm(model.generator)
  distribute.synchronize_batch_norm(model.discriminator)
  networks = [model.generator, model.discriminator]
  if model.ema_generator is not None:
    networks.append(model.ema_generator)
  initial = [v.numpy().copy() for net in networks for v in net.weights]
  history = model.fit(batch, epochs=1, steps_per_epoch=1, verbose=0)
  return [v.numpy() for net in networks for v in net.weights], history.history, initial


def equal(names):
  for name in names:
    case = dict(EQUAL_CASES[name])
    d_steps = case.get("d_steps", 1)
    # 8 images per D update: 4 per replica.
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (8 * d_steps, 28, 28, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 8 * d_steps).astype(np.int32)
    batch = tf.data.Dataset.from_tensor_slices((x, labels)).batch(8 * d_steps).repeat()
    single, single_logs, initial = _one_step(case, batch)
    with STRATEGY.scope():
      mirrored, mirrored_logs, _ = _one_step(case, batch)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(single, mirrored))
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(single, initial))
    print(json.dumps({"name": name, "replicas": STRATEGY.num_replicas_in_sync,
                      "max_abs_diff": diff, "max_update": moved,
                      "d_loss": [single_logs["d_loss"][-1], mirrored_logs["d_loss"][-1]],
                      "g_loss": [single_logs["g_loss"][-1], mirrored_logs["g_loss"][-1]]}),
          flush=True)


def xla(names):
  from tfgan import build, networks
  for name in names:
    row = {"name": name, "logical_cpus": distribute.replicas_on_logical_cpus(STRATEGY)}
    for setting in ("auto", "false", "true"):
      try:
        row[setting] = build.resolve_jit_compile(setting, networks.NETWORKS[name].xla_on_cpu,
                                                 STRATEGY)
      except distribute.StrategyError as e:
        row[setting] = str(e)
    print(json.dumps(row), flush=True)


def _pix2pix(name):
  """'batch' or 'instance': the paper's objective with that norm; 'extras': instance norm
  with every tfgan.models.adversarial extra (EMA, feature matching, R1, DiffAugment, the
  ramp) on."""
  from tfgan import augment, losses
  from tfgan.models import adversarial, pix2pix
  from tfgan.networks import unet
  norm = "instance" if name == "extras" else name
  keras.utils.set_random_seed(3)
  g = unet.UNetGenerator(image_shape=(32, 32, 1), out_channels=3, width=0.125, norm=norm,
                         num_downs=5)
  d = unet.PatchDiscriminator(image_shape=(32, 32, 4), width=0.125, n_layers=2, norm=norm)
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  extras = adversarial.Extras(
      feature_matching_weight=10.0, r1_gamma=1.0, ramp_steps=2, ema_half_life=16.0,
      augment=augment.DiffAugment.parse("color,translation,cutout")) if name == "extras" \
      else None
  model = pix2pix.Pix2Pix(g, d, losses.get("non_saturating"), extras=extras, seed=5)
  model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                run_eagerly=_reference())
  distribute.synchronize_batch_norm(model)
  return model


def pix2pix_equal(norms):
  rng = np.random.default_rng(1)
  x = rng.uniform(-1, 1, (8, 32, 32, 1)).astype(np.float32)
  y = rng.uniform(-1, 1, (8, 32, 32, 3)).astype(np.float32)
  batch = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()
  for norm in norms:
    results = []
    for scope in (None, STRATEGY):
      if scope is None:
        model = _pix2pix(norm)
      else:
        with scope.scope():
          model = _pix2pix(norm)
      # Two steps when the ramp is on: its weight is 0 at the first G update.
      steps = 2 if model.extras.ramp_steps else 1
      networks = [model.generator, model.discriminator] + (
          [model.ema_generator] if model.ema_generator is not None else [])
      initial = [v.numpy().copy() for net in networks for v in net.weights]
      history = model.fit(batch, epochs=1, steps_per_epoch=steps, verbose=0)
      results.append(([v.numpy() for net in networks for v in net.weights], history.history))
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(results[0][0], results[1][0]))
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(results[0][0], initial))
    print(json.dumps({"name": norm, "replicas": STRATEGY.num_replicas_in_sync,
                      "max_abs_diff": diff, "max_update": moved,
                      "l1": [results[0][1]["l1"][-1], results[1][1]["l1"][-1]]}), flush=True)


def _cyclegan(name):
  """'0', '3': the paper's objective with that pool size; 'extras': pool 3 with both averages,
  R1, DiffAugment and the ramp (models_cyclegan_test.EXTRAS)."""
  from models_cyclegan_test import EXTRAS, tiny_networks
  from tfgan import losses
  from tfgan.models import cyclegan
  extras = EXTRAS if name == "extras" else None
  model = cyclegan.CycleGAN(*tiny_networks(3), losses.get("least_squares"),
                            pool_size=3 if extras else int(name), seed=4, extras=extras)
  model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                run_eagerly=_reference())
  return model


def cyclegan_equal(pool_sizes):
  """Two steps of batch 8: with a pool of 3 the second step's D sees swapped, pooled fakes."""
  rng = np.random.default_rng(1)
  a, b = (rng.uniform(-1, 1, (16, 16, 16, 3)).astype(np.float32) for _ in "ab")
  batch = tf.data.Dataset.from_tensor_slices((a, b)).batch(8).repeat()
  for name in pool_sizes:
    results = []
    for scope in (None, STRATEGY):
      if scope is None:
        model = _cyclegan(name)
      else:
        with scope.scope():
          model = _cyclegan(name)
      model.fit(batch, epochs=1, steps_per_epoch=2, verbose=0)
      averages = ([] if model.ema_generator is None else
                  model.ema_generator.weights + model.ema_generator_ba.weights)
      results.append([v.numpy() for v in model.d_a.weights + model.d_b.weights +
                      model.g_ab.weights + averages + model.pool_a.variables() +
                      model.pool_b.variables()])
    diff = max(float(np.max(np.abs(x - y))) for x, y in zip(*results))
    print(json.dumps({"name": name, "replicas": STRATEGY.num_replicas_in_sync,
                      "max_abs_diff": diff, "count": int(results[1][-1]) if name != "0" else 0}),
          flush=True)


def _esrgan(stage):
  from tfgan.models import esrgan
  from tfgan.networks import rrdb, unet
  keras.utils.set_random_seed(3)
  g = rrdb.RRDBGenerator((8, 8, 3), scale=2, features=8, n_blocks=1, growth=4)
  d = unet.PatchDiscriminator((16, 16, 3), width=0.125, n_layers=1, norm="spectral")
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  gan = stage == "gan"
  model = esrgan.ESRGAN(g, d, 1.0 if not gan else 1e-2, 1.0 if gan else 0.0,
                        5e-3 * 20 if gan else 0.0, "d_features" if gan else None,
                        ema_half_life=32.0)
  model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                run_eagerly=_reference())
  return model


def esrgan_equal(stages):
  """Two steps of batch 8; the GAN stage's relativistic means are over the global batch."""
  rng = np.random.default_rng(1)
  x = rng.uniform(-1, 1, (16, 8, 8, 3)).astype(np.float32)
  y = rng.uniform(-1, 1, (16, 16, 16, 3)).astype(np.float32)
  batch = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()
  for stage in stages:
    results = []
    for scope in (None, STRATEGY):
      if scope is None:
        model = _esrgan(stage)
      else:
        with scope.scope():
          model = _esrgan(stage)
      initial = [v.numpy().copy() for v in model.discriminator.weights]
      model.fit(batch, epochs=1, steps_per_epoch=2, verbose=0)
      results.append([v.numpy() for v in model.generator.weights +
                      model.ema_generator.weights + model.discriminator.weights])
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(*results))
    d_moved = max(float(np.max(np.abs(a - v.numpy())))
                  for a, v in zip(initial, model.discriminator.weights))
    print(json.dumps({"name": stage, "replicas": STRATEGY.num_replicas_in_sync,
                      "max_abs_diff": diff, "d_moved": d_moved}), flush=True)


def _inpainter(stage):
  from tfgan import losses
  from tfgan.models import inpaint
  from tfgan.networks import gated, unet
  keras.utils.set_random_seed(3)
  g = gated.GatedGenerator((8, 8, 3), width=0.25, stages=1)
  d = unet.PatchDiscriminator((8, 8, 4), width=0.125, n_layers=1, norm="spectral")
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  model = inpaint.Inpainter(g, d, losses.LOSSES["hinge"], 1.0, 0.5,
                            0.5 if stage == "gan" else 0.0)
  model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                run_eagerly=_reference())
  return model


def inpaint_equal(stages):
  """Two steps of batch 8 with masks of varied coverage (the per-example hole means)."""
  from tfgan.data import masks
  rng = np.random.default_rng(1)
  y = rng.uniform(-1, 1, (16, 8, 8, 3)).astype(np.float32)
  m = masks.mask_batch("mixed", 16, 8, 8, 0)
  x = np.concatenate([np.where(m > 0, -1.0, y), 2 * m - 1], -1).astype(np.float32)
  batch = tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat()
  for stage in stages:
    results = []
    for scope in (None, STRATEGY):
      if scope is None:
        model = _inpainter(stage)
      else:
        with scope.scope():
          model = _inpainter(stage)
      initial = [v.numpy().copy() for v in model.discriminator.weights]
      model.fit(batch, epochs=1, steps_per_epoch=2, verbose=0)
      results.append([v.numpy() for v in model.generator.weights +
                      model.discriminator.weights])
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(*results))
    d_moved = max(float(np.max(np.abs(a - v.numpy())))
                  for a, v in zip(initial, model.discriminator.weights))
    print(json.dumps({"name": stage, "replicas": STRATEGY.num_replicas_in_sync,
                      "max_abs_diff": diff, "d_moved": d_moved}), flush=True)


def stylegan2_equal(names):
  """One StyleGAN2 iteration of batch 8 (4 per replica), with every phase (both lazy
  regularisation steps: the path-length mean and w_avg reduced over the replicas);
  'mixing_ada' with style mixing, the EMA and ADA (its p moved by the signs of the global
  batch). One iteration: each other phase combination is a subset of
  this one, and each costs a trace (~10 s here). Minibatch-std groups of 1: its groups are
  each replica's own (as NVlabs' per GPU), which no single-device batch reproduces."""
  from models_stylegan2_test import _networks
  from tfgan import ada
  from tfgan.models import stylegan2
  rng = np.random.default_rng(1)
  real = rng.uniform(-1, 1, (16, 8, 8, 3)).astype(np.float32)
  batch = tf.data.Dataset.from_tensor_slices(real).batch(8).repeat()
  for name in names:
    results = []
    for scope in (None, STRATEGY):
      with (scope.scope() if scope else contextlib.nullcontext()):
        g, d = _networks(4, mbstd_group=1)
        mixing = name == "mixing_ada"
        augment = ada.AdaptiveAugment(initial_p=0.5, kimg=0.02, interval=1) if mixing else None
        model = stylegan2.StyleGAN2(g, d, r1_gamma=1.0, r1_every=2, pl_every=2,
                                    style_mixing=0.9 if mixing else 0.0,
                                    ema_half_life=100.0 if mixing else 0.0, ada=augment, seed=5)
        # Eager on both sides: the replicas' reductions are what this checks; tracing the
        # mirrored step cost ~20 s of the suite (its compiled step is the trainer test's).
        model.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05),
                      run_eagerly=True)
      model.fit(batch, epochs=1, steps_per_epoch=1, verbose=0)
      results.append([v.numpy() for v in g.weights + d.weights + (
          model.ema_generator.weights + augment.weights if mixing else [])] +
          [model.pl_mean.numpy()])
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(*results))
    print(json.dumps({"name": name, "replicas": STRATEGY.num_replicas_in_sync,
                      "max_abs_diff": diff, "pl_mean": float(results[1][-1]),
                      "w_avg": float(np.abs(g.w_avg.numpy()).max()),
                      "ada_p": float(augment.p.numpy()) if mixing else None}), flush=True)


MODES = {"combos": combos, "equal": equal, "xla": xla, "pix2pix": pix2pix_equal,
         "cyclegan": cyclegan_equal, "esrgan": esrgan_equal, "inpaint": inpaint_equal,
         "stylegan2": stylegan2_equal}


def run_all(plan):
  """plan: {mode: [names]}, run in one process (one TensorFlow start-up for every mode);
  each JSON line gets its mode."""
  import contextlib
  import io
  for mode, names in plan.items():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
      MODES[mode](names)
    for line in out.getvalue().splitlines():
      if line.startswith("{"):
        print(json.dumps({"mode": mode, **json.loads(line)}), flush=True)


if __name__ == "__main__":
  if sys.argv[1] == "all":  # all '{"mode": [names], ...}'
    run_all(json.loads(sys.argv[2]))
  else:
    MODES[sys.argv[1]](sys.argv[2:])
