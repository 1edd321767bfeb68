"""Exports of a trained generator: a `.keras` file and a TensorFlow SavedModel.

The SavedModel serves `serve(z)` with z float32 [B, latent_dim] and returns images float32
[B, H, W, C] in [-1, 1]; `tf.saved_model.load` runs it without tfgan installed.
"""

import os
import shutil

import keras
import tensorflow as tf


def _replace(tmp, final):
  """Moves `tmp` to `final`, keeping the previous `final` until the new one is in place."""
  if os.path.isdir(final):
    old = final + ".old"
    shutil.rmtree(old, ignore_errors=True)
    os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old)
  else:
    os.replace(tmp, final)


def save_keras(generator, path):
  """Writes the generator to `path` (.keras) via a temporary file, so a crash mid-write never
  leaves a broken file in place of a good one."""
  tmp = path[:-len(".keras")] + ".tmp.keras"
  generator.save(tmp)
  _replace(tmp, path)
  return path


def save_saved_model(generator, path, latent_dim):
  """Writes a SavedModel with endpoint `serve(z)` (also the serving_default signature)."""
  archive = keras.export.ExportArchive()
  archive.track(generator)
  archive.add_endpoint(
      "serve", lambda z: generator(z, training=False),
      input_signature=[tf.TensorSpec([None, latent_dim], tf.float32, name="z")])
  tmp = path.rstrip("/") + ".tmp"
  shutil.rmtree(tmp, ignore_errors=True)
  archive.write_out(tmp, verbose=False)
  _replace(tmp, path)
  return path


def export_generator(generator, workdir, latent_dim):
  """Writes `generator.keras` and `saved_model/` into `workdir`; returns their paths."""
  return (save_keras(generator, os.path.join(workdir, "generator.keras")),
          save_saved_model(generator, os.path.join(workdir, "saved_model"), latent_dim))
