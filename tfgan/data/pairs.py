"""Paired images for image-to-image families: (input, target) uint8 pairs and their pipeline.

`--pairs` chooses where pairs come from:
  edges, grey, blur, downsample  derived: input = transform(image), target = the image, for
                                 the images of --dataset (any source, held-out part included)
  side_by_side                   pix2pix-format folders of A|B images side by side (facades,
                                 edges2shoes, maps); --direction=AtoB: input A (the left
                                 half), target B (the right half); BtoA the reverse
  folders                        --data_dir holds the inputs, --target_dir the targets,
                                 paired by file name (extensions may differ)
With side_by_side, --data_dir=pix2pix:NAME downloads the pix2pix dataset NAME (facades,
cityscapes, maps, edges2shoes, edges2handbags, night2day) from its authors' host once into
$TFGAN_CACHE_DIR/pix2pix/ (~/.cache/tfgan) and reads its train/ split. Nothing in a data folder
is ever written to.
"""

import dataclasses
import glob
import hashlib
import math
import os
from typing import Optional, Tuple

import numpy as np
import tensorflow as tf

from tfgan import downloads, files
from tfgan.data import decode, folder
from tfgan.data.errors import DataError
from tfgan.data.pipeline import AUTO_CACHE_LIMIT, to_float
from tfgan.data.sources import open_source

def _uint8(x):
  # Rounded like a saved PNG: a pair derived again from the same files is the same pair.
  return tf.cast(tf.round(tf.clip_by_value(x, 0.0, 1.0) * 255.0), tf.uint8)


def _unit(image):
  return tf.cast(image, tf.float32) / 255.0


def _luma(x):
  """BT.601 luma of float [H, W, 3] in [0, 1] (grey images pass through)."""
  if x.shape[-1] == 1:
    return x
  return tf.reduce_sum(x * tf.constant([0.299, 0.587, 0.114]), axis=-1, keepdims=True)


def _gaussian(x, sigma):
  """Separable Gaussian blur of float [H, W, C] with reflected borders."""
  radius = int(math.ceil(3 * sigma))
  t = tf.range(-radius, radius + 1, dtype=tf.float32)
  k = tf.exp(-0.5 * (t / sigma) ** 2)
  k = k / tf.reduce_sum(k)
  # Channels become the batch (one 1-channel image each): the channel count may be known only
  # at run time (folder images), which a depthwise filter's shape cannot be.
  planes = tf.transpose(x, [2, 0, 1])[..., None]  # [C, H, W, 1]
  padded = tf.pad(planes, [[0, 0], [radius, radius], [radius, radius], [0, 0]], "REFLECT")
  out = tf.nn.conv2d(padded, k[:, None, None, None], 1, "VALID")
  out = tf.nn.conv2d(out, k[None, :, None, None], 1, "VALID")
  return tf.transpose(out[..., 0], [1, 2, 0])


def grey(image):
  """uint8 [H, W, 3] -> uint8 [H, W, 1]: BT.601 luma (colourisation's input)."""
  return _uint8(_luma(_unit(image)))


def blur(image, sigma=2.0):
  """uint8 [H, W, C] -> uint8 [H, W, C]: Gaussian blur, sigma 2 px (deblurring's input)."""
  return _uint8(_gaussian(_unit(image), sigma))


def edges(image, low=0.35, high=0.85):
  """uint8 [H, W, C] -> uint8 [H, W, 1]: dark edges on white, like the edges2* datasets.

  The luma is smoothed (Gaussian, sigma 1 px), its Sobel gradient magnitude m (for images in
  [0, 1]; 4 * sqrt(2) at most) is mapped to edge strength clip((m - low) / (high - low), 0,
  1), and the map is inverted. Computed in TensorFlow, so a user's photos are turned into
  inputs exactly as the training images were.
  """
  g = _gaussian(_luma(_unit(image)), 1.0)
  sobel = tf.image.sobel_edges(g[None])[0, :, :, 0, :]  # [H, W, 2]: dy, dx
  magnitude = tf.sqrt(tf.reduce_sum(tf.square(sobel), axis=-1, keepdims=True))
  return _uint8(1.0 - tf.clip_by_value((magnitude - low) / (high - low), 0.0, 1.0))


