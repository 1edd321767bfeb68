"""The CycleGAN family: its train step against hand-computed losses, the image pool (its
rules, and its state through a checkpoint), the extras (both averages, DiffAugment, R1; the
objective with R1 and the ramp is in models_objective_test), and a whole run through the shared trainer on a
tiny folder (train, resume, preview, both exports, translate both ways, evaluate)."""

import glob
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import run_cli, small_extractor, write_gradient_faces, write_image
from tfgan import augment, build, rundir, trainer
from tfgan import config as config_lib
from tfgan import losses
from tfgan.models import adversarial, cyclegan
from tfgan.networks import resnet_translation, unet


def tiny_networks(seed=0):
  """Built g_ab, g_ba (one-block ResNets) and d_a, d_b (one-layer instance-norm PatchGANs) for
  16x16 RGB, weights from `seed`: the CycleGAN of this file, distribute_test's and
  models_objective_test's."""
  keras.utils.set_random_seed(seed)
  gs = [resnet_translation.ResNetGenerator((16, 16, 3), 3, width=0.125, n_blocks=1,
                                           name=n) for n in ("g_ab", "g_ba")]
  ds = [unet.PatchDiscriminator((16, 16, 3), width=0.125, n_layers=1, norm="instance",
                                name=n) for n in ("d_a", "d_b")]
  for network in gs + ds:
    network.build(network.input_shapes())
  return gs + ds


def _model(loss="least_squares", pool_size=50, lambda_identity=0.5, lr=0.0, seed=1,
           extras=None):
  model = cyclegan.CycleGAN(*tiny_networks(0), losses.get(loss), 10.0, lambda_identity,
                            pool_size, seed=seed, extras=extras)
  model.compile(keras.optimizers.Adam(lr), keras.optimizers.Adam(lr), run_eagerly=True)
  return model


# Every extra CycleGAN trains with (issue 30): both averages, R1, DiffAugment, the ramp.
EXTRAS = adversarial.Extras(r1_gamma=1.0, augment=augment.DiffAugment.parse(
    "color,translation,cutout"), ramp_steps=3, ema_half_life=16.0)


def _batch(n=2, seed=0):
  rng = np.random.default_rng(seed)
  return tuple(tf.constant(rng.uniform(-1, 1, (n, 16, 16, 3)), tf.float32) for _ in "ab")


def test_the_step_losses_are_the_papers():
  model = _model()
  a, b = _batch()
  logs = model.train_step((a, b))
  g_ab, g_ba, d_a, d_b = model.g_ab, model.g_ba, model.d_a, model.d_b
  fake_b, fake_a = g_ab(a), g_ba(b)
  mse = lambda x, t: tf.reduce_mean(tf.square(x - t))  # noqa: E731
  l1 = lambda x, y: tf.reduce_mean(tf.abs(x - y))  # noqa: E731
  # The reference's LSGAN: G's term MSE(D(G(x)), 1); D's 0.5 (MSE(D(x), 1) + MSE(D(G(x)), 0)),
  # here halved once more (the same gradient direction for Adam).
  g_gan = mse(d_b(fake_b), 1.0) + mse(d_a(fake_a), 1.0)
  cycle = l1(g_ba(fake_b), a) + l1(g_ab(fake_a), b)
  identity = l1(g_ab(b), b) + l1(g_ba(a), a)
  # The pool is filling: D sees this step's fakes.
  d_b_loss = 0.25 * (mse(d_b(b), 1.0) + mse(d_b(fake_b), 0.0))
  d_a_loss = 0.25 * (mse(d_a(a), 1.0) + mse(d_a(fake_a), 0.0))
  for key, value in (("g_gan", g_gan), ("cycle", cycle), ("identity", identity),
                     ("d_a", d_a_loss), ("d_b", d_b_loss)):
    assert float(logs[key]) == pytest.approx(float(value), rel=1e-4), key


