"""Command line: evaluate a run, or train the domain classifier a dataset's report needs.

  python -m tfgan.evaluate --workdir=DIR --metrics=fid10k,kid10k,pr10k,classifier,swd10k
  python -m tfgan.evaluate --workdir=DIR --metrics=nn1k [--data_dir=HELD_OUT_FOLDER]
  python -m tfgan.evaluate --workdir=PIX2PIX_DIR [--data_dir=FOLDER] [--baseline_workdir=DIR]
  python -m tfgan.evaluate --workdir=INPAINT_DIR [--mask_kind=strokes] [--baseline_workdir=DIR]
  python -m tfgan.evaluate --train_classifier --dataset=mnist [--data_dir=FOLDER]

Results are printed as a table and appended to DIR/metrics.jsonl (keys `eval/<metric>`).
Metric names and protocols: tfgan.metrics.METRICS.
"""

import os

from absl import app, flags

from tfgan import cli, quiet

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory to evaluate.")
_METRICS = flags.DEFINE_list("metrics", ["fid10k"], "Metrics from tfgan.metrics.METRICS, e.g. "
                             "fid10k,kid10k,is10k,pr10k,classifier,swd10k, or nn1k (memorization: "
                             "median nearest-training pixel-L2 distance of 1000 samples over "
                             "that of 1000 held-out real images). Image-to-image "
                             "runs: fid or kid adds the Inception FID and KID of the outputs "
                             "against the targets (with --inception_weights).")
_INCEPTION = flags.DEFINE_string("inception_weights", "imagenet", "InceptionV3 weights: "
                                 "'imagenet' (Keras downloads them) or a local weights file.")
_CACHE_DIR = flags.DEFINE_string("cache_dir", "", "Where classifiers and real-data statistics "
                                 "are cached; empty: $TFGAN_CACHE_DIR or ~/.cache/tfgan.")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "Overrides the data_dir recorded by the run: "
                                "data moved, or images it did not train on (GAN runs: also "
                                "nn1k's held-out images; mnist, fashion_mnist and cifar10 take "
                                "their test split), all of them whatever the run's --holdout. "
                                "Unset, a GAN run that held images out (--holdout) is "
                                "evaluated against those. With --train_classifier, where the "
                                "dataset's files are.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the generated latents and real subsets.")
_TRAIN_CLASSIFIER = flags.DEFINE_bool("train_classifier", False, "Train and cache the domain "
                                      "classifier of --dataset, then exit.")
_DATASET = flags.DEFINE_string("dataset", "mnist", "Dataset of --train_classifier.")
_EPOCHS = flags.DEFINE_integer("epochs", 3, "Training epochs of --train_classifier.")
_BASELINE = flags.DEFINE_string("baseline_workdir", None, "Image-to-image runs: another run "
                                "(e.g. the same U-Net trained on L1 alone) scored on the same "
                                "pairs.")
_MASK_KIND = flags.DEFINE_enum("mask_kind", None, ["centre", "boxes", "strokes", "mixed"],
                               "Inpainting runs: score on these fixed masks (seed 0) instead "
                               "of the run's --eval_mask.")
_TEST_MODE = flags.DEFINE_enum("test_mode", None, ["train", "inference"], "Image-to-image "
                               "runs: override the run's --test_mode (dropout and batch norm "
                               "at test time) to measure what it changes.")


def _translation_run(workdir):
  """Whether `workdir` holds an image-to-image run (its config names another family)."""
  import json
  path = os.path.join(workdir, "config.json")
  if not os.path.isfile(path):
    return False
  with open(path) as f:
    from tfgan import config as config_lib  # TensorFlow-free
    return json.load(f).get("family", "gan") not in config_lib.NOISE_TO_IMAGE_FAMILIES


def main(argv):
  del argv  # cli.run refuses positional arguments.
  if not _TRAIN_CLASSIFIER.value:
    if not _WORKDIR.value:
      raise app.UsageError("--workdir=DIR missing: the run to evaluate (or --train_classifier).")
    cli.check_run_dir("workdir", _WORKDIR.value)
    if _BASELINE.value:
      cli.check_run_dir("baseline_workdir", _BASELINE.value)
  # Imported after the flags are checked: TensorFlow start-up is slow, and quieted.
  quiet.import_tensorflow(verbose=flags.FLAGS["verbosity"].present)
  from tfgan import data, metrics
  if _TRAIN_CLASSIFIER.value:
    path = metrics.classifier_path(_DATASET.value, _CACHE_DIR.value)
    if os.path.exists(path):
      cli.fail("tfgan.evaluate", f"{path} exists; delete it to train a new classifier.")
    try:
      metrics.prepare_classifier(_DATASET.value, _DATA_DIR.value or "", _CACHE_DIR.value,
                                 epochs=_EPOCHS.value)
    except (data.DataError, data.DataUnavailableError) as e:
      cli.fail("tfgan.evaluate", str(e))
    except ValueError as e:
      raise app.UsageError(f"--train_classifier: {e}") from e
    return 0
  if _translation_run(_WORKDIR.value):
    from tfgan import translation
    try:
      # Inception distances only when asked for (--metrics=fid or kid): 299 px features of
      # every output cost minutes on a CPU, and offline they need a weights file.
      inception = _INCEPTION.value if _METRICS.present and any(
          m.startswith(("fid", "kid")) for m in _METRICS.value) else None
      translation.evaluate_run(_WORKDIR.value, _DATA_DIR.value, _BASELINE.value,
                               _TEST_MODE.value, inception_weights=inception,
                               mask_kind=_MASK_KIND.value)
    except (ValueError, FileNotFoundError, data.DataError, metrics.MetricsUnavailableError) as e:
      cli.fail("tfgan.evaluate", str(e))
    return 0
  try:
    metrics.evaluate_run(_WORKDIR.value, _METRICS.value, _INCEPTION.value, _CACHE_DIR.value,
                         _SEED.value, _DATA_DIR.value)
  except (ValueError, FileNotFoundError, metrics.MetricsUnavailableError, data.DataError,
          data.DataUnavailableError) as e:
    cli.fail("tfgan.evaluate", str(e))
  return 0


def cli_main():
  """`python -m tfgan.evaluate`: parses sys.argv and runs main; exits with its status."""
  cli.run("tfgan.evaluate", main)


if __name__ == "__main__":
  cli_main()
