# Two entry points for a new user: `make train` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV := .venv
WORKDIR ?= runs/mnist_dcgan
# The 4 MNIST IDX files the repository ships (data/README.md): make train works offline.
# Another folder holding them: make train DATA_DIR=FOLDER. Empty (DATA_DIR=): download MNIST
# through tensorflow-datasets.
DATA_DIR ?= data/mnist

# uv installs the same versions as pip from the same index in about 40% of pip's time here
# (47 s against 79 s with bytecode compiled, fresh caches, 2-core CPU, 2026-12-07): the
# largest part of a fresh clone's `make test` after the suite. Bytecode is compiled at install
# (--compile-bytecode, as pip does): with PYTHONDONTWRITEBYTECODE set, every test process
# would otherwise re-parse TensorFlow's sources. Where uv cannot be installed or fails, pip.
$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	($(VENV)/bin/pip install -q uv && \
	 $(VENV)/bin/uv pip install -q --compile-bytecode --python $(VENV)/bin/python -e '.[test,demo]') || \
	($(VENV)/bin/pip install -q --upgrade pip && $(VENV)/bin/pip install -q -e '.[test,demo]')
	touch $@

.PHONY: install train test test-fast
install: $(VENV)/.installed

train: $(VENV)/.installed
	$(VENV)/bin/python -m tfgan.train --flagfile=flags/mnist_dcgan.flags --workdir=$(WORKDIR) \
		$(if $(DATA_DIR),--data_dir=$(DATA_DIR))

# Three pytest workers on the 2-core CPU: with two, a fifth of the cores' time was idle (tracing
# is single-threaded Python, processes start and wait); a fresh clone's `.ci/run` took 10 min
# 3 s with three against 11 min 23 s with two, back to back (2026-12-07). Each test file stays
# on one worker (its module fixtures built once), the heaviest files first (tests/conftest.py's
# FILE_SECONDS). PYTEST_WORKERS= runs in one process.
PYTEST_WORKERS ?= -n 3 --dist loadfile --no-loadscope-reorder

# The whole suite: what CI runs (.ci/run). The 25 slowest tests are printed, so their cost
# stays visible.
test: $(VENV)/.installed
	TF_CPP_MIN_LOG_LEVEL=2 $(VENV)/bin/python -m pytest -q $(PYTEST_WORKERS) --durations=25 tests

# The unit tests alone (no whole training runs, CLI subprocesses or notebook kernels): the
# inner loop while editing.
test-fast: $(VENV)/.installed
	TF_CPP_MIN_LOG_LEVEL=2 $(VENV)/bin/python -m pytest -q $(PYTEST_WORKERS) -m "not integration" tests
