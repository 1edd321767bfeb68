"""The package's shape: no import circle among tfgan's modules, and a cheap `import tfgan`."""

import ast
import glob
import os
import subprocess
import sys

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
  # Parent packages re-export their modules; only the top package is kept out of the graph,
  # as its names are imported lazily.
  assert graph["tfgan"] == set()
  assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_finder_finds_cycles():
  assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
  assert _cycle({"a": {"b"}, "b": set()}) is None


def test_import_tfgan_is_cheap_and_its_names_load_on_use():
  code = ("import sys, tfgan; assert 'tensorflow' not in sys.modules; "
          "assert tfgan.Config().model.family == 'gan'; "
          "from tfgan.models import GAN; assert tfgan.GAN is GAN; "
          "assert callable(tfgan.train_and_evaluate); print('OK')")
  result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
  assert "OK" in result.stdout, result.stderr[-2000:]
