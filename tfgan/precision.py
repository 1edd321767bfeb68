"""Mixed precision for the networks (Micikevicius et al. 2018, https://arxiv.org/abs/1710.03740).

Under `mixed_float16` or `mixed_bfloat16` the layers compute in 16 bits and keep float32
variables; `GAN` casts images and D's logits to float32 before the losses. float16's 5-bit
exponent needs loss scaling: its optimizers are wrapped in a keras LossScaleOptimizer (dynamic
scale, steps with non-finite gradients skipped). bfloat16 has float32's exponent and needs none.
The gradient penalties' input gradients are not loss-scaled; with float16 they can underflow,
so prefer bfloat16 (or none) with gp_weight or r1_gamma.
"""

import contextlib

import keras

from tfgan import config

PRECISIONS = config.PRECISION_CHOICES


def check(name):
  if name not in PRECISIONS:
    raise ValueError(f"mixed_precision must be one of {PRECISIONS}, got {name!r}.")


@contextlib.contextmanager
def policy_scope(name):
  """Layers created inside take dtype policy `name` ('none' = float32); the global policy is
  restored on exit, so nothing outside the scope is affected."""
  check(name)
  previous = keras.config.dtype_policy()
  keras.config.set_dtype_policy("float32" if name == "none" else name)
  try:
    yield
  finally:
    keras.config.set_dtype_policy(previous)


def wrap_optimizer(optimizer, name):
  """The optimizer to train with under policy `name`: loss-scaled for mixed_float16."""
  check(name)
  if name == "mixed_float16":
    return keras.optimizers.LossScaleOptimizer(optimizer)
  return optimizer


def computes_in_float32(model):
  """True when every layer of `model` computes in float32."""
  return all(layer.compute_dtype == "float32"
             for layer in model._flatten_layers(include_self=True, recursive=True))


def float32_copy(model, force=False):
  """`model` itself when it computes in float32 (and not `force`), else a float32 copy with
  the same weights, made outside any distribution strategy: exports are float32 images
  whatever the training precision was.

  `model` must be serializable (get_config / from_config) and built.
  """
  if computes_in_float32(model) and not force:
    return model
  with policy_scope("none"):
    copy = model.__class__.from_config({**model.get_config(), "dtype": "float32"})
  copy.build(copy.input_shapes() if hasattr(copy, "input_shapes") else model.input_shape)
  copy.set_weights(model.get_weights())
  return copy
