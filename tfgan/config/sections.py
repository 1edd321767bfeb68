"""The one home of tfgan's defaults: frozen dataclasses, one per section of a run's settings,
and `Config`, which holds one of each.

Every field is a flag of `tfgan.train` with the same name, default and help text (flag names
are unique across sections, so flagfiles stay flat). Units are given in each help text; steps
count train steps (generator updates for GANs). This module imports nothing from tfgan.
"""

import dataclasses
import json
from typing import Any, Dict, Mapping

JIT_CHOICES = ("auto", "true", "false")
STRATEGY_CHOICES = ("auto", "default", "mirrored", "multi_worker", "tpu")
PRECISION_CHOICES = ("none", "mixed_float16", "mixed_bfloat16")
CACHE_CHOICES = ("auto", "memory", "file", "none")


def _field(default, help_text):
  return dataclasses.field(default=default, metadata={"help": help_text})


@dataclasses.dataclass(frozen=True)
class DataConfig:
  """Where the training images come from and how they are framed (tfgan.data)."""
  dataset: str = _field(
      "mnist", "Dataset name: mnist, fashion_mnist, cifar10, celeb_a (tensorflow-datasets or "
      "local files) or folder (any folder of images; class sub-folders become labels).")
  data_dir: str = _field(
      "", "Folder with the dataset's original files: the four IDX files (mnist, fashion_mnist), "
      "cifar-10-python.tar.gz or its batches (cifar10), the aligned JPEGs img_align_celeba/ "
      "(celeb_a), any images (folder). Searched, never written. Empty: tensorflow-datasets.")
  tfds_dir: str = _field("", "tensorflow-datasets data_dir (empty: TFDS default, "
                         "~/tensorflow_datasets).")
  image_size: int = _field(0, "Side in pixels that celeb_a and folder images are resized to "
                           "(32, 64 or 128 for dcgan); 0: 64. Fixed-size datasets take 0.")
  crop_fraction: float = _field(
      0.0, "Side of the centred square crop, as a fraction of the shorter image side, for "
      "celeb_a and folder; 0: the dataset's convention (108/178 for celeb_a as in DCGAN, 1 for "
      "folder).")
  channels: int = _field(0, "folder images: 3 (RGB; grey repeated, alpha dropped) or 1 (grey "
                         "by luminance); 0: 3.")
  skip_bad_images: bool = _field(
      False, "Train without folder files that do not decode (reported by path). Default: such "
      "files stop the run before training starts.")
  cache: str = _field(
      "auto", "Cache of decoded, resized examples: memory, file (WORKDIR/data_cache), none "
      "(stream from disk), or auto (memory when they fit in 2 GiB, else none).")
  shuffle_buffer: int = _field(60000, "Shuffle buffer, in examples.")
  holdout: int = _field(
      0, "Hold out the last N images of a local dataset (sorted by file path): never trained "
      "on; image-to-image runs preview them, gan runs evaluate against them (eval_metrics, and "
      "nn1k's held-out images), and tfgan.evaluate scores them. 0: none.")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
  """Which family trains which networks (tfgan.models, tfgan.networks)."""
  family: str = _field("gan", "Model family from tfgan.models.FAMILIES: gan (noise-to-image), "
                       "pix2pix (paired image-to-image translation), cyclegan (unpaired), "
                       "esrgan (super-resolution), inpaint (hole filling) or stylegan2 "
                       "(noise-to-image, StyleGAN2's training).")
  network: str = _field("dcgan", "Network pair from tfgan.networks.NETWORKS: mlp, dcgan, "
                        "sndcgan (dcgan with a deeper, spectrally normalised D) or resnet "
                        "(SNGAN's ResNet G and spectrally normalised D); for pix2pix "
                        "unet (U-Net G, PatchGAN D); for cyclegan resnet (ResNet G, PatchGAN "
                        "D); for esrgan rrdb (RRDB G, spectrally normalised PatchGAN D); for "
                        "inpaint gated (gated-convolution G, SN-PatchGAN D); for stylegan2 "
                        "stylegan2 (mapping + synthesis G, residual D).")
  width: float = _field(1.0, "Width multiplier for the channel/unit counts of the networks.")
  kernel_size: int = _field(
      4, "dcgan convolution kernel size (4 in Radford et al.; 3 ran ~3x faster on a 2-core CPU). "
      "Ignored by mlp and resnet.")


