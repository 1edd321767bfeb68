"""The inpainting family: its train step against hand-computed losses, and a whole run through
the shared trainer (train, resume, preview, export with serve(images, masks), translate
--masks, evaluate with the mean and diffusion fills) on a tiny folder."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import write_gradient_faces, write_image
from tfgan import build, generation, losses, rundir, trainer, translation
from tfgan import config as config_lib
from tfgan.data import DataError, inpainting as data_lib, masks as masks_lib
from tfgan.metrics import inpainting
from tfgan.models import inpaint
from tfgan.networks import gated, unet


def _model(adversarial=1.0, stages=1):
  keras.utils.set_random_seed(0)
  g = gated.GatedGenerator((16, 16, 3), width=0.25, stages=stages)
  # No spectral norm here: its power iteration moves with every call, and the hand
  # computation below calls D again.
  d = unet.PatchDiscriminator((16, 16, 4), width=0.125, n_layers=1, norm="none")
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  model = inpaint.Inpainter(g, d, losses.LOSSES["hinge"], 2.0, 0.5, adversarial)
  model.compile(keras.optimizers.Adam(0.0), keras.optimizers.Adam(0.0), run_eagerly=True)
  return model


def _batch(n=4):
  rng = np.random.default_rng(0)
  y = rng.uniform(-1, 1, (n, 16, 16, 3)).astype(np.float32)
  m = masks_lib.mask_batch("mixed", n, 16, 16, 0)
  x = np.concatenate([np.where(m > 0, -1.0, y), 2 * m - 1], -1).astype(np.float32)
  return tf.constant(x), tf.constant(y)


def test_masked_l1_is_the_mean_over_the_weighted_pixels():
  out = np.zeros((2, 2, 2, 3), np.float32)
  target = np.ones((2, 2, 2, 3), np.float32)
  target[1, 0, 0] = 5.0
  weights = np.zeros((2, 2, 2, 1), np.float32)
  weights[:, 0, 0] = 1.0
  weights[0] = 0.0  # no such pixel: 0, not nan
  np.testing.assert_allclose(inpaint.masked_l1(out, target, weights).numpy(), [0.0, 5.0])


@pytest.mark.parametrize("stages", [1, 2])
def test_the_step_losses_are_deepfills(stages):
  model = _model(stages=stages)
  x, y = _batch()
  outputs, (known, m) = model.generator.stages(x)
  hole = sum(np.sum(np.abs(o - y) * m, axis=(1, 2, 3)) / (3 * np.sum(m, axis=(1, 2, 3)))
             for o in outputs)
  valid = sum(np.sum(np.abs(o - y) * (1 - m), axis=(1, 2, 3)) / (3 * np.sum(1 - m, axis=(1, 2, 3)))
              for o in outputs)
  completed = np.where(m > 0.5, outputs[-1], y)
  fake = model.discriminator(np.concatenate([completed, m], -1)).numpy()
  real = model.discriminator(np.concatenate([y, m], -1)).numpy()
  logs = model.train_step((x, y))  # learning rates 0: the numbers of the weights above
  assert float(logs["l1_hole"]) == pytest.approx(hole.mean(), rel=1e-5)
  assert float(logs["l1_valid"]) == pytest.approx(valid.mean(), rel=1e-5)
  assert float(logs["g_gan"]) == pytest.approx(-fake.mean(), rel=1e-4, abs=1e-6)
  d = np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean()
  assert float(logs["d_loss"]) == pytest.approx(d, rel=1e-5)


def test_the_l1_only_model_leaves_d_alone():
  model = _model(adversarial=0.0)
  model.g_optimizer.learning_rate.assign(1e-2)
  model.d_optimizer.learning_rate.assign(1e-2)
  d_before = [w.copy() for w in model.discriminator.get_weights()]
  g_before = [w.copy() for w in model.generator.get_weights()]
  logs = model.train_step(_batch())
  assert sorted(logs) == ["l1_hole", "l1_valid"]
  assert all(np.array_equal(a, b) for a, b in zip(d_before, model.discriminator.get_weights()))
  assert not all(np.array_equal(a, b) for a, b in zip(g_before, model.generator.get_weights()))


def _config(root, **changes):
  return config_lib.make(**{
      "family": "inpaint", "network": "gated", "dataset": "folder", "data_dir": root,
      "image_size": 16, "holdout": 4, "width": 0.25, "d_layers": 1, "loss": "hinge",
      "adversarial_weight": 0.1, "mask_kind": "centre,strokes", "mask_bank": 8,
      "batch_size": 4, "train_steps": 4, "log_every": 2, "sample_every": 2,
      "checkpoint_every": 2, "num_samples": 3, "eval_metrics": "inpaint", "eval_every": 4,
      "best_metric": "psnr_hole_centre", **changes})


@pytest.mark.integration
def test_a_run_trains_resumes_exports_fills_folders_and_evaluates(tmp_path):
  root = write_gradient_faces(str(tmp_path / "faces"), n=12, size=(16, 16))
  workdir = str(tmp_path / "run")
  first = trainer.train_and_evaluate(_config(root), workdir, verbose=False)
  second = trainer.train_and_evaluate(_config(root, train_steps=6), workdir, verbose=False)
  run = rundir.RunDir(workdir)
  assert first["step"] == 4 and second["step"] == 6
  assert [r["step"] for r in run.metric_rows() if "l1_hole" in r] == [2, 4, 6]
  assert [r["step"] for r in run.metric_rows() if "eval/psnr_hole_centre" in r] == [4]
  grid = tf.io.decode_png(open(run.sample_path(6), "rb").read()).numpy()
  assert grid.shape == (3 * 18 + 2, 4 * 18 + 2, 3)  # masked | diffusion | output | original

  # The SavedModel: serve(images, masks) at any size, known pixels exact, without tfgan.
  served = tf.saved_model.load(second["saved_model"])
  rng = np.random.default_rng(1)
  images = rng.uniform(-1, 1, (2, 12, 20, 3)).astype(np.float32)
  holes = masks_lib.mask_batch("boxes", 2, 12, 20, 0)
  out = served.serve(tf.constant(images), tf.constant(holes)).numpy()
  np.testing.assert_array_equal(out[holes[..., 0] == 0], images[holes[..., 0] == 0])
  np.testing.assert_allclose(out, generation.load_generator(workdir)([images, holes]).numpy(),
                             atol=1e-5)

  # tfgan.translate --masks: PNGs whose known pixels are the input's, holes filled.
  photos, mask_dir, out_dir = (str(tmp_path / n) for n in ("photos", "user_masks", "out"))
  photo = rng.integers(0, 256, (18, 14, 3), dtype=np.uint8)
  write_image(os.path.join(photos, "a.jpg.png"), photo)
  hole = np.zeros((9, 7), np.uint8)
  hole[2:6, 2:5] = 255  # half size: resized nearest to the photo
  write_image(os.path.join(mask_dir, "a.jpg.png"), hole[..., None])
  translation.translate_files(workdir, photos, out_dir, masks=mask_dir)
  filled = tf.io.decode_png(open(os.path.join(out_dir, "a.jpg.png"), "rb").read()).numpy()
  known = np.kron(hole, np.ones((2, 2), np.uint8)) == 0
  assert filled.shape == photo.shape
  np.testing.assert_array_equal(filled[known], photo[known])
  with pytest.raises(ValueError, match="--masks=FOLDER"):
    translation.translate_files(workdir, photos, str(tmp_path / "o2"))
  os.remove(os.path.join(mask_dir, "a.jpg.png"))
  with pytest.raises(DataError, match="no mask"):
    translation.translate_files(workdir, photos, str(tmp_path / "o3"), masks=mask_dir)
  assert not os.path.exists(str(tmp_path / "o3"))

  # tfgan.evaluate: the model and both fills on the held-out faces with fixed masks (strokes
  # here; training evaluated on the run's centre masks); the numbers are those of the metric
  # functions applied by hand.
  table = translation.evaluate_run(workdir, mask_kind="strokes", log=lambda line: None)
  assert list(table) == ["model", "mean_fill", "diffusion_fill"]
  row = run.metric_rows()[-1]
  held = inpaint.InpaintingFamily().open_pairs(_config(root, eval_mask="strokes"), "holdout")
  x, y = next(iter(held_batches(held)))
  known_x, m = data_lib.split_input(x)
  np.testing.assert_array_equal(m.numpy(), masks_lib.mask_batch("strokes", 4, 16, 16, 0))
  by_hand = inpainting.inpaint_scores(inpainting.diffusion_fill(known_x, m), y, m)
  assert row["eval_diffusion_fill/psnr_hole_strokes"] == pytest.approx(
      by_hand["psnr_hole"].mean())
  model_by_hand = inpainting.inpaint_scores(
      generation.translate(generation.load_generator(workdir), x), y, m)
  assert row["eval/l1_hole_strokes"] == pytest.approx(model_by_hand["l1_hole"].mean(),
                                                      rel=1e-5)
  assert row["eval_mean_fill/swd_vs_targets"] > 0
  # The texture ratios inside the hole, of the composited image (tfgan.metrics.texture).
  from tfgan.metrics import texture
  ratios = texture.TextureRatios()
  ratios.update(inpainting.composite(inpainting.diffusion_fill(known_x, m), y, m), y, m)
  for key, value in ratios.result().items():
    assert row[f"eval_diffusion_fill/{key}_hole_strokes"] == pytest.approx(value, rel=1e-5)
  # --mask_kind on another family's run (its config.json is all evaluate reads first).
  other = str(tmp_path / "p2p")
  os.makedirs(other)
  with open(os.path.join(other, rundir.CONFIG), "w") as f:
    f.write(config_lib.make(family="pix2pix", network="unet", pairs="grey").to_json())
  with pytest.raises(ValueError, match="--mask_kind is for inpainting runs"):
    translation.evaluate_run(other, mask_kind="strokes")


def held_batches(pairs):
  from tfgan.data import pairs as pairs_lib
  return ((x.numpy(), y.numpy()) for x, y in pairs_lib.make_pair_dataset(
      pairs, 64, repeat=False, cache="none", drop_remainder=False))


def test_bad_inpainting_settings_are_refused_by_name():
  for changes, message in ((dict(network="unet"), "network must be gated"),
                           (dict(mask_kind="circles"), "mask_kind must be one of"),
                           (dict(inpaint_stages=3), "inpaint_stages must be one of"),
                           (dict(centre_fraction=1.5), "centre_fraction must be in"),
                           (dict(hole_weight=0.0, valid_weight=0.0), "not both 0"),
                           (dict(perceptual_weight=1.0), "super-resolution"),
                           (dict(eval_metrics="paired"), "'inpaint'"),
                           (dict(best_metric="psnr_hole_strokes"), "choose one of"),
                           (dict(eval_mask="strokes", best_metric="psnr_hole_strokes"), None)):
    if message is None:
      build.validate(_config("/nowhere", **changes))
      continue
    with pytest.raises(ValueError, match=message):
      build.validate(_config("/nowhere", **changes))
