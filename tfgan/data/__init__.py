"""tf.data input pipelines: images float32 [B, H, W, C] in [-1, 1] with int32 labels [B].

Datasets (`DATASETS`): mnist, fashion_mnist, cifar10 and celeb_a through tensorflow-datasets
or from their original local files, and `folder`, any folder of images (class sub-folders
become labels). Nothing in a local data folder is ever written to.
"""

from tfgan.data.cifar import load_cifar10_split
from tfgan.data.decode import CELEBA_CROP_FRACTION, center_crop_resize, decode_image
from tfgan.data.errors import DataError, DataUnavailableError
from tfgan.data.folder import IMAGE_EXTENSIONS, FolderIndex, find_unreadable, index_folder
from tfgan.data.idx import load_idx_split, read_idx
from tfgan.data.pipeline import CACHE_CHOICES, make_dataset, resolve_cache, to_float
from tfgan.data.sources import (DATASETS, ArraySource, DatasetInfo, DataSpec, FolderSource,
                                Source, TFDSSource, check_settings, open_source)


def source(name, split="train", data_dir="", tfds_dir="", **options):
  """Unbatched examples (uint8 [H, W, C] in [0, 255], int32 label) of a split, in file order."""
  return open_source(name, split, data_dir, tfds_dir, **options).examples()
