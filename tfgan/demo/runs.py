"""The runs a demo serves and the user's uploads: opened and checked without writing anything.

A `Run` is one run directory with its exported generators loaded (in the process that holds
TensorFlow). A `View` is what a tab is built from, in the page's process: the run's name,
settings and files, the `facts` its tab module computed from the loaded run (class names,
held-out examples...), and `call(fn, *args)`, which runs `fn(run, *args)` where the run is
loaded: in the same process (`app(workdirs)`, notebooks) or in the demo's model process
(`python -m tfgan.demo`, tfgan.demo.worker). This module imports no TensorFlow.

`read_image` turns an upload into the uint8 image the library's functions take, or raises
`InputError` with the message the page shows.
"""

import dataclasses
import importlib
import json
import os
import re
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from tfgan import config as config_lib
from tfgan import runfiles


class DemoError(ValueError):
  """A run the demo cannot serve; the message names the --workdir and what was expected."""


class InputError(ValueError):
  """An upload or setting the page refuses; the message is shown in the page."""


@dataclasses.dataclass(frozen=True)
class Limits:
  """What one upload may be: `max_bytes` (the file) and `max_pixels` (width x height after
  decoding the header, before the pixels are decoded). Defaults: 20 MB and 2048 x 2048: a
  U-Net pass over 4 megapixels takes seconds on a 2-core CPU."""
  max_bytes: int = 20_000_000
  max_pixels: int = 2048 * 2048


class _Files:
  """A run directory's files, read without TensorFlow (`workdir` set by the subclass)."""
  workdir: str

  def flat_config(self) -> dict:
    """config.json as written by the run."""
    with open(os.path.join(self.workdir, runfiles.CONFIG)) as f:
      return json.load(f)

  def metric_rows(self, last=5) -> List[dict]:
    """The `last` rows of metrics.jsonl (log steps and evaluations)."""
    return runfiles.metric_rows(self.workdir)[-last:]

  def summary_path(self) -> Optional[str]:
    """WORKDIR/summary.png, or None when the run has none."""
    path = os.path.join(self.workdir, runfiles.SUMMARY)
    return path if os.path.isfile(path) else None


@dataclasses.dataclass
class Run(_Files):
  """One run directory served by the demo, with its networks.

  name: the tab's label (the folder's name; the path as given where two share it).
  api: `name` made an identifier, the prefix of the run's endpoint names (`/<api>_generate`).
  workdir: the path given. config: the run's Config (config.json). family: its
  tfgan.models Family. generators: {export name: keras.Model} of every `<name>.keras` the
  family exports ('generator', CycleGAN's 'generator_ba'); {} until `load`.
  """
  name: str
  api: str
  workdir: str
  config: object
  family: object
  generators: Dict[str, object]

  @property
  def generator(self):
    """The exported generator (generator.keras): a keras.Model taking float32 in [-1, 1]
    (images) or latents, returning images float32 in [-1, 1]."""
    return self.generators["generator"]

  def class_names(self) -> List[str]:
    """The class names of a conditional run, in label order (classes.json, else the numbers)."""
    num_classes = int(getattr(self.generator, "num_classes", 0))
    path = os.path.join(self.workdir, runfiles.CLASSES)
    names = [str(k) for k in range(num_classes)]
    if num_classes and os.path.isfile(path):
      with open(path) as f:
        for name, label in json.load(f).items():
          if 0 <= int(label) < num_classes:
            names[int(label)] = name
    return names


@dataclasses.dataclass
class View(_Files):
  """A run as its tab sees it (in the page's process; no network here).

  name, api, workdir, config: as Run's. family: the family's name. demo_tab: its
  'module:function'. facts: what the tab module's `facts(run)` computed from the loaded run
  (plain values and file paths). caller: (api, fn, *args) -> fn(run, *args) where the run is
  loaded; use `call`.
  """
  name: str
  api: str
  workdir: str
  config: object
  family: str
  demo_tab: str
  facts: Dict[str, Any]
  caller: Optional[Callable] = dataclasses.field(default=None, repr=False)

  def call(self, fn, *args):
    """fn(run, *args) on the loaded run. `fn` must be a module-level function (the model
    process finds it by module and name) and args picklable. InputError raised there is
    raised here with its message."""
    return self.caller(self.api, fn, *args)


def facts_of(run: Run) -> Dict[str, Any]:
  """The facts `run`'s tab is built from: its tab module's `facts(run)` (optional; {} when the
  module has none or the family no tab)."""
  if not run.family.demo_tab:
    return {}
  module = importlib.import_module(run.family.demo_tab.split(":")[0])
  facts = getattr(module, "facts", None)
  return dict(facts(run)) if facts is not None else {}


def view_fields(run: Run) -> Dict[str, Any]:
  """View's fields for `run` but the caller (what the model process sends the page)."""
  return dict(name=run.name, api=run.api, workdir=run.workdir, config=run.config,
              family=run.family.name, demo_tab=run.family.demo_tab, facts=facts_of(run))


