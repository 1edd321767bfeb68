"""Docs that cannot rot: README.md and docs/ are checked against the repository.

- Every relative link and image (`[text](target)`, `![alt](target)`, outside fenced code)
  names a file or folder that exists, relative to the markdown file's folder; a `#anchor` into
  a markdown file (or `(#anchor)` into the same file) names one of its headings by GitHub's
  slug rule.
- Every `python -m tfgan.<cli> ...` command shown (fenced code and inline code) uses only flags
  that CLI defines, as absl parses them (`--name`, `--name=value`, `--noname` for booleans);
  `python -m tfgan.<module>` names a module that exists; every `--flagfile=flags/X.flags`
  names a file in flags/; every `python <path>.py` script in a command exists.

The checkers are plain functions returning "file:line: problem" strings; the tests at the end
run them on small broken documents, so a checker that stops finding problems fails too.
Importing the CLI modules loads no TensorFlow (absl flags only), so this runs in seconds.
"""

import functools
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import urllib.parse

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The command-line modules (`python -m tfgan.X`); each defines its own flags.
CLIS = ("tfgan.train", "tfgan.sample", "tfgan.evaluate", "tfgan.translate", "tfgan.project")
# Handled by absl's parser itself, not defined as flags.
PARSER_FLAGS = {"flagfile", "undefok"}

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML_ID = re.compile(r"<[^>]*\b(?:id|name)=[\"']([^\"']+)[\"']")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_COMMAND = re.compile(r"(?:^|[\s/`(])python3?\s+-m\s+(tfgan(?:\.\w+)+)(.*)")
_SCRIPT = re.compile(r"(?:^|[\s`(])python3?\s+((?:\S+/)*\S+\.py)\b")
_FLAGFILE = re.compile(r"--flagfile=(flags/[\w.-]+\.flags)")
# Where a shell command line ends: pipes, lists, redirections, comments.
_SHELL_END = re.compile(r"\s(?:\|\|?|&&?|;|\d?>>?|<|#)(?:\s|$)|\s\d?>\S")


def markdown_files():
  files = [os.path.join(REPO, "README.md")]
  files += sorted(glob.glob(os.path.join(REPO, "docs", "**", "*.md"), recursive=True))
  notebooks = os.path.join(REPO, "notebooks", "README.md")
  if os.path.isfile(notebooks):
    files.append(notebooks)
  return files


def _relative(path):
  relative = os.path.relpath(path, REPO)
  return path if relative.startswith("..") else relative


# ---------------------------------------------------------------------------------------
# Reading markdown


def split_fences(text):
  """(prose, code): two copies of `text` with the other kind of line blanked, so that line
  numbers stay those of the file. Fence lines themselves are in neither."""
  prose, code, inside = [], [], False
  for line in text.split("\n"):
    if _FENCE.match(line):
      inside = not inside
      prose.append("")
      code.append("")
    elif inside:
      prose.append("")
      code.append(line)
    else:
      prose.append(line)
      code.append("")
  return "\n".join(prose), "\n".join(code)


def github_slug(heading):
  """GitHub's anchor for a heading's text: markup reduced to its text, lowercase, everything
  but letters, digits, spaces, hyphens and underscores removed, spaces to hyphens."""
  text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
  text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
  text = text.strip().lower()
  text = re.sub(r"[^\w\- ]", "", text)  # \w: letters, digits, underscore (Unicode)
  return text.replace(" ", "-")


def anchors(text):
  """Every anchor a markdown text defines: its headings' slugs (the n-th repeat of a slug gets
  -n) and explicit HTML ids/names."""
  prose, _ = split_fences(text)
  found, seen = set(), {}
  for line in prose.split("\n"):
    match = _HEADING.match(line)
    if match:
      slug = github_slug(match.group(2))
      if slug in seen:
        seen[slug] += 1
        slug_n = f"{slug}-{seen[slug]}"
      else:
        seen[slug] = 0
        slug_n = slug
      found.add(slug_n)
    found.update(_HTML_ID.findall(line))
  return found


def links(text):
  """(line number, target) of every link and image outside fenced and inline code."""
  prose, _ = split_fences(text)
  out, paragraph_start = [], True
  for number, line in enumerate(prose.split("\n"), 1):
    line = _INLINE_CODE.sub("", line)
    out += [(number, target) for target in _LINK.findall(line)]
    # `[name]: target` defines a reference only where a paragraph could start.
    match = _REFERENCE.match(line)
    if match and paragraph_start:
      out.append((number, match.group(1)))
    paragraph_start = not line.strip() or bool(match and paragraph_start)
  return out


