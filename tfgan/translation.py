"""Translating images with a trained image-to-image run, and evaluating one: the library
behind `python -m tfgan.translate` and `python -m tfgan.evaluate` for such runs (notebooks
call it too).

Each image is translated on its own (batch of one: in test_mode 'train' its batch-norm
statistics are its own, as in the pix2pix paper), padded by mirroring to the next size the
U-Net takes (a multiple of 2**num_downs) and cropped back.
"""

import json
import os
import time

import numpy as np

import tensorflow as tf

from tfgan import config as config_lib
from tfgan import generation, images, models, rundir
from tfgan.data import decode, folder
from tfgan.data import masks as masks_lib
from tfgan.layers import BatchNorm, NoiseDropout
from tfgan.data import pairs as pairs_lib
from tfgan.metrics import paired
from tfgan.metrics import swd as swd_lib
from tfgan.metrics import texture as texture_lib


def load_run(workdir, reverse=False):
  """(generator, flat config dict) of an image-to-image run directory; with `reverse`, a
  CycleGAN run's B -> A generator (generator_ba.keras)."""
  path = os.path.join(workdir, rundir.CONFIG)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"{workdir}: no config.json; not a tfgan run directory.")
  with open(path) as f:
    config = json.load(f)
  if config.get("family", "gan") in config_lib.NOISE_TO_IMAGE_FAMILIES:
    raise ValueError(f"{workdir} is a noise-to-image GAN run; tfgan.sample generates from it.")
  if reverse:
    if config.get("family") != "cyclegan":
      raise ValueError(f"--reverse needs a CycleGAN run (it has a B -> A generator); "
                       f"{workdir} is a {config.get('family')} run.")
    return generation.load_generator(os.path.join(workdir, "generator_ba.keras")), config
  return generation.load_generator(workdir), config


def input_transform(config):
  """The function uint8 [H, W, C] -> uint8 image that makes a run's input domain from a photo
  (the family's answer: a TRANSFORMS entry, a super-resolution run's downsampling), or None.
  config: a run's flat config.json mapping."""
  return models.FAMILIES[config["family"]].input_transform(config_lib.from_dict(config))


def translate_image(generator, image, transform=None):
  """uint8 [H, W, C] -> float32 [H * s, W * s, C_out] in [-1, 1] (s: a super-resolution
  generator's scale, else 1).

  transform: a function applied first (the run's input domain: `input_transform`), or a
  tfgan.data.pairs.TRANSFORMS name.
  Raises ValueError when the image is too small to pad to a size the network takes.
  """
  if isinstance(transform, str):
    transform = pairs_lib.TRANSFORMS[transform]
  if transform:
    image = transform(tf.convert_to_tensor(image))
  x = tf.cast(image, tf.float32) / 127.5 - 1.0
  x = tf.constant(channels_for(generator, x.numpy()[None], "the run's generator")[0])
  multiple = 2 ** generator.num_downs
  h, w = int(x.shape[0]), int(x.shape[1])
  pad_h, pad_w = -h % multiple, -w % multiple
  if pad_h > h or pad_w > w:
    raise ValueError(f"a {w}x{h} image is too small for this network, which takes sides that "
                     f"are multiples of {multiple} (images of at least {multiple // 2} px are "
                     f"padded up).")
  padded = tf.pad(x, [[0, pad_h], [0, pad_w], [0, 0]], mode="SYMMETRIC")
  scale = int(getattr(generator, "scale", 1))
  return generation.translate(generator, padded.numpy()[None])[0, :h * scale, :w * scale]


def inpaint_image(generator, image, mask):
  """uint8 [H, W, C] and mask float [H, W, 1] in {0, 1} (1 = hole) -> float32 [H, W, C] in
  [-1, 1]: the image with its hole filled by an inpainting generator (known pixels exact)."""
  x = np.asarray(image, np.float32) / 127.5 - 1.0
  x = np.concatenate([channels_for_images(generator, x), 2.0 * np.asarray(mask, np.float32)
                      - 1.0], axis=-1)
  return generation.translate(generator, x[None])[0]


