"""Keras callbacks that turn any family's fit() into a run directory (tfgan.rundir.RunDir):
progress lines, metrics.jsonl rows, TensorBoard scalars and images, sample grids, checkpoints,
evaluations with the best checkpoint, and a clean stop on SIGINT/SIGTERM. Each reads the
global step from the model (`FamilyModel.step_count()`), so they agree across resumed runs and
with steps_per_execution > 1.
"""

import signal
import threading
import time

import math

import keras
import tensorflow as tf

from tfgan import images as images_lib
from tfgan import rundir


def due(step, every):
  """Whether a cadence of `every` steps (0: never) falls on `step`."""
  return every > 0 and step % every == 0


class StepCallback(keras.callbacks.Callback):
  """Calls `at_step(step, logs)` after each train batch with the global step."""

  def on_train_batch_end(self, batch, logs=None):
    self.at_step(self.model.step_count(), logs or {})

  def at_step(self, step, logs):
    raise NotImplementedError


class NonFiniteGuard(StepCallback):
  """The first callback of a run: raises rundir.NonFiniteError at the first step whose logged
  values (losses, scores) are NaN or infinite, and at every step where something is written
  (`cadences`: sample, checkpoint, evaluation) when a variable of `objects` ({name:
  trackable}) is, so no grid, checkpoint, evaluation or export comes from a diverged state
  and the last good checkpoint is kept."""

  def __init__(self, objects, cadences):
    super().__init__()
    self.objects, self.cadences = objects, [c for c in cadences if c]

  def at_step(self, step, logs):
    for name, value in logs.items():
      value = float(value)
      if not math.isfinite(value):
        raise rundir.NonFiniteError(
            f"step {step}: {name} is {value}: training diverged and was stopped before "
            f"anything of this step was written. Lower the learning rates (--g_lr, --d_lr) "
            f"or add a penalty, then resume from the last checkpoint.")
    if any(due(step, every) for every in self.cadences):
      rundir.check_finite(self.objects, f"step {step}")


class ProgressLogger(StepCallback):
  """Every `every` steps: prints a progress line, appends a row to the run's metrics.jsonl
  and writes TensorBoard scalars; then resets the model's trackers, so each row holds the
  means over its own window of steps.

  Args:
    run: the tfgan.rundir.RunDir.
    images_per_step: real images consumed per train step (global batch * d_steps for GANs).
    total_steps: the run's last step, for the ETA.
  """

  def __init__(self, run, writer, every, images_per_step, total_steps, verbose=True):
    super().__init__()
    self.run, self.writer, self.every = run, writer, every
    self.images_per_step, self.total_steps, self.verbose = images_per_step, total_steps, verbose

  def on_train_begin(self, logs=None):
    self._t0 = self._last_t = time.perf_counter()
    self._last_step = self.model.step_count()

  def at_step(self, step, logs):
    if not due(step, self.every) and step != self.total_steps:
      return
    # In the model's metric order (d_loss first for GANs), not the alphabetical order of `logs`.
    # Then the state a model reports beside its metrics (`state_log_keys`: ADA's p and r_t).
    names = [m.name for m in self.model.metrics] + list(getattr(self.model, "state_log_keys",
                                                                ()))
    logs = {name: logs[name] for name in names if name in logs}
    now = time.perf_counter()
    rate = (step - self._last_step) * self.images_per_step / max(now - self._last_t, 1e-9)
    row = {"step": step, **{k: float(v) for k, v in logs.items()},
           "images_per_sec": round(rate, 1), "wall_sec": round(now - self._t0, 2)}
    self.run.append_metrics(row)
    with self.writer.as_default(step=step):
      for k, v in logs.items():
        tf.summary.scalar(k, float(v))
      tf.summary.scalar("images_per_sec", rate)
    if self.verbose:
      eta = (self.total_steps - step) * self.images_per_step / max(rate, 1e-9)
      losses = " ".join(f"{k} {float(v):.4f}" for k, v in logs.items())
      print(f"step {step:>7}/{self.total_steps} | {losses} | {rate:7.0f} img/s | "
            f"eta {int(eta // 60)}m{int(eta % 60):02d}s", flush=True)
    self.model.reset_metrics()
    self._last_t, self._last_step = now, step


