"""What every command line shares: one-line errors, and the checks of paths made before
TensorFlow is imported (its start-up takes seconds; a missing folder should not).

Imports nothing but absl and the standard library, so `--help` and these errors stay quick.
"""

import os
import sys
from typing import Optional

from absl import app, flags


def fail(cli: str, message: str):
  """Exits with status 1 printing `cli: error: message` and where the flags are listed.

  absl's app.UsageError would print the CLI's whole flag list (50-400 lines) above the one
  line that says what is wrong."""
  sys.exit(f"{cli}: error: {message}\n(python -m {cli} --help lists the flags)")


def run(cli: str, main):
  """app.run(main) where a flag that does not parse, a positional argument and an
  app.UsageError raised by `main` each end through `fail`."""

  def main_with_errors(argv):
    if len(argv) > 1:
      fail(cli, f"unexpected arguments {argv[1:]}: every setting is a --name=value flag.")
    try:
      return main(argv)
    except app.UsageError as e:
      fail(cli, str(e))

  def parse(argv):
    # absl's own parser would print "FATAL Flags parsing error: ..." and a pointer to
    # --helpfull: the same one line here, e.g. "flag --num=abc: invalid literal for int()".
    try:
      return flags.FLAGS(argv)
    except flags.Error as e:
      fail(cli, str(e))

  app.run(main_with_errors, flags_parser=parse)


def require(*flag_holders):
  """Raises app.UsageError naming every one of the absl FlagHolders that is not set."""
  missing = [f"--{f.name}" for f in flag_holders if not f.value]
  if missing:
    names = [f"--{f.name}" for f in flag_holders]
    raise app.UsageError(f"{' and '.join(missing)} missing: give {', '.join(names[:-1])} and "
                         f"{names[-1]}.")


def check_run_dir(flag: str, path: str, needs: Optional[str] = "config.json"):
  """Raises app.UsageError unless `path` is a folder holding the file `needs`.

  Args:
    flag: the flag's name for the message, e.g. 'workdir'.
    needs: a run directory's file the command reads: config.json (every run writes it first)
      or generator.keras (written when a run finishes or is interrupted); None: the folder
      alone.
  """
  check_folder(flag, path, expected="a tfgan run directory")
  if needs and not os.path.isfile(os.path.join(path, needs)):
    what = ("not a tfgan run directory (every run writes config.json first)"
            if needs == "config.json" else "a run writes it when it finishes or is interrupted")
    raise app.UsageError(f"--{flag}={path} holds no {needs}: {what}.")


def check_folder(flag: str, path: str, expected: str = "a folder"):
  """Raises app.UsageError unless `path` is an existing folder; `expected` names what the
  flag wants in the message for a file."""
  if not os.path.exists(path):
    raise app.UsageError(f"--{flag}={path}: no such folder.")
  if not os.path.isdir(path):
    raise app.UsageError(f"--{flag}={path}: a file; expected {expected}.")


def check_file(flag: str, path: str):
  """Raises app.UsageError unless `path` is an existing file."""
  if not os.path.isfile(path):
    raise app.UsageError(f"--{flag}={path}: " + (
        "a folder; expected a file." if os.path.isdir(path) else "no such file."))
