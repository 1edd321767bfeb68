import json
import os
import subprocess
import sys

from gan_test import COMBOS

HERE = os.path.dirname(os.path.abspath(__file__))


def test_every_option_combination_trains_under_mirrored_strategy():
  result = subprocess.run([sys.executable, os.path.join(HERE, "mirrored_worker.py"),
                           *sorted(COMBOS)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  assert result.returncode == 0, result.stderr[-4000:]
  rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
  assert [r["combo"] for r in rows] == sorted(COMBOS)
  for row in rows:
    assert row["replicas"] == 2 and row["changed"] and row["finite"], row
