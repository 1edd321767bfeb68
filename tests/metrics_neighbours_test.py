"""The memorization diagnostics: nearest training images by pixel L2 (tfgan.metrics.neighbours),
the nn metrics built on them, and tfgan.sample --nearest / tfgan.evaluate --metrics=nn1k on a
run directory made by hand (a saved tiny generator and config.json, no training)."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from conftest import make_idx_dir, run_cli
from tfgan import config as config_lib
from tfgan import data, images, metrics, networks
from tfgan.metrics import evaluation

NN16 = {"nn16": evaluation.MetricSpec("nn", 16, "none")}


def _smooth_source(n, seed, shape=(28, 28, 1)):
  """An array source of n structured images: random 7x7-pixel blocks, slightly noisy."""
  rng = np.random.default_rng(seed)
  h, w, c = shape
  low = rng.uniform(0, 1, (n, h // 7, w // 7, c)).repeat(7, 1).repeat(7, 2)
  pixels = np.clip((0.8 * low + 0.1 * rng.uniform(0, 1, (n,) + shape)) * 255, 0, 255)
  return data.ArraySource(data.DataSpec("mnist", shape, 10, num_examples=n, origin=f"s{seed}"),
                          pixels.astype(np.uint8), (np.arange(n) % 10).astype(np.int32))


class _Shows:
  """A "generator" that ignores its latents and returns fixed images float32 in [-1, 1]."""
  latent_dim, num_classes = 8, 0

  def __init__(self, images):
    self.images = np.asarray(images, np.float32)

  def __call__(self, z, training=False):
    return self.images[:len(z)]


def _scale(pixels):
  return pixels.astype(np.float32) / 127.5 - 1


def test_nearest_equals_brute_force_across_reference_batches():
  rng = np.random.default_rng(0)
  queries = rng.uniform(-1, 1, (7, 4, 4, 2)).astype(np.float32)
  references = rng.uniform(-1, 1, (23, 4, 4, 2)).astype(np.float32)
  # Batches of 5, 1 and 17: the kept neighbours move between batches.
  distances, neighbours = metrics.nearest(queries, [references[:5], references[5:6],
                                                    references[6:]], k=3)
  full = np.sqrt(((queries.reshape(7, 1, -1).astype(np.float64) -
                   references.reshape(1, 23, -1)) ** 2).sum(-1))
  order = np.argsort(full, axis=1)[:, :3]
  np.testing.assert_allclose(distances, np.take_along_axis(full, order, 1), rtol=1e-6)
  np.testing.assert_array_equal(neighbours, references[order])
  assert distances.shape == (7, 3) and neighbours.shape == (7, 3, 4, 4, 2)
  with pytest.raises(ValueError, match="the references hold 23 images, fewer than the 30"):
    metrics.nearest(queries, [references], k=30)
  with pytest.raises(ValueError, match=r"differ in shape"):
    metrics.nearest(queries, [references[:, :2]], k=1)


def test_a_copying_generator_is_at_distance_zero_and_noise_far_above_held_out_images():
  training, heldout = _smooth_source(64, 0), _smooth_source(16, 1)
  score = lambda fake: metrics.evaluate_generator(  # noqa: E731
      _Shows(fake), training, ["nn16"], registry=NN16, heldout=heldout)
  copies = score(_scale(training.images[:16]))
  assert copies["nn16_generated"] < 1e-6 and copies["nn16"] < 1e-6, copies
  assert copies["nn16_heldout"] > 5  # new images of the same kind are far from all 64
  real_like = score(_scale(_smooth_source(16, 2).images))  # neither trained on nor held out
  noise = score(np.random.default_rng(3).uniform(-1, 1, (16, 28, 28, 1)))
  assert 0.8 < real_like["nn16"] < 1.25, real_like
  assert noise["nn16"] > 1.3 * real_like["nn16"], (noise, real_like)
  assert noise["nn16_heldout"] == copies["nn16_heldout"]  # the same held-out images
  # Held-out images that are training images are refused, not reported as a ratio of inf.
  with pytest.raises(ValueError, match="held-out images are training images"):
    metrics.evaluate_generator(_Shows(_scale(training.images[:16])), training, ["nn16"],
                               registry=NN16, heldout=training)
  with pytest.raises(ValueError, match="nn16 compares 16 generated with 16 held-out real "
                                       "images, but the held-out images number 4"):
    metrics.evaluate_generator(_Shows(_scale(training.images[:16])), training, ["nn16"],
                               registry=NN16, heldout=_smooth_source(4, 1))


def test_nn1k_is_a_listed_metric_that_training_refuses_and_folder_runs_need_held_out_images():
  assert metrics.METRICS["nn1k"] == evaluation.MetricSpec("nn", 1000, "none")
  assert evaluation.result_keys(["nn1k"]) == {"nn1k": None, "nn1k_generated": None,
                                              "nn1k_heldout": None}
  with pytest.raises(ValueError, match="run it on the finished run with python -m "
                                       "tfgan.evaluate --metrics=nn1k"):
    evaluation.check(["nn1k"])
  with pytest.raises(ValueError, match="give --data_dir=FOLDER of images it did not train on"):
    metrics.heldout_source(config_lib.make(dataset="folder", data_dir="faces"))


@pytest.fixture(scope="module")
def made_run(tmp_path_factory):
  """A run directory with a tiny untrained mnist generator: config.json names IDX files of 32
  training and 1000 test images (nn1k's held-out set)."""
  root = tmp_path_factory.mktemp("nn")
  idx, arrays = make_idx_dir(str(root / "mnist"), n_train=32, n_test=1000)
  workdir = root / "run"
  workdir.mkdir()
  config = config_lib.make(data_dir=idx, latent_dim=16, width=0.125, kernel_size=3)
  (workdir / "config.json").write_text(config.to_json())
  g, _ = networks.build("dcgan", 16, (28, 28, 1), width=0.125, kernel_size=3)
  g.save(str(workdir / "generator.keras"))
  return str(workdir), g, arrays["train"][0]


@pytest.mark.integration
def test_sample_nearest_writes_each_sample_beside_its_nearest_training_images(made_run):
  from tfgan import generation
  workdir, generator, train = made_run
  result = run_cli("tfgan.sample", f"--workdir={workdir}", "--nearest=3", "--num=4",
                      "--seed=1")
  assert result.returncode == 0, result.stderr[-2000:]
  path = os.path.join(workdir, "nearest.png")
  grid = tf.io.decode_png(open(path, "rb").read()).numpy()
  assert grid.shape == (4 * 30 + 2, 4 * 30 + 2, 1)  # 4 rows of a sample and its 3 nearest
  fake = generation.generate(generator, generation.latents(4, 16, 1))
  real = _scale(train[..., None])
  full = ((fake.reshape(4, 1, -1) - real.reshape(1, 32, -1)) ** 2).sum(-1)
  tile = lambda r, c: grid[2 + r * 30:30 + r * 30, 2 + c * 30:30 + c * 30]  # noqa: E731
  for row in range(4):
    np.testing.assert_allclose(tile(row, 0), images.to_uint8(fake[row]), atol=1)
    for col, index in enumerate(np.argsort(full[row])[:3]):
      np.testing.assert_array_equal(tile(row, col + 1), train[index][..., None])
  # The grid is never overwritten: the same command is refused and the file kept.
  before = open(path, "rb").read()
  again = run_cli("tfgan.sample", f"--workdir={workdir}", "--nearest=3", "--num=4")
  assert again.returncode != 0 and f"{path} exists" in again.stderr
  assert open(path, "rb").read() == before


@pytest.mark.parametrize("k", ["0", "-2"])
def test_sample_refuses_a_nearest_count_below_one_by_name(made_run, k, tmp_path):
  out = str(tmp_path / "never.png")
  result = run_cli("tfgan.sample", f"--workdir={made_run[0]}", f"--nearest={k}",
                      f"--out={out}")
  assert result.returncode != 0 and f"--nearest={k}" in result.stderr
  assert "must be positive" in result.stderr and not os.path.exists(out)


@pytest.mark.integration
def test_evaluate_nn1k_records_the_medians_their_ratio_and_the_held_out_split(made_run):
  workdir = made_run[0]
  result = run_cli("tfgan.evaluate", f"--workdir={workdir}", "--metrics=nn1k")
  assert result.returncode == 0, result.stderr[-2000:]
  row = json.loads(open(os.path.join(workdir, "metrics.jsonl")).read().splitlines()[-1])
  assert row["eval/nn1k"] == pytest.approx(row["eval/nn1k_generated"] /
                                           row["eval/nn1k_heldout"])
  assert row["eval/nn1k_generated"] > 0 and row["eval/nn1k_heldout"] > 0
  assert row["eval_heldout"].endswith("(test split, 1000 images)")
  assert row["eval_split"].endswith("(32 images)")
  assert "nn1k_heldout" in result.stdout


def test_a_folder_run_takes_data_dir_as_its_held_out_images_and_keeps_its_training_folder(
    tmp_path, monkeypatch):
  from conftest import write_image
  monkeypatch.setitem(evaluation.METRICS, "nn4", evaluation.MetricSpec("nn", 4, "none"))
  rng = np.random.default_rng(0)
  train_dir, held_dir = tmp_path / "train", tmp_path / "held"
  for i in range(6):
    write_image(str(train_dir / f"{i}.png"), rng.integers(0, 256, (16, 16, 3), np.uint8))
  for i in range(4):
    write_image(str(held_dir / f"{i}.png"), np.full((16, 16, 3), 60 * i, np.uint8))
  workdir = tmp_path / "run"
  workdir.mkdir()
  config = config_lib.make(dataset="folder", data_dir=str(train_dir), image_size=16,
                           network="mlp", latent_dim=8, width=0.125)
  (workdir / "config.json").write_text(config.to_json())
  g, _ = networks.build("mlp", 8, (16, 16, 3), width=0.125)
  g.save(str(workdir / "generator.keras"))
  results = metrics.evaluate_run(str(workdir), ["nn4"], data_dir=str(held_dir),
                                 log=lambda line: None)
  row = json.loads((workdir / "metrics.jsonl").read_text().splitlines()[-1])
  assert row["eval_heldout"] == f"{held_dir} (4 images)"
  # The held-out medians are the flat images' distances to the 6 training images (not 0:
  # they are not compared with themselves).
  held = _scale(np.stack([np.full((16, 16, 3), 60 * i, np.uint8) for i in range(4)]))
  train = np.concatenate([x.numpy() for x, _ in data.make_dataset(
      metrics.open_training(config), 6, repeat=False, cache="none")])
  expected, _ = metrics.nearest(held, [train])
  assert results["nn4_heldout"] == pytest.approx(np.median(expected), rel=1e-5)
  with pytest.raises(ValueError, match="give --data_dir=FOLDER"):
    metrics.evaluate_run(str(workdir), ["nn4"], log=lambda line: None)


def test_a_run_with_holdout_takes_its_held_out_images_for_nn_without_data_dir(tmp_path,
                                                                             monkeypatch):
  from conftest import write_image
  monkeypatch.setitem(evaluation.METRICS, "nn4", evaluation.MetricSpec("nn", 4, "none"))
  rng = np.random.default_rng(0)
  folder = tmp_path / "faces"
  # Sorted by path: 00..05 noise (trained on), 06..09 flat (held out by --holdout=4).
  noise = rng.integers(0, 256, (6, 16, 16, 3), np.uint8)
  flat = np.stack([np.full((16, 16, 3), 60 * i, np.uint8) for i in range(4)])
  for i, image in enumerate(np.concatenate([noise, flat])):
    write_image(str(folder / f"{i:02d}.png"), image)
  workdir = tmp_path / "run"
  workdir.mkdir()
  config = config_lib.make(dataset="folder", data_dir=str(folder), image_size=16,
                           network="mlp", latent_dim=8, width=0.125, holdout=4)
  (workdir / "config.json").write_text(config.to_json())
  g, _ = networks.build("mlp", 8, (16, 16, 3), width=0.125)
  g.save(str(workdir / "generator.keras"))
  results = metrics.evaluate_run(str(workdir), ["nn4"], log=lambda line: None)
  row = json.loads((workdir / "metrics.jsonl").read_text().splitlines()[-1])
  assert row["eval_heldout"] == f"{folder} (holdout split, 4 images)"
  assert row["eval_split"] == row["eval_heldout"]
  # By hand, from the pixels written: the flat images' and the samples' nearest of the 6
  # noise images only (a held-out image among the training ones would be at distance 0).
  expected, _ = metrics.nearest(_scale(flat), [_scale(noise)])
  assert results["nn4_heldout"] == pytest.approx(np.median(expected), rel=1e-5)
  assert results["nn4_heldout"] > 0
  from tfgan import generation
  fake = generation.generate(g, generation.latents(4, 8, 0))
  generated, _ = metrics.nearest(fake, [_scale(noise)])
  assert results["nn4_generated"] == pytest.approx(np.median(generated), rel=1e-5)
  # A fixed-size dataset holds out the last N of its training files, not its test split.
  idx, arrays = make_idx_dir(str(tmp_path / "mnist"), n_train=20, n_test=8)
  mnist = config_lib.make(data_dir=idx, holdout=5)
  held, description = metrics.heldout_source(mnist)
  assert description == f"{idx} (holdout split, 5 images)"
  np.testing.assert_array_equal(held.images[..., 0], arrays["train"][0][15:])
  np.testing.assert_array_equal(metrics.open_training(mnist).images[..., 0],
                                arrays["train"][0][:15])