def downsample(image, scale=4):
  """uint8 [H, W, C] -> uint8 [H / scale, W / scale, C]: the one degradation of tfgan's
  super-resolution and downsample pairs, tf.image.resize(bicubic, antialias=True) of the image
  in [0, 1], rounded to uint8 like a saved PNG."""
  shape = tf.shape(image)[:2] // scale
  return _uint8(tf.image.resize(_unit(image), shape, method="bicubic", antialias=True))


def down_up(image, scale=4):
  """uint8 [H, W, C] -> uint8 [H, W, C]: `downsample`, then bicubic back to H x W (the
  same-size input of a translation network)."""
  small = _unit(downsample(image, scale))
  return _uint8(tf.image.resize(small, tf.shape(image)[:2], method="bicubic"))


TRANSFORMS = {"edges": edges, "grey": grey, "blur": blur, "downsample": down_up}
# Channels of each transform's output (None: as many as the image).
TRANSFORM_CHANNELS = {"edges": 1, "grey": 1, "blur": None, "downsample": None}
PAIR_KINDS = tuple(TRANSFORMS) + ("side_by_side", "folders")
DIRECTIONS = ("AtoB", "BtoA")


@dataclasses.dataclass(frozen=True)
class PairSpec:
  """What an image-to-image model needs to know about its pairs: shapes (H, W, C) of input and
  target, the count (None: unknown), where they come from and how."""
  name: str
  input_shape: Tuple[int, int, int]
  target_shape: Tuple[int, int, int]
  num_examples: Optional[int]
  origin: str
  kind: str
  class_names: Tuple[str, ...] = ()  # pairs carry no class labels


class PairSource:
  """(input uint8 [H, W, C_in], target uint8 [H, W, C_out]) pairs of one split.

  cacheable: False when the examples must be recomputed on every pass (random crops) or vary
  in size; make_pair_dataset then never caches them."""
  spec: PairSpec
  cacheable = True

  def examples(self, shuffle_seed=None) -> tf.data.Dataset:
    raise NotImplementedError

  def fingerprint(self) -> str:
    raise NotImplementedError


class DerivedPairs(PairSource):
  """Pairs (transform(image), image) of an image Source (tfgan.data.sources)."""

  def __init__(self, source, kind):
    self.source, self.kind, self.transform = source, kind, TRANSFORMS[kind]
    shape = source.spec.image_shape
    channels = TRANSFORM_CHANNELS[kind] or shape[-1]
    self.spec = PairSpec(source.spec.name, shape[:2] + (channels,), shape,
                         source.spec.num_examples, source.spec.origin, kind)

  def examples(self, shuffle_seed=None):
    transform = self.transform
    return self.source.examples(shuffle_seed).map(lambda x, y: (transform(x), x),
                                                  num_parallel_calls=tf.data.AUTOTUNE)

  def fingerprint(self):
    return hashlib.sha1(f"{self.kind}|{self.source.fingerprint()}".encode()).hexdigest()[:16]