def test_the_pool_stores_the_first_fakes_then_swaps_about_half_of_the_later_ones():
  model = _model(pool_size=3)
  pool = model.pool_b
  gen = keras.random.SeedGenerator(5)
  slots = lambda: pool.images.numpy()[:, 0, 0, 0].tolist()  # noqa: E731 (each image is flat)
  swapped = 0
  for k in range(8):
    fakes = tf.fill((2, 16, 16, 3), float(k + 1)) + tf.constant([[[[0.0]]], [[[0.5]]]])
    new = [k + 1.0, k + 1.5]
    before, count = slots(), int(pool.count.numpy())
    out = pool.query(fakes, gen).numpy()
    returned = out[:, 0, 0, 0].tolist()
    assert all((o == o[0, 0, 0]).all() for o in out)  # whole images, not mixed pixels
    if k == 0:  # filling: stored in order and returned unchanged
      assert returned == new and slots()[:2] == new and int(pool.count.numpy()) == 2
    elif k == 1:  # the first fills the last slot; the second meets a full pool
      assert slots()[2] == 2.0 and returned[0] == 2.0 and int(pool.count.numpy()) == 3
    else:  # full: nothing is lost or made up; a swapped-out fake leaves the pool
      assert count == 3
      assert sorted(before + new) == sorted(slots() + returned), (k, before, returned)
      swapped += sum(r != n for r, n in zip(returned, new))
  assert 2 <= swapped <= 10  # of the 12 images that met a full pool in steps 2..7


def test_the_pool_equals_the_references_image_by_image_query_with_the_same_draws():
  # The reference's ImagePool.query, one image at a time, fed the draws the pool makes from its
  # seed: batches of 6 into a pool of 4, so images of one batch often pick the same slot.
  model = _model(pool_size=4)
  pool, mine, theirs = model.pool_a, keras.random.SeedGenerator(7), keras.random.SeedGenerator(7)
  reference, rng = [], np.random.default_rng(0)
  for _ in range(6):
    fakes = rng.uniform(-1, 1, (6, 16, 16, 3)).astype(np.float32)
    got = pool.query(tf.constant(fakes), mine).numpy()
    swap = keras.random.uniform((6,), seed=theirs).numpy() > 0.5
    slot = keras.random.randint((6,), 0, 4, seed=theirs).numpy()
    expected = []
    for image, s, k in zip(fakes, swap, slot):
      if len(reference) < 4:
        reference.append(image)
        expected.append(image)
      elif s:
        expected.append(reference[k])
        reference[k] = image
      else:
        expected.append(image)
    np.testing.assert_array_equal(got, np.stack(expected))
    np.testing.assert_array_equal(pool.images.numpy(), np.stack(reference))


@pytest.mark.integration
@pytest.mark.parametrize("extras", [None, EXTRAS], ids=["paper", "extras"])
def test_a_restored_pool_and_rng_continue_exactly(tmp_path, extras):
  model = _model(pool_size=2, lr=1e-3, extras=extras)
  ds = tf.data.Dataset.from_tensors(_batch(seed=1)).repeat()
  model.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
  checkpoint = tf.train.Checkpoint(**model.checkpoint_objects())
  path = checkpoint.save(str(tmp_path / "ckpt"))
  model.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)

  def state(m):  # the pools, a D, and with the extras both averages (augmentation draws in D)
    out = m.pool_a.variables() + m.d_a.weights
    return out + (m.ema_generator.weights + m.ema_generator_ba.weights if extras else [])

  expected = [v.numpy() for v in state(model)]
  # Another seed: the checkpoint must set the pools' and the augmentation's draws.
  fresh = _model(pool_size=2, lr=1e-3, seed=9, extras=extras)
  tf.train.Checkpoint(**fresh.checkpoint_objects()).restore(path).assert_consumed()
  assert int(fresh.pool_a.count.numpy()) == 2 and int(fresh.step_count()) == 2
  fresh.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
  got = [v.numpy() for v in state(fresh)]
  for e, g in zip(expected, got):
    np.testing.assert_allclose(g, e, atol=1e-6)


