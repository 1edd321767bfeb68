"""Using a trained StyleGAN2 generator's W space (the library behind `tfgan.sample
--style_mix`, `--interpolate --space=w`, `--latents` with ws, and tfgan.project): styles of
seeds, style mixing, interpolation in W, and rendering ws.

ws are float32 [N, num_ws, w_dim]: one w per synthesis layer (coarse layers first: index i
drives the resolution 4 x 2^((i + 1) // 2)). A seed's ws repeat its one w; a projection's may
differ per layer (W+).
"""

import numpy as np

from tfgan import generation


def check_stylegan(generator, what):
  """Raises ValueError naming `what` unless `generator` has a mapping and synthesis."""
  if not (hasattr(generator, "mapping") and hasattr(generator, "synthesis")):
    raise ValueError(f"{what} needs a StyleGAN2 generator (its mapping and synthesis); this "
                     f"one is a {type(generator).__name__}.")


def seed_ws(generator, seeds, psi=1.0, label=None):
  """ws float32 [len(seeds), num_ws, w_dim]: seed s's z = generation.latents(1, D, s) mapped
  (truncated by psi; `label` an int class for a conditional generator)."""
  check_stylegan(generator, "styles of seeds")
  z = np.concatenate([generation.latents(1, generation.latent_dim_of(generator), int(s))
                      for s in seeds])
  labels = _labels(generator, len(z), label)
  return np.asarray(generator.mapping(z, labels, psi=float(psi)), np.float32)


def _labels(generator, n, label):
  num_classes = int(getattr(generator, "num_classes", 0))
  if not num_classes:
    return None
  if label is None:
    raise ValueError(f"the generator is conditional on {num_classes} classes: give a label.")
  return np.full(n, int(label), np.int32)


def synthesize(generator, ws, batch_size=64):
  """Images float32 [N, H, W, C] in about [-1, 1] of ws [N, num_ws, w_dim], on the layers'
  fixed noise (a w always gives the same image). ValueError when ws has the wrong shape."""
  check_stylegan(generator, "rendering ws")
  ws = np.asarray(ws, np.float32)
  expected = (generator.num_ws, generator.w_dim)
  if ws.ndim != 3 or ws.shape[1:] != expected or not len(ws):
    raise ValueError(f"ws must be [N, {expected[0]}, {expected[1]}] for this generator, got "
                     f"{list(ws.shape)}.")
  return np.concatenate([np.asarray(generator.synthesis(ws[i:i + batch_size], "const"))
                         for i in range(0, len(ws), batch_size)])


def default_cutoff(generator):
  """The style-mixing cutoff of `style_mix` when none is given: num_ws // 2 (at 64 px the
  coarse layers are those of 4 to 16 px)."""
  return generator.num_ws // 2


def style_mix(generator, row_ws, col_ws, cutoff=None):
  """NVlabs' style-mixing figure: images float32 [(R + 1) * (C + 1), H, W, C'] for a grid of
  R + 1 rows: the first row is a blank corner then the C column sources, each further row its
  row source then that source's coarse styles (layers < cutoff) mixed with each column
  source's fine ones (layers >= cutoff).

  Args:
    row_ws: [R, num_ws, w_dim]; col_ws: [C, num_ws, w_dim]. cutoff: 1 .. num_ws - 1 (None:
      default_cutoff).
  """
  check_stylegan(generator, "style mixing")
  cutoff = default_cutoff(generator) if cutoff is None else int(cutoff)
  if not 1 <= cutoff < generator.num_ws:
    raise ValueError(f"the mixing cutoff must be in 1..{generator.num_ws - 1} (this generator "
                     f"has {generator.num_ws} style layers), got {cutoff}.")
  row_ws, col_ws = np.asarray(row_ws, np.float32), np.asarray(col_ws, np.float32)
  rows, cols = synthesize(generator, row_ws), synthesize(generator, col_ws)
  mixed = np.concatenate([row_ws[:, None, :cutoff].repeat(len(col_ws), 1),
                          col_ws[None, :, cutoff:].repeat(len(row_ws), 0)], axis=2)
  cells = synthesize(generator, mixed.reshape((-1,) + row_ws.shape[1:]))
  cells = cells.reshape((len(row_ws), len(col_ws)) + cells.shape[1:])
  corner = np.full((1,) + rows.shape[1:], -1.0, np.float32)  # black
  grid = [np.concatenate([corner, cols])]
  grid += [np.concatenate([rows[r:r + 1], cells[r]]) for r in range(len(row_ws))]
  return np.concatenate(grid)


def interpolate_ws(start, end, steps):
  """ws [R * steps, num_ws, w_dim]: for each of the R pairs start[r] -> end[r] ([R, num_ws,
  w_dim] each) `steps` points on the straight line in W (W is where StyleGAN interpolates:
  its mapping makes it flat enough for lines, unlike z's Gaussian)."""
  t = np.linspace(0.0, 1.0, int(steps), dtype=np.float32)[None, :, None, None]
  path = (1.0 - t) * start[:, None] + t * end[:, None]
  return path.reshape((-1,) + start.shape[1:])


def save_ws(path, ws, images=None, **metadata):
  """Writes `path` (.npz, atomically): `ws` float32 [N, num_ws, w_dim], optionally `images`
  and scalar or string metadata (what tfgan.project records); `tfgan.sample --latents` reads
  it back."""
  from tfgan import files
  extra = {k: np.asarray(v) for k, v in metadata.items()}
  if images is not None:
    extra["images"] = np.asarray(images, np.float32)
  with files.atomic_path(path) as tmp:
    np.savez_compressed(tmp, ws=np.asarray(ws, np.float32), **extra)
  return path


def load_ws(path, generator):
  """ws float32 [N, num_ws, w_dim] of an .npz holding `ws` (tfgan.project) or `w` [N, w_dim]
  (one w per image, repeated over the layers); None when it holds neither (a z file).
  Raises ValueError naming `path` and the expected shape."""
  try:
    with np.load(path) as saved:
      found = {k: np.asarray(saved[k]) for k in ("ws", "w") if k in saved.files}
  except (OSError, ValueError) as e:
    raise ValueError(f"{path}: not a readable .npz ({e}).") from None
  if not found:
    return None
  check_stylegan(generator, f"{path}'s ws")
  ws = found.get("ws")
  if ws is None:
    w = found["w"]
    if w.ndim != 2:
      raise ValueError(f"{path}: expected 'w' of shape [N, {generator.w_dim}], found "
                       f"{list(w.shape)}.")
    ws = np.repeat(w[:, None], generator.num_ws, axis=1)
  expected = [generator.num_ws, generator.w_dim]
  if ws.ndim != 3 or list(ws.shape[1:]) != expected or not len(ws):
    raise ValueError(f"{path}: expected 'ws' of shape [N, {expected[0]}, {expected[1]}] for "
                     f"this generator, found {list(ws.shape)}.")
  return ws.astype(np.float32)
