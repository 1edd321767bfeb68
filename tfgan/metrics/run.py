"""Evaluating a run directory or a generator against its training data."""

import json
import os
import time

from tfgan import config as config_lib
from tfgan import data, rundir
from tfgan.metrics import classifier as classifier_lib
from tfgan.metrics import evaluation
from tfgan.metrics.features import ClassifierExtractor, InceptionExtractor


def build_extractors(names, dataset, inception_weights="imagenet", cache_dir="",
                     registry=None):
  """{'inception': ..., 'classifier': ..., 'pixels': ...}: the feature extractors the metrics
  `names` need (InceptionV3 with `inception_weights`; `dataset`'s cached domain classifier;
  for swd, evaluation.PixelExtractor, no network)."""
  registry = registry or evaluation.METRICS
  kinds = {registry[n].extractor for n in names if n in registry}
  out = {}
  if "inception" in kinds:
    out["inception"] = InceptionExtractor(inception_weights)
  if "pixels" in kinds:
    out["pixels"] = evaluation.PixelExtractor()
  if "classifier" in kinds:
    path = classifier_lib.classifier_path(dataset, cache_dir)
    out["classifier"] = ClassifierExtractor(classifier_lib.load_classifier(dataset, cache_dir),
                                            path)
  return out


def prepare_classifier(dataset, data_dir="", cache_dir="", epochs=3, log=print):
  """The path of `dataset`'s domain classifier (for the classifier* metrics), training and
  caching it first when there is none (MNIST: ~6 min on a 2-core CPU for 3 epochs).

  Args:
    dataset: a labelled dataset with arrays: mnist, fashion_mnist or cifar10.
    data_dir: its local files; empty: tensorflow-datasets.
  Raises:
    ValueError when the dataset has no labels or is not held in arrays.
  """
  path = classifier_lib.classifier_path(dataset, cache_dir)
  if os.path.exists(path):
    return path
  train = data.open_source(dataset, "train", data_dir)
  test = data.open_source(dataset, "test", data_dir)
  if not isinstance(train, data.ArraySource) or not train.spec.num_classes:
    raise ValueError(f"a domain classifier needs a labelled array dataset (mnist, "
                     f"fashion_mnist, cifar10), got {dataset!r}.")
  classifier_lib.train_classifier((train.images, train.labels), (test.images, test.labels),
                                  train.spec.image_shape, train.spec.num_classes, path,
                                  epochs=epochs, log=log)
  return path


HOLDOUT_SPLIT = "holdout split"  # how metrics rows name a run's --holdout images


def _open_split(config, split):
  """Split `split` ('train' or 'holdout') of a GAN run's data as the run framed it; folder
  files that do not decode are skipped, as a run with skip_bad_images did."""
  c = config.data
  return data.open_source(c.dataset, split, c.data_dir, c.tfds_dir, c.image_size,
                          c.crop_fraction, c.channels, skip_bad_images=True,
                          log=lambda line: None, holdout=c.holdout)


def open_training(config):
  """The training split of a GAN run's config as the run framed it (a tfgan.data.Source):
  every image of split 'train' but the last --holdout ones; folder files that do not decode
  are skipped, as a run with skip_bad_images did."""
  return _open_split(config, "train")


def open_holdout(config):
  """The images a GAN run's --holdout=N kept out of training: the last N of its local
  dataset's split 'train' (sorted by file path), framed as the training images. Raises
  DataError naming --holdout when the run held none out."""
  return _open_split(config, "holdout")


def reference_split(config, data_dir=None):
  """What `describe` says of open_reference(config, data_dir)'s images: HOLDOUT_SPLIT for a
  run's held-out images, else '' (its training split, or a folder given instead)."""
  return HOLDOUT_SPLIT if data_dir is None and config.data.holdout else ""


def open_reference(config, data_dir=None):
  """The real images a GAN run is evaluated against: its training split, or with --holdout
  the images it held out, or with `data_dir` the run's dataset read from there instead (every
  image: for folder and celeb_a runs any folder of images, framed as the training images:
  size, crop, channels; for mnist, fashion_mnist and cifar10 a folder of that dataset's
  files). tfgan.evaluate (--data_dir) and tfgan.train (--eval_data_dir) both come here;
  reference_split names which it was."""
  if data_dir is not None:
    # A folder given instead is the reference as a whole: the run's holdout counted the
    # run's own files, not these.
    return open_training(config.replace(data_dir=data_dir, holdout=0))
  return open_holdout(config) if config.data.holdout else open_training(config)


