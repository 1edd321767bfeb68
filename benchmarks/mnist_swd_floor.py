"""The floor of `swd1k` on MNIST: real images that no generator made, scored as a sample.

  python benchmarks/mnist_swd_floor.py --data_dir=../shared/data/mnist [--out=result.json]

`python -m tfgan.evaluate --metrics=swd1k` on an MNIST run compares 1000 generated images with
the first 1000 images of the training split in its seeded (seed 0) shuffled order. Here the
first 1000 test images (the same shuffle) take the generator's place: a generator as close to
the data as unseen real digits would score this. Also reported: the next 1000 training images
of that order (real against real, both from the training split). uint8, 28 x 28 x 1.
"""

import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def first_images(source, n, seed=0):
  """uint8 [n, H, W, C]: the first n images of `source` in the metrics' seeded order."""
  import numpy as np
  from tfgan import data, images
  out, count = [], 0
  for x, _ in data.make_dataset(source, 250, seed=seed, repeat=False, cache="none",
                                drop_remainder=False):
    out.append(images.to_uint8(x.numpy()))  # as the metrics' PixelExtractor
    count += len(out[-1])
    if count >= n:
      break
  return np.concatenate(out)[:n]


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--data_dir", required=True, help="the four MNIST IDX files")
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  from tfgan import data
  from tfgan.metrics import swd
  train = first_images(data.open_source("mnist", "train", args.data_dir), 2000)
  test = first_images(data.open_source("mnist", "test", args.data_dir), 1000)
  result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "date": time.strftime("%Y-%m-%d"), "images": 1000,
            "test_vs_train": {k: round(v, 2) for k, v in swd.swd(test, train[:1000]).items()},
            "other_train_vs_train": {k: round(v, 2)
                                     for k, v in swd.swd(train[1000:], train[:1000]).items()}}
  print(json.dumps(result, indent=1))
  if args.out:
    with open(args.out, "w") as f:
      json.dump(result, f, indent=1)


if __name__ == "__main__":
  main()
