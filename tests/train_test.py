"""End-to-end runs of the CLI on a tiny config (flags/smoke.flags) and a tiny IDX dataset."""

import glob
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO, run_cli
from tfgan import build
from tfgan import config as config_lib
from tfgan import data, trainer

SMOKE = os.path.join(REPO, "flags", "smoke.flags")


def _train(workdir, idx_dir, *extra):
  return run_cli("tfgan.train", f"--flagfile={SMOKE}", f"--workdir={workdir}",
                    f"--data_dir={idx_dir}", *extra)


def _steps(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [json.loads(line)["step"] for line in f]


@pytest.mark.integration
def test_train_resume_and_reuse_the_generator(tmp_path, idx_dir):
  workdir = str(tmp_path / "run")
  first = _train(workdir, idx_dir)
  assert first.returncode == 0, first.stderr[-3000:]
  assert "img/s" in first.stdout
  # The end of a run says what to do next, with the run's own paths.
  assert "next:" in first.stdout and f"tfgan.sample --workdir={workdir}" in first.stdout
  assert f"tensorboard --logdir {workdir}/tensorboard" in first.stdout
  for name in ("config.json", "metrics.jsonl", "generator.keras", "saved_model/saved_model.pb",
               "checkpoints/checkpoint"):
    assert os.path.exists(os.path.join(workdir, name)), name
  assert os.path.exists(os.path.join(workdir, "samples", "step_0000006.png"))
  assert glob.glob(os.path.join(workdir, "tensorboard", "events.out.tfevents.*"))
  assert _steps(workdir) == [2, 4, 6]
  saved = json.load(open(os.path.join(workdir, "config.json")))
  assert saved["train_steps"] == 6 and saved["data_dir"] == idx_dir
  assert tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")).endswith("ckpt-6")

  # The same command with more steps resumes at step 6: rows continue, no step is repeated.
  second = _train(workdir, idx_dir, "--train_steps=10")
  assert second.returncode == 0, second.stderr[-3000:]
  assert "resuming from step 6" in second.stdout
  assert _steps(workdir) == [2, 4, 6, 8, 10]
  assert os.path.exists(os.path.join(workdir, "config.1.json"))  # the first run's config kept

  # generator.keras is a plain Keras model: same images for the same latents as the checkpoint.
  generator = keras.models.load_model(os.path.join(workdir, "generator.keras"), compile=False)
  model = build.build_model(config_lib.from_dict(json.load(open(
      os.path.join(workdir, "config.json")))), data.DataSpec("mnist", (28, 28, 1), 10))
  tf.train.Checkpoint(generator=model.generator).restore(
      tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))).expect_partial()
  z = np.random.default_rng(0).standard_normal((5, 16)).astype(np.float32)
  from_keras = np.asarray(generator(z, training=False))
  np.testing.assert_allclose(from_keras, np.asarray(model.generator(z, training=False)),
                             atol=1e-5)
  assert from_keras.shape == (5, 28, 28, 1)
  assert from_keras.min() >= -1 and from_keras.max() <= 1

  # The SavedModel serves the same images without tfgan (checked in a clean interpreter).
  np.save(str(tmp_path / "z.npy"), z)
  code = ("import sys, numpy as np, tensorflow as tf; m = tf.saved_model.load(sys.argv[1]); "
          "np.save(sys.argv[3], m.serve(np.load(sys.argv[2])).numpy()); "
          "assert 'tfgan' not in sys.modules")
  served = subprocess.run([sys.executable, "-c", code, os.path.join(workdir, "saved_model"),
                           str(tmp_path / "z.npy"), str(tmp_path / "out.npy")],
                          capture_output=True, text=True, cwd=str(tmp_path), timeout=120)
  assert served.returncode == 0, served.stderr[-2000:]
  np.testing.assert_allclose(np.load(str(tmp_path / "out.npy")), from_keras, atol=1e-5)

  # An incompatible config is refused and the directory left untouched.
  before = sorted(os.listdir(workdir))
  clash = _train(workdir, idx_dir, "--latent_dim=32")
  assert clash.returncode != 0
  assert "another architecture" in clash.stderr and "latent_dim: 16" in clash.stderr
  assert sorted(os.listdir(workdir)) == before


