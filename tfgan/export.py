"""Exports of a trained family: one `<name>.keras` file per exported network and one
TensorFlow SavedModel holding every export's endpoints.

A family lists its exports (`Family.exports`); for the noise-to-image GAN that is the
generator, served as `serve(z)` with z float32 [B, latent_dim] (conditional generators:
`serve(z, labels)` with int32 labels [B]), returning images float32 [B, H, W, C] in [-1, 1].
The SavedModel's `serving_default` signature (TF Serving, `loaded.signatures[...]`) is the
first endpoint with its output named `images` (not TensorFlow's `output_0`).
`tf.saved_model.load` runs the SavedModel without tfgan installed. Every file is written
through tfgan.files, so a crash never leaves a broken file in place of a good one.
"""

import dataclasses
from typing import Callable, Dict, List, Sequence, Tuple

import keras
import tensorflow as tf

from tfgan import files


@dataclasses.dataclass(frozen=True)
class Export:
  """One network to export.

  name: the file stem (`<name>.keras`). model: a built, serializable keras.Model computing in
  float32. endpoints: {endpoint name: input TensorSpecs}; the endpoint calls
  model(x, training=False) with one input, model([x1, x2, ...], training=False) with several.
  Endpoint names must be unique across a family's exports. calls: {endpoint name: a function
  of the model returning the endpoint's function} for endpoints that call something else than
  the model itself (StyleGAN2's `synthesize(ws)`); a function of the model, so that a copy
  of it (the trainer's float32 copy) is what is served.
  """
  name: str
  model: keras.Model
  endpoints: Dict[str, Tuple[tf.TensorSpec, ...]]
  calls: Dict[str, Callable] = dataclasses.field(default_factory=dict)

  def call(self, endpoint):
    """The function the SavedModel serves as `endpoint`."""
    if endpoint in self.calls:
      return self.calls[endpoint](self.model)
    return _endpoint(self.model, len(self.endpoints[endpoint]))


def save_keras(model, path):
  """Writes `model` to `path` (.keras) atomically; returns `path`."""
  with files.atomic_path(path) as tmp:
    model.save(tmp)
  return path


def _endpoint(model, arity):
  if arity == 1:
    return lambda x: model(x, training=False)
  return lambda *inputs: model(list(inputs), training=False)


# The output name of the serving_default signature: what a served model returns.
SERVING_OUTPUT = "images"


def save_saved_model(exports: Sequence[Export], path):
  """Writes one SavedModel with every endpoint of `exports` atomically; returns `path`.

  Each endpoint, called on the loaded object, returns the network's output tensor; the
  serving_default signature runs the first endpoint and returns {SERVING_OUTPUT: output}."""
  archive = keras.export.ExportArchive()
  served = {}  # endpoint -> its tf.function
  for item in exports:
    archive.track(item.model)
    for endpoint, specs in item.endpoints.items():
      if endpoint in served:
        raise ValueError(f"endpoint {endpoint!r} is exported twice; names must be unique.")
      served[endpoint] = archive.add_endpoint(endpoint, item.call(endpoint),
                                              input_signature=list(specs))
  if exports:
    endpoint, specs = next(iter(exports[0].endpoints.items()))
    # A call of the first endpoint's traced function, not a second trace of the network (a
    # trace costs seconds for the larger generators).
    call = served[endpoint]
    archive.add_endpoint("serving_default", lambda *inputs: {SERVING_OUTPUT: call(*inputs)},
                         input_signature=list(specs))
  with files.atomic_path(path) as tmp:
    archive.write_out(tmp, verbose=False)
  return path


def export_all(exports: Sequence[Export], keras_path, saved_model_path) -> Dict[str, str]:
  """Writes each export to keras_path(name) and all of them to saved_model_path.

  Returns {'<name>_keras': path, ..., 'saved_model': path}.
  """
  out = {f"{item.name}_keras": save_keras(item.model, keras_path(item.name))
         for item in exports}
  out["saved_model"] = save_saved_model(exports, saved_model_path)
  return out


def generator_export(generator) -> Export:
  """The Export of a tfgan generator: `generator.keras` and `serve(z[, labels])`."""
  z_spec = tf.TensorSpec([None, generator.latent_dim], tf.float32, name="z")
  specs: List[tf.TensorSpec] = [z_spec]
  if generator.num_classes:
    specs.append(tf.TensorSpec([None], tf.int32, name="labels"))
  return Export("generator", generator, {"serve": tuple(specs)})
