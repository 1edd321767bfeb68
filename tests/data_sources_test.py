import numpy as np
import pytest
import tensorflow as tf

from tfgan import data, downloads


def test_registry_names_the_issue_datasets():
  assert set(data.DATASETS) == {"mnist", "fashion_mnist", "cifar10", "celeb_a", "folder"}


def test_tfds_celeb_a_is_cropped_and_resized(monkeypatch):
  import tensorflow_datasets as tfds
  faces = np.random.default_rng(0).integers(0, 256, (3, 218, 178, 3), dtype=np.uint8)
  calls = {}

  def fake_load(name, split, data_dir, as_supervised, download):
    calls.update(name=name, split=split, as_supervised=as_supervised)
    return tf.data.Dataset.from_tensor_slices({"image": faces, "attributes": {"Smiling": [
        True, False, True]}})

  monkeypatch.setattr(tfds, "load", fake_load)
  monkeypatch.setattr(downloads, "unreachable", lambda host, **kw: None)  # as if online
  source = data.open_source("celeb_a", image_size=32)
  assert source.spec.image_shape == (32, 32, 3) and source.spec.num_examples is None
  x, y = next(iter(source.examples()))
  assert calls == {"name": "celeb_a", "split": "train", "as_supervised": False}
  expected = tf.image.resize(faces[0, 55:163, 35:143], (32, 32), antialias=True).numpy()
  assert x.dtype == tf.uint8 and x.shape == (32, 32, 3) and int(y) == 0
  assert np.abs(x.numpy()[2:-2, 2:-2] - expected[2:-2, 2:-2]).max() <= 1.0
  batch, _ = next(iter(data.make_dataset(source, 2)))
  assert batch.shape == (2, 32, 32, 3)


@pytest.mark.parametrize("name", ["cifar10", "celeb_a", "fashion_mnist"])
def test_failed_downloads_say_which_local_files_to_use(monkeypatch, name):
  import tensorflow_datasets as tfds

  def offline(*args, **kwargs):
    raise ConnectionError("no network")

  monkeypatch.setattr(tfds, "load", offline)
  monkeypatch.setattr(downloads, "unreachable", lambda host, **kw: None)  # the host answers
  expected = {"cifar10": "cifar-10-python.tar.gz", "celeb_a": "img_align_celeba",
              "fashion_mnist": "Fashion-MNIST IDX files"}[name]
  with pytest.raises(data.DataUnavailableError, match=f"--data_dir=FOLDER holding .*{expected}"):
    data.open_source(name).examples()


def test_settings_that_do_not_apply_are_refused(tmp_path):
  with pytest.raises(data.DataError, match="image_size must be 0 or 28"):
    data.open_source("mnist", image_size=64)
  with pytest.raises(data.DataError, match="apply to celeb_a and folder datasets, not cifar10"):
    data.open_source("cifar10", crop_fraction=0.5)
  with pytest.raises(data.DataError, match="channels must be 0 or 3"):
    data.open_source("celeb_a", channels=1)
  with pytest.raises(data.DataError, match="crop_fraction must be in"):
    data.open_source("folder", data_dir=str(tmp_path), crop_fraction=1.5)
  with pytest.raises(data.DataError, match="reads local files only: set data_dir"):
    data.open_source("folder")
  with pytest.raises(data.DataError, match="one split, 'train'"):
    data.open_source("folder", split="test", data_dir=str(tmp_path))


def test_auto_cache_streams_what_does_not_fit():
  spec = data.DataSpec("folder", (64, 64, 3), 0, num_examples=1000)
  small = data.FolderSource(spec, None, 64, 1.0, 3, False)
  big = data.FolderSource(data.DataSpec("folder", (64, 64, 3), 0, num_examples=200_000), None,
                          64, 1.0, 3, False)
  assert data.resolve_cache("auto", small) == "memory"
  assert data.resolve_cache("auto", big) == "none"  # 2.46 GB of decoded images > 2 GiB
  assert data.resolve_cache("file", big) == "file"
  with pytest.raises(data.DataError, match="cache must be one of"):
    data.resolve_cache("disk", small)


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_an_unreachable_download_host_fails_in_seconds_naming_data_dir(tmp_path, monkeypatch,
                                                                       offline, name):
  import time

  t0 = time.monotonic()
  with pytest.raises(data.DataUnavailableError) as raised:
    data.open_source(name, tfds_dir=str(tmp_path / "tfds"))  # nothing prepared there
  seconds = time.monotonic() - t0
  message = str(raised.value)
  assert seconds < 30, seconds
  assert downloads.TFDS_HOSTS[name] in message and "--data_dir=FOLDER holding" in message
  assert "make train DATA_DIR=FOLDER" in message and "name resolution" in message


def test_unreachable_times_out_instead_of_hanging(monkeypatch):
  import socket
  import time

  def slow_resolver(*args, **kwargs):
    time.sleep(3)  # then fails, as a resolver that gives up would (the thread is abandoned)
    raise socket.gaierror(-3, "Temporary failure in name resolution")

  monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
  t0 = time.monotonic()
  reason = downloads.unreachable("example.org", timeout=0.5)
  assert time.monotonic() - t0 < 5 and "no answer within 0.5 s" in reason

