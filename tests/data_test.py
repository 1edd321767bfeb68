import gzip
import hashlib
import os

import numpy as np
import pytest

from conftest import MNIST_DIR, make_idx_dir, write_idx
from tfgan import data


def test_pipeline_shapes_ranges_dtypes_and_labels(tmp_path):
  root, written = make_idx_dir(str(tmp_path / "mnist"))
  images, labels = written["train"]
  index_of = {image.tobytes(): i for i, image in enumerate(images)}  # which written image
  ds = data.make_dataset("mnist", 16, data_dir=root, shuffle_buffer=128, seed=0)
  assert ds.element_spec[0].shape == (16, 28, 28, 1)  # Static: drop_remainder.
  order = []
  for x, y in ds.take(20):  # 320 examples, 2.5 epochs of 128: repeat works.
    x, y = x.numpy(), y.numpy()
    assert x.dtype == np.float32 and y.dtype == np.int32
    # Each example is a written image, scaled by /127.5 - 1, with its own label: shuffling
    # keeps the pairs together.
    pixels = np.rint((x[..., 0] + 1) * 127.5).astype(np.uint8)
    np.testing.assert_allclose(x[..., 0], pixels / 127.5 - 1, atol=1e-6)
    for image, label in zip(pixels, y):
      i = index_of[image.tobytes()]
      assert labels[i] == label
      order.append(i)
  # Whole epochs: each run of 128 holds every image once, none skipped or repeated.
  assert len(set(order[:128])) == 128 and len(set(order[128:256])) == 128
  assert order[:128] != order[128:256]  # reshuffled each epoch


def test_local_values_match_the_files(tmp_path):
  root, written = make_idx_dir(str(tmp_path / "raw"), n_train=20, gz=False)
  images, labels = data.load_idx_split(root, "train")
  np.testing.assert_array_equal(images[..., 0], written["train"][0])
  np.testing.assert_array_equal(labels, written["train"][1])
  x, y = next(iter(data.make_dataset("mnist", 20, data_dir=root, shuffle_buffer=1,
                                     repeat=False)))
  np.testing.assert_allclose(x.numpy()[..., 0], written["train"][0] / 127.5 - 1, atol=1e-6)
  test_images, _ = data.load_idx_split(root, "test")
  assert test_images.shape == (32, 28, 28, 1)


def test_kaggle_file_names_are_found(tmp_path):
  root, _ = make_idx_dir(str(tmp_path / "k"), n_train=10, gz=False)
  for name in os.listdir(root):
    os.rename(os.path.join(root, name), os.path.join(root, name.replace("-idx", ".idx")))
  assert data.load_idx_split(root, "train")[0].shape == (10, 28, 28, 1)


def test_missing_file_is_named(tmp_path):
  root, _ = make_idx_dir(str(tmp_path / "m"), n_train=10)
  os.remove(os.path.join(root, "train-labels-idx1-ubyte.gz"))
  with pytest.raises(data.DataError, match="train-labels-idx1-ubyte"):
    data.load_idx_split(root, "train")


def test_missing_folder_is_refused(tmp_path):
  with pytest.raises(data.DataError, match="not a folder"):
    data.load_idx_split(str(tmp_path / "nope"), "train")


def test_wrong_magic_is_named(tmp_path):
  root, _ = make_idx_dir(str(tmp_path / "w"), n_train=10)
  bad = os.path.join(root, "train-images-idx3-ubyte.gz")
  write_idx(bad, np.zeros((10, 28, 28)), 0x801)  # a labels magic on the images file
  with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz: IDX magic number"):
    data.load_idx_split(root, "train")


def test_truncated_file_is_named(tmp_path):
  root, _ = make_idx_dir(str(tmp_path / "t"), n_train=10)
  path = os.path.join(root, "train-images-idx3-ubyte.gz")
  raw = gzip.open(path).read()
  with gzip.open(path, "wb") as f:
    f.write(raw[:-100])
  with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz.*truncated"):
    data.load_idx_split(root, "train")


def test_short_header_and_corrupt_gzip_are_named(tmp_path):
  root, _ = make_idx_dir(str(tmp_path / "h"), n_train=10)
  path = os.path.join(root, "train-labels-idx1-ubyte.gz")
  with gzip.open(path, "wb") as f:
    f.write((0x801).to_bytes(4, "big") + b"\x00\x00")
  with pytest.raises(data.DataError, match="header"):
    data.load_idx_split(root, "train")
  with open(path, "wb") as f:
    f.write(b"not gzip at all")
  with pytest.raises(data.DataError, match="train-labels-idx1-ubyte.gz: cannot read"):
    data.load_idx_split(root, "train")


def test_wrong_sizes_are_named(tmp_path):
  root, _ = make_idx_dir(str(tmp_path / "s"), n_train=10)
  write_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"), np.zeros(9), 0x801)
  with pytest.raises(data.DataError, match="10 images but .* 9 labels"):
    data.load_idx_split(root, "train")
  write_idx(os.path.join(root, "train-images-idx3-ubyte.gz"), np.zeros((10, 32, 32)), 0x803)
  with pytest.raises(data.DataError, match=r"\(32, 32\), expected \(28, 28\)"):
    data.load_idx_split(root, "train")


@pytest.mark.integration
def test_failed_download_says_how_to_use_local_files(monkeypatch):
  import tensorflow_datasets as tfds

  def offline(*args, **kwargs):
    raise ConnectionError("Failed to resolve 'storage.googleapis.com'")

  monkeypatch.setattr(tfds, "load", offline)
  # The host answers the quick reachability check, then the download itself fails: without
  # this the test took the offline path (another message) on a machine with no network.
  from tfgan import downloads
  monkeypatch.setattr(downloads, "unreachable", lambda *args, **kwargs: None)
  with pytest.raises(data.DataUnavailableError,
                     match=r"could not provide 'mnist'.*ConnectionError.*--data_dir="):
    data.source("mnist")


def test_unknown_dataset_is_refused():
  with pytest.raises(data.DataError, match="Unknown dataset 'imagenet'"):
    data.source("imagenet", data_dir="/tmp")


# The official release's md5 sums (the shipped copy is byte-identical).
MNIST_MD5 = {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
             "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
             "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}


def test_real_mnist_files():
  # The copy in data/mnist/ that `make train` reads when no DATA_DIR is given.
  assert sorted(os.listdir(MNIST_DIR)) == sorted(MNIST_MD5)
  for name, md5 in MNIST_MD5.items():
    with open(os.path.join(MNIST_DIR, name), "rb") as f:
      assert hashlib.md5(f.read()).hexdigest() == md5, name
  images, labels = data.load_idx_split(MNIST_DIR, "test")
  assert images.shape == (10000, 28, 28, 1) and labels.shape == (10000,)
  assert np.bincount(labels).tolist()[:3] == [980, 1135, 1032]
  assert data.load_idx_split(MNIST_DIR, "train")[0].shape == (60000, 28, 28, 1)
