import os

import numpy as np
import pytest
import tensorflow as tf

from conftest import run_module
from tfgan import generation, networks


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
  g, _ = networks.build("dcgan", 16, (28, 28, 1), width=0.125, kernel_size=3)
  path = str(tmp_path_factory.mktemp("model") / "generator.keras")
  g.save(path)
  return path


def test_grid_and_npz_are_reproducible(tmp_path, model_path):
  out, npz = str(tmp_path / "grid.png"), str(tmp_path / "s.npz")
  result = run_module("tfgan.sample", f"--model={model_path}", "--num=6", f"--out={out}",
                      f"--npz={npz}", "--seed=3")
  assert result.returncode == 0, result.stderr[-2000:]
  grid = tf.io.decode_png(open(out, "rb").read()).numpy()
  assert grid.shape == (3 * 30 + 2, 2 * 30 + 2, 1)  # 6 images -> 3 rows x 2 columns
  saved = np.load(npz)
  assert saved["images"].shape == (6, 28, 28, 1) and saved["z"].shape == (6, 16)
  assert saved["images"].min() >= -1 and saved["images"].max() <= 1
  generator = generation.load_generator(model_path)
  np.testing.assert_allclose(saved["images"], generation.generate(generator,
                                                                generation.latents(6, 16, 3)),
                             atol=1e-5)
  # The same command again refuses to overwrite what it wrote.
  again = run_module("tfgan.sample", f"--model={model_path}", "--num=6", f"--out={out}")
  assert again.returncode != 0 and "exists" in again.stderr


def test_interpolation_strip(tmp_path, model_path):
  out = str(tmp_path / "strip.png")
  result = run_module("tfgan.sample", f"--model={model_path}", "--interpolate", "--num=2",
                      "--steps=5", f"--out={out}")
  assert result.returncode == 0, result.stderr[-2000:]
  assert tf.io.decode_png(open(out, "rb").read()).numpy().shape == (2 * 30 + 2, 5 * 30 + 2, 1)


def test_slerp_keeps_endpoints_and_norm():
  z = generation.latents(2, 64, seed=0)
  path = generation.slerp(z[0], z[1], np.linspace(0, 1, 5))
  np.testing.assert_allclose(path[0], z[0], atol=1e-5)
  np.testing.assert_allclose(path[-1], z[1], atol=1e-5)
  norms = np.linalg.norm(path, axis=-1)
  assert norms.min() > 0.9 * min(np.linalg.norm(z, axis=-1))  # a line would dip to ~0.7x
  rows = generation.interpolation_latents(3, 4, 64, seed=1)
  assert rows.shape == (12, 64)


def test_missing_generator_is_explained(tmp_path):
  with pytest.raises(FileNotFoundError, match="no saved generator"):
    generation.load_generator(str(tmp_path))
  result = run_module("tfgan.sample", f"--workdir={tmp_path}", "--out=x.png")
  assert result.returncode != 0 and "no saved generator" in result.stderr
