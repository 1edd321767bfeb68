"""Learning-rate schedules shared by every family.

`LinearDecay` is pix2pix's and CycleGAN's "linear" policy (Isola et al. 2017; Zhu et al.
2017; junyanz/pytorch-CycleGAN-and-pix2pix `--lr_policy linear`): the rate stays at `lr` for
`decay_start` steps, then falls linearly to 0 at `total_steps`. It is a function of the
optimizer's `iterations`, which every checkpoint holds, so a resumed run continues the
schedule where it stopped.
"""

import keras
from keras import ops

from tfgan.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
  """lr for updates 0 .. decay_start - 1, then lr * (total - u) / (total - decay_start) at
  update u, reaching 0 at u = total_steps (and staying there).

  Args:
    lr: the initial learning rate (float > 0).
    decay_start: updates before the decay begins (>= 0, < total_steps).
    total_steps: the update at which the rate reaches 0. Counted in this optimizer's updates:
      a discriminator updated d_steps times per train step counts d_steps * train_steps.
  """

  def __init__(self, lr, decay_start, total_steps):
    if not 0 <= decay_start < total_steps:
      raise ValueError(f"lr_decay_start must be in [0, train_steps), got {decay_start} of "
                       f"{total_steps}.")
    self.lr, self.decay_start, self.total_steps = float(lr), int(decay_start), int(total_steps)

  def __call__(self, step):
    step = ops.cast(step, "float32")
    left = (self.total_steps - step) / float(self.total_steps - self.decay_start)
    return self.lr * ops.clip(left, 0.0, 1.0)

  def get_config(self):
    return {"lr": self.lr, "decay_start": self.decay_start, "total_steps": self.total_steps}


def learning_rate(lr, decay_start, total_steps):
  """`lr` itself when decay_start is 0 (constant), else LinearDecay(lr, decay_start, total)."""
  return LinearDecay(lr, decay_start, total_steps) if decay_start else lr
