"""tfgan.styles and the StyleGAN2 parts of tfgan.sample: seeds' styles, the style-mixing grid,
interpolation in W, ws files."""

import numpy as np
import pytest

from conftest import run_cli
from tfgan import generation, images, styles


@pytest.fixture(scope="module")
def style_path(tmp_path_factory):
  from tfgan.networks import stylegan2
  g = stylegan2.StyleGAN2Generator(latent_dim=8, image_shape=(16, 16, 3), width=1 / 32)
  g.build(g.input_shapes())
  g.w_avg.assign(np.linspace(-1, 1, 8).astype(np.float32))
  path = str(tmp_path_factory.mktemp("style") / "generator.keras")
  g.save(path)
  return path


@pytest.fixture(scope="module")
def g(style_path):
  return generation.load_generator(style_path)


def test_a_seeds_styles_render_its_sample(g):
  ws = styles.seed_ws(g, [3, 5], psi=0.7)
  assert ws.shape == (2, g.num_ws, 8)
  z = np.concatenate([generation.latents(1, 8, 3), generation.latents(1, 8, 5)])
  np.testing.assert_allclose(styles.synthesize(g, ws), generation.generate(g, z, psi=0.7),
                             atol=1e-5)
  with pytest.raises(ValueError, match=r"ws must be \[N, 6, 8\]"):
    styles.synthesize(g, ws[:, :3])


def test_the_style_mixing_grid_takes_coarse_styles_from_rows_and_fine_from_columns(g):
  rows, cols = styles.seed_ws(g, [0, 1]), styles.seed_ws(g, [2, 3, 4])
  grid = styles.style_mix(g, rows, cols, cutoff=2)
  assert grid.shape == (3 * 4, 16, 16, 3)
  grid = grid.reshape(3, 4, 16, 16, 3)
  np.testing.assert_array_equal(grid[0, 0], -1.0)  # the blank corner
  np.testing.assert_allclose(grid[0, 1:], styles.synthesize(g, cols), atol=1e-5)
  np.testing.assert_allclose(grid[1:, 0], styles.synthesize(g, rows), atol=1e-5)
  for r in range(2):
    for c in range(3):
      mixed = np.concatenate([rows[r, :2], cols[c, 2:]])[None]
      want = np.asarray(g.synthesis(mixed, "const"))[0]
      np.testing.assert_allclose(grid[1 + r, 1 + c], want, atol=1e-5)
      assert np.abs(want - grid[1 + r, 0]).max() > 1e-3  # neither source unchanged
      assert np.abs(want - grid[0, 1 + c]).max() > 1e-3
  assert styles.default_cutoff(g) == 3
  with pytest.raises(ValueError, match=r"cutoff must be in 1\.\.5"):
    styles.style_mix(g, rows, cols, cutoff=6)


def test_w_interpolation_runs_on_straight_lines_between_its_ends():
  start, end = np.zeros((2, 4, 3), np.float32), np.ones((2, 4, 3), np.float32)
  end[1] = 3.0
  path = styles.interpolate_ws(start, end, 5).reshape(2, 5, 4, 3)
  np.testing.assert_allclose(path[:, 0], start)
  np.testing.assert_allclose(path[:, -1], end)
  np.testing.assert_allclose(path[1, 2], 1.5)


def test_ws_files_load_and_bad_ones_are_named(tmp_path, g):
  ws = styles.seed_ws(g, [1, 2])
  styles.save_ws(str(tmp_path / "ws.npz"), ws, loss="l2+ssim")
  np.testing.assert_array_equal(styles.load_ws(str(tmp_path / "ws.npz"), g), ws)
  np.savez(tmp_path / "w.npz", w=ws[:, 0])
  np.testing.assert_array_equal(styles.load_ws(str(tmp_path / "w.npz"), g), ws)
  np.savez(tmp_path / "z.npz", z=np.zeros((2, 8), np.float32))
  assert styles.load_ws(str(tmp_path / "z.npz"), g) is None
  np.savez(tmp_path / "bad.npz", ws=np.zeros((2, 5, 8), np.float32))
  with pytest.raises(ValueError, match=r"bad.npz: expected 'ws' of shape \[N, 6, 8\]"):
    styles.load_ws(str(tmp_path / "bad.npz"), g)


@pytest.mark.integration
def test_sample_writes_mixing_grids_w_walks_and_renders_projected_ws(tmp_path, style_path, g):
  # One process for the three uses of a ws file (TensorFlow's start-up is most of the cost):
  # --latents with ws rendered to --npz, then a style-mixing grid whose rows are those ws.
  ws = styles.seed_ws(g, [7, 8])
  styles.save_ws(str(tmp_path / "proj.npz"), ws)
  out = str(tmp_path / "mix.png")
  result = run_cli("tfgan.sample", f"--model={style_path}", f"--latents={tmp_path / 'proj.npz'}",
                   "--style_mix", "--mix_cols=3", "--mix_cutoff=2", f"--out={out}")
  assert result.returncode == 0, result.stderr[-2000:]
  import tensorflow as tf
  grid = tf.io.decode_png(open(out, "rb").read()).numpy()
  want = images.make_grid(styles.style_mix(g, ws, styles.seed_ws(g, [0, 1, 2]), 2), rows=3)
  np.testing.assert_allclose(grid, want, atol=1)
  walk = str(tmp_path / "walk.npz")
  result = run_cli("tfgan.sample", f"--model={style_path}", "--interpolate", "--space=w",
                   "--num=2", "--steps=3", "--truncation_psi=0.5", f"--npz={walk}")
  assert result.returncode == 0, result.stderr[-2000:]
  saved = np.load(walk)
  ends = styles.seed_ws(g, [0, 1, 2, 3], psi=0.5)
  np.testing.assert_allclose(saved["ws"].reshape(2, 3, 6, 8)[:, [0, 2]],
                             np.stack([ends[:2], ends[2:]], axis=1), atol=1e-5)
  np.testing.assert_allclose(saved["images"], styles.synthesize(g, saved["ws"]), atol=1e-5)
  refused = run_cli("tfgan.sample", f"--model={style_path}", "--style_mix", "--interpolate",
                    f"--out={tmp_path / 'x.png'}")
  assert refused.returncode != 0 and "--style_mix writes its own grid" in refused.stderr
