import os

import pytest

from tfgan import files


def test_write_replaces_whole_files_and_leaves_no_temporary(tmp_path):
  path = str(tmp_path / "sub" / "config.json")
  files.write(path, "first")
  files.write(path, b"second")
  assert open(path).read() == "second"
  assert os.listdir(tmp_path / "sub") == ["config.json"]


def test_a_failed_write_keeps_the_previous_file(tmp_path):
  path = str(tmp_path / "model.keras")
  files.write(path, "good")
  with pytest.raises(RuntimeError):
    with files.atomic_path(path) as tmp:
      assert tmp.endswith(".keras") and os.path.dirname(tmp) == str(tmp_path)
      open(tmp, "w").write("half")
      raise RuntimeError("disk full")
  assert open(path).read() == "good"
  assert os.listdir(tmp_path) == ["model.keras"]


def test_directories_are_replaced_after_the_new_one_is_complete(tmp_path):
  final = str(tmp_path / "saved_model")
  for version in ("v1", "v2"):
    with files.atomic_path(final) as tmp:
      os.makedirs(tmp)
      open(os.path.join(tmp, "saved_model.pb"), "w").write(version)
  assert open(os.path.join(final, "saved_model.pb")).read() == "v2"
  assert os.listdir(tmp_path) == ["saved_model"]


def test_append_line_adds_whole_rows(tmp_path):
  path = str(tmp_path / "metrics.jsonl")
  files.append_line(path, '{"step": 1}')
  files.append_line(path, '{"step": 2}\n')
  assert open(path).read() == '{"step": 1}\n{"step": 2}\n'


def test_a_crash_between_the_two_renames_of_a_directory_is_recovered(tmp_path, monkeypatch):
  final = str(tmp_path / "saved_model")
  with files.atomic_path(final) as tmp:
    os.makedirs(tmp)
    open(os.path.join(tmp, "saved_model.pb"), "w").write("good")
  real_replace, calls = os.replace, []

  def crash_on_second(src, dst):
    calls.append(dst)
    if len(calls) == 2:
      raise KeyboardInterrupt  # the machine dies after the old export moved aside
    real_replace(src, dst)

  monkeypatch.setattr(os, "replace", crash_on_second)
  with pytest.raises(KeyboardInterrupt):
    with files.atomic_path(final) as tmp:
      os.makedirs(tmp)
      open(os.path.join(tmp, "saved_model.pb"), "w").write("new")
  monkeypatch.setattr(os, "replace", real_replace)
  assert not os.path.exists(final) and os.path.isdir(files.previous_name(final))
  assert files.recover(str(tmp_path)) == [final]
  assert open(os.path.join(final, "saved_model.pb")).read() == "good"
  assert files.recover(str(tmp_path)) == []  # nothing left to recover