class SampleGrid(StepCallback):
  """Every `every` steps: writes `render(model)` (the family's preview, a uint8 [h, w, C]
  grid) to samples/step_XXXXXXX.png and TensorBoard. A name already taken gets a numbered
  suffix: existing files are kept."""

  def __init__(self, run, writer, every, render):
    super().__init__()
    self.run, self.writer, self.every, self.render = run, writer, every, render

  def write(self, step):
    try:
      grid = self.render(self.model)
    except rundir.NonFiniteError as e:
      raise rundir.NonFiniteError(f"step {step}: {e}") from None
    path = images_lib.unique_path(self.run.sample_path(step))
    images_lib.save_png(path, grid)
    with self.writer.as_default(step=step):
      tf.summary.image("samples", grid[None], max_outputs=1)
    return path

  def at_step(self, step, logs):
    if due(step, self.every):
      self.write(step)


class Checkpointer(StepCallback):
  """Saves the run's checkpoint every `every` steps (RunDir.save)."""

  def __init__(self, run, every):
    super().__init__()
    self.run, self.every = run, every

  def at_step(self, step, logs):
    if due(step, self.every):
      self.run.save(step)


class EvaluateEvery(StepCallback):
  """Every `every` steps: runs `evaluator(model)` (a tfgan.models.base.Evaluator), appends a
  row of `eval/<key>` values to metrics.jsonl (with `eval_split`, the real images compared
  against, when the evaluator describes them as `split`, and `eval_sampling`, what the
  generator draws besides z, when it gives one as `sampling`), writes TensorBoard scalars and, when
  `best_metric` improves (in the direction the evaluator gives for it), saves the best
  checkpoint and best.json (RunDir.save_best)."""

  def __init__(self, run, writer, every, evaluator, best_metric="", log=print):
    super().__init__()
    self.run, self.writer, self.every, self.evaluator = run, writer, every, evaluator
    self.best_metric, self.log = best_metric, log

  def evaluate(self, step):
    """Evaluates now and records the results as of `step`; returns {key: value}."""
    results = self.evaluator(self.model)
    split = getattr(self.evaluator, "split", None)
    sampling = getattr(self.evaluator, "sampling", None)
    self.run.append_metrics({"step": step, **({"eval_split": split} if split else {}),
                             **({"eval_sampling": sampling} if sampling else {}),
                             **{f"eval/{k}": v for k, v in results.items()}})
    with self.writer.as_default(step=step):
      for k, v in results.items():
        tf.summary.scalar(f"eval/{k}", v)
    self.log(f"step {step:>7} | " + " ".join(f"{k} {v:.4g}" for k, v in results.items()))
    if self.best_metric:
      value, best = results[self.best_metric], self.run.best_value()
      higher = self.evaluator.higher_is_better(self.best_metric)
      if best is None or (value > best if higher else value < best):
        self.run.save_best(step, self.best_metric, value)
    return results

  def at_step(self, step, logs):
    if due(step, self.every):
      self.evaluate(step)


class StopAt(StepCallback):
  """Stops fit() at `last_step`, or after a SIGINT/SIGTERM (recorded in `signal_received`).

  The handlers are installed for the duration of fit() from the main thread only. A second
  signal calls the previous handler when that is a Python function, then (or otherwise: the
  default actions) raises KeyboardInterrupt: a second Ctrl-C or SIGTERM aborts at once, without
  a new checkpoint.
  """

  def __init__(self, last_step):
    super().__init__()
    self.last_step = last_step
    self.signal_received = None
    self._previous = {}

  def _handle(self, signum, frame):
    if self.signal_received is not None:
      previous = self._previous.get(signum)
      if callable(previous):
        previous(signum, frame)
      raise KeyboardInterrupt
    self.signal_received = signum
    print(f"\nReceived {signal.Signals(signum).name}: stopping after this step, then saving a "
          f"checkpoint and the exports.", flush=True)

  def on_train_begin(self, logs=None):
    if threading.current_thread() is threading.main_thread():
      for signum in (signal.SIGINT, signal.SIGTERM):
        self._previous[signum] = signal.signal(signum, self._handle)

  def on_train_end(self, logs=None):
    for signum, previous in self._previous.items():
      signal.signal(signum, previous)
    self._previous = {}

  def at_step(self, step, logs):
    if step >= self.last_step or self.signal_received is not None:
      self.model.stop_training = True
