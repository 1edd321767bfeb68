"""The README's code is run as written: the reuse snippet and the test command CI calls."""

import os
import re
import subprocess
import sys

import pytest

from conftest import REPO
from tfgan import config as config_lib
from tfgan import trainer

README = os.path.join(REPO, "README.md")


def _section(title):
  text = open(README).read()
  match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
  assert match, f"README has no section {title!r}"
  return match.group(1)


@pytest.mark.integration
def test_the_reuse_snippet_runs_against_a_real_run_directory(tmp_path, idx_dir):
  (code,) = re.findall(r"```python\n(.*?)```", _section("Reuse the generator in your own code"),
                       re.S)
  # The snippet reads runs/mnist_dcgan/ relative to where it runs: make that run, tiny.
  config = config_lib.from_flagfile(os.path.join(REPO, "flags", "smoke.flags"),
                                    data_dir=idx_dir)
  trainer.train_and_evaluate(config, str(tmp_path / "runs" / "mnist_dcgan"), verbose=False)
  # The snippet ends with the SavedModel's images: the same as the Keras generator's it
  # loaded first, for the same latents.
  check = ("\nassert images.shape == (16, 28, 28, 1), images.shape\n"
           "np.testing.assert_allclose(images.numpy(), np.asarray(generator(z, training=False)),"
           " atol=1e-5)\n"
           "assert not np.allclose(images[0], images[1])\n"
           "print('SNIPPET OK')\n")
  result = subprocess.run([sys.executable, "-c", code + check], cwd=tmp_path, text=True,
                          capture_output=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2"))
  assert "SNIPPET OK" in result.stdout, result.stderr[-3000:]


def test_ci_runs_the_test_command_written_in_the_readme():
  commands = re.findall(r"^make (\w+)", _section("Two commands"), re.M)
  assert "test" in commands
  assert "make test" in open(os.path.join(REPO, ".ci", "run")).read()
