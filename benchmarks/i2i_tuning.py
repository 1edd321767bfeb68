"""Tuning attempts for the image-to-image face defaults (issue 30): train, score, record each.

  python benchmarks/i2i_tuning.py --task=edges2face --attempts=l1,base \\
      --data_dir=../shared/data/celeba_89x109

Each attempt is its task's BASE (the flagfile's settings when the attempts began, repeated here
so later edits of the flagfile do not change what an attempt meant) plus its overrides, trained
from scratch in runs/i2i_tuning/<task>_<attempt> (an existing run directory is scored again, not
retrained) and scored by `python -m tfgan.evaluate` on the 1000 held-out faces (008001-009000,
never trained on; 64x64 RGB in [0, 1]): l1/psnr/ssim (or the hole scores), swd_vs_targets
(SWD x1e3, all 1000 outputs vs the 1000 targets) and the texture ratios (tfgan.metrics.texture:
chroma_hf_ratio, sharpness_ratio, colourfulness_ratio; 1 = the real faces' level). One JSON
line per attempt is appended to --out with the wall time of the training command and the load
average around it (the machine is shared: a loaded run is slower, not worse).

The issue's targets for each GAN: swd_vs_targets below its L1 twin's, chroma_hf_ratio within
0.8-1.25, psnr within 1 dB of the L1 twin's.
"""
import argparse
import json
import os
import subprocess
import sys
import time

COMMON = ["--dataset=celeb_a", "--image_size=64", "--holdout=1000", "--width=0.5",
          "--batch_size=16", "--log_every=100", "--sample_every=500", "--checkpoint_every=500",
          "--num_samples=8"]

# The tuning budget: half the flagfiles' 3000 steps (3 epochs of the 8000 training faces), so
# that an attempt takes 5-15 min on the 2-core CPU; a kept attempt is re-run at full length.
BUDGET = ["--train_steps=1500", "--lr_decay_start=750"]
# Inpainting: stage 1 (L1) 2000 steps, the GAN stage 750 (the flagfiles: 5000 and 1500).
INPAINT_BUDGET = ["--train_steps=750", "--lr_decay_start=375"]

# flags/celeba_edges2face_pix2pix.flags and flags/celeba_grey2colour_pix2pix.flags of
# 2026-12-06 (the GANs of the issue), less the step counts (BUDGET).
PIX2PIX = ["--family=pix2pix", "--network=unet", "--loss=non_saturating", "--lambda_l1=100",
           "--g_lr=2e-4", "--d_lr=2e-4", "--beta_1=0.5"]
BASE = {"edges2face": COMMON + PIX2PIX + ["--pairs=edges"],
        "grey2colour": COMMON + PIX2PIX + ["--pairs=grey"],
        # flags/celeba_inpaint.flags of 2026-12-06 (the GAN stage), less its step counts.
        "inpaint": COMMON + ["--family=inpaint", "--network=gated", "--inpaint_stages=1",
                             "--mask_kind=centre,strokes", "--mask_bank=4096",
                             "--eval_mask=centre", "--hole_weight=1", "--valid_weight=1",
                             "--loss=hinge", "--adversarial_weight=0.1", "--d_layers=3",
                             "--g_lr=1e-4", "--d_lr=1e-4", "--beta_1=0.5", "--beta_2=0.999"]}
# flags/celeba_cyclegan.flags of 2026-12-07 (grey <-> colour without pairs), less its step
# counts (CYCLEGAN_BUDGET) and its own evaluation during training; scored as pairs.
BASE["cyclegan"] = ["--family=cyclegan", "--network=resnet", "--dataset=celeb_a",
                    "--image_size=64", "--domains=grey", "--holdout=1000", "--width=0.25",
                    "--resnet_blocks=6", "--batch_size=4", "--loss=least_squares",
                    "--lambda_cycle=10", "--lambda_identity=0.5", "--pool_size=50",
                    "--g_lr=2e-4", "--d_lr=2e-4", "--beta_1=0.5", "--log_every=100",
                    "--sample_every=500", "--checkpoint_every=500", "--num_samples=8"]
