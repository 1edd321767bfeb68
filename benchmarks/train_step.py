"""Train-step images/s for each flagfile's model, with XLA off and on, mixed precision, and
1 or 2 replicas (MirroredStrategy).

  python benchmarks/train_step.py [--flagfiles=mnist_dcgan,celeba_dcgan] [--replicas=1,2]
                                  [--out=benchmarks/results/train_step_2core_cpu.json]

Each replica count runs in its own process, because logical devices must be configured before
TensorFlow starts: on a machine without GPUs, R replicas are R logical devices splitting the
same CPU cores (this measures the strategy's overhead, not a speed-up); with GPUs, R replicas
are the first R GPUs. Data is synthetic (uniform noise of the flagfile's image shape, in
memory), so only the train step is timed: the GAN built from the flagfile by
`build.build_model`, driven by fit(). Each variant gets as many steps per round as fill
`--round_seconds`; rounds of all variants of a flagfile are interleaved (the machine is shared
and its load drifts), and the median of `--rounds` rounds is reported. The global batch is the
flagfile's, split over the replicas.

Variants: `base` (float32, XLA off), `xla` (jit_compile=True; not possible with replicas on
logical CPU devices, see build.resolve_jit_compile), `bf16` (mixed_bfloat16) and, on GPUs,
`fp16` (mixed_float16 with loss scaling).
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
DEFAULT_FLAGFILES = ("mnist_gan", "mnist_dcgan", "mnist_cgan", "mnist_wgangp", "celeba_dcgan",
                     "celeba_sngan_hinge")
SHAPES = {"mnist": (28, 28, 1), "fashion_mnist": (28, 28, 1), "cifar10": (32, 32, 3)}


def _child(args):
  import tensorflow as tf
  gpus = tf.config.list_physical_devices("GPU")
  if not gpus and args.replicas > 1:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * args.replicas)
  sys.path.insert(0, REPO)
  import numpy as np

  import timing  # benchmarks/timing.py, beside this script
  from tfgan import build
  from tfgan import config as config_lib
  from tfgan import data
  devices = ([d.name for d in tf.config.list_logical_devices("GPU")][:args.replicas] if gpus
             else [d.name for d in tf.config.list_logical_devices("CPU")][:args.replicas])
  strategy = (tf.distribute.MirroredStrategy(devices) if args.replicas > 1
              else tf.distribute.get_strategy())
  variants = ["base", "xla", "bf16"] + (["fp16"] if gpus else [])
  for name in args.flagfiles.split(","):
    config = config_lib.from_flagfile(os.path.join(REPO, "flags", f"{name}.flags"))
    shape = SHAPES.get(config.data.dataset, (config.data.image_size or 64,) * 2 + (3,))
    classes = 10 if config.gan.conditional else 0
    batch = config.optimization.batch_size * config.gan.d_steps
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (batch,) + shape).astype(np.float32)
    y = rng.integers(0, max(classes, 1), batch).astype(np.int32)
    dataset = timing.without_autotune(tf.data.Dataset.from_tensors((x, y)).repeat())
    models, runs = {}, {}
    for variant in variants:
      precision = {"bf16": "mixed_bfloat16", "fp16": "mixed_float16"}.get(variant, "none")
      jit = "true" if variant == "xla" else "false"
      try:
        variant_config = config.replace(jit_compile=jit, mixed_precision=precision)
        with strategy.scope():
          model = build.build_model(variant_config,
                                    data.DataSpec(config.data.dataset, shape, classes))
        model.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0)  # trace and warm up
        t0 = time.perf_counter()
        model.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0)
        # Steps for a ~round_seconds round, so slow variants do not take minutes per round.
        steps = max(3, int(args.round_seconds / ((time.perf_counter() - t0) / 3)))
        models[variant], runs[variant] = model, (steps, [])
      except Exception as e:  # noqa: BLE001  A variant a device cannot run is a result too.
        runs[variant] = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
    # Interleaved rounds: the shared machine's load changes over minutes, and every variant
    # should see the same load.
    for _ in range(args.rounds):
      for variant, model in models.items():
        steps, times = runs[variant]
        t0 = time.perf_counter()
        model.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
        times.append((time.perf_counter() - t0) / steps)
    for variant in variants:
      row = {"flagfile": name, "variant": variant, "replicas": args.replicas,
             "global_batch": config.optimization.batch_size, "image_shape": list(shape)}
      if isinstance(runs[variant], str):
        row["unsupported"] = runs[variant]
      else:
        steps, times = runs[variant]
        row.update(steps_per_round=steps,
                   images_per_sec=round(batch / statistics.median(times), 1))
      print(json.dumps(row), flush=True)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--flagfiles", default=",".join(DEFAULT_FLAGFILES))
  parser.add_argument("--replicas", default="1,2")
  parser.add_argument("--round_seconds", type=float, default=3.0)
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--out", default="")
  parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
  args, _ = parser.parse_known_args()
  if args.child:
    args.replicas = int(args.replicas)
    return _child(args)
  rows = []
  for replicas in args.replicas.split(","):
    proc = subprocess.run(
        [sys.executable, __file__, "--child", f"--replicas={replicas}",
         f"--flagfiles={args.flagfiles}", f"--round_seconds={args.round_seconds}",
         f"--rounds={args.rounds}"],
        capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    if proc.returncode:
      sys.exit(proc.stderr[-3000:])
    rows += [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
  rate = {(r["flagfile"], r["variant"], r["replicas"]): r.get("images_per_sec") for r in rows}
  print(f"{'flagfile':<20}{'variant':<8}{'replicas':>9}{'img/s':>10}{'vs base':>9}"
        f"{'vs 1 rep':>10}")
  for r in rows:
    ips = r.get("images_per_sec")
    base = rate.get((r["flagfile"], "base", r["replicas"]))
    one = rate.get((r["flagfile"], r["variant"], 1))
    cells = [f"{ips:10.0f}" if ips else f"{'n/a':>10}",
             f"{ips / base:9.2f}" if ips and base else f"{'':>9}",
             f"{ips / one:10.2f}" if ips and one else f"{'':>10}"]
    print(f"{r['flagfile']:<20}{r['variant']:<8}{r['replicas']:>9}{''.join(cells)}")
  if args.out:
    import tensorflow as tf
    result = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                          "cpus": os.cpu_count(),
                          "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
                          "tensorflow": tf.__version__},
              "round_seconds": args.round_seconds, "rounds": args.rounds, "rows": rows}
    with open(args.out, "w") as f:
      json.dump(result, f, indent=1)
      f.write("\n")


if __name__ == "__main__":
  main()
