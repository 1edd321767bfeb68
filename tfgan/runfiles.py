"""The names of a run directory's files, and the readers that need no TensorFlow.

tfgan.rundir (which imports TensorFlow for checkpoints) re-exports the names; the demo's page
process, which never imports TensorFlow, reads a finished run's config, metrics and summary
through these.
"""

import json
import os
from typing import List

CONFIG = "config.json"
CLASSES = "classes.json"
METRICS = "metrics.jsonl"
BEST = "best.json"
CHECKPOINTS = "checkpoints"
BEST_CHECKPOINT = "best_checkpoint"
SAMPLES = "samples"
SUMMARY = "summary.png"
TENSORBOARD = "tensorboard"
DATA_CACHE = "data_cache"
SAVED_MODEL = "saved_model"


def metric_rows(workdir: str) -> List[dict]:
  """The rows of WORKDIR/metrics.jsonl, skipping unreadable lines (a crash mid-append); []
  when the file is missing."""
  rows = []
  path = os.path.join(workdir, METRICS)
  if os.path.isfile(path):
    with open(path) as f:
      for line in f:
        try:
          rows.append(json.loads(line))
        except ValueError:
          continue
  return rows