def heldout_source(config, data_dir=None):
  """Real images a GAN run never trained on, for the nn metrics: (source, description).

  With `data_dir`: mnist, fashion_mnist and cifar10 their test split read from there; image
  folders and celeb_a every image of the folder, framed as the training images. Without: the
  run's --holdout images when it held some out; else the test split of mnist,
  fashion_mnist and cifar10. Raises ValueError naming --data_dir and --holdout for a folder
  or celeb_a run that held none out (it trained on every image of its folder).
  """
  c = config.data
  if data_dir is None and c.holdout:
    source = open_holdout(config)
    return source, describe(source, HOLDOUT_SPLIT)
  if data.DATASETS[c.dataset].native_shape is not None:
    source = data.open_source(c.dataset, "test", c.data_dir if data_dir is None else data_dir,
                              c.tfds_dir)
    return source, describe(source, "test split")
  if data_dir is None:
    raise ValueError(f"a {c.dataset} run trains on every image of {c.data_dir}: give "
                     f"--data_dir=FOLDER of images it did not train on (the held-out images "
                     f"of the nn metrics), or train with --holdout=N to hold its last N "
                     f"images out.")
  source = open_reference(config, data_dir)
  return source, describe(source)


def describe(source, split=""):
  """Where a source's images come from and how many, e.g. '/data/faces (9000 images)', for
  the `eval_split` of metrics rows."""
  spec = source.spec
  count = f"{spec.num_examples} images" if spec.num_examples else "size unknown"
  return f"{spec.origin or spec.name} ({split + ', ' if split else ''}{count})"


def _batches(source, seed):
  """A callable returning one pass over `source` in float32 [<=250, H, W, C] batches in
  [-1, 1], in the seeded shuffled order."""
  return lambda: (x for x, _ in data.make_dataset(source, 250, seed=seed, repeat=False,
                                                  cache="none", drop_remainder=False))


def evaluate_generator(generator, source, names, inception_weights="imagenet", cache_dir="",
                       seed=0, extractors=None, registry=None, heldout=None, training=None):
  """Evaluates a generator against the real images of `source` (a tfgan.data.Source: the
  training split, or images the run did not train on).

  Args:
    generator: callable z float32 [B, latent_dim] (or [z, labels]) -> images in [-1, 1]
      with the source's image shape.
    names: keys of tfgan.metrics.METRICS.
    extractors: optional prebuilt {'inception': ..., 'classifier': ...} (reused across calls,
      e.g. by the training callback).
    registry: metric specs by name; default tfgan.metrics.METRICS.
    heldout: for the nn metrics, a Source of real images the generator was not trained on.
    training: for the nn metrics, the Source the generator was trained on; default `source`.
  Returns:
    {metric: value}; see tfgan.metrics.compute.
  """
  registry = registry or evaluation.METRICS
  unknown = [n for n in names if n not in registry]
  if unknown:
    raise ValueError(f"unknown metrics {unknown}; choose from {sorted(registry)}.")
  spec = source.spec
  extractors = extractors or build_extractors(names, spec.name, inception_weights, cache_dir,
                                              registry)
  from tfgan import generation
  latent_dim = generation.latent_dim_of(generator)
  num_classes = int(getattr(generator, "num_classes", 0))
  origin = os.path.abspath(spec.origin) if os.path.isdir(spec.origin) else spec.origin
  # Everything that changes the real images: spec, crop, channels and the files themselves.
  cache_key = f"{spec.name}|{origin}|train|{source.fingerprint()}"

  return evaluation.compute(
      names, generator, latent_dim, num_classes, extractors, _batches(source, seed), cache_key,
      cache_dir, seed, registry=registry, training_batches=_batches(training or source, seed),
      heldout_batches=_batches(heldout, seed) if heldout is not None else None)


