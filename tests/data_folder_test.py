import glob
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO, snapshot, write_image
from tfgan import data


def _rgb(value, size=(12, 10)):
  return np.full(size + (3,), value, np.uint8)


def test_recursive_index_of_every_accepted_type(tmp_path):
  root = str(tmp_path / "imgs")
  write_image(f"{root}/a.jpg", _rgb(10))
  write_image(f"{root}/b.PNG", _rgb(20))
  write_image(f"{root}/deep/er/c.bmp", _rgb(30))
  write_image(f"{root}/deep/d.gif", _rgb(40))
  write_image(f"{root}/e.jpeg", _rgb(50))
  open(f"{root}/notes.txt", "w").write("not an image")
  write_image(f"{root}/.hidden.jpg", _rgb(60))
  index = data.index_folder(root)
  names = [os.path.relpath(p.decode(), root) for p in index.paths.numpy()]
  # Images at the top level: unlabelled, whatever the sub-folders.
  assert sorted(names) == ["a.jpg", "b.PNG", "deep/d.gif", "deep/er/c.bmp", "e.jpeg"]
  assert index.class_names == () and index.labels.tolist() == [0] * 5
  assert index.ignored == 2  # notes.txt and the hidden file


def test_class_subfolders_become_sorted_integer_labels(tmp_path):
  root = str(tmp_path / "classes")
  for name, n in (("dogs", 2), ("cats", 3), ("birds/nested", 1)):
    for i in range(n):
      write_image(f"{root}/{name}/{i}.png", _rgb(i))
  os.makedirs(f"{root}/empty")
  index = data.index_folder(root)
  assert index.class_names == ("birds", "cats", "dogs")
  by_label = {}
  for path, label in zip(index.paths.numpy(), index.labels):
    by_label.setdefault(int(label), set()).add(os.path.relpath(path.decode(), root).split("/")[0])
  assert by_label == {0: {"birds"}, 1: {"cats"}, 2: {"dogs"}}
  source = data.open_source("folder", data_dir=root, image_size=8)
  assert source.spec.num_classes == 3 and source.spec.class_names == ("birds", "cats", "dogs")
  labels = sorted(int(y) for _, y in source.examples())
  assert labels == [0, 1, 1, 1, 2, 2]
  # celeb_a ignores sub-folders: the Kaggle archive nests img_align_celeba twice.
  assert data.open_source("celeb_a", data_dir=root).spec.num_classes == 0


def test_single_subfolder_is_unlabelled(tmp_path):
  root = str(tmp_path / "celeba")
  write_image(f"{root}/img_align_celeba/000001.jpg", _rgb(1))
  write_image(f"{root}/img_align_celeba/000002.jpg", _rgb(2))
  index = data.index_folder(root)
  assert index.size == 2 and index.class_names == ()


def test_channels_conversion_and_range(tmp_path):
  root = str(tmp_path / "mixed")
  grey = np.arange(16 * 16, dtype=np.uint8).reshape(16, 16, 1)
  rgba = np.concatenate([_rgb(200, (16, 16)), np.full((16, 16, 1), 7, np.uint8)], -1)
  write_image(f"{root}/grey.png", grey)
  write_image(f"{root}/rgba.png", rgba)
  rgb = data.open_source("folder", data_dir=root, image_size=16)
  images = {p: x.numpy() for p, (x, _) in zip(["grey", "rgba"], rgb.examples())}
  assert images["grey"].shape == (16, 16, 3)
  np.testing.assert_array_equal(images["grey"], np.repeat(grey, 3, -1))  # repeated, exact
  np.testing.assert_array_equal(images["rgba"], rgba[..., :3])  # alpha dropped
  one = data.open_source("folder", data_dir=root, image_size=16, channels=1)
  assert one.spec.image_shape == (16, 16, 1)
  images = [x.numpy() for x, _ in one.examples()]
  np.testing.assert_array_equal(images[0], grey)  # grey stays exact
  assert abs(int(images[1][0, 0, 0]) - 200) <= 1
  x, _ = next(iter(data.make_dataset(one, 2, repeat=False)))
  assert x.shape == (2, 16, 16, 1) and x.dtype == tf.float32
  assert -1.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0


