import os

import numpy as np
import pytest
import tensorflow as tf

from conftest import SHARED_CELEBA_HALF, SHARED_CELEBA_ORIG, write_image
from tfgan import data


def _marker_image(h, w, box):
  """Black image with a white rectangle box=(top, left, bottom, right) in pixels."""
  image = np.zeros((h, w, 3), np.uint8)
  top, left, bottom, right = box
  image[top:bottom, left:right] = 255
  return image


def test_center_crop_matches_integer_crop_then_antialiased_resize():
  image = tf.random.uniform((218, 178, 3), 0, 255, seed=1)
  out = data.center_crop_resize(image, 64, 108 / 178).numpy()
  ref = tf.image.resize(image[55:163, 35:143], (64, 64), antialias=True).numpy()
  # Equal away from the border; at the border our kernel reads the real neighbours where the
  # cropped reference clamps the edge.
  np.testing.assert_allclose(out[2:-2, 2:-2], ref[2:-2, 2:-2], atol=1e-2)  # of 255
  assert out.min() >= 0 and out.max() <= 255


def test_crop_frames_the_same_content_at_any_resolution():
  # A square marker at the centre of a 178x218 image, and the same scene at half size.
  big = _marker_image(218, 178, (90, 70, 130, 110))
  half = _marker_image(109, 89, (45, 35, 65, 55))
  a = data.center_crop_resize(big, 64, data.CELEBA_CROP_FRACTION).numpy()
  b = data.center_crop_resize(half, 64, data.CELEBA_CROP_FRACTION).numpy()

  def centroid(x):
    w = x[..., 0] / 255.0
    ys, xs = np.mgrid[:64, :64]
    return np.array([(w * ys).sum(), (w * xs).sum()]) / w.sum()

  # The marker's centre sits 1 source px (64/108 output px) below and right of the image
  # centre at full size, half a pixel at half size: the same place in the output.
  expected = 31.5 + 64 / 108
  np.testing.assert_allclose(centroid(a), [expected, expected], atol=0.05)
  np.testing.assert_allclose(centroid(b), [expected, expected], atol=0.05)


def test_upscaling_small_images_and_non_square_crops():
  tiny = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
  out = data.center_crop_resize(tiny, 32, 1.0)
  assert out.shape == (32, 32, 3)
  with pytest.raises(ValueError, match="channels must be 1 or 3"):
    data.decode_image(tf.io.encode_png(tiny), 2)


@pytest.mark.integration
@pytest.mark.skipif(not (os.path.isdir(SHARED_CELEBA_HALF) and os.path.isdir(SHARED_CELEBA_ORIG)),
                    reason="needs the CelebA faces in ../shared/data/celeba_89x109 and "
                           "../shared/data/celeba_orig_sample")
def test_celeba_framing_is_the_same_for_originals_and_half_size_copies():
  orig = data.open_source("celeb_a", data_dir=SHARED_CELEBA_ORIG)
  half = data.open_source("celeb_a", data_dir=SHARED_CELEBA_HALF)
  assert orig.spec.image_shape == half.spec.image_shape == (64, 64, 3)
  assert orig.spec.num_examples == 32 and half.spec.num_examples == 9000
  a = np.stack([x.numpy() for x, _ in orig.examples().take(16)]).astype(np.float32)
  b = np.stack([x.numpy() for x, _ in half.examples().take(16)]).astype(np.float32)

  def error(dy, dx):
    return np.abs(a[:, 4:-4, 4:-4] - np.roll(b, (dy, dx), (1, 2))[:, 4:-4, 4:-4]).mean()

  errors = {(dy, dx): error(dy, dx) for dy in (-2, -1, 0, 1, 2) for dx in (-2, -1, 0, 1, 2)}
  # The same face lands at the same place: no shift aligns them better than none does, and
  # what remains is JPEG and resampling noise (measured ~4 grey levels of 255).
  assert min(errors, key=errors.get) == (0, 0)
  assert errors[(0, 0)] < 8.0
  assert errors[(0, 0)] < 0.5 * errors[(0, 2)]
