"""Exports of a trained generator: a `.keras` file and a TensorFlow SavedModel.

The SavedModel serves `serve(z)` with z float32 [B, latent_dim] (conditional generators:
`serve(z, labels)` with int32 labels [B]) and returns images float32 [B, H, W, C] in [-1, 1];
`tf.saved_model.load` runs it without tfgan installed.
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


def save_saved_model(generator, path):
  """Writes a SavedModel with endpoint `serve(z[, labels])` (also serving_default)."""
  archive = keras.export.ExportArchive()
  archive.track(generator)
  z_spec = tf.TensorSpec([None, generator.latent_dim], tf.float32, name="z")
  if generator.num_classes:
    archive.add_endpoint(
        "serve", lambda z, labels: generator([z, labels], training=False),
        input_signature=[z_spec, tf.TensorSpec([None], tf.int32, name="labels")])
  else:
    archive.add_endpoint("serve", lambda z: generator(z, training=False),
                         input_signature=[z_spec])
  tmp = path.rstrip("/") + ".tmp"
  shutil.rmtree(tmp, ignore_errors=True)
  archive.write_out(tmp, verbose=False)
  _replace(tmp, path)
  return path


def export_generator(generator, workdir):
  """Writes `generator.keras` and `saved_model/` into `workdir`; returns their paths."""
  return (save_keras(generator, os.path.join(workdir, "generator.keras")),
          save_saved_model(generator, os.path.join(workdir, "saved_model")))
