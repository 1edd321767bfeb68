"""tfgan.projection and tfgan.project: NVlabs' schedule, the noise regulariser, projection
lowering its loss on a reachable target, the files it writes, bad inputs."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from conftest import run_cli
from tfgan import generation, projection, styles


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
  import keras
  from tfgan.networks import stylegan2
  keras.utils.set_random_seed(4)
  g = stylegan2.StyleGAN2Generator(latent_dim=8, image_shape=(16, 16, 3), width=1 / 32)
  g.build(g.input_shapes())
  path = tmp_path_factory.mktemp("style")
  g.save(str(path / "generator.keras"))
  return str(path)


@pytest.fixture(scope="module")
def g(run_dir):
  return generation.load_generator(run_dir)


def test_the_schedule_is_nvlabs_ramps():
  c = projection.ProjectionConfig(steps=1000)
  lr, noise = projection.schedule(0, c)
  assert lr == 0.0 and noise == pytest.approx(0.05)
  lr, noise = projection.schedule(25, c)  # half way up the 5% ramp
  assert lr == pytest.approx(0.05) and noise == pytest.approx(0.05 * (1 - 0.025 / 0.75) ** 2)
  assert projection.schedule(500, c)[0] == pytest.approx(0.1)
  lr, noise = projection.schedule(875, c)  # half way down the cosine
  assert lr == pytest.approx(0.05) and noise == 0.0


def test_the_noise_regulariser_sums_autocorrelations_over_scales():
  ones = tf.ones([2, 16, 16, 1])  # correlation 1 per axis at 16 and 8 px: 2 x 2
  np.testing.assert_allclose(projection.noise_regularization([ones]).numpy(), [4.0, 4.0])
  checker = tf.constant(np.indices((16, 16)).sum(0) % 2 * 2.0 - 1, tf.float32)[None, ..., None]
  # -1 per axis at 16 px; pooled to 8 px it is 0.
  np.testing.assert_allclose(projection.noise_regularization([checker]).numpy(), [2.0])


def test_projection_lowers_its_loss_and_raises_psnr_on_a_reachable_target(g):
  rng = np.random.default_rng(0)
  ws = np.asarray(g.mapping(rng.standard_normal((2, 8)).astype(np.float32)))
  target = np.asarray(g.synthesis(ws, "const"))
  config = projection.ProjectionConfig(steps=60, w_avg_samples=500)
  result = projection.project(g, target, config)
  assert result["ws"].shape == (2, g.num_ws, 8) and result["loss"].shape == (60, 2)
  first, last = result["psnr"][:5].mean(0), result["psnr"][-5:].mean(0)
  assert (last > first + 3.0).all(), (first, last)
  assert (result["loss"][-5:].mean(0) < 0.5 * result["loss"][:5].mean(0)).all()
  for maps in result["noise"]:  # renormalised after every step
    np.testing.assert_allclose(maps.mean(axis=(1, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose((maps ** 2).mean(axis=(1, 2, 3)), 1.0, atol=1e-4)
  start = np.asarray(g.synthesis(np.repeat(projection.w_statistics(g, 500)[0][None, None],
                                           g.num_ws, 1).repeat(2, 0), "const"))
  # Nearer the target than where it started (w_avg), in pixels.
  assert np.mean((result["images"] - target) ** 2) < 0.5 * np.mean((start - target) ** 2)
  plus = projection.project(g, target[:1], projection.ProjectionConfig(
      steps=3, w_avg_samples=500, w_plus=True, pixel_loss="l1"))
  assert plus["ws"].shape == (1, g.num_ws, 8)
  assert np.abs(plus["ws"][0, 0] - plus["ws"][0, -1]).max() > 0  # one w per layer


def _write_images(folder, g, n=2):
  from PIL import Image
  os.makedirs(folder, exist_ok=True)
  rng = np.random.default_rng(1)
  ws = np.asarray(g.mapping(rng.standard_normal((n, 8)).astype(np.float32)))
  x = np.asarray(g.synthesis(ws, "const"))
  for i in range(n):  # 20x24 photos: framed (centre square, resized) to 16x16
    big = tf.image.resize(x[i:i + 1], (20, 20)).numpy()[0]
    photo = np.pad(np.clip((big + 1) * 127.5, 0, 255).astype(np.uint8), ((2, 2), (0, 0), (0, 0)))
    Image.fromarray(photo).save(os.path.join(folder, f"face{i}.png"))


def test_project_files_writes_reconstructions_ws_and_scores_and_keeps_existing_ones(
    tmp_path, run_dir, g):
  photos, out = str(tmp_path / "photos"), str(tmp_path / "out")
  _write_images(photos, g)
  config = projection.ProjectionConfig(steps=8, w_avg_samples=200)
  lines = []
  rows = projection.project_files(run_dir, photos, out, config, log=lines.append)
  assert sorted(os.listdir(out)) == ["face0.npz", "face0.png", "face0_target.png", "face1.npz",
                                     "face1.png", "face1_target.png", "projection.json"]
  assert [r["input"] for r in rows] == [os.path.join(photos, f"face{i}.png") for i in range(2)]
  assert json.load(open(os.path.join(out, "projection.json"))) == rows
  saved = np.load(os.path.join(out, "face1.npz"))
  assert str(saved["loss"]) == "l2 + 1 x (1 - SSIM)" and str(saved["space"]) == "W"
  assert round(float(saved["psnr"]), 3) == rows[1]["psnr"] and np.isfinite(rows[1]["ssim"])
  ws = styles.load_ws(os.path.join(out, "face1.npz"), g)
  maps = [saved[f"noise_{k}"] for k in range(len(g.noise_layers()))]
  np.testing.assert_allclose(np.asarray(g.synthesis(ws, noise=maps)), saved["images"],
                             atol=1e-5)
  assert any("[##########] step 8/8" in line for line in lines)
  before = open(os.path.join(out, "face0.png"), "rb").read()
  with pytest.raises(FileExistsError, match="pass --overwrite"):
    projection.project_files(run_dir, photos, out, config, log=lines.append)
  assert open(os.path.join(out, "face0.png"), "rb").read() == before


def test_bad_inputs_are_named(tmp_path, run_dir, g):
  from PIL import Image
  (tmp_path / "notes.png").write_text("not an image")
  with pytest.raises(ValueError, match="notes.png: not a readable image"):
    projection.read_targets([str(tmp_path / "notes.png")], g)
  Image.fromarray(np.zeros((20, 20), np.uint8)).save(tmp_path / "grey.png")
  with pytest.raises(ValueError, match="grey.png: a grey image .1 channels.; this run's "
                     "generator makes 3-channel images"):
    projection.read_targets([str(tmp_path / "grey.png")], g)
  Image.fromarray(np.zeros((20, 30, 4), np.uint8)).save(tmp_path / "rgba.png")
  assert projection.read_targets([str(tmp_path / "rgba.png")], g).shape == (1, 16, 16, 3)
  from tfgan import networks
  networks.build("dcgan", 8, (28, 28, 1), width=0.125, kernel_size=3)[0].save(
      str(tmp_path / "generator.keras"))
  with pytest.raises(ValueError, match="tfgan.project needs a StyleGAN2 generator"):
    projection.project_files(str(tmp_path), str(tmp_path / "rgba.png"), str(tmp_path / "o"))
  result = run_cli("tfgan.project", f"--workdir={run_dir}", f"--output={tmp_path}")
  assert result.returncode != 0 and "--input missing" in result.stderr


def test_vgg16_features_join_the_loss_with_a_weights_file(tmp_path, run_dir):
  # Offline: a VGG16 (include_top=False) weights file the test writes (random weights); the
  # real one is Keras's download or the file a user gives.
  import keras
  from tfgan.networks.vgg import WeightsUnavailableError
  keras.utils.set_random_seed(0)
  path = str(tmp_path / "vgg16.weights.h5")
  keras.applications.VGG16(include_top=False, weights=None,
                           input_shape=(None, None, 3)).save_weights(path)
  vgg = projection.VGG16Distance(path)
  a = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=1)
  b = tf.random.uniform([2, 16, 16, 3], -1, 1, seed=2)
  np.testing.assert_allclose(vgg(a, a).numpy(), 0.0, atol=1e-6)
  assert (vgg(a, b).numpy() > 0).all() and vgg(a, b).shape == (2,)
  assert projection.ProjectionConfig().describe(vgg=True) == (
      "l2 + 1 x (1 - SSIM) + 1 x VGG16 features")
  with pytest.raises(WeightsUnavailableError, match="--vgg_weights=.*could not be loaded as "
                     "VGG16"):
    projection.VGG16Distance(os.path.join(run_dir, "generator.keras"))
