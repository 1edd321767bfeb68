"""Unpaired images of two domains A and B for CycleGAN: sources and their pipeline.

`--domains` chooses where the domains come from:
  folders                        --data_dir holds trainA/ and trainB/ (and testA/, testB/), the
                                 layout of the CycleGAN datasets; --data_dir=cyclegan:NAME
                                 downloads the CycleGAN dataset NAME (horse2zebra,
                                 monet2photo, summer2winter_yosemite, ...) from its authors'
                                 host once into $TFGAN_CACHE_DIR/cyclegan/, and
                                 --data_dir=tfds:cycle_gan/NAME reads tensorflow-datasets'
                                 copy (its trainA/trainB/testA/testB splits)
  edges, grey, blur, downsample  one image source (--dataset, --data_dir) split into two
                                 disjoint halves by file order: the even-numbered images,
                                 transformed, are A; the odd-numbered ones, untouched, are B.
                                 No image is in both domains. With --holdout, the held-out
                                 images give (transform(x), x) pairs for paired evaluation.
Transformed images keep the image's channel count (a grey image is repeated to RGB, as the
CycleGAN reference code reads every image as RGB), so identity loss is defined.
"""

import dataclasses
import glob
import hashlib
import os
from typing import Optional, Tuple

import numpy as np
import tensorflow as tf

from tfgan import downloads, files
from tfgan.data.errors import DataError
from tfgan.data.pairs import TRANSFORMS, PairSource, PairSpec, jitter
from tfgan.data.pipeline import AUTO_CACHE_LIMIT, to_float
from tfgan.data.sources import open_source

DOMAIN_KINDS = ("folders",) + tuple(TRANSFORMS)
CYCLEGAN_ARCHIVES = ("apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo",
                     "cezanne2photo", "ukiyoe2photo", "vangogh2photo", "maps", "cityscapes",
                     "facades", "iphone2dslr_flower")
# The CycleGAN authors' host (junyanz/pytorch-CycleGAN-and-pix2pix,
# datasets/download_cyclegan_dataset.sh); tensorflow-datasets' cycle_gan reads it too.
CYCLEGAN_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{name}.zip"
CYCLEGAN_HOST = "efrosgans.eecs.berkeley.edu"


@dataclasses.dataclass(frozen=True)
class UnpairedSpec:
  """Shapes (H, W, C) of domains A and B, their image counts, origin and kind."""
  name: str
  input_shape: Tuple[int, int, int]
  target_shape: Tuple[int, int, int]
  num_a: Optional[int]
  num_b: Optional[int]
  origin: str
  kind: str
  class_names: Tuple[str, ...] = ()

  @property
  def num_examples(self):
    """Images in an epoch: the larger domain's count, as the reference code counts."""
    return max(self.num_a, self.num_b) if self.num_a and self.num_b else None


def _to_channels(image, channels):
  """uint8 [H, W, c] -> [H, W, channels]: a grey image repeated, else unchanged."""
  if image.shape[-1] == channels:
    return image
  return tf.repeat(image, channels, axis=-1)


class UnpairedSource:
  """Two streams of uint8 images [H, W, C]: `domain('A')` and `domain('B')`."""

  def __init__(self, spec, a, b, fingerprint):
    self.spec, self._streams, self._fingerprint = spec, {"A": a, "B": b}, fingerprint

  def domain(self, name) -> tf.data.Dataset:
    """The images of domain 'A' or 'B', in a fixed order, once."""
    return self._streams[name]()

  def fingerprint(self) -> str:
    return self._fingerprint


class HalvesPairs(PairSource):
  """(transform(x) with x's channels, x) pairs of an image Source: the held-out images of a
  derived CycleGAN run, scored as a paired task."""

  def __init__(self, source, kind):
    self.source, self.kind = source, kind
    shape = source.spec.image_shape
    self.spec = PairSpec(source.spec.name, shape, shape, source.spec.num_examples,
                         source.spec.origin, kind)

  def examples(self, shuffle_seed=None):
    transform, shape = TRANSFORMS[self.kind], self.spec.target_shape

    def pair(x, y):
      x = tf.ensure_shape(x, shape)
      return _to_channels(transform(x), shape[-1]), x
    return self.source.examples(shuffle_seed).map(pair, num_parallel_calls=tf.data.AUTOTUNE)

  def fingerprint(self):
    return hashlib.sha1(f"halves|{self.kind}|{self.source.fingerprint()}".encode()
                        ).hexdigest()[:16]


