"""The super-resolution family: its train step against hand-computed ESRGAN losses, and whole
runs through the shared trainer (PSNR stage, GAN stage from it, resume, preview, export,
translate, evaluate with the bicubic baseline) on a tiny folder."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import write_gradient_faces, write_image
from tfgan import build, generation, losses, rundir, trainer, translation
from tfgan import config as config_lib
from tfgan.metrics import restoration
from tfgan.models import base, esrgan
from tfgan.networks import rrdb, unet


def _model(adversarial=5e-3, perceptual=1.0, kind="d_features", ema=0.0):
  keras.utils.set_random_seed(0)
  g = rrdb.RRDBGenerator((8, 8, 3), scale=2, features=8, n_blocks=1, growth=4)
  # No spectral norm here: its power iteration moves with every call, and the hand
  # computation below calls D again.
  d = unet.PatchDiscriminator((16, 16, 3), width=0.125, n_layers=1, norm="none")
  g.build(g.input_shapes())
  d.build(d.input_shapes())
  model = esrgan.ESRGAN(g, d, 1e-2, perceptual, adversarial, kind if perceptual else None,
                        ema_half_life=ema)
  model.compile(keras.optimizers.Adam(0.0), keras.optimizers.Adam(0.0), run_eagerly=True)
  return model


def _batch(n=4):
  rng = np.random.default_rng(0)
  return (tf.constant(rng.uniform(-1, 1, (n, 8, 8, 3)), tf.float32),
          tf.constant(rng.uniform(-1, 1, (n, 16, 16, 3)), tf.float32))


def test_relativistic_average_losses_are_the_papers():
  real, fake = np.array([1.0, -0.5, 2.0]), np.array([0.3, -1.0, 0.0])
  rm, fm = real.mean(), fake.mean()
  sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
  d = -0.5 * (np.log(sig(real - fm)) + np.log(1 - sig(fake - rm)))
  g = -0.5 * (np.log(1 - sig(real - fm)) + np.log(sig(fake - rm)))
  np.testing.assert_allclose(losses.relativistic_average_discriminator_loss(real, fake, rm, fm),
                             d, rtol=1e-5)
  np.testing.assert_allclose(losses.relativistic_average_generator_loss(real, fake, rm, fm),
                             g, rtol=1e-5)


def test_the_gan_step_losses_are_esrgans():
  model = _model()
  x, y = _batch()
  logs = model.train_step((x, y))
  g, d = model.generator, model.discriminator
  fake = g(x, training=True)
  fr, ff = d.features(y, training=True), d.features(fake, training=True)
  real_logits, fake_logits = (tf.reshape(f[-1], [4, -1]) for f in (fr, ff))
  rm, fm = tf.reduce_mean(real_logits), tf.reduce_mean(fake_logits)
  sp = tf.math.softplus
  g_gan = tf.reduce_mean(0.5 * (sp(real_logits - fm) + sp(rm - fake_logits)))
  d_loss = tf.reduce_mean(0.5 * (sp(fm - real_logits) + sp(fake_logits - rm)))
  matching = np.mean([float(tf.reduce_mean(tf.abs(a - b))) for a, b in zip(ff[:-1], fr[:-1])])
  assert float(logs["l1"]) == pytest.approx(float(tf.reduce_mean(tf.abs(fake - y))), rel=1e-4)
  assert float(logs["g_gan"]) == pytest.approx(float(g_gan), rel=1e-4)
  assert float(logs["d_loss"]) == pytest.approx(float(d_loss), rel=1e-4)
  assert float(logs["perceptual"]) == pytest.approx(matching, rel=1e-4)
  assert float(logs["d_real"]) == pytest.approx(
      float(tf.reduce_mean(tf.sigmoid(real_logits - fm))), rel=1e-4)


def test_the_psnr_stage_trains_g_on_l1_alone_and_the_ema_follows():
  model = _model(adversarial=0.0, perceptual=0.0, ema=64.0)
  model.g_optimizer.learning_rate.assign(1e-2)
  model.d_optimizer.learning_rate.assign(1e-2)
  d0 = [v.numpy().copy() for v in model.discriminator.trainable_variables]
  g0 = [v.numpy().copy() for v in model.generator.trainable_variables]
  model.fit(tf.data.Dataset.from_tensors(_batch()).repeat(), epochs=1, steps_per_epoch=2,
            verbose=0)
  assert all(np.array_equal(a, v.numpy())
             for a, v in zip(d0, model.discriminator.trainable_variables))
  assert [m.name for m in model.metrics] == ["l1"] and model.step_count() == 2
  # The EMA starts at G's initial weights and trails G's moves.
  w, e, w0 = (model.generator.trainable_variables[0].numpy(),
              model.ema_generator.trainable_variables[0].numpy(), g0[0])
  assert not np.allclose(w, w0) and 0 < np.abs(e - w0).max() < np.abs(w - w0).max()
  assert model.sampling_generator is model.ema_generator


def _config(root, **changes):
  return config_lib.make(**{
      "family": "esrgan", "network": "rrdb", "dataset": "folder", "data_dir": root,
      "image_size": 16, "holdout": 4, "scale": 2, "rrdb_features": 8, "rrdb_blocks": 1,
      "rrdb_growth": 4, "width": 0.125, "d_layers": 1, "batch_size": 4, "train_steps": 4,
      "log_every": 2, "sample_every": 2, "checkpoint_every": 2, "num_samples": 3,
      "eval_metrics": "sr", "eval_every": 4, "best_metric": "psnr_y_crop2", **changes})


@pytest.mark.integration
def test_psnr_then_gan_runs_train_resume_export_translate_and_evaluate(tmp_path):
  root = write_gradient_faces(str(tmp_path / "faces"), n=12, size=(20, 20))
  psnr_dir, gan_dir = str(tmp_path / "psnr"), str(tmp_path / "gan")
  first = trainer.train_and_evaluate(_config(root), psnr_dir, verbose=False)
  second = trainer.train_and_evaluate(_config(root, train_steps=6), psnr_dir, verbose=False)
  run = rundir.RunDir(psnr_dir)
  assert first["step"] == 4 and second["step"] == 6
  assert [r["step"] for r in run.metric_rows() if "l1" in r] == [2, 4, 6]
  assert [r["step"] for r in run.metric_rows() if "eval/psnr_y_crop2" in r] == [4]
  grid = tf.io.decode_png(open(run.sample_path(6), "rb").read()).numpy()
  assert grid.shape == (3 * 18 + 2, 4 * 18 + 2, 3)  # 3 rows of LR | bicubic | output | HR

  # The SavedModel serves any LR size, without tfgan.
  served = tf.saved_model.load(second["saved_model"])
  assert served.serve(tf.zeros((1, 5, 7, 3))).shape == (1, 10, 14, 3)

  # tfgan.translate: a folder of LR images of any size -> scale x larger PNGs.
  lr_dir, out = str(tmp_path / "lr"), str(tmp_path / "out")
  write_image(os.path.join(lr_dir, "small.png"),
              np.random.default_rng(1).integers(0, 256, (9, 11, 3), dtype=np.uint8))
  translation.translate_files(psnr_dir, lr_dir, out)
  assert tf.io.decode_png(open(os.path.join(out, "small.png"), "rb").read()).shape == (18, 22, 3)

  # tfgan.evaluate: the model and the bicubic baseline on the held-out pairs, in one command;
  # the bicubic numbers are those of the metric functions applied by hand.
  printed = []
  table = translation.evaluate_run(psnr_dir, log=printed.append)
  assert list(table) == ["model", "bicubic"] and "psnr_y_crop2" in "".join(printed)
  assert table["bicubic"]["swd_vs_targets"] > 0  # the distribution distance, per row too
  row = run.metric_rows()[-1]
  held = esrgan.ESRGANFamily().open_pairs(_config(root), "holdout")
  lr, hr = next(iter(held_batches(held)))
  by_hand = restoration.sr_scores(restoration.bicubic_upsample(lr, 2), hr, 2)
  assert row["eval_bicubic/psnr_y_crop2"] == pytest.approx(by_hand["psnr_y_crop2"].mean())
  assert row["eval_bicubic/ssim_y_crop2"] == pytest.approx(by_hand["ssim_y_crop2"].mean())
  model_by_hand = restoration.sr_scores(
      generation.translate(generation.load_generator(psnr_dir), lr), hr, 2)
  assert row["eval/psnr_y_crop2"] == pytest.approx(model_by_hand["psnr_y_crop2"].mean(),
                                                   rel=1e-5)

  # The GAN stage starts from the PSNR model's exported generator.
  gan_config = _config(root, init_from=psnr_dir, pixel_weight=1e-2, perceptual_weight=1.0,
                       adversarial_weight=5e-3, train_steps=2)
  family = build.validate(gan_config)
  built = build.build(gan_config, family, tf.distribute.get_strategy(), log=lambda line: None)
  exported = generation.load_generator(psnr_dir)
  assert all(np.array_equal(a, b) for a, b in zip(built.model.generator.get_weights(),
                                                  exported.get_weights()))
  gan = trainer.train_and_evaluate(gan_config, gan_dir, verbose=False)
  rows = rundir.RunDir(gan_dir).metric_rows()
  assert gan["step"] == 2 and "d_loss" in rows[0] and "perceptual" in rows[0]
  with pytest.raises(ValueError, match="does not match"):
    build.build(_config(root, init_from=psnr_dir, rrdb_features=4), family,
                tf.distribute.get_strategy(), log=lambda line: None)


def held_batches(pairs):
  from tfgan.data import pairs as pairs_lib
  return ((x.numpy(), y.numpy()) for x, y in pairs_lib.make_pair_dataset(
      pairs, 64, repeat=False, cache="none", drop_remainder=False))


def test_bad_esrgan_settings_are_refused_by_name():
  for changes, message in ((dict(network="unet"), "network must be rrdb"),
                           (dict(scale=3), "scale must be one of"),
                           (dict(perceptual_weight=1.0), "adversarial_weight > 0"),
                           (dict(perceptual="vgg19", perceptual_weight=1.0,
                                 adversarial_weight=1.0), "needs --vgg_weights"),
                           (dict(pixel_weight=0.0), "not all 0"),
                           (dict(loss="hinge"), "relativistic"),
                           (dict(eval_metrics="paired"), "'sr'"),
                           (dict(best_metric="psnr_y_crop4"), "choose one of")):
    with pytest.raises(ValueError, match=message):
      build.validate(_config("/nowhere", **changes))
  with pytest.raises(ValueError, match="--init_from=/nowhere"):
    base.load_weights_from(rrdb.RRDBGenerator((4, 4, 3), 2, 4, 1, 2), "/nowhere")


def test_vgg_features_are_conv5_4_before_its_relu_from_a_weights_file(tmp_path, offline):
  from tfgan.networks import vgg
  keras.utils.set_random_seed(0)
  net = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
  path = str(tmp_path / "vgg19.weights.h5")
  net.save_weights(path)
  features = vgg.VGGFeatures(path)
  x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
  out = features(x)
  assert out.shape == (2, 2, 2, 512) and float(tf.reduce_min(out)) < 0  # before the ReLU
  caffe = keras.applications.vgg19.preprocess_input((x + 1) * 127.5)
  after = keras.Model(net.input, net.get_layer("block5_conv4").output)(caffe)
  np.testing.assert_allclose(tf.nn.relu(out), after, atol=1e-3)
  grey = features(x[..., :1])
  assert grey.shape == out.shape
  with pytest.raises(vgg.WeightsUnavailableError, match="--vgg_weights"):
    vgg.VGGFeatures(str(tmp_path / "missing.h5"))
  if not os.path.isfile(os.path.join(os.path.expanduser("~"), ".keras", "models",
                                     vgg.VGG19_WEIGHTS_FILE)):
    with pytest.raises(vgg.WeightsUnavailableError, match="cannot be reached"):
      vgg.VGGFeatures("imagenet")


@pytest.mark.integration
def test_the_online_div2k_flagfiles_train_on_full_size_images_and_evaluate_on_set5(tmp_path):
  # flags/div2k_sr4x_{psnr,gan}.flags are NOT YET RUN here (no internet, no GPU): their own
  # settings, with a tiny network, 16 px patches and 2 steps, on full-size images written here;
  # the GAN stage with ESRGAN's VGG19 loss from a weights file written here.
  from conftest import REPO
  rng = np.random.default_rng(0)
  train, set5 = tmp_path / "DIV2K_train_HR", tmp_path / "Set5"
  for i, shape in enumerate([(40, 52), (36, 36), (48, 41)]):
    write_image(str(train / f"{i:04d}.png"), rng.integers(0, 256, shape + (3,), dtype=np.uint8))
  for name, shape in (("baby", (47, 45)), ("bird", (50, 61))):
    write_image(str(set5 / f"{name}.png"), rng.integers(0, 256, shape + (3,), dtype=np.uint8))
  tiny = dict(data_dir=str(train), patch_size=16, rrdb_features=8, rrdb_blocks=1,
              rrdb_growth=4, width=0.125, d_layers=1, batch_size=2, train_steps=2,
              lr_decay_start=1, log_every=1, sample_every=2, checkpoint_every=2,
              num_samples=2)
  psnr_dir, gan_dir = str(tmp_path / "psnr"), str(tmp_path / "gan")
  config = config_lib.from_flagfile(os.path.join(REPO, "flags", "div2k_sr4x_psnr.flags"), **tiny)
  assert (config.restoration.rrdb_blocks, config.restoration.patch_size) == (1, 16)
  assert trainer.train_and_evaluate(config, psnr_dir, verbose=False)["step"] == 2
  printed = []
  table = translation.evaluate_run(psnr_dir, data_dir=str(set5), log=printed.append)
  assert table["model"]["pairs"] == 2 and np.isfinite(table["bicubic"]["psnr_y_crop4"])
  assert any("vary in size" in line for line in printed)  # SWD needs one size
  # Whole images, mod-cropped to multiples of 4: the bicubic row by hand, one image at a time.
  from tfgan.data import pairs as pairs_lib
  by_hand = []
  for name in ("baby", "bird"):
    hr = tf.io.decode_png(tf.io.read_file(str(set5 / f"{name}.png")))
    hr = hr[:hr.shape[0] // 4 * 4, :hr.shape[1] // 4 * 4]
    lr = pairs_lib.downsample(hr, 4)
    signed = lambda a: tf.cast(a, tf.float32).numpy()[None] / 127.5 - 1  # noqa: E731
    by_hand.append(restoration.sr_scores(restoration.bicubic_upsample(signed(lr), 4),
                                         signed(hr), 4)["psnr_y_crop4"][0])
  assert table["bicubic"]["psnr_y_crop4"] == pytest.approx(np.mean(by_hand))

  net = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
  vgg_file = str(tmp_path / "vgg19.weights.h5")
  net.save_weights(vgg_file)
  gan = config_lib.from_flagfile(os.path.join(REPO, "flags", "div2k_sr4x_gan.flags"), **tiny,
                                 init_from=psnr_dir, vgg_weights=vgg_file)
  assert gan.restoration.perceptual == "vgg19" and gan.restoration.adversarial_weight == 5e-3
  result = trainer.train_and_evaluate(gan, gan_dir, verbose=False)
  rows = rundir.RunDir(gan_dir).metric_rows()
  assert result["step"] == 2 and all(np.isfinite(rows[-1][k]) for k in ("perceptual", "d_loss"))
