"""The student release, walked through in real kernels: shared fixtures of ``make test-learner``.

The release is built once per session (a few seconds) and copied for each
test that changes it. Kernels run a Python that sees this run's
dependencies but not the repository's package (see ``nbkernel.py``). Without
CIFAR-10 in ``data/`` (``make data``), the tests skip, except under CI (``CI``
set), where they fail: there, nothing they need may be missing.

``pytest tests`` (``make test``) leaves these tests out; ``make test-learner``
runs them. A summary of each run goes to ``tests/learner/results/``
(gitignored), or to ``$CS231N_LEARNER_RESULTS``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import ci_steps
import pytest
from ci_steps import asked_for

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path, config):
    """Collect these tests only when asked for by path (``make test-learner``), not in ``pytest tests``."""
    return None if asked_for(config, HERE) else True


def unavailable(reason: str):
    ci_steps.unavailable(reason, "the learner tests")


@pytest.fixture(scope="session")
def results_dir() -> Path:
    path = Path(os.environ.get("CS231N_LEARNER_RESULTS") or HERE / "results")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def pristine_release(tmp_path_factory) -> Path:
    """The student release as `cs231n-cnn release` builds it; never modified (copy it first)."""
    from cs231n_cnn.grading.release import build_release

    out = tmp_path_factory.mktemp("release") / "student"
    build_release(out)
    return out


@pytest.fixture(scope="session")
def cifar_dir() -> Path:
    """The directory holding ``cifar-10-batches-py`` (the repository's ``data/``)."""
    data = REPO / "data"
    if not (data / "cifar-10-batches-py" / "batches.meta").is_file():
        unavailable(f"CIFAR-10 is not in {data}; run `make data`")
    return data


@pytest.fixture(scope="session")
def learner_python(tmp_path_factory) -> Path:
    from nbkernel import kernel_python

    return kernel_python(tmp_path_factory.mktemp("kernel-python") / "venv")


def copy_release(pristine: Path, dest: Path) -> Path:
    shutil.copytree(pristine, dest, symlinks=True)
    return dest
