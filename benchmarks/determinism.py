"""What --deterministic costs: the train step with and without TensorFlow op determinism.

  python benchmarks/determinism.py [--flagfiles=mnist_dcgan,mnist_gan] [--rounds=3]
      [--out=benchmarks/results/determinism_2core_cpu.json]

Op determinism is process-wide and one-way, so each measurement runs in a child process
(alternating on/off, `--rounds` times, so drifts in the shared machine's load hit both alike);
each child builds the flagfile's GAN with `build.build_model`, feeds synthetic in-memory
batches of its shape, warms up, then times `--steps` steps of fit(). Prints the median images/s
of each side and their ratio.
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


def child(flagfile, deterministic, steps):
  import numpy as np
  import tensorflow as tf

  import timing  # benchmarks/timing.py, beside this script
  from tfgan import build, data
  from tfgan import config as config_lib
  if deterministic:
    tf.config.experimental.enable_op_determinism()
  config = config_lib.from_flagfile(os.path.join(REPO, "flags", f"{flagfile}.flags"),
                                    jit_compile="false")
  shape = (28, 28, 1)
  batch = config.optimization.batch_size * config.gan.d_steps
  x = np.random.default_rng(0).uniform(-1, 1, (batch,) + shape).astype(np.float32)
  dataset = timing.without_autotune(
      tf.data.Dataset.from_tensors((x, np.zeros(batch, np.int32))).repeat())
  model = build.build_model(config, data.DataSpec(config.data.dataset, shape, 10))
  model.fit(dataset, epochs=1, steps_per_epoch=5, verbose=0)  # trace and warm up
  t0 = time.perf_counter()
  model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
  return steps * config.optimization.batch_size / (time.perf_counter() - t0)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--flagfiles", default="mnist_dcgan,mnist_gan")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--steps", type=int, default=150)
  parser.add_argument("--out", default="")
  parser.add_argument("--child", default="", help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.child:
    flagfile, mode = args.child.split(":")
    print(json.dumps({"rate": child(flagfile, mode == "on", args.steps)}))
    return
  results = {"host": platform.node(), "cpu_count": os.cpu_count(), "steps": args.steps,
             "rounds": args.rounds, "flagfiles": {}}
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  for flagfile in args.flagfiles.split(","):
    rates = {"off": [], "on": []}
    for _ in range(args.rounds):
      for mode in ("off", "on"):
        out = subprocess.run([sys.executable, __file__, f"--child={flagfile}:{mode}",
                              f"--steps={args.steps}"], capture_output=True, text=True,
                             env=env, check=True).stdout
        rates[mode].append(json.loads(out.strip().splitlines()[-1])["rate"])
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    results["flagfiles"][flagfile] = {"img_per_sec": rates, "median_off": round(off, 1),
                                      "median_on": round(on, 1), "on_over_off": round(on / off, 3)}
    print(f"{flagfile}: {off:.0f} img/s without, {on:.0f} with op determinism "
          f"(on/off {on / off:.2f})", flush=True)
  if args.out:
    with open(args.out, "w") as f:
      json.dump(results, f, indent=2)


if __name__ == "__main__":
  main()