class FilePairs(PairSource):
  """Pairs read from files: side-by-side A|B images, or two folders matched by name. Every file
  is decoded once by `check()` (unreadable files, A|B images of odd shape and pairs of
  different sizes are refused by name) before any training."""

  def __init__(self, spec, inputs, targets, size, channels, direction):
    self.spec, self._inputs, self._targets = spec, inputs, targets
    self._size, self._channels, self._direction = size, channels, direction

  def _load(self, path_a, path_b):
    a = decode.decode_image(tf.io.read_file(path_a), self._channels)
    if self._targets is None:  # one A|B image: A is the left half
      half = tf.shape(a)[1] // 2
      a, b = a[:, :half], a[:, half:2 * half]
    else:
      b = decode.decode_image(tf.io.read_file(path_b), self._channels)
    if self._direction == "BtoA":
      a, b = b, a
    return (decode.crop_resize_uint8(a, self._size, 1.0),
            decode.crop_resize_uint8(b, self._size, 1.0))

  def check(self):
    """Raises DataError naming the unreadable or mismatched files."""
    paths = self._inputs.numpy()
    partners = self._targets.numpy() if self._targets is not None else [None] * len(paths)
    bad = []
    for a, b in zip(paths, partners):
      try:
        shape_a = tf.shape(decode.decode_image(tf.io.read_file(a), self._channels)).numpy()
        if b is None:
          if abs(int(shape_a[1]) - 2 * int(shape_a[0])) > 1:
            bad.append(f"  {a.decode()}: {shape_a[1]}x{shape_a[0]} is not two square halves "
                       f"side by side (width = 2 x height)")
          continue
        shape_b = tf.shape(decode.decode_image(tf.io.read_file(b), self._channels)).numpy()
        if tuple(shape_a[:2]) != tuple(shape_b[:2]):
          bad.append(f"  {a.decode()} is {shape_a[1]}x{shape_a[0]} but its target "
                     f"{b.decode()} is {shape_b[1]}x{shape_b[0]}")
      except (tf.errors.OpError, ValueError) as e:
        bad.append(f"  {a.decode()}: {getattr(e, 'message', str(e)).splitlines()[0]}")
    if bad:
      raise DataError(f"{self.spec.origin}: {len(bad)} of {len(paths)} pairs cannot be used:\n"
                      + "\n".join(bad[:20]) + ("\n  ..." if len(bad) > 20 else ""))

  def examples(self, shuffle_seed=None):
    targets = self._targets if self._targets is not None else self._inputs
    ds = tf.data.Dataset.from_tensor_slices((self._inputs, targets))
    if shuffle_seed is not None:
      ds = ds.shuffle(int(self._inputs.shape[0]), seed=shuffle_seed,
                      reshuffle_each_iteration=True)
    return ds.map(self._load, num_parallel_calls=tf.data.AUTOTUNE)

  def fingerprint(self):
    h = hashlib.sha1(repr((self.spec, self._direction)).encode())
    for path in self._inputs.numpy().tolist() + (
        self._targets.numpy().tolist() if self._targets is not None else []):
      stat = os.stat(path)
      h.update(path + b"|%d|%d|" % (stat.st_size, stat.st_mtime_ns))
    return h.hexdigest()[:16]


PIX2PIX_ARCHIVES = ("facades", "cityscapes", "maps", "edges2shoes", "edges2handbags",
                    "night2day")
# The pix2pix authors' host (junyanz/pytorch-CycleGAN-and-pix2pix, datasets/download_pix2pix
# _dataset.sh); the tensorflow.org tutorial's storage.googleapis.com copy holds facades only.
PIX2PIX_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"


def pix2pix_archive(name, cache_dir="", url_template=None):
  """The local train/ folder of pix2pix dataset `name`, downloading and unpacking
  <url_template.format(name)> into <cache_dir>/pix2pix/ the first time.

  Raises DataError naming the dataset, the address and the offline way when it fails.
  """
  if name not in PIX2PIX_ARCHIVES:
    raise DataError(f"pix2pix:{name}: unknown pix2pix dataset; choose from "
                    f"{PIX2PIX_ARCHIVES}.")
  root = os.path.join(cache_dir or files.cache_dir(), "pix2pix")
  found = sorted(glob.glob(os.path.join(glob.escape(root), "**", name, "train"),
                           recursive=True))
  if found:
    return found[0]
  url = (url_template or PIX2PIX_URL).format(name=name)
  from urllib.parse import urlparse
  host = urlparse(url).hostname
  reason = downloads.unreachable(host, port=443 if url.startswith("https") else 80) \
      if host else None
  if reason:
    raise DataError(f"pix2pix:{name} must be downloaded from {host}, which cannot be reached "
                    f"({reason}). Offline, unpack {name}.tar.gz elsewhere and pass "
                    f"--data_dir=PATH/{name}/train.")
  import keras  # keras.utils.get_file: download, checksum-free cache, tar extraction
  # It falls back to /tmp/.keras for a folder it cannot write to, including a missing one.
  os.makedirs(root, exist_ok=True)
  try:
    keras.utils.get_file(f"{name}.tar.gz", url, cache_dir=root, cache_subdir="", extract=True)
  except Exception as e:  # urllib raises many types for a failed download
    raise DataError(f"could not download pix2pix:{name} from {url} ({type(e).__name__}: {e}). "
                    f"Offline, unpack {name}.tar.gz elsewhere and pass "
                    f"--data_dir=PATH/{name}/train.") from e
  # Keras versions unpack into root/ or into root/<archive>_extracted/.
  found = sorted(glob.glob(os.path.join(glob.escape(root), "**", name, "train"),
                           recursive=True))
  if found:
    return found[0]
  raise DataError(f"pix2pix:{name}: the archive from {url} holds no {name}/train/ folder.")


