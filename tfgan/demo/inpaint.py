"""The inpainting tab: upload a photo (or pick a held-out face), paint the hole with the brush
(the painted layer's alpha is the mask) or pick a mask kind; the model's fill beside the
classical diffusion fill.

The fill is tfgan.translation.inpaint_image, the function behind `tfgan.translate --masks`:
the known pixels come back unchanged, bit for bit. It runs where the network is
(`View.call`); the tab is built in the page's process (no TensorFlow import here).
"""

import numpy as np

from tfgan.demo import panels
from tfgan.demo.runs import InputError, Limits
from tfgan.demo.translate import display, example_files

PAINTED = "painted (the brush)"
# Three of tfgan.data.masks.MASK_KINDS, spelled out: importing tfgan.data here would load
# TensorFlow in the page's process.
KINDS = (PAINTED, "centre", "strokes", "boxes")
MASK_SEED = 0  # the mask kinds draw the same mask every time, as evaluation's fixed masks


def _rgb(array, what):
  """An editor layer (uint8 [H, W, 3|4] or [H, W]) -> uint8 [H, W, 3] (alpha dropped)."""
  array = np.asarray(array)
  if array.ndim == 2:
    array = array[..., None]
  if array.ndim != 3 or array.dtype != np.uint8:
    raise InputError(f"{what}: expected an image, got {array.dtype} {array.shape}.")
  return np.repeat(array, 3, -1) if array.shape[-1] in (1, 2) else array[..., :3]


def painted_mask(layers, shape):
  """float32 [H, W, 1] in {0, 1}: 1 where any editor layer (uint8 [H, W, 4] RGBA) is painted
  (alpha > 0); `shape` (H, W) the background's. None when no layer holds a stroke."""
  mask = np.zeros(tuple(shape) + (1,), np.float32)
  for layer in layers or []:
    layer = np.asarray(layer)
    if layer.ndim == 3 and layer.shape[-1] == 4 and layer.shape[:2] == tuple(shape):
      mask = np.maximum(mask, (layer[..., 3:] > 0).astype(np.float32))
  return mask if mask.any() else None


def fill(run, editor, kind=PAINTED, limits=Limits()):
  """The hole of an editor value ({'background': uint8 [H, W, 3|4], 'layers': [uint8 RGBA]})
  filled by the run's generator and by the diffusion fill.

  kind: PAINTED (the layers' alpha is the hole) or a tfgan.data.masks kind drawn for the
  image's size. Returns uint8 (the photo with the hole shown in white, the model's fill, the
  diffusion fill), each [H, W, C]. Raises InputError for no image, too many pixels or an
  empty hole."""
  from tfgan import images, translation
  from tfgan.data import masks as masks_lib
  background = (editor or {}).get("background")
  if background is None:
    raise InputError("no image: upload a photo (or pick a held-out face), then paint the "
                     "hole.")
  image = _rgb(background, "the photo")
  h, w = image.shape[:2]
  if h * w > limits.max_pixels:
    raise InputError(f"the photo is {w}x{h} pixels; this demo takes up to "
                     f"{limits.max_pixels:,} (--max_pixels).")
  if kind == PAINTED:
    mask = painted_mask(editor.get("layers"), (h, w))
    if mask is None:
      raise InputError("the mask is empty: paint over the part to fill with the brush, or "
                       "pick a mask kind.")
  elif kind in masks_lib.MASK_KINDS:
    from tfgan.models.inpaint import mask_sizes
    mask = masks_lib.mask_batch(kind, 1, h, w, MASK_SEED, **mask_sizes(run.config))[0]
  else:
    raise InputError(f"mask {kind!r}: one of {list(KINDS)}.")
  if mask.all():
    raise InputError("the whole image is the hole: leave some known pixels around it.")
  from tfgan.metrics import inpainting
  filled = translation.inpaint_image(run.generator, image, mask)
  x = translation.channels_for_images(run.generator, image.astype(np.float32) / 127.5 - 1)
  diffusion = np.asarray(inpainting.diffusion_fill(x[None], mask[None]))[0]
  holed = np.where(mask > 0.5, 1.0, x)
  return tuple(display(images.to_uint8(v)) for v in (holed, filled, diffusion))


def facts(run):
  """What the tab shows before any call: {'examples': paths of held-out face PNGs, 'note':
  why there are none}."""
  paths, note = example_files(run, kind="targets")
  return {"examples": paths, "note": note}


def tab(run, limits):
  """Components and the event `<run.api>_fill` (inputs: the editor's value, the mask kind) of
  `run`, a tfgan.demo.runs.View."""
  import gradio as gr
  from tfgan.demo.components import output_image
  panels.header(run)
  size = run.config.data.image_size
  gr.Markdown(f"Paint the hole with the brush (any colour: the painted pixels are the hole), "
              f"or pick a mask kind. Trained on {size}x{size} faces: photos near that size "
              f"fill best.")
  with gr.Row():
    with gr.Column():
      editor = gr.ImageEditor(label="photo and hole", type="numpy", image_mode="RGBA",
                              format="png", transforms=(),
                              sources=["upload", "clipboard"], layers=False,
                              brush=gr.Brush(default_size=max(2, size // 10),
                                             colors=["#ff00ff"], color_mode="fixed"),
                              eraser=gr.Eraser(default_size=max(2, size // 10)),
                              elem_id=f"{run.api}_editor")
      kind = gr.Radio(list(KINDS), value=PAINTED, label="hole")
      button = gr.Button("fill", variant="primary", elem_id=f"{run.api}_fill")
    with gr.Column():
      holed = output_image("the hole (white)", elem_id=f"{run.api}_holed")
  with gr.Row():
    model = output_image("this run's fill", elem_id=f"{run.api}_filled")
    diffusion = output_image("diffusion fill (classical, no network)")
  paths, note = run.facts["examples"], run.facts["note"]
  if paths:
    gr.Examples([[p] for p in paths], [editor], label="held-out faces (never trained on)",
                elem_id=f"{run.api}_examples")
  else:
    gr.Markdown(note)
  panels.run_info(run)

  def on_fill(photo_and_hole, hole):
    return panels.answer(run.call, fill, photo_and_hole, hole, limits)

  button.click(on_fill, [editor, kind], [holed, model, diffusion], api_name=f"{run.api}_fill",
               **panels.QUEUE)