@pytest.mark.integration
def test_sigterm_saves_and_the_next_run_resumes(tmp_path, idx_dir):
  workdir = str(tmp_path / "run")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  proc = subprocess.Popen(
      [sys.executable, "-m", "tfgan.train", f"--flagfile={SMOKE}", f"--workdir={workdir}",
       f"--data_dir={idx_dir}", "--train_steps=100000", "--checkpoint_every=100000",
       "--sample_every=100000"], cwd=REPO, env=env, stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True)
  metrics = os.path.join(workdir, "metrics.jsonl")
  deadline = time.time() + 120
  while not (os.path.exists(metrics) and os.path.getsize(metrics)) and time.time() < deadline:
    time.sleep(0.2)
  proc.send_signal(signal.SIGTERM)
  out, err = proc.communicate(timeout=120)
  assert proc.returncode == 128 + signal.SIGTERM, err[-3000:]
  assert "interrupted at step" in out
  latest = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
  step = int(latest.rsplit("-", 1)[1])
  assert 2 <= step < 100000
  assert os.path.exists(os.path.join(workdir, "generator.keras"))
  resumed = _train(workdir, idx_dir, f"--train_steps={step + 2}")
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  assert f"resuming from step {step}" in resumed.stdout


def test_a_foreign_non_empty_directory_is_refused(tmp_path, idx_dir):
  workdir = tmp_path / "photos"
  workdir.mkdir()
  (workdir / "holiday.jpg").write_bytes(b"precious")
  result = _train(str(workdir), idx_dir)
  assert result.returncode != 0 and "not a tfgan run directory" in result.stderr
  assert os.listdir(workdir) == ["holiday.jpg"]


def test_bad_data_dir_is_reported_without_traceback(tmp_path):
  result = _train(str(tmp_path / "run"), str(tmp_path / "missing"))
  assert result.returncode == 1
  assert f"tfgan.train: error: --data_dir={tmp_path / 'missing'}: no such folder." in \
      result.stderr
  assert "Traceback" not in result.stderr


SECOND_STAGES = sorted(p for p in glob.glob(os.path.join(REPO, "flags", "*.flags"))
                       if "\n--first_stage=" in open(p).read())


def test_the_second_stage_flagfiles_name_their_first_stage():
  names = [os.path.basename(p) for p in SECOND_STAGES]
  assert names == ["celeba_inpaint.flags", "celeba_sr4x_gan.flags", "div2k_sr4x_gan.flags"]
  for path in SECOND_STAGES:
    first = config_lib.from_flagfile(path).restoration.first_stage
    assert os.path.isfile(os.path.join(REPO, first)), (path, first)
    assert config_lib.from_flagfile(os.path.join(REPO, first)).restoration.adversarial_weight \
        == 0, first  # the stage 1 of a GAN stage: the L1 / PSNR model


@pytest.mark.parametrize("path", SECOND_STAGES, ids=os.path.basename)
def test_a_second_stage_flagfile_without_its_start_is_refused(path, tmp_path):
  # As a user copying its first line would run it: no --init_from. Refused before TensorFlow
  # starts or anything is written, naming the first stage's flagfile and the command.
  first = config_lib.from_flagfile(path).restoration.first_stage
  workdir = tmp_path / "run"
  result = run_cli("tfgan.train", f"--flagfile={path}", f"--workdir={workdir}",
                   f"--data_dir={tmp_path}")
  assert result.returncode == 1 and not workdir.exists()
  assert f"second stage (first_stage={first})" in result.stderr
  assert f"python -m tfgan.train --flagfile={first} --workdir=FIRST_RUN" in result.stderr
  assert "--init_from=FIRST_RUN" in result.stderr and "Traceback" not in result.stderr
  # The library refuses too (notebooks); a run that exists resumes without --init_from.
  config = config_lib.from_flagfile(path)
  with pytest.raises(trainer.WorkdirError, match="second stage"):
    trainer.train_and_evaluate(config, str(workdir), verbose=False)
  assert not workdir.exists()
  workdir.mkdir()
  (workdir / "config.json").write_text(config.to_json())
  assert config_lib.first_stage_error(config, str(workdir)) is None
  assert config_lib.first_stage_error(config.replace(init_from="x"), str(tmp_path)) is None


