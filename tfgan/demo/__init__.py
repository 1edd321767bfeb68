"""`python -m tfgan.demo`: a local Gradio page to play with trained runs, one tab per run,
built by the run's family (`tfgan.models.base.Family.demo_tab`).

  from tfgan import demo
  blocks = demo.app(["runs/mnist_dcgan"])      # gr.Blocks; raises DemoError for a bad run
  url = demo.launch(blocks, block=False)       # 127.0.0.1, offline theme; blocks.close()

Each action is an endpoint named '<run>_<action>' (e.g. /mnist_dcgan_generate), callable with
gradio_client. Needs the extra `tfgan[demo]` (Gradio).
"""

from tfgan.demo.app import app, launch
from tfgan.demo.runs import DemoError, InputError, Limits, Run, open_runs, read_image

__all__ = ["DemoError", "InputError", "Limits", "Run", "app", "launch", "open_runs",
           "read_image"]
