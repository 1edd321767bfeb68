"""train_and_evaluate in process: a tiny second family written only against the family
interface trains, resumes and exports through the shared trainer, run directory, callbacks and
export code, and the GAN family resumes and refuses another architecture; a checkpoint holds
the whole state of a GAN (also loss-scaled) and a pix2pix model, cadences hold under
steps_per_execution > 1, and a first Ctrl-C stops with a checkpoint while a second aborts."""

import json
import os
import signal
import types

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from conftest import FakeClock
from tfgan import build, data, export, images, models, rundir, trainer
from tfgan import callbacks as cb
from tfgan import config as config_lib
from tfgan.data import pairs


class AutoencoderModel(models.FamilyModel):
  """A dense autoencoder trained with L1 to reconstruct its input: the smallest model with a
  train_step that is not a GAN."""

  def __init__(self, net, **kwargs):
    super().__init__(**kwargs)
    self.net = net
    self.l1_tracker = keras.metrics.Mean(name="l1")
    self.built = True

  @property
  def metrics(self):
    return [self.l1_tracker]

  def compile(self, optimizer, **kwargs):
    super().compile(**kwargs)
    self.ae_optimizer = optimizer

  @property
  def step(self):
    return self.ae_optimizer.iterations

  def checkpoint_objects(self):
    return {"net": self.net, "optimizer": self.ae_optimizer}

  def call(self, x, training=False):
    return self.net(x, training=training)

  def train_step(self, batch):
    x = batch[0]
    with tf.GradientTape() as tape:
      per_example = tf.reduce_mean(tf.abs(self.net(x, training=True) - x), axis=[1, 2, 3])
      loss = tf.nn.compute_average_loss(per_example)
    grads = tape.gradient(loss, self.net.trainable_variables)
    self.ae_optimizer.apply_gradients(zip(grads, self.net.trainable_variables))
    self.l1_tracker.update_state(per_example)
    return {m.name: m.result() for m in self.metrics}


class AutoencoderFamily(models.Family):
  name = "autoencoder"

  def build(self, config, spec, optimizers, **compile_options):
    units = max(1, int(32 * config.model.width))
    net = keras.Sequential([keras.Input(spec.image_shape), layers.Flatten(),
                            layers.Dense(units, activation="relu"),
                            layers.Dense(int(np.prod(spec.image_shape)), activation="tanh"),
                            layers.Reshape(spec.image_shape)], name="autoencoder")
    model = AutoencoderModel(net)
    model.compile(optimizers["g"], **compile_options)
    optimizers["g"].build(net.trainable_variables)
    return model

  def preview(self, config, source):
    x, _ = next(iter(data.make_dataset(source, 4, repeat=False, seed=0)))

    def render(model):  # a row of inputs over a row of reconstructions
      return images.make_grid(np.concatenate([x, model(x, training=False)]), rows=2)

    return render

  def exports(self, model):
    spec = tf.TensorSpec([None] + list(model.net.input_shape[1:]), tf.float32, name="images")
    return [export.Export("autoencoder", model.net, {"reconstruct": (spec,)})]


@pytest.fixture
def autoencoder_family(monkeypatch):
  monkeypatch.setitem(models.FAMILIES, "autoencoder", AutoencoderFamily())


def _config(idx_dir, **changes):
  return config_lib.make(**{
      "family": "autoencoder", "data_dir": idx_dir, "width": 0.5, "batch_size": 8,
      "train_steps": 4, "log_every": 2, "sample_every": 2, "checkpoint_every": 2,
      "shuffle_buffer": 64, **changes})


