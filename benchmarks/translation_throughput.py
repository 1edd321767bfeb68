"""pix2pix, CycleGAN, ESRGAN and inpainting train-step throughput of tfgan against a minimal hand-written
GradientTape loop.

  python benchmarks/translation_throughput.py --data_dir=../shared/data/celeba_89x109
      [--flagfile=flags/celeba_edges2face_pix2pix.flags] [--out=benchmarks/results/...json]
  python benchmarks/translation_throughput.py --flagfile=flags/celeba_cyclegan.flags --no_xla
  python benchmarks/translation_throughput.py --flagfile=flags/celeba_sr4x_gan.flags --no_xla
  python benchmarks/translation_throughput.py --flagfile=flags/celeba_inpaint.flags --no_xla

Builds the flagfile's networks twice (identical weights) and times, in this one process and
interleaved (median of --rounds rounds):
  * hand:   a tf.function of the same updates with Adam on the same networks and losses, the
            least code that trains (pix2pix: 0.5 * BCE for D, BCE + lambda_L1 * L1 for G;
            CycleGAN: LSGAN, cycle and identity L1, both Ds on this step's fakes: no image
            pool, so fit() pays for its pools against a loop that has none; ESRGAN: L1 and,
            in the GAN stage, D feature matching and the relativistic losses, no EMA;
            inpainting: hole and known-pixel L1 per stage, hinge D on the composited image);
  * fit:    tfgan's Pix2Pix / CycleGAN / ESRGAN / Inpainter .fit() with no callbacks;
  * fit_xla: .fit() with jit_compile=True (--no_xla skips it: CycleGAN compiles for minutes
            on a CPU);
  * input:  the flagfile's pipeline alone (derived pairs or domains, jitter).
Prints images/s and the ratios fit/hand (target >= 0.95) and input/fit.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan import build  # noqa: E402
from tfgan import config as config_lib  # noqa: E402
from tfgan import models  # noqa: E402

import timing  # noqa: E402  (benchmarks/timing.py, beside this script)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _loop_timer(step, dataset, steps):
  """A timer of `steps` calls of the tf.function `step(*batch)` (traced once first)."""
  it = iter(dataset)
  step(*next(it))

  def run():
    t0 = time.perf_counter()
    for _ in range(steps):
      out = step(*next(it))
    float(out[0])
    return time.perf_counter() - t0
  return run


def hand_written_rate(g, d, dataset, steps, lambda_l1):
  g_opt, d_opt = keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(2e-4, 0.5)

  @tf.function
  def step(x, y):
    fake = g(x, training=True)
    with tf.GradientTape() as tape:
      real_logits = d(tf.concat([x, y], -1), training=True)
      fake_logits = d(tf.concat([x, tf.stop_gradient(fake)], -1), training=True)
      d_loss = 0.5 * tf.reduce_mean(tf.math.softplus(-real_logits) +
                                    tf.math.softplus(fake_logits))
    d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables),
                              d.trainable_variables))
    with tf.GradientTape() as tape:
      fake = g(x, training=True)
      g_loss = (tf.reduce_mean(tf.math.softplus(-d(tf.concat([x, fake], -1), training=True)))
                + lambda_l1 * tf.reduce_mean(tf.abs(y - fake)))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables),
                              g.trainable_variables))
    return d_loss, g_loss

  return _loop_timer(step, dataset, steps)


def cyclegan_hand_rate(model, dataset, steps):
  """The hand-written CycleGAN step on `model`'s four networks (see the module docstring)."""
  g_ab, g_ba, d_a, d_b = model.g_ab, model.g_ba, model.d_a, model.d_b
  lc, li = model.lambda_cycle, model.lambda_identity
  g_opt, d_opt = keras.optimizers.Adam(2e-4, 0.5), keras.optimizers.Adam(2e-4, 0.5)
  g_vars = g_ab.trainable_variables + g_ba.trainable_variables
  d_vars = d_a.trainable_variables + d_b.trainable_variables
  mse = lambda x, t: tf.reduce_mean(tf.square(x - t))  # noqa: E731
  l1 = lambda x, y: tf.reduce_mean(tf.abs(x - y))  # noqa: E731

  @tf.function
  def step(a, b):
    with tf.GradientTape() as tape:
      fake_b, fake_a = g_ab(a, training=True), g_ba(b, training=True)
      g_loss = (mse(d_b(fake_b, training=True), 1.0) + mse(d_a(fake_a, training=True), 1.0)
                + lc * (l1(g_ba(fake_b, training=True), a) + l1(g_ab(fake_a, training=True), b))
                + lc * li * (l1(g_ab(b, training=True), b) + l1(g_ba(a, training=True), a)))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))
    with tf.GradientTape() as tape:
      d_loss = 0.5 * (mse(d_a(a, training=True), 1.0) + mse(d_a(fake_a, training=True), 0.0)
                      + mse(d_b(b, training=True), 1.0) + mse(d_b(fake_b, training=True), 0.0))
    d_opt.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))
    return d_loss, g_loss

  return _loop_timer(step, dataset, steps)


