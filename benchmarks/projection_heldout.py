"""Projection of a StyleGAN2 run's held-out faces (faces it never trained on) by
tfgan.projection, beside two baselines: the average face (w_avg, where projection starts) and
random samples of the run (unrelated faces).

  python benchmarks/projection_heldout.py --workdir=runs/celeba_stylegan2 [--num=200]
      [--steps=300] [--batch_size=50] [--w_plus] [--grid=docs/images/PNG]
      [--out=benchmarks/results/projection_heldout_2core_cpu.jsonl]

Metrics on the 64x64 framed faces in [0, 1]: mean PSNR and SSIM per face (reconstruction vs
its face), and swd_vs_targets (the multi-scale SWD x1e3 between the reconstructions and the
faces as two sets). Appends one JSON row (with the commit and wall time) to --out; --grid
writes 16 faces over their reconstructions.
"""

import argparse
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--workdir", required=True)
  parser.add_argument("--num", type=int, default=200)
  parser.add_argument("--steps", type=int, default=300)
  parser.add_argument("--batch_size", type=int, default=50)
  parser.add_argument("--w_plus", action="store_true")
  parser.add_argument("--grid", default="")
  parser.add_argument("--out", default=os.path.join(REPO, "benchmarks", "results",
                                                    "projection_heldout_2core_cpu.jsonl"))
  args = parser.parse_args()
  import numpy as np

  from tfgan import data, generation, images, projection
  from tfgan.config import sections
  from tfgan.metrics import restoration, run as metrics_run, swd
  config = sections.from_dict(json.load(open(os.path.join(args.workdir, "config.json"))))
  source = metrics_run.open_holdout(config)
  faces = np.concatenate([x for x, _ in data.make_dataset(source, 250, seed=0, repeat=False,
                                                          cache="none")])[:args.num]
  g = generation.load_generator(args.workdir)
  pconfig = projection.ProjectionConfig(steps=args.steps, w_plus=args.w_plus)
  start = time.time()
  recon, w_stats = [], projection.w_statistics(g)
  for i in range(0, len(faces), args.batch_size):
    recon.append(projection.project(g, faces[i:i + args.batch_size], pconfig,
                                    w_stats=w_stats)["images"])
    print(f"{i + len(recon[-1])}/{len(faces)} faces, {time.time() - start:.0f} s", flush=True)
  seconds = time.time() - start
  recon = np.concatenate(recon)
  w_avg = w_stats[0]
  average = np.asarray(g.synthesis(np.broadcast_to(w_avg, (len(faces), g.num_ws, len(w_avg))),
                                   "const"))
  samples = generation.sample(g, len(faces), seed=1)[0]
  unit = lambda x: (np.asarray(x, np.float64) + 1) / 2  # noqa: E731
  row = {"workdir": args.workdir, "faces": len(faces), "steps": args.steps,
         "space": "W+" if args.w_plus else "W", "loss": pconfig.describe(),
         "seconds": round(seconds, 1), "date": time.strftime("%Y-%m-%d %H:%M"),
         "commit": subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True).stdout.strip()}
  for name, x in (("projection", recon), ("average_face", average), ("random_samples", samples)):
    row[name] = {"psnr": round(float(restoration.psnr(unit(x), unit(faces)).mean()), 2),
                 "ssim": round(float(restoration.ssim(unit(x), unit(faces)).mean()), 4),
                 "swd_vs_targets": round(swd.swd(images.to_uint8(faces),
                                                 images.to_uint8(x))["swd"], 1)}
  print(json.dumps(row), flush=True)
  with open(args.out, "a") as f:
    f.write(json.dumps(row) + "\n")
  if args.grid:
    pair = np.concatenate([faces[:16], recon[:16]])
    images.save_png(args.grid, images.make_grid(pair, rows=2), overwrite=True)


if __name__ == "__main__":
  main()