# ---------------------------------------------------------------------------------------
# Checker 1: links and anchors


def check_links(path, text=None, read=None):
  """Problems with the relative links and images of the markdown file `path`."""
  if text is None:
    with open(path) as f:
      text = f.read()
  read = read or _read
  folder = os.path.dirname(path)
  problems = []
  for number, target in links(text):
    where = f"{_relative(path)}:{number}"
    if not target:
      problems.append(f"{where}: empty link target")
      continue
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # http:, https:, mailto:, ...
      continue
    file_part, _, anchor = target.partition("#")
    file_part = urllib.parse.unquote(file_part)
    if file_part:
      resolved = os.path.normpath(os.path.join(folder, file_part))
      if not os.path.exists(resolved):
        problems.append(f"{where}: link to {target!r}: {_relative(resolved)} does not exist")
        continue
    else:
      resolved = path
    if anchor and resolved.endswith(".md") and (resolved == path or os.path.isfile(resolved)):
      anchor = urllib.parse.unquote(anchor)
      if anchor not in anchors(text if resolved == path else read(resolved)):
        problems.append(f"{where}: link to {target!r}: {_relative(resolved)} has no heading "
                        f"with the anchor #{anchor}")
  return problems


@functools.lru_cache(maxsize=None)
def _read(path):
  with open(path) as f:
    return f.read()


# ---------------------------------------------------------------------------------------
# Checker 2: command lines


@functools.lru_cache(maxsize=None)
def cli_flags(module):
  """{flag name: is boolean} of everything `python -m module` accepts, read in a fresh process
  (absl's FLAGS is global: each CLI's own flags, absl's and the help flags)."""
  # sys.argv[0] is "-m" while `python -m` imports the package: tfgan then skips registering
  # its networks (no TensorFlow), as for the real command line.
  code = ("import importlib, json, sys\n"
          "from absl import app, flags\n"
          "module = sys.argv[1]\n"
          "sys.argv[0] = '-m'\n"
          "importlib.import_module(module)\n"
          "app.define_help_flags()\n"
          "print(json.dumps({n: bool(f.boolean) for n, f in flags.FLAGS._flags().items()}))\n")
  result = subprocess.run([sys.executable, "-c", code, module], cwd=REPO, text=True,
                          capture_output=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=REPO))
  assert "tensorflow" not in result.stderr.lower(), result.stderr[-3000:]
  assert result.returncode == 0, f"importing {module} failed:\n{result.stderr[-3000:]}"
  names = json.loads(result.stdout.strip().splitlines()[-1])
  names.update({name: False for name in PARSER_FLAGS})
  return names


def _module_exists(module):
  base = os.path.join(REPO, *module.split("."))
  return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))


def _logical_lines(code):
  """(first line number, text) of each command line of code, backslash continuations
  joined."""
  out, start, parts = [], None, []
  for number, line in enumerate(code.split("\n"), 1):
    if start is None:
      start = number
    if line.rstrip().endswith("\\"):
      parts.append(line.rstrip()[:-1])
      continue
    parts.append(line)
    out.append((start, " ".join(p.strip() for p in parts)))
    start, parts = None, []
  if parts:
    out.append((start, " ".join(p.strip() for p in parts)))
  return out


def _is_placeholder(name):
  return (not re.fullmatch(r"[A-Za-z_][\w-]*", name)) or name.isupper()


def _tokens(rest):
  rest = _SHELL_END.split(" " + rest, maxsplit=1)[0]
  try:
    return shlex.split(rest)
  except ValueError:  # an unbalanced quote in prose: split on blanks
    return rest.split()


def check_command(module, rest, where, flags_of=cli_flags):
  """Problems with one `python -m module rest` command line."""
  if module not in CLIS:
    if _module_exists(module):
      return []  # a module run as a script, not one of the CLIs: its flags are not checked
    return [f"{where}: python -m {module}: no such module (the command lines are "
            f"{', '.join(CLIS)})"]
  known = flags_of(module)
  problems = []
  for token in _tokens(rest):
    if token == "--":
      break
    if not token.startswith("--"):
      continue
    name, has_value, _ = token[2:].partition("=")
    if _is_placeholder(name) or name in known:
      continue
    if name.startswith("no") and not has_value and known.get(name[2:]):
      continue  # --noname of a boolean flag
    problems.append(f"{where}: {module} has no flag --{name} (in {token!r})")
  return problems