@pytest.mark.integration
def test_a_second_family_trains_resumes_and_exports(tmp_path, idx_dir, autoencoder_family):
  workdir = str(tmp_path / "run")
  first = trainer.train_and_evaluate(_config(idx_dir), workdir, verbose=False)
  assert first["status"] == "completed" and first["step"] == 4
  run = rundir.RunDir(workdir)
  assert [r["step"] for r in run.metric_rows()] == [2, 4]
  assert all(np.isfinite(r["l1"]) for r in run.metric_rows())
  assert os.path.exists(run.sample_path(2)) and os.path.exists(run.sample_path(4))
  assert json.load(open(run.path(rundir.CONFIG)))["family"] == "autoencoder"
  assert os.path.isfile(run.path(rundir.SUMMARY))  # its own keys (l1), no D outputs

  second = trainer.train_and_evaluate(_config(idx_dir, train_steps=8), workdir, verbose=False)
  assert second["step"] == 8
  assert [r["step"] for r in run.metric_rows()] == [2, 4, 6, 8]  # resumed, not restarted
  assert run.latest_checkpoint().endswith("ckpt-8")
  l1 = [r["l1"] for r in run.metric_rows()]
  assert l1[-1] < l1[0]  # it learns

  # The export is the family's network: same reconstructions, from Keras and the SavedModel.
  model = second["model"]
  x = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32)
  expected = np.asarray(model(x))
  reloaded = keras.models.load_model(second["autoencoder_keras"], compile=False)
  np.testing.assert_allclose(np.asarray(reloaded(x)), expected, atol=1e-5)
  served = tf.saved_model.load(second["saved_model"])
  np.testing.assert_allclose(served.reconstruct(x).numpy(), expected, atol=1e-5)

  # Another family in the same directory is another architecture: refused, nothing changed.
  before = sorted(os.listdir(workdir))
  with pytest.raises(trainer.WorkdirError, match="family: 'autoencoder' in the directory"):
    trainer.train_and_evaluate(_config(idx_dir, family="gan"), workdir, verbose=False)
  assert sorted(os.listdir(workdir)) == before


def test_an_unknown_family_is_refused_before_anything_runs(tmp_path, idx_dir):
  with pytest.raises(ValueError, match="family must be one of"):
    trainer.train_and_evaluate(_config(idx_dir, family="autoencoder"), str(tmp_path / "r"))
  assert not os.path.exists(tmp_path / "r")


@pytest.mark.integration
def test_a_gan_run_resumes_in_process_and_keeps_its_old_config(tmp_path, idx_dir):
  smoke = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "flags",
                       "smoke.flags")
  config = config_lib.from_flagfile(smoke, data_dir=idx_dir, train_steps=2, log_every=1)
  workdir = str(tmp_path / "run")
  trainer.train_and_evaluate(config, workdir, verbose=False)
  second = trainer.train_and_evaluate(config.replace(train_steps=3), workdir, verbose=False)
  assert second["step"] == 3 and os.path.exists(os.path.join(workdir, "config.1.json"))
  run = rundir.RunDir(workdir)
  assert [r["step"] for r in run.metric_rows()] == [1, 2, 3]  # one step more, not three
  assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(run.metric_rows()[-1])


def test_a_diverging_run_stops_keeps_its_good_checkpoints_and_exports_nothing(tmp_path,
                                                                             idx_dir):
  # Learning rates of 1e8: the weights overflow within a few steps while the losses stay
  # finite for a while (d_loss ~1e18).
  smoke = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "flags",
                       "smoke.flags")
  config = config_lib.from_flagfile(smoke, data_dir=idx_dir, g_lr=1e8, d_lr=1e8,
                                    train_steps=12, checkpoint_every=6, log_every=1,
                                    sample_every=1)
  workdir = str(tmp_path / "run")
  with pytest.raises(rundir.NonFiniteError, match=r"^step (\d+): ") as raised:
    trainer.train_and_evaluate(config, workdir, verbose=False)
  step = int(raised.value.args[0].split(":")[0].split()[1])
  run = rundir.RunDir(workdir)
  # Stopped at once: no row, grid or checkpoint from the diverged step or after it.
  assert step < 6 and max(r["step"] for r in run.metric_rows()) <= step
  samples = run.path(rundir.SAMPLES)
  assert sorted(os.listdir(samples) if os.path.isdir(samples) else []) == [
      f"step_{s:07d}.png" for s in range(1, step)]
  assert run.checkpoints() == []
  assert not os.path.exists(os.path.join(workdir, "generator.keras"))
  assert not os.path.exists(os.path.join(workdir, "saved_model"))


_DETERMINISTIC = """
import os, sys
import numpy as np
import tensorflow as tf
from tfgan import config as config_lib, trainer
smoke, idx, root, network = sys.argv[1:5]
config = config_lib.from_flagfile(smoke, data_dir=idx, network=network, deterministic=True,
                                  checkpoint_every=2, log_every=2, sample_every=4)
straight = trainer.train_and_evaluate(config.replace(train_steps=4), os.path.join(root, "a"),
                                      verbose=False)["model"]
trainer.train_and_evaluate(config.replace(train_steps=2), os.path.join(root, "b"), verbose=False)
resumed = trainer.train_and_evaluate(config.replace(train_steps=4), os.path.join(root, "b"),
                                     verbose=False)["model"]
pairs = list(zip(straight.generator.weights + straight.discriminator.weights,
                 resumed.generator.weights + resumed.discriminator.weights))
moved = max(float(np.abs(a.numpy()).max()) for a, _ in pairs)
print("DIFF", max(float(np.abs(a.numpy() - b.numpy()).max()) for a, b in pairs), moved)
"""


