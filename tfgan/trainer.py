"""`train_and_evaluate(config, workdir)`: the whole training run, importable by the CLI,
notebooks and tests alike."""

import json
import os
import time

import keras
import tensorflow as tf

from tfgan import callbacks as cb
from tfgan import config as config_lib
from tfgan import data, distribute, export, gan, networks, precision, sampling


class WorkdirError(ValueError):
  """The run directory cannot be used with this config; the message says why."""


# XLA on this project's 2-core CPU (benchmarks/results/, 2026-11-21): 1.3-1.5x for the MLP;
# for the DCGAN family 0.87x at full width (throughput.py) and 1.06-1.42x at the flagfiles'
# narrower settings (train_step.py). Off by default for convolutions on CPU: the gain is small
# where there is one and it reverses with width; --jit_compile=true where it was measured to help.
_XLA_HELPS_ON_CPU = {"mlp": True, "dcgan": False, "sndcgan": False}


def resolve_jit_compile(setting, network="dcgan", strategy=None):
  """'true'/'false' as given; 'auto' -> on when a GPU or TPU is visible, and on CPU only for
  the networks where it was measured to help (_XLA_HELPS_ON_CPU).

  XLA cannot run replicas on several logical CPU devices of one process (TF 2.21: each
  replica's compiled step runs on CPU:0 and cannot reach the variables on CPU:1), so there
  'auto' is off and 'true' is refused.
  """
  if setting not in ("auto", "true", "false"):
    raise ValueError(f"jit_compile must be auto, true or false, got {setting!r}.")
  if distribute.replicas_on_logical_cpus(strategy):
    if setting == "true":
      raise distribute.StrategyError(
          "jit_compile=true cannot run with replicas on several CPU devices of one machine "
          "(XLA places every replica's step on CPU:0); use --jit_compile=auto or false.")
    return False
  if setting in ("true", "false"):
    return setting == "true"
  if tf.config.list_physical_devices("GPU") or tf.config.list_physical_devices("TPU"):
    return True
  return _XLA_HELPS_ON_CPU.get(network, False)


def _set_aside(path):
  """Renames DIR/<name>.json to the first free DIR/<name>.<n>.json, so nothing is overwritten."""
  stem = path[:-len(".json")]
  n = 1
  while os.path.exists(f"{stem}.{n}.json"):
    n += 1
  os.replace(path, f"{stem}.{n}.json")


def prepare_workdir(config, workdir):
  """Checks `workdir` against `config` and records the config.

  A new or empty directory gets `config.json`. A directory from an earlier run with the same
  ARCHITECTURE_FIELDS resumes: a differing `config.json` is kept as `config.<n>.json` before the
  new one is written. Anything else is refused, and nothing in the directory is changed.
  """
  path = os.path.join(workdir, "config.json")
  if os.path.isfile(path):
    try:
      with open(path) as f:
        recorded = json.load(f)
    except (OSError, ValueError) as e:
      raise WorkdirError(f"{path}: unreadable run config ({e}).") from e
    new = config.to_dict()
    # A setting newer than the directory's tfgan version had its default there.
    defaults = config_lib.Config().to_dict()
    old = {**defaults, **recorded}
    clash = {k: (old.get(k), new[k]) for k in config_lib.ARCHITECTURE_FIELDS
             if old.get(k) != new[k]}
    if clash:
      details = ", ".join(f"{k}: {a!r} in the directory, {b!r} now"
                          for k, (a, b) in clash.items())
      raise WorkdirError(f"{workdir} holds a run with another architecture ({details}); its "
                         f"checkpoints cannot be resumed with this config. Use a new --workdir.")
    if recorded == new:
      return False
    _set_aside(path)
  elif os.path.isdir(workdir) and os.listdir(workdir):
    raise WorkdirError(f"{workdir} is not empty and holds no config.json, so it is not a tfgan "
                       f"run directory; refusing to write into it. Use a new --workdir.")
  os.makedirs(workdir, exist_ok=True)
  with open(path, "w") as f:
    f.write(config.to_json() + "\n")
  return True


def open_data(config, log=print):
  """Opens the training split named by `config` and, for image folders, checks that every
  file decodes (raising DataError naming them unless skip_bad_images), before any training."""
  source = data.open_source(config.dataset, "train", config.data_dir, config.tfds_dir,
                            config.image_size, config.crop_fraction, config.channels,
                            config.skip_bad_images, log=log)
  if isinstance(source, data.FolderSource):
    source.check()
  return source


