"""Command line: generate from a trained generator.

  python -m tfgan.sample --workdir=DIR --num=64 --out=grid.png [--seed=S] [--npz=out.npz]
  python -m tfgan.sample --model=generator.keras --interpolate --num=8 --out=strip.png
  python -m tfgan.sample --workdir=DIR --nearest=5 --num=8 [--out=DIR/nearest.png]
  python -m tfgan.sample --workdir=DIR --summary
  python -m tfgan.sample --workdir=DIR --latents=samples.npz --out=again.png
  python -m tfgan.sample --workdir=DIR --style_mix --num=4 --mix_cols=6 --out=mix.png
  python -m tfgan.sample --workdir=DIR --interpolate --space=w --num=4 --out=walk.png
  python -m tfgan.sample --workdir=DIR --latents=projected.npz --style_mix --out=mix.png

Writes a PNG grid and/or an .npz of images float32 [N, H, W, C] in [-1, 1] (key `images`,
with the latents under `z` and, for conditional generators, `labels`). A conditional
generator gives one row per class, or only class L with --label=L. --latents=FILE renders the
latents of such an .npz (tfgan.demo's download too) again. --nearest=K writes --num
rows instead, each a sample followed by its K nearest training images by pixel L2 (images in
[-1, 1] at the model's resolution; tfgan.metrics.neighbours), to DIR/nearest.png by default.
--summary (re)writes DIR/summary.png (tfgan.summary), as each training run does at its end.
StyleGAN2 runs (tfgan.styles): --style_mix writes NVlabs' style-mixing grid (the first row the
--mix_cols column sources, each further row a row source, then its coarse styles, layers below
--mix_cutoff, with each column's fine ones); --space=w interpolates on straight lines in W;
--latents may hold `ws` [N, num_ws, w_dim] (tfgan.project's output): rendered, interpolated
one to the next (--interpolate), or taken as the grid's row sources (--style_mix).
Existing files are never overwritten unless --overwrite is given (summary.png excepted: it is
the run's own, made again from its files).
"""

import os

from absl import app, flags

from tfgan import cli, quiet

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory holding generator.keras.")
_MODEL = flags.DEFINE_string("model", None, "Path of a saved generator (.keras); instead of "
                             "--workdir.")
_NUM = flags.DEFINE_integer("num", 64, "Images to generate; with --interpolate, the rows.")
_OUT = flags.DEFINE_string("out", None, "PNG path for the grid (or interpolation strip).")
_NPZ = flags.DEFINE_string("npz", None, "Path of an .npz to write images and latents to.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the latents; the same seed gives the same "
                             "images.")
_INTERPOLATE = flags.DEFINE_bool("interpolate", False, "Write a latent interpolation strip: "
                                 "--num rows, each a slerp between two random latents.")
_STEPS = flags.DEFINE_integer("steps", 10, "Images per interpolation row.")
_LABEL = flags.DEFINE_string("label", None, "Conditional generators: generate this class only, "
                              "by number or by a name from the run's classes.json (image "
                              "folders). Unset: one row per class.")
_PSI = flags.DEFINE_float("truncation_psi", 1.0, "StyleGAN2 runs: the truncation trick, w "
                          "moved toward the run's average w by this factor (0.7 is common; "
                          "1: none; 0: the average image). Grids and --npz only.")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace existing --out / --npz files.")
_NEAREST = flags.DEFINE_integer("nearest", 0, "With --workdir: write --num rows, each a sample "
                                "followed by its K nearest training images by pixel L2 (in "
                                "[-1, 1], at the model's resolution), to --out (default "
                                "WORKDIR/nearest.png). 0: off.")
_LATENTS = flags.DEFINE_string("latents", None, "An .npz of latents `z` (and `labels` for a "
                               "conditional generator), as --npz or the demo's download "
                               "writes: render exactly those images (instead of --seed/--num).")
_STYLE_MIX = flags.DEFINE_bool("style_mix", False, "StyleGAN2 runs: a style-mixing grid of "
                                "--num row sources (seeds --seed.., or --latents) by "
                                "--mix_cols column sources (the next seeds).")
_MIX_COLS = flags.DEFINE_integer("mix_cols", 6, "--style_mix: the column sources.")
_MIX_CUTOFF = flags.DEFINE_integer("mix_cutoff", 0, "--style_mix: styles of layers below this "
                                   "index come from the row source, the rest from the column "
                                   "source (0: num_ws // 2, layers of 4-16 px at 64 px).")
_SPACE = flags.DEFINE_enum("space", "z", ["z", "w"], "--interpolate: slerp in z, or straight "
                           "lines in W (StyleGAN2 runs).")
_SUMMARY = flags.DEFINE_bool("summary", False, "With --workdir: rewrite WORKDIR/summary.png "
                             "(losses, D outputs, evaluations and sample grids over the run), "
                             "then exit.")