@dataclasses.dataclass(frozen=True)
class GANConfig:
  """The noise-to-image GAN family (tfgan.models.gan)."""
  latent_dim: int = _field(100, "Length of the generator's latent vector z ~ N(0, I).")
  conditional: bool = _field(False, "Condition G and D on the dataset's class labels (cGAN).")
  conditioning: str = _field("projection", "How a conditional D sees labels: projection "
                             "(Miyato & Koyama 2018) or concat (one-hot input planes).")
  d_norm: str = _field("auto", "D normalization: batch, spectral, none, or auto (batch for "
                       "dcgan, spectral for sndcgan, none for mlp).")
  minibatch_std: bool = _field(False, "Minibatch standard-deviation feature in D (Karras et "
                               "al. 2018), against mode collapse.")
  d_steps: int = _field(1, "Discriminator updates per generator update.")
  info_codes: int = _field(
      0, "InfoGAN (Chen et al. 2016): categories K of an unsupervised code c = argmax of z's "
      "first K entries, fed to G as one-hot and predicted by a Q head on D; sample grids then "
      "show a row per code. 0 disables; not with --conditional.")
  info_weight: float = _field(1.0, "InfoGAN's lambda: weight of Q's cross-entropy on the "
                              "code in both losses (1 in the paper).")
  clusters: int = _field(
      0, "Cluster conditioning (Sage et al. 2018; Liu et al. 2020, with fixed clusters): "
      "k-means of the training images' pixels (PCA to 50 dims, at most 32x32, fitted on "
      "20,000 images) into K clusters before training; D is conditioned on each image's "
      "cluster, G draws its cluster from z in the clusters' shares, and the exported "
      "generator stays unconditional. 0 disables; not with --conditional or --info_codes.")


@dataclasses.dataclass(frozen=True)
class StyleConfig:
  """StyleGAN2's own settings (tfgan.models.stylegan2); with gan's latent_dim, conditional."""
  mapping_layers: int = _field(2, "stylegan2: mapping network layers (2: NVlabs' 'auto' "
                               "configuration; 8 in the paper).")
  style_mixing: float = _field(0.9, "stylegan2: probability that a batch mixes two latents' "
                               "styles from a random layer on (0.9 in the paper; 0 disables).")
  pl_weight: float = _field(2.0, "stylegan2: weight of the path-length regularizer of G (2 in "
                            "the paper; 0 disables).")
  pl_every: int = _field(4, "stylegan2: iterations between path-length steps (lazy "
                         "regularization, 4 in the paper); R1's interval is --r1_every (16).")
  ema_rampup: float = _field(0.05, "stylegan2: the EMA's half-life is at most this fraction "
                             "of the images seen so far (NVlabs' ramp; 0: none).")


