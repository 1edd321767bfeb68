"""Image-folder input pipeline: images/s cold and cached, its ratio to the 64x64 DCGAN train
step, and peak memory while streaming a large folder.

  python benchmarks/input_pipeline.py --data_dir=../shared/data/celeba_89x109 \
      [--flagfile=flags/celeba_dcgan.flags] [--stream_images=200000] [--out=result.json]

In one process, interleaved rounds (the machine is shared and noisy; medians are reported):
  * cold:   decode + centre crop + antialiased resize of every file, no tf.data cache;
  * cached: the same after the decoded 64x64 examples were cached in memory;
  * train:  the train step of the flagfile's GAN on a constant batch (no input at all).
Target: cold/train >= 5, so input is never the bottleneck.

Streaming: a temporary folder of --stream_images hard links to the data_dir files (cleaned
up afterwards; data_dir itself is only read) is indexed, scanned for unreadable files and
streamed with cache=none (what cache=auto picks above 2 GiB) in a child process, and the
same for a folder a tenth that size. Both children stream the same number of images, so the
difference in their peak resident memory is what the folder's size costs.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def _flagfile_values(path):
  values = {}
  for line in open(path):
    line = line.strip()
    if line.startswith("--") and "=" in line:
      key, value = line[2:].split("=", 1)
      values[key] = value
  return values


def stream_child(folder, images, batch_size):
  """Runs in a child process: prints JSON with times and peak RSS (MiB)."""
  from tfgan import data
  t0 = time.perf_counter()
  source = data.open_source("folder", data_dir=folder, image_size=64)
  t_index = time.perf_counter() - t0
  source.check()
  t_scan = time.perf_counter() - t0 - t_index
  ds = data.make_dataset(source, batch_size, seed=0, cache="none")
  it = iter(ds)
  next(it)
  t1 = time.perf_counter()
  for _ in range(images // batch_size):
    next(it)
  rate = images // batch_size * batch_size / (time.perf_counter() - t1)
  peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  print(json.dumps({"files": source.spec.num_examples, "index_sec": round(t_index, 1),
                    "scan_sec": round(t_scan, 1), "stream_images_per_sec": round(rate, 1),
                    "auto_cache": data.resolve_cache("auto", source), "peak_rss_mib": round(peak)}))


def link_farm(src_dir, n, dest):
  """dest/ holding n hard links (symlinks where links fail) to src_dir's jpgs, 1000 a folder."""
  files = sorted(f for f in os.listdir(src_dir) if f.lower().endswith(".jpg"))
  for i in range(n):
    sub = os.path.join(dest, f"{i // 1000:04d}")
    if i % 1000 == 0:
      os.makedirs(sub)
    src, dst = os.path.join(src_dir, files[i % len(files)]), os.path.join(sub, f"{i:07d}.jpg")
    try:
      os.link(src, dst)
    except OSError:
      os.symlink(os.path.abspath(src), dst)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--data_dir", default=os.path.join(REPO, "..", "shared", "data",
                                                         "celeba_89x109"))
  parser.add_argument("--flagfile", default=os.path.join(REPO, "flags", "celeba_dcgan.flags"))
  parser.add_argument("--batches", type=int, default=100, help="batches per timing")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--train_steps", type=int, default=20, help="train steps per timing")
  parser.add_argument("--stream_images", type=int, default=200_000,
                      help="files in the streaming test's folder; 0 skips it")
  parser.add_argument("--stream_read", type=int, default=20_000,
                      help="images each streaming child reads")
  parser.add_argument("--child", default="", help=argparse.SUPPRESS)
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  if args.child:
    return stream_child(args.child, args.stream_read, 64)
  if not os.path.isdir(args.data_dir):
    sys.exit(f"--data_dir {args.data_dir!r} is not a folder of images.")

  import keras
  import tensorflow as tf
  from tfgan import build
  from tfgan import config as config_lib
  from tfgan import data

  flags = _flagfile_values(args.flagfile)
  config = config_lib.make(dataset="celeb_a", network=flags.get("network", "dcgan"),
                           kernel_size=int(flags.get("kernel_size", 4)),
                           width=float(flags.get("width", 1)),
                           batch_size=int(flags.get("batch_size", 64)), jit_compile="false")
  batch = config.optimization.batch_size
  source = data.open_source("celeb_a", data_dir=args.data_dir, image_size=64)
  source.check()
  cold = iter(data.make_dataset(source, batch, seed=0, cache="none"))
  cached = iter(data.make_dataset(source, batch, seed=0, cache="memory"))
  next(cold)
  for _ in range(source.spec.num_examples // batch + 1):  # Fills the cache: one full pass.
    next(cached)
  model = build.build_model(config, source.spec)
  x = tf.random.uniform((batch,) + source.spec.image_shape, -1, 1)
  constant = tf.data.Dataset.from_tensors((x, tf.zeros([batch], tf.int32))).repeat()
  model.fit(constant, epochs=1, steps_per_epoch=3, verbose=0)

  def time_input(it):
    t0 = time.perf_counter()
    for _ in range(args.batches):
      next(it)
    return args.batches * batch / (time.perf_counter() - t0)

  def time_train():
    t0 = time.perf_counter()
    model.fit(constant, epochs=1, steps_per_epoch=args.train_steps, verbose=0)
    return args.train_steps * batch / (time.perf_counter() - t0)

  rates = {"cold": [], "cached": [], "train": []}
  for _ in range(args.rounds):
    rates["cold"].append(time_input(cold))
    rates["cached"].append(time_input(cached))
    rates["train"].append(time_train())
  rate = {k: statistics.median(v) for k, v in rates.items()}
  results = {"host": platform.node(), "cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
             "keras": keras.__version__, "data_dir": args.data_dir,
             "train_config": {k: config.to_dict()[k] for k in ("network", "kernel_size", "width",
                                                               "batch_size")},
             "cold_images_per_sec": round(rate["cold"], 1),
             "cached_images_per_sec": round(rate["cached"], 1),
             "train_images_per_sec": round(rate["train"], 1),
             "cold_over_train": round(rate["cold"] / rate["train"], 1),
             "cached_over_train": round(rate["cached"] / rate["train"], 1)}
  print(f"folder pipeline: cold {rate['cold']:.0f} img/s, cached {rate['cached']:.0f} img/s; "
        f"64x64 train step {rate['train']:.0f} img/s ({config.model.network}, "
        f"k={config.model.kernel_size}, width {config.model.width}, batch {batch})")
  print(f"cold/train {results['cold_over_train']:.1f}x (target >= 5), cached/train "
        f"{results['cached_over_train']:.1f}x", flush=True)

  if args.stream_images:
    results["streaming"] = {}
    tmp = tempfile.mkdtemp(prefix="tfgan_stream_")
    try:
      for n in (args.stream_images // 10, args.stream_images):
        folder = os.path.join(tmp, str(n))
        link_farm(args.data_dir, n, folder)
        out = subprocess.run([sys.executable, __file__, f"--child={folder}",
                              f"--stream_read={args.stream_read}"], capture_output=True,
                             text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
        if out.returncode:
          sys.exit(out.stderr[-3000:])
        row = json.loads(out.stdout.strip().splitlines()[-1])
        results["streaming"][str(n)] = row
        print(f"streaming a folder of {n} files (cache none; auto would pick {row['auto_cache']}): index "
              f"{row['index_sec']} s, scan {row['scan_sec']} s, "
              f"{row['stream_images_per_sec']:.0f} img/s over {args.stream_read} images, "
              f"peak RSS {row['peak_rss_mib']} MiB", flush=True)
        shutil.rmtree(folder)
    finally:
      shutil.rmtree(tmp, ignore_errors=True)
    small, big = (results["streaming"][str(n)]["peak_rss_mib"]
                  for n in (args.stream_images // 10, args.stream_images))
    results["peak_rss_growth_mib"] = big - small
    print(f"peak memory: {big} MiB for {args.stream_images} files vs {small} MiB for "
          f"{args.stream_images // 10}: +{big - small} MiB for 10x the files (decoded they "
          f"would be {args.stream_images * 64 * 64 * 3 / 2**30:.1f} GiB)")
  if args.out:
    with open(args.out, "w") as f:
      json.dump(results, f, indent=2)


if __name__ == "__main__":
  main()
