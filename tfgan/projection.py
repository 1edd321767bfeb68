"""GAN inversion of a StyleGAN2 generator: the ws whose image is nearest a target photo (the
library behind `python -m tfgan.project`), after NVlabs' projector (stylegan2-ada-pytorch
projector.py; Karras et al. 2020, sec. 5 of https://arxiv.org/abs/1912.04958).

For each target, in a batch of independent problems: w starts at w_avg (the mean w of 10,000
seeds); Adam (betas 0.9, 0.999) runs `steps` steps at lr 0.1 x ramp, the ramp rising over the
first 5% and falling on a cosine over the last 25%; each step w is jittered by Gaussian
noise of std w_std x 0.05 x max(0, 1 - t / 0.75)^2 (w_std the seeds' RMS distance from
w_avg), so early steps explore; the layers' noise maps are optimised too, regularised
towards white noise (1e5 x the squared one-pixel autocorrelations at every scale down to 8
px) and renormalised to zero mean and unit variance after each step.

The distance (per target, images in [-1, 1]): the pixel loss (mean squared or absolute
error, `pixel_loss`) + ssim_weight x (1 - SSIM) (tf.image.ssim on [0, 1], an 11 px window or
the side when smaller) + vgg_weight x the VGG16 feature distance when VGG16 weights are given
(LPIPS' layers conv1_2, conv2_2, conv3_3, conv4_3, conv5_3, each unit-normalised over
channels, squared differences averaged per layer and summed; without LPIPS' learned
weights). NVlabs uses LPIPS alone; offline, without VGG weights, pixels + SSIM is what runs.

W (one w for every layer, NVlabs' default) or W+ (`w_plus`: one per layer, closer
reconstructions that edit less cleanly).
"""

import dataclasses
import math
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf

VGG16_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
_LPIPS_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
_BGR_MEAN = (103.939, 116.779, 123.68)  # keras.applications.vgg16's 'caffe' preprocessing


@dataclasses.dataclass(frozen=True)
class ProjectionConfig:
  """NVlabs' projector constants (projector.py), and the loss."""
  steps: int = 1000
  w_plus: bool = False
  pixel_loss: str = "l2"  # 'l2' or 'l1'
  ssim_weight: float = 1.0
  vgg_weight: float = 1.0  # with VGG16 weights only
  initial_lr: float = 0.1
  lr_rampup: float = 0.05  # fractions of the steps
  lr_rampdown: float = 0.25
  initial_noise_factor: float = 0.05
  noise_ramp: float = 0.75
  noise_regularize: float = 1e5
  w_avg_samples: int = 10000
  seed: int = 303

  def describe(self, vgg=False):
    """The loss, as the output's metadata records it, e.g. 'l2 + 1 x (1 - SSIM)'."""
    parts = [self.pixel_loss]
    if self.ssim_weight:
      parts.append(f"{self.ssim_weight:g} x (1 - SSIM)")
    if vgg and self.vgg_weight:
      parts.append(f"{self.vgg_weight:g} x VGG16 features")
    return " + ".join(parts)


class VGG16Distance:
  """The unweighted LPIPS-layer distance of VGG16 (module docstring): (a, b) images float32
  [B, H, W, C] in [-1, 1] -> float32 [B]. `weights`: a keras.applications.VGG16
  (include_top=False) weights file, or 'imagenet' (Keras's download)."""

  def __init__(self, weights):
    from tfgan.networks.vgg import load_application
    vgg = load_application(keras.applications.VGG16, weights)
    self.model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in _LPIPS_LAYERS])

  def __call__(self, a, b):
    def features(x):
      x = tf.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x
      x = (x + 1.0) * 127.5
      return self.model(x[..., ::-1] - tf.constant(_BGR_MEAN), training=False)

    total = 0.0
    for fa, fb in zip(features(a), features(b)):
      fa = fa * tf.math.rsqrt(tf.reduce_sum(tf.square(fa), -1, keepdims=True) + 1e-10)
      fb = fb * tf.math.rsqrt(tf.reduce_sum(tf.square(fb), -1, keepdims=True) + 1e-10)
      total += tf.reduce_mean(tf.reduce_sum(tf.square(fa - fb), -1), axis=[1, 2])
    return total