def channels_for_images(generator, x):
  """x [..., H, W, C] as the image channels an inpainting generator fills (grey <-> RGB)."""
  want = generator.image_shape[-1]
  if x.shape[-1] == want:
    return x
  if want == 1:
    return x[..., :1] if x.shape[-1] == 3 else x
  return np.repeat(x, 3, axis=-1)


def translate_files(workdir, source, output, derive=False, overwrite=False, reverse=False,
                    log=print, masks=None):
  """Translates the image file or folder `source` with the run in `workdir` (with `reverse`,
  a CycleGAN run's B -> A generator), writing `output`/<base name>.png for each; returns the
  paths written. An inpainting run fills the holes given by `masks`, a folder with one mask
  per image named as it (white = hole; tfgan.data.masks.find_masks), resized to each image.

  Raises FileExistsError naming an output that exists (unless overwrite), ValueError for an
  input the network cannot take or masks that do not fit the run, DataError for missing or
  unreadable masks.
  """
  generator, config = load_run(workdir, reverse)
  needs_masks = getattr(models.FAMILIES[config["family"]], "needs_masks", False)
  if needs_masks and not masks:
    raise ValueError(f"{workdir} is an inpainting run: give --masks=FOLDER, one mask per image "
                     f"named as it (white = hole).")
  if masks and not needs_masks:
    raise ValueError(f"--masks is for inpainting runs; {workdir} is a {config['family']} run.")
  transform = input_transform(config) if derive else None
  if derive and (transform is None or reverse):
    raise ValueError(f"--derive needs a run trained on inputs derived by "
                     f"{sorted(pairs_lib.TRANSFORMS)} or a super-resolution run (and not "
                     f"--reverse: domain B is the images themselves); {workdir} used "
                     f"{config.get('domains') or config.get('pairs')}.")
  paths = ([source] if os.path.isfile(source) else
           [p.decode() for p in folder.index_folder(source).paths.numpy()])
  targets = [os.path.join(output, os.path.splitext(os.path.basename(p))[0] + ".png")
             for p in paths]
  clashes = [t for t in targets if os.path.exists(t)] if not overwrite else []
  if clashes:
    raise FileExistsError(f"{len(clashes)} outputs exist, e.g. {clashes[0]}; pass --overwrite "
                          f"to replace them.")
  if len(set(targets)) < len(targets):
    raise ValueError("two inputs share a base name; translate them into separate folders.")
  channels = (3 if transform else generator.image_shape[-1])
  # Every mask is found before any image is written: a missing one stops the run up front.
  mask_paths = masks_lib.find_masks(masks, paths) if needs_masks else [None] * len(paths)
  written = []
  for path, target, mask_path in zip(paths, targets, mask_paths):
    image = decode.decode_image(tf.io.read_file(path), channels)
    try:
      if needs_masks:
        out = inpaint_image(generator, image.numpy(),
                            masks_lib.read_mask(mask_path, tuple(image.shape[:2])))
      else:
        out = translate_image(generator, image, transform)
    except ValueError as e:
      raise ValueError(f"{path}: {e}") from None
    written.append(images.save_png(target, images.to_uint8(out), overwrite=overwrite))
  return written


