"""The StyleGAN2 tab: seeds with truncation, style mixing of two seeds, and projection of an
uploaded face followed by mixing it with a seed and walking in W from it to a seed.

The handlers are plain functions of (run, settings) calling tfgan.styles and
tfgan.projection, the libraries behind `tfgan.sample --style_mix` and `tfgan.project`: the page
shows what the command lines write. They run where the networks are (`View.call`); `tab` runs
in the page's process (no TensorFlow import here).
"""

import os

import numpy as np

from tfgan.demo import noise, panels, scratch
from tfgan.demo.noise import MAX_STEPS, _label, _seed
from tfgan.demo.runs import InputError, Limits, read_image
from tfgan.demo.translate import display

MAX_PROJECTION_STEPS = 500  # ~1 min at 64 px on the 2-core CPU, after ~15 s of tracing
PROJECTION_STEPS = 150


def _psi(value):
  if value is None or not -1.0 <= float(value) <= 2.0:
    raise InputError(f"truncation psi {value!r}: from -1 to 2 (1: none, 0: the average image).")
  return float(value)


def _cutoff(run, value):
  num_ws = run.generator.num_ws
  if value is None or not float(value).is_integer() or not 1 <= value < num_ws:
    raise InputError(f"mixing layer {value!r}: 1 to {num_ws - 1} (this generator has {num_ws} "
                     f"style layers, coarse first).")
  return int(value)


def generate(run, seed, num, psi=1.0, choice=None):
  """The grid `tfgan.sample --seed --num --truncation_psi` writes: (uint8 grid, its PNG's
  path, the .npz of images and latents); tfgan.demo.noise.generate with psi."""
  return noise.generate(run, seed, num, choice, psi=_psi(psi))


def mix(run, seed_a, seed_b, cutoff, psi=1.0, choice=None):
  """uint8 2x2 grid of `tfgan.sample --style_mix`: blank, B; A, A's coarse styles (layers
  below `cutoff`) with B's fine ones."""
  from tfgan import images, styles
  label = (_label(run, choice) or 0) if getattr(run.generator, "num_classes", 0) else None
  a = styles.seed_ws(run.generator, [_seed(seed_a)], _psi(psi), label)
  b = styles.seed_ws(run.generator, [_seed(seed_b)], _psi(psi), label)
  return display(images.make_grid(styles.style_mix(run.generator, a, b, _cutoff(run, cutoff)),
                                  rows=2))


def project(run, path, steps=PROJECTION_STEPS, limits=Limits()):
  """An uploaded photo projected as `tfgan.project` does (framed as the run's training
  images, pixels + SSIM, W): (uint8 [target | reconstruction], path of the ws .npz, a line
  with its PSNR and SSIM)."""
  from tfgan import images, projection, styles
  steps = int(steps)
  if not 1 <= steps <= MAX_PROJECTION_STEPS:
    raise InputError(f"steps {steps}: 1 to {MAX_PROJECTION_STEPS}.")
  g = run.generator
  image = read_image(path, limits)
  if g.image_shape[-1] == 1:
    import tensorflow as tf
    image = tf.image.rgb_to_grayscale(image).numpy()
  target = projection.frame(image, g.image_shape[0],
                            projection.crop_fraction_of(run.flat_config()))[None]
  config = projection.ProjectionConfig(steps=steps)
  result = projection.project(g, target, config)
  from tfgan.metrics import restoration
  psnr = float(restoration.psnr((result["images"] + 1) / 2, (target + 1) / 2)[0])
  folder = scratch.new_dir()
  npz = styles.save_ws(os.path.join(folder, f"{run.api}_projected.npz"), result["ws"],
                       result["images"], loss=config.describe(), steps=steps, space="W",
                       psnr=psnr)
  pair = images.make_grid(np.concatenate([target, result["images"]]), rows=1)
  return display(pair), npz, (f"PSNR {psnr:.2f} dB after {steps} steps ({config.describe()}); "
                              f"the .npz renders with tfgan.sample --latents=FILE")


def _projected(run, npz):
  from tfgan import styles
  if not npz:
    raise InputError("project a photo first: the mixing and the walk start from its ws.")
  ws = styles.load_ws(npz if isinstance(npz, str) else npz.name, run.generator)
  if ws is None:
    raise InputError(f"{npz}: holds no ws.")
  return ws[:1]


def mix_projected(run, npz, seed, cutoff, psi=1.0):
  """uint8 2x2 grid: blank, the seed's image; the projection, its coarse styles with the
  seed's fine ones."""
  from tfgan import images, styles
  label = 0 if getattr(run.generator, "num_classes", 0) else None
  b = styles.seed_ws(run.generator, [_seed(seed)], _psi(psi), label)
  return display(images.make_grid(styles.style_mix(
      run.generator, _projected(run, npz), b, _cutoff(run, cutoff)), rows=2))


