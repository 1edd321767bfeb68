import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import export, networks


def _generator(num_classes=0):
  g, _ = networks.build("mlp", 4, (8, 8, 1), width=0.05, num_classes=num_classes)
  return g


@pytest.mark.parametrize("num_classes", [0, 3])
def test_generator_export_reloads_and_serves_the_same_images(tmp_path, num_classes):
  g = _generator(num_classes)
  item = export.generator_export(g)
  assert item.name == "generator" and list(item.endpoints) == ["serve"]
  paths = export.export_all([item], lambda name: str(tmp_path / f"{name}.keras"),
                            str(tmp_path / "saved_model"))
  assert paths == {"generator_keras": str(tmp_path / "generator.keras"),
                   "saved_model": str(tmp_path / "saved_model")}
  z = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
  inputs = [z, np.array([0, 2], np.int32)] if num_classes else z
  expected = np.asarray(g(inputs, training=False))
  reloaded = keras.models.load_model(paths["generator_keras"], compile=False)
  np.testing.assert_allclose(np.asarray(reloaded(inputs, training=False)), expected, atol=1e-6)
  served = tf.saved_model.load(paths["saved_model"])
  out = served.serve(*inputs) if num_classes else served.serve(z)
  np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)
  # TF Serving's signature names its output `images` (TensorFlow's default is output_0).
  signature = served.signatures["serving_default"]
  named = {"z": tf.constant(z)} | ({"labels": tf.constant(inputs[1])} if num_classes else {})
  result = signature(**named)
  assert list(result) == ["images"]
  np.testing.assert_allclose(result["images"].numpy(), expected, atol=1e-6)


@pytest.mark.integration
def test_several_exports_share_one_saved_model_and_a_rerun_replaces_it(tmp_path):
  a, b = _generator(), _generator()
  b.set_weights([w + 0.1 for w in a.get_weights()])
  spec = (tf.TensorSpec([None, 4], tf.float32),)
  items = [export.Export("a", a, {"serve_a": spec}), export.Export("b", b, {"serve_b": spec})]
  path = str(tmp_path / "saved_model")
  keras_path = lambda name: str(tmp_path / f"{name}.keras")  # noqa: E731
  export.export_all(items, keras_path, path)
  export.export_all(items, keras_path, path)  # replaced in place: no leftovers
  assert sorted(os.listdir(tmp_path)) == ["a.keras", "b.keras", "saved_model"]
  served = tf.saved_model.load(path)
  z = np.zeros((1, 4), np.float32)
  np.testing.assert_allclose(served.serve_a(z).numpy(), np.asarray(a(z)), atol=1e-6)
  np.testing.assert_allclose(served.serve_b(z).numpy(), np.asarray(b(z)), atol=1e-6)
  with pytest.raises(ValueError, match="exported twice"):
    export.save_saved_model([items[0], export.Export("c", b, {"serve_a": spec})],
                            str(tmp_path / "other"))