def test_missing_empty_and_imageless_folders_are_refused(tmp_path):
  with pytest.raises(data.DataError, match="does not exist"):
    data.open_source("folder", data_dir=str(tmp_path / "nope"))
  open(tmp_path / "file.jpg", "w").close()
  with pytest.raises(data.DataError, match="is a file"):
    data.open_source("folder", data_dir=str(tmp_path / "file.jpg"))
  os.makedirs(tmp_path / "empty")
  with pytest.raises(data.DataError, match="holds no images.*0 other files"):
    data.open_source("folder", data_dir=str(tmp_path / "empty"))
  os.makedirs(tmp_path / "text")
  open(tmp_path / "text" / "a.txt", "w").write("x")
  with pytest.raises(data.DataError, match="holds no images with extensions jpg/jpeg/png"):
    data.open_source("celeb_a", data_dir=str(tmp_path / "text"))


def _folder_with_bad_files(root):
  for i in range(5):
    write_image(f"{root}/{i}.jpg", _rgb(i * 40, (20, 20)))
  open(f"{root}/fake.png", "w").write("this is text, not a PNG")
  good = open(f"{root}/0.jpg", "rb").read()
  open(f"{root}/cut.jpg", "wb").write(good[:len(good) // 3])  # truncated JPEG
  return root


def test_bad_files_stop_before_training_with_their_paths(tmp_path):
  root = _folder_with_bad_files(str(tmp_path / "bad"))
  source = data.open_source("folder", data_dir=root, image_size=8)
  with pytest.raises(data.DataError) as e:
    source.check()
  message = str(e.value)
  assert "2 of 7 image files cannot be decoded" in message
  assert f"{root}/fake.png" in message and f"{root}/cut.jpg" in message
  assert "--skip_bad_images" in message


def test_skip_bad_images_reports_count_and_trains_on_the_rest(tmp_path):
  root = _folder_with_bad_files(str(tmp_path / "bad"))
  before = snapshot(root)
  lines = []
  source = data.open_source("folder", data_dir=root, image_size=8, skip_bad_images=True,
                            log=lines.append)
  images = [x.numpy() for x, _ in source.examples()]
  assert len(images) == 5
  assert "skipped 2 unreadable files of 7" in lines[0] and "fake.png" in lines[0]
  for cache in ("none", "memory", "file"):
    batches = data.make_dataset(source, 5, seed=1, cache=cache, repeat=False,
                                cache_dir=str(tmp_path / "cache"))
    assert sum(int(x.shape[0]) for x, _ in batches) == 5
  assert snapshot(root) == before  # nothing in the data folder was written or touched


def test_skip_bad_images_refuses_a_folder_with_no_readable_image(tmp_path):
  # A newcomer's folder whose only image was corrupt trained on nothing and exported an
  # untrained generator with exit 0: zero usable images must be an error naming the folder.
  root = str(tmp_path / "only_bad")
  os.makedirs(root)
  open(f"{root}/fake.png", "w").write("this is text, not a PNG")
  source = data.open_source("folder", data_dir=root, image_size=8, skip_bad_images=True,
                            log=lambda line: None)
  with pytest.raises(data.DataError) as e:
    source.check()
  message = str(e.value)
  assert root in message and "none of its 1 image files can be decoded" in message
  assert f"{root}/fake.png: Unknown image file format" in message


def test_undecodable_file_reasons_carry_no_tensorflow_internals(tmp_path):
  root = _folder_with_bad_files(str(tmp_path / "bad"))
  with pytest.raises(data.DataError) as e:
    data.open_source("folder", data_dir=root, image_size=8).check()
  message = str(e.value)
  assert "function_node" not in message and "[Op:" not in message, message
  assert f"{root}/fake.png: Unknown image file format. One of JPEG" in message


def test_file_cache_is_refused_inside_the_data_folder(tmp_path):
  root = str(tmp_path / "faces")
  write_image(f"{root}/0.png", _rgb(1))
  source = data.open_source("folder", data_dir=root, image_size=8)
  with pytest.raises(data.DataError, match="inside the data folder"):
    data.make_dataset(source, 1, cache="file", cache_dir=os.path.join(root, "cache"))


@pytest.mark.integration
def test_cache_left_by_a_killed_run_is_cleared(tmp_path):
  root = str(tmp_path / "faces")
  for i in range(40):
    write_image(f"{root}/{i:02d}.png", _rgb(i * 5))
  cache_dir = str(tmp_path / "cache")
  # A run killed (SIGKILL, no clean-up) while it fills the file cache.
  code = (f"import os, sys; sys.path.insert(0, {REPO!r}); from tfgan import data; "
          f"s = data.open_source('folder', data_dir={root!r}, image_size=8); "
          f"it = iter(data.make_dataset(s, 1, cache='file', cache_dir={cache_dir!r}, "
          f"shuffle_buffer=1)); next(it); next(it); os.kill(os.getpid(), 9)")
  killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"), timeout=120)
  assert killed.returncode == -9, killed.stderr[-2000:]
  assert glob.glob(os.path.join(cache_dir, "*.lockfile"))  # tf.data's lock was left behind
  source = data.open_source("folder", data_dir=root, image_size=8)
  x, _ = next(iter(data.make_dataset(source, 40, cache="file", cache_dir=cache_dir,
                                     repeat=False)))
  assert sorted(np.round((x.numpy()[:, 0, 0, 0] + 1) * 127.5).astype(int)) == [
      i * 5 for i in range(40)]


def test_streamed_folder_shuffles_every_file_each_epoch(tmp_path):
  root = str(tmp_path / "order")
  for i in range(12):
    write_image(f"{root}/{i:02d}.png", _rgb(i * 20, (8, 8)))
  source = data.open_source("folder", data_dir=root, image_size=8)
  ds = data.make_dataset(source, 12, seed=3, cache="none")
  it = iter(ds)
  epochs = [tuple(np.round((next(it)[0].numpy()[:, 0, 0, 0] + 1) * 127.5).astype(int))
            for _ in range(3)]
  for epoch in epochs:
    assert sorted(epoch) == [i * 20 for i in range(12)]  # each file once per epoch
  assert len(set(epochs)) == 3  # a new order each epoch
  same = data.make_dataset(source, 12, seed=3, cache="none")
  assert tuple(np.round((next(iter(same))[0].numpy()[:, 0, 0, 0] + 1) * 127.5)
               .astype(int)) == epochs[0]  # seeded


def test_fingerprints_change_with_the_crop_the_channels_and_the_files(tmp_path):
  root = str(tmp_path / "faces")
  for i in range(3):
    write_image(os.path.join(root, f"{i}.png"), _rgb(40 * i))

  def fingerprint(**options):
    return data.open_source("folder", data_dir=root, image_size=8, **options).fingerprint()

  base = fingerprint()
  assert fingerprint() == base  # the same data, the same fingerprint
  assert fingerprint(crop_fraction=0.5) != base and fingerprint(channels=1) != base
  write_image(os.path.join(root, "1.png"), _rgb(99, size=(12, 11)))  # a file changed
  assert fingerprint() != base


def test_real_statistics_are_not_shared_by_runs_that_frame_the_images_differently(
    tmp_path, monkeypatch):
  from tfgan.metrics import evaluation, run
  root = str(tmp_path / "faces")
  for i in range(3):
    write_image(os.path.join(root, f"{i}.png"), _rgb(40 * i))
  keys = []
  monkeypatch.setattr(evaluation, "compute", lambda *args, **kw: keys.append(args[6]) or {})


  class Generator:  # evaluate_generator only reads these before handing over to compute
    latent_dim, num_classes = 4, 0

  for crop in (1.0, 0.5, 1.0):
    source = data.open_source("folder", data_dir=root, image_size=8, crop_fraction=crop)
    run.evaluate_generator(Generator(), source, ["fid1k"], extractors={"inception": None})
  assert keys[0] != keys[1] and keys[0] == keys[2]