def _split(paths, holdout, split, origin):
  if split not in ("train", "holdout"):
    raise DataError(f"split must be train or holdout, got {split!r}.")
  if holdout and holdout >= len(paths):
    raise DataError(f"holdout={holdout} leaves no training pairs of the {len(paths)} in "
                    f"{origin}.")
  if split == "holdout":
    if not holdout:
      raise DataError("no held-out split: set --holdout=N (the last N files are held out).")
    return paths[len(paths) - holdout:]
  return paths[:len(paths) - holdout] if holdout else paths


def _file_pairs(kind, data_dir, target_dir, size, channels, direction, holdout, split):
  index = folder.index_folder(data_dir)
  inputs = [p.decode() for p in index.paths.numpy()]
  targets = None
  if kind == "folders":
    if not target_dir:
      raise DataError("pairs=folders needs --target_dir, the folder of target images named "
                      "as their inputs in --data_dir.")
    by_name = {os.path.splitext(os.path.relpath(p, target_dir))[0]: p
               for p in folder.index_folder(target_dir).paths.numpy().astype(str)}
    missing = [p for p in inputs
               if os.path.splitext(os.path.relpath(p, data_dir))[0] not in by_name]
    if missing:
      listing = "\n".join(f"  {p}" for p in missing[:20])
      raise DataError(f"{len(missing)} of {len(inputs)} images in {data_dir} have no target of "
                      f"the same name in {target_dir}:\n{listing}")
    targets = [by_name[os.path.splitext(os.path.relpath(p, data_dir))[0]] for p in inputs]
  keep = _split(list(range(len(inputs))), holdout, split, data_dir)
  inputs = tf.constant([inputs[i] for i in keep])
  if targets is not None:
    targets = tf.constant([targets[i] for i in keep])
  shape = (size, size, channels)
  spec = PairSpec(os.path.basename(os.path.normpath(data_dir)), shape, shape,
                  int(inputs.shape[0]), data_dir, kind)
  return FilePairs(spec, inputs, targets, size, channels, direction)


def open_pairs(kind, dataset="folder", data_dir="", target_dir="", tfds_dir="", image_size=0,
               crop_fraction=0.0, channels=0, direction="AtoB", holdout=0, split="train",
               skip_bad_images=False, log=print) -> PairSource:
  """The pairs of one split ('train', or 'holdout': the last `holdout` files, sorted by path).

  Derived kinds (edges, grey, blur, downsample) take the images of `dataset` as
  tfgan.data.open_source does; side_by_side and folders read `data_dir` (and `target_dir`).
  File pairs are checked (decoded once) here: DataError names what is wrong.
  """
  if kind not in PAIR_KINDS:
    raise DataError(f"pairs must be one of {PAIR_KINDS}, got {kind!r}.")
  if direction not in DIRECTIONS:
    raise DataError(f"direction must be one of {DIRECTIONS}, got {direction!r}.")
  if kind in TRANSFORMS:
    source = open_source(dataset, split, data_dir, tfds_dir, image_size, crop_fraction,
                         channels, skip_bad_images, log=log, holdout=holdout)
    if hasattr(source, "check"):
      source.check()
    return DerivedPairs(source, kind)
  if not data_dir:
    raise DataError(f"pairs={kind} reads local files: set --data_dir (side_by_side: or "
                    f"--data_dir=pix2pix:NAME to download a pix2pix dataset).")
  if data_dir.startswith("pix2pix:"):
    if kind != "side_by_side":
      raise DataError(f"--data_dir={data_dir} holds side-by-side A|B images: use "
                      f"--pairs=side_by_side.")
    data_dir = pix2pix_archive(data_dir[len("pix2pix:"):])
  pairs = _file_pairs(kind, data_dir, target_dir, image_size or 256, channels or 3, direction,
                      holdout, split)
  pairs.check()
  return pairs


