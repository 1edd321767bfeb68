"""The multi-scale sliced Wasserstein distance against its definition."""

import numpy as np
import pytest

from tfgan.metrics import swd


def _blobs(n, seed, noise=0.4, size=32):
  """uint8 [n, size, size, 3]: random 8x8-pixel colour blocks plus uniform pixel noise of
  amplitude `noise` (0..1 of the range): structure at every scale of the pyramid."""
  rng = np.random.default_rng(seed)
  low = rng.uniform(0, 1, (n, size // 8, size // 8, 3)).repeat(8, 1).repeat(8, 2)
  x = 0.6 * low + noise * rng.uniform(0, 1, (n, size, size, 3))
  return np.clip(x * 200, 0, 255).astype(np.uint8)


def test_the_pyramid_is_laplacian_and_sums_back_to_the_image():
  x = _blobs(2, 0, size=64).astype(np.float64)
  levels = swd.laplacian_pyramid(x)
  assert [lv.shape[1] for lv in levels] == [64, 32, 16]
  # By hand: the Gaussian levels, and each band-pass level is G_k - up(G_{k+1}).
  k = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0
  padded = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
  blurred = sum(k[i, j] * padded[:, i:i + 64, j:j + 64] for i in range(5) for j in range(5))
  g1 = blurred[:, ::2, ::2]
  np.testing.assert_allclose(swd.laplacian_pyramid(g1)[-1], levels[-1], atol=1e-9)
  up = np.zeros_like(x)
  up[:, ::2, ::2] = g1
  padded = np.pad(up, ((0, 0), (2, 2), (2, 2), (0, 0)), mode="reflect")
  up = 4 * sum(k[i, j] * padded[:, i:i + 64, j:j + 64] for i in range(5) for j in range(5))
  np.testing.assert_allclose(levels[0], x - up, atol=1e-9)
  # Collapsing the pyramid gives the image back exactly.
  image = levels[-1]
  for band in reversed(levels[:-1]):
    image = band + swd._up(image, band.shape[1:3])
  np.testing.assert_allclose(image, x, atol=1e-9)


def test_descriptors_are_the_neighbourhoods_of_the_drawn_positions():
  level = np.random.default_rng(1).normal(size=(2, 12, 10, 3))
  rng = np.random.default_rng(5)
  d = swd.descriptors(level, rng, per_image=4)
  again = np.random.default_rng(5)
  ys, xs = again.integers(0, 6, (2, 4)), again.integers(0, 4, (2, 4))
  assert d.shape == (8, 7 * 7 * 3)
  np.testing.assert_array_equal(d[5], level[1, ys[1, 1]:ys[1, 1] + 7,
                                           xs[1, 1]:xs[1, 1] + 7].reshape(-1))


@pytest.mark.integration
def test_swd_is_zero_for_a_set_and_itself_and_small_against_a_second_sample():
  a, b = _blobs(64, 0), _blobs(64, 1)
  same = swd.swd(a, a)
  assert set(same) == {"swd", "swd_32px", "swd_16px"} and same["swd"] < 1e-9
  # Another distribution: the same blocks with a tenth of the pixel noise. (A brightness shift
  # would not count: each set's descriptors are normalised per channel, and the band-pass
  # levels have no mean.)
  twin, other = swd.swd(a, b), swd.swd(a, _blobs(64, 1, noise=0.04))
  assert 0 < twin["swd"] < other["swd"], (twin, other)
  # The pixel noise lives in the finest band (the coarse one is the blocks' colours, for both).
  assert twin["swd_32px"] < 0.5 * other["swd_32px"], (twin, other)
  # The order of the images changes only which neighbourhoods are drawn.
  reordered = swd.swd(a[::-1], b)
  assert abs(reordered["swd_32px"] - twin["swd_32px"]) < 0.1 * other["swd_32px"], reordered


def test_swd_refuses_sets_of_other_shapes():
  with pytest.raises(ValueError, match="same shape"):
    swd.swd(_blobs(4, 0), _blobs(5, 0))


def _reference_swd(a, b, seed=0):
  """The definition in float64 with plain numpy (the first implementation): whole pyramids,
  per-pixel fancy indexing, one [D, 512] projection per repeat sorted along axis 0."""
  rng = np.random.default_rng(seed)
  out = {}
  channels = a.shape[-1]
  for la, lb in zip(swd.laplacian_pyramid(a.astype(np.float64)),
                    swd.laplacian_pyramid(b.astype(np.float64))):
    positions = int(rng.integers(2**31))
    descs = []
    for level in (la, lb):
      r = np.random.default_rng(positions)
      n, h, w, c = level.shape
      ys, xs = r.integers(0, h - 6, (n, 128)), r.integers(0, w - 6, (n, 128))
      rows = ys[..., None, None] + np.arange(7)[:, None]
      cols = xs[..., None, None] + np.arange(7)[None, :]
      d = level[np.arange(n)[:, None, None, None], rows, cols].reshape(n * 128, -1, channels)
      descs.append(((d - d.mean(axis=(0, 1))) / d.std(axis=(0, 1))).reshape(n * 128, -1))
    total = 0.0
    for _ in range(4):
      v = rng.standard_normal((descs[0].shape[1], 512))
      v /= np.sqrt((v**2).sum(axis=0, keepdims=True))
      total += np.abs(np.sort(descs[0] @ v, axis=0) - np.sort(descs[1] @ v, axis=0)).mean()
    out[f"swd_{min(la.shape[1:3])}px"] = 1e3 * total / 4
  out["swd"] = float(np.mean(list(out.values())))
  return out


@pytest.mark.integration
def test_the_float32_chunked_swd_matches_the_float64_definition(monkeypatch):
  a, b = _blobs(24, 0, size=40), _blobs(24, 1, noise=0.1, size=40)
  expected = _reference_swd(a, b)
  fast = swd.swd(a, b)
  assert set(fast) == set(expected) == {"swd", "swd_40px", "swd_20px", "swd_10px"}
  for key in expected:
    assert fast[key] == pytest.approx(expected[key], rel=1e-4), key
  # Chunks of images and blocks of directions that do not divide the set: the same numbers.
  monkeypatch.setattr(swd, "IMAGE_CHUNK", 5)
  monkeypatch.setattr(swd, "PROJECTION_BLOCK", 24 * 128 * 200)  # 200 directions a block
  chunked = swd.swd(a, b)
  for key in expected:
    assert chunked[key] == pytest.approx(fast[key], rel=1e-5), key
  assert swd.swd(a, a)["swd"] == 0.0


def test_swd_refuses_images_below_16_px_by_their_size():
  with pytest.raises(ValueError, match="at least 16x16 px.*got 12x15"):
    swd.swd(_blobs(4, 0)[:, :15, :12], _blobs(4, 1)[:, :15, :12])
