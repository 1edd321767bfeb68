import glob
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from models_gan_test import COMBOS
from tfgan import distribute

HERE = os.path.dirname(os.path.abspath(__file__))

# One D norm per loss where it is allowed: batch norm (synchronized) in D proves the
# synchronized statistics; gradient penalties need a D without batch norm.
# Every GAN loss pair is a per-example function of the logits, averaged over the global batch
# by the same code: one cross-entropy pair (with batch norm) and the critic (with clipping)
# cover the reduction; the others are tested on one device. Each case costs two traces.
EQUAL_CASES = {
    "non_saturating": dict(loss="non_saturating", d_norm="batch"),
    "wasserstein": dict(loss="wasserstein", weight_clip=0.01, d_norm="none"),
    # The penalty is added to D's per-example loss whatever the pair.
    "wasserstein_gp": dict(loss="wasserstein", gp_weight=10.0, d_norm="none"),
    "r1": dict(loss="non_saturating", r1_gamma=1.0, d_norm="none"),
    # With InfoGAN's code (drawn per replica with the latents) and Q's loss in both networks.
    "sn_hinge_augment_info": dict(loss="hinge", d_norm="spectral",
                                  augment_ops="color,translation,cutout", info_codes=4),
    "cgan_dsteps_ema_smooth": dict(num_classes=10, d_steps=2, ema_half_life=100.0,
                                   label_smoothing=0.1),
    # SNGAN's ResNet: conditional batch norm in G (synchronized), a spectral projection D.
    "resnet_cgan_sn_hinge": dict(network="resnet", num_classes=10, loss="hinge",
                                 d_norm="spectral"),
}


def test_strategy_choice_and_its_errors(monkeypatch):
  monkeypatch.delenv("TF_CONFIG", raising=False)
  assert distribute.make_strategy("default") is tf.distribute.get_strategy()
  assert distribute.make_strategy("auto") is tf.distribute.get_strategy()  # one CPU, no GPU
  with pytest.raises(distribute.StrategyError, match="strategy must be one of"):
    distribute.make_strategy("horovod")
  with pytest.raises(distribute.StrategyError, match="multi_worker needs the TF_CONFIG"):
    distribute.make_strategy("multi_worker")
  monkeypatch.setenv("TF_CONFIG", "{cluster")
  with pytest.raises(distribute.StrategyError, match="TF_CONFIG is not JSON"):
    distribute.make_strategy("auto")
  monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1"]}}))
  with pytest.raises(distribute.StrategyError, match="needs both 'cluster'"):
    distribute.make_strategy("auto")


def test_outside_a_strategy_draws_are_plain_and_the_only_worker_is_chief():
  assert distribute.replica_rows(5) == (0, 5)
  drawn = distribute.replica_draw(lambda n: tf.range(n), 4)
  assert drawn.numpy().tolist() == [0, 1, 2, 3]
  strategy = tf.distribute.get_strategy()
  assert distribute.is_chief(strategy)
  assert not distribute.replicas_on_logical_cpus(strategy)


def test_synchronize_batch_norm_reaches_nested_layers():
  from tfgan import networks
  g, d = networks.build("dcgan", 8, (28, 28, 1), width=0.125, kernel_size=3)
  assert distribute.synchronize_batch_norm(g) == len(g.norms) > 0
  assert all(norm.synchronized for norm in g.norms)
  assert distribute.synchronize_batch_norm(d) == sum(n is not None for n in d.norms)


