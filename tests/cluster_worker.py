"""Run by distribute_test.py as one of two worker processes of a MultiWorkerMirroredStrategy
cluster on 127.0.0.1 (TF_CONFIG comes from the environment).

Usage: python tests/cluster_worker.py WORKDIR IDX_DIR
Trains flags/smoke.flags with synchronized batch norm (so that the moving statistics, too, are
equal on every worker) and prints one JSON line: the step, the result's paths and a digest of
the trained weights, so the test can compare workers.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from tfgan import config as config_lib  # noqa: E402
from tfgan import trainer  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(workdir, idx_dir):
  config = config_lib.from_flagfile(os.path.join(REPO, "flags", "smoke.flags"),
                                    data_dir=idx_dir, strategy="multi_worker",
                                    sync_batch_norm=True)
  result = trainer.train_and_evaluate(config, workdir, verbose=False)
  model = result.pop("model")
  weights = [v.numpy() for v in model.generator.weights + model.discriminator.weights]
  print(json.dumps({**result, "replicas": model.distribute_strategy.num_replicas_in_sync,
                    "digest": [float(np.sum(w, dtype=np.float64)) for w in weights]}),
        flush=True)


if __name__ == "__main__":
  main(*sys.argv[1:])
