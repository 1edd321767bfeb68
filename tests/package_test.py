"""The package's shape: no import circle among tfgan's modules; `import tfgan` registers the
networks with Keras (and loads nothing else)."""

import ast
import glob
import os
import pickle
import subprocess
import sys

import pytest

from conftest import REPO

PACKAGE = os.path.join(REPO, "tfgan")


def _module_name(path):
  rel = os.path.relpath(path, REPO)[:-len(".py")].split(os.sep)
  return ".".join(rel[:-1] if rel[-1] == "__init__" else rel)


def _import_graph():
  """{module: set of tfgan modules it imports}, function-level imports included."""
  paths = glob.glob(os.path.join(PACKAGE, "**", "*.py"), recursive=True)
  modules = {_module_name(p): p for p in paths}
  graph = {}
  for name, path in modules.items():
    edges = set()
    for node in ast.walk(ast.parse(open(path).read())):
      targets = []
      if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
      elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        # `from tfgan import x`: x is a module when one exists by that name.
        targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                   else node.module for a in node.names]
      edges |= {t for t in targets if t in modules and t != name}
    graph[name] = edges
  return graph


def _cycle(graph):
  state, stack = {}, []

  def visit(node):
    state[node] = "open"
    stack.append(node)
    for nxt in sorted(graph[node]):
      if state.get(nxt) == "open":
        return stack[stack.index(nxt):] + [nxt]
      if nxt not in state:
        found = visit(nxt)
        if found:
          return found
    stack.pop()
    state[node] = "done"
    return None

  for node in sorted(graph):
    if node not in state:
      found = visit(node)
      if found:
        return found
  return None


def test_no_module_imports_itself_through_others():
  graph = _import_graph()
  assert "tfgan.trainer" in graph and "tfgan.models.gan" in graph
  # Parent packages re-export their modules; the top package imports only the networks (to
  # register them with Keras): its other names are imported lazily.
  assert graph["tfgan"] == {"tfgan.networks"}
  assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_finder_finds_cycles():
  assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
  assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.integration
def test_import_tfgan_then_keras_loads_every_saved_network(tmp_path):
  # The first thing a Keras user types: `import tfgan`, then keras.models.load_model on a
  # saved generator, in a fresh interpreter. One network of each architecture module.
  import keras
  import numpy as np
  from tfgan import networks
  from tfgan.networks import resnet_translation
  models = {
      "dcgan": networks.build("dcgan", 8, (28, 28, 1), width=0.125)[0],
      "mlp": networks.build("mlp", 4, (8, 8, 1), width=0.05, num_classes=3)[0],
      "resnet": networks.build("resnet", 8, (32, 32, 3), width=0.125)[0],
      "unet": networks.UNetGenerator((16, 16, 3), width=0.0625, test_mode="inference"),
      "resnet_translation": resnet_translation.ResNetGenerator((16, 16, 3), width=0.125,
                                                               n_blocks=1),
      "rrdb": networks.RRDBGenerator((16, 16, 3), scale=2, features=4, n_blocks=1, growth=2),
      "gated": networks.GatedGenerator((16, 16, 3), width=0.1),
  }
  inputs = {"dcgan": np.ones((2, 8), np.float32),
            "mlp": [np.ones((2, 4), np.float32), np.array([0, 2], np.int32)],
            "resnet": np.ones((2, 8), np.float32)}
  image = np.linspace(-1, 1, 2 * 16 * 16 * 3, dtype=np.float32).reshape(2, 16, 16, 3)
  mask = np.zeros((2, 16, 16, 1), np.float32)
  mask[:, 4:12, 4:12] = 1.0
  inputs.update(unet=image, resnet_translation=image, rrdb=image,
                gated=(image * (1 - mask), mask))
  for name, model in models.items():
    expected = np.asarray(model(inputs[name], training=False))
    model.save(str(tmp_path / f"{name}.keras"))
    np.save(tmp_path / f"{name}.npy", expected)
    with open(tmp_path / f"{name}.inputs.pkl", "wb") as f:
      pickle.dump(inputs[name], f)
  code = f"""
import pickle, sys
import numpy as np
import tfgan, keras
for name in {sorted(models)!r}:
  model = keras.models.load_model(r"{tmp_path}/" + name + ".keras", compile=False)
  with open(r"{tmp_path}/" + name + ".inputs.pkl", "rb") as f:
    x = pickle.load(f)
  out = np.asarray(model(x, training=False))
  np.testing.assert_allclose(out, np.load(r"{tmp_path}/" + name + ".npy"), atol=1e-5)
  print(name, type(model).__name__, out.shape)
print("LOADED")
"""
  result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=REPO))
  assert "LOADED" in result.stdout, result.stderr[-3000:]
  assert "ResNetGenerator" in result.stdout and "GatedGenerator" in result.stdout


def test_tfgan_names_load_on_use():
  import tfgan
  from tfgan.models import GAN
  assert tfgan.GAN is GAN and tfgan.Config().model.family == "gan"
  assert callable(tfgan.train_and_evaluate) and callable(tfgan.load_generator)
