"""`train_and_evaluate(config, workdir)`: the whole training run of any family, importable by
the CLI, notebooks and tests alike: strategy -> build -> restore -> fit -> export."""

import functools
import os
import time

import tensorflow as tf

from tfgan import build as build_lib
from tfgan import config as config_lib
from tfgan import callbacks as cb
from tfgan import distribute, export, precision, rundir
from tfgan.rundir import WorkdirError  # noqa: F401  Raised here; the CLI catches it by name.


def train_and_evaluate(config, workdir, verbose=True):
  """Trains `config` in `workdir`, resuming from its latest checkpoint, and exports.

  Under a multi-worker strategy every worker calls this with the same arguments; only the
  chief writes `workdir` (which all workers must see, to resume).

  Returns:
    dict with `step` (train steps done), `status` ('completed' or 'interrupted'), `signal`
    (the signal number that interrupted, else None), the export paths (`generator_keras`,
    `saved_model`, ...: `<name>_keras` per export) and `model` (the trained FamilyModel).
  """
  family = build_lib.validate(config)
  refused = config_lib.first_stage_error(config, workdir)
  if refused:
    raise WorkdirError(refused)
  # First: MultiWorkerMirroredStrategy must exist before TensorFlow runs any operation.
  strategy = distribute.make_strategy(config.runtime.strategy)
  distribute.check_batch(config.optimization.batch_size, strategy)
  run = rundir.RunDir(workdir, chief=distribute.is_chief(strategy))
  try:
    return _train(config, family, strategy, run, verbose and run.chief)
  finally:
    run.cleanup()


def _train(config, family, strategy, run, verbose):
  log = functools.partial(print, flush=True) if verbose else (lambda line: None)
  built = build_lib.build(config, family, strategy, log)
  eval_source = _eval_source(config, built)  # opened before anything is written
  run.prepare(config, family.architecture_fields, log)
  run.record_classes(built.spec.class_names, built.spec.origin, family.uses_labels(config))
  run.attach(built.model.checkpoint_objects(), config.outputs.keep_checkpoints)
  run.restore(log)
  model, start, last = built.model, built.model.step_count(), config.optimization.train_steps
  log(_start_line(config, built, run, strategy, start))
  writer = tf.summary.create_file_writer(run.path(rundir.TENSORBOARD))
  callbacks, sampler, stopper = _callbacks(config, built, run, writer, verbose, log,
                                           eval_source)
  if start < last:
    dataset = _train_dataset(config, built, run, start)
    options = tf.data.Options()
    # Every worker reads the whole pipeline and keeps its share of each global batch: the
    # sources are file-name or array tensors, not files that FILE sharding could split.
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    t0 = time.perf_counter()
    try:
      model.fit(dataset.with_options(options), epochs=1, steps_per_epoch=last - start,
                verbose=0, shuffle=False, callbacks=callbacks)
    finally:
      stopper.on_train_end()  # signal handlers back, also when a callback raised
    log(f"tfgan: trained steps {start}..{model.step_count()} in "
        f"{time.perf_counter() - t0:.1f} s")
  step = model.step_count()
  run.save(step)
  if not os.path.exists(run.sample_path(step)):
    sampler.set_model(model)
    sampler.write(step)
  writer.flush()
  # float32 copies outside the strategy: the exports load anywhere, without tfgan's strategy.
  outside = strategy is not tf.distribute.get_strategy()
  exports = [export.Export(e.name, precision.float32_copy(e.model, force=outside), e.endpoints,
                           e.calls) for e in family.exports(model)]
  paths = export.export_all(exports, run.keras_path, run.path(rundir.SAVED_MODEL))
  status = "interrupted" if stopper.signal_received is not None else "completed"
  log(f"tfgan: {status} at step {step}; exported " + " and ".join(paths.values()))
  log(f"tfgan: samples of step {step}: {run.sample_path(step)}")
  if run.chief:
    _write_summary(run, log)
  if status == "interrupted":
    log("tfgan: to resume, run the same command again.")
  else:
    log("next:\n  " + "\n  ".join(family.next_commands(config, run.workdir)))
  return {"step": step, "status": status, "signal": stopper.signal_received, **paths,
          "model": model}


