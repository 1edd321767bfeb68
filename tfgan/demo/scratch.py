"""The demo's own temporary folder: downloads it offers and Gradio's uploads and cache live
here, never in a run or data folder, and it is removed when the process exits."""

import atexit
import os
import shutil
import tempfile

_ROOT = []


def root() -> str:
  """The process's scratch folder (created on first use, removed at exit)."""
  if not _ROOT:
    path = tempfile.mkdtemp(prefix="tfgan_demo_")
    _ROOT.append(path)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
  return _ROOT[0]


def new_dir() -> str:
  """A fresh folder under `root()`: one per answer, so two answers never share a file."""
  return tempfile.mkdtemp(dir=root())


def gradio_dir() -> str:
  """Where Gradio keeps uploads and the files it serves (GRADIO_TEMP_DIR)."""
  path = os.path.join(root(), "gradio")
  os.makedirs(path, exist_ok=True)
  return path
