import os

import numpy as np
import pytest
import tensorflow as tf

from conftest import snapshot, write_image
from tfgan import data
from tfgan.data import pairs


def _faces(root, n=6, size=(24, 20)):
  rng = np.random.default_rng(0)
  for i in range(n):
    write_image(os.path.join(root, f"{i:02d}.png"),
                rng.integers(0, 256, size + (3,), dtype=np.uint8))
  return root


def test_transforms_follow_their_definitions():
  rng = np.random.default_rng(1)
  image = tf.constant(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
  grey = pairs.grey(image).numpy()
  expected = np.round(image.numpy().astype(np.float64) @ [0.299, 0.587, 0.114])
  assert grey.shape == (16, 16, 1) and np.abs(grey[..., 0] - expected).max() <= 1
  small = pairs.downsample(image, 4).numpy()
  reference = tf.image.resize(tf.cast(image, tf.float32) / 255.0, (4, 4), method="bicubic",
                              antialias=True)
  np.testing.assert_array_equal(
      small, np.round(np.clip(reference.numpy(), 0, 1) * 255).astype(np.uint8))
  assert pairs.down_up(image).shape == (16, 16, 3)
  flat = tf.fill((16, 16, 3), tf.constant(90, tf.uint8))
  np.testing.assert_array_equal(pairs.blur(flat).numpy(), 90)  # blur keeps flat areas
  # edges: a vertical step is one dark line on white.
  step = np.zeros((16, 16, 3), np.uint8)
  step[:, 8:] = 255
  e = pairs.edges(tf.constant(step)).numpy()[..., 0]
  assert e.shape == (16, 16) and (e[:, :5] == 255).all() and (e[:, 11:] == 255).all()
  assert (e[:, 7:9] == 0).all()


def test_derived_pairs_hold_out_the_last_files(tmp_path):
  root = _faces(str(tmp_path / "faces"))
  train = pairs.open_pairs("grey", "folder", root, image_size=16, holdout=2)
  held = pairs.open_pairs("grey", "folder", root, image_size=16, holdout=2, split="holdout")
  assert train.spec.num_examples == 4 and held.spec.num_examples == 2
  assert train.spec.input_shape == (16, 16, 1) and train.spec.target_shape == (16, 16, 3)
  train_targets = [y.numpy() for _, y in train.examples()]
  held_targets = [y.numpy() for _, y in held.examples()]
  assert not any((a == b).all() for a in train_targets for b in held_targets)  # disjoint
  x, y = next(iter(held.examples()))
  np.testing.assert_array_equal(x.numpy(), pairs.grey(y).numpy())
  with pytest.raises(data.DataError, match="holdout=6 must be in"):
    pairs.open_pairs("grey", "folder", root, image_size=16, holdout=6)


def test_side_by_side_images_split_into_input_and_target_by_direction(tmp_path):
  root = str(tmp_path / "facades")
  left = np.full((8, 8, 3), 10, np.uint8)
  right = np.full((8, 8, 3), 200, np.uint8)
  write_image(os.path.join(root, "1.png"), np.concatenate([left, right], axis=1))
  before = snapshot(root)
  a_to_b = pairs.open_pairs("side_by_side", data_dir=root, image_size=8)
  x, y = next(iter(a_to_b.examples()))
  assert int(x.numpy().mean()) == 10 and int(y.numpy().mean()) == 200  # A is the left half
  x, y = next(iter(pairs.open_pairs("side_by_side", data_dir=root, image_size=8,
                                    direction="BtoA").examples()))
  assert int(x.numpy().mean()) == 200 and int(y.numpy().mean()) == 10
  write_image(os.path.join(root, "odd.png"), left)  # square: not an A|B pair
  with pytest.raises(data.DataError, match="odd.png: 8x8 is not two square halves"):
    pairs.open_pairs("side_by_side", data_dir=root, image_size=8)
  os.remove(os.path.join(root, "odd.png"))
  assert snapshot(root) == before  # nothing written into the data folder


def test_matching_folders_pair_by_name_and_refuse_orphans_and_other_sizes(tmp_path):
  inputs, targets = str(tmp_path / "in"), str(tmp_path / "out")
  for name in ("a", "b"):
    write_image(os.path.join(inputs, f"{name}.jpg"), np.full((8, 8, 3), 50, np.uint8))
    write_image(os.path.join(targets, f"{name}.png"), np.full((8, 8, 3), 150, np.uint8))
  found = pairs.open_pairs("folders", data_dir=inputs, target_dir=targets, image_size=8)
  assert found.spec.num_examples == 2
  for x, y in found.examples():
    assert abs(int(x.numpy().mean()) - 50) <= 2 and int(y.numpy().mean()) == 150
  write_image(os.path.join(inputs, "c.png"), np.zeros((8, 8, 3), np.uint8))
  with pytest.raises(data.DataError, match=r"(?s)1 of 3 images .* have no target.*c.png"):
    pairs.open_pairs("folders", data_dir=inputs, target_dir=targets, image_size=8)
  write_image(os.path.join(targets, "c.png"), np.zeros((9, 8, 3), np.uint8))
  with pytest.raises(data.DataError, match="c.png is 8x8 but its target .*c.png is 8x9"):
    pairs.open_pairs("folders", data_dir=inputs, target_dir=targets, image_size=8)


def test_jitter_moves_input_and_target_together():
  x = np.random.default_rng(2).uniform(0, 1, (32, 32, 3)).astype(np.float32)
  a, b = pairs.jitter(tf.constant(x), tf.constant(x), tf.constant([3, 4]))
  np.testing.assert_array_equal(a.numpy(), b.numpy())  # the same crop and flip
  assert a.shape == (32, 32, 3) and not np.allclose(a.numpy(), x)
  c, _ = pairs.jitter(tf.constant(x), tf.constant(x), tf.constant([5, 6]))
  assert not np.allclose(a.numpy(), c.numpy())


@pytest.mark.integration
def test_the_pair_pipeline_batches_in_minus_one_to_one(tmp_path):
  root = _faces(str(tmp_path / "faces"))
  source = pairs.open_pairs("edges", "folder", root, image_size=16)
  x, y = next(iter(pairs.make_pair_dataset(source, 4, seed=0, use_jitter=True)))
  assert x.shape == (4, 16, 16, 1) and y.shape == (4, 16, 16, 3)
  assert float(tf.reduce_min(y)) >= -1 and float(tf.reduce_max(y)) <= 1
  ordered = [y.numpy() for _, y in pairs.make_pair_dataset(source, 6, repeat=False,
                                                           drop_remainder=False)]
  again = [y.numpy() for _, y in pairs.make_pair_dataset(source, 6, repeat=False,
                                                         drop_remainder=False)]
  np.testing.assert_array_equal(ordered[0], again[0])  # evaluation: file order, every pair once
  assert ordered[0].shape[0] == 6


def test_a_pix2pix_archive_is_downloaded_once_and_read_as_side_by_side_pairs(tmp_path,
                                                                            monkeypatch):
  import tarfile
  build = tmp_path / "build"
  ab = np.concatenate([np.full((8, 8, 3), 20, np.uint8), np.full((8, 8, 3), 220, np.uint8)], 1)
  write_image(str(build / "facades" / "train" / "1.jpg"), ab)
  archive = tmp_path / "host" / "facades.tar.gz"
  archive.parent.mkdir()
  with tarfile.open(archive, "w:gz") as tar:
    tar.add(build / "facades", arcname="facades")
  monkeypatch.setenv("TFGAN_CACHE_DIR", str(tmp_path / "cache"))
  monkeypatch.setattr(pairs, "PIX2PIX_URL", f"file://{tmp_path}/host/{{name}}.tar.gz")
  found = pairs.open_pairs("side_by_side", data_dir="pix2pix:facades", image_size=8)
  x, y = next(iter(found.examples()))
  assert abs(int(x.numpy().mean()) - 20) <= 2 and abs(int(y.numpy().mean()) - 220) <= 2
  os.remove(archive)  # the second time it is read from the cache, not downloaded
  assert pairs.open_pairs("side_by_side", data_dir="pix2pix:facades",
                          image_size=8).spec.num_examples == 1
  with pytest.raises(data.DataError, match=r"could not download pix2pix:maps from file://"
                                           r".*--data_dir=PATH/maps/train"):
    pairs.open_pairs("side_by_side", data_dir="pix2pix:maps", image_size=8)


def test_an_unreachable_pix2pix_host_fails_in_seconds(tmp_path, monkeypatch, offline):
  import time

  monkeypatch.setenv("TFGAN_CACHE_DIR", str(tmp_path / "cache"))
  t0 = time.monotonic()
  with pytest.raises(data.DataError, match=r"efrosgans.eecs.berkeley.edu, which cannot be "
                                           r"reached .*--data_dir=PATH/facades/train"):
    pairs.open_pairs("side_by_side", data_dir="pix2pix:facades", image_size=8)
  assert time.monotonic() - t0 < 30

