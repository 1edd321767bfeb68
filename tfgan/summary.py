"""A run's summary image, WORKDIR/summary.png: what its files say about it, in one picture.

    write_summary(workdir)   # the trainer at the end of each run; tfgan.sample --summary

Panels (matplotlib, no display needed): the training curves of metrics.jsonl (every numeric
key its log rows hold: d_loss and g_loss for a GAN, l1 and the like for image-to-image
families), the mean D outputs D(x) and D(G(z)) (`d_real`, `d_fake`) and ADA's p and r_t when
logged, every `eval/<key>` over steps (or a note that the run has no evaluation rows), and up
to four of the run's sample grids from first to last. The file is made again from the run's files each time,
written atomically (tfgan.files): it is the run's own, like samples/.
"""

import io
import os
import re

import numpy as np

from tfgan import files, rundir

# Row keys that are bookkeeping, not training curves.
_NOT_CURVES = ("step", "images_per_sec", "wall_sec", "eval_seconds")
# Mean D outputs, drawn apart from the losses (probabilities, or logits for some losses).
# ADA's p and r_t (tfgan.ada) share their [0, 1] scale and are read beside them.
_D_OUTPUTS = {"d_real": "D(x)", "d_fake": "D(G(z))", "ada_p": "ADA's p",
              "ada_rt": "ADA's r_t = E[sign D(x)]"}
_MAX_GRIDS = 4
_MAX_EVAL = 4


def _series(rows, key):
  """(steps, values) of the rows holding a finite number under `key`."""
  points = [(r["step"], r[key]) for r in rows
            if isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)
            and np.isfinite(r[key])]
  return [p[0] for p in points], [p[1] for p in points]


def _keys(rows, keep):
  """Numeric row keys accepted by `keep`, in first-seen order."""
  out = []
  for row in rows:
    for key, value in row.items():
      if key not in out and keep(key) and isinstance(value, (int, float)) and not isinstance(
          value, bool):
        out.append(key)
  return out


def sample_grids(workdir, count=_MAX_GRIDS):
  """Up to `count` of the run's sample grid paths, spread evenly from the first step to the
  last (samples/step_XXXXXXX.png; numbered duplicates of a step are left out)."""
  folder = os.path.join(workdir, rundir.SAMPLES)
  names = sorted(n for n in (os.listdir(folder) if os.path.isdir(folder) else ())
                 if re.fullmatch(r"step_\d{7}\.png", n))
  if len(names) > count:
    names = [names[int(round(i))] for i in np.linspace(0, len(names) - 1, count)]
  return [os.path.join(folder, n) for n in names]


def _pyplot():
  import matplotlib
  matplotlib.use("Agg")  # files only: no display, and no GUI toolkit imported
  import matplotlib.pyplot as plt
  return plt


def render(workdir) -> bytes:
  """The summary of the run in `workdir` as PNG bytes (1400 x 1000 px).

  Raises:
    FileNotFoundError when `workdir` holds no metrics.jsonl and no sample grid.
  """
  fig = figure(workdir)
  out = io.BytesIO()
  fig.savefig(out, format="png")
  _pyplot().close(fig)
  return out.getvalue()


def figure(workdir):
  """The matplotlib Figure of render(): axes 0 the training curves, 1 the D outputs, then one
  per evaluation key (up to four), then the sample grids."""
  plt = _pyplot()

  rows = rundir.RunDir(workdir).metric_rows()
  grids = sample_grids(workdir)
  if not rows and not grids:
    raise FileNotFoundError(f"{workdir}: no metrics.jsonl rows and no samples/ grids to "
                            f"summarise; not a tfgan run directory, or one that never logged.")
  train_rows = [r for r in rows if not any(k.startswith("eval") for k in r)]
  eval_rows = [r for r in rows if any(k.startswith("eval/") for k in r)]
  curves = _keys(train_rows, lambda k: k not in _NOT_CURVES and k not in _D_OUTPUTS)
  d_outputs = _keys(train_rows, lambda k: k in _D_OUTPUTS)
  evals = _keys(eval_rows, lambda k: k.startswith("eval/"))

  fig = plt.figure(figsize=(14, 10), dpi=100)
  grid = fig.add_gridspec(3, max(_MAX_GRIDS, _MAX_EVAL), height_ratios=[1.1, 0.9, 1.3])
  fig.suptitle(f"{os.path.basename(os.path.abspath(workdir))}: step "
               f"{max([r.get('step', 0) for r in rows], default=0)}")

  ax = fig.add_subplot(grid[0, :2])
  for key in curves:
    ax.plot(*_series(train_rows, key), label=key)
  ax.set_title("training curves (metrics.jsonl)")
  _finish(ax, bool(curves), "no training rows")

  ax = fig.add_subplot(grid[0, 2:])
  for key in d_outputs:
    ax.plot(*_series(train_rows, key), label=f"{_D_OUTPUTS[key]} ({key})")
  ax.set_title("mean discriminator outputs" + (" and ADA" if "ada_p" in d_outputs else ""))
  _finish(ax, bool(d_outputs), "no D outputs logged")

  shown = evals[:_MAX_EVAL]
  for i in range(_MAX_EVAL):
    ax = fig.add_subplot(grid[1, i])
    if i < len(shown):
      ax.plot(*_series(eval_rows, shown[i]), marker="o")
      ax.set_title(shown[i][len("eval/"):], fontsize=9)
      _finish(ax, True, "", legend=False)
    else:
      ax.axis("off")
      if i == 0 and not evals:
        ax.text(0, 0.5, "no evaluation rows\n(--eval_metrics, tfgan.evaluate)", fontsize=10)
  if len(evals) > _MAX_EVAL:
    fig.text(0.99, 0.99, f"+{len(evals) - _MAX_EVAL} more eval keys in metrics.jsonl",
             ha="right", va="top", fontsize=8)

  for i in range(_MAX_GRIDS):
    ax = fig.add_subplot(grid[2, i])
    ax.axis("off")
    if i < len(grids):
      image = plt.imread(grids[i])
      ax.imshow(image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image,
                cmap="gray", vmin=0, vmax=1, interpolation="nearest")
      ax.set_title(f"step {int(os.path.basename(grids[i])[5:12])}", fontsize=9)
    elif i == 0:
      ax.text(0, 0.5, "no sample grids in samples/", fontsize=10)
  fig.tight_layout(rect=(0, 0, 1, 0.96))
  return fig


def _finish(ax, has_data, empty_note, legend=True):
  if not has_data:
    ax.text(0.5, 0.5, empty_note, ha="center", va="center", transform=ax.transAxes)
    return
  ax.set_xlabel("step")
  ax.grid(alpha=0.3)
  if legend:
    ax.legend(fontsize=8)


def write_summary(workdir) -> str:
  """Renders the run's summary and writes it to WORKDIR/summary.png atomically (replacing the
  previous summary); returns the path."""
  return files.write(os.path.join(workdir, rundir.SUMMARY), render(workdir))
