"""absl flags generated from the Config sections, and flagfiles parsed by absl itself.

`define_flags(FLAGS)` is called by the CLI (`tfgan.train`) only; importing tfgan defines no
flags. `from_flagfile` defines the same flags on a private `absl.flags.FlagValues`, so a
flagfile resolves identically from the CLI, notebooks and tests: later lines win, a nested
`--flagfile=PATH` line is read in place (PATH relative to the working directory, as absl
does), and only the flags a file names change.
"""

import dataclasses
import os
import re
import textwrap
from typing import Any, Iterator, Tuple

from absl import flags as absl_flags

from tfgan.config.sections import CHOICES, FIELDS, SECTION_FAMILIES, SECTIONS, Config, make

_DEFINE = {bool: absl_flags.DEFINE_bool, int: absl_flags.DEFINE_integer,
           float: absl_flags.DEFINE_float, str: absl_flags.DEFINE_string}


def _fields():
  for cls in SECTIONS.values():
    yield from dataclasses.fields(cls)


def define_flags(flag_values: absl_flags.FlagValues) -> None:
  """Defines one flag per Config field (same name, default, help) on `flag_values`."""
  for field in _fields():
    help_text = field.metadata["help"]
    if field.name in CHOICES:
      absl_flags.DEFINE_enum(field.name, field.default, CHOICES[field.name], help_text,
                             flag_values=flag_values)
    else:
      _DEFINE[field.type](field.name, field.default, help_text, flag_values=flag_values)


def flag_help(flag, width=100) -> str:
  """One flag as `  --name  (default: D) (one of: ...)` over its wrapped help text."""
  default = flag.default_as_str or "''"
  choices = f" (one of: {', '.join(CHOICES[flag.name])})" if flag.name in CHOICES else ""
  head = f"  --{flag.name}  (default: {default}){choices}"
  body = textwrap.fill(flag.help, width, initial_indent="      ", subsequent_indent="      ")
  return f"{head}\n{body}"


def grouped_help(flag_values: absl_flags.FlagValues, width: int = 100) -> str:
  """The Config flags defined on `flag_values` (by define_flags) as text, one block per
  section in SECTIONS order, each headed by the section's name, the families that read it and
  its docstring: what `python -m tfgan.train --help` prints."""
  blocks = []
  for name, cls in SECTIONS.items():
    families = SECTION_FAMILIES.get(name, "every family")
    doc = " ".join((cls.__doc__ or "").split())
    head = textwrap.fill(f"[{name}] for {families}. {doc}", width, subsequent_indent="  ")
    lines = [flag_help(flag_values[f.name], width) for f in dataclasses.fields(cls)]
    blocks.append("\n".join([head] + lines))
  return "\n\n".join(blocks)


def config_from_flags(flag_values: absl_flags.FlagValues) -> Config:
  """The Config that parsed `flag_values` (defined by define_flags) describe."""
  return make(**{name: flag_values[name].value for name in FIELDS})


def _lines(path: str, parents: Tuple[str, ...] = ()) -> Iterator[Tuple[str, int, str]]:
  """(file, line number, text) of each flag line, nested flagfiles read in place."""
  try:
    with open(path) as f:
      lines = f.read().splitlines()
  except OSError:
    return
  for number, raw in enumerate(lines, 1):
    line = raw.strip()
    if not line or line.startswith(("#", "//")):
      continue
    name, _, value = line.lstrip("-").partition("=")
    if line.startswith("-") and name == "flagfile":
      if value not in parents + (path,):
        yield from _lines(value, parents + (path,))
      continue
    yield path, number, line


def _where(path: str, matches) -> str:
  for file, number, line in _lines(path):
    if matches(line):
      return f"{file}:{number}: "
  return f"{path}: "


def _names_flag(name):
  return lambda line: re.match(rf"^--?(no)?{re.escape(name)}(=|$)", line) is not None


def _explain(path: str, error: absl_flags.Error) -> str:
  if isinstance(error, absl_flags.UnrecognizedFlagError):
    name = error.flagname
    return f"{_where(path, _names_flag(name))}--{name} is not a tfgan.Config setting."
  match = re.match(r"^flag --(\w+)=(.*?): ", str(error))
  if isinstance(error, absl_flags.IllegalFlagValueError) and match and match[1] in FIELDS:
    name, value = match[1], match[2]
    kind = next(f.type for f in _fields() if f.name == name)
    wanted = ("true or false" if kind is bool else f"one of {CHOICES[name]}"
              if name in CHOICES else f"a {kind.__name__}")
    return f"{_where(path, _names_flag(name))}--{name} takes {wanted}, got {value!r}."
  return f"{path}: {error}"


def from_flagfile(path: str, **overrides: Any) -> Config:
  """The Config that `python -m tfgan.train --flagfile=path` would resolve, then `overrides`
  (flag names, Python values).

  Raises ValueError naming the file and line at fault: flags that are not Config settings
  (e.g. --workdir), values of the wrong type, lines that are not flags.
  """
  if not os.path.isfile(path):
    raise ValueError(f"{path}: no such flagfile.")
  flag_values = absl_flags.FlagValues()
  define_flags(flag_values)
  try:
    rest = flag_values(["from_flagfile", f"--flagfile={path}"])
  except absl_flags.Error as e:
    raise ValueError(_explain(path, e)) from None
  if len(rest) > 1:
    stray = rest[1]
    raise ValueError(f"{_where(path, lambda line: line == stray)}expected --name=value, got "
                     f"{stray!r}.")
  return config_from_flags(flag_values).replace(**overrides)