def command_lines(text):
  """(line number, module, rest of the line) of every `python -m tfgan.X` command in fenced
  code and in inline code."""
  prose, code = split_fences(text)
  found = []
  for number, line in _logical_lines(code):
    for match in _COMMAND.finditer(line):
      found.append((number, match.group(1), match.group(2)))
  for span in _INLINE_CODE.finditer(prose):
    content = span.group(2)
    if "\n\n" in content:
      continue
    number = prose.count("\n", 0, span.start()) + 1
    for match in _COMMAND.finditer(" ".join(content.split())):
      found.append((number, match.group(1), match.group(2)))
  return found


def check_commands(path, text=None, flags_of=cli_flags):
  """Problems with the command lines, flagfiles and scripts shown in the markdown file."""
  if text is None:
    text = _read(path)
  problems = []
  for number, module, rest in command_lines(text):
    problems += check_command(module, rest, f"{_relative(path)}:{number}", flags_of)
  for number, line in enumerate(text.split("\n"), 1):
    for flagfile in _FLAGFILE.findall(line):
      if not os.path.isfile(os.path.join(REPO, flagfile)):
        problems.append(f"{_relative(path)}:{number}: --flagfile={flagfile} does not exist")
  _, code = split_fences(text)
  for number, line in _logical_lines(code):
    for script in _SCRIPT.findall(line):
      if not _is_placeholder_path(script) and not os.path.isfile(os.path.join(REPO, script)):
        problems.append(f"{_relative(path)}:{number}: python {script}: no such script")
  return problems


def _is_placeholder_path(path):
  return any(c in path for c in "<>{}[]") or "..." in path


# ---------------------------------------------------------------------------------------
# The repository's documents


@pytest.fixture(scope="module")
def flags_of():
  for module in CLIS:
    cli_flags(module)  # once per CLI, before any document is read
  return cli_flags


def test_the_documents_exist():
  names = [_relative(p) for p in markdown_files()]
  assert "README.md" in names and "docs/README.md" in names, names
  assert len(open(os.path.join(REPO, "README.md")).read().split("\n")) <= 301, \
      "README.md is the front page: at most 300 lines; move the rest to docs/"


@pytest.mark.parametrize("path", markdown_files(), ids=_relative)
def test_every_relative_link_and_image_resolves(path):
  problems = check_links(path)
  assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", markdown_files(), ids=_relative)
def test_every_command_line_uses_real_flags(path, flags_of):
  problems = check_commands(path, flags_of=flags_of)
  assert not problems, "\n".join(problems)


def test_every_cli_has_flags_and_the_commands_are_found(flags_of):
  assert "flagfile" in flags_of("tfgan.train") and "workdir" in flags_of("tfgan.train")
  assert "dataset" in flags_of("tfgan.train")  # adopted from tfgan.config.flags
  assert "num" in flags_of("tfgan.sample") and "num" not in flags_of("tfgan.train")
  commands = [c for p in markdown_files() for c in command_lines(_read(p))]
  assert {module for _, module, _ in commands} >= set(CLIS), commands


# ---------------------------------------------------------------------------------------
# The checkers find what they are for


BROKEN = """# Title

## Repeated
## Repeated
## Offline, without `--data_dir`

[fine](#title) [fine too](#repeated-1) [and](#offline-without---data_dir) [here](b.md#real-one)
[gone](missing.md) and ![gone image](images/missing.png)
[bad anchor](b.md#not-there) [bad local anchor](#nowhere) [third repeat](#repeated-2)
`[in inline code](ignored.md)` [web](https://example.com/x.md) [mail](mailto:a@b.c)
[-1, 1]: not a reference definition inside a paragraph

[ref]: gone_too.md

```
[in a code block](also_ignored.md)
```
"""