def record_classes(workdir, spec, conditional):
  """Writes `classes.json` ({class name: label}) for datasets whose labels have names.

  A resumed run whose class names changed is refused when conditional (its labels would mean
  other classes); otherwise the old mapping is kept as classes.<n>.json.
  """
  if not spec.class_names:
    return
  path = os.path.join(workdir, "classes.json")
  mapping = {name: i for i, name in enumerate(spec.class_names)}
  if os.path.isfile(path):
    with open(path) as f:
      recorded = json.load(f)
    if recorded == mapping:
      return
    if conditional:
      raise WorkdirError(f"{path} maps labels to other class folders than {spec.origin} "
                         f"holds now ({sorted(recorded)} vs {sorted(mapping)}); a conditional "
                         f"run cannot resume with other labels. Use a new --workdir.")
    _set_aside(path)
  with open(path, "w") as f:
    json.dump(mapping, f, indent=2)
    f.write("\n")


def build_gan(config, image_shape, num_classes=0):
  """Builds G, D, the GAN and its optimizers (compiled, slots created) from `config`.

  Call it inside the strategy's scope; the networks take config.mixed_precision's policy.
  num_classes: the dataset's class count, used when config.conditional.
  """
  num_classes = num_classes if config.conditional else 0
  if config.conditional and num_classes < 2:
    raise ValueError(f"conditional needs a labelled dataset; {config.dataset!r} has "
                     f"{num_classes} classes.")
  options = {"num_classes": num_classes}
  if config.network in ("dcgan", "sndcgan"):
    options["kernel_size"] = config.kernel_size
  d_options = dict(conditioning=config.conditioning,
                   normalization=config_lib.resolved_d_norm(config),
                   minibatch_std=config.minibatch_std)
  with precision.policy_scope(config.mixed_precision):
    generator, discriminator = networks.build(config.network, config.latent_dim, image_shape,
                                              config.width, d_options=d_options, **options)
  if config.sync_batch_norm:
    distribute.synchronize_batch_norm(generator)
    distribute.synchronize_batch_norm(discriminator)
  model = gan.GAN(generator, discriminator, config.latent_dim, loss=config.loss,
                  d_steps=config.d_steps, seed=config.seed,
                  ema_half_life=config.ema_kimg * 1000, num_classes=num_classes,
                  label_smoothing=config.label_smoothing, gp_weight=config.gp_weight,
                  r1_gamma=config.r1_gamma, r1_every=config.r1_every,
                  weight_clip=config.weight_clip, augment=config.diffaugment)
  clip = config.clip_norm or None

  def adam(lr):
    return precision.wrap_optimizer(
        keras.optimizers.Adam(lr, beta_1=config.beta_1, beta_2=config.beta_2,
                              global_clipnorm=clip), config.mixed_precision)

  model.compile(adam(config.g_lr), adam(config.d_lr),
                jit_compile=resolve_jit_compile(config.jit_compile, config.network,
                                                tf.distribute.get_strategy()),
                steps_per_execution=config.steps_per_execution)
  model.build_optimizers()
  return model


def make_checkpoint(model):
  """A tf.train.Checkpoint of G (and its EMA), D, both optimizers (with the step counter)
  and the RNG state."""
  extra = {"ema_generator": model.ema_generator} if model.ema_generator is not None else {}
  return tf.train.Checkpoint(generator=model.generator, discriminator=model.discriminator,
                             g_optimizer=model.g_optimizer, d_optimizer=model.d_optimizer,
                             rng=model.seed_generator.state, **extra)


def _check_replicas(config, strategy):
  replicas = strategy.num_replicas_in_sync
  if config.batch_size % replicas:
    raise distribute.StrategyError(
        f"batch_size={config.batch_size} is the global batch and must divide evenly over the "
        f"{replicas} replicas of --strategy={config.strategy}; use a multiple of {replicas}.")


def train_and_evaluate(config, workdir, verbose=True):
  """Trains `config` in `workdir`, resuming from its latest checkpoint, and exports G.

  Under a multi-worker strategy every worker calls this with the same arguments; only the
  chief writes `workdir` (which all workers must see, to resume), the others write to a
  temporary directory that is removed at the end.

  Returns:
    dict with `step` (generator steps done), `status` ('completed' or 'interrupted'),
    `signal` (the signal number that interrupted, else None), the export paths, and `model`
    (the trained `tfgan.gan.GAN`).
  """
  config_lib.validate(config)
  # First: MultiWorkerMirroredStrategy must exist before TensorFlow runs any operation.
  strategy = distribute.make_strategy(config.strategy)
  _check_replicas(config, strategy)
  out = distribute.WorkerDirectory(strategy, workdir)
  try:
    return _train(config, workdir, out, strategy, verbose and out.chief)
  finally:
    out.cleanup()