def test_both_averages_follow_their_generators_and_are_what_is_exported():
  model = cyclegan.CycleGAN(*tiny_networks(0), losses.get("least_squares"), pool_size=0,
                            seed=1, extras=adversarial.Extras(ema_half_life=8.0))
  model.compile(keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), run_eagerly=True)
  before = {g.name: [v.numpy().copy() for v in g.trainable_variables]
            for g in (model.g_ab, model.g_ba)}
  model.train_step(_batch())
  beta = 0.5 ** (2 / 8.0)  # 2 images of a half-life of 8
  for ema, g in ((model.ema_generator, model.g_ab), (model.ema_generator_ba, model.g_ba)):
    assert not np.allclose(before[g.name][0], g.trainable_variables[0].numpy())
    for e, w0, w in zip(ema.trainable_variables, before[g.name], g.trainable_variables):
      np.testing.assert_allclose(e.numpy(), beta * w0 + (1 - beta) * w.numpy(), rtol=1e-5,
                                 atol=1e-7)
  exports = {e.name: e.model for e in cyclegan.CycleGANFamily().exports(model)}
  assert exports == {"generator": model.ema_generator, "generator_ba": model.ema_generator_ba}
  assert {"ema_generator", "ema_generator_ba"} <= set(model.checkpoint_objects())
  plain = _model(pool_size=0)
  assert plain.ema_generator_ba is None and plain.sampling_generator_ba is plain.g_ba


def test_diffaugment_reaches_both_steps_and_r1_adds_to_each_d_loss():
  # Learning rate 0: the networks stay as they are, so any change in a logged loss is what
  # the discriminators were shown (or the weight of a term).
  batch = _batch(n=4)
  plain = _model(pool_size=0).train_step(batch)
  augmented = _model(pool_size=0, extras=adversarial.Extras(
      augment=augment.DiffAugment.parse("translation,cutout"))).train_step(batch)
  for name in ("g_gan", "d_a", "d_b"):  # G's step, then each D's
    assert not np.isclose(float(plain[name]), float(augmented[name])), name
  assert float(plain["cycle"]) == pytest.approx(float(augmented["cycle"]))
  with_r1 = _model(pool_size=0, extras=adversarial.Extras(r1_gamma=2.0))
  logs = with_r1.train_step(batch)
  assert float(logs["r1"]) > 0 and float(logs["d_a"]) > float(plain["d_a"])
  assert [m.name for m in with_r1.metrics][-1] == "r1"
  with pytest.raises(ValueError, match="CycleGAN's reals and fakes are unrelated images"):
    _model(extras=adversarial.Extras(feature_matching_weight=1.0))


@pytest.mark.integration
def test_the_step_and_its_pools_train_with_xla():
  model = _model(pool_size=2, lr=1e-3)
  model.compile(model.g_optimizer, model.d_optimizer, jit_compile=True)
  d0 = [v.numpy().copy() for v in model.d_b.trainable_variables]
  history = model.fit(tf.data.Dataset.from_tensors(_batch()).repeat(), epochs=1,
                      steps_per_epoch=2, verbose=0)
  assert all(np.isfinite(v[-1]) for v in history.history.values())
  assert int(model.pool_b.count.numpy()) == 2 and model.step_count() == 2
  assert any(not np.allclose(a, v.numpy()) for a, v in zip(d0, model.d_b.trainable_variables))



def _config(root, **changes):
  return config_lib.make(**{
      "family": "cyclegan", "network": "resnet", "dataset": "folder", "data_dir": root,
      "image_size": 16, "domains": "grey", "holdout": 4, "width": 0.125, "batch_size": 2,
      "resnet_blocks": 1, "d_layers": 1, "loss": "least_squares", "pool_size": 3,
      "train_steps": 4, "lr_decay_start": 2, "log_every": 2, "sample_every": 2,
      "checkpoint_every": 2, "num_samples": 3, "eval_metrics": "paired", "eval_every": 4,
      "best_metric": "psnr_rgb", **changes})