class GeneratorEvaluator:
  """A GAN's evaluation during training (a tfgan.models.base.Evaluator): the metrics `names`
  of its sampling generator (the EMA one when there is one) against `source` (the training
  split, the images --holdout kept out of it, or those of --eval_data_dir: open_reference),
  which `split` describes for the metrics rows (`split_name`: reference_split's name of it).

  The feature extractors are built here, once, so a missing classifier or unavailable
  Inception weights stop the run before training, and repeated evaluations do not grow memory.
  """

  def __init__(self, names, source, inception_weights="imagenet", cache_dir="", seed=0,
               split_name=""):
    self.names, self.source = list(names), source
    self.cache_dir, self.seed = cache_dir, seed
    self.split = describe(source, split_name)
    self.extractors = build_extractors(self.names, source.spec.name, inception_weights,
                                       cache_dir)

  # The generator's metric_protocol once called ('' when it draws nothing besides z).
  sampling = ""

  def __call__(self, model):
    self.sampling = getattr(model.sampling_generator, "metric_protocol", "")
    return evaluate_generator(model.sampling_generator, self.source, self.names,
                              cache_dir=self.cache_dir, seed=self.seed,
                              extractors=self.extractors)

  def higher_is_better(self, key):
    return evaluation.higher_is_better(key)


def evaluate_run(workdir, names, inception_weights="imagenet", cache_dir="", seed=0,
                 data_dir=None, log=print):
  """Evaluates the generator a run exported (the EMA one when the run had an EMA), prints a
  table and appends one row to WORKDIR/metrics.jsonl, with `eval_split` (the real images
  compared against), for nn metrics `eval_heldout`, and `eval_sampling` when the generator
  draws something besides z for the metrics (its metric_protocol: StyleGAN2's noise).

  Args:
    data_dir: the real images to compare against instead of the run's own (see
      open_reference: data moved, or images it did not train on); None: its --holdout images
      when it held some out, else its training split. For the nn metrics it gives the
      held-out images (heldout_source); their training images stay the run's own (mnist,
      fashion_mnist, cifar10: read from data_dir too).
  Returns:
    {metric: value, 'step': the run's step}.
  """
  from tfgan import generation
  run = rundir.RunDir(workdir)
  path = run.path(rundir.CONFIG)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"{workdir}: no config.json; not a tfgan run directory.")
  with open(path) as f:
    config = config_lib.from_dict(json.load(f))
  registry = evaluation.METRICS
  unknown = [n for n in names if n not in registry]
  if unknown:  # before any data is read
    raise ValueError(f"unknown metrics {unknown}; choose from {sorted(registry)}.")
  source = open_reference(config, data_dir)
  where = {"eval_split": describe(source, reference_split(config, data_dir))}
  heldout = training = None
  if any(registry[n].kind == "nn" for n in names):
    heldout, where["eval_heldout"] = heldout_source(config, data_dir)
    fixed_size = data.DATASETS[config.data.dataset].native_shape is not None
    if data_dir is not None and not fixed_size:
      # A folder given as data_dir is the held-out set; the nearest images are the training
      # images the run read.
      training = open_training(config)
    elif config.data.holdout:
      # The reference is the held-out split (or, read from data_dir, the whole split
      # 'train'); the nearest images are the ones the run trained on.
      training = open_training(config if data_dir is None else config.replace(data_dir=data_dir))
    else:
      training = source
  generator = generation.load_generator(workdir)
  if getattr(generator, "metric_protocol", ""):
    where["eval_sampling"] = generator.metric_protocol
  t0 = time.perf_counter()
  results = evaluate_generator(generator, source, names, inception_weights, cache_dir, seed,
                               heldout=heldout, training=training)
  step = run.last_step()
  run.append_metrics({"step": step, "eval_seconds": round(time.perf_counter() - t0, 1),
                      **where, **{f"eval/{k}": v for k, v in results.items()}})
  width = max(len(k) for k in results)
  log(f"{workdir} (step {step}), against {where['eval_split']}" + (
      f"; held out: {where['eval_heldout']}" if heldout is not None else "") + ":")
  for key, value in results.items():
    log(f"  {key:<{width}}  {value:.6g}")
  return {**results, "step": step}
