"""What every tab shares: the run's header line, the run panel (config, last metrics rows,
summary.png) and the wrapper that turns a refused input into a message in the page."""

import json
import sys
import traceback

import numpy as np

from tfgan.demo.runs import InputError
from tfgan.demo.worker import WorkerError

# Every event that runs a network shares one queue slot: TensorFlow already uses both cores
# for one call, and a second at the same time would only slow the first (and Keras models are
# not documented as thread-safe).
QUEUE = dict(concurrency_limit=1, concurrency_id="tfgan_model")

# Metric rows keep these columns first; the rest follow in the rows' order.
_FIRST = ("step", "images_per_sec")


def describe(run) -> str:
  """One line on what the run is, for its tab: family, network, data, step, the EMA note."""
  c = run.config
  steps = run.metric_rows(last=1)
  step = steps[-1].get("step") if steps else None
  ema = c.optimization.ema_kimg
  parts = [f"**{run.name}**: {c.model.family} / {c.model.network} on {c.data.dataset}"
           + (f" ({c.data.data_dir})" if c.data.data_dir else ""),
           f"step {step}" if step is not None else "no metrics yet"]
  if ema:
    parts.append(f"generator: the moving average of G's weights (half-life {ema:g} kimg)")
  return " · ".join(parts)


def header(run):
  """The tab's first line: `describe(run)` as Markdown."""
  import gradio as gr
  gr.Markdown(describe(run))


def metrics_table(run, last=5):
  """(column names, rows) of the last `last` rows of metrics.jsonl, numbers rounded to 5
  significant digits; None where a row lacks a column."""
  rows = run.metric_rows(last=last)
  columns = [k for k in _FIRST if any(k in r for r in rows)]
  for r in rows:
    columns += [k for k in r if k not in columns]
  fmt = lambda v: float(f"{v:.5g}") if isinstance(v, float) else v  # noqa: E731
  return columns, [[fmt(r.get(k)) if not isinstance(r.get(k), (dict, list)) else
                    json.dumps(r.get(k)) for k in columns] for r in rows]


def summary_image(run):
  """summary.png as uint8 [H, W, 3], or None when the run has none (read, never written)."""
  path = run.summary_path()
  if path is None:
    return None
  from PIL import Image
  with Image.open(path) as image:
    return np.asarray(image.convert("RGB"))


def run_info(run):
  """The collapsed run panel: config.json, the last metrics rows, summary.png."""
  import gradio as gr
  with gr.Accordion("the run: settings, last metrics, summary", open=False):
    gr.Code(json.dumps(run.flat_config(), indent=1, sort_keys=True), language="json",
            label=f"{run.workdir}/config.json", interactive=False)
    columns, rows = metrics_table(run)
    if rows:
      gr.Dataframe(rows, headers=columns, label="last rows of metrics.jsonl",
                   interactive=False, wrap=True)
    summary = summary_image(run)
    if summary is not None:
      gr.Image(summary, label="summary.png", format="png", interactive=False,
               buttons=["download", "fullscreen"])


def answer(fn, *args):
  """fn(*args), with a refused input (InputError, ValueError) shown as the page's error
  message; a stopped model process (WorkerError) says so; anything else is logged with its
  traceback and shown as an internal error. The server goes on serving either way."""
  import gradio as gr
  try:
    return fn(*args)
  except (InputError, ValueError, WorkerError) as e:
    raise gr.Error(str(e), print_exception=False) from None
  except Exception as e:  # noqa: BLE001  the page gets a message, the log the traceback
    traceback.print_exc(file=sys.stderr)
    raise gr.Error(f"internal error ({type(e).__name__}: {e}); the server log has the "
                   f"traceback.", print_exception=False) from None
