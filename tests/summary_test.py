"""WORKDIR/summary.png (tfgan.summary): the curves of whatever keys metrics.jsonl holds (GAN and
image-to-image runs), evaluations over steps or a note that there are none, sample grids from
first to last; tfgan.sample --summary rewrites it atomically. The trainer writes it at the end
of each run: tests/trainer_test.py checks that on its own runs."""

import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli, write_image
from tfgan import rundir, summary


def _make_run(root, rows, sample_steps=()):
  """A run directory holding metrics.jsonl `rows` and 8x8 grey sample grids of `sample_steps`."""
  os.makedirs(root, exist_ok=True)
  with open(os.path.join(root, rundir.METRICS), "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in rows)
  for step in sample_steps:
    write_image(os.path.join(root, rundir.SAMPLES, f"step_{step:07d}.png"),
                np.full((8, 8, 1), step % 256, np.uint8))
  return str(root)


def _gan_rows(steps=(100, 200, 300)):
  rows = [{"step": s, "d_loss": 1.4 - s / 1000, "g_loss": 0.7 + s / 1000, "d_real": 0.6,
           "d_fake": 0.4, "images_per_sec": 500.0, "wall_sec": s / 10} for s in steps]
  return rows + [{"step": 200, "eval_split": "/data (10 images)", "eval/swd1k": 40.0,
                  "eval/swd1k_28px": 30.0}, {"step": 300, "eval/swd1k": 35.0,
                                             "eval/swd1k_28px": 28.0}]


def _labels(ax):
  return [line.get_label() for line in ax.get_lines()]


@pytest.mark.integration
def test_a_gan_summary_shows_losses_d_outputs_evaluations_and_grids(tmp_path):
  workdir = _make_run(tmp_path / "run", _gan_rows(), sample_steps=range(0, 700, 100))
  fig = summary.figure(workdir)
  axes = fig.axes
  assert _labels(axes[0]) == ["d_loss", "g_loss"]  # bookkeeping keys are no curves
  assert _labels(axes[1]) == ["D(x) (d_real)", "D(G(z)) (d_fake)"]
  assert [a.get_title() for a in axes[2:4]] == ["swd1k", "swd1k_28px"]
  np.testing.assert_array_equal(axes[2].get_lines()[0].get_xdata(), [200, 300])
  # 7 grids: the first, the last and two between, in step order.
  assert [a.get_title() for a in axes[6:] if a.get_title()] == [
      "step 0", "step 200", "step 400", "step 600"]
  path = summary.write_summary(workdir)
  assert path == os.path.join(workdir, "summary.png")
  image = Image.open(path)
  image.verify()
  assert image.format == "PNG" and image.size == (1400, 1000)
  assert 20_000 < os.path.getsize(path) < 2_000_000


def test_an_image_to_image_run_without_evaluations_gets_its_own_keys(tmp_path):
  rows = [{"step": s, "d_loss": 0.5, "g_gan": 2.0, "l1": 0.3 - s / 1e4, "d_real": 0.7,
           "d_fake": 0.2, "images_per_sec": 3.0, "wall_sec": 1.0} for s in (10, 20)]
  workdir = _make_run(tmp_path / "run", rows)  # no evaluation rows, no samples yet
  fig = summary.figure(workdir)
  assert _labels(fig.axes[0]) == ["d_loss", "g_gan", "l1"]
  texts = [t.get_text() for a in fig.axes for t in a.texts]
  assert any(t.startswith("no evaluation rows") for t in texts)
  assert "no sample grids in samples/" in texts
  Image.open(summary.write_summary(workdir)).verify()
  with pytest.raises(FileNotFoundError, match="no metrics.jsonl rows and no samples"):
    summary.write_summary(str(tmp_path))


@pytest.mark.integration
def test_sample_summary_rewrites_the_file_atomically(tmp_path, monkeypatch):
  workdir = _make_run(tmp_path / "run", _gan_rows((100, 200)), sample_steps=(100, 200))
  result = run_cli("tfgan.sample", f"--workdir={workdir}", "--summary")
  assert result.returncode == 0, result.stderr[-2000:]
  path = os.path.join(workdir, "summary.png")
  first = open(path, "rb").read()
  # More rows: writing again (what the command calls, here in process: a second CLI start
  # costs ~10 s) replaces the file with the new picture.
  with open(os.path.join(workdir, rundir.METRICS), "a") as f:
    f.write(json.dumps({"step": 300, "d_loss": 3.0, "g_loss": 0.1, "d_real": 0.9,
                        "d_fake": 0.1}) + "\n")
  summary.write_summary(workdir)
  second = open(path, "rb").read()
  assert second != first and Image.open(io.BytesIO(second)).size == (1400, 1000)
  # A write that fails midway (here: flushing to disk) leaves the previous summary whole,
  # and no temporary file.
  def fail(fd):
    raise OSError("disk full")
  monkeypatch.setattr(os, "fsync", fail)
  with pytest.raises(OSError, match="disk full"):
    summary.write_summary(workdir)
  monkeypatch.undo()
  assert open(path, "rb").read() == second
  assert sorted(os.listdir(workdir)) == ["metrics.jsonl", "samples", "summary.png"]
