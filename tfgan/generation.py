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


def generate(generator, z, labels=None, batch_size=256):
  """Runs the generator in inference mode on z [N, latent_dim] (with int labels [N] for a
  conditional generator); returns float32 [N, H, W, C] in [-1, 1]."""
  if getattr(generator, "num_classes", 0) and labels is None:
    raise ValueError(f"This generator is conditional on {generator.num_classes} classes; "
                     f"give labels.")
  out = []
  for i in range(0, len(z), batch_size):
    inputs = z[i:i + batch_size]
    if labels is not None:
      inputs = [inputs, np.asarray(labels[i:i + batch_size], np.int32)]
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
