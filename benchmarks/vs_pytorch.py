"""tfgan's DCGAN train step against the same networks and step in PyTorch eager.

  python benchmarks/vs_pytorch.py --torch_python=/path/to/venv-with-torch/bin/python

The default experiment's pair (flags/mnist_dcgan.flags: DCGAN-28 at --width and
--kernel_size, non-saturating loss, Adam 2e-4/0.5, an EMA copy of G updated every step) at
--batch_size images per step, on in-memory random images in [-1, 1] (the step's cost does not depend on
the pixels). Each framework runs in its own child process, so neither's thread pools or
oneDNN build touch the other's (torch is never imported by tfgan or its tests; --torch_python
may be another virtual environment's interpreter). Rounds alternate tf, torch, tf, ... and
the median of --rounds is reported; each child warms up before it times. Timed variants:
  * tfgan_fit:      GAN.fit() as a run calls it (steps_per_execution 1, XLA off: `auto`);
  * tfgan_fit_spe:  the same with --spe steps per tf.function call;
  * tfgan_fit_spe_xla: that compiled with XLA (jit_compile=True);
  * torch_eager:    the same D step then G step in PyTorch eager (NCHW, torch's defaults);
  * torch_cl:       the same with channels_last tensors (oneDNN's preferred layout).
It prints images/s and the ratio of each tfgan variant over torch_eager, and writes JSON with
--out. When torch is not importable by --torch_python the torch rows say so and no ratio is
printed.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LATENT = 100


def tf_child(batch_size, steps, spe, width, kernel, xla=False):
  """images/s of tfgan's GAN.fit() on the default pair."""
  sys.path[:0] = [REPO, HERE]
  import tensorflow as tf
  import timing
  from tfgan import build, data
  from tfgan import config as config_lib
  config = config_lib.make(network="dcgan", kernel_size=kernel, width=width,
                           batch_size=batch_size, ema_kimg=10,
                           g_lr=2e-4, d_lr=2e-4, beta_1=0.5,
                           jit_compile="true" if xla else "false",
                           steps_per_execution=spe)
  model = build.build_model(config, data.DataSpec("mnist", (28, 28, 1), 10))
  images = tf.random.uniform([batch_size, 28, 28, 1], -1.0, 1.0, seed=0)
  labels = tf.zeros([batch_size], tf.int32)
  dataset = timing.without_autotune(tf.data.Dataset.from_tensors((images, labels)).repeat())
  run = timing.fit_rate(model, dataset, steps)
  params = sum(int(v.numpy().size) for v in model.generator.trainable_variables
               + model.discriminator.trainable_variables)
  return {"images_per_sec": steps * batch_size / run(), "trainable_params": params}


def torch_child(batch_size, steps, channels_last, width, kernel):
  """images/s of the same step in PyTorch eager."""
  import torch
  from torch import nn
  torch.manual_seed(0)
  torch.set_num_threads(os.cpu_count())
  # Keras's BatchNormalization defaults: momentum 0.99 (torch counts 1 - it), eps 1e-3.
  bn = lambda c: nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)
  # tfgan.networks.base.scaled; Keras's "same" stride-2 (transposed) convolutions halve
  # (double) the side: padding 1, and output_padding 1 for odd kernels.
  c1, c2 = max(1, round(64 * width)), max(1, round(128 * width))
  up = dict(stride=2, padding=1, output_padding=kernel % 2)

  class G(nn.Module):
    def __init__(self):
      super().__init__()
      self.project = nn.Linear(LATENT, 7 * 7 * c2, bias=False)
      self.body = nn.Sequential(
          bn(c2), nn.ReLU(), nn.ConvTranspose2d(c2, c1, kernel, bias=False, **up),
          bn(c1), nn.ReLU(), nn.ConvTranspose2d(c1, 1, kernel, **up), nn.Tanh())

    def forward(self, z):
      x = self.project(z).view(-1, c2, 7, 7)
      if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
      return self.body(x)

  d = nn.Sequential(nn.Conv2d(1, c1, kernel, 2, 1), nn.LeakyReLU(0.2),
                    nn.Conv2d(c1, c2, kernel, 2, 1, bias=False), bn(c2), nn.LeakyReLU(0.2),
                    nn.Flatten(), nn.Linear(7 * 7 * c2, 1))
  g = G()
  ema = G()
  ema.load_state_dict(g.state_dict())
  if channels_last:
    g, d, ema = (m.to(memory_format=torch.channels_last) for m in (g, d, ema))
  g_opt = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999), eps=1e-7)
  d_opt = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999), eps=1e-7)
  real = torch.rand(batch_size, 1, 28, 28) * 2 - 1
  if channels_last:
    real = real.contiguous(memory_format=torch.channels_last)
  softplus = nn.functional.softplus
  decay = 0.5 ** (batch_size / 10000)  # ema_kimg=10: a 10,000-image half-life
  ema_state = list(ema.parameters()) + list(ema.buffers())
  g_state = list(g.parameters()) + list(g.buffers())

  def step():
    fake = g(torch.randn(batch_size, LATENT)).detach()
    d_loss = (softplus(-d(real)) + softplus(d(fake))).mean()
    d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    d_opt.step()
    g_loss = softplus(-d(g(torch.randn(batch_size, LATENT)))).mean()
    g_opt.zero_grad(set_to_none=True)
    g_loss.backward()  # also fills D's grads, cleared by the next D step (as in tfgan)
    g_opt.step()
    with torch.no_grad():
      for e, w in zip(ema_state, g_state):
        if e.dtype.is_floating_point:
          e.lerp_(w, 1 - decay)
    return d_loss.detach()

  for _ in range(10):
    step()
  t0 = time.perf_counter()
  for _ in range(steps):
    out = step()
  float(out)
  rate = steps * batch_size / (time.perf_counter() - t0)
  params = sum(p.numel() for p in list(g.parameters()) + list(d.parameters()))
  return {"images_per_sec": rate, "trainable_params": params, "torch": torch.__version__}


