"""The pix2pix family: its train step against hand-computed losses, and a whole run through
the shared trainer (train, resume, preview, export, translate, evaluate) on a tiny folder."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import run_cli, small_extractor, write_gradient_faces, write_image
from tfgan import config as config_lib
from tfgan import generation, losses, rundir, schedules, trainer
from tfgan.models import pix2pix
from tfgan.networks import unet


def _model(lambda_gan=1.0, loss="non_saturating", jit_compile=False, run_eagerly=True):
  keras.utils.set_random_seed(0)
  g = unet.UNetGenerator(image_shape=(16, 16, 1), out_channels=3, width=0.125,
                         test_mode="inference", dropout=False)
  d = unet.PatchDiscriminator(image_shape=(16, 16, 4), width=0.125, n_layers=1)
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  model = pix2pix.Pix2Pix(g, d, losses.get(loss), lambda_l1=100.0, lambda_gan=lambda_gan)
  model.compile(keras.optimizers.Adam(0.0), keras.optimizers.Adam(0.0),
                jit_compile=jit_compile, run_eagerly=run_eagerly)
  return model


def _batch(n=4):
  rng = np.random.default_rng(0)
  return (tf.constant(rng.uniform(-1, 1, (n, 16, 16, 1)), tf.float32),
          tf.constant(rng.uniform(-1, 1, (n, 16, 16, 3)), tf.float32))


def test_the_step_losses_are_the_papers():
  model = _model()
  x, y = _batch()
  logs = model.train_step((x, y))
  g, d = model.generator, model.discriminator
  fake = g(x, training=True)
  real_logits = tf.reshape(d(tf.concat([x, y], -1), training=True), [4, -1])
  fake_logits = tf.reshape(d(tf.concat([x, fake], -1), training=True), [4, -1])
  d_loss = 0.5 * tf.reduce_mean(tf.math.softplus(-real_logits) + tf.math.softplus(fake_logits))
  l1 = tf.reduce_mean(tf.abs(y - fake))
  g_gan = tf.reduce_mean(tf.math.softplus(-fake_logits))
  assert float(logs["d_loss"]) == pytest.approx(float(d_loss), rel=1e-4)
  assert float(logs["l1"]) == pytest.approx(float(l1), rel=1e-4)
  assert float(logs["g_gan"]) == pytest.approx(float(g_gan), rel=1e-4)


def test_lambda_gan_zero_trains_on_l1_alone_and_leaves_d_alone():
  model = _model(lambda_gan=0.0)
  model.g_optimizer.learning_rate.assign(1e-2)
  model.d_optimizer.learning_rate.assign(1e-2)
  d0 = [v.numpy().copy() for v in model.discriminator.trainable_variables]
  g0 = [v.numpy().copy() for v in model.generator.trainable_variables]
  ds = tf.data.Dataset.from_tensors(_batch()).repeat()
  model.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
  assert all(np.array_equal(a, v.numpy())
             for a, v in zip(d0, model.discriminator.trainable_variables))
  assert any(not np.allclose(a, v.numpy())
             for a, v in zip(g0, model.generator.trainable_variables))
  assert int(model.d_optimizer.iterations) == 0 and model.step_count() == 2
  assert [m.name for m in model.metrics] == ["l1"]  # no zeros logged for an untrained D


@pytest.mark.integration
def test_the_step_trains_with_xla():
  # One loss pair: the others are elementwise functions of the logits (~15 s of compilation
  # each on the 2-core CPU).
  model = _model(loss="non_saturating", jit_compile=True, run_eagerly=False)
  model.g_optimizer.learning_rate.assign(1e-3)
  history = model.fit(tf.data.Dataset.from_tensors(_batch()).repeat(), epochs=1,
                      steps_per_epoch=2, verbose=0)
  assert model.jit_compile and all(np.isfinite(v[-1]) for v in history.history.values())


def test_linear_decay_holds_then_falls_to_zero():
  rate = schedules.LinearDecay(2e-4, 100, 200)
  values = [float(rate(s)) for s in (0, 99, 100, 150, 200, 250)]
  assert values == pytest.approx([2e-4, 2e-4, 2e-4, 1e-4, 0.0, 0.0])
  assert schedules.learning_rate(2e-4, 0, 200) == 2e-4
  again = schedules.LinearDecay.from_config(rate.get_config())
  assert float(again(150)) == pytest.approx(1e-4)



def _config(root, **changes):
  return config_lib.make(**{
      "family": "pix2pix", "network": "unet", "dataset": "folder", "data_dir": root,
      "image_size": 16, "pairs": "edges", "holdout": 4, "width": 0.125, "batch_size": 4,
      "d_layers": 1,
      "train_steps": 4, "lr_decay_start": 2, "log_every": 2, "sample_every": 2,
      "checkpoint_every": 2, "num_samples": 3, "eval_metrics": "paired", "eval_every": 4,
      "best_metric": "psnr_rgb", **changes})


@pytest.mark.integration
def test_a_pix2pix_run_trains_resumes_exports_and_translates(tmp_path):
  root = write_gradient_faces(str(tmp_path / "faces"))
  workdir = str(tmp_path / "run")
  first = trainer.train_and_evaluate(_config(root), workdir, verbose=False)
  assert first["step"] == 4 and first["status"] == "completed"
  # The schedule: constant for 2 steps, then linear to 0 at step 4 (in the checkpoint).
  assert float(first["model"].g_optimizer.learning_rate) == pytest.approx(0.0)
  second = trainer.train_and_evaluate(_config(root, train_steps=6, lr_decay_start=2), workdir,
                                      verbose=False)
  run = rundir.RunDir(workdir)
  rows = run.metric_rows()
  assert [r["step"] for r in rows if "l1" in r] == [2, 4, 6]  # resumed, not restarted
  assert [r["step"] for r in rows if "eval/psnr_rgb" in r] == [4]
  assert run.best_value() is not None
  grid = tf.io.decode_png(open(run.sample_path(6), "rb").read()).numpy()
  assert grid.shape == (3 * 18 + 2, 3 * 18 + 2, 3)  # 3 held-out rows of input|output|target

  x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)).astype(np.float32)
  expected = generation.translate(second["model"].generator, x)
  served = tf.saved_model.load(second["saved_model"])
  assert served.serve(x).shape == (2, 16, 16, 3)
  reloaded = keras.models.load_model(second["generator_keras"], compile=False)
  assert reloaded.test_mode == "train" and reloaded(x).shape == expected.shape

  # tfgan.translate: a photo of another size, turned into the input domain first (--derive).
  photo = str(tmp_path / "in" / "me.jpg")
  write_image(photo, np.random.default_rng(1).integers(0, 256, (37, 29, 3), dtype=np.uint8))
  out = str(tmp_path / "out")
  result = run_cli("tfgan.translate", f"--workdir={workdir}", f"--input={photo}",
                      f"--output={out}", "--derive")
  assert result.returncode == 0, result.stderr[-2000:]
  image = tf.io.decode_png(open(os.path.join(out, "me.png"), "rb").read()).numpy()
  assert image.shape == (37, 29, 3)  # padded to the U-Net's multiple and cropped back
  from tfgan import translation
  with pytest.raises(FileExistsError, match="--overwrite"):
    translation.translate_files(workdir, photo, out, derive=True)

  # tfgan.evaluate on the held-out split, with the identity baseline.
  result = run_cli("tfgan.evaluate", f"--workdir={workdir}", "--test_mode=inference")
  assert result.returncode == 0, result.stderr[-2000:]
  assert "input_itself" in result.stdout and "held-out split (4 pairs)" in result.stdout
  last = rundir.RunDir(workdir).metric_rows()[-1]
  assert last["test_mode"] == "inference" and "eval_input_itself/psnr_rgb" in last
  assert 0 < last["eval/psnr_rgb"] < 60 and 0 < last["eval/l1_rgb"] < 1
  assert "swd_vs_targets (SWD x1e3, all 4 outputs vs 4 targets)" in result.stdout
  assert last["eval/swd_vs_targets"] > 0 and "eval_input_itself/swd_vs_targets_16px" in last

  # The SWD of each row by hand: the 4 held-out pairs, the exported generator in inference
  # mode, outputs and targets as uint8, the 1-channel edge maps repeated to RGB.
  import json
  from tfgan import models
  from tfgan.data import pairs as pairs_lib
  from tfgan.images import to_uint8
  from tfgan.metrics import swd
  lines = []
  table = translation.evaluate_run(workdir, test_mode="inference", log=lines.append)
  config = config_lib.from_dict(json.load(open(os.path.join(workdir, "config.json"))))
  held_out = models.FAMILIES["pix2pix"]._pairs(config, "holdout", log=lambda line: None)
  x, y = (np.concatenate(a) for a in zip(*[(x.numpy(), y.numpy()) for x, y in
                                           pairs_lib.make_pair_dataset(
                                               held_out, 32, repeat=False, cache="none",
                                               drop_remainder=False)]))
  generator = generation.load_generator(workdir)
  translation._set_test_mode(generator, "inference")
  out = to_uint8(generation.translate(generator, x))
  targets = to_uint8(y)
  assert x.shape == (4, 16, 16, 1) and targets.shape == (4, 16, 16, 3)
  for name, images in (("model", out), ("input_itself", np.repeat(to_uint8(x), 3, axis=-1))):
    expected = swd.swd(targets, images)
    assert table[name]["swd_vs_targets"] == pytest.approx(expected["swd"], rel=1e-6), name
    assert table[name]["swd_vs_targets_16px"] == pytest.approx(expected["swd_16px"], rel=1e-6)
  assert table["model"]["swd_vs_targets"] != table["input_itself"]["swd_vs_targets"]
  # The texture ratios of the same outputs, as tfgan.metrics.texture computes them (the edge
  # map itself has no chroma: 0).
  from tfgan.metrics import texture
  ratios = texture.TextureRatios()
  ratios.update(generation.translate(generator, x), y)
  for key, value in ratios.result().items():
    assert table["model"][key] == pytest.approx(value, rel=1e-5), key
  assert table["input_itself"]["chroma_hf_ratio"] == pytest.approx(0.0, abs=1e-6)
  assert any(line.startswith("  chroma_hf_ratio, sharpness_ratio") for line in lines)


def test_bad_pix2pix_settings_are_refused_by_name():
  from tfgan import build
  for changes, message in ((dict(network="dcgan"), "network must be one of"),
                           (dict(pairs="sketch"), "pairs must be one of"),
                           (dict(pairs="folders"), "needs --target_dir"),
                           (dict(lambda_l1=0.0, lambda_gan=0.0), "not both 0"),
                           (dict(gp_weight=10.0), "noise-GAN options"),
                           (dict(eval_metrics="fid1k"), "unknown for image-to-image"),
                           # The extras of tfgan.models.adversarial:
                           (dict(r1_gamma=1.0), "r1_gamma needs a PatchGAN without batch"),
                           (dict(r1_gamma=1.0, patch_norm="spectral", r1_every=4),
                            "r1_every: family pix2pix applies R1 at every D step"),
                           (dict(feature_matching_weight=-1.0), "feature_matching_weight must"),
                           (dict(diffaugment="rotate"), "Unknown DiffAugment ops"),
                           (dict(lambda_gan=0.0, feature_matching_weight=10.0),
                            "act on the adversarial term"),
                           (dict(lambda_gan=0.0, gan_ramp_steps=10), "act on the adversarial")):
    with pytest.raises(ValueError, match=message):
      build.validate(_config("/nowhere", **changes))
  build.validate(_config("/nowhere", r1_gamma=1.0, patch_norm="instance",
                         feature_matching_weight=10.0, diffaugment="color,cutout",
                         gan_ramp_steps=10, ema_kimg=1.0))
  # The other image-to-image families refuse what they do not train with.
  for family, changes, message in (
      ("cyclegan", dict(feature_matching_weight=10.0), "CycleGAN's reals and fakes are "
                                                       "unrelated images"),
      ("cyclegan", dict(patch_norm="spectral"), "pix2pix and inpaint options"),
      ("cyclegan", dict(gp_weight=10.0), "noise-GAN options"),
      ("esrgan", dict(gan_ramp_steps=5), "pix2pix and inpaint options"),
      ("esrgan", dict(diffaugment="cutout"), "noise-GAN options"),
      ("inpaint", dict(patch_norm="batch"), "inpainting's PatchGAN is spectrally")):
    config = config_lib.make(family=family, network={"cyclegan": "resnet", "esrgan": "rrdb",
                                                     "inpaint": "gated"}[family],
                             dataset="folder", data_dir="/nowhere", image_size=16,
                             adversarial_weight=0.1, **changes)
    with pytest.raises(ValueError, match=message):
      build.validate(config)


def _extras_model(**extras):
  from tfgan.models import adversarial
  keras.utils.set_random_seed(0)
  g = unet.UNetGenerator(image_shape=(16, 16, 1), out_channels=3, width=0.125,
                         test_mode="inference", dropout=False)
  d = unet.PatchDiscriminator(image_shape=(16, 16, 4), width=0.125, n_layers=1, norm="none")
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  model = pix2pix.Pix2Pix(g, d, losses.get("non_saturating"),
                          extras=adversarial.Extras(**extras), seed=3)
  model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), run_eagerly=True)
  return model


def test_the_ema_follows_g_by_its_half_life_and_is_what_is_exported():
  model = _extras_model(ema_half_life=8.0)
  x, y = _batch()
  g0 = [v.numpy().copy() for v in model.generator.trainable_variables]
  np.testing.assert_array_equal(model.ema_generator.trainable_variables[0].numpy(), g0[0])
  model.train_step((x, y))
  beta = 0.5 ** (4 / 8.0)  # 4 images of a half-life of 8
  for e, w0, w in zip(model.ema_generator.trainable_variables, g0,
                      model.generator.trainable_variables):
    np.testing.assert_allclose(e.numpy(), beta * w0 + (1 - beta) * w.numpy(), rtol=1e-5,
                               atol=1e-7)
  assert not np.allclose(g0[0], model.generator.trainable_variables[0].numpy())
  family = pix2pix.Pix2PixFamily()
  (export,) = family.exports(model)
  assert export.name == "generator" and export.model is model.ema_generator
  assert model.sampling_generator is model.ema_generator
  assert "ema_generator" in model.checkpoint_objects()
  assert "augment_rng" not in model.checkpoint_objects()  # augmentation off
  plain = _extras_model()
  assert plain.sampling_generator is plain.generator and plain.ema_generator is None


def _d_inputs(model, batch):
  """What D is called on during one train step (its inputs, in call order)."""
  seen, features = [], model.discriminator.features

  def recording(z, training=False):
    seen.append(np.asarray(z))
    return features(z, training)

  model.discriminator.features = recording  # call() goes through features()
  logs = model.train_step(batch)
  del model.discriminator.features
  return seen, logs


def test_diffaugment_changes_what_d_sees_and_its_draws_are_checkpointed():
  from tfgan import augment
  x, y = _batch()
  real = np.concatenate([x, y], -1)
  plain, _ = _d_inputs(_extras_model(), (x, y))
  np.testing.assert_array_equal(plain[0], real)  # D's real input, as it is
  model = _extras_model(augment=augment.DiffAugment.parse("cutout"))
  assert "augment_rng" in model.checkpoint_objects()
  state = model.extras_seed.state.numpy().copy()
  seen, logs = _d_inputs(model, (x, y))
  # Cutout zeroes a square of every example, condition and image channels alike.
  assert not np.array_equal(seen[0], real)
  cut = (seen[0] == 0).all(axis=-1)
  assert cut.any(axis=(1, 2)).all() and np.array_equal(seen[0][~cut], real[~cut])
  assert not np.array_equal(state, model.extras_seed.state.numpy())  # draws taken
  # Colour changes the image channels only: the edge map D is conditioned on stays as it is.
  coloured, _ = _d_inputs(_extras_model(augment=augment.DiffAugment.parse("color")), (x, y))
  np.testing.assert_array_equal(coloured[0][..., :1], real[..., :1])
  assert not np.allclose(coloured[0][..., 1:], real[..., 1:])
  assert [m.name for m in _extras_model(feature_matching_weight=1.0, r1_gamma=1.0).metrics][
      -2:] == ["fm", "r1"]
  assert np.isfinite(float(logs["d_loss"]))


@pytest.mark.integration
def test_the_online_facades_flagfile_trains_on_an_archive_of_its_layout(tmp_path, monkeypatch):
  # flags/facades_pix2pix.flags is NOT YET RUN here (no internet): its own settings, with
  # tiny networks and steps, train on a facades.tar.gz of the authors' layout.
  import tarfile
  from conftest import REPO
  from tfgan.data import pairs
  rng = np.random.default_rng(0)
  for i in range(3):
    write_image(str(tmp_path / "build" / "facades" / "train" / f"{i}.jpg"),
                rng.integers(0, 256, (20, 40, 3), dtype=np.uint8))
  (tmp_path / "host").mkdir()
  with tarfile.open(tmp_path / "host" / "facades.tar.gz", "w:gz") as tar:
    tar.add(tmp_path / "build" / "facades", arcname="facades")
  monkeypatch.setenv("TFGAN_CACHE_DIR", str(tmp_path / "cache"))
  monkeypatch.setattr(pairs, "PIX2PIX_URL", f"file://{tmp_path}/host/{{name}}.tar.gz")
  config = config_lib.from_flagfile(
      os.path.join(REPO, "flags", "facades_pix2pix.flags"), image_size=16, width=0.125,
      d_layers=1, train_steps=2, lr_decay_start=1, log_every=1, sample_every=2,
      checkpoint_every=2, num_samples=2)
  assert config.data.data_dir == "pix2pix:facades" and config.translation.direction == "BtoA"
  result = trainer.train_and_evaluate(config, str(tmp_path / "run"), verbose=False)
  assert result["step"] == 2 and os.path.isfile(result["generator_keras"])


def test_swd_against_targets_repeats_grey_outputs_and_is_skipped_below_16_px():
  from tfgan.metrics import paired, swd
  rng = np.random.default_rng(0)
  targets = rng.integers(0, 256, (6, 16, 20, 3), dtype=np.uint8)
  grey = rng.integers(0, 256, (6, 16, 20, 1), dtype=np.uint8)
  result = paired.swd_vs_targets(grey, targets)
  expected = swd.swd(targets, np.repeat(grey, 3, axis=-1))
  assert result == {"swd_vs_targets": expected["swd"],
                    "swd_vs_targets_16px": expected["swd_16px"]}
  assert paired.swd_vs_targets(targets, targets)["swd_vs_targets"] == 0.0
  assert paired.swd_skip_reason((4, 16, 20, 3)) is None
  assert "swd_vs_targets skipped: 20x15 images are below the 16 px" in paired.swd_skip_reason(
      (4, 15, 20, 3))


@pytest.mark.integration
def test_inception_distances_of_outputs_against_targets_are_the_metric_functions(tmp_path):
  # tfgan.evaluate --metrics=fid on an image-to-image run: FID and KID of every row's outputs
  # against the targets, in Inception's feature space (random weights here: offline).
  from tfgan.data import pairs as pairs_lib
  from tfgan.images import to_uint8
  from tfgan.metrics import distances, paired
  root = write_gradient_faces(str(tmp_path / "faces"), n=6)
  pairs = pairs_lib.open_pairs("blur", "folder", root, image_size=16, log=lambda line: None)
  extractor = small_extractor()  # Inception's interface; the plumbing is what is tested
  result = paired.evaluate_pairs(None, pairs, inception=extractor)
  x, y = next(iter(pairs_lib.make_pair_dataset(pairs, 6, repeat=False, cache="none",
                                               drop_remainder=False)))
  feats = [np.asarray(extractor(to_uint8(a).astype(np.float32) / 127.5 - 1)[0], np.float64)
           for a in (x, y)]
  moments = []
  for f in feats:
    m = distances.Moments(f.shape[1])
    m.update(f)
    moments.append(m.result())
  assert result["fid_vs_targets"] == pytest.approx(
      distances.frechet_distance(*moments[0], *moments[1]), rel=1e-6)
  kid, _ = distances.kernel_inception_distance(feats[1], feats[0])
  assert result["kid_vs_targets"] == pytest.approx(kid, rel=1e-6)
  assert result["fid_vs_targets"] > 0 and "swd_vs_targets" not in result
