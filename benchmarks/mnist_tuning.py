"""Tuning attempts for the unconditional MNIST default: train, score, record every one.

  python benchmarks/mnist_tuning.py --attempts=mbstd,hinge_sn --data_dir=../shared/data/mnist

Each attempt is `flags/mnist_dcgan.flags` (as committed when the attempts were made: the base
below repeats it, so later edits of the flagfile do not change what an attempt meant) plus its
overrides, trained from scratch in its own run directory and scored with
`python -m tfgan.evaluate --metrics=classifier10k,swd1k` (10,000 samples of the exported, EMA
generator through MNIST's domain classifier; 1000 for the sliced Wasserstein distance against
1000 training images, whose floor is 7.21: benchmarks/mnist_swd_floor.py). One JSON line per attempt is appended to --out with the
wall time of the training command, the load average around it (the machine is shared: a loaded
run is slower, not worse), and the report: classifier10k_fd, classes hit, KL from uniform,
and the rarest/most frequent class's fraction (the target: fd <= 25, every class 7-13%, in
<= 5 min wall on the 2-core CPU).
"""
import argparse
import json
import os
import subprocess
import sys
import time

# flags/mnist_dcgan.flags before the tuning (2026-11-21): FD 87.4 / 83.1 in 4 min 26 s.
BASE = ["--dataset=mnist", "--network=dcgan", "--kernel_size=3", "--batch_size=32",
        "--g_lr=2e-4", "--d_lr=2e-4", "--beta_1=0.5", "--ema_kimg=10", "--train_steps=6500",
        "--log_every=250", "--sample_every=500", "--checkpoint_every=1000"]

# name -> overrides of BASE (a later flag wins in absl). Every attempt made is kept here.
ATTEMPTS = {
    "base": [],
    "mbstd": ["--minibatch_std"],
    "hinge_sn_ttur": ["--loss=hinge", "--d_norm=spectral", "--g_lr=1e-4", "--d_lr=4e-4",
                      "--beta_1=0.0", "--beta_2=0.9"],
    "mbstd_b64": ["--minibatch_std", "--batch_size=64", "--train_steps=3600"],
    "r1_nonorm": ["--d_norm=none", "--r1_gamma=0.1", "--r1_every=4"],
    "sn_ns": ["--d_norm=spectral"],
    "lr1e-4": ["--g_lr=1e-4", "--d_lr=1e-4"],
    "ema30": ["--ema_kimg=30"],
    "ls": ["--label_smoothing=0.1"],
    # Width 0.5 ran 1.8x (batch 32) and 2.7x (batch 64) the images/s of width 1 in fit() on
    # synthetic data (2226 vs 813 img/s), and 4x4 kernels cost nothing more there (1480 vs
    # 1530 img/s at batch 32): more passes over the data in the same minutes.
    "w05_k4": ["--width=0.5", "--kernel_size=4", "--train_steps=12000"],
    "w05_b64": ["--width=0.5", "--batch_size=64", "--train_steps=8800"],
    "w05_k4_b64": ["--width=0.5", "--kernel_size=4", "--batch_size=64", "--train_steps=8000"],
    # 10 steps per tf.function call ran 1.11x the images/s (synthetic data, beside a run).
    "w05_k4_b64_spe": ["--width=0.5", "--kernel_size=4", "--batch_size=64", "--train_steps=8000",
                       "--steps_per_execution=10"],
    "w05_k4_b64_spe_lr4": ["--width=0.5", "--kernel_size=4", "--batch_size=64",
                           "--train_steps=8000", "--steps_per_execution=10", "--g_lr=4e-4",
                           "--d_lr=4e-4"],
    "w05_k4_b64_spe_ema30": ["--width=0.5", "--kernel_size=4", "--batch_size=64",
                             "--train_steps=8000", "--steps_per_execution=10", "--ema_kimg=30"],
}

# flags/mnist_dcgan.flags of 2026-12-01 (FD 52.9, 4.2-13.8%, 6 min 01 s), as overrides of BASE:
# the starting point of the second round of attempts.
DEFAULT_1201 = ["--width=0.5", "--kernel_size=4", "--batch_size=64", "--g_lr=4e-4",
                "--d_lr=4e-4", "--train_steps=7000"]
