"""The noise-to-image tab: a seed (or a random one), a number of images, a class for
conditional runs, the grid and its downloads (PNG, and the latents as the .npz
`tfgan.sample --latents` renders again); an interpolation strip between two seeds.

The handlers are plain functions of (run, settings) calling tfgan.generation, the library
behind `tfgan.sample`: the page shows exactly what the command line writes. They run where
the networks are (`View.call`); `tab` runs in the page's process (no TensorFlow import here).
"""

import os

import numpy as np

from tfgan.demo import panels, scratch
from tfgan.demo.runs import InputError
from tfgan.demo.translate import display

ALL_CLASSES = "every class (one row each)"
MAX_IMAGES = 256  # a grid of 256 28x28 digits: ~0.3 s on the 2-core CPU
MAX_STEPS = 16


def _label(run, choice):
  """The int class of a class picker's `choice` (a name from classes.json), or None."""
  if choice in (None, "", ALL_CLASSES):
    return None
  names = run.class_names()
  if choice not in names:
    raise InputError(f"class {choice!r}: this run's classes are {names}.")
  return names.index(choice)


def _seed(value):
  if value is None or not float(value).is_integer() or not 0 <= value < 2**32:
    raise InputError(f"seed {value!r}: a whole number from 0 to {2**32 - 1}.")
  return int(value)


def generate(run, seed, num, choice=None, psi=1.0):
  """The grid `tfgan.sample --seed --num [--label] [--truncation_psi]` writes (psi: StyleGAN2
  runs).

  Returns (grid uint8 [h, w, 3] or [h, w] for grey, path of that grid's PNG, path of the .npz of images and
  latents): the files in a fresh folder of the demo's scratch space."""
  from tfgan import generation, images
  num = int(num)
  if not 1 <= num <= MAX_IMAGES:
    raise InputError(f"number of images {num}: 1 to {MAX_IMAGES}.")
  fake, z, labels, rows = generation.sample(run.generator, num, _seed(seed),
                                            _label(run, choice), psi=psi)
  grid = images.make_grid(fake, rows=rows)
  folder = scratch.new_dir()
  png = images.save_png(os.path.join(folder, f"{run.api}_seed{int(seed)}.png"), grid)
  npz = generation.save_latents(os.path.join(folder, f"{run.api}_seed{int(seed)}.npz"), fake,
                                z, labels)
  return display(grid), png, npz


def interpolate(run, seed_a, seed_b, steps, choice=None):
  """uint8 strip [h, w, 3] or [h, w]: `steps` images slerped from the latent of `seed_a` to that of
  `seed_b` (each seed's first latent, as `generate` with that seed draws it first); a
  conditional run's class from the picker (class 0 for every class)."""
  from tfgan import generation, images
  steps = int(steps)
  if not 2 <= steps <= MAX_STEPS:
    raise InputError(f"steps {steps}: 2 to {MAX_STEPS}.")
  dim = generation.latent_dim_of(run.generator)
  a = generation.latents(1, dim, _seed(seed_a))[0]
  b = generation.latents(1, dim, _seed(seed_b))[0]
  z = generation.slerp(a, b, np.linspace(0.0, 1.0, steps))
  labels = None
  if getattr(run.generator, "num_classes", 0):
    labels = np.full(steps, _label(run, choice) or 0, np.int32)
  return display(images.make_grid(generation.generate(run.generator, z, labels), rows=1))


def facts(run):
  """What the tab shows before any call: {'conditional': bool, 'class_names': [str]}."""
  return {"conditional": bool(getattr(run.generator, "num_classes", 0)),
          "class_names": run.class_names()}


def grid_outputs(run):
  """The sample grid and its two downloads (PNG; the latents' .npz): (grid, png, npz)."""
  import gradio as gr
  from tfgan.demo.components import output_image
  grid = output_image("samples", elem_id=f"{run.api}_grid")
  with gr.Row():
    png = gr.File(label="grid (PNG)")
    npz = gr.File(label="latents (.npz: tfgan.sample --latents=FILE renders it again)")
  return grid, png, npz


def tab(run, limits):
  """The tab's components and events (api names <run.api>_generate, _interpolate) of `run`,
  a tfgan.demo.runs.View."""
  import gradio as gr
  from tfgan.demo.components import output_image
  del limits  # nothing is uploaded here
  conditional = run.facts["conditional"]
  panels.header(run)
  with gr.Row():
    seed = gr.Number(0, label="seed", precision=0, minimum=0, elem_id=f"{run.api}_seed")
    randomize = gr.Button("random seed", elem_id=f"{run.api}_random", scale=0)
    num = gr.Slider(1, MAX_IMAGES, value=64, step=1, label="images")
    choice = gr.Dropdown([ALL_CLASSES] + run.facts["class_names"], value=ALL_CLASSES, label="class",
                         visible=conditional)
  button = gr.Button("generate", variant="primary", elem_id=f"{run.api}_generate")
  grid, png, npz = grid_outputs(run)
  with gr.Accordion("interpolation between two seeds", open=False):
    with gr.Row():
      seed_a = gr.Number(0, label="from seed", precision=0, minimum=0)
      seed_b = gr.Number(1, label="to seed", precision=0, minimum=0)
      steps = gr.Slider(2, MAX_STEPS, value=8, step=1, label="steps")
    go = gr.Button("interpolate")
    strip = output_image("slerp from one latent to the other", elem_id=f"{run.api}_strip")
  panels.run_info(run)

  def on_generate(seed, images, class_name):
    return panels.answer(run.call, generate, seed, images, class_name)

  def on_interpolate(from_seed, to_seed, steps, class_name):
    return panels.answer(run.call, interpolate, from_seed, to_seed, steps, class_name)

  outputs = [grid, png, npz]
  button.click(on_generate, [seed, num, choice], outputs, api_name=f"{run.api}_generate",
               **panels.QUEUE)
  randomize.click(lambda: int(np.random.default_rng().integers(2**31)), None, seed,
                  api_name=False, queue=False).then(
                      on_generate, [seed, num, choice], outputs, api_name=False,
                      **panels.QUEUE)
  go.click(on_interpolate, [seed_a, seed_b, steps, choice], strip,
           api_name=f"{run.api}_interpolate", **panels.QUEUE)
