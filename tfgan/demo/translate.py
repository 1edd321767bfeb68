"""The image-to-image tab (pix2pix, CycleGAN, super-resolution): upload an image or pick one of
the run's held-out examples; input | output (| the bicubic upsample for super-resolution;
both directions for CycleGAN).

Uploads of any size go through tfgan.translation.translate_image, the function behind
`tfgan.translate` (padded by mirroring to a size the network takes and cropped back); "make
the input from a photo" applies the run's own input transform first, as `tfgan.translate
--derive` does. The handlers run where the networks are (`View.call`); the tab is built in
the page's process from `facts` (no TensorFlow import here).
"""

import os

import numpy as np

from tfgan.demo import panels, scratch
from tfgan.demo.runs import Limits, read_image

EXAMPLES = 6  # held-out examples offered under the upload


def held_out(run, n=EXAMPLES, kind="inputs"):
  """(uint8 images [H, W, C] of the first `n` held-out pairs' `kind` ('inputs' or 'targets'),
  a note): the run's held-out split read again from its data (nothing is written), or no
  images and the reason when the data is not on this machine or the run held none out."""
  if not run.config.data.holdout:
    return [], "this run held no images out (--holdout=0)."
  try:
    pairs = run.family.open_pairs(run.config, "holdout", log=lambda line: None)
    taken = [(x.numpy(), y.numpy()) for x, y in pairs.examples().take(n)]
  except Exception as e:  # noqa: BLE001  a demo without examples still serves uploads
    return [], f"no held-out examples: {type(e).__name__}: {str(e)[:200]}"
  return [p[0] if kind == "inputs" else p[1] for p in taken], ""


def display(image):
  """uint8 [H, W, 1] -> [H, W] (how the page shows grey), other shapes unchanged."""
  image = np.asarray(image)
  return image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image


def _channels(generator, image):
  """uint8 RGB [H, W, 3] as the generator's input channels: grey by BT.601 luma for a
  1-channel network, as `tfgan.translate` decodes files for it (tfgan.data.decode)."""
  if generator.image_shape[-1] == 1:
    import tensorflow as tf
    return tf.image.rgb_to_grayscale(image).numpy()
  return image


def translate(run, path, derive=False, limits=Limits(), reverse=None, bicubic=False):
  """An uploaded image through the run's generator, as `tfgan.translate [--derive]`.

  Returns uint8 images: (the network's input (derived when `derive`), its output) + (F's
  output of the upload itself, for CycleGAN's `reverse` generator) + (the bicubic upsample
  of the input, with `bicubic`). Raises InputError / ValueError with the page's message."""
  from tfgan import images, translation
  image = read_image(path, limits)
  x = _channels(run.generator, image)
  if derive:
    transform = translation.input_transform(run.flat_config())
    if transform is None:
      raise ValueError(f"{run.name} was not trained on inputs made from photos; upload an "
                       f"input of its own domain.")
    x = np.asarray(transform(image))
  out = [x, images.to_uint8(translation.translate_image(run.generator, x))]
  if reverse:
    g = run.generators[reverse]
    out.append(images.to_uint8(translation.translate_image(g, _channels(g, image))))
  if bicubic:
    from tfgan.metrics import restoration
    scale = int(run.config.restoration.scale)
    lr = np.asarray(x, np.float32)[None] / 127.5 - 1.0
    out.append(images.to_uint8(restoration.bicubic_upsample(lr, scale)[0]))
  return tuple(display(o) for o in out)


def example_files(run, kind="inputs"):
  """([paths of the held-out examples, written as PNG into the demo's scratch folder], note)."""
  from tfgan import images
  found, note = held_out(run, kind=kind)
  folder = scratch.new_dir()
  return [images.save_png(os.path.join(folder, f"{run.api}_{i}.png"), x)
          for i, x in enumerate(found)], note


def cyclegan_tab(run, limits):
  """`tab` with both directions: G(x) (A -> B) and F(x) (B -> A) of an upload."""
  tab(run, limits, reverse="generator_ba")


def sr_tab(run, limits):
  """`tab` with the bicubic upsample beside the output (super-resolution)."""
  tab(run, limits, bicubic=True)


def facts(run):
  """What the tab shows before any call: {'can_derive': the run's inputs are made from photos,
  'examples': paths of held-out PNGs (photos when can_derive, else inputs), 'note': why there
  are none}."""
  from tfgan import translation
  can_derive = translation.input_transform(run.flat_config()) is not None
  paths, note = example_files(run, kind="targets" if can_derive else "inputs")
  return {"can_derive": can_derive, "examples": paths, "note": note}


def tab(run, limits, reverse=None, bicubic=False):
  """Components and the event `<run.api>_translate` (inputs: image path, derive) of `run`, a
  tfgan.demo.runs.View."""
  import gradio as gr
  from tfgan.demo.components import output_image, upload_image
  panels.header(run)
  can_derive = run.facts["can_derive"]
  with gr.Row():
    with gr.Column():
      upload = upload_image(label="your image", sources=["upload", "clipboard"], height=320,
                            elem_id=f"{run.api}_upload")
      t = run.config.translation
      kind = "downsample" if bicubic else (t.domains if reverse else t.pairs)
      derive = gr.Checkbox(can_derive, visible=can_derive, label=(
          f"make the network's input from a photo, as training did ({kind})"))
      button = gr.Button("translate", variant="primary", elem_id=f"{run.api}_translate")
    shown = output_image("network input")
  with gr.Row():
    output = output_image("output" + (" (A -> B)" if reverse else ""),
                          elem_id=f"{run.api}_output")
    outputs = [shown, output]
    if reverse:
      outputs.append(output_image("the upload B -> A"))
    if bicubic:
      outputs.append(output_image("bicubic upsample (no network)"))
  # Runs whose inputs are made from photos offer the held-out photos (made into inputs by the
  # ticked box, as training did); others their held-out inputs.
  paths, note = run.facts["examples"], run.facts["note"]
  if paths:
    gr.Examples([[p] for p in paths], [upload], elem_id=f"{run.api}_examples",
                label="held-out " + ("photos" if can_derive else "inputs") + " (never trained on)")
  else:
    gr.Markdown(note)
  panels.run_info(run)

  def on_translate(image, derive_from_photo):
    return panels.answer(run.call, translate, image, derive_from_photo, limits, reverse,
                         bicubic)

  button.click(on_translate, [upload, derive], outputs, api_name=f"{run.api}_translate",
               **panels.QUEUE)
