"""Every notebook runs top to bottom (nbclient) with tiny settings on data the tests write."""

import glob
import json
import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO

NOTEBOOKS = sorted(glob.glob(os.path.join(REPO, "notebooks", "*.ipynb")))
NAMES = [os.path.basename(p)[:-len(".ipynb")] for p in NOTEBOOKS]

# Settings a CPU trains in seconds; everything else comes from each notebook's flagfile.
TINY = {"train_steps": 4, "width": 0.125, "latent_dim": 16, "kernel_size": 3, "batch_size": 8,
        "log_every": 2, "sample_every": 2, "checkpoint_every": 2, "num_samples": 16,
        "shuffle_buffer": 64}


# pix2pix on a folder of 12 photos the test writes, 16x16.
TINY_TRANSLATION = {"train_steps": 4, "lr_decay_start": 2, "width": 0.125, "image_size": 16,
                    "batch_size": 4, "d_layers": 1, "holdout": 4, "log_every": 2,
                    "sample_every": 2, "checkpoint_every": 2, "num_samples": 3,
                    "eval_every": 4}


def _photos(root, n=12):
  from conftest import write_image
  import numpy as np
  rng = np.random.default_rng(0)
  for i in range(n):
    write_image(os.path.join(root, f"{i:02d}.png"),
                rng.integers(0, 256, (20, 18, 3), dtype=np.uint8))
  return root


def _parameters(name, tmp_path, idx_dir):
  run = str(tmp_path / "run")
  values = {"DATA_DIR": idx_dir, "OVERRIDES": TINY}
  if name == "translate":
    return {"DATA_DIR": _photos(str(tmp_path / "photos")), "OVERRIDES": TINY_TRANSLATION,
            "RUN_DIR": run}
  if name == "quickstart":
    values["WORKDIR"] = run
  else:
    values["RUN_DIR"] = run
  if name in ("quickstart", "evaluate", "reuse"):
    # flags/mnist_dcgan.flags' clusters, as 4: the tiny fixture has 128 noise images.
    values["OVERRIDES"] = {**TINY, "clusters": 4}
  if name == "evaluate":
    values.update(OVERRIDES={**values["OVERRIDES"], "eval_metrics": "classifier1k",
                             "eval_every": 2},
                  CACHE_DIR=str(tmp_path / "cache"), CLASSIFIER_EPOCHS=1,
                  # Offline the Inception download fails; the classifier metrics still run.
                  FID_METRICS="")
  return values


def _read(path):
  with open(path) as f:
    return nbformat.read(f, as_version=4)


def test_the_four_notebooks_of_the_issue_exist():
  assert NAMES == ["conditional", "evaluate", "quickstart", "reuse", "translate"]


@pytest.mark.integration
@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_runs_top_to_bottom(path, tmp_path, idx_dir, monkeypatch):
  name = os.path.basename(path)[:-len(".ipynb")]
  nb = _read(path)
  tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
  assert len(tagged) == 1, "one cell tagged 'parameters'"
  values = _parameters(name, tmp_path, idx_dir)
  source = nb.cells[tagged[0]].source
  for key in values:
    assert re.search(rf"^{key} = ", source, re.M), f"{key} is not a parameter of {name}"
  injected = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in values.items()))
  nb.cells.insert(tagged[0] + 1, injected)
  # The kernel inherits the environment: tfgan from this checkout, quiet TensorFlow.
  monkeypatch.setenv("PYTHONPATH", REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
  monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
  monkeypatch.setenv("TFGAN_CACHE_DIR", str(tmp_path / "cache"))
  client = NotebookClient(nb, timeout=600, kernel_name="python3",
                          resources={"metadata": {"path": os.path.dirname(path)}})
  client.execute()  # raises CellExecutionError, with the cell and traceback, on failure
  outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                    for o in c.get("outputs", []))
  assert "Traceback" not in outputs
  assert os.path.isfile(os.path.join(tmp_path, "run", "generator.keras"))
  if name == "quickstart":  # ends by embedding the demo, on this machine
    assert "the demo serves http://127.0.0.1:" in outputs
  if name == "translate":
    assert os.path.isfile(os.path.join(tmp_path, "run", "translated", "11.png"))
    rows = [json.loads(line) for line in open(tmp_path / "run" / "metrics.jsonl")]
    assert "eval/psnr_rgb" in rows[-1] and "eval_input_itself/psnr_rgb" in rows[-1]
  if name == "evaluate":
    rows = [json.loads(line) for line in open(tmp_path / "run" / "metrics.jsonl")]
    assert sum("eval/classifier1k_kl_uniform" in r for r in rows) >= 2  # during and after


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_has_a_badge_explains_each_step_and_copies_no_training_code(path):
  nb = _read(path)
  name = os.path.basename(path)
  assert nb.cells[0].cell_type == "markdown"
  badge = re.search(r"\(https://colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/blob/main/"
                    r"notebooks/([\w.]+)\)", nb.cells[0].source)
  assert badge and badge.group(2) == name, "an Open in Colab badge for this notebook"
  params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
  assert f'TFGAN_GIT = "https://github.com/{badge.group(1)}"' in params.source
  for i, cell in enumerate(nb.cells):
    if cell.cell_type == "code":
      assert nb.cells[i - 1].cell_type == "markdown", f"cell {i} needs a sentence of intent"
      assert not cell.get("outputs"), f"cell {i}: commit notebooks without outputs"
      for copied in (r"GradientTape", r"\btrain_step\b", r"apply_gradients", r"\.fit\("):
        assert not re.search(copied, cell.source), f"cell {i} copies training code ({copied})"
