"""Keras callbacks that turn a GAN's fit() into a run directory: progress lines,
metrics.jsonl, TensorBoard scalars and images, sample grids, checkpoints, and a clean stop on
SIGINT/SIGTERM. Each reads the global step from `model.step` (generator updates so far), so
they agree across resumed runs and with steps_per_execution > 1.
"""

import json
import os
import signal
import threading
import time

import keras
import numpy as np
import tensorflow as tf

from tfgan import images as images_lib


def _due(step, every):
  return every > 0 and step % every == 0


class _StepCallback(keras.callbacks.Callback):
  """Calls `at_step(step, logs)` after each train batch with the global step."""

  def on_train_batch_end(self, batch, logs=None):
    self.at_step(self.model.step_count(), logs or {})

  def at_step(self, step, logs):
    raise NotImplementedError


class ProgressLogger(_StepCallback):
  """Every `every` steps: prints a progress line, appends a row to `metrics_path` (JSON lines)
  and writes TensorBoard scalars; then resets the loss trackers, so each row holds the means
  over its own window of steps.

  Args:
    images_per_step: real images consumed per generator step (global batch * d_steps).
    total_steps: the run's last step, for the ETA.
  """

  def __init__(self, metrics_path, writer, every, images_per_step, total_steps, verbose=True):
    super().__init__()
    self.metrics_path, self.writer, self.every = metrics_path, writer, every
    self.images_per_step, self.total_steps, self.verbose = images_per_step, total_steps, verbose

  def on_train_begin(self, logs=None):
    self._t0 = self._last_t = time.perf_counter()
    self._last_step = self.model.step_count()

  def at_step(self, step, logs):
    if not _due(step, self.every) and step != self.total_steps:
      return
    # In the model's metric order (d_loss first), not the alphabetical order of `logs`.
    logs = {m.name: logs[m.name] for m in self.model.metrics if m.name in logs}
    now = time.perf_counter()
    rate = (step - self._last_step) * self.images_per_step / max(now - self._last_t, 1e-9)
    row = {"step": step, **{k: float(v) for k, v in logs.items()},
           "images_per_sec": round(rate, 1), "wall_sec": round(now - self._t0, 2)}
    with open(self.metrics_path, "a") as f:
      f.write(json.dumps(row) + "\n")
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


class SampleGrid(_StepCallback):
  """Every `every` steps: generates from the fixed inputs z [N, latent_dim] (or [z, labels]) in
  inference mode (with the EMA generator when there is one) and writes
  `samples/step_XXXXXXX.png` and a TensorBoard image; conditional grids have a row per class.
  Existing files are kept: a name already taken gets a numbered suffix."""

  def __init__(self, sample_dir, writer, every, z):
    super().__init__()
    self.sample_dir, self.writer, self.every, self.z = sample_dir, writer, every, z

  def write(self, step):
    fake = np.asarray(self.model.sampling_generator(self.z, training=False))
    rows = self.model.num_classes or None
    grid = images_lib.make_grid(fake, rows=rows)
    path = images_lib.unique_path(os.path.join(self.sample_dir, f"step_{step:07d}.png"))
    images_lib.save_png(path, grid)
    with self.writer.as_default(step=step):
      tf.summary.image("samples", grid[None], max_outputs=1)
    return path

  def at_step(self, step, logs):
    if _due(step, self.every):
      self.write(step)


class Checkpointer(_StepCallback):
  """Saves the `tf.train.CheckpointManager`'s checkpoint every `every` steps."""

  def __init__(self, manager, every):
    super().__init__()
    self.manager, self.every = manager, every

  def save(self, step):
    """Saves at `step` unless the latest checkpoint is already that step's; returns its path."""
    latest = self.manager.latest_checkpoint
    if latest and latest.endswith(f"-{step}"):
      return latest
    return self.manager.save(checkpoint_number=step)

  def at_step(self, step, logs):
    if _due(step, self.every):
      self.save(step)


class StopAt(_StepCallback):
  """Stops fit() at `last_step`, or after a SIGINT/SIGTERM (recorded in `signal_received`).

  The handlers are installed for the duration of fit() from the main thread only; a second
  signal of the same kind falls through to the previous handler (a second Ctrl-C aborts).
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
