"""Domain classifiers that tfgan trains itself (MNIST, Fashion-MNIST, any labelled dataset),
for the classifier report and Frechet distances in a feature space made for the domain.

Cached as `<cache_dir>/classifiers/<dataset>.keras` with a JSON record of its test accuracy.
"""

import json
import os
import time

import keras
import numpy as np
from keras import layers

from tfgan import files


def default_cache_dir() -> str:
  """$TFGAN_CACHE_DIR, else ~/.cache/tfgan: classifiers and real-data statistics live here."""
  return files.cache_dir()


def classifier_path(dataset: str, cache_dir: str = "") -> str:
  """Where the classifier of `dataset` is cached: <cache_dir>/classifiers/<dataset>.keras."""
  return os.path.join(cache_dir or default_cache_dir(), "classifiers", f"{dataset}.keras")


def build_classifier(image_shape, num_classes, width=32) -> keras.Model:
  """A small CNN: images float32 [B, H, W, C] in [-1, 1] -> logits float32 [B, num_classes].

  Two blocks of two 3x3 convolutions and max pooling, a 128-unit layer named 'features' (the
  embedding used for Frechet distances), dropout, and the logits.
  """
  inputs = keras.Input(tuple(image_shape))
  x = inputs
  for filters in (width, 2 * width):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
  x = layers.Flatten()(x)
  features = layers.Dense(128, activation="relu", name="features")(x)
  x = layers.Dropout(0.3)(features)
  logits = layers.Dense(num_classes, name="logits")(x)
  return keras.Model(inputs, logits, name="domain_classifier")


def train_classifier(train, test, image_shape, num_classes, path, epochs=3, batch_size=128,
                     log=print) -> dict:
  """Trains and saves a classifier; returns its record (test accuracy, time, path).

  Args:
    train, test: (images uint8 [N, H, W, C] in [0, 255], labels int [N]) numpy pairs.
    path: where to save the .keras file; an existing file is never replaced here.
  """
  if os.path.exists(path):
    raise FileExistsError(f"{path} exists; delete it to train a new classifier.")
  keras.utils.set_random_seed(0)
  model = build_classifier(image_shape, num_classes)
  model.compile(keras.optimizers.Adam(1e-3),
                keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
  scale = lambda images: images.astype(np.float32) / 127.5 - 1.0  # noqa: E731
  t0 = time.perf_counter()
  model.fit(scale(train[0]), train[1], batch_size=batch_size, epochs=epochs, verbose=0,
            shuffle=True)
  seconds = time.perf_counter() - t0
  _, accuracy = model.evaluate(scale(test[0]), test[1], batch_size=1000, verbose=0)
  with files.atomic_path(path) as tmp:
    model.save(tmp)
  record = {"path": path, "test_accuracy": float(accuracy), "train_seconds": round(seconds, 1),
            "epochs": epochs, "train_examples": int(len(train[1]))}
  files.write(path[:-len(".keras")] + ".json", json.dumps(record, indent=2) + "\n")
  log(f"tfgan: classifier saved to {path}: test accuracy {accuracy:.4f} after {epochs} epochs "
      f"({seconds:.0f} s)")
  return record


def load_classifier(dataset: str, cache_dir: str = "") -> keras.Model:
  """Loads the cached classifier for `dataset`; FileNotFoundError says how to train one."""
  path = classifier_path(dataset, cache_dir)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"no classifier for {dataset!r} at {path}; train it once with "
                            f"python -m tfgan.evaluate --train_classifier --dataset={dataset}"
                            f" [--data_dir=...].")
  return keras.models.load_model(path, compile=False)