@dataclasses.dataclass(frozen=True)
class TranslationConfig:
  """Image-to-image families (tfgan.models.pix2pix): pairs, their jitter, and the losses."""
  pairs: str = _field(
      "edges", "Where (input, target) pairs come from: edges, grey, blur or downsample (the "
      "input is that transform of each image of --dataset, the target the image), "
      "side_by_side (pix2pix-format A|B images in --data_dir), or folders (inputs in "
      "--data_dir, targets of the same file names in --target_dir).")
  target_dir: str = _field("", "pairs=folders: the folder of target images.")
  direction: str = _field(
      "AtoB", "side_by_side and folders: AtoB maps A (the left half, or --data_dir) to B (the "
      "right half, or --target_dir); BtoA the reverse (the pix2pix facades: BtoA maps label "
      "maps to photos).")
  jitter: bool = _field(
      True, "Random jitter of training pairs (pix2pix): resize up by 286/256, random crop "
      "back, random left-right flip, identical for input and target; never at evaluation. "
      "esrgan: flips and transposes; inpaint: left-right flips of the images.")
  lambda_l1: float = _field(100.0, "Weight of the L1 distance to the target in G's loss "
                            "(100 in pix2pix).")
  lambda_gan: float = _field(1.0, "Weight of the adversarial term in G's loss; 0 trains the "
                             "same U-Net on L1 alone (the baseline).")
  test_mode: str = _field(
      "train", "How the generator's dropout and batch norm run when translating, previewing, "
      "evaluating and in the exports: train (the pix2pix paper: dropout on, the batch's own "
      "statistics) or inference (dropout off, moving averages).")
  norm: str = _field("auto", "Normalization in the translation networks: batch, instance or "
                     "none; auto: batch for pix2pix, instance for cyclegan (the papers').")
  upsample: str = _field("transpose", "U-Net decoder upsampling: transpose (4x4 stride-2 "
                         "transposed convolutions, the paper's) or resize (bilinear + 3x3 "
                         "convolution, no checkerboard artefacts).")
  d_layers: int = _field(3, "PatchGAN stride-2 layers: 3 gives 70x70 patches (the paper), 2 "
                         "34x34, 1 16x16, 4 142x142.")
  patch_norm: str = _field(
      "auto", "pix2pix: the PatchGAN's normalization: batch, instance, none or spectral "
      "(SN-PatchGAN); auto: as --norm. --r1_gamma needs one without batch norm.")
  feature_matching_weight: float = _field(
      0.0, "pix2pix, inpaint: weight of discriminator feature matching in G's loss (pix2pixHD's "
      "L1 between D's activations on real and generated inputs; 10 in pix2pixHD); 0: off.")
  gan_ramp_steps: int = _field(
      0, "pix2pix, inpaint: G updates over which the adversarial weight rises linearly from 0 "
      "to its value (for a G started from an L1 model with --init_from); 0: full from the "
      "first step.")
  domains: str = _field(
      "folders", "cyclegan: where the unpaired domains A and B come from: folders (--data_dir "
      "holds trainA/ and trainB/, as the CycleGAN datasets; --data_dir=cyclegan:NAME downloads "
      "one, --data_dir=tfds:cycle_gan/NAME reads tensorflow-datasets'), or edges, grey, blur, "
      "downsample (the images of --dataset split by file order into two disjoint halves: the "
      "even-numbered ones transformed are A, the odd-numbered ones are B).")
  lambda_cycle: float = _field(10.0, "cyclegan: weight of each cycle-consistency L1 term "
                               "(10 in the paper).")
  lambda_identity: float = _field(
      0.5, "cyclegan: identity L1 |G_AB(b) - b| + |G_BA(a) - a| weighted lambda_identity x "
      "lambda_cycle (0.5 in the paper); 0: off.")
  pool_size: int = _field(50, "cyclegan: past fakes each discriminator also sees (50 in the "
                          "paper); 0: only the current batch.")
  resnet_blocks: int = _field(0, "cyclegan: residual blocks of the ResNet generators; 0: 6 "
                              "below 256 px, 9 from 256 px (the paper).")