def _train_dataset(config, built, run, start):
  """The batches fit() trains on from step `start`. A resumed run reshuffles from a
  step-dependent seed rather than replaying epoch one, unless --deterministic: then it skips
  the batches the steps before `start` consumed, as an uninterrupted run would have."""
  deterministic = config.runtime.deterministic
  seed = config.runtime.seed + (0 if deterministic else start)
  dataset = built.family.train_dataset(config, built.source, seed, run.path(rundir.DATA_CACHE))
  return dataset.skip(start) if deterministic and start else dataset


def _eval_source(config, built):
  """The real images evaluations during training compare against: the training split, or
  for the gan family its --holdout images, or with --eval_data_dir (gan family) the run's
  dataset read from that folder, framed as the training images
  (tfgan.metrics.open_reference, as tfgan.evaluate reads them). Image-to-image families
  evaluate on their own held-out pairs and get the training split."""
  folder = config.evaluation.eval_data_dir
  held = config.data.holdout and built.family.name in config_lib.NOISE_TO_IMAGE_FAMILIES
  if not folder and not (held and config.evaluation.metric_names):
    return built.source
  from tfgan import data
  from tfgan.metrics import run as metrics_run  # Pulls in the metrics only when used.
  source = metrics_run.open_reference(config, folder or None)
  if source.spec.image_shape != built.spec.image_shape:
    raise data.DataError(f"eval_data_dir {folder}: images {source.spec.image_shape}, the "
                         f"training images {built.spec.image_shape}.")
  return source


def _write_summary(run, log):
  """WORKDIR/summary.png. A failure is reported, not raised: the run and its exports are
  complete by now, and the summary can be made again with tfgan.sample --summary."""
  from tfgan import summary
  try:
    log(f"tfgan: summary of the run: {summary.write_summary(run.workdir)}")
  except (OSError, ValueError, RuntimeError) as e:
    log(f"tfgan: summary.png not written ({type(e).__name__}: {e}); python -m tfgan.sample "
        f"--workdir={run.workdir} --summary tries again.")


def _callbacks(config, built, run, writer, verbose, log, eval_source=None):
  """The run's callbacks (the non-finite guard first: nothing is written from a diverged
  state; the StopAt last: a step's evaluation and checkpoint happen first), the sample grid
  writer and the stopper. Evaluations compare against `eval_source` (default the training
  split)."""
  o, e = config.outputs, config.evaluation
  preview = built.family.preview(config, built.source)
  sampler = cb.SampleGrid(run, writer, o.sample_every, preview)
  stopper = cb.StopAt(config.optimization.train_steps)
  guard = cb.NonFiniteGuard(built.model.checkpoint_objects(),
                            (o.sample_every, o.checkpoint_every, e.eval_every))
  callbacks = [guard, cb.ProgressLogger(run, writer, o.log_every,
                                 built.family.examples_per_step(config),
                                 config.optimization.train_steps, verbose),
               sampler, cb.Checkpointer(run, o.checkpoint_every)]
  evaluator = built.family.evaluator(config, eval_source or built.source, log)
  if evaluator is not None:
    callbacks.append(cb.EvaluateEvery(run, writer, e.eval_every, evaluator, e.best_metric, log))
  return callbacks + [stopper], sampler, stopper


def _start_line(config, built, run, strategy, start):
  resumed = f"resuming from step {start}" if start else "starting"
  return (f"tfgan: {built.family.describe(config, built.spec)}, {resumed}; workdir "
          f"{run.workdir}; {strategy.num_replicas_in_sync} replica(s) "
          f"({type(strategy).__name__}); XLA {'on' if built.model.jit_compile else 'off'}; "
          f"precision {config.runtime.mixed_precision}")