def _parse_like_the_cli(*argv):
  """The Config that `python -m tfgan.train ARGV` resolves, without a TensorFlow process:
  tfgan.train's flags (define_flags plus --workdir and --dry_run) on a private FlagValues,
  parsed by absl, then config_from_flags, as tfgan.train.main does."""
  from absl import flags
  flag_values = flags.FlagValues()
  config_lib.define_flags(flag_values)
  flags.DEFINE_string("workdir", None, "", flag_values=flag_values)
  flags.DEFINE_bool("dry_run", False, "", flag_values=flag_values)
  rest = flag_values(["tfgan.train", *argv])
  assert rest == ["tfgan.train"], rest
  return config_lib.config_from_flags(flag_values)


def test_dry_run_prints_the_resolved_config():
  # The one CLI dry run: the JSON it prints is the config the flags describe, the override
  # after the flagfile wins, and notebooks' from_flagfile resolves the same.
  result = run_cli("tfgan.train", f"--flagfile={SMOKE}", "--dry_run", "--g_lr=0.01")
  assert result.returncode == 0, result.stderr[-2000:]
  resolved = config_lib.from_dict(json.loads(result.stdout))
  assert resolved.optimization.g_lr == 0.01 and resolved.gan.latent_dim == 16
  assert resolved == config_lib.from_flagfile(SMOKE, g_lr=0.01)
  assert resolved == _parse_like_the_cli(f"--flagfile={SMOKE}", "--dry_run", "--g_lr=0.01")


def test_bad_flag_values_are_refused_by_name():
  # tfgan.train hands its Config to build.validate, whose message names the setting.
  with pytest.raises(ValueError, match="^batch_size must be a positive integer"):
    build.validate(_parse_like_the_cli("--dry_run", "--batch_size=0"))
  with pytest.raises(ValueError, match="Unknown loss 'wgan': loss must be one of"):
    build.validate(_parse_like_the_cli("--dry_run", "--loss=wgan"))
  # The CLI prints that message as the flag, alone: not below absl's ~380-line flag list.
  result = run_cli("tfgan.train", f"--flagfile={SMOKE}", "--dry_run", "--batch_size=0")
  assert result.returncode == 1
  assert "tfgan.train: error: --batch_size must be a positive integer" in result.stderr
  assert "--workdir:" not in result.stderr and len(result.stderr.splitlines()) < 10, (
      result.stderr[-2000:])


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(REPO, "flags", "*.flags"))),
                         ids=os.path.basename)
def test_every_flagfile_parses_and_documents_itself(path):
  text = open(path).read()
  assert text.startswith("#"), f"{path} must start with a comment header"
  resolved = _parse_like_the_cli(f"--flagfile={path}", "--dry_run")
  build.validate(resolved)
  # Notebooks read flagfiles with config.from_flagfile: the same config as the CLI's, and
  # every setting the file names is in it (a line absl ignored would leave its default).
  assert config_lib.from_flagfile(path) == resolved
  values = resolved.to_dict()
  for line in text.splitlines():
    if line.startswith("--"):
      name, _, value = line[2:].partition("=")
      if not value:  # a bare --name boolean
        value = "true"
      kind = type(values[name])
      wanted = value.lower() == "true" if kind is bool else kind(value)
      assert values[name] == wanted, (path, name, values[name], value)