@dataclasses.dataclass(frozen=True)
class RestorationConfig:
  """Restoration: super-resolution (tfgan.models.esrgan: the degradation, the RRDB generator's
  size, the loss weights of ESRGAN's two stages, and where the second starts from) and
  inpainting (tfgan.models.inpaint: masks, the gated generator's stages, the loss weights)."""
  scale: int = _field(4, "esrgan: upscaling factor, 2, 4 or 8: LR = bicubic (antialiased) "
                      "resize of each image to 1/scale, rounded to uint8 like a saved PNG.")
  patch_size: int = _field(
      0, "esrgan with --dataset=folder: train on random patch_size x patch_size HR crops of "
      "the full-size images (DIV2K-style; 128 in ESRGAN at x4) and evaluate on whole held-out "
      "images; 0: the images as the data source frames them (--image_size).")
  rrdb_features: int = _field(64, "esrgan: RRDB generator channels (64 in ESRGAN).")
  rrdb_blocks: int = _field(23, "esrgan: residual-in-residual dense blocks (23 in ESRGAN).")
  rrdb_growth: int = _field(32, "esrgan: dense-block growth channels (32 in ESRGAN).")
  rrdb_skip: str = _field(
      "none", "esrgan: none (ESRGAN's RRDB) or bicubic (the output is added to the bicubic "
      "upsampling of the input: VDSR's global residual, which starts G at the bicubic image).")
  pixel_weight: float = _field(1.0, "esrgan: weight of L1 |G(LR) - HR| in G's loss (1 for "
                               "ESRGAN's PSNR-oriented model, 1e-2 in its GAN stage).")
  perceptual_weight: float = _field(0.0, "esrgan: weight of the perceptual L1 term (1 in "
                                    "ESRGAN's GAN stage); 0: off.")
  adversarial_weight: float = _field(
      0.0, "esrgan: weight of the relativistic-average GAN term in G's loss (5e-3 in ESRGAN's "
      "GAN stage); inpaint: weight of the --loss pair's GAN term (hinge in DeepFill v2); 0: no "
      "discriminator is trained (the PSNR-oriented / L1-only model).")
  perceptual: str = _field(
      "auto", "esrgan: the perceptual features: vgg19 (conv5_4 before its ReLU, as ESRGAN; "
      "needs --vgg_weights), d_features (L1 between D's intermediate features of HR and "
      "G(LR), pix2pixHD's feature matching: needs no weights), or auto (vgg19 when "
      "--vgg_weights is given, else d_features).")
  vgg_weights: str = _field("", "esrgan: VGG19 weights for perceptual=vgg19: a Keras weights "
                            "file of keras.applications.VGG19(include_top=False), or "
                            "'imagenet' (Keras downloads them, 80 MB).")
  init_from: str = _field("", "esrgan, inpaint, pix2pix: a finished run directory whose "
                          "exported generator initialises G (ESRGAN starts its GAN stage from "
                          "the PSNR model); its architecture must match. Used when the run "
                          "starts, not when it resumes.")
  first_stage: str = _field(
      "", "Set by a second-stage flagfile: the flagfile whose finished run --init_from must "
      "name. A run with it and without --init_from is refused before anything is written.")
  mask_kind: str = _field(
      "mixed", "inpaint: training masks (tfgan.data.masks): centre, boxes, strokes, mixed "
      "(boxes and strokes, DeepFill v2's mix) or a comma list such as centre,strokes (the mask "
      "bank alternates the kinds).")
  centre_fraction: float = _field(0.5, "inpaint: side of the centre box as a fraction of the "
                                  "image side (0.5: a hole of 25%), in training and evaluation.")
  box_max_fraction: float = _field(0.4, "inpaint: largest side of a random box (boxes, mixed) "
                                   "as a fraction of the image side; the smallest is 0.1.")
  mask_bank: int = _field(4096, "inpaint: training masks drawn once (seeded by --seed), each "
                          "example taking one at random, flipped at random.")
  eval_mask: str = _field(
      "centre", "inpaint: the fixed masks of evaluation (mask i of seed 0 for held-out image "
      "i): centre, boxes, strokes or mixed; tfgan.evaluate --mask_kind scores another.")
  inpaint_stages: int = _field(1, "inpaint: 1 (DeepFill v2's coarse network) or 2 (coarse, "
                               "then its refinement network, without contextual attention).")
  hole_weight: float = _field(1.0, "inpaint: weight of L1 over the hole pixels (mean over "
                              "them) in G's loss, per stage.")
  valid_weight: float = _field(1.0, "inpaint: weight of L1 over the known pixels (mean over "
                               "them) in G's loss, per stage (before compositing).")