def _halves(source, kind):
  transform, shape = TRANSFORMS[kind], source.spec.image_shape
  n = source.spec.num_examples

  def half(parity, derive):
    def stream():
      ds = source.examples().enumerate().filter(lambda i, xy: i % 2 == parity)
      ds = ds.map(lambda i, xy: tf.ensure_shape(xy[0], shape))
      if derive:
        return ds.map(lambda x: _to_channels(transform(x), shape[-1]),
                      num_parallel_calls=tf.data.AUTOTUNE)
      return ds
    return stream

  spec = UnpairedSpec(source.spec.name, shape, shape, (n + 1) // 2 if n else None,
                      n // 2 if n else None, source.spec.origin, kind)
  return UnpairedSource(spec, half(0, True), half(1, False),
                        hashlib.sha1(f"halves|{kind}|{source.fingerprint()}".encode()
                                     ).hexdigest()[:16])


def cyclegan_archive(name, cache_dir="", url_template=None):
  """The local folder (holding trainA/ trainB/ testA/ testB/) of CycleGAN dataset `name`,
  downloading and unpacking <url_template.format(name)> into <cache_dir>/cyclegan/ the first
  time. Raises DataError naming the dataset, host and the offline way when it fails."""
  if name not in CYCLEGAN_ARCHIVES:
    raise DataError(f"cyclegan:{name}: unknown CycleGAN dataset; choose from "
                    f"{CYCLEGAN_ARCHIVES}.")
  root = os.path.join(cache_dir or files.cache_dir(), "cyclegan")

  def found():
    hits = sorted(glob.glob(os.path.join(glob.escape(root), "**", name, "trainA"),
                            recursive=True))
    return os.path.dirname(hits[0]) if hits else None

  if found():
    return found()
  url = (url_template or CYCLEGAN_URL).format(name=name)
  from urllib.parse import urlparse
  host = urlparse(url).hostname
  reason = downloads.unreachable(host, port=443 if url.startswith("https") else 80) \
      if host else None
  offline = (f"Offline, unpack {name}.zip elsewhere and pass --data_dir=PATH/{name} (the "
             f"folder holding trainA/ and trainB/).")
  if reason:
    raise DataError(f"cyclegan:{name} must be downloaded from {host}, which cannot be reached "
                    f"({reason}). {offline}")
  import keras  # keras.utils.get_file: download, cache, zip extraction
  os.makedirs(root, exist_ok=True)
  try:
    keras.utils.get_file(f"{name}.zip", url, cache_dir=root, cache_subdir="", extract=True)
  except Exception as e:  # urllib raises many types for a failed download
    raise DataError(f"could not download cyclegan:{name} from {url} ({type(e).__name__}: "
                    f"{e}). {offline}") from e
  if found():
    return found()
  raise DataError(f"cyclegan:{name}: the archive from {url} holds no {name}/trainA/ folder.")


def _tfds_domains(name, split, tfds_dir, image_size):
  """CycleGAN domains from tensorflow-datasets `cycle_gan/NAME` (splits trainA, trainB, testA,
  testB), resized to image_size."""
  import tensorflow_datasets as tfds  # slow to import; only this path needs it
  builder = tfds.builder(name, data_dir=tfds_dir or None)
  if not builder.is_prepared():
    reason = downloads.unreachable(CYCLEGAN_HOST)
    if reason:
      raise DataError(f"{name!r} is not in tensorflow-datasets' folder ({builder.data_dir}) "
                      f"and its download host {CYCLEGAN_HOST} cannot be reached ({reason}). "
                      f"Offline, unpack the CycleGAN archive elsewhere and pass "
                      f"--data_dir=PATH (the folder holding trainA/ and trainB/).")
  prefix = "train" if split == "train" else "test"
  size = image_size or 256

  def stream(domain):
    def load():
      try:
        ds = tfds.load(name, split=prefix + domain, data_dir=tfds_dir or None,
                       shuffle_files=False)
      except Exception as e:  # TFDS raises many types for a failed download
        raise DataError(f"tensorflow-datasets could not provide {name!r} ({type(e).__name__}:"
                        f" {e}).") from e
      return ds.map(lambda ex: tf.cast(tf.image.resize(ex["image"], (size, size),
                                                       antialias=True) + 0.5, tf.uint8))
    return load

  info = builder.info
  counts = [info.splits[prefix + d].num_examples for d in "AB"]
  shape = (size, size, 3)
  spec = UnpairedSpec(name, shape, shape, counts[0], counts[1], f"tensorflow-datasets {name}",
                      "folders")
  return UnpairedSource(spec, stream("A"), stream("B"), hashlib.sha1(
      repr((name, split, size)).encode()).hexdigest()[:16])


def open_domains(kind, dataset="folder", data_dir="", tfds_dir="", image_size=0,
                 crop_fraction=0.0, channels=0, holdout=0, split="train",
                 skip_bad_images=False, log=print):
  """The two domains of one split ('train'; 'test': the folders' testA/testB) as an
  UnpairedSource, or, for a derived kind and split 'holdout', the held-out (transform(x), x)
  pairs. Folders are decoded once here: DataError names the bad files or missing folders."""
  if kind not in DOMAIN_KINDS:
    raise DataError(f"domains must be one of {DOMAIN_KINDS}, got {kind!r}.")
  if kind in TRANSFORMS:
    source = open_source(dataset, "holdout" if split == "holdout" else "train", data_dir,
                         tfds_dir, image_size, crop_fraction, channels, skip_bad_images,
                         log=log, holdout=holdout)
    if hasattr(source, "check"):
      source.check()
    return HalvesPairs(source, kind) if split == "holdout" else _halves(source, kind)
  if split not in ("train", "test"):
    raise DataError(f"domains=folders has splits train and test (trainA/B, testA/B), got "
                    f"{split!r}.")
  if not data_dir:
    raise DataError("domains=folders reads --data_dir (a folder holding trainA/ and trainB/), "
                    "--data_dir=cyclegan:NAME or --data_dir=tfds:cycle_gan/NAME.")
  if data_dir.startswith("tfds:"):
    return _tfds_domains(data_dir[len("tfds:"):], split, tfds_dir, image_size)
  if data_dir.startswith("cyclegan:"):
    data_dir = cyclegan_archive(data_dir[len("cyclegan:"):])
  sources = {}
  for d in "AB":
    path = os.path.join(data_dir, split + d)
    if not os.path.isdir(path):
      raise DataError(f"{data_dir}: no {split}{d}/ folder; domains=folders expects "
                      f"{split}A/ and {split}B/ (the CycleGAN datasets' layout).")
    sources[d] = open_source("folder", "train", path, "", image_size or 256, crop_fraction,
                             channels, skip_bad_images, log=log)
    sources[d].check()
  spec = UnpairedSpec(os.path.basename(os.path.normpath(data_dir)),
                      sources["A"].spec.image_shape, sources["B"].spec.image_shape,
                      sources["A"].spec.num_examples, sources["B"].spec.num_examples, data_dir,
                      "folders")
  fingerprint = hashlib.sha1("|".join(sources[d].fingerprint() for d in "AB").encode()
                             ).hexdigest()[:16]
  return UnpairedSource(spec, *[(lambda s=sources[d]: s.examples().map(lambda x, y: x))
                                for d in "AB"], fingerprint)


def make_unpaired_dataset(source, batch_size, shuffle_buffer=10000, seed=None, cache="auto",
                          use_jitter=False):
  """Endless batches (a float32 [B, H, W, C_A], b float32 [B, H, W, C_B]) in [-1, 1]: each
  domain cached in memory when it fits (cache 'auto' or 'memory'), shuffled and repeated on
  its own (so which b meets which a changes every epoch), jittered per image with `seed`
  (resize up by 286/256, random crop back, random flip), batched."""
  spec = source.spec
  streams = []
  for k, (name, n, shape) in enumerate((("A", spec.num_a, spec.input_shape),
                                         ("B", spec.num_b, spec.target_shape))):
    ds = source.domain(name)
    if cache == "memory" or (cache == "auto" and n is not None and
                             n * int(np.prod(shape)) <= AUTO_CACHE_LIMIT // 2):
      ds = ds.cache()
    domain_seed = None if seed is None else seed + k
    ds = ds.shuffle(min(shuffle_buffer, n or shuffle_buffer), seed=domain_seed,
                    reshuffle_each_iteration=True).repeat()
    ds = ds.map(lambda x: to_float(x) * 0.5 + 0.5)
    if use_jitter:
      seeds = tf.data.Dataset.random(domain_seed if domain_seed is not None else k).batch(2)
      ds = tf.data.Dataset.zip((ds, seeds)).map(
          lambda x, s: tf.clip_by_value(
              jitter(x, x[..., :0], tf.cast(s % (2**31 - 1), tf.int32))[0], 0.0, 1.0),
          num_parallel_calls=tf.data.AUTOTUNE)
    streams.append(ds.batch(batch_size, drop_remainder=True).map(lambda x: x * 2.0 - 1.0))
  return tf.data.Dataset.zip(tuple(streams)).prefetch(tf.data.AUTOTUNE)
