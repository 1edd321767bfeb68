"""The run directory: every file of a run, in one object.

    WORKDIR/config.json        the resolved settings; earlier versions kept as config.N.json
    WORKDIR/classes.json       {class name: label} for image folders with class sub-folders
    WORKDIR/metrics.jsonl      one JSON row per log step and per evaluation
    WORKDIR/best.json          {step, metric, value} of the best evaluation (with best_metric)
    WORKDIR/checkpoints/       the latest checkpoints; best_checkpoint/: the best one
    WORKDIR/samples/           step_XXXXXXX.png grids; tensorboard/: event files
    WORKDIR/summary.png        curves, evaluations and grids over the run (tfgan.summary)
    WORKDIR/data_cache/        decoded examples with --cache=file (safe to delete)
    WORKDIR/<name>.keras, WORKDIR/saved_model/   the family's exports

Under a multi-worker strategy only the chief writes WORKDIR; the others read checkpoints from
it (to resume) and write into a temporary directory removed by `cleanup()`, because
checkpoint and export code must run on every worker. Nothing the user had is overwritten:
files are written through tfgan.files, a config that differs is set aside, and a directory
that holds something else is refused.
"""

import glob
import json
import os
import re
import shutil
import tempfile
from typing import Dict, Optional, Sequence

import tensorflow as tf
from google.protobuf import message
from tensorflow.core.protobuf import trackable_object_graph_pb2

from tfgan import config as config_lib
from tfgan import files, runfiles
# The file names live in tfgan.runfiles (no TensorFlow); every reader keeps using rundir.X.
from tfgan.runfiles import (BEST, BEST_CHECKPOINT, CHECKPOINTS, CLASSES, CONFIG,  # noqa: F401
                            DATA_CACHE, METRICS, SAMPLES, SAVED_MODEL, SUMMARY, TENSORBOARD)


class WorkdirError(ValueError):
  """The run directory cannot be used with this config; the message says why."""


class NonFiniteError(RuntimeError):
  """Training produced a NaN or infinity; the message names the step and the quantity. No
  checkpoint or export is written from such a state."""


# What reading a damaged checkpoint raises: truncated data (IndexError, DataLossError), a bad
# object graph (DecodeError), missing files (NotFoundError, OSError). A ValueError (shapes that
# do not match) means another model, not damage.
_UNREADABLE = (tf.errors.OpError, IndexError, OSError, message.DecodeError)


def _top_level_names(path):
  """The names of a checkpoint's top-level objects (tf.train.Checkpoint keyword arguments),
  read from its object graph: variables are stored under the first path that reaches them,
  so their names alone do not tell which objects a checkpoint holds."""
  graph = trackable_object_graph_pb2.TrackableObjectGraph()
  graph.ParseFromString(tf.train.load_checkpoint(path).get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
  return {child.local_name for child in graph.nodes[0].children} - {"save_counter"}


def check_finite(objects: Dict[str, object], what: str) -> None:
  """Raises NonFiniteError naming the first float variable of `objects` ({name: trackable})
  that holds a NaN or infinity."""
  for name, obj in objects.items():
    if isinstance(obj, dict):
      check_finite(obj, what)
      continue
    for v in obj.variables if hasattr(obj, "variables") else [obj]:
      # Integer state (step counters, RNG seeds) cannot be non-finite.
      if "float" in str(v.dtype) and not bool(
          tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(v)))):
        raise NonFiniteError(f"{what}: {name} variable {v.name} holds NaN or infinite "
                             f"values; not saved.")


def _set_aside(path):
  """Renames DIR/<name>.json to the first free DIR/<name>.<n>.json, so nothing is overwritten."""
  stem = path[:-len(".json")]
  n = 1
  while os.path.exists(f"{stem}.{n}.json"):
    n += 1
  os.replace(path, f"{stem}.{n}.json")


def _json(value) -> str:
  return json.dumps(value, indent=2, sort_keys=True) + "\n"