# Every mirrored comparison, run by one mirrored_worker.py process (one TensorFlow start-up
# with two logical CPUs instead of one per test): {mode: names}, rows read by the tests below.
# The option combinations that no equality case below covers: concat conditioning, and the
# minibatch standard deviation (its groups are each replica's, so no equality). The others'
# options are equal-case options (projection, SN with DiffAugment, GP with InfoGAN, clipping,
# R1, label smoothing). pix2pix's 'extras' has instance norm: no 'instance' case of its own.
# ESRGAN's and inpainting's GAN stages hold their L1-only stages' G loss (the pixel means over
# the global batch, the EMA) and add D: the L1-only stages have no case of their own.
MIRRORED_COMBOS = ["cgan_concat_wgan_sn", "lsgan_mbstd"]
assert set(MIRRORED_COMBOS) <= set(COMBOS)
MIRRORED_PLAN = {"combos": MIRRORED_COMBOS, "xla": ["mlp"], "equal": list(EQUAL_CASES),
                 "pix2pix": ["batch", "extras"], "cyclegan": ["extras"],
                 "esrgan": ["gan"], "inpaint": ["gan"],
                 "stylegan2": ["mixing_ada"]}


@pytest.fixture(scope="module")
def mirrored_rows():
  result = subprocess.run([sys.executable, os.path.join(HERE, "mirrored_worker.py"), "all",
                           json.dumps(MIRRORED_PLAN)], capture_output=True, text=True,
                          timeout=1500,
                          # One thread per op: the comparisons need no parallel kernels, and
                          # the suite's other pytest worker keeps a core.
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
                                   TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1"))
  assert result.returncode == 0, result.stderr[-4000:]
  rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
  return {mode: [r for r in rows if r["mode"] == mode] for mode in MIRRORED_PLAN}


def _worker(rows, mode):
  """The rows of one mode, one per name of MIRRORED_PLAN[mode], in its order."""
  assert [r["name"] for r in rows[mode]] == list(MIRRORED_PLAN[mode]), rows[mode]
  return rows[mode]


@pytest.mark.integration
def test_every_option_combination_trains_under_mirrored_strategy(mirrored_rows):
  for row in _worker(mirrored_rows, "combos"):
    assert row["replicas"] == 2 and row["changed"] and row["finite"], row


@pytest.mark.integration
def test_xla_is_refused_for_replicas_on_logical_cpus_and_auto_turns_it_off(mirrored_rows):
  # TF 2.21 places every replica's XLA step on CPU:0 (even a keras.Sequential fails there).
  (row,) = _worker(mirrored_rows, "xla")  # auto would choose XLA for mlp on one CPU
  assert row["logical_cpus"] is True
  assert row["auto"] is False and row["false"] is False
  assert "jit_compile=true cannot run with replicas on several CPU devices" in row["true"]


@pytest.mark.integration
def test_a_mirrored_step_equals_a_single_device_step_on_the_global_batch(mirrored_rows):
  # Each case: the same networks, seed and 8-image global batch, one step on one device and
  # one on two replicas of 4. Equal weights afterwards prove the global-batch loss scaling,
  # the per-replica random rows (latents, labels, augmentation, GP interpolation),
  # synchronized batch norm and the strided d_steps chunks.
  for row in _worker(mirrored_rows, "equal"):
    assert row["replicas"] == 2
    assert row["max_update"] > 1e-4, row  # the step changed the weights
    assert row["max_abs_diff"] < 1e-5, row
    assert row["d_loss"][0] == pytest.approx(row["d_loss"][1], rel=1e-4, abs=1e-6), row
    assert row["g_loss"][0] == pytest.approx(row["g_loss"][1], rel=1e-4, abs=1e-6), row


def _free_ports(n):
  sockets = [socket.socket() for _ in range(n)]
  for s in sockets:
    s.bind(("127.0.0.1", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


@pytest.mark.integration
def test_two_workers_train_together_and_only_the_chief_writes(tmp_path, idx_dir):
  workdir = str(tmp_path / "run")
  cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
  temp_root = tmp_path / "worker_tmp"
  temp_root.mkdir()
  procs = []
  for index in range(2):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TMPDIR=str(temp_root),
               TF_CONFIG=json.dumps({"cluster": cluster,
                                     "task": {"type": "worker", "index": index}}))
    procs.append(subprocess.Popen(
        [sys.executable, os.path.join(HERE, "cluster_worker.py"), workdir, idx_dir],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
  rows = []
  try:
    for proc in procs:
      out, err = proc.communicate(timeout=300)
      assert proc.returncode == 0, err[-4000:]
      rows.append(json.loads([line for line in out.splitlines() if line.startswith("{")][-1]))
  finally:
    for proc in procs:
      proc.kill()
  assert [r["step"] for r in rows] == [6, 6] and all(r["replicas"] == 2 for r in rows)
  np.testing.assert_allclose(rows[0]["digest"], rows[1]["digest"], rtol=1e-6, atol=1e-6)
  # The chief (worker 0) wrote the run directory; worker 1's exports went to a temporary
  # directory that is gone.
  assert rows[0]["generator_keras"] == os.path.join(workdir, "generator.keras")
  assert not rows[1]["generator_keras"].startswith(workdir)
  assert not os.path.exists(rows[1]["generator_keras"])
  assert os.listdir(temp_root) == []
  assert len(glob.glob(os.path.join(workdir, "**", "saved_model.pb"), recursive=True)) == 1
  assert len(glob.glob(os.path.join(workdir, "generator*.keras"))) == 1
  assert sorted(os.listdir(os.path.join(workdir, "samples"))) == ["step_0000003.png",
                                                                  "step_0000006.png"]
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    assert [json.loads(line)["step"] for line in f] == [2, 4, 6]
  assert tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")).endswith("ckpt-6")


@pytest.mark.integration
def test_a_mirrored_pix2pix_step_equals_the_single_device_step(mirrored_rows):
  # Dropout masks are drawn for the global batch (NoiseDropout), batch norm is synchronized;
  # with the extras, DiffAugment's draws too, and the EMA of G counts the global batch.
  rows = _worker(mirrored_rows, "pix2pix")
  assert [row["name"] for row in rows] == ["batch", "extras"]
  for row in rows:
    assert row["replicas"] == 2 and row["max_update"] > 1e-4, row
    assert row["max_abs_diff"] < 1e-5, row



@pytest.mark.integration
def test_mirrored_cyclegan_steps_and_image_pools_equal_the_single_device_ones(mirrored_rows):
  # Fakes are gathered across replicas, the pool is queried for the global batch with the
  # shared seed, and each replica keeps its rows (tfgan.models.cyclegan.ImagePool).
  for row in _worker(mirrored_rows, "cyclegan"):
    assert row["replicas"] == 2 and row["max_abs_diff"] < 1e-5, row
    assert row["count"] == 3, row


@pytest.mark.integration
def test_mirrored_stylegan2_iterations_equal_the_single_device_ones(mirrored_rows):
  # Latents, noise, path-length and ADA draws for the global batch, one mixing cutoff, the
  # path-length mean, w_avg and ADA's signs over the global batch, lazy steps dispatched
  # alike.
  for row in _worker(mirrored_rows, "stylegan2"):
    assert row["replicas"] == 2 and row["max_abs_diff"] < 1e-5, row
    assert row["pl_mean"] > 0 and row["w_avg"] > 0, row
    assert row["ada_p"] in (pytest.approx(0.1), pytest.approx(0.9)), row  # 0.5 +- 8 / 20


@pytest.mark.integration
def test_mirrored_esrgan_steps_equal_the_single_device_ones(mirrored_rows):
  # The relativistic losses' E[C(real)] and E[C(fake)] are all-reduced over the replicas.
  for row in _worker(mirrored_rows, "esrgan"):
    assert row["replicas"] == 2 and row["max_abs_diff"] < 1e-5, row
    assert row["d_moved"] > 1e-4, row


@pytest.mark.integration
def test_mirrored_inpainting_steps_equal_the_single_device_ones(mirrored_rows):
  # Per-example hole and known-pixel means, averaged over the global batch, and the
  # spectrally normalised D's hinge loss.
  for row in _worker(mirrored_rows, "inpaint"):
    assert row["replicas"] == 2 and row["max_abs_diff"] < 1e-5, row
    assert row["d_moved"] > 1e-4, row