def local_view(run: Run) -> View:
  """The View of a run loaded in this process: calls run here."""
  return View(**view_fields(run), caller=lambda api, fn, *args: fn(run, *args))


def _api_name(name):
  return re.sub(r"\W+", "_", name).strip("_").lower() or "run"


def open_runs(workdirs: Sequence[str], load=True) -> List[Run]:
  """The runs in `workdirs`, checked before any tab is built: each must hold config.json and
  every network its family exports. Raises DemoError naming the --workdir for a missing
  folder, a folder that is not a run, a run without its exported generator (not finished or
  interrupted yet) or the same folder twice. Two folders of the same name get their paths as
  labels. load=False: checks only (no TensorFlow model is loaded; `load` loads them)."""
  from tfgan import models
  if not workdirs:
    raise DemoError("give at least one --workdir=RUN_DIR (a finished tfgan run).")
  seen = {}
  for workdir in workdirs:
    real = os.path.realpath(workdir)
    if real in seen:
      raise DemoError(f"--workdir={workdir} and --workdir={seen[real]} are the same run; give "
                      f"it once.")
    seen[real] = workdir
    if not os.path.isdir(workdir):
      raise DemoError(f"--workdir={workdir}: no such folder.")
    if not os.path.isfile(os.path.join(workdir, runfiles.CONFIG)):
      raise DemoError(f"--workdir={workdir}: no config.json; not a tfgan run directory.")
  names = [os.path.basename(os.path.normpath(w)) for w in workdirs]
  labels = [w if names.count(n) > 1 else n for n, w in zip(names, workdirs)]
  apis = [_api_name(label) for label in labels]
  for i, api in enumerate(apis):  # 'a-b' and 'a_b' would share endpoint names
    if apis.count(api) > 1:
      apis[i] = f"{api}_{i}"
  out = []
  for workdir, label, api in zip(workdirs, labels, apis):
    with open(os.path.join(workdir, runfiles.CONFIG)) as f:
      try:
        config = config_lib.from_dict(json.load(f))
      except (ValueError, TypeError) as e:
        raise DemoError(f"--workdir={workdir}: config.json is not a tfgan config ({e}).")
    family = models.FAMILIES[config.model.family]
    names = family.export_names(config)
    missing = [n for n in names if not os.path.isfile(os.path.join(workdir, f"{n}.keras"))]
    if missing:
      raise DemoError(f"--workdir={workdir} holds no {missing[0]}.keras: a run writes its "
                      f"exports when it finishes or is interrupted; the demo serves finished "
                      f"runs.")
    out.append(Run(label, api, workdir, config, family, {}))
  return [load_generators(run) for run in out] if load else out


def load_generators(run: Run) -> Run:
  """Loads every `<name>.keras` `run`'s family exports into run.generators; returns run."""
  from tfgan import generation
  run.generators = {n: generation.load_generator(os.path.join(run.workdir, f"{n}.keras"))
                    for n in run.family.export_names(run.config)}
  return run


def read_image(path, limits: Limits = Limits(), what="the upload") -> np.ndarray:
  """An uploaded image file -> uint8 [H, W, 3] RGB (grey repeated, alpha composited on white,
  16-bit scaled to 8), checked against `limits` before its pixels are decoded.

  Raises InputError saying what was wrong (not an image, too many bytes or pixels)."""
  from PIL import Image, UnidentifiedImageError
  if path is None:
    raise InputError(f"{what}: no image; upload one or pick an example.")
  size = os.path.getsize(path)
  if size > limits.max_bytes:
    raise InputError(f"{what} is {size / 1e6:.1f} MB; this demo takes images up to "
                     f"{limits.max_bytes / 1e6:.1f} MB (--max_upload_mb).")
  try:
    with Image.open(path) as image:
      w, h = image.size
      if w * h > limits.max_pixels:
        raise InputError(f"{what} is {w}x{h} pixels; this demo takes up to "
                         f"{limits.max_pixels:,} pixels (--max_pixels). Downscale it first.")
      return _to_rgb(image)
  except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
    if isinstance(e, InputError):
      raise
    raise InputError(f"{what} is not an image this demo reads (PNG, JPEG, BMP, GIF, WebP): "
                     f"{type(e).__name__}.") from None


def _to_rgb(image):
  if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey PNG
    grey = np.asarray(image, np.float64)
    top = 65535.0 if grey.max() > 255 or image.mode.startswith("I;16") else 255.0
    grey = np.clip(np.round(grey / top * 255.0), 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=-1)
  if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
    rgba = np.asarray(image.convert("RGBA"), np.float32)
    alpha = rgba[..., 3:] / 255.0
    return np.round(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
  return np.asarray(image.convert("RGB"), np.uint8)
