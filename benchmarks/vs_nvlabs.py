"""tfgan's StyleGAN2 iteration against NVlabs' stylegan2-ada-pytorch on the same configuration,
on this machine's CPU.

  python benchmarks/vs_nvlabs.py --nvlabs=DIR --torch_python=/path/to/python-with-torch
      [--iterations=32] [--rounds=3] [--out=benchmarks/results/vs_nvlabs_2core_cpu.json]

DIR is a checkout of https://github.com/NVlabs/stylegan2-ada-pytorch (read and run, never
copied into tfgan). The configuration is flags/celeba_stylegan2.flags': 64x64 RGB, z and w 128,
2 mapping layers, channels min(16384 / res, 512) x 0.125 (NVlabs: channel_base 2048,
channel_max 64), float32 (NVlabs: num_fp16_res 0, conv_clamp None), batch 32, style mixing
0.9, path length every 4 (batch shrink 2), R1 gamma 0.0256 every 16, Adam (0, 0.99) at 0.0025
with the lazy compensation, the EMA of G, no augmentation. NVlabs' side is its training loop's
phase loop (training_loop.py: per phase zero_grad, loss.accumulate_gradients with the
interval as gain, nan_to_num, step) on its reference (non-CUDA) ops; tfgan's side is fit() on
the flagfile's model. Each side runs in its own child process (a warm-up of `--iterations`,
then `--rounds` timed rounds), on in-memory random images (the cost does not depend on
pixels). Prints images/s of each and tfgan / NVlabs (the issue's goal: >= 1.5).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def tf_child(iterations, rounds):
  sys.path[:0] = [REPO, HERE]
  import tensorflow as tf
  import timing
  from tfgan import build, data
  from tfgan import config as config_lib
  config = config_lib.from_flagfile(os.path.join(REPO, "flags", "celeba_stylegan2.flags"),
                                    jit_compile="false")
  model = build.build_model(config, data.DataSpec("synthetic", (64, 64, 3), 0))
  batch = config.optimization.batch_size
  x = tf.random.uniform([batch, 64, 64, 3], -1.0, 1.0, seed=0)
  run = timing.fit_rate(model, timing.without_autotune(
      tf.data.Dataset.from_tensors(x).repeat()), iterations)
  run()  # every phase combination traced
  params = sum(int(v.numpy().size) for v in model.generator.trainable_variables +
               model.discriminator.trainable_variables)
  return {"rates": [iterations * batch / run() for _ in range(rounds)], "params": params}


def torch_child(nvlabs, iterations, rounds):
  import copy

  import numpy as np
  import torch
  sys.path.insert(0, nvlabs)
  from training import loss as loss_lib
  from training import networks
  from torch_utils import misc
  torch.manual_seed(0)
  device = torch.device("cpu")
  synthesis = dict(channel_base=2048, channel_max=64, num_fp16_res=0, conv_clamp=None)
  G = networks.Generator(z_dim=128, c_dim=0, w_dim=128, img_resolution=64, img_channels=3,
                         mapping_kwargs=dict(num_layers=2), synthesis_kwargs=synthesis)
  D = networks.Discriminator(c_dim=0, img_resolution=64, img_channels=3, channel_base=2048,
                             channel_max=64, num_fp16_res=0, conv_clamp=None,
                             epilogue_kwargs=dict(mbstd_group_size=4))
  G_ema = copy.deepcopy(G).eval()
  for module in (G, D, G_ema):
    module.requires_grad_(False)
  loss = loss_lib.StyleGAN2Loss(device, G.mapping, G.synthesis, D, style_mixing_prob=0.9,
                                r1_gamma=0.0256, pl_batch_shrink=2, pl_decay=0.01,
                                pl_weight=2)
  phases = []
  for name, module, interval in (("G", G, 4), ("D", D, 16)):
    ratio = interval / (interval + 1)
    opt = torch.optim.Adam(module.parameters(), lr=0.0025 * ratio, betas=(0.0, 0.99 ** ratio),
                           eps=1e-8)
    phases += [(name + "main", module, opt, 1), (name + "reg", module, opt, interval)]
  batch = 32
  real = torch.rand([batch, 3, 64, 64]) * 2 - 1
  real_c = torch.zeros([batch, 0])
  state = {"iteration": 0, "nimg": 0}

  def iterate():
    it = state["iteration"]
    for name, module, opt, interval in phases:
      if it % interval:
        continue
      gen_z = torch.randn([batch, 128])
      opt.zero_grad(set_to_none=True)
      module.requires_grad_(True)
      loss.accumulate_gradients(phase=name, real_img=real, real_c=real_c, gen_z=gen_z,
                                gen_c=real_c, sync=True, gain=interval)
      module.requires_grad_(False)
      for param in module.parameters():
        if param.grad is not None:
          misc.nan_to_num(param.grad, nan=0, posinf=1e5, neginf=-1e5, out=param.grad)
      opt.step()
    ema_nimg = min(10000, state["nimg"] * 0.05)  # ema_kimg 10, rampup 0.05
    beta = 0.5 ** (batch / max(ema_nimg, 1e-8))
    with torch.no_grad():
      for p_ema, p in zip(G_ema.parameters(), G.parameters()):
        p_ema.copy_(p.lerp(p_ema, beta))
      for b_ema, b in zip(G_ema.buffers(), G.buffers()):
        b_ema.copy_(b)
    state["iteration"] += 1
    state["nimg"] += batch

  def timed():
    start = time.perf_counter()
    for _ in range(iterations):
      iterate()
    return time.perf_counter() - start

  timed()  # warm-up
  params = sum(int(np.prod(p.shape)) for p in list(G.parameters()) + list(D.parameters()))
  return {"rates": [iterations * batch / timed() for _ in range(rounds)], "params": params,
          "torch": torch.__version__, "threads": torch.get_num_threads()}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--nvlabs", required=True)
  parser.add_argument("--torch_python", required=True)
  parser.add_argument("--iterations", type=int, default=32)
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--child", choices=["tf", "torch"], help=argparse.SUPPRESS)
  parser.add_argument("--out", default=os.path.join(HERE, "results",
                                                    "vs_nvlabs_2core_cpu.json"))
  args = parser.parse_args()
  if args.child:
    result = (tf_child(args.iterations, args.rounds) if args.child == "tf" else
              torch_child(args.nvlabs, args.iterations, args.rounds))
    print("RESULT " + json.dumps(result), flush=True)
    return
  sys.path.insert(0, HERE)
  import timing  # benchmarks/timing.py, beside this script
  results = {}
  for side, python in (("tfgan", sys.executable), ("nvlabs", args.torch_python)):
    out = subprocess.run([python, os.path.abspath(__file__), "--child",
                          "tf" if side == "tfgan" else "torch", f"--nvlabs={args.nvlabs}",
                          f"--torch_python={args.torch_python}",
                          f"--iterations={args.iterations}", f"--rounds={args.rounds}"],
                         capture_output=True, text=True)
    line = [l for l in out.stdout.splitlines() if l.startswith("RESULT ")]
    if not line:
      sys.exit(f"{side} failed:\n{out.stderr[-3000:]}")
    results[side] = json.loads(line[0][len("RESULT "):])
    print(side, json.dumps(results[side]), flush=True)
  medians = {k: round(statistics.median(v["rates"]), 2) for k, v in results.items()}
  summary = {**timing.provenance(REPO), "images_per_sec": medians,
             "tfgan_over_nvlabs": round(medians["tfgan"] / medians["nvlabs"], 3),
             "details": results}
  print(json.dumps(summary), flush=True)
  with open(args.out, "w") as f:
    json.dump(summary, f, indent=1)


if __name__ == "__main__":
  main()
