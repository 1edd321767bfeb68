"""TensorFlow's start-up chatter, hidden from tfgan's command lines.

Importing TensorFlow 2.21 prints, twice and before any Python logging setting can act,
"All log messages before absl::InitializeLog() is called are written to STDERR", oneDNN and
CPU-instruction notices, and on machines without a GPU "Could not find cuda drivers" and
"failed call to cuInit". `import_tensorflow()` runs the import (and the first device query)
with the process's stderr captured, then writes back every captured line that is not one of
those notices, so nothing unexpected (an error, a crash report) is ever hidden. It does
nothing of the kind when the user asks for TensorFlow's logs: TF_CPP_MIN_LOG_LEVEL set in the
environment, or `verbose` (the CLIs pass absl's --verbosity).
"""

import os
import re
import sys
import tempfile

# The notices TensorFlow prints on every start (TF 2.16-2.21); each is information, not error.
_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called|"
    r"oneDNN custom operations are on|cpu_feature_guard\.cc|"
    r"To enable the following instructions|rebuild TensorFlow with the appropriate compiler|"
    r"cudart_stub\.cc.*Could not find cuda drivers|cuda_platform\.cc.*failed call to cuInit|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered|"
    r"TF-TRT Warning: Could not find TensorRT")


def import_tensorflow(verbose=False):
  """Imports TensorFlow (and lists the devices once) with its start-up notices hidden, unless
  `verbose` or TF_CPP_MIN_LOG_LEVEL is set; returns the lines hidden."""
  if "tensorflow" in sys.modules or verbose or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
    import tensorflow  # noqa: F401
    return []
  # After start-up, TensorFlow's C++ logging hides INFO and WARNING; errors still show.
  os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as captured:
    os.dup2(captured.fileno(), 2)
    try:
      import tensorflow as tf
      tf.config.list_physical_devices("GPU")  # the cuInit attempt happens here
    finally:
      os.dup2(saved, 2)
      os.close(saved)
    captured.seek(0)
    lines = captured.read().decode(errors="replace").splitlines()
  hidden, kept = split_notices(lines)
  for line in kept:
    print(line, file=sys.stderr)
  return hidden


def split_notices(lines):
  """(hidden, kept): the start-up notices among `lines` (str), and every other non-blank line
  in order."""
  hidden = [line for line in lines if _NOISE.search(line)]
  kept = [line for line in lines if not _NOISE.search(line) and line.strip()]
  return hidden, kept
