"""StyleGAN2's iteration with XLA off and on (jit_compile), on celeba_stylegan2's model and
synthetic 64x64 batches, fit() as a run calls it.

  python benchmarks/stylegan2_xla.py [--iterations=32] [--rounds=3]
      [--out=benchmarks/results/stylegan2_xla_2core_cpu.json]

Each variant first runs --iterations to compile every phase combination the schedule reaches
(the compile times are printed), then rounds alternate; medians and xla / base are printed.
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:0] = [REPO, HERE]


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--iterations", type=int, default=32)
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--out", default=os.path.join(HERE, "results",
                                                    "stylegan2_xla_2core_cpu.json"))
  args = parser.parse_args()
  import tensorflow as tf

  import timing
  from tfgan import build, data
  from tfgan import config as config_lib
  path = os.path.join(REPO, "flags", "celeba_stylegan2.flags")
  x = tf.random.uniform([32, 64, 64, 3], -1.0, 1.0, seed=0)
  dataset = timing.without_autotune(tf.data.Dataset.from_tensors(x).repeat())
  runs, compile_seconds = {}, {}
  for variant, jit in (("base", "false"), ("xla", "true")):
    model = build.build_model(config_lib.from_flagfile(path, jit_compile=jit),
                              data.DataSpec("synthetic", (64, 64, 3), 0))
    t0 = time.perf_counter()
    run = timing.fit_rate(model, dataset, args.iterations)
    run()
    compile_seconds[variant] = round(time.perf_counter() - t0, 1)
    print(f"{variant}: compiled and warmed in {compile_seconds[variant]} s", flush=True)
    runs[variant] = (run, [])
  for _ in range(args.rounds):
    for run, rates in runs.values():
      rates.append(args.iterations * 32 / run())
  medians = {k: round(statistics.median(v[1]), 2) for k, v in runs.items()}
  result = {**timing.provenance(REPO), "images_per_sec": medians,
            "xla_over_base": round(medians["xla"] / medians["base"], 3),
            "rounds": {k: [round(r, 2) for r in v[1]] for k, v in runs.items()},
            "compile_and_warmup_seconds": compile_seconds}
  print(json.dumps(result), flush=True)
  with open(args.out, "w") as f:
    json.dump(result, f, indent=1)


if __name__ == "__main__":
  main()