def esrgan_hand_rate(model, dataset, steps):
  """The hand-written ESRGAN step on `model`'s G and D (see the module docstring)."""
  g, d = model.generator, model.discriminator
  pw, fw, aw = model.pixel_weight, model.perceptual_weight, model.adversarial_weight
  g_opt, d_opt = keras.optimizers.Adam(1e-4, 0.9), keras.optimizers.Adam(1e-4, 0.9)
  sp = tf.math.softplus

  @tf.function
  def step(x, y):
    with tf.GradientTape() as tape:
      fake = g(x, training=True)
      g_loss = pw * tf.reduce_mean(tf.abs(fake - y))
      if aw:
        real_f, fake_f = d.features(y, training=True), d.features(fake, training=True)
        r, f = tf.stop_gradient(real_f[-1]), fake_f[-1]
        g_loss += aw * tf.reduce_mean(0.5 * (sp(r - tf.reduce_mean(f)) +
                                             sp(tf.reduce_mean(r) - f)))
        g_loss += fw * tf.add_n([tf.reduce_mean(tf.abs(a - tf.stop_gradient(b)))
                                 for a, b in zip(fake_f[:-1], real_f[:-1])]) / (len(real_f) - 1)
    g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables),
                              g.trainable_variables))
    d_loss = g_loss
    if aw:
      with tf.GradientTape() as tape:
        r, f = d(y, training=True), d(tf.stop_gradient(fake), training=True)
        d_loss = tf.reduce_mean(0.5 * (sp(tf.reduce_mean(f) - r) + sp(f - tf.reduce_mean(r))))
      d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables),
                                d.trainable_variables))
    return d_loss, g_loss

  return _loop_timer(step, dataset, steps)


