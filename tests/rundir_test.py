import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import snapshot
from tfgan import config as config_lib
from tfgan import rundir

GAN_FIELDS = ("latent_dim", "conditional")


def test_prepare_records_resumes_sets_aside_and_refuses(tmp_path):
  workdir = str(tmp_path / "run")
  run = rundir.RunDir(workdir)
  config = config_lib.make(train_steps=10)
  assert run.prepare(config, GAN_FIELDS) is True
  assert json.load(open(run.path(rundir.CONFIG))) == config.to_dict()
  assert run.prepare(config, GAN_FIELDS) is False  # the same config: nothing written
  # A longer run of the same architecture resumes; the old config is kept, numbered.
  assert run.prepare(config.replace(train_steps=20), GAN_FIELDS) is True
  assert json.load(open(os.path.join(workdir, "config.1.json")))["train_steps"] == 10
  assert json.load(open(run.path(rundir.CONFIG)))["train_steps"] == 20
  before = snapshot(workdir)
  with pytest.raises(rundir.WorkdirError, match="latent_dim: 100 in the directory, 8 now"):
    run.prepare(config.replace(latent_dim=8), GAN_FIELDS)
  with pytest.raises(rundir.WorkdirError, match="width: 1.0 in the directory, 0.5 now"):
    run.prepare(config.replace(width=0.5), GAN_FIELDS)  # a shared architecture field
  assert snapshot(workdir) == before


def test_a_recorded_config_without_newer_settings_takes_their_defaults(tmp_path):
  workdir = tmp_path / "old"
  workdir.mkdir()
  old = config_lib.Config().to_dict()
  del old["family"]  # written before families existed
  (workdir / "config.json").write_text(json.dumps(old))
  run = rundir.RunDir(str(workdir))
  assert run.prepare(config_lib.Config(), GAN_FIELDS) is True
  assert json.load(open(workdir / "config.1.json")) == old


def test_foreign_or_unreadable_directories_are_refused_untouched(tmp_path):
  photos = tmp_path / "photos"
  photos.mkdir()
  (photos / "holiday.jpg").write_bytes(b"precious")
  with pytest.raises(rundir.WorkdirError, match="not a tfgan run directory"):
    rundir.RunDir(str(photos)).prepare(config_lib.Config())
  assert os.listdir(photos) == ["holiday.jpg"]
  broken = tmp_path / "broken"
  broken.mkdir()
  (broken / "config.json").write_text("{not json")
  with pytest.raises(rundir.WorkdirError, match="unreadable run config"):
    rundir.RunDir(str(broken)).prepare(config_lib.Config())


def test_classes_are_recorded_and_a_changed_mapping_is_kept_or_refused(tmp_path):
  run = rundir.RunDir(str(tmp_path))
  run.record_classes(("cats", "dogs"), "photos/", labels_matter=True)
  assert json.load(open(run.path(rundir.CLASSES))) == {"cats": 0, "dogs": 1}
  with pytest.raises(rundir.WorkdirError, match="maps labels to other class folders"):
    run.record_classes(("cats", "wolves"), "photos/", labels_matter=True)
  run.record_classes(("cats", "wolves"), "photos/", labels_matter=False)
  assert json.load(open(tmp_path / "classes.1.json")) == {"cats": 0, "dogs": 1}
  assert json.load(open(run.path(rundir.CLASSES))) == {"cats": 0, "wolves": 1}


def _objects():
  net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
  optimizer = keras.optimizers.Adam(0.1)
  optimizer.build(net.trainable_variables)
  return {"net": net, "optimizer": optimizer}


def test_checkpoints_save_restore_and_keep_the_best(tmp_path):
  run = rundir.RunDir(str(tmp_path))
  objects = _objects()
  run.attach(objects, keep=2)
  assert run.restore() is None  # nothing yet
  net = objects["net"]
  for step in (1, 2, 3):
    net.layers[0].kernel.assign(np.full((3, 2), float(step), np.float32))
    run.save(step)
  assert run.save(3).endswith("ckpt-3")  # saving a step twice keeps one checkpoint
  assert sorted(f for f in os.listdir(run.path(rundir.CHECKPOINTS)) if f.endswith(".index")) == [
      "ckpt-2.index", "ckpt-3.index"]  # keep=2
  assert run.best_value() is None
  run.save_best(2, "fid1k", 12.5)
  assert run.best_value() == 12.5
  assert json.load(open(run.path(rundir.BEST))) == {"step": 2, "metric": "fid1k", "value": 12.5}
  assert tf.train.latest_checkpoint(run.path(rundir.BEST_CHECKPOINT)).endswith("ckpt-2")

  fresh = rundir.RunDir(str(tmp_path))
  restored = _objects()
  fresh.attach(restored)
  assert fresh.restore().endswith("ckpt-3")
  np.testing.assert_array_equal(restored["net"].layers[0].kernel.numpy(), 3.0)
  # Objects that do not match the checkpoint are an error, not a silent partial restore.
  mismatched = rundir.RunDir(str(tmp_path))
  mismatched.attach({"other": keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])})
  with pytest.raises(rundir.WorkdirError, match=r"holds \['net', 'optimizer'\]"):
    mismatched.restore()
  wider = rundir.RunDir(str(tmp_path))
  wider.attach({"net": keras.Sequential([keras.Input((3,)), keras.layers.Dense(5)]),
                "optimizer": _objects()["optimizer"]})
  with pytest.raises(rundir.WorkdirError, match="does not hold this model's variables"):
    wider.restore()


