"""Command line: `python -m tfgan.train --flagfile=flags/mnist_dcgan.flags --workdir=DIR`.

Only defines flags and calls `tfgan.trainer.train_and_evaluate`. Every field of the
`tfgan.config` sections is a flag of the same name, default and help text.
"""

import sys

from absl import flags, logging

from tfgan import config as config_lib
from tfgan import cli, quiet

config_lib.define_flags(flags.FLAGS)
# --help lists the settings too: they are defined in tfgan.config.flags, not in this module.
flags.adopt_module_key_flags(sys.modules["tfgan.config.flags"])
_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory: created, or resumed if it holds "
                               "a run of the same architecture.")
_DRY_RUN = flags.DEFINE_bool("dry_run", False, "Print the resolved config as JSON and exit.")


# Settings that name a folder which must exist when set: data, pairs' targets, evaluation
# images, the run a second stage starts from.
_FOLDER_SETTINGS = ("data_dir", "target_dir", "eval_data_dir", "init_from")

_HELP_FLAGS = ("--help", "-help", "-h", "-?", "--helpshort")


def _print_help():
  """--help: the command's own flags, then every setting grouped by config section (absl's
  flat list of ~95 flags in one block says nothing of which family reads which)."""
  own = "\n".join([config_lib.flags.flag_help(flags.FLAGS[name]) for name in
                   ("workdir", "dry_run")] + [
                       "  --flagfile=FILE\n      Read flags from FILE, one --name=value a line "
                       "(later lines and later flags win); see flags/."])
  print(f"{__doc__}\nUsage: python -m tfgan.train --flagfile=FILE --workdir=DIR "
        f"[--name=value ...]\n\n[command]\n{own}\n\n{config_lib.grouped_help(flags.FLAGS)}"
        f"\n\n--helpfull also lists absl's own flags (--verbosity, --logtostderr, ...).")


def _fail(message):
  cli.fail("tfgan.train", message)


def main(argv):
  del argv  # cli.run refuses positional arguments.
  if not flags.FLAGS["verbosity"].present:
    # TensorFlow logs checkpoint and export chatter at INFO; the progress lines are printed.
    logging.set_verbosity(logging.WARNING)
  config = config_lib.config_from_flags(flags.FLAGS)
  if not _WORKDIR.value and not _DRY_RUN.value:
    _fail("--workdir is required (the run directory).")
  settings = config.to_dict()
  for name in _FOLDER_SETTINGS:  # checked in ~0.1 s, not after TensorFlow's start-up
    if settings[name]:
      cli.check_folder(name, settings[name])
  refused = _WORKDIR.value and config_lib.first_stage_error(config, _WORKDIR.value)
  if refused:
    _fail(refused)
  # Imported after the flags are checked: TensorFlow start-up is slow, and quieted.
  quiet.import_tensorflow(verbose=flags.FLAGS["verbosity"].present)
  from tfgan import build, data, distribute, rundir, trainer
  from tfgan.metrics.features import MetricsUnavailableError
  try:
    build.validate(config)
  except ValueError as e:
    # Messages open with the setting's name where there is one: show it as the flag.
    named = str(e).split(" ", 1)[0] in config_lib.FIELDS
    _fail(f"--{e}" if named else str(e))
  if _DRY_RUN.value:
    print(config.to_json())
    return 0
  try:
    result = trainer.train_and_evaluate(config, _WORKDIR.value)
  except (data.DataError, data.DataUnavailableError, trainer.WorkdirError,
          distribute.StrategyError, MetricsUnavailableError, FileNotFoundError,
          rundir.NonFiniteError) as e:
    # The user's input is at fault, and the message says how: no traceback.
    _fail(str(e))
  if result["status"] == "interrupted":
    # 128 + signal number, the shell convention, so schedulers see a preempted job.
    sys.exit(128 + result["signal"])
  return 0


def cli_main():
  """`python -m tfgan.train`: parses sys.argv and runs main; exits with its status."""
  if any(arg in _HELP_FLAGS for arg in sys.argv[1:]):
    _print_help()
    sys.exit(0)
  cli.run("tfgan.train", main)


if __name__ == "__main__":
  cli_main()
