"""Shared test fixtures: tiny IDX datasets written by the tests, and the real-data location."""

import gzip
import io
import os
import pickle
import tarfile
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# MNIST's four original IDX files, shipped in the repository (data/README.md).
MNIST_DIR = os.path.join(REPO, "data", "mnist")

# The heaviest test files, with their CPU seconds (the pytest process's and its children's,
# summed per test; a full `make test` with three workers on the 2-core CPU, 2026-12-08; a
# file's tests stay on one worker): they are handed out first, so no worker starts a long file
# while the others have nothing left (longest first). The Makefile turns xdist's own order
# (files with the most tests first) off. Only the order depends on these numbers; files not
# named follow in collection order.
FILE_SECONDS = {
    "distribute_test.py": 159, "models_gan_test.py": 126, "models_cyclegan_test.py": 108,
    "notebooks_test.py": 85, "trainer_test.py": 84, "train_test.py": 79,
    "models_stylegan2_test.py": 65, "metrics_evaluation_test.py": 56,
    "models_esrgan_test.py": 51, "demo_test.py": 42, "models_pix2pix_test.py": 40,
    "models_inpaint_test.py": 28, "networks_resnet_test.py": 25, "clusters_test.py": 20,
    "projection_test.py": 17, "metrics_swd_test.py": 16, "ada_test.py": 13}


def pytest_collection_modifyitems(items):
  items.sort(key=lambda item: -FILE_SECONDS.get(item.path.name, 0))  # stable: files stay whole


def write_idx(path, array, magic):
  """Writes uint8 `array` as an IDX file (gzipped if path ends in .gz)."""
  array = np.asarray(array, np.uint8)
  header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
  opener = gzip.open if path.endswith(".gz") else open
  with opener(path, "wb") as f:
    f.write(header + array.tobytes())


def make_idx_dir(root, n_train=128, n_test=32, gz=True, seed=0):
  """Writes the four MNIST IDX files with random images; labels cycle through 0..9.

  Returns the folder and the (train images, train labels) written.
  """
  os.makedirs(root, exist_ok=True)
  rng = np.random.default_rng(seed)
  suffix = ".gz" if gz else ""
  out = {}
  for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    write_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte{suffix}"), images, 0x803)
    write_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte{suffix}"), labels, 0x801)
    out[split] = (images, labels)
  return root, out


@pytest.fixture(scope="session")
def idx_dir(tmp_path_factory):
  root, _ = make_idx_dir(str(tmp_path_factory.mktemp("mnist_idx")))
  return root


@pytest.fixture
def offline(monkeypatch):
  """No host name resolves, as on a machine without network (socket.getaddrinfo fails)."""
  import socket

  def no_resolver(*args, **kwargs):
    raise socket.gaierror(-3, "Temporary failure in name resolution")

  monkeypatch.setattr(socket, "getaddrinfo", no_resolver)


def run_module(module, *args, timeout=300, env=None):
  """Runs `python -m module args...` from the repo root; returns the CompletedProcess."""
  full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
  return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=full_env,
                        capture_output=True, text=True, timeout=timeout)


class CLIResult:
  """What run_cli returns: the parts of subprocess.CompletedProcess the tests read."""

  def __init__(self, returncode, stdout, stderr):
    self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


# CLI module -> the absl flag names it defined on the global FLAGS when imported here.
_CLI_FLAGS = {}