@pytest.mark.integration
def test_a_cyclegan_run_trains_resumes_exports_and_translates_both_ways(tmp_path):
  root = write_gradient_faces(str(tmp_path / "faces"))
  workdir = str(tmp_path / "run")
  first = trainer.train_and_evaluate(_config(root), workdir, verbose=False)
  assert first["step"] == 4 and first["status"] == "completed"
  pool = first["model"].pool_b.images.numpy()
  second = trainer.train_and_evaluate(_config(root, train_steps=6), workdir, verbose=False)
  run = rundir.RunDir(workdir)
  rows = run.metric_rows()
  assert [r["step"] for r in rows if "cycle" in r] == [2, 4, 6]  # resumed, not restarted
  assert [r["step"] for r in rows if "eval/psnr_rgb" in r] == [4]
  assert not np.array_equal(second["model"].pool_b.images.numpy(), pool)
  grid = tf.io.decode_png(open(run.sample_path(6), "rb").read()).numpy()
  assert grid.shape == (3 * 18 + 2, 6 * 18 + 2, 3)  # 3 held-out rows: a|G(a)|F(G(a))|b|...

  x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
  served = tf.saved_model.load(second["saved_model"])
  np.testing.assert_allclose(served.serve(x).numpy(), second["model"].g_ab(x).numpy(),
                             atol=1e-5)
  np.testing.assert_allclose(served.serve_ba(x).numpy(), second["model"].g_ba(x).numpy(),
                             atol=1e-5)
  assert os.path.isfile(os.path.join(workdir, "generator_ba.keras"))

  photo = str(tmp_path / "in" / "me.jpg")
  write_image(photo, np.random.default_rng(1).integers(0, 256, (37, 29, 3), dtype=np.uint8))
  for flag, out in (("--derive", "out"), ("--reverse", "out_ba")):
    result = run_cli("tfgan.translate", f"--workdir={workdir}", f"--input={photo}",
                        f"--output={tmp_path / out}", flag)
    assert result.returncode == 0, result.stderr[-2000:]
    image = tf.io.decode_png(open(tmp_path / out / "me.png", "rb").read()).numpy()
    assert image.shape == (37, 29, 3)
  from tfgan import translation
  with pytest.raises(ValueError, match="not --reverse"):
    translation.translate_files(workdir, photo, str(tmp_path / "x"), derive=True, reverse=True)
  table = translation.evaluate_run(workdir, log=lambda s: None)
  assert table["model"]["pairs"] == 4 and "input_itself" in table


@pytest.mark.integration
def test_a_run_on_unpaired_folders_is_scored_by_its_cycle_l1_on_the_test_domains(tmp_path):
  root = tmp_path / "apples2pears"
  for split, n in (("trainA", 4), ("trainB", 4), ("testA", 3), ("testB", 2)):
    write_gradient_faces(str(root / split), n=n, size=(16, 16))
  workdir = str(tmp_path / "run")
  result = trainer.train_and_evaluate(
      _config(str(root), domains="folders", holdout=0, eval_metrics="", best_metric="",
              train_steps=2, lr_decay_start=1), workdir, verbose=False)
  from tfgan import translation
  scores = translation.evaluate_cycles(workdir, config_lib.from_dict(
      json.load(open(os.path.join(workdir, "config.json")))), log=lambda line: None)["model"]
  assert (scores["images_a"], scores["images_b"]) == (3, 2)
  model = result["model"]
  for name, there, back in (("a", model.g_ab, model.g_ba), ("b", model.g_ba, model.g_ab)):
    x = np.stack([np.asarray(tf.io.decode_png(open(p, "rb").read()), np.float32)
                  for p in sorted(glob.glob(str(root / f"test{name.upper()}" / "*.png")))])
    x = x / 127.5 - 1.0
    expected = np.abs(back(there(x)).numpy() - x).mean() / 2.0
    assert scores[f"cycle_l1_{name}"] == pytest.approx(expected, rel=1e-4), name
  # The SWD of each generator's outputs against the other test domain, by hand: the exported
  # generators, the first min(3, 2) = 2 images of each side, as uint8.
  from tfgan import generation
  from tfgan.images import to_uint8
  from tfgan.metrics import swd
  test = {d: np.stack([np.asarray(tf.io.decode_png(open(p, "rb").read()))
                       for p in sorted(glob.glob(str(root / f"test{d}" / "*.png")))])
          for d in "AB"}
  g = generation.load_generator(workdir)
  f = generation.load_generator(os.path.join(workdir, "generator_ba.keras"))
  scale = lambda images: images.astype(np.float32) / 127.5 - 1.0  # noqa: E731
  assert scores["swd_images"] == 2
  for key, fake, real in (("swd_g_vs_b", generation.translate(g, scale(test["A"])), test["B"]),
                          ("swd_f_vs_a", generation.translate(f, scale(test["B"])), test["A"])):
    expected = swd.swd(real[:2], to_uint8(fake)[:2])
    assert scores[key] == pytest.approx(expected["swd"], rel=1e-6), key
    assert scores[f"{key}_16px"] == pytest.approx(expected["swd_16px"], rel=1e-6), key
    # The texture ratios of all the translations against all of the other domain (held as
    # uint8, as the SWD's).
    from tfgan.metrics import texture
    ratios = texture.TextureRatios()
    ratios.update(scale(to_uint8(fake)), scale(real))
    for name, value in ratios.result().items():
      assert scores[f"{name}_{key[4:]}"] == pytest.approx(value, rel=1e-5), (name, key)
  # With an extractor (Inception's interface, a small network: offline), FID/KID of all of
  # G(testA) against all of testB.
  from tfgan.metrics import paired
  extractor = small_extractor()
  with_inception = translation.evaluate_cycles(workdir, config_lib.from_dict(
      json.load(open(os.path.join(workdir, "config.json")))), log=lambda line: None,
      inception_weights=extractor)["model"]
  by_hand = paired.inception_vs_targets(to_uint8(generation.translate(g, scale(test["A"]))),
                                        test["B"], extractor)
  assert with_inception["fid_g_vs_b"] == pytest.approx(by_hand["fid_vs_targets"], rel=1e-6)
  assert with_inception["kid_g_vs_b"] == pytest.approx(by_hand["kid_vs_targets"], rel=1e-6)
  assert with_inception["fid_f_vs_a"] > 0 and "fid_g_vs_b" not in scores
  cli = run_cli("tfgan.evaluate", f"--workdir={workdir}")
  assert cli.returncode == 0 and "cycle_l1_a" in cli.stdout, cli.stderr[-2000:]
  assert "swd_g_vs_b (SWD x1e3, first 2 of G(testA) vs first 2 of testB)" in cli.stdout
  assert "chroma_hf_ratio, sharpness_ratio, colourfulness_ratio of G(testA) / testB" in cli.stdout
  last = rundir.RunDir(workdir).metric_rows()[-1]
  assert "eval/cycle_l1_b" in last and last["eval/swd_f_vs_a"] > 0