def _train(config, workdir, out, strategy, verbose):
  source = open_data(config, log=print if verbose else lambda line: None)
  spec = source.spec
  if out.chief:
    prepare_workdir(config, workdir)
    record_classes(workdir, spec, config.conditional)
  keras.utils.set_random_seed(config.seed)
  with strategy.scope():
    model = build_gan(config, spec.image_shape, spec.num_classes)
  checkpoint = make_checkpoint(model)
  manager = tf.train.CheckpointManager(checkpoint, os.path.join(out.path, "checkpoints"),
                                       max_to_keep=config.keep_checkpoints)
  # Every worker resumes from the chief's checkpoints.
  latest = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
  if latest:
    checkpoint.restore(latest).assert_existing_objects_matched()
  start = model.step_count()
  if verbose:
    resumed = f"resuming from step {start}" if start else "starting"
    count = f"{spec.num_examples} images" if spec.num_examples else "size unknown"
    classes = f", {spec.num_classes} classes" if spec.num_classes else ""
    print(f"tfgan: {config.network} on {config.dataset} ({spec.origin}: {count}, "
          f"{'x'.join(map(str, spec.image_shape))}{classes}), {resumed}; workdir {workdir}; "
          f"{strategy.num_replicas_in_sync} replica(s) ({type(strategy).__name__}); "
          f"XLA {'on' if model.jit_compile else 'off'}; precision {config.mixed_precision}",
          flush=True)

  writer = tf.summary.create_file_writer(os.path.join(out.path, "tensorboard"))
  z = sampling.latents(config.num_samples, config.latent_dim, config.seed)
  if model.num_classes:
    z = [z, sampling.class_rows(config.num_samples, model.num_classes)]
  checkpointer = cb.Checkpointer(manager, config.checkpoint_every)
  stopper = cb.StopAt(config.train_steps)
  sampler = cb.SampleGrid(os.path.join(out.path, "samples"), writer, config.sample_every, z)
  callbacks = [
      cb.ProgressLogger(os.path.join(out.path, "metrics.jsonl"), writer, config.log_every,
                        config.batch_size * config.d_steps, config.train_steps, verbose),
      sampler, checkpointer,
  ]
  eval_names = [n for n in config.eval_metrics.split(",") if n]
  if eval_names:
    from tfgan.metrics.callback import EvaluateEvery  # Pulls in the metrics only when used.
    best = tf.train.CheckpointManager(checkpoint, os.path.join(out.path, "best_checkpoint"),
                                      max_to_keep=1) if config.best_metric else None
    callbacks.append(EvaluateEvery(
        config.eval_every, eval_names, source, os.path.join(out.path, "metrics.jsonl"), writer,
        config.best_metric, best, config.inception_weights, config.metrics_cache_dir,
        config.seed, log=print if verbose else lambda line: None))
  callbacks.append(stopper)  # Last: the step's evaluation and checkpoint happen first.
  if start < config.train_steps:
    # A resumed run reshuffles from a step-dependent seed rather than replaying epoch one.
    dataset = data.make_dataset(source, config.batch_size * config.d_steps,
                                shuffle_buffer=config.shuffle_buffer, seed=config.seed + start,
                                cache=config.cache,
                                cache_dir=os.path.join(out.path, "data_cache"))
    options = tf.data.Options()
    # Every worker reads the whole pipeline and keeps its share of each global batch: the
    # sources are file-name or array tensors, not files that FILE sharding could split.
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    t0 = time.perf_counter()
    model.fit(dataset.with_options(options), epochs=1,
              steps_per_epoch=config.train_steps - start, verbose=0, shuffle=False,
              callbacks=callbacks)
    if verbose:
      print(f"tfgan: trained steps {start}..{model.step_count()} in "
            f"{time.perf_counter() - t0:.1f} s", flush=True)
  step = model.step_count()
  checkpointer.save(step)
  if not os.path.exists(os.path.join(sampler.sample_dir, f"step_{step:07d}.png")):
    sampler.set_model(model)
    sampler.write(step)
  writer.flush()
  # A float32 copy outside the strategy: the exports load anywhere, without tfgan's strategy.
  generator = precision.float32_copy(model.sampling_generator,
                                     force=strategy is not tf.distribute.get_strategy())
  keras_path, saved_model_path = export.export_generator(generator, out.path)
  status = "interrupted" if stopper.signal_received is not None else "completed"
  if verbose:
    print(f"tfgan: {status} at step {step}; exported {keras_path} and {saved_model_path}",
          flush=True)
  return {"step": step, "status": status, "signal": stopper.signal_received,
          "generator_keras": keras_path, "saved_model": saved_model_path, "model": model}
