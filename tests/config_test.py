import ast
import dataclasses
import glob
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO
from tfgan import config as config_lib


def _write(tmp_path, text, name="x.flags"):
  path = tmp_path / name
  path.write_text(text)
  return str(path)


def test_from_flagfile_parses_types_booleans_comments_and_overrides(tmp_path):
  path = _write(tmp_path, "# header\n--dataset=folder\n--width=0.5\n--batch_size=16\n"
                          "--conditional\n--nominibatch_std\n--skip_bad_images=true\n\n"
                          "--diffaugment=color,translation\n")
  config = config_lib.from_flagfile(path, batch_size=8)
  assert config.data.dataset == "folder" and config.model.width == 0.5 and config.gan.conditional
  assert config.gan.minibatch_std is False and config.data.skip_bad_images is True
  assert config.objective.diffaugment == "color,translation"
  assert config.optimization.batch_size == 8  # the override wins
  # unset fields keep the defaults
  assert config.optimization.g_lr == config_lib.Config().optimization.g_lr


def test_from_flagfile_follows_nested_flagfiles(tmp_path, monkeypatch):
  # As absl does: the nested path is relative to the working directory.
  monkeypatch.chdir(tmp_path)
  _write(tmp_path, "--width=0.25\n--train_steps=9\n", "base.flags")
  path = _write(tmp_path, "--flagfile=base.flags\n--train_steps=11\n")
  config = config_lib.from_flagfile(path)
  assert config.model.width == 0.25 and config.optimization.train_steps == 11


@pytest.mark.integration
def test_a_nested_flagfile_changes_only_what_it_sets_in_the_library_and_the_cli(tmp_path,
                                                                                monkeypatch):
  # top.flags sets width, then includes base.flags, which sets only train_steps: width stays
  # 0.5 (the old hand parser merged base's whole Config, defaults included, and gave 1.0).
  _write(tmp_path, "--train_steps=7\n", "base.flags")
  top = _write(tmp_path, "--width=0.5\n--flagfile=base.flags\n", "top.flags")
  monkeypatch.chdir(tmp_path)
  config = config_lib.from_flagfile(top)
  assert config.model.width == 0.5 and config.optimization.train_steps == 7
  cli = subprocess.run([sys.executable, "-m", "tfgan.train", "--flagfile=top.flags",
                        "--dry_run"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3"))
  assert cli.returncode == 0, cli.stderr[-2000:]
  assert config_lib.from_dict(json.loads(cli.stdout)) == config


@pytest.mark.parametrize("text, message", [
    ("--workdir=/tmp/x\n", ":1: --workdir is not a tfgan.Config setting"),
    ("--width=wide\n", ":1: --width takes a float, got 'wide'"),
    ("# c\n--conditional=maybe\n", ":2: --conditional takes true or false"),
    ("width=1\n", ":1: expected --name=value"),
])
def test_from_flagfile_names_the_line_at_fault(tmp_path, text, message):
  path = _write(tmp_path, text)
  with pytest.raises(ValueError, match=message.replace("(", r"\(")):
    config_lib.from_flagfile(path)


def test_a_fault_in_a_nested_flagfile_names_that_file(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  _write(tmp_path, "# base\n--batch_size=big\n", "base.flags")
  path = _write(tmp_path, "--width=0.5\n--flagfile=base.flags\n")
  with pytest.raises(ValueError, match=r"base.flags:2: --batch_size takes a int, got 'big'"):
    config_lib.from_flagfile(path)


@pytest.mark.parametrize("field, value", [("strategy", "horovod"),
                                          ("mixed_precision", "float16"),
                                          ("jit_compile", "yes")])
def test_closed_choices_are_validated_by_name(field, value):
  with pytest.raises(ValueError, match=f"{field} must be one of"):
    config_lib.check(config_lib.make(**{field: value}))


@pytest.mark.parametrize("changes, message", [
    (dict(batch_size=0), "batch_size must be a positive integer"),
    (dict(log_every=3, steps_per_execution=2), "log_every=3 must be a multiple"),
    (dict(eval_metrics="fid1k"), "eval_metrics needs eval_every"),
    (dict(best_metric="fid1k"), "best_metric 'fid1k' needs eval_metrics"),
    (dict(beta_1=1.0), r"beta_1 must be in \[0, 1\)"),
    (dict(eval_data_dir="held"), "eval_data_dir needs eval_metrics"),
    (dict(eval_data_dir="held", eval_metrics="swd1k", eval_every=2, family="pix2pix"),
     "eval_data_dir applies to the noise-to-image families"),
    (dict(eval_data_dir="faces/", data_dir="faces", eval_metrics="swd1k", eval_every=2),
     "eval_data_dir faces/ is the data_dir the run trains on"),
])
def test_ranges_and_cadences_are_checked_by_name(changes, message):
  with pytest.raises(ValueError, match=message):
    config_lib.check(config_lib.make(**changes))


def test_sections_are_flat_for_flags_and_files():
  config = config_lib.make(width=0.5, dataset="folder", ema_kimg=2.0)
  flat = config.to_dict()
  assert flat["width"] == 0.5 and flat["dataset"] == "folder" and flat["ema_kimg"] == 2.0
  assert set(flat) == set(config_lib.FIELDS)
  assert config_lib.from_dict(flat) == config
  assert config.replace(width=0.25).model.width == 0.25 and config.model.width == 0.5
  with pytest.raises(ValueError, match=r"Unknown config keys \['widht'\]"):
    config.replace(widht=1)


def test_config_package_imports_nothing_else_from_tfgan():
  # Its own imports (static), and at run time in a fresh interpreter: no TensorFlow either
  # where the CLIs import it (tfgan imported as the parent of `python -m tfgan.train`, when
  # sys.argv[0] is "-m"; a plain `import tfgan` registers the networks, so loads TensorFlow).
  folder = os.path.join(REPO, "tfgan", "config")
  for path in glob.glob(os.path.join(folder, "*.py")):
    for node in ast.walk(ast.parse(open(path).read())):
      if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tfgan"):
        assert node.module.startswith("tfgan.config"), (path, node.module)
      if isinstance(node, ast.Import):
        assert not any(a.name.startswith("tfgan") for a in node.names), path
  code = ("import sys; sys.argv[0] = '-m'; import tfgan.config; "
          "mods = sorted(m for m in sys.modules if m.startswith('tfgan')); print(mods); "
          "assert all(m == 'tfgan' or m.startswith('tfgan.config') for m in mods), mods; "
          "assert 'tensorflow' not in sys.modules")
  result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
  assert result.returncode == 0, result.stdout + result.stderr[-2000:]


def test_every_section_field_has_help_and_a_plain_type():
  for section in config_lib.SECTIONS.values():
    for f in dataclasses.fields(section):
      assert f.metadata["help"] and f.type in (bool, int, float, str), f.name