def test_check_links_reports_missing_files_and_anchors(tmp_path):
  (tmp_path / "b.md").write_text("# Real one\n\n```\n# not a heading\n```\n")
  path = str(tmp_path / "a.md")
  problems = check_links(path, BROKEN, read=lambda p: open(p).read())
  assert len(problems) == 6, "\n".join(problems)
  assert sum(":13: link to 'gone_too.md'" in p for p in problems) == 1, problems
  assert sum(":8: link to 'missing.md'" in p for p in problems) == 1, problems
  assert sum(":8: link to 'images/missing.png'" in p for p in problems) == 1, problems
  assert any("#not-there" in p and ":9:" in p for p in problems)
  assert any("#nowhere" in p for p in problems)
  assert any("#repeated-2" in p for p in problems)
  assert not any("ignored" in p or "example.com" in p for p in problems)


def test_a_heading_in_a_code_block_is_no_anchor(tmp_path):
  (tmp_path / "b.md").write_text("# Real one\n\n```\n# not a heading\n```\n")
  problems = check_links(str(tmp_path / "a.md"), "[x](b.md#not-a-heading)\n",
                         read=lambda p: open(p).read())
  assert len(problems) == 1 and "#not-a-heading" in problems[0]


def test_github_slugs():
  assert github_slug("Offline, without `--data_dir`") == "offline-without---data_dir"
  assert github_slug("Reuse the generator in your own code") == \
      "reuse-the-generator-in-your-own-code"
  assert github_slug("Per flagfile: XLA, mixed precision, replicas") == \
      "per-flagfile-xla-mixed-precision-replicas"
  assert github_slug("SNGAN's ResNet pair") == "sngans-resnet-pair"
  assert github_slug("Results: edges to face") == "results-edges-to-face"
  assert anchors("# A\n## A\n## A\n") == {"a", "a-1", "a-2"}


COMMANDS = """Text `python -m tfgan.sample --workdir=DIR --bogus_inline=1 --num=4`.

```sh
python -m tfgan.train --flagfile=flags/mnist_dcgan.flags --workdir=runs/x \\
    --no_such_flag=3 --nodry_run --dataset=mnist | tee log --after_pipe
python -m tfgan.train --flagfile=flags/not_there.flags --nodataset  # --in_a_comment
python -m tfgan.evaluate --workdir=RUN --metrics=swd1k > out.txt --after_redirect
python -m tfgan.nosuchmodule --x
python -m tfgan.config.flags --anything
python benchmarks/no_such_benchmark.py --whatever
python benchmarks/throughput.py --no_xla
```
"""


def test_check_commands_reports_unknown_flags_modules_flagfiles_and_scripts(flags_of):
  problems = check_commands(os.path.join(REPO, "x.md"), COMMANDS, flags_of=flags_of)
  text = "\n".join(problems)
  assert "x.md:1: tfgan.sample has no flag --bogus_inline" in text, text
  assert "x.md:4: tfgan.train has no flag --no_such_flag" in text, text  # continued line
  assert "--nodataset" in text  # --no only negates booleans
  assert "flags/not_there.flags does not exist" in text
  assert "x.md:8: python -m tfgan.nosuchmodule: no such module" in text
  assert "no_such_benchmark.py: no such script" in text
  for fine in ("--nodry_run", "--dataset=", "--num", "after_pipe", "in_a_comment",
               "after_redirect", "tfgan.config.flags", "throughput.py", "mnist_dcgan.flags"):
    assert fine not in text, (fine, text)
  assert len(problems) == 6, text


# ---------------------------------------------------------------------------------------
# The commands a finished run prints (its `next:` lines) are held to the same rule


@pytest.mark.parametrize("family,settings", [
    ("gan", dict(dataset="mnist", data_dir="data/mnist")),
    ("gan", dict(dataset="folder", data_dir="faces")),
    ("pix2pix", dict(dataset="folder", data_dir="faces", pairs="edges")),
    ("cyclegan", dict(dataset="folder", data_dir="faces", domains="grey", holdout=10)),
    ("esrgan", dict(dataset="folder", data_dir="faces")),
    ("inpaint", dict(dataset="folder", data_dir="faces")),
])
def test_the_next_commands_a_run_prints_use_real_flags(family, settings, flags_of, tmp_path):
  from tfgan import config as config_lib
  from tfgan import models
  config = config_lib.make(family=family, metrics_cache_dir=str(tmp_path), **settings)
  lines = models.FAMILIES[family].next_commands(config, "runs/x")
  problems, found = [], 0
  for line in lines:
    for match in _COMMAND.finditer(line):
      found += 1
      problems += check_command(match.group(1), match.group(2), f"next: {line}", flags_of)
  assert found and not problems, "\n".join(problems)
