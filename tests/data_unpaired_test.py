"""Unpaired domains for CycleGAN: disjoint halves of one source, trainA/trainB folders, the
CycleGAN archives' download path (on an archive the test writes) and the pipeline."""

import os
import time
import zipfile

import numpy as np
import pytest

from conftest import write_image
from tfgan import data
from tfgan.data import pairs, unpaired


def _images(root, n=6, size=(12, 12), seed=0):
  rng = np.random.default_rng(seed)
  for i in range(n):
    # Image i is filled with the value 10 * i, so a test can tell which file it came from.
    write_image(os.path.join(root, f"{i:02d}.png"),
                np.clip(np.full(size + (3,), 10 * i) + rng.integers(0, 2, size + (3,)), 0,
                        255).astype(np.uint8))
  return root


def _ids(ds):
  return [int(round(float(np.asarray(x).mean()) / 10)) for x in ds]


def test_derived_domains_are_disjoint_halves_and_the_held_out_part_is_paired(tmp_path):
  root = _images(str(tmp_path / "faces"), n=10)
  domains = unpaired.open_domains("blur", "folder", root, image_size=12, holdout=2)
  assert (domains.spec.num_a, domains.spec.num_b) == (4, 4)
  a, b = list(domains.domain("A")), list(domains.domain("B"))
  assert _ids(b) == [1, 3, 5, 7] and _ids(a) == [0, 2, 4, 6]  # no image in both domains
  image_0 = next(iter(data.open_source("folder", data_dir=root, image_size=12).examples()))[0]
  assert np.array_equal(np.asarray(a[0]), pairs.blur(image_0).numpy())  # A is transformed
  grey = unpaired.open_domains("grey", "folder", root, image_size=12, holdout=2)
  g = np.asarray(next(iter(grey.domain("A"))))
  assert g.shape == (12, 12, 3) and (g[..., 0] == g[..., 2]).all()  # grey, repeated to RGB
  held = unpaired.open_domains("grey", "folder", root, image_size=12, holdout=2,
                               split="holdout")
  x, y = zip(*held.examples())
  assert _ids(y) == [8, 9] and np.asarray(x[0]).shape == (12, 12, 3)
  assert np.array_equal(np.asarray(x[0])[..., :1], pairs.grey(y[0]).numpy())


def test_cyclegan_folders_are_read_by_split_and_missing_ones_named(tmp_path):
  root = tmp_path / "horse2zebra"
  for split, n in (("trainA", 3), ("trainB", 5), ("testA", 2), ("testB", 2)):
    _images(str(root / split), n=n, size=(20, 20))
  train = unpaired.open_domains("folders", data_dir=str(root), image_size=16)
  assert (train.spec.num_a, train.spec.num_b, train.spec.num_examples) == (3, 5, 5)
  assert np.asarray(next(iter(train.domain("B")))).shape == (16, 16, 3)
  assert unpaired.open_domains("folders", data_dir=str(root), image_size=16,
                               split="test").spec.num_a == 2
  os.rename(root / "trainB", root / "train_b")
  with pytest.raises(data.DataError, match=r"no trainB/ folder.*trainA/ and trainB/"):
    unpaired.open_domains("folders", data_dir=str(root), image_size=16)


def test_a_cyclegan_archive_is_downloaded_once_and_its_folders_read(tmp_path, monkeypatch):
  build = tmp_path / "build" / "horse2zebra"
  for split in ("trainA", "trainB"):
    _images(str(build / split), n=2, size=(8, 8))
  host = tmp_path / "host"
  host.mkdir()
  with zipfile.ZipFile(host / "horse2zebra.zip", "w") as z:
    for path in build.rglob("*.png"):
      z.write(path, os.path.relpath(path, build.parent))
  monkeypatch.setenv("TFGAN_CACHE_DIR", str(tmp_path / "cache"))
  monkeypatch.setattr(unpaired, "CYCLEGAN_URL", f"file://{host}/{{name}}.zip")
  found = unpaired.open_domains("folders", data_dir="cyclegan:horse2zebra", image_size=8)
  assert (found.spec.num_a, found.spec.num_b) == (2, 2)
  os.remove(host / "horse2zebra.zip")  # the second time it is read from the cache
  assert unpaired.open_domains("folders", data_dir="cyclegan:horse2zebra",
                               image_size=8).spec.num_b == 2
  with pytest.raises(data.DataError, match=r"could not download cyclegan:monet2photo.*"
                                           r"--data_dir=PATH/monet2photo"):
    unpaired.open_domains("folders", data_dir="cyclegan:monet2photo", image_size=8)


def test_an_unreachable_cyclegan_host_fails_in_seconds(tmp_path, monkeypatch, offline):
  monkeypatch.setenv("TFGAN_CACHE_DIR", str(tmp_path / "cache"))
  t0 = time.monotonic()
  with pytest.raises(data.DataError, match=r"efrosgans.eecs.berkeley.edu, which cannot be "
                                           r"reached .*--data_dir=PATH/horse2zebra"):
    unpaired.open_domains("folders", data_dir="cyclegan:horse2zebra", image_size=8)
  assert time.monotonic() - t0 < 30


def test_the_unpaired_pipeline_shuffles_each_domain_on_its_own(tmp_path):
  root = _images(str(tmp_path / "faces"), n=8)
  domains = unpaired.open_domains("blur", "folder", root, image_size=12)
  ds = unpaired.make_unpaired_dataset(domains, 2, seed=3, use_jitter=True)
  seen = set()
  for a, b in ds.take(8):
    assert a.shape == (2, 12, 12, 3) and b.shape == (2, 12, 12, 3)
    assert -1.0 <= float(np.min(a)) and float(np.max(b)) <= 1.0
    seen.update(_ids((np.asarray(b) + 1) * 127.5))
  # Only B's (odd-numbered) images appear in B, and every one of them does.
  assert seen == {1, 3, 5, 7}


def test_tensorflow_datasets_cycle_gan_offline_fails_in_seconds_naming_the_offline_way(
    tmp_path, offline):
  t0 = time.monotonic()
  with pytest.raises(data.DataError, match=r"'cycle_gan/horse2zebra' is not in tensorflow-"
                                           r"datasets' folder .*cannot be reached.*--data_dir"):
    unpaired.open_domains("folders", data_dir="tfds:cycle_gan/horse2zebra",
                          tfds_dir=str(tmp_path / "tfds"))
  assert time.monotonic() - t0 < 30
