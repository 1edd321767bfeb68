"""Gradio components the tabs share (imported only where Gradio is)."""

import gradio as gr


class UploadImage(gr.Image):
  """gr.Image (type filepath: the upload's path, the pixels left undecoded) whose unreadable
  uploads reach the handler, so that tfgan.demo.runs.read_image names what was wrong
  (Gradio's own check would answer with its internal component error)."""
  is_template = True  # the page draws it as gr.Image

  def __init__(self, **kwargs):
    super().__init__(type="filepath", image_mode=None, format="png",
                     buttons=["download", "fullscreen"], **kwargs)

  def preprocess(self, payload):
    try:
      return super().preprocess(payload)
    except Exception:  # noqa: BLE001  not an image: read_image says so in the page
      return None if payload is None or payload.path is None else str(payload.path)


def output_image(label, **kwargs):
  """An output image: lossless PNG (Gradio's default WebP would change the pixels), download
  and full-screen buttons, no share button (it would upload to Hugging Face)."""
  return gr.Image(label=label, format="png", type="numpy", interactive=False,
                  buttons=["download", "fullscreen"], **kwargs)
