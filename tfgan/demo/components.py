"""Gradio components the tabs share (imported only where Gradio is)."""

import gradio as gr


def upload_image(**kwargs):
  """A gr.Image for uploads, handing the handler the file's path (pixels left undecoded), also
  for a file that is not an image: tfgan.demo.runs.read_image then names what was wrong
  (Gradio's own check would answer with its internal component error). The instance's
  preprocess is replaced rather than subclassed: the page draws components by class."""
  image = gr.Image(type="filepath", image_mode=None, format="png",
                   buttons=["download", "fullscreen"], elem_classes=["tfgan-out"], **kwargs)
  gradio_preprocess = image.preprocess

  def preprocess(payload):
    try:
      return gradio_preprocess(payload)
    except Exception:  # noqa: BLE001  not an image: read_image says so in the page
      return None if payload is None or payload.path is None else str(payload.path)

  image.preprocess = preprocess
  return image


# Output images fill their box, drawn with square pixels: a 64x64 face is shown large, and a
# pixel of the output stays one visible square (no smoothing hides what the network made).
CSS = (".tfgan-out img {width: 100%; height: 100%; object-fit: contain; "
       "image-rendering: pixelated;}")


def output_image(label, height=320, **kwargs):
  """An output image: lossless PNG (Gradio's default WebP would change the pixels), download
  and full-screen buttons, no share button (it would upload to Hugging Face), scaled up to
  `height` px with square pixels (CSS)."""
  return gr.Image(label=label, format="png", type="numpy", interactive=False,
                  buttons=["download", "fullscreen"], height=height,
                  elem_classes=["tfgan-out"], **kwargs)