@pytest.mark.integration
def test_import_tfgan_defines_no_flags():
  # Importing the library defines none of the CLI's flags, so importing the CLI module after
  # it (as `python -m tfgan.train` does) cannot define a flag twice.
  names = sorted(config_lib.FIELDS) + ["workdir", "dry_run"]
  code = ("import sys; from absl import flags; import tfgan, tfgan.trainer, tfgan.generation; "
          f"clash = [n for n in {names!r} if n in flags.FLAGS]; assert not clash, clash; "
          "import tfgan.train; assert 'workdir' in flags.FLAGS")
  result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
  assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.integration
def test_conditional_run_samples_the_asked_class(tmp_path, idx_dir):
  workdir = str(tmp_path / "cgan")
  result = _train(workdir, idx_dir, "--conditional", "--train_steps=2", "--num_samples=20",
                  "--gp_weight=1", "--d_norm=none", "--diffaugment=translation")
  assert result.returncode == 0, result.stderr[-3000:]
  grid = tf.io.decode_png(open(os.path.join(workdir, "samples", "step_0000002.png"), "rb")
                          .read()).numpy()
  assert grid.shape[0] == 10 * 30 + 2  # one row per class
  npz = str(tmp_path / "sevens.npz")
  sample = run_cli("tfgan.sample", f"--workdir={workdir}", "--label=7", "--num=5",
                      f"--npz={npz}")
  assert sample.returncode == 0, sample.stderr[-2000:]
  saved = np.load(npz)
  assert saved["images"].shape == (5, 28, 28, 1) and saved["labels"].tolist() == [7] * 5
  bad = run_cli("tfgan.sample", f"--workdir={workdir}", "--label=10", "--num=5",
                   f"--npz={tmp_path / 'x.npz'}")
  assert bad.returncode != 0 and "classes 0..9" in bad.stderr
  served = tf.saved_model.load(os.path.join(workdir, "saved_model"))
  z = np.zeros((2, 16), np.float32)
  out = served.serve(z, np.array([1, 2], np.int32)).numpy()
  assert out.shape == (2, 28, 28, 1)


def _class_folders(root, classes=("circles", "squares", "stripes"), per_class=6, size=40):
  from conftest import write_image
  rng = np.random.default_rng(0)
  for c, name in enumerate(classes):
    for i in range(per_class):
      image = rng.integers(0, 256, (size, size + 8, 3), dtype=np.uint8)
      write_image(os.path.join(root, name, f"{i}.png" if i % 2 else f"{i}.jpg"), image)
  return root


@pytest.mark.integration
def test_conditional_run_on_class_folders_records_the_mapping(tmp_path):
  root = _class_folders(str(tmp_path / "shapes"))
  workdir = str(tmp_path / "run")
  config = config_lib.make(dataset="folder", data_dir=root, image_size=32, conditional=True,
                           network="dcgan", kernel_size=3, width=0.125, latent_dim=8,
                           batch_size=6, train_steps=2, log_every=1, sample_every=2,
                           checkpoint_every=2, num_samples=6)
  result = trainer.train_and_evaluate(config, workdir, verbose=False)
  assert result["status"] == "completed" and result["step"] == 2
  assert json.load(open(os.path.join(workdir, "classes.json"))) == {
      "circles": 0, "squares": 1, "stripes": 2}
  grid = tf.io.decode_png(open(os.path.join(workdir, "samples", "step_0000002.png"), "rb")
                          .read()).numpy()
  assert grid.shape[0] == 3 * (32 + 2) + 2 and grid.shape[-1] == 3  # a row per class
  served = tf.saved_model.load(os.path.join(workdir, "saved_model"))
  assert served.serve(np.zeros((2, 8), np.float32), np.array([0, 2], np.int32)).shape == (
      2, 32, 32, 3)
  npz = str(tmp_path / "squares.npz")
  sample = run_cli("tfgan.sample", f"--workdir={workdir}", "--label=squares", "--num=3",
                      f"--npz={npz}")
  assert sample.returncode == 0, sample.stderr[-2000:]
  assert np.load(npz)["labels"].tolist() == [1, 1, 1]
  wrong = run_cli("tfgan.sample", f"--workdir={workdir}", "--label=dogs", "--num=3",
                     f"--npz={tmp_path / 'dogs.npz'}")
  assert wrong.returncode != 0 and "names the classes ['circles', 'squares'" in wrong.stderr
  # A conditional run does not resume on folders whose classes changed.
  os.rename(os.path.join(root, "stripes"), os.path.join(root, "zebras"))
  with pytest.raises(trainer.WorkdirError, match="classes.json maps labels to other class"):
    trainer.train_and_evaluate(config.replace(train_steps=4), workdir, verbose=False)