def _resolve_label(label, model_path):
  """--label as an int: a number, or a class name looked up in classes.json beside the model."""
  if label is None or label.lstrip("-").isdigit():
    return None if label is None else int(label)
  folder = model_path if os.path.isdir(model_path) else os.path.dirname(model_path)
  path = os.path.join(folder, "classes.json")
  if not os.path.isfile(path):
    raise app.UsageError(f"--label={label}: not a number, and {path} (class names) is missing.")
  import json
  with open(path) as f:
    mapping = json.load(f)
  if label not in mapping:
    raise app.UsageError(f"--label={label}: {path} names the classes {sorted(mapping)}.")
  return int(mapping[label])


def main(argv):
  del argv  # cli.run refuses positional arguments.
  if bool(_WORKDIR.value) == bool(_MODEL.value):
    raise app.UsageError("give exactly one of --workdir or --model.")
  if _SUMMARY.value:
    return _write_summary()
  if flags.FLAGS["nearest"].present and _NEAREST.value <= 0:
    raise app.UsageError(f"--nearest={_NEAREST.value}: the number of nearest training images "
                         f"per row must be positive.")
  out = _OUT.value
  if _NEAREST.value:
    if not _WORKDIR.value:
      raise app.UsageError("--nearest needs --workdir: the run's config.json names its training "
                           "images.")
    if not os.path.isfile(os.path.join(_WORKDIR.value, "config.json")):
      raise app.UsageError(f"--nearest: {_WORKDIR.value} has no config.json (the run's "
                           f"training images); not a tfgan run directory.")
    if _INTERPOLATE.value:
      raise app.UsageError("--nearest and --interpolate write different grids; give one.")
    out = out or os.path.join(_WORKDIR.value, "nearest.png")
  if not (out or _NPZ.value):
    raise app.UsageError("Nothing to write: give --out=PNG and/or --npz=FILE.")
  styled = _STYLE_MIX.value or (_INTERPOLATE.value and _SPACE.value == "w")
  if _STYLE_MIX.value and (_INTERPOLATE.value or _NEAREST.value or _NPZ.value):
    raise app.UsageError("--style_mix writes its own grid (--out); not with --interpolate, "
                         "--nearest or --npz.")
  if _MIX_COLS.value <= 0:
    raise app.UsageError(f"--mix_cols={_MIX_COLS.value}: must be positive.")
  if _LATENTS.value:
    cli.check_file("latents", _LATENTS.value)
    if _NEAREST.value:
      raise app.UsageError("--latents renders the file's latents; it does not combine with "
                           "--nearest.")
  if flags.FLAGS["truncation_psi"].present and (
      (_LATENTS.value and not _STYLE_MIX.value) or (_INTERPOLATE.value and not styled)):
    raise app.UsageError("--truncation_psi applies to sampled grids, --style_mix and "
                         "--interpolate --space=w; not to --latents or a z interpolation.")
  if _NUM.value <= 0 or _STEPS.value < 2:
    raise app.UsageError("--num must be positive and --steps at least 2.")
  for path in (out, _NPZ.value):
    if path and os.path.exists(path) and not _OVERWRITE.value:
      raise app.UsageError(f"{path} exists; choose another path or pass --overwrite.")
  if _WORKDIR.value:
    cli.check_run_dir("workdir", _WORKDIR.value, needs="generator.keras")
  elif os.path.isdir(_MODEL.value):
    cli.check_run_dir("model", _MODEL.value, needs="generator.keras")
  else:
    cli.check_file("model", _MODEL.value)

  # Imported after the flags are checked: TensorFlow start-up is slow, and quieted.
  quiet.import_tensorflow(verbose=flags.FLAGS["verbosity"].present)
  import numpy as np
  from tfgan import generation, images, styles
  label = _resolve_label(_LABEL.value, _MODEL.value or _WORKDIR.value)
  generator = generation.load_generator(_MODEL.value or _WORKDIR.value)
  rows, ws = None, None
  try:
    file_ws = styles.load_ws(_LATENTS.value, generator) if _LATENTS.value else None
    if file_ws is not None or styled:
      fake, ws, rows = _styled(generator, file_ws, label)
    elif _LATENTS.value:
      if _INTERPOLATE.value:
        raise ValueError("--interpolate with --latents needs ws (tfgan.project's .npz) or "
                         "--space=w.")
      z, labels = generation.load_latents(_LATENTS.value, generator)
      fake = generation.generate(generator, z, labels)
    elif _INTERPOLATE.value:
      fake, z, labels = generation.interpolation(generator, _NUM.value, _STEPS.value,
                                                 _SEED.value, label)
      rows = _NUM.value
    else:
      fake, z, labels, rows = generation.sample(generator, _NUM.value, _SEED.value, label,
                                                psi=_PSI.value)
  except ValueError as e:
    flag = ("--latents" if _LATENTS.value else "--truncation_psi" if "truncation" in str(e)
            else "--mix_cutoff" if "cutoff" in str(e) else "--style_mix/--space" if
            "StyleGAN2" in str(e) else "--label")
    raise app.UsageError(f"{flag}: {e}") from None
  if _NEAREST.value:
    grid, distances = _nearest_grid(fake, _NEAREST.value)
    images.save_png(out, grid, overwrite=_OVERWRITE.value)
    print(f"wrote {out}: {len(fake)} samples, each followed by its {_NEAREST.value} nearest "
          f"training images (pixel L2 in [-1, 1]); nearest distances: median "
          f"{np.median(distances[:, 0]):.4g}, min {distances[:, 0].min():.4g}")
  elif out:
    images.save_png(out, images.make_grid(fake, rows=rows), overwrite=_OVERWRITE.value)
    print(f"wrote {out}")
  if _NPZ.value and ws is not None:
    styles.save_ws(_NPZ.value, ws, fake)
    print(f"wrote {_NPZ.value}: ws {ws.shape} and images {fake.shape} in [-1, 1]")
  elif _NPZ.value:
    generation.save_latents(_NPZ.value, fake, z, labels)
    print(f"wrote {_NPZ.value}: images {fake.shape} in [-1, 1]")
  return 0