@dataclasses.dataclass(frozen=True)
class ObjectiveConfig:
  """The adversarial objective: loss pair, penalties, augmentation (tfgan.losses, ...)."""
  loss: str = _field("non_saturating", "Loss pair from tfgan.losses.LOSSES.")
  label_smoothing: float = _field(0.0, "One-sided label smoothing of D's real target, e.g. "
                                  "0.1 (cross-entropy losses only).")
  gp_weight: float = _field(0.0, "WGAN-GP gradient penalty weight lambda (10 in the paper); "
                            "0 disables.")
  weight_clip: float = _field(0.0, "WGAN weight clipping bound c (0.01 in the paper); 0 "
                              "disables.")
  r1_gamma: float = _field(0.0, "R1 penalty weight gamma on real images; 0 disables.")
  r1_every: int = _field(1, "Apply R1 every k-th D step, scaled by k (lazy regularization).")
  diffaugment: str = _field("", "DiffAugment ops applied to all images D sees, e.g. "
                            "color,translation,cutout; empty disables.")
  ada: bool = _field(False, "Adaptive discriminator augmentation (Karras et al. 2020; "
                     "gan and stylegan2): the 'bgc' pipeline on every image D sees, each op "
                     "with probability p, p steered so E[sign D(real)] stays at --ada_target.")
  ada_target: float = _field(0.6, "ADA: the target of E[sign D(augmented reals)] (0.6).")
  ada_kimg: float = _field(500.0, "ADA: thousands of images for p to move by 1 (500 in the "
                           "paper, 100 for transfer; shorter runs need fewer).")
  ada_p: float = _field(0.0, "ADA's p: with --ada where it starts; without --ada a fixed p "
                        "in [0, 0.999] (0: no ADA).")


@dataclasses.dataclass(frozen=True)
class OptimizationConfig:
  """Batch, optimizers, averaging and run length."""
  batch_size: int = _field(64, "Global batch size, in images per generator step.")
  g_lr: float = _field(2e-4, "Generator Adam learning rate.")
  d_lr: float = _field(2e-4, "Discriminator Adam learning rate.")
  beta_1: float = _field(0.5, "Adam beta_1 for both optimizers.")
  beta_2: float = _field(0.999, "Adam beta_2 for both optimizers.")
  clip_norm: float = _field(0.0, "Clip each network's gradients to this global norm; 0 disables.")
  ema_kimg: float = _field(
      0.0, "Half-life of the exponential moving average of G's weights, in thousands of real "
      "images; 0 disables. Samples and exports then use the averaged generator.")
  train_steps: int = _field(5000, "Total generator steps; a resumed run continues up to this "
                            "count.")
  lr_decay_start: int = _field(
      0, "Steps at the initial learning rates; after them both decay linearly to 0 at "
      "train_steps (pix2pix and CycleGAN: half the run). 0: constant rates.")


@dataclasses.dataclass(frozen=True)
class RuntimeConfig:
  """Seed, compilation and devices."""
  seed: int = _field(0, "Seed for weights, data order, latents and the fixed sample batch.")
  steps_per_execution: int = _field(
      1, "Train steps per tf.function call; > 1 cuts per-step Python overhead. log_every, "
      "sample_every, checkpoint_every and train_steps must be multiples of it.")
  jit_compile: str = _field(
      "auto", "XLA for the train step: true, false, or auto (on with a GPU or TPU; on CPU only "
      "for mlp: measured 1.37x faster there, while it made the DCGAN step ~2x slower).")
  deterministic: bool = _field(
      False, "Bit-identical runs: TensorFlow op determinism on, and a resumed run replays the "
      "data order of an uninterrupted one (it skips the batches already trained, which costs "
      "reading them once). N steps straight equal N/2 + resume + N/2. Step time on a 2-core "
      "CPU: unchanged (on/off 1.03 mnist_dcgan, 1.01 mnist_gan, benchmarks/determinism.py); "
      "GPUs have slower deterministic kernels for some ops.")
  strategy: str = _field(
      "auto", "tf.distribute strategy: auto (multi_worker when TF_CONFIG lists several "
      "workers, mirrored with more than one GPU, else default), default (one device), mirrored "
      "(all GPUs of this machine), multi_worker (TF_CONFIG), tpu.")
  sync_batch_norm: bool = _field(
      False, "Batch norm statistics over the global batch (an all-reduce per layer and step) "
      "instead of per replica. Without it each replica normalizes its own slice.")
  mixed_precision: str = _field(
      "none", "none (float32), mixed_float16 (loss-scaled; GPUs with tensor cores) or "
      "mixed_bfloat16 (TPUs, recent GPUs); variables, images and D's logits stay float32.")