@pytest.mark.integration
def test_bad_image_stops_the_run_before_anything_is_written(tmp_path):
  root = _class_folders(str(tmp_path / "shapes"), per_class=2)
  open(os.path.join(root, "squares", "broken.jpg"), "wb").write(b"\xff\xd8\xff not a jpeg")
  workdir = str(tmp_path / "run")
  result = run_cli("tfgan.train", f"--flagfile={SMOKE}", f"--workdir={workdir}",
                      "--dataset=folder", f"--data_dir={root}", "--image_size=32")
  assert result.returncode == 1, result.stderr[-2000:]
  assert "squares/broken.jpg" in result.stderr and "--skip_bad_images" in result.stderr
  assert "Traceback" not in result.stderr
  assert not os.path.exists(workdir)
  skipped = run_cli("tfgan.train", f"--flagfile={SMOKE}", f"--workdir={workdir}",
                       "--dataset=folder", f"--data_dir={root}", "--image_size=32",
                       "--skip_bad_images", "--train_steps=2", "--cache=file")
  assert skipped.returncode == 0, skipped.stderr[-2000:]
  assert "skipped 1 unreadable files of 7" in skipped.stdout
  assert os.listdir(os.path.join(workdir, "data_cache"))


@pytest.mark.integration
def test_mirrored_bfloat16_run_exports_a_plain_float32_generator(tmp_path, idx_dir):
  # MirroredStrategy on this CPU (one replica) with mixed bfloat16 networks: the exports must
  # still be float32 models that load and run outside any strategy.
  config = config_lib.from_flagfile(SMOKE, data_dir=idx_dir, strategy="mirrored",
                                    mixed_precision="mixed_bfloat16", ema_kimg=1.0,
                                    sync_batch_norm=True)
  result = trainer.train_and_evaluate(config, str(tmp_path / "run"), verbose=False)
  assert result["step"] == 6
  assert isinstance(result["model"].distribute_strategy, tf.distribute.MirroredStrategy)
  assert result["model"].generator.compute_dtype == "bfloat16"
  generator = keras.models.load_model(result["generator_keras"], compile=False)
  out = generator(np.zeros((2, 16), np.float32))
  assert out.dtype == tf.float32 and out.shape == (2, 28, 28, 1)
  loaded = tf.saved_model.load(result["saved_model"])  # held: its variables die with it
  served = loaded.serve(tf.zeros([2, 16]))
  assert served.dtype == tf.float32
  np.testing.assert_allclose(served.numpy(), out.numpy(), atol=1e-5)


@pytest.mark.integration
def test_a_batch_that_does_not_split_over_the_replicas_is_refused(tmp_path, idx_dir):
  code = ("import tensorflow as tf; cpu = tf.config.list_physical_devices('CPU')[0]; "
          "tf.config.set_logical_device_configuration(cpu, "
          "[tf.config.LogicalDeviceConfiguration()] * 2); "
          "from tfgan import config, distribute, trainer; "
          f"c = config.from_flagfile({SMOKE!r}, data_dir={idx_dir!r}, batch_size=7, "
          "strategy='mirrored')\n"
          f"try: trainer.train_and_evaluate(c, {str(tmp_path / 'run')!r})\n"
          "except distribute.StrategyError as e: print('REFUSED', e)")
  result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
  assert "REFUSED batch_size=7 is the global batch" in result.stdout, result.stderr[-2000:]
  assert "2 replicas" in result.stdout
  assert not os.path.exists(tmp_path / "run")


