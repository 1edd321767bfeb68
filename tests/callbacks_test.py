"""The callbacks in process, on a tiny GAN and a RunDir in a temporary directory."""

import json
import os
import signal
import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import FakeClock
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


@pytest.mark.integration
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
  sampling = "noise: fresh"  # what a generator draws besides z (StyleGAN2's noise maps)

  def __init__(self, values):
    self.values = list(values)

  def __call__(self, model):
    return {"fake1k": self.values.pop(0), "fake1k_std": 0.1}

  def higher_is_better(self, key):
    return False


@pytest.mark.integration
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
  assert [r["eval_sampling"] for r in rows] == ["noise: fresh"] * 3
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



class _Window(cb.StepCallback):
  """Runs before the logger: the logs of each step, and how many examples d_loss's mean holds."""

  def __init__(self):
    super().__init__()
    self.counts, self.logs = [], {}

  def at_step(self, step, logs):
    self.counts.append(int(self.model.d_loss_tracker.count.numpy()))
    self.logs[step] = {k: float(v) for k, v in logs.items()}


@pytest.mark.integration
def test_each_metrics_row_holds_the_means_of_its_own_window(tmp_path, monkeypatch):
  monkeypatch.setattr(cb, "time", types.SimpleNamespace(perf_counter=FakeClock().perf_counter))
  run = rundir.RunDir(str(tmp_path))
  model = _gan()
  writer = tf.summary.create_file_writer(run.path(rundir.TENSORBOARD))
  window = _Window()
  _fit(model, [window, cb.ProgressLogger(run, writer, 2, 4, 6, verbose=False)], 6)
  # Batch 4, a row every 2 steps: the means restart after each row instead of averaging
  # over the whole run.
  assert window.counts == [4, 8, 4, 8, 4, 8]
  rows = run.metric_rows()
  assert [r["step"] for r in rows] == [2, 4, 6]
  for row in rows:
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
      assert np.isfinite(row[key]) and row[key] == pytest.approx(window.logs[row["step"]][key])
  # The clock reads one second per row: 2 steps of 4 images each.
  assert [r["images_per_sec"] for r in rows] == [8.0, 8.0, 8.0]
  assert [r["wall_sec"] for r in rows] == [1.0, 2.0, 3.0]


class _Directed(_Evaluator):

  def __init__(self, values, higher):
    super().__init__(values)
    self.higher = higher

  def higher_is_better(self, key):
    return self.higher


@pytest.mark.integration
@pytest.mark.parametrize("higher, values", [(True, [3.0, 5.0, 4.0]), (False, [5.0, 3.0, 4.0])])
def test_the_best_checkpoint_is_the_best_evaluation_in_either_direction(tmp_path, higher,
                                                                        values):
  run = rundir.RunDir(str(tmp_path))
  model = _gan()
  run.attach(model.checkpoint_objects())
  writer = tf.summary.create_file_writer(run.path(rundir.TENSORBOARD))
  _fit(model, [cb.EvaluateEvery(run, writer, 1, _Directed(values, higher), "fake1k",
                                log=lambda line: None)], 3)
  # Step 2 is the best either way (5 when higher is better, 3 when lower is), not the first
  # or the last evaluation.
  assert json.load(open(run.path(rundir.BEST))) == {"step": 2, "metric": "fake1k",
                                                    "value": values[1]}
  path = tf.train.latest_checkpoint(run.path(rundir.BEST_CHECKPOINT))
  fresh = _gan()
  tf.train.Checkpoint(**fresh.checkpoint_objects()).restore(path).assert_consumed()
  assert fresh.step_count() == 2  # the state of the best step


# Every result key's direction, written out per quantity rather than read from the registry.
_DIRECTIONS = (("_std", None), ("_precision", True), ("_recall", True), ("_fd", False),
               ("_classes_hit", True), ("_kl_uniform", False), ("_confidence", True),
               ("_label_accuracy", True), ("_class_min", None), ("_class_max", None))


def _expected_direction(key):
  for suffix, higher in _DIRECTIONS:
    if key.endswith(suffix):
      return higher
  if key.startswith("nn"):
    return None  # the memorization medians and their ratio: no quality to optimise
  if key.startswith(("fid", "kid", "swd")):
    return False  # distances (swd: per level too)
  assert key.startswith("is"), key
  return True  # Inception score


def test_every_metric_result_has_the_direction_best_metric_keeps():
  from tfgan import data
  from tfgan.metrics import evaluation, paired
  from tfgan.metrics import run as metrics_run
  spec = data.DataSpec("mnist", (28, 28, 1), 10)
  evaluator = metrics_run.GeneratorEvaluator([], data.ArraySource(spec, None, None))
  keys = evaluation.result_keys(sorted(evaluation.METRICS))
  assert {"fid10k", "kid1k", "kid1k_std", "is50k", "is50k_std", "pr10k_precision",
          "pr10k_recall", "classifier10k_fd", "classifier1k_label_accuracy",
          "classifier_classes_hit", "classifier_kl_uniform", "classifier_confidence"} <= set(keys)
  for key in keys:
    assert evaluator.higher_is_better(key) is _expected_direction(key), key
  for key in ("fid10k_std", "pr10k", "classifier10k", "fid3k", "is10k_precision"):
    with pytest.raises(ValueError, match="reports a result"):
      evaluator.higher_is_better(key)
  pairs = paired.PairedEvaluator(["paired"], None)
  assert {k: pairs.higher_is_better(k) for k in ("l1_rgb", "psnr_rgb", "ssim_rgb")} == {
      "l1_rgb": False, "psnr_rgb": True, "ssim_rgb": True}