def jitter(inputs, targets, seed, load_ratio=286 / 256):
  """pix2pix's random jitter, identical for input and target: resize both up by `load_ratio`
  (bicubic), crop a random window of the original size back, flip left-right with
  probability 0.5. inputs, targets: float [H, W, C]; seed: int32 [2] (stateless)."""
  size = tf.shape(inputs)[:2]
  both = tf.concat([inputs, targets], axis=-1)
  load = tf.cast(tf.round(tf.cast(size, tf.float32) * load_ratio), tf.int32)
  both = tf.image.resize(both, load, method="bicubic")
  seeds = tf.random.experimental.stateless_split(seed, 2)
  both = tf.image.stateless_random_crop(both, tf.concat([size, tf.shape(both)[-1:]], 0),
                                        seeds[0])
  both = tf.image.stateless_random_flip_left_right(both, seeds[1])
  c = tf.shape(inputs)[-1]
  return both[..., :c], both[..., c:]


def make_pair_dataset(pairs: PairSource, batch_size, shuffle_buffer=10000, seed=None,
                      repeat=True, cache="auto", use_jitter=False, drop_remainder=True,
                      augment=None):
  """Batches (input float32 [B, H, W, C_in], target float32 [B, H, W, C_out]) in [-1, 1].

  Decoded pairs are cached in memory when they fit in 2 GiB (cache 'auto' or 'memory'),
  shuffled, repeated, jittered per example with `seed` (training only), batched.
  augment: instead of pix2pix's `jitter`, a function (input, target, seed int32 [2]) ->
  (input, target) of float images in [0, 1], applied per example like it.
  """
  spec = pairs.spec
  n = spec.num_examples
  ds = pairs.examples()
  if not pairs.cacheable:
    cache = "none"
  per_example = (int(np.prod(spec.input_shape)) + int(np.prod(spec.target_shape))
                 if cache != "none" else 0)
  if cache == "memory" or (cache == "auto" and n is not None and
                           n * per_example <= AUTO_CACHE_LIMIT):
    ds = ds.cache()
  if repeat:  # training: shuffled and endless; evaluation: every pair once, in file order
    ds = ds.shuffle(min(shuffle_buffer, n or shuffle_buffer), seed=seed,
                    reshuffle_each_iteration=True).repeat()
  ds = ds.map(lambda a, b: (to_float(a) * 0.5 + 0.5, to_float(b) * 0.5 + 0.5))
  augment = augment or (jitter if use_jitter else None)
  if augment is not None:
    seeds = tf.data.Dataset.random(seed if seed is not None else 0).batch(2)
    ds = tf.data.Dataset.zip((ds, seeds)).map(
        lambda ab, s: augment(ab[0], ab[1], tf.cast(s % (2**31 - 1), tf.int32)),
        num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(lambda a, b: (tf.clip_by_value(a, 0.0, 1.0), tf.clip_by_value(b, 0.0, 1.0)))
  ds = ds.batch(batch_size, drop_remainder=drop_remainder)
  ds = ds.map(lambda a, b: (a * 2.0 - 1.0, b * 2.0 - 1.0))
  return ds.prefetch(tf.data.AUTOTUNE)
