"""The demo's own temporary folder (downloads it offers and Gradio's uploads and cache live
here, never in a run or data folder; removed when the process exits) and its private
environment. Standard library only: importing tfgan.demo runs `private_environment` before
anything imports Gradio, without loading TensorFlow."""

import atexit
import os
import shutil
import sys
import tempfile

# Read by Gradio and huggingface_hub when they are imported.
PRIVATE_ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1",
               "HF_HUB_OFFLINE": "1"}

_ROOT = []


def root() -> str:
  """The process's scratch folder (created on first use, removed at exit)."""
  if not _ROOT:
    path = tempfile.mkdtemp(prefix="tfgan_demo_")
    _ROOT.append(path)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
  return _ROOT[0]


def adopt(path: str) -> None:
  """Makes `path`, the page process's scratch folder, this process's (the demo's model
  process: its answers' files go where the page serves them from; the page removes it)."""
  if _ROOT and _ROOT[0] != path:
    shutil.rmtree(_ROOT[0], ignore_errors=True)  # made at import, unused
  _ROOT[:] = [path]
  os.environ["GRADIO_TEMP_DIR"] = gradio_dir()


def new_dir() -> str:
  """A fresh folder under `root()`: one per answer, so two answers never share a file."""
  return tempfile.mkdtemp(dir=root())


def gradio_dir() -> str:
  """Where Gradio keeps uploads and the files it serves (GRADIO_TEMP_DIR)."""
  path = os.path.join(root(), "gradio")
  os.makedirs(path, exist_ok=True)
  return path


def private_environment():
  """Sets PRIVATE_ENV and GRADIO_TEMP_DIR (`gradio_dir()`) in os.environ, and turns Hugging
  Face telemetry off where huggingface_hub was imported before (it reads the variable once, at
  import: a notebook that imported Gradio first)."""
  os.environ.update(PRIVATE_ENV)
  os.environ["GRADIO_TEMP_DIR"] = gradio_dir()
  constants = sys.modules.get("huggingface_hub.constants")
  if constants is not None:
    constants.HF_HUB_DISABLE_TELEMETRY = True