def w_statistics(generator, samples=10000, seed=123, batch_size=1000):
  """(w_avg float32 [w_dim], w_std float): the mean of `samples` seeds' w and their RMS
  distance from it, sqrt(sum ||w - w_avg||^2 / samples) (NVlabs' w_std). Conditional
  generators: labels drawn uniformly."""
  rng = np.random.RandomState(seed)
  z = rng.randn(samples, generator.latent_dim).astype(np.float32)
  labels = rng.randint(0, generator.num_classes, samples) if generator.num_classes else None
  w = np.concatenate([np.asarray(generator.mapping(
      z[i:i + batch_size], None if labels is None else labels[i:i + batch_size]))[:, 0]
      for i in range(0, samples, batch_size)])
  w_avg = w.mean(axis=0)
  return w_avg, float(np.sqrt(((w - w_avg) ** 2).sum() / samples))


def noise_regularization(maps):
  """float32 [B]: sum over maps [B, H, W, 1] and their 2x average-pooled versions down to 8 px
  of mean(v * roll(v, 1, x))^2 + mean(v * roll(v, 1, y))^2 (zero for uncorrelated noise)."""
  total = 0.0
  for v in maps:
    while True:
      total += tf.square(tf.reduce_mean(v * tf.roll(v, 1, axis=2), axis=[1, 2, 3])) + \
          tf.square(tf.reduce_mean(v * tf.roll(v, 1, axis=1), axis=[1, 2, 3]))
      if v.shape[1] <= 8:
        break
      v = tf.nn.avg_pool2d(v, 2, 2, "VALID")
  return total


def schedule(step, config):
  """(learning rate, w noise factor) at `step` of config.steps (NVlabs' ramps)."""
  t = step / config.steps
  noise = config.initial_noise_factor * max(0.0, 1.0 - t / config.noise_ramp) ** 2
  ramp = min(1.0, (1.0 - t) / config.lr_rampdown)
  ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
  ramp *= min(1.0, t / config.lr_rampup)
  return config.initial_lr * ramp, noise


def project(generator, targets, config=ProjectionConfig(), vgg: Optional[VGG16Distance] = None,
            progress: Optional[Callable[[int, np.ndarray, np.ndarray], None]] = None,
            w_stats=None):
  """Projects targets float32 [B, H, W, C] in [-1, 1] (the generator's size) independently.

  Returns a dict: ws float32 [B, num_ws, w_dim] (the last step's, without the jitter),
  images float32 [B, H, W, C] (synthesis of ws with the optimised noise), noise (the maps),
  loss float32 [steps, B] and psnr float32 [steps, B] (dB, images in [0, 1]) per step.
  progress(step, loss [B], psnr [B]) is called after each step. w_stats: w_statistics'
  (w_avg, w_std) for this generator and config.w_avg_samples, when the caller has them
  (batches of one projection compute them once).
  """
  targets = tf.constant(np.asarray(targets, np.float32))
  b = int(targets.shape[0])
  side = int(targets.shape[1])
  if tuple(targets.shape[1:]) != tuple(generator.image_shape):
    raise ValueError(f"targets must be [B, {', '.join(map(str, generator.image_shape))}], got "
                     f"{list(targets.shape)}.")
  if config.pixel_loss not in ("l1", "l2"):
    raise ValueError(f"pixel_loss must be 'l1' or 'l2', got {config.pixel_loss!r}.")
  w_avg, w_std = w_stats or w_statistics(generator, config.w_avg_samples)
  layers = generator.num_ws if config.w_plus else 1
  w_opt = tf.Variable(np.tile(w_avg[None, None], (b, layers, 1)), name="w")
  rng = tf.random.Generator.from_seed(config.seed)
  noise = [tf.Variable(rng.normal([b] + list(layer.noise_const.shape)), name=f"noise_{i}")
           for i, layer in enumerate(generator.noise_layers())]
  optimizer = keras.optimizers.Adam(learning_rate=config.initial_lr, beta_1=0.9, beta_2=0.999)
  variables = [w_opt] + noise
  filter_size = min(11, side)

  def distance(images):
    error = images - targets
    pixel = tf.abs(error) if config.pixel_loss == "l1" else tf.square(error)
    d = tf.reduce_mean(pixel, axis=[1, 2, 3])
    if config.ssim_weight:
      d += config.ssim_weight * (1.0 - tf.image.ssim((images + 1) / 2, (targets + 1) / 2, 1.0,
                                                     filter_size=filter_size))
    if vgg is not None and config.vgg_weight:
      d += config.vgg_weight * vgg(images, targets)
    return d

  def render(w):
    ws = tf.broadcast_to(w, [b, generator.num_ws, w.shape[-1]])
    return generator.synthesis(ws, noise=noise)

  @tf.function
  def step(lr, w_noise_scale):
    optimizer.learning_rate.assign(lr)
    with tf.GradientTape() as tape:
      jitter = rng.normal(tf.shape(w_opt)) * w_noise_scale
      images = render(w_opt + jitter)
      d = distance(images)
      loss = tf.reduce_sum(d + config.noise_regularize * noise_regularization(noise))
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    for v in noise:  # back to zero mean and unit variance, per map
      v.assign(v - tf.reduce_mean(v, axis=[1, 2, 3], keepdims=True))
      v.assign(v * tf.math.rsqrt(tf.reduce_mean(tf.square(v), axis=[1, 2, 3], keepdims=True)))
    mse = tf.reduce_mean(tf.square((images - targets) / 2.0), axis=[1, 2, 3])
    return d, 10.0 * tf.math.log(1.0 / tf.maximum(mse, 1e-12)) / tf.math.log(10.0)

  losses, psnrs = [], []
  for i in range(config.steps):
    lr, factor = schedule(i, config)
    d, psnr = step(tf.constant(lr, tf.float32), tf.constant(w_std * factor, tf.float32))
    losses.append(d.numpy())
    psnrs.append(psnr.numpy())
    if progress is not None:
      progress(i + 1, losses[-1], psnrs[-1])
  ws = np.broadcast_to(w_opt.numpy(), (b, generator.num_ws, w_avg.shape[0])).astype(np.float32)
  return {"ws": ws, "images": np.asarray(render(w_opt)), "noise": [v.numpy() for v in noise],
          "loss": np.stack(losses), "psnr": np.stack(psnrs)}


