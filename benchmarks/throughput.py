"""Train-step throughput of tfgan against a minimal hand-written GradientTape loop.

  python benchmarks/throughput.py --data_dir=../shared/data/mnist [--batch_size=64]

For each network (mlp, dcgan) it builds identical G/D pairs and times, in this one process and
interleaved (the machine is shared and noisy; the median of several rounds is reported):
  * hand:    a tf.function of one D step and one G step with Adam, the least code that trains;
  * fit:     tfgan's GAN.fit() with no callbacks;
  * fit+cb:  GAN.fit() with the per-step callbacks a real run uses (progress, stop);
  * fit_xla: GAN.fit() compiled with jit_compile=True (the evidence behind --jit_compile=auto);
  * input:   the tf.data pipeline alone.
It prints images/s and the ratios fit/hand (target >= 0.95), input/fit (target >= 10) and
xla/fit, and writes them as JSON with --out.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan import callbacks as cb  # noqa: E402
from tfgan import config as config_lib  # noqa: E402
from tfgan import build, data, losses, rundir  # noqa: E402

import timing  # noqa: E402  (benchmarks/timing.py, beside this script)


def hand_written_rate(g, d, dataset, steps, latent_dim):
  g_opt, d_opt = keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(2e-4, 0.5)
  pair = losses.LOSSES["non_saturating"]

  @tf.function
  def step(real):
    n = tf.shape(real)[0]
    fake = g(tf.random.normal([n, latent_dim]), training=True)
    with tf.GradientTape() as tape:
      d_loss = tf.reduce_mean(pair.discriminator(d(real, training=True), d(fake, training=True)))
    d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables),
                              d.trainable_variables))
    with tf.GradientTape() as tape:
      fake = g(tf.random.normal([n, latent_dim]), training=True)
      g_loss = tf.reduce_mean(pair.generator(d(fake, training=True)))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables),
                              g.trainable_variables))
    return d_loss, g_loss

  it = iter(dataset)
  step(next(it)[0])
  def run():
    t0 = time.perf_counter()
    for _ in range(steps):
      out = step(next(it)[0])
    float(out[0])
    return time.perf_counter() - t0
  return run


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--data_dir", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                         "shared", "data", "mnist"))
  parser.add_argument("--batch_size", type=int, default=64)
  parser.add_argument("--steps", type=int, default=300, help="train steps per timing")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--networks", default="mlp,dcgan")
  parser.add_argument("--steps_per_execution", type=int, default=1)
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  if not os.path.isdir(args.data_dir):
    sys.exit(f"--data_dir {args.data_dir!r} is not a folder with the MNIST IDX files.")

  results = {"host": platform.node(), "cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
             "keras": keras.__version__, "batch_size": args.batch_size,
             "steps_per_execution": args.steps_per_execution, "networks": {}}
  dataset = data.make_dataset("mnist", args.batch_size, data_dir=args.data_dir, seed=0)
  # The train-step timers read 50 real batches cached in memory: every fit() call makes a new
  # iterator, and on the full pipeline each one first refills the 60,000-example shuffle
  # buffer, a start-up cost a real run pays once but this benchmark would pay every round.
  step_data = timing.without_autotune(dataset.take(50).cache().repeat())
  for name in args.networks.split(","):
    config = config_lib.make(network=name, kernel_size=3, batch_size=args.batch_size,
                             jit_compile="false", steps_per_execution=args.steps_per_execution)
    spec = data.DataSpec("mnist", (28, 28, 1), 10)
    model = build.build_model(config, spec)
    hand_model = build.build_model(config, spec)
    xla_model = build.build_model(config.replace(jit_compile="true"), spec)
    hand_g, hand_d = hand_model.generator, hand_model.discriminator
    run_dir = rundir.RunDir(tempfile.mkdtemp())
    writer = tf.summary.create_file_writer(run_dir.path(rundir.TENSORBOARD))

    def with_callbacks(last_step):
      return [cb.ProgressLogger(run_dir, writer, 100, args.batch_size, last_step or 10**9,
                                verbose=False), cb.StopAt(last_step or 10**9)]

    timers = {
        "hand": hand_written_rate(hand_g, hand_d, step_data, args.steps, config.gan.latent_dim),
        "fit": timing.fit_rate(model, step_data, args.steps, lambda last: []),
        "fit+cb": timing.fit_rate(model, step_data, args.steps, with_callbacks),
        "fit_xla": timing.fit_rate(xla_model, step_data, args.steps, lambda last: []),
        "input": timing.input_rate(dataset, args.steps * 10),
    }
    times = {k: [] for k in timers}
    for _ in range(args.rounds):  # Interleaved, so drifts in machine load hit all alike.
      for k, run in timers.items():
        times[k].append(run())
    results.setdefault("seconds_per_round", {})[name] = {
        k: [round(t, 2) for t in v] for k, v in times.items()}
    rate = {k: (args.steps * (10 if k == "input" else 1) * args.batch_size
                / statistics.median(v)) for k, v in times.items()}
    row = {f"{k}_images_per_sec": round(v, 1) for k, v in rate.items()}
    row.update(fit_over_hand=round(rate["fit"] / rate["hand"], 3),
               fit_cb_over_hand=round(rate["fit+cb"] / rate["hand"], 3),
               input_over_fit=round(rate["input"] / rate["fit"], 1),
               xla_over_fit=round(rate["fit_xla"] / rate["fit"], 3))
    results["networks"][name] = row
    print(f"{name:6s} " + "  ".join(f"{k} {v:8.0f} img/s" for k, v in rate.items()))
    print(f"{name:6s} fit/hand {row['fit_over_hand']:.3f} (target >= 0.95)  fit+cb/hand "
          f"{row['fit_cb_over_hand']:.3f}  input/fit {row['input_over_fit']:.1f} (target >= 10)  "
          f"xla/fit {row['xla_over_fit']:.3f}",
          flush=True)
  if args.out:
    with open(args.out, "w") as f:
      json.dump(results, f, indent=2)


if __name__ == "__main__":
  main()