@pytest.mark.integration
@pytest.mark.parametrize("network", ["dcgan", "mlp"])
def test_deterministic_resume_is_bit_identical_to_a_straight_run(tmp_path, idx_dir, network):
  # In a child process: op determinism is process-wide and cannot be switched off again.
  import subprocess
  import sys
  repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  result = subprocess.run(
      [sys.executable, "-c", _DETERMINISTIC, os.path.join(repo, "flags", "smoke.flags"),
       idx_dir, str(tmp_path), network], cwd=repo, capture_output=True, text=True,
      timeout=300, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
  lines = [l for l in result.stdout.splitlines() if l.startswith("DIFF")]
  assert lines, result.stderr[-3000:]
  diff, size = map(float, lines[0].split()[1:])
  assert diff == 0.0 and size > 0


def _add_callback(monkeypatch, callback):
  """Makes the trainer's callbacks start with `callback` (a spy, or a source of signals)."""
  original = trainer._callbacks

  def callbacks(*args):
    found, sampler, stopper = original(*args)
    return [callback] + found, sampler, stopper

  monkeypatch.setattr(trainer, "_callbacks", callbacks)


class _Steps(cb.StepCallback):
  """The global step at each callback call: once per execution of steps_per_execution steps."""

  def __init__(self):
    super().__init__()
    self.steps = []

  def at_step(self, step, logs):
    self.steps.append(step)



def _state(model):
  """{group: [variables]} of everything a resumed run continues from, found from the model's
  attributes and layers rather than from checkpoint_objects(), which is what is checked."""
  networks = ("g_ab", "g_ba", "d_a", "d_b") if hasattr(model, "g_ab") else (
      "generator", "discriminator", "ema_generator")
  groups = {name: list(getattr(model, name).weights) for name in networks
            if getattr(model, name, None) is not None}
  if hasattr(model, "pool_a"):  # CycleGAN's image pools: past fakes and their counts
    groups["pools"] = model.pool_a.variables() + model.pool_b.variables()
  groups.update({name: list(getattr(model, name).variables)
                 for name in ("g_optimizer", "d_optimizer")})  # iterations, rate, slots
  if hasattr(model, "seed_generator"):
    groups["rng"] = [model.seed_generator.state]
  if getattr(model, "ada", None) is not None:  # p, its sign sums, its iteration count
    groups["ada"] = list(model.ada.weights)
  if getattr(model, "extras", None) is not None and model.extras.augment:
    groups["augment_rng"] = [model.extras_seed.state]  # tfgan.models.adversarial's draws
  groups["skipped"] = [getattr(model, n) for n in ("g_skipped", "d_skipped")
                       if hasattr(model, n)]
  seeds = {id(value): value.state for net in (getattr(model, n) for n in networks
                                              if getattr(model, n, None) is not None)
           for layer in net._flatten_layers(include_self=True, recursive=True)
           for value in vars(layer).values() if isinstance(value, keras.random.SeedGenerator)}
  groups["seeds"] = list(seeds.values())  # dropout masks
  return groups


def _assert_restores_everything(trained, fresh, workdir, moved):
  """Restores the run's latest checkpoint into `fresh` (built like `trained`, not trained) as
  the trainer does, and checks that every variable equals `trained`'s; each group of `moved`
  must have changed in training, or its comparison would prove nothing."""
  saved, before = _state(trained), _state(fresh)
  assert sorted(saved) == sorted(before)
  for group in moved:
    assert saved[group] and any(not np.array_equal(a.numpy(), b.numpy())
                                for a, b in zip(before[group], saved[group])), group
  run = rundir.RunDir(workdir)
  run.attach(fresh.checkpoint_objects())
  assert run.restore(log=lambda line: None) == run.latest_checkpoint()
  for group, variables in _state(fresh).items():
    assert len(variables) == len(saved[group]), group
    for a, b in zip(variables, saved[group]):
      np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=f"{group}: {b.path}")
  for name in ("g_optimizer", "d_optimizer"):  # the schedule continues where it stopped
    assert float(getattr(fresh, name).learning_rate) == float(
        getattr(trained, name).learning_rate)


def _checkpoint_iterations(path, optimizer):
  """The `iterations` of `optimizer` (a checkpoint key) stored in the checkpoint at `path`."""
  reader = tf.train.load_checkpoint(path)
  keys = [k for k in reader.get_variable_to_shape_map()
          if k.startswith(f"{optimizer}/") and "iterations" in k and "OPTIMIZER_SLOT" not in k]
  assert len(keys) == 1, keys
  return int(reader.get_tensor(keys[0]))


