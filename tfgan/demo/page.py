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
from tfgan.demo.runs import Limits, open_runs

QUEUE_SIZE = 32  # requests waiting beyond this are refused with a message: the page stays live
TITLE = "tfgan demo"


def theme():
  """Gradio's default look with the system's fonts only: no request to a font server."""
  import gradio as gr
  system = ["ui-sans-serif", "system-ui", "sans-serif"]
  mono = ["ui-monospace", "Consolas", "monospace"]
  return gr.themes.Default(font=system, font_mono=mono)


def build_tab(run, limits):
  """Builds `run`'s tab with its family's `demo_tab` ('module:function'), or says there is
  none."""
  import gradio as gr
  if not run.family.demo_tab:
    gr.Markdown(f"**{run.name}**: family {run.family.name!r} has no demo tab.")
    return
  module, function = run.family.demo_tab.split(":")
  getattr(importlib.import_module(module), function)(run, limits)


def app(workdirs: Sequence[str] = (), limits: Limits = Limits(), runs=None):
  """The demo's gr.Blocks: one tab per run directory in `workdirs` (or per tfgan.demo.runs.Run
  of `runs`), queued with one model call at a time. Raises DemoError naming the --workdir of
  a run it cannot serve. Launch it with `launch` (offline settings) or embed it in a notebook
  with `launch(app(...), inline=True)`."""
  import gradio as gr
  runs = runs if runs is not None else open_runs(list(workdirs))
  with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as blocks:
    gr.Markdown(f"# {TITLE}\nOne tab per run. Everything runs on this machine; nothing you "
                f"upload is kept after the server stops (uploads up to "
                f"{limits.max_bytes / 1e6:g} MB and {limits.max_pixels:,} pixels).")
    for run in runs:
      with gr.Tab(run.name, id=run.api):
        build_tab(run, limits)
  blocks.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
  blocks.tfgan_limits = limits
  return blocks


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
