# cs231n_cnn: everything runs inside ./.venv, created on first use.
#   make lab    set up .venv and open JupyterLab on notebooks/
#   make test   set up .venv and run the whole test suite (unit tests, then the notebooks under nbval)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: help venv lab test test-matrix update-newest test-browser test-learner test-container test-cluster lint test-fast bench bench-nets bench-train data notebooks clean

help:
	@echo "make lab        set up .venv and open JupyterLab on notebooks/"
	@echo "make test       set up .venv and run the whole test suite"
	@echo "make test-matrix  Python 3.10 with the oldest dependencies and 3.13 with the newest; the release across them (~10 min)"
	@echo "make update-newest  re-resolve the newest releases for the matrix (tests/matrix/newest.txt; commit it alone)"
	@echo "make test-browser  notebook 02 in JupyterLab through Chromium (needs Debian's chromium package)"
	@echo "make test-learner  the student release walked as a learner: real kernels, library edited as asked (~10 min)"
	@echo "make test-container  the grader inside a podman container (root; needs podman and runc; ~15 min budget)"
	@echo "make lint       ruff on the package, tests, checks, benchmarks and notebooks (part of make test)"
	@echo "make test-fast  unit tests only, skipping tests marked slow"
	@echo "make notebooks  re-execute the notebooks in place (full length)"
	@echo "make bench      benchmark suite: fast layers vs naive, baseline and PyTorch (benchmarks/results/)"
	@echo "make data       download CIFAR-10 into data/ (mirror: CS231N_CIFAR10_URL, CS231N_CIFAR10_MD5)"
	@echo "make bench-train  train on CIFAR-10 within time budgets (about 15 minutes)"
	@echo "make bench-nets   training step of three ConvNets vs PyTorch (benchmarks/results/train_nets.md)"
	@echo "make clean      remove .venv and caches"

# Re-install whenever the dependency list changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "error: cs231n_cnn needs Python >= 3.10 (found $$($(PYTHON) --version 2>&1)); set PYTHON=python3.x"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || \
		{ echo "error: could not create $(VENV); on Debian/Ubuntu install the python3-venv package"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP)

# The notebooks use the "python3" kernel, which inside .venv is .venv's own Python.
# Jupyter refuses to run as root unless told (containers often are root).
lab: $(STAMP) data
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Unit and functional tests, then every notebook under nbval (see README, "Notebooks").
NBVAL := --nbval-lax --nbval-sanitize-with notebooks/nbval_sanitize.cfg --nbval-current-env
test: $(STAMP) data lint
	CS231N_SMALL=1 CS231N_STRICT=1 CS231N_PROGRESS=0 MPLBACKEND=Agg $(PY) -m pytest tests notebooks $(NBVAL)

# The supported range at its two ends, each in a venv of its own (.venv-oldest, .venv-newest) made from the
# interpreter pyenv (or PATH) has for that version; a missing one is said, and fails under CI:
#   oldest  Python 3.10, every declared lower bound pinned exactly (tests/matrix/oldest.txt);
#   newest  Python 3.13, the newest releases frozen in tests/matrix/newest.txt (make update-newest).
# The test subset, at each end: tests/unit (library, checks, grader units), tests/functional/test_grader.py and
# test_adversarial.py in the bubblewrap mode only (CS231N_SANDBOX_MODES=bwrap), test_notebook_extension.py
# (edits reaching a running kernel: same size within a second, syntax error, new helper and import), and the
# notebooks under nbval in small mode (the flags of `make test`); the two ends run at the same time. Then the
# student release built at each end runs its `make check` (reference solution restored) and its notebooks
# on the other end's Python: every check must pass ("was not recorded" fails). Not here (make test and
# their own CI steps): the rest of tests/functional, the learner walk, the browser, container and cluster
# suites, lint. Budget about 10 minutes on 2 cores (venvs cached; creating both adds about 2 minutes);
# the summary is in tests/matrix/results/matrix.md.
test-matrix: $(STAMP) data
	$(PY) tests/matrix/run.py

# Re-resolve the newest releases for Python 3.13 into tests/matrix/newest.txt; commit the file on its own.
update-newest: $(STAMP)
	$(PY) tests/matrix/run.py update-newest

# Re-execute the notebooks in place, full length, and record what they ran.
notebooks: $(STAMP) data
	CS231N_PROGRESS=0 $(PY) -m cs231n_cnn.nbtools run notebooks/*.ipynb

# Notebook 02 run in a real JupyterLab through Debian's Chromium (apt-get install chromium), driven by
# Playwright, and the height of its figures' labels measured on screenshots (tests/browser/screenshots/, or
# $CS231N_SCREENSHOTS; legibility.json). Not part of `make test`.
test-browser: $(STAMP) data
	$(PY) -m pytest tests/browser --reruns 1 -rR

# The student release walked through as a learner would, in real kernels (tests/learner): each notebook's
# library functions written as it asks, without restarting; then Run All on an untouched release, with and
# without CIFAR-10. Budget about 10 minutes on 2 cores (1.5 minutes measured); summaries in
# tests/learner/results/. Not part of `make test`.
test-learner: $(STAMP) data
	$(PY) -m pytest tests/learner -s -rfE --timeout=900

# The grader inside a real container (README, "Grading in a container"): podman + runc as root,
# the machine's root as an overlay. Not part of `make test`; its budget is 15 minutes.
test-container: $(STAMP)
	CS231N_CONTAINER_TESTS=1 CS231N_SMALL=1 MPLBACKEND=Agg timeout 900 $(PY) -m pytest tests/container -rA -q

# The grader on a real Slurm cluster (README, "Grading on a cluster"): a one-node cluster started by the
# test as root (Debian's slurmctld, slurmd, munge), a job array of 4 shards, merged and compared with one
# grade-batch. Not part of `make test`; about 2 minutes here, budget 15 (timeout 900).
test-cluster: $(STAMP)
	CS231N_CLUSTER_TESTS=1 CS231N_SMALL=1 MPLBACKEND=Agg timeout 900 $(PY) -m pytest tests/cluster -rA -q

lint: $(STAMP)
	$(VENV)/bin/ruff check cs231n_cnn tests benchmarks checks notebooks

test-fast: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest -m "not slow" tests/unit

bench: $(STAMP)
	$(PY) benchmarks/suite.py

# CIFAR-10 into data/. Where the official site cannot be reached (CI), a copy of
# the archive next to the checkout (../shared/data) serves as a file:// mirror;
# CS231N_CIFAR10_URL / CS231N_CIFAR10_MD5 choose any other mirror.
MIRROR     := $(abspath ../shared/data/cifar-10-mini-python.tar.gz)
MIRROR_MD5 := 9ccea26eb1ab49ef4913197ff00116ef
data: $(STAMP)
	@if [ -z "$$CS231N_CIFAR10_URL" ] && [ -f "$(MIRROR)" ]; then \
		export CS231N_CIFAR10_URL="file://$(MIRROR)" CS231N_CIFAR10_MD5="$(MIRROR_MD5)"; fi; \
	$(PY) -m cs231n_cnn data download --dest data

bench-nets: $(STAMP)
	$(PY) benchmarks/train_nets.py

bench-train: data
	$(PY) benchmarks/train_cifar.py --data data

clean:
	rm -rf $(VENV) .venv-oldest .venv-newest .pytest_cache .hypothesis build *.egg-info
