"""What the benchmarks share about timing fit() calls.

tf.data's autotuner runs a background thread per iterator that wakes after 10 ms, then 20, 40,
... ms (so at 0.01, 0.03, ..., 5.11, 10.23, 20.47 s after the iterator starts). When Keras's
train function has consumed the iterator, deleting it at the end of fit() sometimes waits for
that thread's next wake-up (TF 2.21, measured: fit() calls of 300 MLP steps took either ~15 s
or exactly 20.47 s, the extra time all after the last batch; a bare iterator fed to a
tf.function: 16.0 s of steps, then 4.46 s to delete it). A real run calls fit() once and pays
this at most once; a benchmark that times many short fit() calls would count it as step time.
"""

import time

import tensorflow as tf


def without_autotune(dataset):
  """`dataset` with tf.data autotuning off: for in-memory benchmark batches, which have no
  parallelism to tune, so that timed fit() calls end when their last step does."""
  options = tf.data.Options()
  options.autotune.enabled = False
  return dataset.with_options(options)


def fit_rate(model, dataset, steps, callbacks=lambda last_step: []):
  """A timer: a function that runs `steps` steps of model.fit() and returns the seconds taken.
  The model is warmed up (traced) first. callbacks(last_step) gives each call's callbacks."""
  warmup = 2 * model.steps_per_execution
  model.fit(dataset, epochs=1, steps_per_epoch=warmup, verbose=0, callbacks=callbacks(0))

  def run():
    start = model.step_count()
    t0 = time.perf_counter()
    model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False,
              callbacks=callbacks(start + steps))
    return time.perf_counter() - t0
  return run


def input_rate(dataset, steps):
  """A timer of `steps` batches drawn from `dataset` alone (its first batch drawn before)."""
  it = iter(dataset)
  next(it)

  def run():
    t0 = time.perf_counter()
    for _ in range(steps):
      next(it)
    return time.perf_counter() - t0
  return run



def provenance(repo):
  """{'machine', 'date', 'commit'}: where and when a benchmark's result was measured."""
  import os
  import platform
  import subprocess
  return {"machine": f"{platform.machine()} {os.cpu_count()} cores",
          "date": time.strftime("%Y-%m-%d %H:%M"),
          "commit": subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                                   capture_output=True, text=True).stdout.strip()}
