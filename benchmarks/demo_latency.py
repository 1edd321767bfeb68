"""How fast `python -m tfgan.demo` answers: launch to first answer, a 64-image grid, a 64x64
translation (issue 31's targets: 10 s, 1 s, 1 s on the 2-core CPU).

  python benchmarks/demo_latency.py --workdir=runs/mnist_dcgan \\
      --translate_workdir=runs/i2i_tuning/edges2face_resize_ema_fm

Starts the demo as a user does (a subprocess: Python, TensorFlow and Gradio imports, the runs
loaded), then times, from that start: the page answering (GET /), and the first API answer
(a 64-image grid through gradio_client; the client library is loaded before the clock
starts, as a user's browser is open before the server). Then the median of --repeats grids (seed changing)
and of --repeats translations of a 64x64 photo ("from a photo" on: edges derived, then the
U-Net), each the whole HTTP round trip (upload, queue, model, PNG, download). One JSON line
per run goes to --out, with the code measured (`git describe --dirty`). The machine is
shared: the load average is recorded beside; compare runs made minutes apart.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

TARGETS = {"first_answer_sec": 10.0, "grid64_sec": 1.0, "translate64_sec": 1.0}


def _free_port():
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def main():
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--workdir", required=True, help="a noise-to-image run (the MNIST default)")
  p.add_argument("--translate_workdir", default="", help="a pix2pix run (64x64 faces)")
  p.add_argument("--repeats", type=int, default=10)
  p.add_argument("--out", default="benchmarks/results/demo_latency_2core_cpu.jsonl")
  a = p.parse_args()
  os.environ.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_DISABLE_TELEMETRY="1")
  # The client is loaded before the clock starts, as a browser is open before the server.
  from gradio_client import Client, handle_file
  port = _free_port()
  workdirs = [a.workdir] + ([a.translate_workdir] if a.translate_workdir else [])
  load = os.getloadavg()[0]
  t0 = time.perf_counter()
  server = subprocess.Popen([sys.executable, "-m", "tfgan.demo", f"--port={port}",
                             *[f"--workdir={w}" for w in workdirs]],
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
  url = f"http://127.0.0.1:{port}/"
  try:
    while True:
      if server.poll() is not None:
        sys.exit(f"the demo exited: {server.stderr.read().decode()[-2000:]}")
      try:
        with urllib.request.urlopen(url, timeout=1) as r:
          if r.status == 200:
            break
      except OSError:
        time.sleep(0.05)
    page = time.perf_counter() - t0
    scratch = tempfile.mkdtemp(prefix="demo_latency_")
    client = Client(url, verbose=False, download_files=scratch)
    # The page's own endpoint names (tfgan.demo.runs names them), in tab order.
    endpoints = list(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    generate = next(e for e in endpoints if e.endswith("_generate"))
    client.predict(0, 64, "every class (one row each)", api_name=generate)
    first = time.perf_counter() - t0
    grids = []
    for seed in range(1, a.repeats + 1):
      t = time.perf_counter()
      client.predict(seed, 64, "every class (one row each)", api_name=generate)
      grids.append(time.perf_counter() - t)
    head = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip()
    row = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": "2-core x86-64 CPU, no GPU",
           "code": head, "workdirs": workdirs, "load_1min_before": load,
           "page_sec": round(page, 2), "first_answer_sec": round(first, 2),
           "grid64_sec": round(float(np.median(grids)), 3),
           "grid64_max_sec": round(max(grids), 3)}
    if a.translate_workdir:
      from PIL import Image
      translate = next(e for e in endpoints if e.endswith("_translate"))
      times = []
      for i in range(a.repeats):
        path = os.path.join(scratch, f"photo{i}.png")
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (64, 64, 3), np.uint8)).save(
            path)
        t = time.perf_counter()
        client.predict(handle_file(path), True, api_name=translate)
        times.append(time.perf_counter() - t)
      row.update(translate64_sec=round(float(np.median(times)), 3),
                 translate64_max_sec=round(max(times), 3))
    row["load_1min_after"] = os.getloadavg()[0]
    row["within_targets"] = {k: row[k] <= v for k, v in TARGETS.items() if k in row}
    with open(a.out, "a") as f:
      f.write(json.dumps(row) + "\n")
    print(json.dumps(row))
  finally:
    server.terminate()
    server.wait(timeout=30)


if __name__ == "__main__":
  main()
