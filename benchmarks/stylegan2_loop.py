"""StyleGAN2's fit() against a hand-written loop over the same model, in one process.

  python benchmarks/stylegan2_loop.py [--flagfile=celeba_stylegan2] [--iterations=32]
      [--rounds=3] [--out=benchmarks/results/stylegan2_loop_2core_cpu.json]

Both sides run the flagfile's model on synthetic 64x64 batches: `fit` is what a run calls
(keras.Model.fit, the host picking one compiled phase combination per iteration: G main, path
length every 4, D main, R1 every 16); `loop` calls the same phase functions directly, each
wrapped once in tf.function, choosing the phases with the same schedule in Python (no Keras
callbacks, no data adapter). --iterations (a multiple of 16) counts the lazy steps in their
true proportion. Rounds alternate; the medians and fit / loop (goal >= 0.95) are printed.
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
  parser.add_argument("--flagfile", default="celeba_stylegan2")
  parser.add_argument("--iterations", type=int, default=32)
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--out", default=os.path.join(HERE, "results",
                                                    "stylegan2_loop_2core_cpu.json"))
  args = parser.parse_args()
  import tensorflow as tf

  import timing
  from tfgan import build, data
  from tfgan import config as config_lib
  config = config_lib.from_flagfile(os.path.join(REPO, "flags", f"{args.flagfile}.flags"),
                                    jit_compile="false")
  spec = data.DataSpec("synthetic", (64, 64, 3), 0)
  batch = config.optimization.batch_size
  x = tf.random.uniform([batch, 64, 64, 3], -1.0, 1.0, seed=0)
  dataset = timing.without_autotune(tf.data.Dataset.from_tensors(x).repeat())
  fit_model = build.build_model(config, spec)
  loop_model = build.build_model(config, spec)
  t0 = time.perf_counter()
  fit_run = timing.fit_rate(fit_model, dataset, args.iterations)
  fit_run()  # traces every phase combination the schedule reaches
  print(f"fit traced in {time.perf_counter() - t0:.0f} s", flush=True)
  functions = {}

  def loop_run():
    start = time.perf_counter()
    first = loop_model.step_count()  # read once, counted on the host (as fit() does)
    for i in range(first, first + args.iterations):
      key = loop_model.phases(i)
      if key not in functions:
        functions[key] = tf.function(lambda data, key=key: loop_model._train_step(*key, data))
      functions[key](x)
    return time.perf_counter() - start

  t0 = time.perf_counter()
  loop_run()
  loop_run()
  print(f"loop traced in {time.perf_counter() - t0:.0f} s", flush=True)
  rates = {"fit": [], "loop": []}
  for _ in range(args.rounds):
    rates["fit"].append(args.iterations * batch / fit_run())
    rates["loop"].append(args.iterations * batch / loop_run())
  medians = {k: round(statistics.median(v), 2) for k, v in rates.items()}
  result = {**timing.provenance(REPO), "flagfile": args.flagfile,
            "iterations_per_round": args.iterations, "images_per_sec": medians,
            "rounds": {k: [round(r, 2) for r in v] for k, v in rates.items()},
            "fit_over_loop": round(medians["fit"] / medians["loop"], 3)}
  print(json.dumps(result), flush=True)
  with open(args.out, "w") as f:
    json.dump(result, f, indent=1)


if __name__ == "__main__":
  main()
