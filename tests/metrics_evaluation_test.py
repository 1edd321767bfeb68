import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import SHARED_MNIST, run_module
from tfgan import data, metrics, networks
from tfgan.metrics import evaluation


@pytest.fixture(scope="module")
def random_inception():
  return metrics.InceptionExtractor(weights=None)


def _tiny_generator(image_shape=(28, 28, 1), num_classes=0):
  g, _ = networks.build("dcgan", 8, image_shape, width=0.125, kernel_size=3,
                        num_classes=num_classes)
  return g


def _array_source(n=24, shape=(28, 28, 1), seed=0):
  rng = np.random.default_rng(seed)
  images = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
  labels = (np.arange(n) % 10).astype(np.int32)
  return data.ArraySource(data.DataSpec("mnist", shape, 10, num_examples=n, origin="test"),
                          images, labels)


def test_inception_features_for_grey_and_rgb(random_inception):
  features, logits = random_inception(tf.zeros((3, 28, 28, 1)))
  assert features.shape == (3, 2048) and logits.shape == (3, 1000)
  features, _ = random_inception(tf.random.uniform((2, 64, 64, 3), -1, 1))
  assert features.shape == (2, 2048) and np.isfinite(features.numpy()).all()
  assert random_inception.id == "inception_v3-random"


def test_missing_inception_weights_file_is_named(tmp_path):
  with pytest.raises(FileNotFoundError, match="nope.h5': no such file"):
    metrics.InceptionExtractor(weights=str(tmp_path / "nope.h5"))


def test_unreachable_weights_host_fails_in_seconds_naming_the_offline_flag(tmp_path,
                                                                           monkeypatch):
  import socket
  import time

  def no_resolver(*args, **kwargs):
    raise socket.gaierror(-3, "Temporary failure in name resolution")

  monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # nothing cached there
  monkeypatch.setattr(socket, "getaddrinfo", no_resolver)
  t0 = time.monotonic()
  with pytest.raises(metrics.MetricsUnavailableError,
                     match=r"storage.googleapis.com cannot be reached .*--inception_weights=PATH"):
    metrics.InceptionExtractor(weights="imagenet")
  assert time.monotonic() - t0 < 30


def test_compute_fid_kid_is_pr_with_cached_real_statistics(tmp_path, random_inception):
  registry = {"fid12": evaluation.MetricSpec("fid", 12, "inception"),
              "kid12": evaluation.MetricSpec("kid", 12, "inception"),
              "is12": evaluation.MetricSpec("is", 12, "inception"),
              "pr12": evaluation.MetricSpec("pr", 12, "inception")}
  source, generator = _array_source(), _tiny_generator()
  kwargs = dict(extractors={"inception": random_inception}, cache_dir=str(tmp_path),
                registry=registry)
  results = metrics.evaluate_generator(generator, source, list(registry), **kwargs)
  assert set(results) == {"fid12", "kid12", "kid12_std", "is12", "is12_std", "pr12_precision",
                          "pr12_recall"}
  assert results["fid12"] > 0 and 1.0 <= results["is12"] <= 1000
  assert all(0 <= results[k] <= 1 for k in ("pr12_precision", "pr12_recall"))
  cached = os.listdir(os.path.join(str(tmp_path), "stats"))
  assert len(cached) == 1
  stats = np.load(os.path.join(str(tmp_path), "stats", cached[0]))
  assert int(stats["n"]) == 24 and stats["features"].shape == (12, 2048)  # the whole split
  again = metrics.evaluate_generator(generator, source, list(registry), **kwargs)
  assert again == results  # same seed, statistics from the cache


def test_classifier_plumbing_and_conditional_label_accuracy(tmp_path):
  source = _array_source(40)
  model = metrics.build_classifier((28, 28, 1), 10)
  extractor = metrics.ClassifierExtractor(model)
  registry = {"classifier20": evaluation.MetricSpec("classifier", 20, "classifier")}
  generator = _tiny_generator(num_classes=10)
  results = metrics.evaluate_generator(generator, source, ["classifier20"],
                                       extractors={"classifier": extractor},
                                       cache_dir=str(tmp_path), registry=registry)
  assert 1 <= results["classifier20_classes_hit"] <= 10
  assert 0 <= results["classifier20_label_accuracy"] <= 1
  assert results["classifier20_fd"] >= 0 and results["classifier20_kl_uniform"] >= 0