# One tiny GAN run with every kind of state (EMA, D steps, a learning-rate schedule, DiffAugment,
# ADA, dropout in D) and steps_per_execution=2, shared by the three tests that follow (without
# XLA: compiling the two-step loop costs more than these few steps gain from it). ADA's p moves
# once, at step 4, by 4 steps x 16 images / 100.
_GAN_RUN = dict(network="mlp", width=0.05, latent_dim=4, batch_size=8, d_steps=2,
                ema_kimg=0.01, lr_decay_start=2, diffaugment="translation", train_steps=6,
                ada=True, ada_kimg=0.1, ada_p=0.5,
                steps_per_execution=2, jit_compile="false", log_every=2, sample_every=4,
                checkpoint_every=2, keep_checkpoints=5, num_samples=4, shuffle_buffer=64)


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory, idx_dir):
  config = config_lib.make(data_dir=idx_dir, **_GAN_RUN)
  workdir = str(tmp_path_factory.mktemp("gan_run") / "run")
  steps = _Steps()
  with pytest.MonkeyPatch.context() as patch:
    _add_callback(patch, steps)
    patch.setattr(cb, "time", types.SimpleNamespace(perf_counter=FakeClock().perf_counter))
    result = trainer.train_and_evaluate(config, workdir, verbose=False)
  return config, workdir, result, steps.steps


@pytest.mark.integration
def test_a_gan_checkpoint_restores_every_variable_into_a_fresh_model(gan_run):
  # assert_existing_objects_matched checks only what a checkpoint holds: a checkpoint without
  # d_optimizer, rng or ema_generator restored "fine" and resumed with fresh ones.
  config, workdir, result, _ = gan_run
  fresh = build.build_model(config, data.DataSpec("mnist", (28, 28, 1), 10))
  _assert_restores_everything(result["model"], fresh, workdir, moved=(
      "generator", "discriminator", "ema_generator", "g_optimizer", "d_optimizer", "rng",
      "seeds", "ada"))
  assert int(fresh.d_optimizer.iterations) == 12 and fresh.step_count() == 6
  assert float(fresh.g_optimizer.learning_rate) < config.optimization.g_lr  # decaying


@pytest.mark.integration
def test_cadences_hold_under_steps_per_execution(gan_run):
  config, workdir, result, steps = gan_run
  assert result["step"] == 6 and result["model"].steps_per_execution == 2
  assert steps == [2, 4, 6]  # the callbacks ran once per execution of two steps
  run = rundir.RunDir(workdir)
  assert [r["step"] for r in run.metric_rows()] == [2, 4, 6]
  # sample_every=4, and the last step's grid at the end.
  assert sorted(os.listdir(run.path(rundir.SAMPLES))) == ["step_0000004.png",
                                                         "step_0000006.png"]
  paths = run.checkpoints()
  assert [os.path.basename(p) for p in paths] == ["ckpt-6", "ckpt-4", "ckpt-2"]
  # Each checkpoint holds the state of its own step (2 D updates per step).
  assert [_checkpoint_iterations(p, "g_optimizer") for p in paths] == [6, 4, 2]
  assert [_checkpoint_iterations(p, "d_optimizer") for p in paths] == [12, 8, 4]


@pytest.mark.integration
def test_metrics_rows_hold_finite_window_values_and_the_image_rate(gan_run):
  _, workdir, _, _ = gan_run
  rows = rundir.RunDir(workdir).metric_rows()
  for row in rows:
    assert list(row) == ["step", "d_loss", "g_loss", "d_real", "d_fake", "ada_p", "ada_rt",
                         "images_per_sec", "wall_sec"]
    assert all(np.isfinite(row[k]) for k in ("d_loss", "g_loss", "d_real", "d_fake"))
    assert 0 < row["d_real"] < 1 and 0 < row["d_fake"] < 1
  # The clock reads one second per row: each row's window of 2 steps consumed 2 * 8 * 2 real
  # images (batch 8, 2 D steps), so 32 images/s; wall_sec counts from the start of fit().
  assert [r["images_per_sec"] for r in rows] == [32.0, 32.0, 32.0]
  assert [r["wall_sec"] for r in rows] == [1.0, 2.0, 3.0]
  # ADA's state: p 0.5 until its 4th iteration, then 0.5 +- 0.64, clipped to [0, 0.999].
  assert rows[0]["ada_p"] == 0.5 and rows[1]["ada_p"] in (0.0, pytest.approx(0.999))
  assert rows[0]["ada_rt"] == 0.0 and -1 <= rows[1]["ada_rt"] <= 1