@pytest.mark.integration
def test_conditional_cifar10_from_local_batches(tmp_path):
  from conftest import write_cifar_release
  root = str(tmp_path / "cifar")
  write_cifar_release(root, n=8, as_archive=True)
  config = config_lib.make(dataset="cifar10", data_dir=root, conditional=True,
                           network="dcgan", kernel_size=3, width=0.125, latent_dim=8,
                           batch_size=8, train_steps=2, log_every=1, sample_every=2,
                           checkpoint_every=2, num_samples=10, shuffle_buffer=40)
  result = trainer.train_and_evaluate(config, str(tmp_path / "run"), verbose=False)
  assert result["step"] == 2
  generator = keras.models.load_model(result["generator_keras"], compile=False)
  out = generator([np.zeros((3, 8), np.float32), np.array([0, 5, 9], np.int32)])
  assert out.shape == (3, 32, 32, 3)


def test_a_diverging_run_exits_non_zero_with_the_step_and_quantity(tmp_path, idx_dir):
  workdir = str(tmp_path / "run")
  result = _train(workdir, idx_dir, "--g_lr=1e8", "--d_lr=1e8", "--train_steps=12",
                  "--checkpoint_every=3", "--log_every=1")
  assert result.returncode == 1, result.stdout[-2000:]
  assert "tfgan.train: error: step" in result.stderr and "Traceback" not in result.stderr
  assert "completed" not in result.stdout
  assert not os.path.exists(os.path.join(workdir, "generator.keras"))


@pytest.mark.integration
def test_the_command_lines_start_quietly_and_help_lists_every_setting(tmp_path, idx_dir):
  env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
  help_text = subprocess.run([sys.executable, "-m", "tfgan.train", "--help"], cwd=REPO,
                             capture_output=True, text=True, timeout=120, env=env)
  assert help_text.returncode == 0 and "--width" in help_text.stdout
  # Grouped by section, each headed by the families that read it: --pairs sits under
  # [translation], between its header and the next section's.
  out = help_text.stdout
  headers = [out.index(f"\n[{name}] for ") for name in config_lib.SECTIONS]
  assert headers == sorted(headers)
  assert "[translation] for pix2pix, cyclegan." in out and "[data] for every family." in out
  translation = list(config_lib.SECTIONS).index("translation")
  assert headers[translation] < out.index("  --pairs  (default:") < headers[translation + 1]
  assert all(f"  --{name}  (default:" in out for name in config_lib.FIELDS)
  assert "tensorflow" not in help_text.stderr.lower()  # --help loads no TensorFlow at all
  dry = subprocess.run([sys.executable, "-m", "tfgan.train", f"--flagfile={SMOKE}",
                        f"--data_dir={idx_dir}", "--dry_run"], cwd=REPO, capture_output=True,
                       text=True, timeout=120, env=env)
  assert dry.returncode == 0 and json.loads(dry.stdout)["latent_dim"] == 16
  assert "InitializeLog" not in dry.stderr and "cuda" not in dry.stderr.lower(), dry.stderr
  # Asking for TensorFlow's logs shows them again.
  loud = subprocess.run([sys.executable, "-m", "tfgan.train", f"--flagfile={SMOKE}",
                         "--dry_run"], cwd=REPO, capture_output=True, text=True, timeout=120,
                        env=dict(env, TF_CPP_MIN_LOG_LEVEL="0"))
  assert loud.returncode == 0 and "InitializeLog" in loud.stderr