# Half the flagfile's 2000 steps of batch 4 (1 epoch of each 4000-face domain): ~10 min here.
CYCLEGAN_BUDGET = ["--train_steps=1000", "--lr_decay_start=500"]
# Inpainting's GAN attempts start from the L1 attempt (stage 1, as the flagfiles do).
INPAINT_L1_RUN = "runs/i2i_tuning/inpaint_inp_l1"

# name -> overrides of BASE (a later flag wins in absl). Every attempt made is kept here.
ATTEMPTS = {
    "l1": ["--lambda_gan=0"],  # the L1 twin: the same U-Net without D
    "base": [],  # the flagfile's GAN
    "resize": ["--upsample=resize"],  # no transposed convolutions: no checkerboard
    "l1_resize": ["--upsample=resize", "--lambda_gan=0"],  # its L1 twin
    "resize_ema_fm": ["--upsample=resize", "--ema_kimg=2", "--feature_matching_weight=10"],
    "resize_ema10_fm": ["--upsample=resize", "--ema_kimg=10", "--feature_matching_weight=10"],
    "resize_ema_fm_sn": ["--upsample=resize", "--ema_kimg=2", "--feature_matching_weight=10",
                         "--patch_norm=spectral"],
    # Aimed at the chroma ratio (1.97 with resize_ema_fm): a weaker adversarial pull, both terms.
    "resize_ema_fm_lgan03": ["--upsample=resize", "--ema_kimg=2", "--feature_matching_weight=3",
                             "--lambda_gan=0.3"],
    # SN-PatchGAN lowered the chroma ratio most (1.58): with the weaker pull, and with colour
    # augmentation of D's inputs (D cannot lean on colour statistics).
    "resize_ema_fm_sn_lgan03": ["--upsample=resize", "--ema_kimg=2",
                                "--feature_matching_weight=3", "--lambda_gan=0.3",
                                "--patch_norm=spectral"],
    "resize_ema_fm_sn_daugc_lgan05": ["--upsample=resize", "--ema_kimg=2",
                                      "--feature_matching_weight=5", "--lambda_gan=0.5",
                                      "--patch_norm=spectral", "--diffaugment=color"],
    # On top of the default since the afternoon (resize_ema_fm_sn_daugc_lgan05): R1 on the
    # real patches instead of spectral norm, and a two-time-scale learning rate.
    "default_r1": ["--upsample=resize", "--ema_kimg=2", "--feature_matching_weight=5",
                   "--lambda_gan=0.5", "--patch_norm=none", "--r1_gamma=1",
                   "--diffaugment=color"],
    "default_ttur": ["--upsample=resize", "--ema_kimg=2", "--feature_matching_weight=5",
                     "--lambda_gan=0.5", "--patch_norm=spectral", "--diffaugment=color",
                     "--g_lr=1e-4", "--d_lr=4e-4"],
    "resize_ema_fm_sn_daugc": ["--upsample=resize", "--ema_kimg=2",
                               "--feature_matching_weight=10", "--patch_norm=spectral",
                               "--diffaugment=color"],
    "ema": ["--ema_kimg=2"],  # G's weights averaged, half-life 2000 images (125 steps)
    "fm": ["--feature_matching_weight=10"],  # pix2pixHD's D feature matching
    "sn": ["--patch_norm=spectral"],  # SN-PatchGAN
    "r1": ["--patch_norm=none", "--r1_gamma=1"],
    "ttur": ["--g_lr=1e-4", "--d_lr=4e-4"],
    "daug": ["--diffaugment=translation,cutout"],
    "ramp": ["--gan_ramp_steps=750"],
    "lgan01": ["--lambda_gan=0.1"],
    # Inpainting (task inpaint): the L1 stage 1 (flags/celeba_inpaint_l1.flags' optimiser),
    # then GAN stages from it.
    "inp_l1": ["--adversarial_weight=0", "--g_lr=2e-4", "--beta_1=0.9", "--train_steps=2000",
               "--lr_decay_start=1000"],
    "inp_base": [f"--init_from={INPAINT_L1_RUN}"],
    "inp_scratch": [],  # the flagfile as a user copying its first line ran it
    "inp_ema_fm": [f"--init_from={INPAINT_L1_RUN}", "--ema_kimg=2",
                   "--feature_matching_weight=10"],
    # The fills' chroma ratio (3.61 with EMA + FM): a third of the adversarial weight.
    "inp_ema_fm_adv003": [f"--init_from={INPAINT_L1_RUN}", "--ema_kimg=2",
                          "--feature_matching_weight=10", "--adversarial_weight=0.03"],
    # The edges -> face recipe's colour DiffAugment on D's inputs (the image channels only;
    # D is already spectrally normalised here).
    "inp_ema_fm_adv003_daugc": [f"--init_from={INPAINT_L1_RUN}", "--ema_kimg=2",
                                "--feature_matching_weight=10", "--adversarial_weight=0.03",
                                "--diffaugment=color"],
    "inp_ema_fm_ramp": [f"--init_from={INPAINT_L1_RUN}", "--ema_kimg=2",
                        "--feature_matching_weight=10", "--gan_ramp_steps=375"],
    # CycleGAN (task cyclegan): the flagfile, then the extras that apply without pairs (the
    # pix2pix recipe less feature matching): both generators averaged (half-life 500 images,
    # 125 steps of batch 4, as 2 kimg is for batch 16) and colour DiffAugment on what both Ds
    # see.
    "cg_base": [],
    "cg_ema_daugc": ["--ema_kimg=0.5", "--diffaugment=color"],
    # Its chroma ratio stayed at 12.2 (13.7 without): R1 on both Ds as well (gamma 1, as
    # edges -> face's default).
    "cg_ema_daugc_r1": ["--ema_kimg=0.5", "--diffaugment=color", "--r1_gamma=1"],
}


