import os
import subprocess
import sys

import pytest

from conftest import REPO
from tfgan import quiet

# sys.argv[0] is "-m" while `python -m tfgan.<cli>` imports the package: tfgan then loads no
# TensorFlow itself (a plain `import tfgan` does, to register its networks with Keras).
_CODE = """
import os, sys
sys.argv[0] = "-m"
from tfgan import quiet
hidden = quiet.import_tensorflow()
os.write(2, b"a real error line\\n")
print(len(hidden))
"""


@pytest.mark.integration
def test_startup_notices_are_hidden_and_everything_else_is_kept():
  env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
  result = subprocess.run([sys.executable, "-c", _CODE], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=env)
  assert result.returncode == 0, result.stderr[-2000:]
  assert int(result.stdout.split()[-1]) >= 1  # TensorFlow did print notices, now hidden
  assert "InitializeLog" not in result.stderr and "a real error line" in result.stderr


@pytest.mark.integration
def test_an_explicit_log_level_is_respected():
  code = ("import os, sys; sys.argv[0] = '-m'; from tfgan import quiet; "
          "print(len(quiet.import_tensorflow())); "
          "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")
  result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="1"))
  assert result.stdout.split() == ["0", "1"]


def test_only_the_known_notices_are_hidden():
  lines = [
      "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
      "I0000 00:00:1764590000.1 12 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA "
      "error: Failed call to cuInit: UNKNOWN ERROR (303)",
      "2026-12-01 13:00:00.1: I tensorflow/core/util/port.cc:153] oneDNN custom operations are "
      "on. You may see slightly different numerical results.",
      "E0000 00:00:1764590000.2 12 some_kernel.cc:10] Could not load dynamic library libfoo.so",
      "",
      "Segmentation fault (core dumped)"]
  hidden, kept = quiet.split_notices(lines)
  assert hidden == lines[:3]
  assert kept == [lines[3], lines[5]]
