"""Seconds of tfgan.metrics.swd.swd on real faces, and the CelebA floor it measures.

  python benchmarks/swd_speed.py --data_dir=../shared/data/celeba_89x109 [--sizes=1000,10000]
      [--floor] [--out=result.json]

benchmarks/results/swd_speed_2core_cpu.json: --sizes=1000,10000 --floor (2026-12-01, before
the blurred set and the sort threads were added); swd_floor_2core_cpu.json: --sizes= --floor;
swd_speed_sort_threads_2core_cpu.json: --sizes=1000 (2026-12-08).

Faces are decoded as the celeb_a / folder pipeline does (sorted file names, centre crop
108/178 of the shorter side, antialiased resize to --image_size, uint8 RGB) and kept in memory.
Timing: for each N in --sizes and each --sort_threads value (default 1,2: the sorts of the two
sets one after the other, then side by side as swd.SORT_THREADS = 2 does), one call of swd()
on two sets of N faces (with fewer than 2N files, the two sets are drawn with replacement from
all faces: the time depends on N and the image size, not on the content); the results must be
equal. --floor: the first 1000 (training) faces against the last
1000 (the held-out split of --holdout=1000), against the next 1000 training faces, and against
the held-out faces blurred (scipy.ndimage.gaussian_filter, sigma 2 px).
"""

import argparse
import json
import os
import platform
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def load_faces(data_dir, size):
  """uint8 [N, size, size, 3] of every image in data_dir, in file-name order."""
  import numpy as np
  import tensorflow as tf
  from tfgan.data import decode
  paths = sorted(os.path.join(data_dir, p) for p in os.listdir(data_dir)
                 if p.lower().endswith((".jpg", ".jpeg", ".png")))
  ds = tf.data.Dataset.from_tensor_slices(paths).map(
      lambda p: decode.load_and_preprocess(p, size, decode.CELEBA_CROP_FRACTION, 3),
      num_parallel_calls=2).batch(500)
  return np.concatenate([b.numpy() for b in ds])


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--data_dir", required=True)
  parser.add_argument("--image_size", type=int, default=64)
  parser.add_argument("--sizes", default="1000")
  parser.add_argument("--floor", action="store_true")
  parser.add_argument("--sort_threads", default="1,2",
                      help="swd.SORT_THREADS values timed one after the other per size")
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  import numpy as np
  from tfgan.metrics import swd
  t0 = time.perf_counter()
  faces = load_faces(args.data_dir, args.image_size)
  print(f"decoded {len(faces)} faces in {time.perf_counter() - t0:.1f} s", flush=True)
  result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "date": time.strftime("%Y-%m-%d"), "faces": len(faces),
            "image_size": args.image_size, "seconds": {}, "floor": {}}
  rng = np.random.default_rng(0)
  default_threads = swd.SORT_THREADS
  for n in [int(s) for s in args.sizes.split(",") if s]:
    if 2 * n <= len(faces):
      a, b = faces[:n], faces[n:2 * n]
    else:
      a, b = faces[rng.integers(0, len(faces), n)], faces[rng.integers(0, len(faces), n)]
    values = {}
    for threads in [int(t) for t in args.sort_threads.split(",")]:
      swd.SORT_THREADS = threads
      t0, c0 = time.perf_counter(), time.process_time()
      values[threads] = swd.swd(a, b)
      key = n if threads == default_threads else f"{n}_sort_threads_{threads}"
      result["seconds"][key] = round(time.perf_counter() - t0, 2)
      # CPU seconds of this process (both cores): less sensitive than wall time to other
      # processes on a shared machine; the load average says how shared it was.
      result.setdefault("cpu_seconds", {})[key] = round(time.process_time() - c0, 2)
      result.setdefault("load_average_after", {})[key] = [round(x, 2) for x in os.getloadavg()]
      print(f"swd {n} vs {n}, {threads} sort thread(s): {result['seconds'][key]} s wall, "
            f"{result['cpu_seconds'][key]} s CPU, load {result['load_average_after'][key]}",
            flush=True)
    assert all(v == values[default_threads] for v in values.values()), values  # same result
    swd.SORT_THREADS = default_threads
    for threads in values:
      if threads != default_threads:
        ratio = result["seconds"][f"{n}_sort_threads_{threads}"] / result["seconds"][n]
        result.setdefault("speedup_over_sort_threads", {})[f"{n}_{threads}"] = round(ratio, 2)
        print(f"  default ({default_threads}) over {threads}: {ratio:.2f}x faster", flush=True)
  if args.floor:
    from scipy import ndimage
    train, other, held_out = faces[:1000], faces[1000:2000], faces[-1000:]
    # What blur costs: the held-out faces through a Gaussian of sigma 2 px (reflect borders).
    blurred = np.clip(np.round(ndimage.gaussian_filter(held_out.astype(np.float64),
                                                       sigma=(0, 2, 2, 0))), 0, 255)
    for name, b in (("train_vs_held_out", held_out), ("train_vs_other_train", other),
                    ("train_vs_held_out_blurred_sigma2", blurred.astype(np.uint8))):
      result["floor"][name] = {k: round(v, 2) for k, v in swd.swd(train, b).items()}
      print(name, result["floor"][name], flush=True)
  if args.out:
    with open(args.out, "w") as f:
      json.dump(result, f, indent=1)


if __name__ == "__main__":
  main()