def _styled(generator, file_ws, label):
  """(images, their ws or None, grid rows) of --style_mix, a W interpolation, or a ws file
  rendered; the sources are file_ws (or a z file mapped) when --latents is given, else seeds
  from --seed."""
  import numpy as np
  from tfgan import generation, styles
  num, seed, psi = _NUM.value, _SEED.value, _PSI.value
  sources = file_ws
  if sources is None and _LATENTS.value:  # a z file: its ws
    styles.check_stylegan(generator, "--style_mix and --space=w")
    z, labels = generation.load_latents(_LATENTS.value, generator)
    sources = np.asarray(generator.mapping(z, labels, psi=psi), np.float32)
  if _STYLE_MIX.value:
    rows = sources if sources is not None else styles.seed_ws(
        generator, range(seed, seed + num), psi, label)
    first = seed + (0 if sources is not None else num)
    cols = styles.seed_ws(generator, range(first, first + _MIX_COLS.value), psi, label)
    return styles.style_mix(generator, rows, cols, _MIX_CUTOFF.value or None), None, \
        len(rows) + 1
  if _INTERPOLATE.value:
    if sources is None:
      ends = styles.seed_ws(generator, range(seed, seed + 2 * num), psi, label)
      start, end = ends[:num], ends[num:]
    elif len(sources) == 1:  # from the file's ws to a seed's
      start, end = sources, styles.seed_ws(generator, [seed], psi, label)
    else:  # one row per consecutive pair of the file's ws
      start, end = sources[:-1], sources[1:]
    ws = styles.interpolate_ws(start, end, _STEPS.value)
    return styles.synthesize(generator, ws), ws, len(start)
  return styles.synthesize(generator, sources), sources, None


def _nearest_grid(fake, k):
  """(uint8 grid of len(fake) rows: each sample, then its k nearest training images;
  their distances float64 [N, k]), the training images read from the run's config.json."""
  import json
  import numpy as np
  from tfgan import config as config_lib
  from tfgan import data, images, metrics
  with open(os.path.join(_WORKDIR.value, "config.json")) as f:
    config = config_lib.from_dict(json.load(f))
  try:
    source = metrics.open_training(config)
    batches = (x for x, _ in data.make_dataset(source, 250, seed=0, repeat=False, cache="none",
                                               drop_remainder=False))
    distances, neighbours = metrics.nearest(fake, batches, k)
  except (ValueError, data.DataError, data.DataUnavailableError) as e:
    raise app.UsageError(f"--nearest={k}: {e}") from None
  rows = np.concatenate([np.asarray(fake, np.float32)[:, None], neighbours], axis=1)
  return images.make_grid(rows.reshape((-1,) + rows.shape[2:]), rows=len(fake)), distances


def _write_summary():
  if not _WORKDIR.value:
    raise app.UsageError("--summary needs --workdir.")
  cli.check_run_dir("workdir", _WORKDIR.value, needs=None)  # summary names what is missing
  quiet.import_tensorflow(verbose=flags.FLAGS["verbosity"].present)  # tfgan.rundir's
  from tfgan import summary
  try:
    path = summary.write_summary(_WORKDIR.value)
  except (FileNotFoundError, ValueError) as e:
    raise app.UsageError(f"--summary: {e}") from None
  print(f"wrote {path}")
  return 0


def cli_main():
  """`python -m tfgan.sample`: parses sys.argv and runs main; exits with its status."""
  cli.run("tfgan.sample", main)


if __name__ == "__main__":
  cli_main()
