"""Does ADA leak? The toy of tests/ada_test.py (an asymmetric "F", shifted by up to a pixel)
learned by an MLP GAN whose D sees everything through ADA's 'bgc' pipeline at a fixed p, and
the share of its 512 samples drawn upright (the test asserts >= 97% at p 0.6).

  python benchmarks/ada_leak.py [--ps=0.5,0.6,0.8,0.9] [--steps=300]
      [--out=benchmarks/results/ada_leak_2core_cpu.jsonl]

Each p is one run; 'leak' is the control broken on purpose (reals augmented, fakes not), what
an augmentation that is not applied to every image D sees does. Prints one row per run and
appends it, with the commit, to --out.
"""

import argparse
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [REPO, os.path.join(REPO, "tests")]


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--ps", default="0.5,0.6,0.8,0.9")
  parser.add_argument("--steps", type=int, default=300)
  parser.add_argument("--out", default=os.path.join(REPO, "benchmarks", "results",
                                                    "ada_leak_2core_cpu.jsonl"))
  args = parser.parse_args()
  import numpy as np

  from ada_test import classify, train_toy  # tests/ada_test.py: the test's own toy
  commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
  runs = [(float(p), False) for p in args.ps.split(",")] + [(0.6, True)]
  for p, leak in runs:
    start = time.time()
    orientation, correlation = classify(train_toy(p, args.steps, leak=leak))
    row = {"p": p, "control": "reals only" if leak else "", "steps": args.steps,
           "upright": round(float((orientation == 0).mean()), 3),
           "orientations": np.bincount(orientation, minlength=8).tolist(),
           "median_correlation": round(float(np.median(correlation)), 3),
           "seconds": round(time.time() - start, 1), "commit": commit,
           "date": time.strftime("%Y-%m-%d %H:%M")}
    print(json.dumps(row), flush=True)
    with open(args.out, "a") as f:
      f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
  main()
