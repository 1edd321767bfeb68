"""`python -m tfgan.demo`: a local Gradio page to play with trained runs, one tab per run,
built by the function its family names (`tfgan.models.base.Family.demo_tab`).

  from tfgan import demo
  blocks = demo.app(["runs/mnist_dcgan"])      # gr.Blocks; raises DemoError for a bad run
  url = demo.launch(blocks, block=False)       # 127.0.0.1, offline theme
  demo.close(blocks)

Each action is an endpoint named '<run>_<action>' (e.g. /mnist_dcgan_generate), callable with
gradio_client. Needs the extra `tfgan[demo]` (Gradio).

Importing this package sets the private environment (analytics and telemetry off, Gradio's
temporary folder the demo's own) before anything imports Gradio; its names load lazily, so
`python -m tfgan.demo --help` loads no TensorFlow.
"""

import importlib

from tfgan.demo import scratch

scratch.private_environment()

_NAMES = {"app": "page", "launch": "page", "close": "page", "DemoError": "runs", "InputError": "runs",
          "Limits": "runs", "Run": "runs", "open_runs": "runs", "read_image": "runs"}
__all__ = sorted(_NAMES)


def __getattr__(name):
  if name in _NAMES:
    return getattr(importlib.import_module(f"tfgan.demo.{_NAMES[name]}"), name)
  raise AttributeError(f"module 'tfgan.demo' has no attribute {name!r}")
