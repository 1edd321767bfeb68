"""Writes a gallery image of image-to-image runs on their held-out pairs, and their mean
colourfulness and sharpness beside the targets'.

  python docs/translation_gallery.py --out=docs/images/NAME.png --rows=6 RUN [RUN ...]

Rows: the first `rows` held-out pairs of the first run; columns: input | each run's output |
target, each tile upscaled 2x (nearest). For super-resolution runs the input is shown
upscaled by nearest neighbours, followed by its bicubic upsampling. For inpainting runs the
input is shown with its hole white, followed by the diffusion fill, on the run's evaluation
masks (--mask_kind: another kind, seed 0). Colourfulness is Hasler & Suesstrunk's (2003) M on
RGB in [0, 255]; sharpness the mean |Laplacian| of the luma in [0, 1]; both averaged over all
held-out pairs.
"""

import argparse
import json
import os

import numpy as np

from tfgan import config as config_lib
from tfgan import generation, images, models, translation
from tfgan.data import pairs as pairs_lib


def colourfulness(x):
  """Hasler & Suesstrunk's M of uint8-range float RGB [N, H, W, 3], per image [N]."""
  rg = x[..., 0] - x[..., 1]
  yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
  std = np.sqrt(rg.std(axis=(1, 2))**2 + yb.std(axis=(1, 2))**2)
  mean = np.sqrt(rg.mean(axis=(1, 2))**2 + yb.mean(axis=(1, 2))**2)
  return std + 0.3 * mean


def sharpness(x):
  """Mean |4-neighbour Laplacian| of the luma of float RGB [N, H, W, 3] in [0, 1]."""
  y = x @ np.array([0.299, 0.587, 0.114])
  lap = (y[:, 1:-1, :-2] + y[:, 1:-1, 2:] + y[:, :-2, 1:-1] + y[:, 2:, 1:-1]
         - 4 * y[:, 1:-1, 1:-1])
  return np.abs(lap).mean(axis=(1, 2))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--out", required=True)
  parser.add_argument("--rows", type=int, default=6)
  parser.add_argument("--mask_kind", default=None)
  parser.add_argument("runs", nargs="+")
  args = parser.parse_args()
  with open(os.path.join(args.runs[0], "config.json")) as f:
    config = config_lib.from_dict(json.load(f))
  if args.mask_kind:
    config = config.replace(eval_mask=args.mask_kind)
  held = models.FAMILIES[config.model.family].open_pairs(config, "holdout", log=lambda s: None)
  ds = pairs_lib.make_pair_dataset(held, 50, repeat=False, cache="none", drop_remainder=False)
  xs, ys = zip(*[(np.asarray(x), np.asarray(y)) for x, y in ds])
  x, y = np.concatenate(xs), np.concatenate(ys)
  rgb = lambda a: np.repeat(a, 3, -1) if a.shape[-1] == 1 else a  # noqa: E731
  gens = [generation.load_generator(run) for run in args.runs]
  outs = [np.clip(generation.translate(g, translation.channels_for(g, x, run)), -1, 1)
          for g, run in zip(gens, args.runs)]
  scale = y.shape[1] // x.shape[1]
  if scale > 1:  # super-resolution: LR shown by nearest neighbours, then bicubic, as outputs
    from tfgan.metrics import restoration
    outs = [restoration.bicubic_upsample(x, scale)] + outs
    args.runs = ["bicubic"] + args.runs
    x = x.repeat(scale, axis=1).repeat(scale, axis=2)
  if config.model.family == "inpaint":  # masked input (hole white), then the diffusion fill
    from tfgan.data import inpainting as inpainting_data
    from tfgan.metrics import inpainting
    known, masks = inpainting_data.split_input(x)
    outs = [inpainting.diffusion_fill(known, masks).numpy()] + outs
    args.runs = ["diffusion_fill"] + args.runs
    x = np.where(masks.numpy() > 0.5, 1.0, known.numpy())
  unit = lambda a: np.clip(rgb(a) * 0.5 + 0.5, 0, 1)  # noqa: E731
  for name, a in [("target", y)] + list(zip(args.runs, outs)):
    print(f"{name:40s} colourfulness {colourfulness(unit(a) * 255).mean():6.2f}  "
          f"sharpness {sharpness(unit(a)).mean():.4f}")
  n = args.rows
  tiles = np.stack([rgb(x[:n])] + [rgb(o[:n]) for o in outs] + [rgb(y[:n])], axis=1)
  tiles = tiles.repeat(2, axis=2).repeat(2, axis=3)
  grid = images.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), rows=n)
  images.save_png(args.out, grid, overwrite=True)
  print("wrote", args.out)


if __name__ == "__main__":
  main()
