"""Command line: translate images with a trained image-to-image or super-resolution run.

  python -m tfgan.translate --workdir=DIR --input=FOLDER_OR_FILE --output=FOLDER
      [--derive] [--overwrite] [--reverse] [--masks=FOLDER]

Writes one PNG per input image into --output, with the input's base name. Inputs of any size
are padded (by reflection) to the next size the U-Net takes, translated and cropped back; a
super-resolution run (family esrgan) takes any size and writes images --scale times larger.
With --derive, each input is first turned into the run's input domain by the transform it was
trained with (e.g. photos -> edges for an edges -> photo run). Existing files are never
overwritten unless --overwrite is given. An inpainting run (family inpaint) fills the holes of
--masks: a folder with one mask per image, named as the image (faces/a.jpg -> MASKS/a.png),
white = hole, resized to its image; the known pixels are written unchanged.
"""

import os

from absl import app, flags

from tfgan import cli, quiet

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory holding generator.keras.")
_INPUT = flags.DEFINE_string("input", None, "An image file, or a folder of images (searched "
                             "recursively: jpg, jpeg, png, bmp, gif).")
_OUTPUT = flags.DEFINE_string("output", None, "Folder for the translated PNGs (created).")
_DERIVE = flags.DEFINE_bool("derive", False, "Apply the run's --pairs transform (edges, grey, "
                            "blur, downsample) to each input first; for a super-resolution "
                            "run, its bicubic downsampling by --scale (to see what it "
                            "restores).")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace existing output files.")
_MASKS = flags.DEFINE_string("masks", None, "Inpainting runs: the folder of masks, one per "
                             "input image named as it (any extension; PNG recommended), white "
                             "= hole.")
_REVERSE = flags.DEFINE_bool("reverse", False, "CycleGAN runs: translate B -> A with the "
                             "second generator (generator_ba.keras).")


def main(argv):
  del argv  # cli.run refuses positional arguments.
  cli.require(_WORKDIR, _INPUT, _OUTPUT)
  cli.check_run_dir("workdir", _WORKDIR.value)
  if not os.path.exists(_INPUT.value):
    raise app.UsageError(f"--input={_INPUT.value}: no such file or folder.")
  # Imported after the flags are checked: TensorFlow start-up is slow, and quieted.
  quiet.import_tensorflow(verbose=flags.FLAGS["verbosity"].present)
  from tfgan import translation
  from tfgan.data import DataError
  try:
    written = translation.translate_files(_WORKDIR.value, _INPUT.value, _OUTPUT.value,
                                          derive=_DERIVE.value, overwrite=_OVERWRITE.value,
                                          reverse=_REVERSE.value, masks=_MASKS.value)
  except (FileExistsError, FileNotFoundError, ValueError, DataError) as e:
    cli.fail("tfgan.translate", str(e))
  print(f"wrote {len(written)} images to {_OUTPUT.value}")
  return 0


def cli_main():
  """`python -m tfgan.translate`: parses sys.argv and runs main; exits with its status."""
  cli.run("tfgan.translate", main)


if __name__ == "__main__":
  cli_main()
