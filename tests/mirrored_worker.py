"""Run by distribute_test.py in its own process: two logical CPU devices must be configured
before TensorFlow initialises, which the main test process has already done.

Usage: python tests/mirrored_worker.py COMBO_NAME... ; prints one JSON line per combo.
"""

import json
import os
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from gan_test import COMBOS, _labelled_batch, _make_combo  # noqa: E402


def main(names):
  strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
  for name in names:
    with strategy.scope():
      model = _make_combo(**COMBOS[name])
    d0 = [v.numpy().copy() for v in model.discriminator.trainable_variables]
    history = model.fit(_labelled_batch(8 * model.d_steps), epochs=1, steps_per_epoch=2,
                        verbose=0)
    changed = any(not np.allclose(a, v.numpy())
                  for a, v in zip(d0, model.discriminator.trainable_variables))
    print(json.dumps({"combo": name, "replicas": strategy.num_replicas_in_sync,
                      "changed": changed,
                      "finite": all(np.isfinite(v[-1]) for v in history.history.values())}),
          flush=True)


if __name__ == "__main__":
  main(sys.argv[1:])
