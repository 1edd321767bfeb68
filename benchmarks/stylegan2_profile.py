"""Where celeba_stylegan2's iteration spends its time: TensorFlow's profiler over fit()
iterations on synthetic 64x64 batches (this machine's CPU), op time summed by op type.

  python benchmarks/stylegan2_profile.py [--iterations=16] [--top=25]

Prints images/s of an unprofiled and the profiled round, then the op types with their
seconds and share of the summed op time (the executor's own spans left out). Used to find
lrelu's backward pass at 15% of the op time (2026-12-07); nothing is written.
"""

import argparse
import collections
import glob
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path[:0] = [REPO, HERE]

# Spans that contain ops rather than being ops: the executor, the function call, the step.
CONTAINERS = ("Process", "Run", "EagerLocalExecute", "KernelAndDeviceFunc", "ExecutorState")


def op_seconds(logdir):
  """{op type: seconds} summed over every event named 'name:type' in the profile's XSpace."""
  from tensorflow.tsl.profiler.protobuf import xplane_pb2
  space = xplane_pb2.XSpace()
  with open(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0], "rb") as f:
    space.ParseFromString(f.read())
  seconds = collections.Counter()
  for plane in space.planes:
    for line in plane.lines:
      for event in line.events:
        name = plane.event_metadata[event.metadata_id].name
        if ":" in name:
          op_type = name.rsplit(":", 1)[1].strip()
          if op_type not in CONTAINERS and not op_type.startswith("__inference"):
            seconds[op_type] += event.duration_ps / 1e12
  return seconds


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--iterations", type=int, default=16)
  parser.add_argument("--top", type=int, default=25)
  args = parser.parse_args()
  import tensorflow as tf

  import timing
  from tfgan import build, data
  from tfgan import config as config_lib
  config = config_lib.from_flagfile(os.path.join(REPO, "flags", "celeba_stylegan2.flags"),
                                    jit_compile="false")
  model = build.build_model(config, data.DataSpec("synthetic", (64, 64, 3), 0))
  x = tf.random.uniform([32, 64, 64, 3], -1.0, 1.0, seed=0)
  run = timing.fit_rate(model, timing.without_autotune(tf.data.Dataset.from_tensors(x).repeat()),
                        args.iterations)
  run()  # every phase combination traced
  print(f"unprofiled: {args.iterations * 32 / run():.1f} img/s", flush=True)
  with tempfile.TemporaryDirectory() as logdir:
    tf.profiler.experimental.start(logdir)
    seconds = run()
    tf.profiler.experimental.stop()
    by_type = op_seconds(logdir)
  total = sum(by_type.values())
  print(f"profiled: {args.iterations * 32 / seconds:.1f} img/s; op time {total:.1f} s in "
        f"{seconds:.1f} s of wall time")
  for op_type, s in by_type.most_common(args.top):
    print(f"{s:8.2f} s {100 * s / total:5.1f}%  {op_type}")


if __name__ == "__main__":
  main()