@pytest.mark.integration
def test_a_run_ends_with_its_summary_image(gan_run):
  from PIL import Image
  path = os.path.join(gan_run[1], rundir.SUMMARY)
  image = Image.open(path)
  image.verify()  # a whole PNG
  assert image.format == "PNG" and image.size == (1400, 1000)
  assert os.path.getsize(path) > 20_000  # curves and grids drawn, not a blank canvas


@pytest.mark.integration
def test_eval_data_dir_evaluates_against_that_folder_and_records_it(tmp_path, monkeypatch):
  from conftest import write_image
  from tfgan.metrics import evaluation
  from tfgan.metrics import run as metrics_run
  # An SWD of 8 images: the only metric cheap enough (no network) for 8 held-out images.
  monkeypatch.setitem(evaluation.METRICS, "swd8", evaluation.MetricSpec("swd", 8, "pixels"))
  rng = np.random.default_rng(0)
  train_dir, eval_dir = tmp_path / "train", tmp_path / "held"
  for i in range(8):  # noise to train on; flat grey images held out: far apart in SWD
    write_image(str(train_dir / f"{i}.png"), rng.integers(0, 256, (16, 16, 3), np.uint8))
    write_image(str(eval_dir / f"{i}.png"), np.full((16, 16, 3), 30 * i, np.uint8))
  config = config_lib.make(
      dataset="folder", data_dir=str(train_dir), image_size=16, network="mlp", width=0.125,
      latent_dim=8, batch_size=4, train_steps=2, log_every=2, sample_every=2,
      checkpoint_every=2, num_samples=4, shuffle_buffer=8, jit_compile="false",
      eval_metrics="swd8", eval_every=2, eval_data_dir=str(eval_dir))
  workdir = str(tmp_path / "run")
  result = trainer.train_and_evaluate(config, workdir, verbose=False)
  (row,) = [r for r in rundir.RunDir(workdir).metric_rows() if "eval/swd8" in r]
  assert row["eval_split"] == f"{eval_dir} (8 images)"
  # The step-2 evaluation is the final model's against the held-out folder, not the training one.
  generator = result["model"].sampling_generator
  against = lambda folder: metrics_run.evaluate_generator(  # noqa: E731
      generator, metrics_run.open_reference(config, str(folder)), ["swd8"])["swd8"]
  assert row["eval/swd8"] == pytest.approx(against(eval_dir))
  assert abs(against(train_dir) - row["eval/swd8"]) > 0.1 * row["eval/swd8"]
  # A folder that is missing stops the run before anything is written.
  with pytest.raises(data.DataError, match="missing"):
    trainer.train_and_evaluate(config.replace(eval_data_dir=str(tmp_path / "missing")),
                               str(tmp_path / "run2"), verbose=False)
  assert not os.path.exists(tmp_path / "run2")


