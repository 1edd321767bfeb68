"""Command line: `python -m tfgan.train --flagfile=flags/mnist_dcgan.flags --workdir=DIR`.

Only defines flags and calls `tfgan.trainer.train_and_evaluate`. Every field of
`tfgan.config.Config` is a flag of the same name, default and help text.
"""

import dataclasses
import sys

from absl import app, flags, logging

from tfgan import config as config_lib

_DEFINE = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer, float: flags.DEFINE_float,
           str: flags.DEFINE_string}

for _field in dataclasses.fields(config_lib.Config):
  if _field.name in config_lib.CHOICES:
    flags.DEFINE_enum(_field.name, _field.default, config_lib.CHOICES[_field.name],
                      _field.metadata["help"])
  else:
    _DEFINE[_field.type](
        _field.name, _field.default, _field.metadata["help"])

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory: created, or resumed if it holds "
                               "a run of the same architecture.")
_DRY_RUN = flags.DEFINE_bool("dry_run", False, "Print the resolved config as JSON and exit.")


def config_from_flags():
  """The Config that the parsed flags describe."""
  return config_lib.Config(**{f.name: flags.FLAGS[f.name].value
                              for f in dataclasses.fields(config_lib.Config)})


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
  if not flags.FLAGS["verbosity"].present:
    # TensorFlow logs checkpoint and export chatter at INFO; the progress lines are printed.
    logging.set_verbosity(logging.WARNING)
  config = config_from_flags()
  try:
    config_lib.validate(config)
  except ValueError as e:
    raise app.UsageError(f"--{e}") from e
  if _DRY_RUN.value:
    print(config.to_json())
    return 0
  if not _WORKDIR.value:
    raise app.UsageError("--workdir is required (the run directory).")
  # Imported after flag parsing: TensorFlow start-up is slow.
  from tfgan import data, distribute, trainer
  from tfgan.metrics.features import MetricsUnavailableError
  try:
    result = trainer.train_and_evaluate(config, _WORKDIR.value)
  except (data.DataError, data.DataUnavailableError, trainer.WorkdirError,
          distribute.StrategyError, MetricsUnavailableError, FileNotFoundError) as e:
    # The user's input is at fault, and the message says how: no traceback.
    sys.exit(f"tfgan.train: error: {e}")
  if result["status"] == "interrupted":
    # 128 + signal number, the shell convention, so schedulers see a preempted job.
    sys.exit(128 + result["signal"])
  return 0


if __name__ == "__main__":
  app.run(main)
