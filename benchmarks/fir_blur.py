"""StyleGAN2's FIR blur ([1, 3, 3, 1] outer product) three ways, first and second order
(R1 and the path length differentiate it twice), on this machine's CPU: one 4x4 depthwise
convolution (tfgan.networks.stylegan2_layers.blur), two 1-D depthwise convolutions, and sums
of shifted slices.

  python benchmarks/fir_blur.py [--repeats=20]

Prints milliseconds per call of each way for the shapes the 64x64 networks blur, and each
way's largest difference from the 4x4 convolution (the same input). Nothing is written.
"""

import argparse
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

TAPS = np.array([1.0, 3.0, 3.0, 1.0], np.float32) / 8.0
# (input [B, H, W, C], pad, stride): D's 3x3-down blur and 1x1-skip blur at 64 and 32 px, and
# G's blur after its transposed convolution at 64 px.
CASES = (((32, 64, 64, 32), (2, 2), 1), ((32, 64, 64, 32), (1, 1), 2),
         ((32, 32, 32, 64), (2, 2), 1), ((32, 65, 65, 64), (1, 1), 1))


def separable(x, pad, stride=1):
  import tensorflow as tf
  c = x.shape[-1]
  x = tf.pad(x, [[0, 0], [pad[0], pad[1]], [pad[0], pad[1]], [0, 0]])
  kh = tf.constant(np.tile(TAPS[:, None, None, None], (1, 1, c, 1)))
  kw = tf.constant(np.tile(TAPS[None, :, None, None], (1, 1, c, 1)))
  x = tf.nn.depthwise_conv2d(x, kh, [1, stride, 1, 1], "VALID")
  return tf.nn.depthwise_conv2d(x, kw, [1, 1, stride, 1], "VALID")


def _along(x, axis, stride):
  n = (x.shape[axis] - 4) // stride + 1

  def shifted(i):
    index = [slice(None)] * 4
    index[axis] = slice(i, i + stride * (n - 1) + 1, stride)
    return x[tuple(index)]
  return (shifted(0) + shifted(3)) * TAPS[0] + (shifted(1) + shifted(2)) * TAPS[1]


def slices(x, pad, stride=1):
  import tensorflow as tf
  x = tf.pad(x, [[0, 0], [pad[0], pad[1]], [pad[0], pad[1]], [0, 0]])
  return _along(_along(x, 1, stride), 2, stride)


def milliseconds(fn, x, pad, stride, order, repeats):
  import tensorflow as tf

  @tf.function
  def step(x):
    with tf.GradientTape() as outer:
      outer.watch(x)
      with tf.GradientTape() as inner:
        inner.watch(x)
        total = tf.reduce_sum(tf.square(fn(x, pad, stride)))
      if order == 2:
        total = tf.reduce_sum(tf.square(inner.gradient(total, x)))
    return outer.gradient(total, x)
  step(x)
  start = time.perf_counter()
  for _ in range(repeats):
    out = step(x)
  float(tf.reduce_sum(out))
  return (time.perf_counter() - start) / repeats * 1e3


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--repeats", type=int, default=20)
  args = parser.parse_args()
  import tensorflow as tf

  from tfgan.networks import stylegan2_layers
  ways = {"depthwise_4x4": stylegan2_layers.blur, "two_1d": separable, "slices": slices}
  for shape, pad, stride in CASES:
    x = tf.random.normal(shape, seed=0)
    reference = ways["depthwise_4x4"](x, pad, stride)
    for name, fn in ways.items():
      error = float(tf.reduce_max(tf.abs(fn(x, pad, stride) - reference)))
      times = [milliseconds(fn, x, pad, stride, order, args.repeats) for order in (1, 2)]
      print(f"{shape} pad {pad} stride {stride} {name:13s} first order {times[0]:8.2f} ms, "
            f"second {times[1]:8.2f} ms, max diff {error:.1e}", flush=True)


if __name__ == "__main__":
  main()