def run_child(python, variant, args):
  cmd = [python, os.path.abspath(__file__), f"--child={variant}",
         f"--batch_size={args.batch_size}", f"--steps={args.steps}", f"--spe={args.spe}",
         f"--width={args.width}", f"--kernel_size={args.kernel_size}"]
  proc = subprocess.run(cmd, capture_output=True, text=True)
  if proc.returncode != 0:
    return {"error": (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]}
  return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--torch_python", default=sys.executable,
                      help="an interpreter that can import torch (default: this one)")
  parser.add_argument("--batch_size", type=int, default=32)
  parser.add_argument("--width", type=float, default=1.0)
  parser.add_argument("--kernel_size", type=int, default=3)
  parser.add_argument("--steps", type=int, default=300, help="timed steps per child")
  parser.add_argument("--spe", type=int, default=10, help="steps_per_execution of tfgan_fit_spe")
  parser.add_argument("--rounds", type=int, default=3)
  parser.add_argument("--out", default="")
  parser.add_argument("--child", default="", help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.child:
    if args.child.startswith("tfgan"):
      out = tf_child(args.batch_size, args.steps, args.spe if "spe" in args.child else 1,
                     args.width, args.kernel_size, xla=args.child.endswith("xla"))
    else:
      out = torch_child(args.batch_size, args.steps, args.child == "torch_cl", args.width,
                        args.kernel_size)
    print(json.dumps(out))
    return

  variants = {"tfgan_fit": sys.executable, "tfgan_fit_spe": sys.executable,
              "tfgan_fit_spe_xla": sys.executable,
              "torch_eager": args.torch_python, "torch_cl": args.torch_python}
  rows = {k: [] for k in variants}
  for _ in range(args.rounds):  # interleaved: load drifts on this shared machine hit all alike
    for name, python in variants.items():
      rows[name].append(run_child(python, name, args))
  result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "date": time.strftime("%Y-%m-%d"), "batch_size": args.batch_size,
            "width": args.width, "kernel_size": args.kernel_size,
            "steps": args.steps, "spe": args.spe, "variants": {}}
  for name, runs in rows.items():
    ok = [r for r in runs if "error" not in r]
    if not ok:
      result["variants"][name] = {"error": runs[0]["error"]}
      print(f"{name:14s} not run: {runs[0]['error']}")
      continue
    rate = statistics.median(r["images_per_sec"] for r in ok)
    result["variants"][name] = {"images_per_sec": round(rate, 1),
                                "rounds": [round(r["images_per_sec"], 1) for r in ok],
                                **{k: v for k, v in ok[0].items() if k != "images_per_sec"}}
    print(f"{name:14s} {rate:8.1f} img/s  (trainable params {ok[0]['trainable_params']})")
  torch_rate = result["variants"]["torch_eager"].get("images_per_sec")
  if torch_rate:
    for name in ("tfgan_fit", "tfgan_fit_spe", "tfgan_fit_spe_xla", "torch_cl"):
      rate = result["variants"][name].get("images_per_sec")
      if rate:
        result[f"{name}_over_torch_eager"] = round(rate / torch_rate, 3)
        print(f"{name} / torch_eager: {rate / torch_rate:.3f}")
  if args.out:
    with open(args.out, "w") as f:
      json.dump(result, f, indent=2)


if __name__ == "__main__":
  main()
