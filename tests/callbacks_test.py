"""The callbacks in process, on a tiny GAN and a RunDir in a temporary directory."""

import os
import signal

import keras
import numpy as np
import tensorflow as tf

from tfgan import callbacks as cb
from tfgan import losses, models, networks, rundir


def _gan():
  keras.utils.set_random_seed(1)
  g, d = networks.build("mlp", 4, (8, 8, 1), width=0.05)
  model = models.GAN(g, d, 4, loss=losses.get("non_saturating"), seed=1)
  model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
  model.build_optimizers()
  return model


def _data():
  x = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32)
  return tf.data.Dataset.from_tensors((x, np.zeros(4, np.int32))).repeat()


def _fit(model, callbacks, steps):
  model.fit(_data(), epochs=1, steps_per_epoch=steps, verbose=0, callbacks=callbacks)


def test_progress_rows_samples_and_checkpoints_follow_their_cadence(tmp_path, capsys):
  run = rundir.RunDir(str(tmp_path))
  model = _gan()
  run.attach(model.checkpoint_objects())
  writer = tf.summary.create_file_writer(run.path(rundir.TENSORBOARD))
  grid = lambda m: np.zeros((10, 12, 1), np.uint8)  # noqa: E731
  _fit(model, [cb.ProgressLogger(run, writer, 2, 4, 5), cb.SampleGrid(run, writer, 3, grid),
               cb.Checkpointer(run, 2)], 5)
  rows = run.metric_rows()
  assert [r["step"] for r in rows] == [2, 4, 5]  # every 2 steps and the last one
  assert list(rows[0])[:5] == ["step", "d_loss", "g_loss", "d_real", "d_fake"]
  assert rows[0]["images_per_sec"] > 0
  assert "step       2/5" in capsys.readouterr().out
  assert sorted(os.listdir(run.path(rundir.SAMPLES))) == ["step_0000003.png"]
  index = sorted(f for f in os.listdir(run.path(rundir.CHECKPOINTS)) if f.endswith(".index"))
  assert index == ["ckpt-2.index", "ckpt-4.index"]
  # A grid for a step that has one already gets a new name; the old file is kept.
  sampler = cb.SampleGrid(run, writer, 3, grid)
  sampler.set_model(model)
  assert sampler.write(3).endswith("step_0000003-1.png")


class _Evaluator(models.Evaluator):
  names = ["fake1k"]

  def __init__(self, values):
    self.values = list(values)

  def __call__(self, model):
    return {"fake1k": self.values.pop(0), "fake1k_std": 0.1}

  def higher_is_better(self, key):
    return False


def test_evaluation_rows_and_the_best_checkpoint_follow_the_metric_direction(tmp_path):
  run = rundir.RunDir(str(tmp_path))
  model = _gan()
  run.attach(model.checkpoint_objects())
  writer = tf.summary.create_file_writer(run.path(rundir.TENSORBOARD))
  evaluate = cb.EvaluateEvery(run, writer, 1, _Evaluator([5.0, 3.0, 4.0]), "fake1k",
                              log=lambda line: None)
  _fit(model, [evaluate], 3)
  rows = run.metric_rows()
  assert [(r["step"], r["eval/fake1k"]) for r in rows] == [(1, 5.0), (2, 3.0), (3, 4.0)]
  assert run.best_value() == 3.0  # lower is better: step 2, not the later 4.0
  assert tf.train.latest_checkpoint(run.path(rundir.BEST_CHECKPOINT)).endswith("ckpt-2")


def test_stop_at_ends_fit_at_the_last_step_or_after_a_signal(tmp_path):
  model = _gan()
  stopper = cb.StopAt(3)
  _fit(model, [stopper], 10)
  assert model.step_count() == 3 and stopper.signal_received is None

  class SignalAtStep4(cb.StepCallback):
    def at_step(self, step, logs):
      if step == 4:
        os.kill(os.getpid(), signal.SIGTERM)

  previous = signal.getsignal(signal.SIGTERM)
  stopper = cb.StopAt(100)
  _fit(model, [SignalAtStep4(), stopper], 10)
  assert stopper.signal_received == signal.SIGTERM
  assert model.step_count() == 4  # the step in flight finished, then fit() stopped
  assert signal.getsignal(signal.SIGTERM) == previous  # handlers restored
