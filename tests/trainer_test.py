"""train_and_evaluate in process: a tiny second family written only against the family
interface trains, resumes and exports through the shared trainer, run directory, callbacks and
export code, and the GAN family resumes and refuses another architecture."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from tfgan import config as config_lib
from tfgan import data, export, images, models, rundir, trainer


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


def test_a_second_family_trains_resumes_and_exports(tmp_path, idx_dir, autoencoder_family):
  workdir = str(tmp_path / "run")
  first = trainer.train_and_evaluate(_config(idx_dir), workdir, verbose=False)
  assert first["status"] == "completed" and first["step"] == 4
  run = rundir.RunDir(workdir)
  assert [r["step"] for r in run.metric_rows()] == [2, 4]
  assert all(np.isfinite(r["l1"]) for r in run.metric_rows())
  assert os.path.exists(run.sample_path(2)) and os.path.exists(run.sample_path(4))
  assert json.load(open(run.path(rundir.CONFIG)))["family"] == "autoencoder"

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
