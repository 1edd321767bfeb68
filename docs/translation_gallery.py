"""Writes a gallery image of image-to-image runs on their held-out pairs, and their mean
colourfulness and sharpness beside the targets'.

  python docs/translation_gallery.py --out=docs/images/NAME.png --rows=6 RUN [RUN ...]

Rows: the first `rows` held-out pairs of the first run; columns: input | each run's output |
target, each tile upscaled 2x (nearest). For super-resolution runs the input is shown
upscaled by nearest neighbours, followed by its bicubic upsampling. For inpainting runs the
input is shown with its hole white, followed by the diffusion fill, on the run's evaluation
masks (--mask_kind: another kind, seed 0). Printed per column: the texture ratios of
tfgan.metrics.texture against the targets over all held-out pairs (chroma_hf_ratio,
sharpness_ratio, colourfulness_ratio: 1 = the targets' level; inside the hole for inpainting),
as tfgan.evaluate reports them.
"""

import argparse
import json
import os

import numpy as np

from tfgan import config as config_lib
from tfgan import generation, images, models, translation
from tfgan.data import pairs as pairs_lib
from tfgan.metrics import texture


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
  region = masks.numpy() if config.model.family == "inpaint" else None
  for name, a in zip(args.runs, outs):
    ratios = texture.TextureRatios()
    seen = a if region is None else np.where(region > 0.5, a, y)
    ratios.update(seen, y, region)
    print(f"{name:40s} " + "  ".join(f"{k} {v:.3f}" for k, v in ratios.result().items()))
  n = args.rows
  tiles = np.stack([rgb(x[:n])] + [rgb(o[:n]) for o in outs] + [rgb(y[:n])], axis=1)
  tiles = tiles.repeat(2, axis=2).repeat(2, axis=3)
  grid = images.make_grid(tiles.reshape((-1,) + tiles.shape[2:]), rows=n)
  images.save_png(args.out, grid, overwrite=True)
  print("wrote", args.out)


if __name__ == "__main__":
  main()
