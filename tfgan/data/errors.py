"""The data layer's two error types; every message names the file, folder or flag at fault."""

import re


class DataError(ValueError):
  """A data file or folder is missing or not in the expected format; the message names it."""


class DataUnavailableError(RuntimeError):
  """tensorflow-datasets could not provide the data (e.g. no network); says how to go local."""


# TensorFlow op errors open with the function-node name and close with the op's name
# ("{{function_node __wrapped__DecodeImage_device_/job:localhost/...}} Unknown image file
# format. ... [Op:DecodeImage] name:"): internals a user cannot act on.
_OP_PREFIX = re.compile(r"^\{\{function_node [^}]*\}\}\s*")
_OP_SUFFIX = re.compile(r"\s*\[Op:\w+\](\s*name:.*)?$")


def op_error_text(error) -> str:
  """The first line of a TensorFlow op error's message (or of str(error)) without TensorFlow's
  function-node prefix and [Op:...] suffix, e.g. "Unknown image file format. One of JPEG, ...
  required."."""
  text = (getattr(error, "message", None) or str(error)).strip()
  first = text.splitlines()[0] if text else type(error).__name__
  return _OP_SUFFIX.sub("", _OP_PREFIX.sub("", first)).strip() or type(error).__name__