def inpaint_hand_rate(model, dataset, steps):
  """The hand-written inpainting step on `model`'s G and D (see the module docstring)."""
  g, d = model.generator, model.discriminator
  hw, vw, aw = model.hole_weight, model.valid_weight, model.adversarial_weight
  g_opt, d_opt = keras.optimizers.Adam(1e-4, 0.5), keras.optimizers.Adam(1e-4, 0.5)

  def l1(o, y, w):
    return tf.reduce_sum(tf.abs(o - y) * w, [1, 2, 3]) / (3.0 * tf.reduce_sum(w, [1, 2, 3]))

  @tf.function
  def step(x, y):
    m = tf.cast(x[..., -1:] > 0, tf.float32)
    d_loss = 0.0
    if aw:
      outs, _ = g.stages(x, training=True)
      fake = tf.stop_gradient(outs[-1] * m + y * (1 - m))
      with tf.GradientTape() as tape:
        r = d(tf.concat([y, m], -1), training=True)
        f = d(tf.concat([fake, m], -1), training=True)
        d_loss = tf.reduce_mean(tf.nn.relu(1 - r)) + tf.reduce_mean(tf.nn.relu(1 + f))
      d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables),
                                d.trainable_variables))
    with tf.GradientTape() as tape:
      outs, _ = g.stages(x, training=True)
      g_loss = tf.reduce_mean(tf.add_n([hw * l1(o, y, m) + vw * l1(o, y, 1 - m) for o in outs]))
      if aw:
        g_loss -= aw * tf.reduce_mean(d(tf.concat([outs[-1] * m + y * (1 - m), m], -1),
                                        training=True))
    g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables),
                              g.trainable_variables))
    return g_loss, d_loss

  return _loop_timer(step, dataset, steps)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--data_dir", default=os.path.join(REPO, "..", "shared", "data",
                                                         "celeba_89x109"))
  parser.add_argument("--flagfile", default=os.path.join(REPO, "flags",
                                                         "celeba_edges2face_pix2pix.flags"))
  parser.add_argument("--steps", type=int, default=30, help="train steps per timing")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--out", default="")
  parser.add_argument("--no_xla", action="store_true", help="skip the XLA timing")
  args = parser.parse_args()
  config = config_lib.from_flagfile(args.flagfile, data_dir=args.data_dir, jit_compile="false")
  family = models.FAMILIES[config.model.family]
  source = family.open_data(config, log=lambda line: None)
  batch = config.optimization.batch_size
  pipeline = family.train_dataset(config, source, 0, "")
  step_data = timing.without_autotune(pipeline.take(20).cache().repeat())
  model = build.build_model(config, source.spec)
  hand = build.build_model(config, source.spec)
  if config.model.family == "cyclegan":
    hand_timer = cyclegan_hand_rate(hand, step_data, args.steps)
  elif config.model.family == "esrgan":
    hand_timer = esrgan_hand_rate(hand, step_data, args.steps)
  elif config.model.family == "inpaint":
    hand_timer = inpaint_hand_rate(hand, step_data, args.steps)
  else:
    hand_timer = hand_written_rate(hand.generator, hand.discriminator, step_data, args.steps,
                                   config.translation.lambda_l1)
  timers = {"hand": hand_timer, "fit": timing.fit_rate(model, step_data, args.steps)}
  if not args.no_xla:
    xla = build.build_model(config.replace(jit_compile="true"), source.spec)
    timers["fit_xla"] = timing.fit_rate(xla, step_data, args.steps)
  timers["input"] = timing.input_rate(pipeline, args.steps * 5)
  times = {k: [] for k in timers}
  for _ in range(args.rounds):  # Interleaved, so drifts in machine load hit all alike.
    for k, run in timers.items():
      times[k].append(run())
  rate = {k: args.steps * (5 if k == "input" else 1) * batch / statistics.median(v)
          for k, v in times.items()}
  results = {"host": platform.node(), "cpu_count": os.cpu_count(),
             "tensorflow": tf.__version__, "flagfile": os.path.basename(args.flagfile),
             "batch_size": batch, "image_shape": list(source.spec.target_shape),
             "seconds_per_round": {k: [round(t, 2) for t in v] for k, v in times.items()},
             **{f"{k}_images_per_sec": round(v, 1) for k, v in rate.items()},
             "fit_over_hand": round(rate["fit"] / rate["hand"], 3),
             "xla_over_fit": round(rate["fit_xla"] / rate["fit"], 3) if "fit_xla" in rate
             else None,
             "input_over_fit": round(rate["input"] / rate["fit"], 1)}
  print("  ".join(f"{k} {v:7.1f} img/s" for k, v in rate.items()))
  print(f"fit/hand {results['fit_over_hand']:.3f} (target >= 0.95)  xla/fit "
        f"{results['xla_over_fit']}  input/fit {results['input_over_fit']:.1f}", flush=True)
  if args.out:
    with open(args.out, "w") as f:
      json.dump(results, f, indent=2)


if __name__ == "__main__":
  main()
