"""The demo's page: one tab per run, built by the run's family (`Family.demo_tab`), served
offline on 127.0.0.1.

Offline and private by default: Gradio's analytics and Hugging Face telemetry are off, the
theme uses the system's fonts (the default theme fetches Google Fonts), no share link unless
asked, Gradio's uploads and cache live in the demo's own temporary folder (removed at exit),
and the server reads run folders but never writes into them.
"""

import importlib
import logging
from typing import Optional, Sequence

from tfgan.demo import scratch
from tfgan.demo.runs import Limits, local_view, open_runs

QUEUE_SIZE = 32  # requests waiting beyond this are refused with a message: the page stays live
TITLE = "tfgan demo"


def theme():
  """Gradio's default look with the system's fonts only: no request to a font server."""
  import gradio as gr
  system = ["ui-sans-serif", "system-ui", "sans-serif"]
  mono = ["ui-monospace", "Consolas", "monospace"]
  return gr.themes.Default(font=system, font_mono=mono)


def build_tab(view, limits):
  """Builds the tab of `view` (a tfgan.demo.runs.View) with its family's `demo_tab`
  ('module:function'), or says there is none."""
  import gradio as gr
  if not view.demo_tab:
    gr.Markdown(f"**{view.name}**: family {view.family!r} has no demo tab.")
    return
  module, function = view.demo_tab.split(":")
  getattr(importlib.import_module(module), function)(view, limits)


def app(workdirs: Sequence[str] = (), limits: Limits = Limits(), runs=None,
        separate: bool = False, verbose: bool = False):
  """The demo's gr.Blocks: one tab per run directory in `workdirs` (or per tfgan.demo.runs.Run
  of `runs`), queued with one model call at a time. Raises DemoError naming the --workdir of
  a run it cannot serve. Launch it with `launch` (offline settings) or embed it in a notebook
  with `launch(app(...), inline=True)`; `close` stops it.

  separate: the networks live in a model process of their own (tfgan.demo.worker), started
  before Gradio is imported so that TensorFlow and Gradio load at the same time, on two
  cores; this process then never imports TensorFlow (`python -m tfgan.demo`). Otherwise they
  load here (a notebook, which holds TensorFlow already). verbose: the model process shows
  TensorFlow's start-up notices."""
  worker = None
  if separate:
    from tfgan.demo import worker as worker_lib
    worker = worker_lib.Worker(list(workdirs), verbose=verbose)
    views = worker.views()
  else:
    runs = runs if runs is not None else open_runs(list(workdirs))
    views = [local_view(run) for run in runs]
  try:
    import gradio as gr
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as blocks:
      gr.Markdown(f"# {TITLE}\nOne tab per run. Everything runs on this machine; nothing you "
                  f"upload is kept after the server stops (uploads up to "
                  f"{limits.max_bytes / 1e6:g} MB and {limits.max_pixels:,} pixels).")
      for view in views:  # the model process sends each run as soon as it is loaded
        with gr.Tab(view.name, id=view.api):
          build_tab(view, limits)
  except BaseException:
    if worker is not None:
      worker.close()
    raise
  blocks.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
  blocks.tfgan_limits = limits
  blocks.tfgan_worker = worker
  return blocks


def close(blocks):
  """Stops the server of `blocks` (from `app`) and its model process, if any."""
  blocks.close()
  if getattr(blocks, "tfgan_worker", None) is not None:
    blocks.tfgan_worker.close()


def launch(blocks, host: str = "127.0.0.1", port: Optional[int] = None, share: bool = False,
           block: bool = True, **kwargs):
  """Serves `blocks` (from `app`) on host:port (port None: Gradio's first free one from 7860)
  with the offline theme, the upload byte limit and no share link unless `share`; returns the
  local URL. block=False returns at once (tests, notebooks: `blocks.close()` stops it)."""
  from tfgan.demo import components
  limits = getattr(blocks, "tfgan_limits", Limits())
  # Gradio's HTTP client logs every request at INFO, which absl shows: keep the log readable.
  logging.getLogger("httpx").setLevel(logging.WARNING)
  _, url, _ = blocks.launch(server_name=host, server_port=port, share=share,
                            prevent_thread_lock=not block, inbrowser=False, quiet=True,
                            theme=theme(), max_file_size=limits.max_bytes, show_error=True,
                            allowed_paths=[scratch.root()], footer_links=["api"],
                            css=components.CSS, **kwargs)
  return url
