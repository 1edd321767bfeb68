"""Command line: generate from a trained generator.

  python -m tfgan.sample --workdir=DIR --num=64 --out=grid.png [--seed=S] [--npz=out.npz]
  python -m tfgan.sample --model=generator.keras --interpolate --num=8 --out=strip.png

Writes a PNG grid and/or an .npz of images float32 [N, H, W, C] in [-1, 1] (key `images`,
with the latents under `z` and, for conditional generators, `labels`). A conditional
generator gives one row per class, or only class L with --label=L. Existing files are never
overwritten unless --overwrite is given.
"""

import os

from absl import app, flags

from tfgan import quiet

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
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace existing --out / --npz files.")


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
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  if bool(_WORKDIR.value) == bool(_MODEL.value):
    raise app.UsageError("Give exactly one of --workdir or --model.")
  if not (_OUT.value or _NPZ.value):
    raise app.UsageError("Nothing to write: give --out=PNG and/or --npz=FILE.")
  if _NUM.value <= 0 or _STEPS.value < 2:
    raise app.UsageError("--num must be positive and --steps at least 2.")
  for path in (_OUT.value, _NPZ.value):
    if path and os.path.exists(path) and not _OVERWRITE.value:
      raise app.UsageError(f"{path} exists; choose another path or pass --overwrite.")

  # Imported after the flags are checked: TensorFlow start-up is slow, and quieted.
  quiet.import_tensorflow(verbose=flags.FLAGS["verbosity"].present)
  import numpy as np
  from tfgan import files, generation, images
  label = _resolve_label(_LABEL.value, _MODEL.value or _WORKDIR.value)
  generator = generation.load_generator(_MODEL.value or _WORKDIR.value)
  latent_dim = generation.latent_dim_of(generator)
  num_classes = getattr(generator, "num_classes", 0)
  if label is not None and not 0 <= label < max(num_classes, 1):
    raise app.UsageError(f"--label={label}: the generator is " + (
        f"conditional on classes 0..{num_classes - 1}." if num_classes else "unconditional."))
  if _INTERPOLATE.value:
    z = generation.interpolation_latents(_NUM.value, _STEPS.value, latent_dim, _SEED.value)
    rows = _NUM.value
    row_labels = np.arange(_NUM.value) % max(num_classes, 1)
    labels = np.repeat(row_labels if label is None else
                       np.full(_NUM.value, label), _STEPS.value)
  else:
    z = generation.latents(_NUM.value, latent_dim, _SEED.value)
    rows, labels = None, None
    if num_classes and label is None:
      rows, labels = num_classes, generation.class_rows(_NUM.value, num_classes)
    elif num_classes:
      labels = np.full(_NUM.value, label)
  labels = labels.astype(np.int32) if num_classes else None
  fake = generation.generate(generator, z, labels)
  if _OUT.value:
    images.save_png(_OUT.value, images.make_grid(fake, rows=rows), overwrite=_OVERWRITE.value)
    print(f"wrote {_OUT.value}")
  if _NPZ.value:
    extra = {"labels": labels} if labels is not None else {}
    with files.atomic_path(_NPZ.value) as tmp:
      np.savez_compressed(tmp, images=fake, z=z, **extra)
    print(f"wrote {_NPZ.value}: images {fake.shape} in [-1, 1]")
  return 0


if __name__ == "__main__":
  app.run(main)