def _load():
  try:
    return os.getloadavg()[0]
  except OSError:
    return None


def run_attempt(task, name, data_dir, runs, extra):
  workdir = os.path.join(runs, f"{task}_{name}")
  budget = {"inpaint": INPAINT_BUDGET, "cyclegan": CYCLEGAN_BUDGET}.get(task, BUDGET)
  flags = BASE[task] + budget + ATTEMPTS[name] + extra
  row = {"task": task, "attempt": name, "overrides": ATTEMPTS[name] + extra,
         "base": BASE[task] + budget, "date": time.strftime("%Y-%m-%d"),
         "machine": "2-core x86-64 CPU, no GPU"}
  if not os.path.isfile(os.path.join(workdir, "generator.keras")):
    load = _load()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tfgan.train", f"--workdir={workdir}",
                    f"--data_dir={data_dir}", *flags], check=True)
    row.update(wall_sec=round(time.perf_counter() - t0, 1), load_1min_before=load,
               load_1min_after=_load())
  else:
    row["wall_sec"] = None  # scored again; trained earlier
  subprocess.run([sys.executable, "-m", "tfgan.evaluate", f"--workdir={workdir}"], check=True)
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    rows = [json.loads(line) for line in f]
  last = rows[-1]
  train_rows = [r for r in rows if "images_per_sec" in r]
  row["images_per_sec_last"] = train_rows[-1]["images_per_sec"] if train_rows else None
  row.update({k: v for k, v in last.items() if k.startswith(("eval", "step"))})
  return row


def main():
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--task", choices=sorted(BASE), required=True)
  p.add_argument("--attempts", required=True, help="comma-separated names of ATTEMPTS")
  p.add_argument("--data_dir", default="../shared/data/celeba_89x109")
  p.add_argument("--runs", default="runs/i2i_tuning")
  p.add_argument("--extra", default="", help="space-separated flags added to every attempt")
  p.add_argument("--out", default="benchmarks/results/i2i_tuning_2core_cpu.jsonl")
  a = p.parse_args()
  for name in a.attempts.split(","):
    row = run_attempt(a.task, name, a.data_dir, a.runs, a.extra.split())
    with open(a.out, "a") as f:
      f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
  main()