@pytest.mark.integration
def test_holdout_trains_a_folder_gan_on_the_first_images_and_evaluates_on_the_rest(
    tmp_path, monkeypatch):
  from conftest import write_image
  from tfgan.images import to_uint8
  from tfgan.metrics import evaluation, swd
  from tfgan.metrics import run as metrics_run
  monkeypatch.setitem(evaluation.METRICS, "swd4", evaluation.MetricSpec("swd", 4, "pixels"))
  rng = np.random.default_rng(0)
  folder = tmp_path / "faces"
  # Sorted by path: 00..05 noise to train on, 06..09 flat grey to hold out (far apart in SWD).
  flat = np.stack([np.full((16, 16, 3), 30 + 60 * i, np.uint8) for i in range(4)])
  for i in range(6):
    write_image(str(folder / f"{i:02d}.png"), rng.integers(0, 256, (16, 16, 3), np.uint8))
  for i in range(4):
    write_image(str(folder / f"{6 + i:02d}.png"), flat[i])
  config = config_lib.make(
      dataset="folder", data_dir=str(folder), image_size=16, network="mlp", width=0.125,
      latent_dim=8, batch_size=4, train_steps=2, log_every=2, sample_every=2,
      checkpoint_every=2, num_samples=4, shuffle_buffer=8, jit_compile="false",
      eval_metrics="swd4", eval_every=2, holdout=4)
  trained_on = []
  real_train_dataset = trainer._train_dataset

  def spy(config, built, run, start):
    trained_on.append(built.source)
    return real_train_dataset(config, built, run, start)

  monkeypatch.setattr(trainer, "_train_dataset", spy)
  workdir = str(tmp_path / "run")
  result = trainer.train_and_evaluate(config, workdir, verbose=False)
  # fit() read the first 6 files only: none of the flat held-out images.
  (source,) = trained_on
  paths, _ = source.check()
  assert [os.path.basename(p.decode()) for p in paths.numpy()] == [f"{i:02d}.png"
                                                                   for i in range(6)]
  examples = [x.numpy() for x, _ in source.examples()]
  assert len(examples) == 6 and min(x.std() for x in examples) > 20
  # The step-2 evaluation is against the 4 held-out images, and says so; by hand: the SWD of
  # the final generator's 4 samples (latents of seed 0) against the flat images.
  (row,) = [r for r in rundir.RunDir(workdir).metric_rows() if "eval/swd4" in r]
  assert row["eval_split"] == f"{folder} (holdout split, 4 images)"
  generator = result["model"].sampling_generator
  fake = to_uint8(generator(np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32),
                            training=False))
  by_hand = swd.swd(flat, fake, seed=0)["swd"]
  assert row["eval/swd4"] == pytest.approx(by_hand, rel=1e-5)
  on_training = metrics_run.evaluate_generator(generator, metrics_run.open_training(config),
                                               ["swd4"])["swd4"]
  assert abs(on_training - by_hand) > 0.1 * by_hand
  # tfgan.evaluate defaults to the held-out images too; --data_dir still overrides, with
  # every image of the folder it names.
  evaluated = metrics_run.evaluate_run(workdir, ["swd4"], log=lambda line: None)
  assert evaluated["swd4"] == pytest.approx(by_hand, rel=1e-5)
  assert rundir.RunDir(workdir).metric_rows()[-1]["eval_split"] == row["eval_split"]
  metrics_run.evaluate_run(workdir, ["swd4"], data_dir=str(folder), log=lambda line: None)
  assert rundir.RunDir(workdir).metric_rows()[-1]["eval_split"] == f"{folder} (10 images)"


def _train_and_checkpoint(config, spec, batch, steps, tmp_path, then=lambda model: None):
  """Builds `config`'s model for `spec`, trains it `steps` steps on `batch` (repeated), calls
  `then(model)` and saves the checkpoint as the trainer does. Returns the model and its run
  directory."""
  model = build.build_model(config, spec)
  # Eagerly: the subject is what the checkpoint holds, and a step needs no trace (~5 s each).
  model.run_eagerly = True
  model.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1, steps_per_epoch=steps,
            verbose=0)
  then(model)
  workdir = str(tmp_path / "run")
  run = rundir.RunDir(workdir)
  run.attach(model.checkpoint_objects())
  run.save(model.step_count())
  return model, workdir


@pytest.mark.integration
def test_a_loss_scaled_gan_checkpoint_restores_the_loss_scale(tmp_path):
  # mixed_float16 wraps each Adam in a LossScaleOptimizer, whose dynamic scale and step counter
  # are state of their own (a scale learnt after overflows must not restart at 2 ** 15).
  config = config_lib.make(network="mlp", width=0.05, latent_dim=4, batch_size=8,
                           mixed_precision="mixed_float16", jit_compile="false")
  spec = data.DataSpec("mnist", (28, 28, 1), 10)
  x = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
  trained, workdir = _train_and_checkpoint(  # a scale as after a few overflows
      config, spec, x, 2, tmp_path, lambda m: m.g_optimizer.dynamic_scale.assign(1024.0))
  fresh = build.build_model(config, spec)
  _assert_restores_everything(trained, fresh, workdir, moved=(
      "generator", "discriminator", "g_optimizer", "d_optimizer", "rng", "seeds"))
  assert float(fresh.g_optimizer.dynamic_scale) == 1024.0


# pix2pix with every extra of tfgan.models.adversarial: the EMA generator (and its dropout
# seeds), DiffAugment's RNG, a spectrally normalised PatchGAN (its power-iteration vectors).
PIX2PIX_EXTRAS = dict(ema_kimg=0.001, diffaugment="color,translation,cutout",
                      feature_matching_weight=10.0, patch_norm="spectral", r1_gamma=1.0,
                      gan_ramp_steps=1)


