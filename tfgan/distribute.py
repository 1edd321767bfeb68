"""tf.distribute for GAN training: choosing a strategy, drawing per-replica random numbers that
add up to the single-device draw, synchronized batch norm, and which worker writes files.

Under a strategy each replica runs `GAN.train_step` on its slice of the global batch. Two
things make that step equal to one single-device step on the whole batch (tested in
tests/distribute_test.py): per-example losses are averaged over the global batch (gradients
are summed across replicas), and every random draw (latents, labels, DiffAugment, the
gradient-penalty interpolation) is made for the global batch from the replicas' shared seed,
each replica keeping its own rows. Without the second, every replica would draw the same
latents and the global batch would hold each fake image `replicas` times.
"""

import json
import os

import tensorflow as tf

from tfgan import config

STRATEGIES = config.STRATEGY_CHOICES


class StrategyError(ValueError):
  """The requested strategy cannot run here; the message names the flag and what is missing."""


def _tf_config():
  raw = os.environ.get("TF_CONFIG", "")
  if not raw:
    return {}
  try:
    value = json.loads(raw)
  except ValueError as e:
    raise StrategyError(f"TF_CONFIG is not JSON ({e}); expected e.g. "
                        '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
                        '"task": {"type": "worker", "index": 0}}.') from e
  if not isinstance(value, dict) or "cluster" not in value or "task" not in value:
    raise StrategyError("TF_CONFIG needs both 'cluster' (job name -> list of host:port) and "
                        "'task' ({'type': ..., 'index': ...}).")
  return value


def _cluster_size(tf_config):
  return sum(len(v) for k, v in tf_config.get("cluster", {}).items() if k in ("chief", "worker"))


def make_strategy(name):
  """Returns the tf.distribute.Strategy that `--strategy=name` selects.

  auto: MultiWorkerMirroredStrategy when TF_CONFIG describes more than one worker, else
  MirroredStrategy when more than one GPU is visible, else the default strategy. mirrored uses
  every visible GPU (or the CPU). multi_worker needs TF_CONFIG. tpu connects to the TPU that
  TPUClusterResolver finds (Colab, Cloud TPU VM).

  MultiWorkerMirroredStrategy must be created before TensorFlow runs its first operation
  (collective ops are configured at start-up), so call this first.
  """
  if name not in STRATEGIES:
    raise StrategyError(f"strategy must be one of {STRATEGIES}, got {name!r}.")
  tf_config = _tf_config()
  if name == "auto":
    if _cluster_size(tf_config) > 1:
      name = "multi_worker"
    elif len(tf.config.list_logical_devices("GPU")) > 1:
      name = "mirrored"
    else:
      name = "default"
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker":
    if not tf_config:
      raise StrategyError("strategy multi_worker needs the TF_CONFIG environment variable "
                          "(cluster and this task); see README 'Several machines'.")
    return tf.distribute.MultiWorkerMirroredStrategy()
  try:
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
  except (ValueError, RuntimeError, tf.errors.OpError) as e:
    raise StrategyError(f"strategy tpu found no TPU ({e}). Use --strategy=auto.") from e
  return tf.distribute.TPUStrategy(resolver)


def check_batch(batch_size, strategy):
  """Raises StrategyError unless the global `batch_size` divides over the replicas."""
  replicas = strategy.num_replicas_in_sync
  if batch_size % replicas:
    raise StrategyError(
        f"batch_size={batch_size} is the global batch and must divide evenly over the "
        f"{replicas} replicas of the strategy ({type(strategy).__name__}); use a multiple of "
        f"{replicas}.")


def replicas_on_logical_cpus(strategy):
  """True when `strategy` runs several replicas on CPU devices of this process (logical CPUs
  from tf.config.set_logical_device_configuration, or MirroredStrategy over CPU:0, CPU:1)."""
  if strategy is None or strategy.num_replicas_in_sync == 1:
    return False
  devices = strategy.extended.worker_devices
  return len(devices) > 1 and all("CPU" in d.upper() for d in devices)


def _replicas():
  context = tf.distribute.get_replica_context()
  return (context.num_replicas_in_sync if context is not None else 1), context


def replica_rows(batch_size):
  """(first row, global batch) of this replica's examples within the global batch.

  Args:
    batch_size: this replica's batch size B (int or int32 scalar tensor).
  Returns:
    (replica index * B, replicas * B); (0, B) outside a strategy or with one replica.
  """
  replicas, context = _replicas()
  if replicas == 1:
    return 0, batch_size
  index = tf.cast(context.replica_id_in_sync_group, tf.int32)
  return index * batch_size, replicas * batch_size


def replica_draw(draw, batch_size):
  """This replica's rows of `draw(global_batch)`.

  Every replica calls `draw` with the same seed, so the global draw is the one a single
  device would make for the whole batch, and replicas get distinct rows of it.

  Args:
    draw: callable, n -> tensor [n, ...] (deterministic for the current seed).
    batch_size: this replica's batch size B.
  Returns:
    tensor [B, ...].
  """
  if _replicas()[0] == 1:
    return draw(batch_size)
  start, total = replica_rows(batch_size)
  return draw(total)[start:start + batch_size]


def step_logs(logs):
  """`train_step`'s results {name: scalar} in the form Keras can reduce across replicas.

  Keras 3.15 reduces step results across the workers of a MultiWorkerMirroredStrategy with a
  MEAN over axis 0, which fails for scalars; there each result is returned as a [1] tensor
  (the reduce then gives back a scalar). Elsewhere `logs` is returned unchanged.
  """
  if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}
  return logs


def synchronize_batch_norm(model):
  """Makes every BatchNormalization layer inside `model` compute its batch statistics over
  the global batch (an all-reduce per layer per step) rather than per replica.

  Returns the number of layers changed. Outside a strategy the layers behave as before.
  """
  changed = 0
  for layer in model._flatten_layers(include_self=False, recursive=True):
    if hasattr(layer, "synchronized") and hasattr(layer, "moving_mean"):
      layer.synchronized = True
      changed += 1
  return changed


def is_chief(strategy):
  """True for the worker that writes the run directory: the only one outside a cluster, else
  the 'chief' task, or worker 0 when the cluster has no chief."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.task_type:
    return True
  jobs = resolver.cluster_spec().as_dict()
  if resolver.task_type == "chief":
    return True
  return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in jobs
