"""Shared test fixtures: tiny IDX datasets written by the tests, and the real-data location."""

import gzip
import os
import subprocess
import sys

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_MNIST = os.path.join(REPO, "..", "shared", "data", "mnist")


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


def run_module(module, *args, timeout=300, env=None):
  """Runs `python -m module args...` from the repo root; returns the CompletedProcess."""
  full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
  return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=full_env,
                        capture_output=True, text=True, timeout=timeout)