@dataclasses.dataclass(frozen=True)
class OutputsConfig:
  """What the run directory receives, and how often."""
  log_every: int = _field(100, "Steps between progress lines, metrics.jsonl rows and "
                          "TensorBoard scalars.")
  sample_every: int = _field(500, "Steps between sample grids (PNG and TensorBoard image).")
  checkpoint_every: int = _field(1000, "Steps between checkpoints.")
  keep_checkpoints: int = _field(3, "Checkpoints kept by the CheckpointManager.")
  num_samples: int = _field(64, "Images in each sample grid (a square number makes a square grid).")


@dataclasses.dataclass(frozen=True)
class EvaluationConfig:
  """Evaluation during training (tfgan.metrics)."""
  eval_metrics: str = _field(
      "", "Comma-separated names from tfgan.metrics.METRICS evaluated every eval_every steps "
      "(e.g. classifier1k,fid1k,swd1k); empty: none.")
  eval_every: int = _field(0, "Steps between evaluations; needed with eval_metrics.")
  eval_data_dir: str = _field(
      "", "gan family: evaluate against the images of this folder (the run's --dataset read "
      "from it, framed as the training images; for image folders and celeb_a any folder of "
      "images) instead of the training data: images the run does not train on. Recorded as "
      "eval_split in metrics.jsonl. Empty: the --holdout images, or without them the training "
      "data.")
  best_metric: str = _field(
      "", "A result of eval_metrics (e.g. fid1k, pr1k_recall, classifier1k_kl_uniform) whose "
      "best value keeps a checkpoint in WORKDIR/best_checkpoint/ (recorded in best.json).")
  inception_weights: str = _field("imagenet", "InceptionV3 weights for fid/kid/is/pr: "
                                  "'imagenet' (Keras downloads them) or a weights file.")
  metrics_cache_dir: str = _field("", "Cache of domain classifiers and real-data statistics; "
                                  "empty: $TFGAN_CACHE_DIR or ~/.cache/tfgan.")

  @property
  def metric_names(self):
    """eval_metrics as a list of names (empty when none)."""
    return [n for n in self.eval_metrics.split(",") if n]


# Section name (the attribute of Config) -> its dataclass, in flag-listing order. A new family
# adds its section here; its flags then exist everywhere at once.
SECTIONS = {
    "data": DataConfig, "model": ModelConfig, "gan": GANConfig, "style": StyleConfig,
    "translation": TranslationConfig, "restoration": RestorationConfig,
    "objective": ObjectiveConfig,
    "optimization": OptimizationConfig, "runtime": RuntimeConfig, "outputs": OutputsConfig,
    "evaluation": EvaluationConfig,
}

# The families that map noise to images (gan's evaluation, sampling and holdout rules apply);
# the others map images to images.
NOISE_TO_IMAGE_FAMILIES = ("gan", "stylegan2")

# The families that read a section, for --help; unnamed sections serve every family.
SECTION_FAMILIES = {"gan": "gan (noise-to-image), stylegan2", "style": "stylegan2",
                    "translation": "pix2pix, cyclegan",
                    "restoration": "esrgan (super-resolution), inpaint"}

