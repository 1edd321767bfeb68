"""Every command line fails the same way: one `tfgan.<cli>: error: ...` line naming the flag,
exit status 1, no traceback, no flag list, and for missing paths before TensorFlow loads."""

import os

import pytest

from conftest import run_module

# A `tensorflow` that cannot be imported: an error reported before TensorFlow loads still
# reads as itself, one reported after it would be an ImportError traceback.
_NO_TF = "import sys; sys.exit('tensorflow imported')\n"


@pytest.fixture(scope="module")
def no_tensorflow(tmp_path_factory):
  root = tmp_path_factory.mktemp("no_tf")
  (root / "tensorflow").mkdir()
  (root / "tensorflow" / "__init__.py").write_text(_NO_TF)
  return {"PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def _cases(tmp):
  empty = tmp / "empty"
  empty.mkdir(exist_ok=True)
  existing = tmp / "grid.png"
  existing.write_bytes(b"keep")
  return [
      ("tfgan.sample", [f"--workdir={tmp / 'missing'}", "--out=x.png"],
       f"--workdir={tmp / 'missing'}: no such folder."),
      ("tfgan.sample", [f"--workdir={empty}", "--out=x.png"],
       f"--workdir={empty} holds no generator.keras: a run writes it"),
      ("tfgan.sample", [f"--model={tmp / 'g.keras'}", "--out=x.png"],
       f"--model={tmp / 'g.keras'}: no such file."),
      ("tfgan.sample", [f"--workdir={empty}", f"--out={existing}"],
       f"{existing} exists; choose another path or pass --overwrite."),
      ("tfgan.sample", ["--out=x.png"], "give exactly one of --workdir or --model."),
      ("tfgan.sample", [f"--workdir={empty}", "--out=x.png", "extra"],
       "unexpected arguments ['extra']"),
      ("tfgan.sample", [f"--workdir={empty}", "--num=abc"],
       "flag --num=abc: invalid literal for int() with base 10: 'abc'"),
      ("tfgan.train", ["--no_such_setting=1"], "Unknown command line flag 'no_such_setting'"),
      ("tfgan.evaluate", [], "--workdir=DIR missing"),
      ("tfgan.evaluate", [f"--workdir={empty}"],
       f"--workdir={empty} holds no config.json: not a tfgan run directory"),
      ("tfgan.evaluate", [f"--workdir={tmp / 'missing'}"],
       f"--workdir={tmp / 'missing'}: no such folder."),
      ("tfgan.translate", [f"--workdir={empty}"], "--input and --output missing"),
      ("tfgan.translate", [f"--workdir={tmp / 'missing'}", "--input=a", "--output=b"],
       f"--workdir={tmp / 'missing'}: no such folder."),
      ("tfgan.train", ["--flagfile=flags/smoke.flags"], "--workdir is required"),
      ("tfgan.train", ["--flagfile=flags/smoke.flags", f"--workdir={tmp / 'run'}",
                       f"--data_dir={tmp / 'missing'}"], f"--data_dir={tmp / 'missing'}: no such folder."),
      ("tfgan.train", ["--flagfile=flags/smoke.flags", f"--workdir={tmp / 'run'}",
                       f"--data_dir={existing}"], f"--data_dir={existing}: a file; expected a folder."),
  ]


def test_cli_errors_are_one_line_naming_the_flag_before_tensorflow_loads(tmp_path,
                                                                          no_tensorflow):
  for cli, args, expected in _cases(tmp_path):
    result = run_module(cli, *args, env=no_tensorflow, timeout=60)
    lines = result.stderr.strip().splitlines()
    where = f"{cli} {args}: {result.stderr[-2000:]}"
    assert result.returncode == 1, where
    assert lines[0].startswith(f"{cli}: error: ") and expected in lines[0], where
    assert lines[1:] == [f"(python -m {cli} --help lists the flags)"], where
  assert (tmp_path / "grid.png").read_bytes() == b"keep"
