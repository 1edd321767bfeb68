"""Command line: project photos into a StyleGAN2 run's W space (GAN inversion).

  python -m tfgan.project --workdir=DIR --input=PHOTO_OR_FOLDER --output=FOLDER
      [--steps=1000] [--w_plus] [--pixel_loss=l2] [--ssim_weight=1] [--vgg_weights=FILE]
      [--batch_size=16] [--overwrite]

Each input is framed as the run framed its training images (its centred square crop, resized
to the run's side) and projected by tfgan.projection (NVlabs' projector: Adam from the
average w, noise on w decaying, the noise maps optimised and regularised). Writes into
--output, per input stem: <stem>.png (the reconstruction), <stem>_target.png (the framed
input) and <stem>.npz (its ws, which `tfgan.sample --latents=<stem>.npz` renders, interpolates
and style-mixes, and the loss, PSNR and SSIM); and projection.json (every input's PSNR and
SSIM). The loss is pixels + SSIM, plus VGG16 features with --vgg_weights (recorded in the
outputs). Existing outputs are never replaced unless --overwrite is given.
"""

import os

from absl import app, flags

from tfgan import cli, quiet

_WORKDIR = flags.DEFINE_string("workdir", None, "A StyleGAN2 run directory (generator.keras).")
_INPUT = flags.DEFINE_string("input", None, "An image file, or a folder of images (searched "
                             "recursively: jpg, jpeg, png, bmp, gif).")
_OUTPUT = flags.DEFINE_string("output", None, "Folder for the outputs (created).")
_STEPS = flags.DEFINE_integer("steps", 1000, "Optimisation steps (NVlabs: 1000).")
_W_PLUS = flags.DEFINE_bool("w_plus", False, "Optimise one w per layer (W+): closer "
                            "reconstructions, less clean edits. Default: one w (W).")
_PIXEL = flags.DEFINE_enum("pixel_loss", "l2", ["l2", "l1"], "The pixel term of the loss.")
_SSIM = flags.DEFINE_float("ssim_weight", 1.0, "Weight of 1 - SSIM in the loss (0: none).")
_VGG = flags.DEFINE_string("vgg_weights", None, "A keras.applications.VGG16 "
                           "(include_top=False) weights file, or 'imagenet' online: adds the "
                           "VGG16 feature distance (LPIPS' layers) to the loss.")
_VGG_WEIGHT = flags.DEFINE_float("vgg_weight", 1.0, "Weight of the VGG16 term.")
_BATCH = flags.DEFINE_integer("batch_size", 16, "Images projected together (independent "
                              "problems; memory grows with it).")
_SEED = flags.DEFINE_integer("seed", 303, "Seed of the noise maps and the w jitter.")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace existing outputs.")


def main(argv):
  del argv  # cli.run refuses positional arguments.
  cli.require(_WORKDIR, _INPUT, _OUTPUT)
  cli.check_run_dir("workdir", _WORKDIR.value, needs="generator.keras")
  if not os.path.exists(_INPUT.value):
    raise app.UsageError(f"--input={_INPUT.value}: no such file or folder.")
  if _STEPS.value < 1 or _BATCH.value < 1:
    raise app.UsageError("--steps and --batch_size must be positive.")
  if _VGG.value and _VGG.value != "imagenet" and not os.path.isfile(_VGG.value):
    raise app.UsageError(f"--vgg_weights={_VGG.value}: no such file.")
  quiet.import_tensorflow(verbose=flags.FLAGS["verbosity"].present)
  from tfgan import projection
  from tfgan.data import DataError
  from tfgan.networks.vgg import WeightsUnavailableError
  config = projection.ProjectionConfig(steps=_STEPS.value, w_plus=_W_PLUS.value,
                                       pixel_loss=_PIXEL.value, ssim_weight=_SSIM.value,
                                       vgg_weight=_VGG_WEIGHT.value, seed=_SEED.value)
  try:
    rows = projection.project_files(_WORKDIR.value, _INPUT.value, _OUTPUT.value, config,
                                    vgg_weights=_VGG.value, batch_size=_BATCH.value,
                                    overwrite=_OVERWRITE.value)
  except (FileExistsError, FileNotFoundError, ValueError, DataError,
          WeightsUnavailableError) as e:
    cli.fail("tfgan.project", str(e))
  mean = sum(r["psnr"] for r in rows) / len(rows)
  print(f"wrote {len(rows)} projections to {_OUTPUT.value} (mean PSNR {mean:.2f} dB; "
        f"{os.path.join(_OUTPUT.value, 'projection.json')})")
  return 0


def cli_main():
  """`python -m tfgan.project`: parses sys.argv and runs main; exits with its status."""
  cli.run("tfgan.project", main)


if __name__ == "__main__":
  cli_main()