class RunDir:
  """The files of the run in `workdir`, as seen by this worker.

  Args:
    workdir: the run directory (shared by all workers of a cluster).
    chief: whether this worker writes `workdir`; other workers write to a temporary directory.
  """

  def __init__(self, workdir: str, chief: bool = True):
    self.workdir, self.chief = workdir, chief
    # Where this worker writes.
    self.out = workdir if chief else tempfile.mkdtemp(prefix="tfgan_worker_")
    self._checkpoint = self._latest = self._best = None

  def path(self, name: str) -> str:
    """The path of `name` (one of this module's file names) where this worker writes it."""
    return os.path.join(self.out, name)

  def keras_path(self, export_name: str) -> str:
    return self.path(f"{export_name}.keras")

  def sample_path(self, step: int) -> str:
    return os.path.join(self.path(SAMPLES), f"step_{step:07d}.png")

  # Settings.

  def prepare(self, config, family_fields: Sequence[str] = (), log=print) -> bool:
    """Checks the directory against `config` and records it; returns True when config.json
    was (re)written.

    A new or empty directory gets config.json. A directory from an earlier run with equal
    architecture settings (config.ARCHITECTURE_FIELDS + `family_fields`) resumes: a differing
    config.json is kept as config.<n>.json first. Anything else raises WorkdirError and
    changes nothing. Other workers do nothing here: the chief may be writing the directory.
    """
    if not self.chief:
      return False
    # An export a crash left half-replaced (the window between two renames) comes back.
    for restored in files.recover(self.workdir):
      log(f"tfgan: restored {restored} from before an interrupted export.")
    path = os.path.join(self.workdir, CONFIG)
    new = config.to_dict()
    if os.path.isfile(path):
      try:
        with open(path) as f:
          recorded = json.load(f)
      except (OSError, ValueError) as e:
        raise WorkdirError(f"{path}: unreadable run config ({e}).") from e
      # A setting newer than the directory's tfgan version had its default there.
      old = {**config_lib.Config().to_dict(), **recorded}
      fields = tuple(config_lib.ARCHITECTURE_FIELDS) + tuple(family_fields)
      clash = {k: (old.get(k), new[k]) for k in fields if old.get(k) != new[k]}
      if clash:
        details = ", ".join(f"{k}: {a!r} in the directory, {b!r} now"
                            for k, (a, b) in clash.items())
        raise WorkdirError(f"{self.workdir} holds a run with another architecture ({details}); "
                           f"its checkpoints cannot be resumed with this config. Use a new "
                           f"--workdir.")
      if recorded == new:
        return False
      _set_aside(path)
    elif os.path.isdir(self.workdir) and os.listdir(self.workdir):
      raise WorkdirError(f"{self.workdir} is not empty and holds no config.json, so it is not a "
                         f"tfgan run directory; refusing to write into it. Use a new --workdir.")
    files.write(path, _json(new))
    return True

  def record_classes(self, class_names: Sequence[str], origin: str, labels_matter: bool):
    """Writes classes.json ({class name: label}) when the data's labels have names.

    A resumed run whose class names changed is refused when `labels_matter` (its labels would
    mean other classes); otherwise the old mapping is kept as classes.<n>.json.
    """
    if not class_names or not self.chief:
      return
    path = self.path(CLASSES)
    mapping = {name: i for i, name in enumerate(class_names)}
    if os.path.isfile(path):
      with open(path) as f:
        recorded = json.load(f)
      if recorded == mapping:
        return
      if labels_matter:
        raise WorkdirError(f"{path} maps labels to other class folders than {origin} holds "
                           f"now ({sorted(recorded)} vs {sorted(mapping)}); a conditional run "
                           f"cannot resume with other labels. Use a new --workdir.")
      _set_aside(path)
    files.write(path, json.dumps(mapping, indent=2) + "\n")

  # Checkpoints.

  def attach(self, objects: Dict[str, object], keep: int = 3) -> None:
    """Makes the checkpoint of `objects` ({name: trackable}, e.g.
    FamilyModel.checkpoint_objects()) that restore/save/save_best use; keeps `keep` latest."""
    self._objects = dict(objects)
    self._checkpoint = tf.train.Checkpoint(**objects)
    self._latest = tf.train.CheckpointManager(self._checkpoint, self.path(CHECKPOINTS),
                                              max_to_keep=keep)
    self._saved_step = self._saved_path = None

  def _checkpoint_steps(self) -> list:
    """The steps of the chief's checkpoints, newest first."""
    folder = os.path.join(self.workdir, CHECKPOINTS)
    steps = []
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
      match = re.fullmatch(r"ckpt-(\d+)\.index", name)
      if match:
        steps.append(int(match[1]))
    return sorted(steps, reverse=True)

  def checkpoints(self) -> list:
    """The chief's checkpoint paths (every worker resumes from them), newest first."""
    folder = os.path.join(self.workdir, CHECKPOINTS)
    return [os.path.join(folder, f"ckpt-{n}") for n in self._checkpoint_steps()]

  def latest_checkpoint(self) -> Optional[str]:
    """The chief's newest checkpoint, or None."""
    found = self.checkpoints()
    return found[0] if found else None

  def restore(self, log=print) -> Optional[str]:
    """Restores the newest checkpoint that restores into the attached objects; returns its
    path, or None when there is none.

    A checkpoint that cannot be read (a machine died mid-write, a truncated copy) is named,
    renamed to ckpt-N.unreadable.* for inspection (by the chief) and skipped for the next
    older one. Top-level objects a checkpoint lacks (state added by a newer tfgan) keep their
    initial values, and are named; any other mismatch raises WorkdirError.
    """
    candidates = self.checkpoints()
    for path in candidates:
      try:
        keys = _top_level_names(path)
      except _UNREADABLE as e:
        self._skip_unreadable(path, e, log)
        continue
      foreign = sorted(keys - set(self._objects))
      if foreign:
        raise WorkdirError(f"{path} holds {foreign}, which this model does not have: it was "
                           f"written by another kind of model. Use a new --workdir.")
      present = {k: v for k, v in self._objects.items() if k in keys}
      try:
        tf.train.Checkpoint(**present).restore(path).assert_existing_objects_matched()
      except (AssertionError, ValueError) as e:
        raise WorkdirError(f"{path} does not hold this model's variables ({e}); it was "
                           f"written by another model. Use a new --workdir.") from e
      except _UNREADABLE as e:
        self._skip_unreadable(path, e, log)
        continue
      missing = sorted(set(self._objects) - keys)
      if missing:
        log(f"tfgan: {path} holds no {missing} (state newer than the run); starting those "
            f"from their initial values.")
      self._saved_step, self._saved_path = int(path.rsplit("-", 1)[1]), path
      return path
    folder = os.path.join(self.workdir, CHECKPOINTS)
    if candidates or glob.glob(os.path.join(glob.escape(folder), "*.unreadable.index")):
      raise WorkdirError(f"no checkpoint in {folder} can be restored (see above; unreadable "
                         f"ones are kept as ckpt-N.unreadable.*); move them away to start the "
                         f"run again from step 0.")
    return None

  def _skip_unreadable(self, path, error, log):
    first_line = str(error).splitlines()[0][:200] if str(error) else ""
    log(f"tfgan: checkpoint {path} cannot be restored ({type(error).__name__}: {first_line}); "
        f"trying the next older one.")
    if self.chief:  # kept for inspection, under a name no restore or save will use
      for name in glob.glob(glob.escape(path) + ".*"):
        os.replace(name, path + ".unreadable" + name[len(path):])

  def save(self, step: int) -> str:
    """Saves the checkpoint at `step` unless this step was saved or restored already; returns
    its path. Raises NonFiniteError, saving nothing, when a variable is not finite."""
    if self._saved_step == step:
      return self._saved_path
    check_finite(self._objects, f"the checkpoint of step {step}")
    path = self._latest.save(checkpoint_number=step)
    self._saved_step, self._saved_path = step, path
    return path

  def best_value(self) -> Optional[float]:
    """The value recorded in best.json, or None."""
    path = os.path.join(self.workdir, BEST)
    if os.path.isfile(path):
      with open(path) as f:
        return json.load(f)["value"]
    return None

  def save_best(self, step: int, metric: str, value: float) -> str:
    """Saves the checkpoint into best_checkpoint/ (the previous best is dropped), then
    records best.json; returns the checkpoint path."""
    check_finite(self._objects, f"the best checkpoint of step {step}")
    if self._best is None:
      self._best = tf.train.CheckpointManager(self._checkpoint, self.path(BEST_CHECKPOINT),
                                              max_to_keep=1)
    saved = self._best.save(checkpoint_number=step)
    files.write(self.path(BEST), json.dumps({"step": step, "metric": metric, "value": value}))
    return saved

  # Rows.

  def append_metrics(self, row: dict) -> None:
    """Appends one JSON row (must hold 'step') to metrics.jsonl; the chief's only."""
    if self.chief:
      files.append_line(self.path(METRICS), json.dumps(row))

  def metric_rows(self):
    """The rows of metrics.jsonl, skipping unreadable lines (a crash mid-append)."""
    return runfiles.metric_rows(self.workdir)

  def last_step(self) -> int:
    """The largest step in metrics.jsonl or of the chief's checkpoints (0 when none): a run
    stopped by a signal saves and exports at a step that no metrics row may have reached."""
    steps = [int(r.get("step", 0)) for r in self.metric_rows()] + self._checkpoint_steps()
    return max(steps, default=0)

  def cleanup(self) -> None:
    """Removes a non-chief worker's temporary directory; the chief's is never touched."""
    if not self.chief:
      shutil.rmtree(self.out, ignore_errors=True)