@pytest.mark.integration
@pytest.mark.parametrize("extras", [{}, PIX2PIX_EXTRAS], ids=["paper", "extras"])
def test_a_pix2pix_checkpoint_restores_every_variable_into_a_fresh_model(tmp_path, extras):
  # 64 px: the smallest U-Net with a dropout block, whose seed state the checkpoint must hold.
  config = config_lib.make(family="pix2pix", network="unet", dataset="folder",
                           image_size=64, width=0.125, batch_size=2, d_layers=1,
                           train_steps=2, lr_decay_start=1, jit_compile="false", **extras)
  spec = pairs.PairSpec("folder", (64, 64, 1), (64, 64, 3), None, "test", "edges")
  rng = np.random.default_rng(0)
  batch = (rng.uniform(-1, 1, (2, 64, 64, 1)).astype(np.float32),
           rng.uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32))
  trained, workdir = _train_and_checkpoint(config, spec, batch, 2, tmp_path)
  fresh = build.build_model(config, spec)
  _assert_restores_everything(trained, fresh, workdir, moved=(
      "generator", "discriminator", "g_optimizer", "d_optimizer", "seeds") + (
          ("ema_generator", "augment_rng") if extras else ()))
  assert float(fresh.g_optimizer.learning_rate) == 0.0  # the schedule's end, restored


@pytest.mark.integration
def test_a_cyclegan_checkpoint_restores_every_variable_and_both_pools(tmp_path):
  from tfgan.data import unpaired
  config = config_lib.make(family="cyclegan", network="resnet", dataset="folder",
                           image_size=16, width=0.125, batch_size=2, d_layers=1,
                           resnet_blocks=1, pool_size=3, loss="least_squares", train_steps=2,
                           lr_decay_start=1, jit_compile="false")
  spec = unpaired.UnpairedSpec("folder", (16, 16, 3), (16, 16, 3), 4, 4, "test", "grey")
  rng = np.random.default_rng(0)
  batch = tuple(rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32) for _ in "ab")
  trained, workdir = _train_and_checkpoint(config, spec, batch, 2, tmp_path)
  fresh = build.build_model(config, spec)
  _assert_restores_everything(trained, fresh, workdir, moved=(
      "g_ab", "g_ba", "d_a", "d_b", "g_optimizer", "d_optimizer", "rng", "pools"))


@pytest.mark.integration
def test_an_esrgan_checkpoint_restores_every_variable_and_the_weight_average(tmp_path):
  # The GAN stage: G, its EMA, the spectrally normalised D (its power-iteration vectors too)
  # and both optimizers.
  config = config_lib.make(family="esrgan", network="rrdb", dataset="folder", image_size=16,
                           scale=2, rrdb_features=8, rrdb_blocks=1, rrdb_growth=4,
                           rrdb_skip="bicubic", width=0.125, d_layers=1, batch_size=2,
                           pixel_weight=1e-2, perceptual_weight=1.0, adversarial_weight=5e-3,
                           ema_kimg=0.01, train_steps=2, lr_decay_start=1, jit_compile="false")
  spec = pairs.PairSpec("folder", (8, 8, 3), (16, 16, 3), None, "test", "downsample_x2")
  rng = np.random.default_rng(0)
  batch = (rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32),
           rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32))
  trained, workdir = _train_and_checkpoint(config, spec, batch, 2, tmp_path)
  fresh = build.build_model(config, spec)
  _assert_restores_everything(trained, fresh, workdir, moved=(
      "generator", "ema_generator", "discriminator", "g_optimizer", "d_optimizer"))


@pytest.mark.integration
def test_an_inpainting_checkpoint_restores_every_variable_into_a_fresh_model(tmp_path):
  # The GAN run: the gated G, the spectrally normalised D (its power-iteration vectors too)
  # and both optimizers.
  config = config_lib.make(family="inpaint", network="gated", dataset="folder", image_size=16,
                           width=0.25, d_layers=1, batch_size=2, loss="hinge",
                           adversarial_weight=1.0, train_steps=2, lr_decay_start=1,
                           jit_compile="false")
  spec = pairs.PairSpec("folder", (16, 16, 4), (16, 16, 3), None, "test", "inpaint")
  rng = np.random.default_rng(0)
  m = (rng.uniform(size=(2, 16, 16, 1)) < 0.3).astype(np.float32)
  y = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
  batch = (np.concatenate([np.where(m > 0, -1.0, y), 2 * m - 1], -1).astype(np.float32), y)
  trained, workdir = _train_and_checkpoint(config, spec, batch, 2, tmp_path)
  fresh = build.build_model(config, spec)
  _assert_restores_everything(trained, fresh, workdir, moved=(
      "generator", "discriminator", "g_optimizer", "d_optimizer"))


class _StepScores(models.Evaluator):
  """A higher-is-better 'score' that is a fixed function of the step: the best step is known."""
  names = ["score"]
  SCORES = {2: 1.0, 4: 3.0, 6: 2.0, 8: 0.5, 10: 2.5, 12: 0.1}

  def __call__(self, model):
    return {"score": self.SCORES[model.step_count()]}

  def higher_is_better(self, key):
    return {"score": True}[key]


