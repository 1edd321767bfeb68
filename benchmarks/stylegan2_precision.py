"""StyleGAN2's networks under Keras dtype policies: float32 against mixed_float16 (with NVlabs'
activation clamp of 256) and mixed_bfloat16, on celeba_stylegan2's networks (64x64, width
0.125, batch 32), this machine's CPU.

  python benchmarks/stylegan2_precision.py [--iterations=8] [--rounds=3]
      [--out=benchmarks/results/stylegan2_precision_2core_cpu.json]

One timed unit is what a training iteration does most: G's synthesis and D forward and
backward (the gradients of D's logits on G's images with respect to both networks' weights)
plus D forward and backward on real images. The family itself refuses mixed precision; this
measures whether it would pay. Rounds alternate between policies; medians and each policy
over float32 are printed.
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

POLICIES = {"float32": ("float32", None), "mixed_float16": ("mixed_float16", 256.0),
            "mixed_bfloat16": ("mixed_bfloat16", None)}


def timer(policy, clamp, iterations):
  """A function timing `iterations` units under `policy`; the networks built under it."""
  import keras
  import tensorflow as tf

  from tfgan.networks import stylegan2 as networks
  keras.mixed_precision.set_global_policy(policy)
  try:
    g = networks.StyleGAN2Generator(latent_dim=128, image_shape=(64, 64, 3), width=0.125,
                                    clamp=clamp)
    d = networks.StyleGAN2Discriminator(image_shape=(64, 64, 3), width=0.125, clamp=clamp)
    g.build(g.input_shapes())
    d.build(d.input_shapes())
  finally:
    keras.mixed_precision.set_global_policy("float32")
  variables = g.trainable_variables + d.trainable_variables
  z = tf.random.normal([32, 128], seed=0)
  real = tf.random.uniform([32, 64, 64, 3], -1.0, 1.0, seed=1)

  @tf.function
  def unit():
    with tf.GradientTape() as tape:
      fake = tf.cast(g.synthesis(g.mapping(z), "random"), tf.float32)
      loss = tf.reduce_mean(tf.nn.softplus(-tf.cast(d(fake), tf.float32)))
      loss += tf.reduce_mean(tf.nn.softplus(-tf.cast(d(real), tf.float32)))
    return tape.gradient(loss, variables)

  unit()  # traced

  def run():
    t0 = time.perf_counter()
    for _ in range(iterations):
      grads = unit()
    float(tf.reduce_sum(grads[0]))
    return time.perf_counter() - t0
  return run


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--iterations", type=int, default=8)
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--out", default=os.path.join(HERE, "results",
                                                    "stylegan2_precision_2core_cpu.json"))
  args = parser.parse_args()
  import timing
  runs = {name: (timer(policy, clamp, args.iterations), []) for name, (policy, clamp)
          in POLICIES.items()}
  for _ in range(args.rounds):
    for run, rates in runs.values():
      rates.append(args.iterations * 32 / run())
  medians = {k: round(statistics.median(v[1]), 2) for k, v in runs.items()}
  result = {**timing.provenance(REPO), "images_per_sec": medians,
            "over_float32": {k: round(v / medians["float32"], 3) for k, v in medians.items()},
            "rounds": {k: [round(r, 2) for r in v[1]] for k, v in runs.items()},
            "clamp": {k: c for k, (_, c) in POLICIES.items()}}
  print(json.dumps(result), flush=True)
  with open(args.out, "w") as f:
    json.dump(result, f, indent=1)


if __name__ == "__main__":
  main()