def run_cli(module, *args):
  """Runs `python -m module args...` in this process: the same entry point (cli_main), flag
  parsing, one-line errors and exit status as the subprocess, without a TensorFlow start-up
  per call (~5 s on the 2-core CPU). For tests whose subject is not the process itself
  (signals, start-up output, environment: those use run_module).

  absl keeps every flag on one global FLAGS, and the CLIs define flags of the same names
  (--workdir): the flags of the CLI imported before are removed and that module forgotten
  before another is imported. Returns a CLIResult; working directory: the repo root.
  """
  import contextlib
  import importlib
  import io
  from absl import app, flags, logging  # noqa: F401  absl's own flags stay defined
  for other in [m for m in _CLI_FLAGS if m != module]:
    for name in _CLI_FLAGS.pop(other):
      if name in flags.FLAGS:
        delattr(flags.FLAGS, name)
    sys.modules.pop(other, None)
  if module not in _CLI_FLAGS:
    before = set(flags.FLAGS)
    sys.modules.pop(module, None)
    importlib.import_module(module)
    _CLI_FLAGS[module] = set(flags.FLAGS) - before
  flags.FLAGS.unparse_flags()
  out, err = io.StringIO(), io.StringIO()
  saved_argv, saved_cwd = sys.argv, os.getcwd()
  sys.argv = [module, *map(str, args)]
  os.chdir(REPO)
  code = 0
  try:
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
      sys.modules[module].cli_main()
  except SystemExit as e:
    if isinstance(e.code, str):  # sys.exit(message): Python prints it and exits 1
      err.write(e.code + "\n")
      code = 1
    else:
      code = e.code or 0
  finally:
    sys.argv = saved_argv
    os.chdir(saved_cwd)
    flags.FLAGS.unparse_flags()
  return CLIResult(code, out.getvalue(), err.getvalue())


SHARED_CELEBA_HALF = os.path.join(REPO, "..", "shared", "data", "celeba_89x109")
SHARED_CELEBA_ORIG = os.path.join(REPO, "..", "shared", "data", "celeba_orig_sample")


def write_image(path, array):
  """Writes uint8 [H, W, C] `array` (C = 1, 2, 3 or 4) in the format named by the extension."""
  from PIL import Image  # Pillow comes with matplotlib.
  array = np.asarray(array, np.uint8)
  mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[array.shape[-1]]
  image = Image.fromarray(array[..., 0] if mode == "L" else array, mode)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  image.save(path, quality=95) if path.lower().endswith((".jpg", ".jpeg")) else image.save(path)


def write_gradient_faces(root, n=12, size=(20, 18)):
  """n PNG images `size` of a colour gradient plus noise (std 20): tiny stand-ins for photos
  with structure, for the image-to-image tests. Returns root."""
  rng = np.random.default_rng(3)
  for i in range(n):
    base = np.linspace(0, 255, size[0] * size[1] * 3).reshape(size + (3,))
    write_image(os.path.join(root, f"{i:02d}.png"),
                np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8))
  return root


def small_extractor(seed=0):
  """A feature extractor with InceptionExtractor's interface (float32 [B, H, W, 3] in [-1, 1]
  -> (features [B, 8], logits [B, 10])) on a one-convolution network, for the tests of the
  FID/KID plumbing: InceptionV3 with random weights (offline) costs ~10 s there to build and
  trace. InceptionExtractor itself is tested in metrics_evaluation_test.py."""
  import keras
  from tfgan.metrics.features import ClassifierExtractor
  keras.utils.set_random_seed(seed)
  inputs = keras.Input((None, None, 3))
  x = keras.layers.Conv2D(8, 3, strides=2, activation="tanh")(inputs)
  x = keras.layers.GlobalAveragePooling2D(name="features")(x)
  return ClassifierExtractor(keras.Model(inputs, keras.layers.Dense(10)(x)))


class FakeClock:
  """A perf_counter that advances one second per reading, so images/s and wall_sec are exact."""

  def __init__(self):
    self.now = -1.0

  def perf_counter(self):
    self.now += 1.0
    return self.now


def snapshot(root):
  """{relative path: (size, mtime_ns)} of every file under root, to prove nothing changed."""
  out = {}
  for parent, _, files in os.walk(root):
    for f in files:
      st = os.stat(os.path.join(parent, f))
      out[os.path.relpath(os.path.join(parent, f), root)] = (st.st_size, st.st_mtime_ns)
  return out


def _cifar_batch(n, seed):
  rng = np.random.default_rng(seed)
  images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
  labels = [int(v) for v in rng.integers(0, 10, size=n)]
  # The release stores each image as 1024 red, 1024 green, then 1024 blue bytes.
  rows = images.transpose(0, 3, 1, 2).reshape(n, 3072)
  raw = pickle.dumps({b"batch_label": b"x", b"labels": labels, b"data": rows}, protocol=2)
  return raw, images, np.array(labels)