def test_metric_rows_append_and_survive_a_torn_line(tmp_path):
  run = rundir.RunDir(str(tmp_path))
  run.append_metrics({"step": 2, "loss": 1.5})
  with open(run.path(rundir.METRICS), "a") as f:
    f.write('{"step": 4, "lo')  # a crash in the middle of a row
  run.append_metrics({"step": 6, "loss": 1.0})
  # Only the torn row is lost; the row after it starts on a line of its own.
  assert [r["step"] for r in run.metric_rows()] == [2, 6]
  assert run.last_step() == 6
  # A run stopped by SIGTERM at step 9 checkpointed and exported there, after its last row.
  os.makedirs(run.path(rundir.CHECKPOINTS))
  for name in ("ckpt-9.index", "ckpt-4.index"):
    open(os.path.join(run.path(rundir.CHECKPOINTS), name), "w").close()
  assert run.last_step() == 9


def test_a_worker_writes_a_temporary_directory_and_never_the_chiefs(tmp_path):
  workdir = str(tmp_path / "run")
  chief = rundir.RunDir(workdir)
  chief.prepare(config_lib.Config())
  chief.attach(_objects())
  chief.save(5)
  worker = rundir.RunDir(workdir, chief=False)
  assert worker.out != workdir and os.path.isdir(worker.out)
  before = snapshot(workdir)
  assert worker.prepare(config_lib.make(train_steps=9)) is False
  worker.record_classes(("a", "b"), "x", labels_matter=True)
  worker.append_metrics({"step": 1})
  worker.attach(_objects())
  assert worker.restore().endswith("ckpt-5")  # resumes from the chief's checkpoints
  worker.save(6)
  assert os.path.exists(os.path.join(worker.out, "checkpoints", "ckpt-6.index"))
  assert snapshot(workdir) == before
  worker.cleanup()
  assert not os.path.exists(worker.out)
  chief.cleanup()
  assert os.path.isdir(workdir)  # the chief's directory is never removed


def test_a_truncated_newest_checkpoint_falls_back_to_the_older_one(tmp_path):
  run = rundir.RunDir(str(tmp_path))
  objects = _objects()
  run.attach(objects)
  for step in (4, 6):
    objects["net"].layers[0].kernel.assign(np.full((3, 2), float(step), np.float32))
    run.save(step)
  data_file = run.path(rundir.CHECKPOINTS) + "/ckpt-6.data-00000-of-00001"
  with open(data_file, "r+b") as f:
    f.truncate(10)  # the machine died while writing it
  resumed, lines = rundir.RunDir(str(tmp_path)), []
  restored = _objects()
  resumed.attach(restored)
  assert resumed.restore(log=lines.append).endswith("ckpt-4")
  np.testing.assert_array_equal(restored["net"].layers[0].kernel.numpy(), 4.0)
  assert "ckpt-6 cannot be restored" in lines[0]
  # The bad files are kept for inspection under another name, and never read again.
  names = sorted(os.listdir(run.path(rundir.CHECKPOINTS)))
  assert "ckpt-6.unreadable.index" in names and "ckpt-6.index" not in names
  assert resumed.save(6).endswith("ckpt-6")  # the step can be saved afresh
  # When no checkpoint restores (here: every index truncated), the run stops and says so.
  for name in ("ckpt-4.index", "ckpt-6.index"):
    with open(os.path.join(run.path(rundir.CHECKPOINTS), name), "r+b") as f:
      f.truncate(20)
  stranded = rundir.RunDir(str(tmp_path))
  stranded.attach(_objects())
  with pytest.raises(rundir.WorkdirError, match="no checkpoint in .* can be restored"):
    stranded.restore(log=lambda line: None)
  with pytest.raises(rundir.WorkdirError, match="no checkpoint"):  # nor silently next time
    stranded.restore(log=lambda line: None)


def test_state_added_since_a_checkpoint_starts_fresh_and_is_named(tmp_path):
  run = rundir.RunDir(str(tmp_path))
  objects = _objects()
  run.attach(objects)
  run.save(1)
  newer = rundir.RunDir(str(tmp_path))
  counter = tf.Variable(0, dtype=tf.int64)
  newer.attach({**_objects(), "counter": counter})
  lines = []
  assert newer.restore(log=lines.append).endswith("ckpt-1")
  assert "holds no ['counter']" in lines[0] and int(counter.numpy()) == 0


def test_non_finite_weights_are_never_saved(tmp_path):
  run = rundir.RunDir(str(tmp_path))
  objects = _objects()
  run.attach(objects, keep=1)
  run.save(1)
  objects["net"].layers[0].kernel.assign(np.full((3, 2), np.nan, np.float32))
  with pytest.raises(rundir.NonFiniteError, match="step 2: net variable .*kernel"):
    run.save(2)
  with pytest.raises(rundir.NonFiniteError):
    run.save_best(2, "fid1k", 1.0)
  # keep=1 would have deleted ckpt-1 for a ckpt-2: the last good checkpoint is still there.
  assert run.latest_checkpoint().endswith("ckpt-1") and run.best_value() is None