ATTEMPTS.update({
    "default_1201": DEFAULT_1201,
    # InfoGAN (Chen et al. 2016): a 10-way code c = argmax(z[:10]) fed to G, predicted by a Q
    # head on D; made to separate modes, the gap the conditional run (FD 17.1) does not have.
    "info10": DEFAULT_1201 + ["--info_codes=10"],
    # Cluster conditioning on pixel k-means clusters (tfgan.data.clusters); 6000 steps to fit
    # the 5 minutes. A first trial (2026-12-06, hand-made: k-means labels written as class
    # folders, a conditional run, sampled by the clusters' shares) gave FD 25.9 with 10
    # clusters and 9.7 with 30, at 7000 steps.
    "clusters30": DEFAULT_1201 + ["--clusters=30", "--train_steps=6000"],
    "clusters50": DEFAULT_1201 + ["--clusters=50", "--train_steps=6000"],
    "clusters100": DEFAULT_1201 + ["--clusters=100", "--train_steps=6000"],
    # The flagfile's step count with more, purer clusters (z must hold 200 code entries):
    # do the 4s (5.0%) come back?
    "clusters200_5k": DEFAULT_1201 + ["--clusters=200", "--latent_dim=200", "--train_steps=5000"],
    "clusters400_5k": DEFAULT_1201 + ["--clusters=400", "--latent_dim=400", "--train_steps=5000"],
    # The attempts above drew G's cluster from z's first K entries (Gumbel-max, so latent_dim
    # >= K); from 2026-12-06 (second session) clusters read z's first entry alone (inverse
    # CDF). The default (400 clusters) at the old latent_dim 100: a cheaper step, so more of
    # them in the same minutes.
    "clusters400_z100_4k": DEFAULT_1201 + ["--clusters=400", "--train_steps=4000"],
    "clusters400_z100_4500": DEFAULT_1201 + ["--clusters=400", "--train_steps=4500"],
    # The 2026-12-06 flagfile (latent_dim 400) with the inverse-CDF draw, for a same-day
    # comparison of step cost and quality.
    "clusters400_z400_4k": DEFAULT_1201 + ["--clusters=400", "--latent_dim=400",
                                           "--train_steps=4000"],
})


def run_attempt(name, overrides, root, data_dir, python=sys.executable):
  """Trains and scores one attempt; returns its record (dict)."""
  workdir = os.path.join(root, name)
  if os.path.exists(workdir):
    raise SystemExit(f"{workdir} exists: an attempt is never overwritten; remove it or pick "
                     f"another --root")
  args = BASE + overrides + [f"--workdir={workdir}"]
  if data_dir:
    args.append(f"--data_dir={data_dir}")
  load_before = os.getloadavg()[0]
  start = time.time()
  subprocess.run([python, "-m", "tfgan.train"] + args, check=True,
                 stdout=subprocess.DEVNULL)
  wall = time.time() - start
  load_after = os.getloadavg()[0]
  subprocess.run([python, "-m", "tfgan.evaluate", f"--workdir={workdir}",
                  "--metrics=classifier10k,swd1k"], check=True, stdout=subprocess.DEVNULL)
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  train_rows = [r for r in rows if "images_per_sec" in r]
  report = {k[len("eval/"):]: v for k, v in rows[-1].items() if k.startswith("eval/")
            and not k.startswith("eval/swd1k_")}
  return {"attempt": name, "overrides": overrides, "wall_sec": round(wall, 1),
          "load_1min_before": load_before, "load_1min_after": load_after,
          "images_per_sec_last": train_rows[-1]["images_per_sec"],
          "steps": train_rows[-1]["step"], **report,
          "date": time.strftime("%Y-%m-%d %H:%M")}


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--attempts", required=True,
                      help=f"comma list of {sorted(ATTEMPTS)}")
  parser.add_argument("--data_dir", default="", help="MNIST IDX folder (offline)")
  parser.add_argument("--root", default="runs/mnist_tuning")
  parser.add_argument("--out", default="benchmarks/results/mnist_tuning_2core_cpu.jsonl")
  args = parser.parse_args()
  names = args.attempts.split(",")
  unknown = [n for n in names if n not in ATTEMPTS]
  if unknown:
    raise SystemExit(f"--attempts: unknown {unknown}; known: {sorted(ATTEMPTS)}")
  for name in names:
    record = run_attempt(name, ATTEMPTS[name], args.root, args.data_dir)
    print(json.dumps(record), flush=True)
    with open(args.out, "a") as f:  # one line per attempt, appended: nothing earlier is lost
      f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
  main()