def write_cifar_release(root, n=6, as_archive=False):
  """Writes the six batch files (n images each) as a folder or as the .tar.gz."""
  names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
  parts = {name: _cifar_batch(n, i) for i, name in enumerate(names)}
  if as_archive:
    os.makedirs(root, exist_ok=True)
    with tarfile.open(os.path.join(root, "cifar-10-python.tar.gz"), "w:gz") as tar:
      for name, (raw, _, _) in parts.items():
        info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
  else:
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    for name, (raw, _, _) in parts.items():
      with open(os.path.join(folder, name), "wb") as f:
        f.write(raw)
  train = [parts[n] for n in names[:5]]
  return (np.concatenate([p[1] for p in train]), np.concatenate([p[2] for p in train]),
          parts["test_batch"][1])


# One run directory per family as a finished run leaves it, on tiny data: what a test of a
# reader of finished runs (tfgan.demo) needs, made once per test process. {run name: config
# changes}.
FINISHED_RUNS = {
    "mnist_cgan": dict(network="dcgan", width=0.125, latent_dim=8, batch_size=8,
                       conditional=True, shuffle_buffer=8, jit_compile="false"),
    "edges2face": dict(family="pix2pix", network="unet", pairs="edges", width=0.125,
                       batch_size=4, d_layers=1),
    "grey_cycle": dict(family="cyclegan", network="resnet", domains="grey", width=0.125,
                       batch_size=2, resnet_blocks=1, d_layers=1, loss="least_squares",
                       pool_size=3),
    "sr2x": dict(family="esrgan", network="rrdb", scale=2, rrdb_features=8, rrdb_blocks=1,
                 rrdb_growth=4, width=0.125, d_layers=1, batch_size=4),
    "inpaint": dict(family="inpaint", network="gated", width=0.25, d_layers=1, loss="hinge",
                    adversarial_weight=0.1, mask_kind="centre,strokes", mask_bank=8,
                    batch_size=4),
    "style": dict(family="stylegan2", network="stylegan2", width=1 / 32, latent_dim=8,
                  batch_size=4, r1_gamma=0.1),
}


def export_untrained_run(config, workdir):
  """Writes `workdir` as tfgan.trainer leaves a finished run, without training it: config.json,
  classes.json, a metrics row and every `<name>.keras` the family exports (its networks as
  built; no checkpoint or SavedModel). The training steps and SavedModel tracing would cost
  about a minute for the five families on 2 cores, and readers of runs do not need them."""
  import tensorflow as tf
  from tfgan import build, export, rundir
  family = build.validate(config)
  built = build.build(config, family, tf.distribute.get_strategy(), log=lambda line: None)
  run = rundir.RunDir(workdir)
  run.prepare(config, family.architecture_fields, log=lambda line: None)
  run.record_classes(built.spec.class_names, built.spec.origin, family.uses_labels(config))
  for item in family.exports(built.model):
    export.save_keras(item.model, run.keras_path(item.name))
  run.append_metrics({"step": 0, "note": "exported as built (a test fixture)"})
  return workdir


@pytest.fixture(scope="session")
def finished_runs(tmp_path_factory, idx_dir):
  """{name: run directory} of FINISHED_RUNS, written by `export_untrained_run` (image families
  on 12 gradient 'faces' of 16x16, 4 held out; the conditional GAN on the session's random
  IDX digits)."""
  from tfgan import config as config_lib
  root = tmp_path_factory.mktemp("finished_runs")
  faces = write_gradient_faces(str(root / "faces"), n=12, size=(16, 16))
  images = dict(dataset="folder", data_dir=faces, image_size=16, holdout=4)
  out = {}
  for name, changes in FINISHED_RUNS.items():
    data = dict(data_dir=idx_dir) if name == "mnist_cgan" else images
    out[name] = export_untrained_run(config_lib.make(**data, **changes, num_samples=2),
                                     str(root / name))
  return out