def test_bad_cyclegan_settings_are_refused_by_name():
  for changes, message in ((dict(network="unet"), "network must be one of"),
                           (dict(domains="sketch"), "domains must be one of"),
                           (dict(pool_size=-1), "pool_size"),
                           (dict(gp_weight=10.0), "noise-GAN options"),
                           (dict(domains="folders"), "needs held-out pairs")):
    with pytest.raises(ValueError, match=message):
      build.validate(_config("/nowhere", **changes))


@pytest.mark.integration
def test_the_online_horse2zebra_flagfile_trains_on_an_archive_of_its_layout(tmp_path,
                                                                           monkeypatch):
  # flags/horse2zebra_cyclegan.flags is NOT YET RUN here (no internet): its own settings, with
  # tiny networks and steps, train on a horse2zebra.zip of the authors' layout.
  import zipfile
  from conftest import REPO
  from tfgan.data import unpaired
  rng = np.random.default_rng(0)
  (tmp_path / "host").mkdir()
  with zipfile.ZipFile(tmp_path / "host" / "horse2zebra.zip", "w") as z:
    for split in ("trainA", "trainB"):
      for i in range(3):
        path = tmp_path / "build" / "horse2zebra" / split / f"{i}.jpg"
        write_image(str(path), rng.integers(0, 256, (24, 24, 3), dtype=np.uint8))
        z.write(path, f"horse2zebra/{split}/{i}.jpg")
  monkeypatch.setenv("TFGAN_CACHE_DIR", str(tmp_path / "cache"))
  monkeypatch.setattr(unpaired, "CYCLEGAN_URL", f"file://{tmp_path}/host/{{name}}.zip")
  config = config_lib.from_flagfile(
      os.path.join(REPO, "flags", "horse2zebra_cyclegan.flags"), image_size=16, width=0.125,
      resnet_blocks=1, d_layers=1, train_steps=2, lr_decay_start=1, log_every=1,
      sample_every=2, checkpoint_every=2, num_samples=2)
  assert config.data.data_dir == "cyclegan:horse2zebra" and config.translation.pool_size == 50
  result = trainer.train_and_evaluate(config, str(tmp_path / "run"), verbose=False)
  assert result["step"] == 2 and os.path.isfile(result["generator_ba_keras"])