def test_unknown_metric_is_refused():
  with pytest.raises(ValueError, match="unknown metrics \\['fid'\\]"):
    metrics.evaluate_generator(_tiny_generator(), _array_source(), ["fid"])


@pytest.mark.skipif(not os.path.isdir(SHARED_MNIST),
                    reason="needs the real MNIST IDX files in ../shared/data/mnist")
def test_classifier_report_on_real_digits_and_on_a_collapsed_set(tmp_path):
  train = data.open_source("mnist", "train", SHARED_MNIST)
  test = data.open_source("mnist", "test", SHARED_MNIST)
  path = str(tmp_path / "classifiers" / "mnist.keras")
  record = metrics.train_classifier((train.images[:20000], train.labels[:20000]),
                                    (test.images, test.labels), (28, 28, 1), 10, path,
                                    epochs=2, log=lambda line: None)
  assert record["test_accuracy"] > 0.98  # 2 epochs on 20k images; the CLI's 3 on 60k: 99%
  with pytest.raises(FileExistsError):
    metrics.train_classifier((train.images[:10], train.labels[:10]), (test.images[:10],
                             test.labels[:10]), (28, 28, 1), 10, path, epochs=1)
  model = metrics.load_classifier("mnist", str(tmp_path))
  images = test.images[:2000].astype(np.float32) / 127.5 - 1
  probs = tf.nn.softmax(model(images)).numpy()
  real = metrics.class_report(probs, test.labels[:2000])
  assert real["classes_hit"] == 10 and real["kl_uniform"] < 0.05
  assert real["label_accuracy"] > 0.95
  # A generator collapsed onto one digit. Ones: the classifier's errors on them stay far below
  # the 1% threshold (on sevens, ~1-2% go to one other class with this quick classifier).
  ones = test.images[test.labels == 1].astype(np.float32) / 127.5 - 1  # all 1135
  collapsed = metrics.class_report(tf.nn.softmax(model(ones)).numpy())
  assert collapsed["classes_hit"] == 1 and collapsed["kl_uniform"] > 2.0  # log 10 = 2.30


def test_cli_trains_a_classifier_and_evaluates_a_run(tmp_path, idx_dir):
  cache = str(tmp_path / "cache")
  trained = run_module("tfgan.evaluate", "--train_classifier", "--dataset=mnist",
                       f"--data_dir={idx_dir}", "--epochs=1", f"--cache_dir={cache}")
  assert trained.returncode == 0, trained.stderr[-2000:]
  assert os.path.isfile(os.path.join(cache, "classifiers", "mnist.keras"))
  again = run_module("tfgan.evaluate", "--train_classifier", "--dataset=mnist",
                     f"--data_dir={idx_dir}", f"--cache_dir={cache}")
  assert again.returncode != 0 and "exists" in again.stderr  # never replaced silently

  workdir = str(tmp_path / "run")
  smoke = os.path.join(os.path.dirname(os.path.dirname(__file__)), "flags", "smoke.flags")
  result = run_module("tfgan.train", f"--flagfile={smoke}", f"--workdir={workdir}",
                      f"--data_dir={idx_dir}", "--eval_metrics=classifier1k", "--eval_every=3",
                      "--best_metric=classifier1k_fd", f"--metrics_cache_dir={cache}")
  assert result.returncode == 0, result.stderr[-3000:]
  rows = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
  evals = [r for r in rows if "eval/classifier1k_fd" in r]
  assert [r["step"] for r in evals] == [3, 6]
  best = json.load(open(os.path.join(workdir, "best.json")))
  assert best["step"] == min(evals, key=lambda r: r["eval/classifier1k_fd"])["step"]
  assert tf.train.latest_checkpoint(os.path.join(workdir, "best_checkpoint")).endswith(
      f"ckpt-{best['step']}")

  evaluated = run_module("tfgan.evaluate", f"--workdir={workdir}", "--metrics=classifier1k",
                         f"--cache_dir={cache}")
  assert evaluated.returncode == 0, evaluated.stderr[-2000:]
  assert "classifier1k_classes_hit" in evaluated.stdout
  last = json.loads(open(os.path.join(workdir, "metrics.jsonl")).read().splitlines()[-1])
  assert last["step"] == 6 and "eval/classifier1k_kl_uniform" in last
  bad = run_module("tfgan.evaluate", f"--workdir={workdir}", "--metrics=fid3k")
  assert bad.returncode != 0 and "unknown metrics ['fid3k']" in bad.stderr