# String settings with a closed set of values (enum flags in tfgan.train).
CHOICES = {"jit_compile": JIT_CHOICES, "strategy": STRATEGY_CHOICES,
           "mixed_precision": PRECISION_CHOICES, "cache": CACHE_CHOICES,
           "direction": ("AtoB", "BtoA"), "domains": ("folders", "edges", "grey", "blur", "downsample"),
           "test_mode": ("train", "inference"),
           "perceptual": ("auto", "vgg19", "d_features"),
           "eval_mask": ("centre", "boxes", "strokes", "mixed"), "rrdb_skip": ("none", "bicubic"),
           "norm": ("auto", "batch", "instance", "none"), "upsample": ("transpose", "resize"),
           "patch_norm": ("auto", "batch", "instance", "none", "spectral")}

# Shared settings that change a checkpoint's variables; each family adds its own
# (tfgan.models.Family.architecture_fields). A run directory refuses to resume under others.
ARCHITECTURE_FIELDS = ("family", "dataset", "image_size", "channels", "network", "width",
                       "kernel_size")


def _section_field(section_cls):
  return dataclasses.field(default_factory=section_cls)


@dataclasses.dataclass(frozen=True)
class Config:
  """All settings of one training run, by section; see tfgan.config.sections for each field."""
  data: DataConfig = _section_field(DataConfig)
  model: ModelConfig = _section_field(ModelConfig)
  gan: GANConfig = _section_field(GANConfig)
  style: StyleConfig = _section_field(StyleConfig)
  translation: TranslationConfig = _section_field(TranslationConfig)
  restoration: RestorationConfig = _section_field(RestorationConfig)
  objective: ObjectiveConfig = _section_field(ObjectiveConfig)
  optimization: OptimizationConfig = _section_field(OptimizationConfig)
  runtime: RuntimeConfig = _section_field(RuntimeConfig)
  outputs: OutputsConfig = _section_field(OutputsConfig)
  evaluation: EvaluationConfig = _section_field(EvaluationConfig)

  def to_dict(self) -> Dict[str, Any]:
    """{flag name: value} over every section."""
    return {k: v for name in SECTIONS for k, v in dataclasses.asdict(getattr(self, name)).items()}

  def to_json(self) -> str:
    return json.dumps(self.to_dict(), indent=2, sort_keys=True)

  def replace(self, **changes) -> "Config":
    """A copy with settings changed by flag name (e.g. width=0.5) or whole sections."""
    sections = {name: changes.pop(name) for name in list(changes) if name in SECTIONS}
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
      raise ValueError(f"Unknown config keys {unknown}; known keys: {sorted(FIELDS)}.")
    for key, value in changes.items():
      sections.setdefault(FIELDS[key], {})
      if isinstance(sections[FIELDS[key]], dict):
        sections[FIELDS[key]][key] = value
    out = {}
    for name, change in sections.items():
      current = getattr(self, name)
      out[name] = dataclasses.replace(current, **change) if isinstance(change, dict) else change
    return dataclasses.replace(self, **out)


# Flag name -> the section holding it; flag names must be unique across sections.
FIELDS: Dict[str, str] = {}
for _name, _cls in SECTIONS.items():
  for _f in dataclasses.fields(_cls):
    if _f.name in FIELDS:
      raise TypeError(f"setting {_f.name!r} is defined in sections {FIELDS[_f.name]!r} and "
                      f"{_name!r}; flag names must be unique.")
    FIELDS[_f.name] = _name
if set(SECTIONS) != {f.name for f in dataclasses.fields(Config)}:
  raise TypeError("Config must have exactly one attribute per entry of SECTIONS.")
del _name, _cls, _f


def make(**settings) -> Config:
  """The default Config with `settings` (flag names) changed."""
  return Config().replace(**settings)


def from_dict(values: Mapping[str, Any]) -> Config:
  """Builds a Config from a flat mapping (e.g. a run's config.json), refusing unknown keys by
  name; missing keys keep their defaults."""
  return make(**dict(values))