def evaluate_run(workdir, data_dir=None, baseline_workdir=None, test_mode=None, log=print,
                 inception_weights=None, mask_kind=None):
  """Evaluates an image-to-image run's exported generator on the pairs of `data_dir` (derived
  pairs re-derived with the run's transform) or, by default, on the run's held-out split;
  beside it the identity baseline (the input itself, where shapes allow) and, with
  `baseline_workdir`, another run on the same pairs. Prints a table, appends one row to
  WORKDIR/metrics.jsonl and returns {model name: {key: value}}.

  test_mode: 'train' or 'inference' overrides the run's --test_mode (dropout and batch norm
  at test time), to measure what it changes.
  inception_weights: 'imagenet', a weights file or an extractor (`_inception`): also the Inception
  FID and KID of each row's outputs against the targets (fid_vs_targets, kid_vs_targets);
  None: not computed.
  mask_kind: inpainting runs: the kind of the fixed evaluation masks (seed 0) instead of the
  run's --eval_mask (the result keys name it, e.g. psnr_hole_strokes).
  """
  run = rundir.RunDir(workdir)
  with open(run.path(rundir.CONFIG)) as f:
    config = config_lib.from_dict(json.load(f))
  family = models.FAMILIES[config.model.family]
  if mask_kind is not None:
    if not family.needs_masks:
      raise ValueError(f"--mask_kind is for inpainting runs; {workdir} is a "
                       f"{config.model.family} run.")
    config = config.replace(eval_mask=mask_kind)
  if config.model.family == "cyclegan" and config.translation.domains == "folders":
    return evaluate_cycles(workdir, config, data_dir, log, inception_weights=inception_weights)
  split = "holdout" if data_dir is None and config.data.holdout else "train"
  if data_dir is None and not config.data.holdout:
    raise ValueError(f"{workdir} held no images out (--holdout=0): give --data_dir=FOLDER of "
                     f"images it did not train on.")
  pairs = family.open_pairs(config, split, log=lambda line: None, data_dir=data_dir)
  where = f"{data_dir} (all {pairs.spec.num_examples} pairs)" if data_dir else (
      f"the run's held-out split ({pairs.spec.num_examples} pairs)")

  def predictor(path):
    generator = generation.load_generator(path)
    if test_mode is not None:
      _set_test_mode(generator, test_mode)
    return lambda x: generation.translate(generator, channels_for(generator, x, path))

  score_fn = family.scores(config)
  t0 = time.perf_counter()
  # SWD of each row's outputs against the targets (paired.SWD_KEY), skipped below 16 px.
  swd_note = paired.swd_skip_reason(pairs.spec.target_shape)
  if swd_note:
    log(swd_note)
  inception = None
  if inception_weights is not None:
    if pairs.spec.target_shape[0] is None:
      log("fid_vs_targets, kid_vs_targets skipped: the images vary in size.")
    else:
      inception = _inception(inception_weights)
  texture = family.texture(config)
  score = lambda predict: paired.evaluate_pairs(  # noqa: E731
      predict, pairs, swd=not swd_note, log=log, score_fn=score_fn, inception=inception,
      texture=texture)
  table = {"model": score(predictor(workdir))}
  for name, predict in family.baselines(config, pairs.spec).items():
    table[name] = score(predict)
  if baseline_workdir:
    table[f"baseline {baseline_workdir}"] = score(predictor(baseline_workdir))
  row = {"step": run.last_step(), "eval_seconds": round(time.perf_counter() - t0, 1),
         "eval_split": where}
  if family.test_modes:
    row["test_mode"] = test_mode or config.translation.test_mode
  for name, results in table.items():
    prefix = "eval/" if name == "model" else f"eval_{name.split()[0]}/"
    row.update({f"{prefix}{k}": v for k, v in results.items() if k != "pairs"})
  run.append_metrics(row)
  mode = f", test_mode {row['test_mode']}" if "test_mode" in row else ""
  log(f"{workdir} (step {row['step']}), on {where}{mode}:")
  keys = family.score_keys(config) + ([] if swd_note else [paired.SWD_KEY]) + (
      ["fid_vs_targets", "kid_vs_targets"] if inception is not None else []) + [
          k + texture[1] for k in texture_lib.RATIO_KEYS]
  log(f"  {', '.join(texture_lib.RATIO_KEYS)}: outputs / targets, 1 = the targets' level "
      f"(BT.601 chroma and luma |Laplacian|, Hasler-Suesstrunk colourfulness"
      f"{'; inside the hole' if texture[1] else ''})")
  if not swd_note:
    log(f"  {paired.SWD_KEY} (SWD x1e3, all {pairs.spec.num_examples} outputs vs "
        f"{pairs.spec.num_examples} targets)")
  log(f"  {'':<28} " + " ".join(f"{k:>{max(9, len(k))}}" for k in keys))
  for name, r in table.items():
    log(f"  {name[:28]:<28} " + " ".join(f"{r[k]:>{max(9, len(k))}.4f}" for k in keys))
  return table


