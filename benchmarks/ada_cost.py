"""What ADA costs per train step: img/s of a flagfile's model with and without --ada (p held
at 0.5, so every op runs on about half the examples; the pipeline's work does not depend on
p), on synthetic 64x64 batches, fit() as the trainer drives it.

  python benchmarks/ada_cost.py [--flagfiles=celeba,celeba_stylegan2] [--rounds=3]
      [--round_seconds=20] [--out=benchmarks/results/ada_cost_2core_cpu.json]

Rounds of the two variants alternate (the shared machine's load drifts); the median of the
rounds is reported with the ratio ada / base.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--flagfiles", default="celeba,celeba_stylegan2")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--round_seconds", type=float, default=20.0)
  parser.add_argument("--out", default=os.path.join(REPO, "benchmarks", "results",
                                                    "ada_cost_2core_cpu.json"))
  args = parser.parse_args()
  import numpy as np
  import tensorflow as tf

  import timing  # benchmarks/timing.py, beside this script
  from tfgan import build, data
  from tfgan import config as config_lib
  results = {"machine": f"{platform.machine()} {os.cpu_count()} cores",
             "date": time.strftime("%Y-%m-%d %H:%M"),
             "commit": subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                      capture_output=True, text=True).stdout.strip(),
             "flagfiles": {}}
  for name in args.flagfiles.split(","):
    runs = {}
    for variant, overrides in (("base", {}), ("ada", dict(ada_p=0.5))):
      config = config_lib.from_flagfile(os.path.join(REPO, "flags", f"{name}.flags"),
                                        jit_compile="false", **overrides)
      spec = data.DataSpec("synthetic", (64, 64, 3), 0)
      batch = config.optimization.batch_size * config.gan.d_steps
      x = np.random.default_rng(0).uniform(-1, 1, (batch, 64, 64, 3)).astype(np.float32)
      dataset = timing.without_autotune(tf.data.Dataset.from_tensors(x).repeat())
      model = build.build_model(config, spec)
      t0 = time.perf_counter()
      timer = timing.fit_rate(model, dataset, 3)
      print(f"{name} {variant}: traced in {time.perf_counter() - t0:.0f} s", flush=True)
      seconds = timer()
      steps = max(3, int(args.round_seconds / (seconds / 3)))
      runs[variant] = (timing.fit_rate(model, dataset, steps), steps, batch, [])
    for _ in range(args.rounds):
      for variant, (timer, steps, batch, rates) in runs.items():
        rates.append(steps * batch / timer())
    row = {v: round(statistics.median(r[3]), 1) for v, r in runs.items()}
    row["ratio"] = round(row["ada"] / row["base"], 3)
    row["rounds"] = {v: [round(x, 1) for x in r[3]] for v, r in runs.items()}
    results["flagfiles"][name] = row
    print(name, json.dumps(row), flush=True)
  with open(args.out, "w") as f:
    json.dump(results, f, indent=1)


if __name__ == "__main__":
  main()
