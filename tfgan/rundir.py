"""The run directory: every file of a run, in one object.

    WORKDIR/config.json        the resolved settings; earlier versions kept as config.N.json
    WORKDIR/classes.json       {class name: label} for image folders with class sub-folders
    WORKDIR/metrics.jsonl      one JSON row per log step and per evaluation
    WORKDIR/best.json          {step, metric, value} of the best evaluation (with best_metric)
    WORKDIR/checkpoints/       the latest checkpoints; best_checkpoint/: the best one
    WORKDIR/samples/           step_XXXXXXX.png grids; tensorboard/: event files
    WORKDIR/data_cache/        decoded examples with --cache=file (safe to delete)
    WORKDIR/<name>.keras, WORKDIR/saved_model/   the family's exports

Under a multi-worker strategy only the chief writes WORKDIR; the others read checkpoints from
it (to resume) and write into a temporary directory removed by `cleanup()`, because
checkpoint and export code must run on every worker. Nothing the user had is overwritten:
files are written through tfgan.files, a config that differs is set aside, and a directory
that holds something else is refused.
"""

import json
import os
import shutil
import tempfile
from typing import Dict, Optional, Sequence

import tensorflow as tf

from tfgan import config as config_lib
from tfgan import files

CONFIG = "config.json"
CLASSES = "classes.json"
METRICS = "metrics.jsonl"
BEST = "best.json"
CHECKPOINTS = "checkpoints"
BEST_CHECKPOINT = "best_checkpoint"
SAMPLES = "samples"
TENSORBOARD = "tensorboard"
DATA_CACHE = "data_cache"
SAVED_MODEL = "saved_model"


class WorkdirError(ValueError):
  """The run directory cannot be used with this config; the message says why."""


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

  def prepare(self, config, family_fields: Sequence[str] = ()) -> bool:
    """Checks the directory against `config` and records it; returns True when config.json
    was (re)written.

    A new or empty directory gets config.json. A directory from an earlier run with equal
    architecture settings (config.ARCHITECTURE_FIELDS + `family_fields`) resumes: a differing
    config.json is kept as config.<n>.json first. Anything else raises WorkdirError and
    changes nothing. Other workers do nothing here: the chief may be writing the directory.
    """
    if not self.chief:
      return False
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
    self._checkpoint = tf.train.Checkpoint(**objects)
    self._latest = tf.train.CheckpointManager(self._checkpoint, self.path(CHECKPOINTS),
                                              max_to_keep=keep)

  def latest_checkpoint(self) -> Optional[str]:
    """The chief's latest checkpoint (every worker resumes from it), or None."""
    return tf.train.latest_checkpoint(os.path.join(self.workdir, CHECKPOINTS))

  def restore(self) -> Optional[str]:
    """Restores the latest checkpoint into the attached objects; returns its path or None.
    Every saved object must find its counterpart (a family's objects must not drift)."""
    latest = self.latest_checkpoint()
    if latest:
      self._checkpoint.restore(latest).assert_existing_objects_matched()
    return latest

  def save(self, step: int) -> str:
    """Saves the checkpoint at `step` unless the latest one is that step's; returns its path."""
    latest = self._latest.latest_checkpoint
    if latest and latest.endswith(f"-{step}"):
      return latest
    return self._latest.save(checkpoint_number=step)

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
    rows = []
    path = os.path.join(self.workdir, METRICS)
    if os.path.isfile(path):
      with open(path) as f:
        for line in f:
          try:
            rows.append(json.loads(line))
          except ValueError:
            continue
    return rows

  def last_step(self) -> int:
    """The largest step in metrics.jsonl (0 when none)."""
    return max([int(r.get("step", 0)) for r in self.metric_rows()], default=0)

  def cleanup(self) -> None:
    """Removes a non-chief worker's temporary directory; the chief's is never touched."""
    if not self.chief:
      shutil.rmtree(self.out, ignore_errors=True)