def evaluate_cycles(workdir, config, data_dir=None, log=print, batch_size=32,
                    inception_weights=None):
  """Scores a CycleGAN run on unpaired test domains (testA/ and testB/ of `data_dir`, by
  default of the run's --data_dir), where no ground truth exists: the cycle-consistency L1
  mean |F(G(a)) - a| over testA and mean |G(F(b)) - b| over testB (RGB in [0, 1]; lower is
  more faithful, 0 for any pair of inverse maps, so it does not say the outputs look like the
  other domain). Appends one row to
  WORKDIR/metrics.jsonl and returns {"model": {"cycle_l1_a": ..., "cycle_l1_b": ..., ...}}.
  Whether the outputs look like the other domain: `swd_g_vs_b`, the SWD (tfgan.metrics.swd,
  x1e3, mean over levels; `_<side>px` per level) of G(testA) against testB, and `swd_f_vs_a`,
  of F(testB) against testA, on the first n = min(len(testA), len(testB)) images of each
  (SWD compares sets of equal size; `swd_images` records n). Skipped, with a message, for
  images below 16 px. With `inception_weights`, also `fid_g_vs_b`, `kid_g_vs_b`,
  `fid_f_vs_a`, `kid_f_vs_a`: the Inception distances of all of G(testA) against all of
  testB and back (tfgan.metrics.paired.inception_vs_targets). The texture ratios of all of
  G(testA) against all of testB (`chroma_hf_ratio_g_vs_b`, `sharpness_ratio_g_vs_b`,
  `colourfulness_ratio_g_vs_b`) and of F(testB) against testA (`..._f_vs_a`;
  tfgan.metrics.texture). Memory: the test domains and their translations as uint8."""
  from tfgan.data import unpaired
  run = rundir.RunDir(workdir)
  g = generation.load_generator(workdir)
  f = generation.load_generator(os.path.join(workdir, "generator_ba.keras"))
  c = config.data
  domains = unpaired.open_domains("folders", data_dir=data_dir or c.data_dir,
                                  tfds_dir=c.tfds_dir, image_size=c.image_size,
                                  crop_fraction=c.crop_fraction, channels=c.channels,
                                  split="test", log=lambda line: None)
  t0 = time.perf_counter()
  results, kept, translated = {}, {}, {}
  for name, there, back in (("a", g, f), ("b", f, g)):
    total, count = 0.0, 0
    kept[name], translated[name] = [], []
    for x in domains.domain(name.upper()).batch(batch_size):
      kept[name].append(np.asarray(x))  # uint8, for the SWD against the other domain
      x = np.asarray(x, np.float32) / 127.5 - 1.0
      forward = generation.translate(there, x)
      translated[name].append(images.to_uint8(forward))
      cycled = generation.translate(back, forward)
      total += float(np.abs(cycled - x).mean(axis=(1, 2, 3)).sum()) / 2.0  # [-1, 1] -> [0, 1]
      count += len(x)
    results[f"cycle_l1_{name}"] = total / count
    results[f"images_{name}"] = count
  kept = {k: np.concatenate(v) for k, v in kept.items()}
  translated = {k: np.concatenate(v) for k, v in translated.items()}
  swd_note = paired.swd_skip_reason(kept["a"].shape) or paired.swd_skip_reason(kept["b"].shape)
  if swd_note:
    log(swd_note.replace(paired.SWD_KEY, "swd_g_vs_b and swd_f_vs_a"))
  else:
    n = min(len(kept["a"]), len(kept["b"]))  # equal sets: the first n of each domain
    results["swd_images"] = n
    for key, fake, real in (("swd_g_vs_b", translated["a"], kept["b"]),
                            ("swd_f_vs_a", translated["b"], kept["a"])):
      distance = swd_lib.swd(real[:n], fake[:n])
      results[key] = distance["swd"]
      results.update({f"{key}{k[len('swd'):]}": v for k, v in distance.items() if k != "swd"})
  for key, fake, real in (("g_vs_b", translated["a"], kept["b"]),
                          ("f_vs_a", translated["b"], kept["a"])):
    ratios = texture_lib.TextureRatios()  # unpaired: all of each set, their means apart
    for i in range(0, len(fake), batch_size):
      ratios.update(outputs=fake[i:i + batch_size].astype(np.float32) / 127.5 - 1.0)
    for i in range(0, len(real), batch_size):
      ratios.update(targets=real[i:i + batch_size].astype(np.float32) / 127.5 - 1.0)
    results.update({f"{k}_{key}": v for k, v in ratios.result().items()})
  if inception_weights is not None:
    extractor = _inception(inception_weights)
    for key, fake, real in (("g_vs_b", translated["a"], kept["b"]),
                            ("f_vs_a", translated["b"], kept["a"])):
      distance = paired.inception_vs_targets(fake, real, extractor)
      results.update({f"{k[:3]}_{key}": v for k, v in distance.items() if k[:3] in ("fid", "kid")
                      and not k.endswith("_std")})
  where = f"{domains.spec.origin} testA/ and testB/ ({results['images_a']} + " \
      f"{results['images_b']} images)"
  row = {"step": run.last_step(), "eval_seconds": round(time.perf_counter() - t0, 1),
         "eval_split": where, **{f"eval/{k}": v for k, v in results.items()}}
  run.append_metrics(row)
  log(f"{workdir} (step {row['step']}), on {where}:")
  log(f"  cycle_l1_a (|F(G(a)) - a|, RGB [0, 1]) {results['cycle_l1_a']:.4f}")
  log(f"  cycle_l1_b (|G(F(b)) - b|, RGB [0, 1]) {results['cycle_l1_b']:.4f}")
  if "swd_images" in results:
    n = results["swd_images"]
    log(f"  swd_g_vs_b (SWD x1e3, first {n} of G(testA) vs first {n} of testB) "
        f"{results['swd_g_vs_b']:.3f}")
    log(f"  swd_f_vs_a (SWD x1e3, first {n} of F(testB) vs first {n} of testA) "
        f"{results['swd_f_vs_a']:.3f}")
  for key, what in (("g_vs_b", "G(testA) / testB"), ("f_vs_a", "F(testB) / testA")):
    log(f"  {', '.join(texture_lib.RATIO_KEYS)} of {what} (1 = that domain's level) "
        + " ".join(f"{results[f'{k}_{key}']:.3f}" for k in texture_lib.RATIO_KEYS))
  for key in ("fid_g_vs_b", "kid_g_vs_b", "fid_f_vs_a", "kid_f_vs_a"):
    if key in results:
      log(f"  {key} (Inception, all {results['images_a']} vs {results['images_b']}) "
          f"{results[key]:.4f}")
  return {"model": results}