def walk(run, npz, seed, steps, psi=1.0):
  """uint8 strip of `steps` images on the straight line in W from the projection to the seed's
  w (`tfgan.sample --latents=FILE --interpolate`)."""
  from tfgan import images, styles
  steps = int(steps)
  if not 2 <= steps <= MAX_STEPS:
    raise InputError(f"steps {steps}: 2 to {MAX_STEPS}.")
  label = 0 if getattr(run.generator, "num_classes", 0) else None
  end = styles.seed_ws(run.generator, [_seed(seed)], _psi(psi), label)
  ws = styles.interpolate_ws(_projected(run, npz), end, steps)
  return display(images.make_grid(styles.synthesize(run.generator, ws), rows=1))


def facts(run):
  """What the tab shows before any call: conditional, class names, style layers."""
  return {"conditional": bool(getattr(run.generator, "num_classes", 0)),
          "class_names": run.class_names(), "num_ws": int(run.generator.num_ws)}


def tab(run, limits):
  """The tab's components and events (api names <run.api>_generate, _mix, _project,
  _mix_projected, _walk) of `run`, a tfgan.demo.runs.View."""
  import gradio as gr
  from tfgan.demo.components import output_image, upload_image
  from tfgan.demo.noise import ALL_CLASSES, grid_outputs
  conditional, num_ws = run.facts["conditional"], run.facts["num_ws"]
  panels.header(run)
  with gr.Row():
    seed = gr.Number(0, label="seed", precision=0, minimum=0, elem_id=f"{run.api}_seed")
    num = gr.Slider(1, noise.MAX_IMAGES, value=16, step=1, label="images")
    psi = gr.Slider(-1, 2, value=1.0, step=0.05, label="truncation psi (1: none, 0.7: "
                    "typical, 0: the average image)", elem_id=f"{run.api}_psi")
    choice = gr.Dropdown([ALL_CLASSES] + run.facts["class_names"], value=ALL_CLASSES,
                         label="class", visible=conditional)
  button = gr.Button("generate", variant="primary", elem_id=f"{run.api}_generate")
  grid, png, npz = grid_outputs(run)
  with gr.Accordion("style mixing of two seeds", open=False):
    with gr.Row():
      seed_a = gr.Number(0, label="coarse styles from seed", precision=0, minimum=0)
      seed_b = gr.Number(1, label="fine styles from seed", precision=0, minimum=0)
      cutoff = gr.Slider(1, num_ws - 1, value=num_ws // 2, step=1,
                         label="first layer taken from the second seed")
    go_mix = gr.Button("mix", elem_id=f"{run.api}_mix")
    mixed = output_image("blank, B / A, A's coarse + B's fine styles",
                         elem_id=f"{run.api}_mixed")
  with gr.Accordion("project a photo (GAN inversion), then mix or walk from it", open=False):
    gr.Markdown("Framed as the run's training images (centred square, resized). Projection "
                "takes about a minute at 64 px on a 2-core CPU.")
    with gr.Row():
      upload = upload_image(label="a photo", sources=["upload", "clipboard"], height=240,
                            elem_id=f"{run.api}_upload")
      steps = gr.Slider(10, MAX_PROJECTION_STEPS, value=PROJECTION_STEPS, step=10,
                        label="projection steps (NVlabs: 1000)")
    go_project = gr.Button("project", elem_id=f"{run.api}_project")
    pair = output_image("the framed photo | its projection", elem_id=f"{run.api}_pair")
    note = gr.Markdown()
    ws_file = gr.File(label="its ws (.npz: tfgan.sample --latents=FILE)")
    with gr.Row():
      other = gr.Number(1, label="seed", precision=0, minimum=0)
      walk_steps = gr.Slider(2, MAX_STEPS, value=8, step=1, label="walk steps")
    with gr.Row():
      go_pmix = gr.Button("mix with the seed's fine styles")
      go_walk = gr.Button("walk in W to the seed")
    pmixed = output_image("blank, seed / projection, with the seed's fine styles",
                          elem_id=f"{run.api}_pmixed")
    strip = output_image("from the projection to the seed, in W", elem_id=f"{run.api}_walk")
  panels.run_info(run)

  def on_generate(seed, num, psi, class_name):
    return panels.answer(run.call, generate, seed, num, psi, class_name)

  def on_mix(a, b, cutoff, psi, class_name):
    return panels.answer(run.call, mix, a, b, cutoff, psi, class_name)

  def on_project(path, steps):
    return panels.answer(run.call, project, path, steps, limits)

  def on_mix_projected(npz, seed, cutoff, psi):
    return panels.answer(run.call, mix_projected, npz, seed, cutoff, psi)

  def on_walk(npz, seed, steps, psi):
    return panels.answer(run.call, walk, npz, seed, steps, psi)

  button.click(on_generate, [seed, num, psi, choice], [grid, png, npz],
               api_name=f"{run.api}_generate", **panels.QUEUE)
  go_mix.click(on_mix, [seed_a, seed_b, cutoff, psi, choice], mixed,
               api_name=f"{run.api}_mix", **panels.QUEUE)
  go_project.click(on_project, [upload, steps], [pair, ws_file, note],
                   api_name=f"{run.api}_project", **panels.QUEUE)
  go_pmix.click(on_mix_projected, [ws_file, other, cutoff, psi], pmixed,
                api_name=f"{run.api}_mix_projected", **panels.QUEUE)
  go_walk.click(on_walk, [ws_file, other, walk_steps, psi], strip,
                api_name=f"{run.api}_walk", **panels.QUEUE)
