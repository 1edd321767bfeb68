"""Inpainting baselines without a network on the held-out faces: the mean fill and the
diffusion fill (tfgan.metrics.inpainting), scored by inpaint_scores.

  python benchmarks/inpaint_baselines.py --data_dir=../shared/data/celeba_89x109
      [--holdout=1000] [--image_size=64] [--masks=centre,strokes] [--seed=0]
      [--out=benchmarks/results/inpaint_baselines_2core_cpu.json]

Images: the held-out split of celeb_a (the last --holdout files, decoded as training does:
centre crop 108/178, antialiased resize to --image_size), as float [-1, 1]. Masks: one per
image, tfgan.data.masks.mask_batch(kind, N, size, size, seed) (mask i from seed [seed, i]).
Each fill is composited and scored (the protocol: tfgan.metrics.inpainting's docstring); the
means over the images are printed and written with the masks' mean coverage and the seconds
each fill took (the scoring not included).
"""

import argparse
import json
import os
import platform
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--data_dir", required=True)
  parser.add_argument("--holdout", type=int, default=1000)
  parser.add_argument("--image_size", type=int, default=64)
  parser.add_argument("--masks", default="centre,strokes")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--out", default="")
  args = parser.parse_args()
  import numpy as np
  import tensorflow as tf
  from tfgan.data import masks as masks_lib, open_source
  from tfgan.metrics import inpainting

  start = time.perf_counter()
  source = open_source("celeb_a", "holdout", args.data_dir, image_size=args.image_size,
                       holdout=args.holdout)
  faces = np.concatenate([x.numpy() for x, _ in source.examples().batch(500)])
  images = faces.astype(np.float32) / 127.5 - 1.0
  n, size = len(images), args.image_size
  print(f"{n} held-out faces {size}x{size} decoded in {time.perf_counter() - start:.1f} s",
        flush=True)
  fills = {"mean_fill": inpainting.mean_fill,
           "diffusion_fill": inpainting.diffusion_fill}
  result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "date": time.strftime("%Y-%m-%d"), "tensorflow": tf.__version__,
            "data": f"celeb_a holdout={args.holdout} of {args.data_dir}", "images": n,
            "image_size": size, "mask_seed": args.seed,
            "diffusion": {"sweeps": inpainting.DIFFUSION_SWEEPS,
                          "omega": inpainting.DIFFUSION_OMEGA},
            "results": {}}
  for kind in args.masks.split(","):
    mask = masks_lib.mask_batch(kind, n, size, size, args.seed)
    row = {"coverage": round(float(masks_lib.coverage(mask).mean()), 4)}
    for name, fill in fills.items():
      t0 = time.perf_counter()
      filled = fill(images, mask).numpy()
      seconds = time.perf_counter() - t0
      scores = inpainting.inpaint_scores(filled, images, mask)
      row[name] = {k: round(float(np.mean(v)), 4) for k, v in scores.items()}
      row[name]["seconds"] = round(seconds, 2)
      print(f"{kind:8s} (coverage {row['coverage']:.3f}) {name:15s} "
            + " ".join(f"{k} {v}" for k, v in row[name].items()), flush=True)
    result["results"][kind] = row
  result["wall_seconds"] = round(time.perf_counter() - start, 1)
  print(f"wall {result['wall_seconds']} s")
  if args.out:
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
      json.dump(result, f, indent=1)
      f.write("\n")


if __name__ == "__main__":
  main()
