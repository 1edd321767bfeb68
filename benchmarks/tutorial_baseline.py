"""The TensorFlow DCGAN tutorial's networks and loop, trained for a fixed wall time: the
baseline that flags/mnist_dcgan.flags is compared with in README.

  python benchmarks/tutorial_baseline.py --seconds=300 --out=/tmp/tutorial.png \
      [--lr=2e-4 --beta_1=0.5 --batch_size=64]   # tuned; the tutorial uses 1e-4, 0.9, 256

Networks as in https://www.tensorflow.org/tutorials/generative/dcgan (5x5 kernels, G 7x7x256
-> 128 -> 64 -> 1 with batch norm and LeakyReLU, D 64 -> 128 with dropout 0.3), one step
updating both from the same latents, as the tutorial does. Writes an 8x8 grid from a fixed
latent batch and prints the steps done.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from tfgan import data, images, losses  # noqa: E402


def tutorial_generator(latent_dim=100):
  return keras.Sequential([
      keras.Input((latent_dim,)),
      layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
      layers.Reshape((7, 7, 256)),
      layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
      layers.BatchNormalization(), layers.LeakyReLU(),
      layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
      layers.BatchNormalization(), layers.LeakyReLU(),
      layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False,
                             activation="tanh"),
  ])


def tutorial_discriminator():
  return keras.Sequential([
      keras.Input((28, 28, 1)),
      layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
      layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(0.3),
      layers.Flatten(), layers.Dense(1),
  ])


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--data_dir", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                         "shared", "data", "mnist"))
  parser.add_argument("--seconds", type=float, default=300)
  parser.add_argument("--lr", type=float, default=2e-4)
  parser.add_argument("--beta_1", type=float, default=0.5)
  parser.add_argument("--batch_size", type=int, default=64)
  parser.add_argument("--out", required=True)
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args()
  if os.path.exists(args.out):
    sys.exit(f"{args.out} exists; choose another --out.")
  keras.utils.set_random_seed(args.seed)
  g, d = tutorial_generator(), tutorial_discriminator()
  g_opt, d_opt = (keras.optimizers.Adam(args.lr, beta_1=args.beta_1) for _ in range(2))
  pair = losses.LOSSES["non_saturating"]

  @tf.function
  def step(real):
    z = tf.random.normal([tf.shape(real)[0], 100])
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
      fake = g(z, training=True)
      real_logits, fake_logits = d(real, training=True), d(fake, training=True)
      g_loss = tf.reduce_mean(pair.generator(fake_logits))
      d_loss = tf.reduce_mean(pair.discriminator(real_logits, fake_logits))
    g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g.trainable_variables),
                              g.trainable_variables))
    d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d.trainable_variables),
                              d.trainable_variables))
    return g_loss, d_loss

  dataset = data.make_dataset("mnist", args.batch_size, data_dir=args.data_dir, seed=args.seed)
  steps, t0 = 0, time.perf_counter()
  for real, _ in dataset:
    step(real)
    steps += 1
    if steps % 50 == 0 and time.perf_counter() - t0 >= args.seconds:
      break
  elapsed = time.perf_counter() - t0
  z = np.random.default_rng(args.seed).standard_normal((64, 100)).astype(np.float32)
  images.save_png(args.out, images.make_grid(np.asarray(g(z, training=False))))
  print(f"tutorial nets: {steps} steps of batch {args.batch_size} in {elapsed:.0f} s "
        f"({steps * args.batch_size / elapsed:.0f} img/s); wrote {args.out}")


if __name__ == "__main__":
  main()
