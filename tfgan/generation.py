"""Generating from a trained generator: loading it, fixed-seed latents and batches, and latent
interpolations (the library behind `python -m tfgan.sample`)."""

import os

import keras
import numpy as np

import tfgan.networks  # noqa: F401  Registers the network classes for load_model.


def load_generator(path):
  """Loads a generator saved as `.keras` (or the `generator.keras` inside a run directory)."""
  if os.path.isdir(path):
    path = os.path.join(path, "generator.keras")
  if not os.path.isfile(path):
    raise FileNotFoundError(f"{path}: no saved generator (a run writes generator.keras when it "
                            f"finishes or is interrupted).")
  return keras.models.load_model(path, compile=False)


def latent_dim_of(generator):
  """The length of the generator's latent input."""
  if hasattr(generator, "latent_dim"):
    return int(generator.latent_dim)
  return int(generator.input_shape[-1])


def latents(num, latent_dim, seed=0):
  """z ~ N(0, I), float32 [num, latent_dim], determined by `seed` alone."""
  return np.random.default_rng(seed).standard_normal((num, latent_dim)).astype(np.float32)


def class_rows(num, num_classes):
  """int32 labels [num] sorted by class (0, 0, ..., 1, 1, ...), ceil(num / num_classes) per
  class: a grid with num_classes rows then shows one class per row."""
  per_class = -(-num // num_classes)
  return (np.arange(num) // per_class).astype(np.int32)


def with_codes(z, codes, info_codes):
  """Latents float32 [N, D] like z whose InfoGAN code argmax(z[:, :K]) is `codes` (int [N] in
  [0, K)): in each row the largest of the first K entries swaps places with entry codes[i],
  so the row is a permutation of z's and keeps z's distribution given the code."""
  z = np.array(z, np.float32, copy=True)
  codes = np.asarray(codes, np.int64)
  if codes.shape != (len(z),) or codes.min(initial=0) < 0 or codes.max(initial=0) >= info_codes:
    raise ValueError(f"codes must be {len(z)} ints in [0, {info_codes}), got {codes!r}.")
  rows = np.arange(len(z))
  top = np.argmax(z[:, :info_codes], axis=1)
  z[rows, top], z[rows, codes] = z[rows, codes], z[rows, top]
  return z


def generate(generator, z, labels=None, batch_size=256, psi=1.0):
  """Runs the generator in inference mode on z [N, latent_dim] (with int labels [N] for a
  conditional generator); returns float32 [N, H, W, C] in [-1, 1].

  psi != 1: the truncation trick of a StyleGAN2 generator (w moved toward its w_avg by psi;
  0.7 is common, 0 gives the average face); ValueError for a generator without a mapping."""
  if getattr(generator, "num_classes", 0) and labels is None:
    raise ValueError(f"This generator is conditional on {generator.num_classes} classes; "
                     f"give labels.")
  psi = float(psi)
  if psi != 1.0 and not hasattr(generator, "mapping"):
    raise ValueError(f"truncation_psi={psi:g} needs a StyleGAN2 generator (its mapping and "
                     f"w_avg); this one is a {type(generator).__name__}.")
  out = []
  for i in range(0, len(z), batch_size):
    inputs = z[i:i + batch_size]
    batch_labels = None if labels is None else np.asarray(labels[i:i + batch_size], np.int32)
    if psi != 1.0:
      ws = generator.mapping(inputs, batch_labels, psi=psi)
      out.append(np.asarray(generator.synthesis(ws, "const")))
      continue
    if batch_labels is not None:
      inputs = [inputs, batch_labels]
    out.append(np.asarray(generator(inputs, training=False)))
  return np.concatenate(out, axis=0)


def slerp(a, b, t):
  """Spherical interpolation between latents a, b [..., D] at fractions t in [0, 1].

  Gaussian latents concentrate near a sphere, so slerp keeps intermediate points typical where
  a straight line would pass through low-norm, atypical latents (White 2016,
  https://arxiv.org/abs/1609.04468). Returns [len(t), ..., D].
  """
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  t = np.asarray(t, np.float64).reshape((-1,) + (1,) * a.ndim)
  cos = np.sum(a * b, -1, keepdims=True) / (
      np.linalg.norm(a, axis=-1, keepdims=True) * np.linalg.norm(b, axis=-1, keepdims=True))
  omega = np.arccos(np.clip(cos, -1.0, 1.0))
  sin = np.sin(omega)
  near = sin < 1e-6  # Nearly parallel: fall back to linear interpolation.
  safe = np.where(near, 1.0, sin)
  out = np.where(near, (1 - t) * a + t * b,
                 (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / safe)
  return out.astype(np.float32)


def interpolation_latents(rows, steps, latent_dim, seed=0):
  """Latents [rows * steps, latent_dim]: each row slerps from one random z to another."""
  ends = latents(2 * rows, latent_dim, seed)
  path = slerp(ends[:rows], ends[rows:], np.linspace(0.0, 1.0, steps))  # [steps, rows, D]
  return np.transpose(path, (1, 0, 2)).reshape(rows * steps, latent_dim)


def translate(generator, x, batch_size=32):
  """Runs `generator` (its test_mode decides dropout and batch norm) on x float32 [N, H, W, C]
  in [-1, 1] in batches; returns float32 [N, H, W, C_out]. The generator's non-trainable state
  (dropout seeds) is put back afterwards, so translating never changes a run's randomness."""
  state = [v.numpy() for v in generator.non_trainable_variables]
  try:
    return np.concatenate([np.asarray(generator(x[i:i + batch_size], training=False))
                           for i in range(0, len(x), batch_size)])
  finally:
    for v, value in zip(generator.non_trainable_variables, state):
      v.assign(value)


def sample(generator, num, seed=0, label=None, psi=1.0):
  """What `tfgan.sample --num --seed [--label]` draws, for the CLI, notebooks and tfgan.demo.

  Returns (images float32 [num, H, W, C] in [-1, 1], z float32 [num, latent_dim], labels int32
  [num] or None (unconditional), grid rows or None): a conditional generator without `label`
  gets one row per class (`class_rows`), with `label` (an int class) that class alone. psi:
  StyleGAN2's truncation (`generate`). Raises ValueError for a label the generator does not
  have, or a psi it cannot apply.
  """
  num_classes = int(getattr(generator, "num_classes", 0))
  _check_label(label, num_classes)
  z = latents(num, latent_dim_of(generator), seed)
  rows, labels = None, None
  if num_classes and label is None:
    rows, labels = num_classes, class_rows(num, num_classes)
  elif num_classes:
    labels = np.full(num, label, np.int32)
  return generate(generator, z, labels, psi=psi), z, labels, rows


def interpolation(generator, rows, steps, seed=0, label=None):
  """What `tfgan.sample --interpolate` draws: `rows` slerp paths of `steps` images each.

  Returns (images float32 [rows * steps, H, W, C] in [-1, 1], z [rows * steps, latent_dim],
  labels int32 [rows * steps] or None); a conditional generator's row r is class
  r % num_classes, or `label` in every row.
  """
  num_classes = int(getattr(generator, "num_classes", 0))
  _check_label(label, num_classes)
  z = interpolation_latents(rows, steps, latent_dim_of(generator), seed)
  labels = None
  if num_classes:
    row_labels = np.arange(rows) % num_classes if label is None else np.full(rows, label)
    labels = np.repeat(row_labels, steps).astype(np.int32)
  return generate(generator, z, labels), z, labels


def _check_label(label, num_classes):
  if label is not None and not 0 <= int(label) < max(num_classes, 1):
    raise ValueError(f"label {label}: the generator is " + (
        f"conditional on classes 0..{num_classes - 1}." if num_classes else "unconditional."))


def save_latents(path, images, z, labels=None):
  """Writes `path` (.npz, atomically): `images` float32 [N, H, W, C] in [-1, 1], the latents
  `z` float32 [N, latent_dim] and, for a conditional generator, `labels` int32 [N]: the file
  `tfgan.sample --npz` writes and `--latents` (`load_latents`) reads back."""
  from tfgan import files
  extra = {"labels": np.asarray(labels, np.int32)} if labels is not None else {}
  with files.atomic_path(path) as tmp:
    np.savez_compressed(tmp, images=np.asarray(images, np.float32),
                        z=np.asarray(z, np.float32), **extra)
  return path


def load_latents(path, generator):
  """(z float32 [N, latent_dim], labels int32 [N] or None) from an .npz of `save_latents`,
  checked against `generator`. Raises ValueError naming `path` and what was expected."""
  try:
    with np.load(path) as saved:
      found = {k: np.asarray(saved[k]) for k in saved.files}
  except (OSError, ValueError) as e:
    raise ValueError(f"{path}: not a readable .npz ({e}).") from None
  dim = latent_dim_of(generator)
  z = found.get("z")
  if z is None or z.ndim != 2 or z.shape[1] != dim or not len(z):
    raise ValueError(f"{path}: expected latents 'z' of shape [N, {dim}] (tfgan.sample --npz), "
                     f"found {None if z is None else list(z.shape)}.")
  num_classes = int(getattr(generator, "num_classes", 0))
  labels = found.get("labels")
  if num_classes and (labels is None or labels.shape != (len(z),)):
    raise ValueError(f"{path}: the generator is conditional on {num_classes} classes; "
                     f"expected 'labels' of shape [{len(z)}].")
  if labels is not None and num_classes:
    labels = labels.astype(np.int32)
    if labels.min() < 0 or labels.max() >= num_classes:
      raise ValueError(f"{path}: labels must be in 0..{num_classes - 1}.")
  return z.astype(np.float32), (labels if num_classes else None)