def read_targets(paths, generator, crop_fraction=1.0):
  """Images float32 [N, side, side, C] in [-1, 1] of image files, each cropped to its centred
  square (crop_fraction of the shorter side: the run's framing) and resized to the generator's
  side. Raises ValueError naming the file that is not an image or whose channels the
  generator cannot take (grey for a colour generator, colour for a grey one)."""
  side, channels = generator.image_shape[0], generator.image_shape[-1]
  out = []
  for path in paths:
    try:
      image = tf.io.decode_image(tf.io.read_file(path), channels=0, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
      raise ValueError(f"{path}: not a readable image (JPEG, PNG, BMP or GIF): "
                       f"{e.message.splitlines()[0]}") from None
    have = int(image.shape[-1])
    if (channels == 3) != (have >= 3):
      kind = {1: "grey", 2: "grey with alpha", 3: "RGB", 4: "RGBA"}[have]
      raise ValueError(f"{path}: a {kind} image ({have} channels); this run's generator makes "
                       f"{channels}-channel images.")
    out.append(frame(image[..., :3] if channels == 3 else image[..., :1], side, crop_fraction))
  return np.stack(out).astype(np.float32)


def frame(image, side, crop_fraction=1.0):
  """uint8 image [H, W, C] -> float32 [side, side, C] in [-1, 1]: its centred square
  (crop_fraction of the shorter side) resized to `side` (tfgan.data.decode.center_crop_resize,
  as the training images were framed)."""
  from tfgan.data import decode
  framed = decode.center_crop_resize(tf.cast(image, tf.float32), side, crop_fraction)
  return np.clip(framed.numpy() / 127.5 - 1.0, -1.0, 1.0).astype(np.float32)


def crop_fraction_of(run_config):
  """The crop fraction a run framed its training images with, from its flat config.json
  dict: crop_fraction, or its dataset's own (108/178 for celeb_a), or 1."""
  from tfgan import data
  info = data.DATASETS.get(run_config.get("dataset"))
  return float(run_config.get("crop_fraction") or getattr(info, "crop_fraction", None) or 1.0)


def project_files(workdir, source, output, config=ProjectionConfig(), vgg_weights=None,
                  batch_size=16, overwrite=False, log=print):
  """Projects the image file or folder `source` with the StyleGAN2 run in `workdir`, writing
  into `output`, for each input stem: `<stem>.png` (the reconstruction), `<stem>_target.png`
  (the input as framed for the run) and `<stem>.npz` (ws [1, num_ws, w_dim], which
  `tfgan.sample --latents` renders and mixes, the image, the optimised noise maps
  `noise_<k>`, and the loss, steps, space, PSNR and SSIM);
  and projection.json with every input's PSNR and SSIM. Returns its rows.

  Raises FileExistsError naming an output that exists (unless overwrite, checked before any
  work), ValueError for inputs the run cannot take or a run that is not StyleGAN2.
  """
  import json
  import os
  from tfgan import files, generation, images, styles
  from tfgan.data import folder
  from tfgan.metrics import restoration
  generator = generation.load_generator(workdir)
  styles.check_stylegan(generator, "tfgan.project")
  paths = ([source] if os.path.isfile(source) else
           [p.decode() for p in folder.index_folder(source).paths.numpy()])
  stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
  if len(set(stems)) < len(stems):
    raise ValueError("two inputs share a base name; project them into separate folders.")
  outputs = [os.path.join(output, s + suffix) for s in stems
             for suffix in (".png", "_target.png", ".npz")] + [
                 os.path.join(output, "projection.json")]
  clashes = [p for p in outputs if os.path.exists(p)] if not overwrite else []
  if clashes:
    raise FileExistsError(f"{len(clashes)} outputs exist, e.g. {clashes[0]}; pass --overwrite "
                          f"to replace them.")
  crop = 1.0  # a bare generator.keras: the whole centred square
  config_path = os.path.join(workdir, "config.json") if os.path.isdir(workdir) else ""
  if config_path and os.path.isfile(config_path):
    with open(config_path) as f:
      crop = crop_fraction_of(json.load(f))
  targets = read_targets(paths, generator, crop)  # every input checked before any work
  vgg = VGG16Distance(vgg_weights) if vgg_weights else None
  loss = config.describe(vgg is not None)
  os.makedirs(output, exist_ok=True)
  rows, w_stats = [], w_statistics(generator, config.w_avg_samples)
  for start in range(0, len(paths), batch_size):
    part = slice(start, start + batch_size)
    log(f"projecting {paths[part][0]}" + (f" and {len(paths[part]) - 1} more"
                                          if len(paths[part]) > 1 else "") +
        f": {config.steps} steps, loss {loss}, {'W+' if config.w_plus else 'W'}")

    def progress(step, losses, psnr):
      if step % max(1, config.steps // 10) == 0 or step == config.steps:
        bar = "#" * (10 * step // config.steps)
        log(f"  [{bar:<10}] step {step}/{config.steps} | loss {losses.mean():.4f} | "
            f"PSNR {psnr.mean():.2f} dB")

    result = project(generator, targets[part], config, vgg, progress, w_stats)
    psnr = restoration.psnr((result["images"] + 1) / 2, (targets[part] + 1) / 2)
    ssim = (restoration.ssim((result["images"].astype(np.float64) + 1) / 2,
                             (targets[part].astype(np.float64) + 1) / 2)
            if generator.image_shape[0] >= 11 else np.full(len(psnr), np.nan))
    for i, (path, stem) in enumerate(zip(paths[part], stems[part])):
      image = result["images"][i:i + 1]
      images.save_png(os.path.join(output, stem + ".png"), images.to_uint8(image[0]),
                      overwrite=overwrite)
      images.save_png(os.path.join(output, stem + "_target.png"),
                      images.to_uint8(targets[part][i]), overwrite=overwrite)
      # The optimised noise maps beside ws: the reconstruction is made with them (ws alone,
      # as tfgan.sample --latents renders them, use the run's fixed maps).
      maps = {f"noise_{k}": m[i:i + 1] for k, m in enumerate(result["noise"])}
      styles.save_ws(os.path.join(output, stem + ".npz"), result["ws"][i:i + 1], image,
                     loss=loss, steps=config.steps, space="W+" if config.w_plus else "W",
                     psnr=float(psnr[i]), ssim=float(ssim[i]), source=path, **maps)
      rows.append({"input": path, "psnr": round(float(psnr[i]), 3),
                   "ssim": round(float(ssim[i]), 4), "loss": loss, "steps": config.steps,
                   "space": "W+" if config.w_plus else "W"})
  with files.atomic_path(os.path.join(output, "projection.json")) as tmp:
    with open(tmp, "w") as f:
      json.dump(rows, f, indent=1)
  return rows
