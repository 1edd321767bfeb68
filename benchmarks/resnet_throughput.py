"""Train-step throughput of --network=resnet against --network=dcgan at comparable parameter
counts, in this one process and interleaved (the median of several rounds).

  python benchmarks/resnet_throughput.py --data_dir=../shared/data/mnist [--resnet_width=0.3125]

Both pairs are built as tfgan.train builds them (GAN.fit(), no callbacks, XLA off, each pair's
default D normalization: batch norm for dcgan, spectral for resnet), on MNIST at 28 px with
the same batch size and loss; dcgan with --kernel_size=3 and --width=1 as flags/mnist_dcgan.flags.
It prints images/s, parameter counts and the ratio resnet/dcgan, and writes JSON with --out.
"""

import argparse
import json
import os
import platform
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan import config as config_lib  # noqa: E402
from tfgan import build, data  # noqa: E402

import timing  # noqa: E402  (benchmarks/timing.py, beside this script)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--data_dir", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                         "shared", "data", "mnist"))
  parser.add_argument("--batch_size", type=int, default=32)
  parser.add_argument("--steps", type=int, default=100, help="train steps per timing")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--dcgan_width", type=float, default=1.0)
  parser.add_argument("--resnet_width", type=float, default=0.3125)
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  if not os.path.isdir(args.data_dir):
    sys.exit(f"--data_dir {args.data_dir!r} is not a folder with the MNIST IDX files.")
  dataset = data.make_dataset("mnist", args.batch_size, data_dir=args.data_dir, seed=0)
  # 50 real batches cached in memory, as benchmarks/throughput.py times its steps.
  step_data = timing.without_autotune(dataset.take(50).cache().repeat())
  spec = data.DataSpec("mnist", (28, 28, 1), 10)
  results = {"host": platform.node(), "cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
             "keras": keras.__version__, "batch_size": args.batch_size, "steps": args.steps,
             "networks": {}}
  timers, times = {}, {}
  for name, width in (("dcgan", args.dcgan_width), ("resnet", args.resnet_width)):
    config = config_lib.make(network=name, width=width, kernel_size=3, loss="hinge",
                             batch_size=args.batch_size, jit_compile="false")
    model = build.build_model(config, spec)
    results["networks"][name] = {
        "width": width, "g_params": model.generator.count_params(),
        "d_params": model.discriminator.count_params(),
        "d_norm": model.discriminator.normalization}
    timers[name] = timing.fit_rate(model, step_data, args.steps, lambda last: [])
    times[name] = []
  for _ in range(args.rounds):  # Interleaved, so drifts in machine load hit both alike.
    for name, run in timers.items():
      times[name].append(run())
  for name, row in results["networks"].items():
    row["seconds_per_round"] = [round(t, 2) for t in times[name]]
    row["images_per_sec"] = round(args.steps * args.batch_size / statistics.median(times[name]),
                                  1)
    print(f"{name:6s} width {row['width']:.4g}  G {row['g_params']:,} + D {row['d_params']:,} "
          f"params  {row['images_per_sec']:.1f} img/s", flush=True)
  nets = results["networks"]
  results["resnet_over_dcgan"] = round(nets["resnet"]["images_per_sec"]
                                       / nets["dcgan"]["images_per_sec"], 3)
  print(f"resnet/dcgan {results['resnet_over_dcgan']:.3f}")
  if args.out:
    with open(args.out, "w") as f:
      json.dump(results, f, indent=2)


if __name__ == "__main__":
  main()
