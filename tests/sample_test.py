import numpy as np
import pytest
import tensorflow as tf

from conftest import run_cli
from tfgan import generation, images, networks


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
  g, _ = networks.build("dcgan", 16, (28, 28, 1), width=0.125, kernel_size=3)
  path = str(tmp_path_factory.mktemp("model") / "generator.keras")
  g.save(path)
  return path


@pytest.mark.integration
def test_grid_and_npz_are_reproducible(tmp_path, model_path):
  out, npz = str(tmp_path / "grid.png"), str(tmp_path / "s.npz")
  result = run_cli("tfgan.sample", f"--model={model_path}", "--num=6", f"--out={out}",
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
  # The same command again, with another seed, refuses to overwrite what it wrote: both
  # files keep their bytes. With --overwrite it replaces them with the new seed's images.
  before = {path: open(path, "rb").read() for path in (out, npz)}
  again = run_cli("tfgan.sample", f"--model={model_path}", "--num=6", f"--out={out}",
                     f"--npz={npz}", "--seed=4")
  assert again.returncode != 0 and f"{out} exists" in again.stderr
  # The .npz alone too (the PNG writer has a guard of its own; the .npz has only this one).
  # Refusals come before TensorFlow is imported: these runs take about a second.
  npz_only = run_cli("tfgan.sample", f"--model={model_path}", "--num=6", f"--npz={npz}",
                        "--seed=4")
  assert npz_only.returncode != 0 and f"{npz} exists" in npz_only.stderr
  assert {path: open(path, "rb").read() for path in (out, npz)} == before
  replaced = run_cli("tfgan.sample", f"--model={model_path}", "--num=6", f"--out={out}",
                        f"--npz={npz}", "--seed=4", "--overwrite")
  assert replaced.returncode == 0, replaced.stderr[-2000:]
  seed4 = generation.generate(generator, generation.latents(6, 16, 4))
  np.testing.assert_allclose(np.load(npz)["images"], seed4, atol=1e-5)
  np.testing.assert_allclose(tf.io.decode_png(open(out, "rb").read()).numpy(),
                             images.make_grid(seed4), atol=1)  # rounding to uint8 may differ
  assert open(out, "rb").read() != before[out]


def _tile(grid, row, col, size=28, padding=2):
  y, x = padding + row * (size + padding), padding + col * (size + padding)
  return grid[y:y + size, x:x + size].astype(np.int32)


@pytest.mark.integration
def test_interpolation_strip(tmp_path, model_path):
  out = str(tmp_path / "strip.png")
  result = run_cli("tfgan.sample", f"--model={model_path}", "--interpolate", "--num=2",
                      "--steps=5", f"--out={out}", "--seed=2")
  assert result.returncode == 0, result.stderr[-2000:]
  strip = tf.io.decode_png(open(out, "rb").read()).numpy()
  assert strip.shape == (2 * 30 + 2, 5 * 30 + 2, 1)
  # Row r runs from the image of latent r to that of latent rows + r of the seed's 4 latents.
  generator = generation.load_generator(model_path)
  ends = images.to_uint8(generation.generate(generator, generation.latents(4, 16, 2)))
  for row in range(2):
    np.testing.assert_allclose(_tile(strip, row, 0), ends[row], atol=1)
    np.testing.assert_allclose(_tile(strip, row, 4), ends[2 + row], atol=1)
    # The two ends differ (so a reversed row would fail), and the middle is neither end.
    assert np.abs(ends[row].astype(np.int32) - ends[2 + row]).max() > 2
    middle = _tile(strip, row, 2)
    assert np.abs(middle - ends[row]).max() > 1 and np.abs(middle - ends[2 + row]).max() > 1


def test_class_rows_put_one_class_per_row():
  # Labels sorted by class, ceil(num / classes) each: a grid of `classes` rows shows one
  # class per row (the last row short when num does not divide).
  np.testing.assert_array_equal(generation.class_rows(6, 3), [0, 0, 1, 1, 2, 2])
  np.testing.assert_array_equal(generation.class_rows(7, 3), [0, 0, 0, 1, 1, 1, 2])
  labels = generation.class_rows(20, 10)
  assert labels.dtype == np.int32
  grid_rows = np.arange(20) // 2  # make_grid(rows=10) puts images 2r, 2r + 1 in row r
  np.testing.assert_array_equal(labels, grid_rows)


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
  result = run_cli("tfgan.sample", f"--workdir={tmp_path}", "--out=x.png")
  assert result.returncode == 1
  assert f"--workdir={tmp_path} holds no generator.keras: a run writes it" in result.stderr


@pytest.mark.integration
def test_latents_files_render_again_and_bad_ones_are_named(tmp_path, model_path):
  # generation.sample + save_latents (what tfgan.demo's download writes) -> --latents renders
  # the same images; a conditional generator's labels travel in the file.
  generator = generation.load_generator(model_path)
  fake, z, labels, rows = generation.sample(generator, 5, seed=7)
  assert labels is None and rows is None and z.shape == (5, 16)
  npz = generation.save_latents(str(tmp_path / "z.npz"), fake, z, labels)
  out = str(tmp_path / "again.png")
  result = run_cli("tfgan.sample", f"--model={model_path}", f"--latents={npz}", f"--out={out}")
  assert result.returncode == 0, result.stderr[-2000:]
  np.testing.assert_allclose(tf.io.decode_png(open(out, "rb").read()).numpy(),
                             images.make_grid(fake), atol=1)
  np.savez(str(tmp_path / "bad.npz"), z=np.zeros((3, 15), np.float32))
  bad = run_cli("tfgan.sample", f"--model={model_path}", f"--latents={tmp_path}/bad.npz",
                f"--out={tmp_path}/bad.png")
  assert bad.returncode != 0
  assert f"{tmp_path}/bad.npz: expected latents 'z' of shape [N, 16]" in bad.stderr
  assert not (tmp_path / "bad.png").exists()


def test_conditional_sampling_rows_labels_and_latents_checks(tmp_path):
  g, _ = networks.build("dcgan", 8, (28, 28, 1), width=0.125, kernel_size=3, num_classes=3)
  fake, z, labels, rows = generation.sample(g, 6, seed=1)
  assert rows == 3 and labels.tolist() == [0, 0, 1, 1, 2, 2]
  np.testing.assert_allclose(fake, generation.generate(g, generation.latents(6, 8, 1), labels),
                             atol=1e-6)
  _, _, only, _ = generation.sample(g, 4, seed=1, label=2)
  assert only.tolist() == [2] * 4
  strip, zs, strip_labels = generation.interpolation(g, 2, 3, seed=0, label=1)
  assert strip.shape[0] == 6 and strip_labels.tolist() == [1] * 6
  with pytest.raises(ValueError, match=r"conditional on classes 0..2"):
    generation.sample(g, 2, label=3)
  path = generation.save_latents(str(tmp_path / "c.npz"), fake, z, labels)
  z_back, labels_back = generation.load_latents(path, g)
  np.testing.assert_array_equal(z_back, z)
  np.testing.assert_array_equal(labels_back, labels)
  np.savez(str(tmp_path / "nolabels.npz"), z=z)
  with pytest.raises(ValueError, match="conditional on 3 classes; expected 'labels'"):
    generation.load_latents(str(tmp_path / "nolabels.npz"), g)


def test_truncation_moves_stylegan2_samples_to_the_average_and_other_generators_refuse_it(
    tmp_path, model_path):
  from tfgan.networks import stylegan2
  g = stylegan2.StyleGAN2Generator(latent_dim=8, image_shape=(8, 8, 3), width=1 / 64)
  g.build(g.input_shapes())
  g.w_avg.assign(np.linspace(-1, 1, 8).astype(np.float32))
  path = str(tmp_path / "style.keras")
  g.save(path)
  result = run_cli("tfgan.sample", f"--model={path}", "--num=4", "--truncation_psi=0",
                   f"--npz={tmp_path / 'avg.npz'}")
  assert result.returncode == 0, result.stderr
  average = np.load(tmp_path / "avg.npz")["images"]
  np.testing.assert_allclose(average, np.broadcast_to(average[:1], average.shape), atol=1e-6)
  z = generation.latents(4, 8, 0)
  half = generation.generate(g, z, psi=0.5)
  w = g.mapping(z)
  want = g.synthesis(g.w_avg + 0.5 * (w - g.w_avg), "const")
  np.testing.assert_allclose(half, np.asarray(want), atol=1e-6)
  np.testing.assert_allclose(generation.generate(g, z), np.asarray(g(z)), atol=1e-6)
  result = run_cli("tfgan.sample", f"--model={model_path}", "--num=4", "--truncation_psi=0.7",
                   f"--out={tmp_path / 'x.png'}")
  assert result.returncode == 1
  assert "--truncation_psi: truncation_psi=0.7 needs a StyleGAN2 generator" in result.stderr