class _EvaluatedAutoencoder(AutoencoderFamily):

  def evaluator(self, config, source, log=print):
    return _StepScores() if config.evaluation.metric_names else None


@pytest.mark.integration
def test_evaluations_and_the_best_checkpoint_under_steps_per_execution(tmp_path, idx_dir,
                                                                       monkeypatch):
  monkeypatch.setitem(models.FAMILIES, "autoencoder", _EvaluatedAutoencoder())
  steps = _Steps()
  _add_callback(monkeypatch, steps)
  config = _config(idx_dir, train_steps=8, steps_per_execution=2, log_every=4, sample_every=6,
                   checkpoint_every=4, eval_every=2, eval_metrics="score", best_metric="score")
  workdir = str(tmp_path / "run")
  trainer.train_and_evaluate(config, workdir, verbose=False)
  run = rundir.RunDir(workdir)
  rows = run.metric_rows()
  assert steps.steps == [2, 4, 6, 8]
  assert [r["step"] for r in rows if "l1" in r] == [4, 8]
  assert [(r["step"], r["eval/score"]) for r in rows if "eval/score" in r] == [
      (2, 1.0), (4, 3.0), (6, 2.0), (8, 0.5)]
  assert sorted(os.listdir(run.path(rundir.SAMPLES))) == ["step_0000006.png",
                                                         "step_0000008.png"]
  assert [os.path.basename(p) for p in run.checkpoints()] == ["ckpt-8", "ckpt-4"]
  # The best is the highest score (step 4), and its checkpoint holds step 4's state.
  best = json.load(open(run.path(rundir.BEST)))
  assert best == {"step": 4, "metric": "score", "value": 3.0}
  best_path = tf.train.latest_checkpoint(run.path(rundir.BEST_CHECKPOINT))
  assert best_path.endswith("ckpt-4") and _checkpoint_iterations(best_path, "optimizer") == 4
  # A resumed run compares with the recorded best: 2.5 at step 10 and 0.1 at 12 do not beat it.
  trainer.train_and_evaluate(config.replace(train_steps=12), workdir, verbose=False)
  assert json.load(open(run.path(rundir.BEST)))["step"] == 4
  assert tf.train.latest_checkpoint(run.path(rundir.BEST_CHECKPOINT)).endswith("ckpt-4")


class _SignalAt(cb.StepCallback):
  """Sends this process `times` SIGINTs at step `at` (a user pressing Ctrl-C)."""

  def __init__(self, at, times):
    super().__init__()
    self.at, self.times = at, times

  def at_step(self, step, logs):
    if step == self.at:
      for _ in range(self.times):
        os.kill(os.getpid(), signal.SIGINT)


def test_a_first_ctrl_c_stops_after_its_step_with_a_checkpoint_and_the_exports(
    tmp_path, idx_dir, autoencoder_family, monkeypatch):
  _add_callback(monkeypatch, _SignalAt(3, 1))
  previous = signal.getsignal(signal.SIGINT)
  workdir = str(tmp_path / "run")
  result = trainer.train_and_evaluate(_config(idx_dir, train_steps=10), workdir, verbose=False)
  assert result["status"] == "interrupted" and result["signal"] == signal.SIGINT
  assert result["step"] == 3
  run = rundir.RunDir(workdir)
  assert [os.path.basename(p) for p in run.checkpoints()] == ["ckpt-3", "ckpt-2"]
  assert os.path.exists(result["autoencoder_keras"]) and os.path.exists(run.sample_path(3))
  assert signal.getsignal(signal.SIGINT) is previous


def test_a_second_ctrl_c_aborts_without_a_checkpoint_or_exports(tmp_path, idx_dir,
                                                                autoencoder_family,
                                                                monkeypatch):
  # The first Ctrl-C asks for a clean stop; the second falls through to Python's handler
  # (KeyboardInterrupt) at once: nothing of the interrupted step is saved or exported.
  _add_callback(monkeypatch, _SignalAt(3, 2))
  previous = signal.getsignal(signal.SIGINT)
  workdir = str(tmp_path / "run")
  with pytest.raises(KeyboardInterrupt):
    trainer.train_and_evaluate(_config(idx_dir, train_steps=10), workdir, verbose=False)
  run = rundir.RunDir(workdir)
  assert [os.path.basename(p) for p in run.checkpoints()] == ["ckpt-2"]
  assert not os.path.exists(run.keras_path("autoencoder"))
  assert not os.path.exists(run.path(rundir.SAVED_MODEL))
  assert signal.getsignal(signal.SIGINT) is previous  # handlers restored
