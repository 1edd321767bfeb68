"""Command line: a local web page to play with trained runs.

  python -m tfgan.demo --workdir=runs/mnist_dcgan [--workdir=DIR2 ...] [--port=7860]
      [--host=127.0.0.1] [--share] [--max_upload_mb=20] [--max_pixels=4194304]

One tab per run, chosen by its family: seeds, classes, grids and interpolations for a GAN;
upload or held-out examples for pix2pix, CycleGAN and super-resolution; a brush to paint the
hole for inpainting; each with the run's settings, last metrics and summary.png. Serves on
127.0.0.1 (this machine only) unless --host says otherwise; a public share link only with
--share. Needs `pip install 'tfgan[demo]'` (Gradio).
"""

import socket

from absl import app, flags

from tfgan import cli

_WORKDIR = flags.DEFINE_multi_string("workdir", [], "A finished run directory (repeat the flag "
                                     "for several runs: one tab each).")
_PORT = flags.DEFINE_integer("port", 7860, "Port to serve on (0: the first free one).")
_HOST = flags.DEFINE_string("host", "127.0.0.1", "Address to bind: 127.0.0.1 serves this "
                            "machine only; 0.0.0.0 every network interface (anyone who can "
                            "reach it can use the page).")
_SHARE = flags.DEFINE_bool("share", False, "Also open a public *.gradio.live link through "
                           "Gradio's share servers (needs internet; off by default).")
_MAX_UPLOAD_MB = flags.DEFINE_float("max_upload_mb", 20.0, "Largest upload, in MB.")
_MAX_PIXELS = flags.DEFINE_integer("max_pixels", 2048 * 2048, "Largest upload in pixels "
                                   "(width x height), checked before decoding.")


def check_port(host: str, port: int) -> None:
  """Raises app.UsageError naming --host/--port when this process cannot bind host:port (taken
  by another server, or not an address of this machine): said at once, before the runs load.
  Port 0 (any free port) is not checked."""
  if not port:
    return
  try:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
      probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
      probe.bind(address)
  except OSError as e:
    raise app.UsageError(f"--host={host} --port={port}: cannot serve there ("
                         f"{e.strerror or e}; another server may hold the port). --port=0 "
                         f"takes the first free port from 7860.") from None


def main(argv):
  """Checks the flags, starts the model process (TensorFlow, the runs) while this one imports
  Gradio and builds the page, serves until Ctrl+C. This process never imports TensorFlow."""
  del argv
  if not _WORKDIR.value:
    raise app.UsageError("give --workdir=RUN_DIR (a finished tfgan run), once per run.")
  for workdir in _WORKDIR.value:
    cli.check_run_dir("workdir", workdir)
  if _MAX_UPLOAD_MB.value <= 0 or _MAX_PIXELS.value <= 0:
    raise app.UsageError("--max_upload_mb and --max_pixels must be positive.")
  if not 0 <= _PORT.value < 65536:
    raise app.UsageError(f"--port={_PORT.value}: 0 to 65535.")
  check_port(_HOST.value, _PORT.value)
  import importlib.util
  if importlib.util.find_spec("gradio") is None:  # not imported: tfgan.demo comes first
    raise app.UsageError("the demo needs Gradio: pip install 'tfgan[demo]'.")
  from tfgan import demo
  limits = demo.Limits(int(_MAX_UPLOAD_MB.value * 1e6), _MAX_PIXELS.value)
  try:
    blocks = demo.app(_WORKDIR.value, limits, separate=True,
                      verbose=flags.FLAGS["verbosity"].present)
  except demo.DemoError as e:
    raise app.UsageError(str(e)) from None
  try:
    url = demo.launch(blocks, host=_HOST.value, port=_PORT.value or None, share=_SHARE.value,
                      block=False)
  except OSError as e:  # the port is taken, or the host is not an address of this machine
    demo.close(blocks)
    raise app.UsageError(f"--host={_HOST.value} --port={_PORT.value}: {e} (--port=0 takes "
                         f"the first free port from 7860).") from None
  print(f"tfgan.demo: serving {len(_WORKDIR.value)} run(s) on {url} (Ctrl+C stops it)"
        + (f"; public link {blocks.share_url}" if _SHARE.value else ""), flush=True)
  try:
    blocks.block_thread()
  finally:
    demo.close(blocks)
  return 0


def cli_main():
  """`python -m tfgan.demo`: parses sys.argv and runs main; exits with its status."""
  cli.run("tfgan.demo", main)


if __name__ == "__main__":
  cli_main()