def _inception(weights):
  """An InceptionExtractor for `weights` ('imagenet', a file or None), or `weights` itself
  when it is an extractor already (built once by the caller; tests pass small ones): a
  callable taking float32 [B, H, W, C] in [-1, 1] to (features [B, d], logits [B, k])."""
  from tfgan.metrics.features import InceptionExtractor
  return weights if callable(weights) else InceptionExtractor(weights)


def channels_for(generator, x, name):
  """x [N, H, W, C] as the generator's input channels: grey repeated to RGB (a CycleGAN's
  grey domain) becomes one channel for a network that takes one (pix2pix's), and back."""
  want = generator.input_spec_shape[-1]  # an inpainting network also takes the mask channel
  if x.shape[-1] == want:
    return x
  if want == 1 and x.shape[-1] == 3 and np.array_equal(x[..., :1], x[..., 1:2]) and \
      np.array_equal(x[..., :1], x[..., 2:]):
    return x[..., :1]
  if want == 3 and x.shape[-1] == 1:
    return np.repeat(x, 3, axis=-1)
  raise ValueError(f"{name} takes {want}-channel inputs; these pairs have {x.shape[-1]}.")


def _set_test_mode(generator, mode):
  """Switches a loaded tfgan U-Net between the two test-time behaviours in place."""
  on = mode == "train"
  for layer in generator._flatten_layers(include_self=False, recursive=True):
    if isinstance(layer, BatchNorm):
      layer.batch_statistics = on
    elif isinstance(layer, NoiseDropout):
      layer.always = on
  generator.test_mode = mode
