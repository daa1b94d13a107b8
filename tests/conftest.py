"""Shared fixtures for the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

try:
    # The tests multiply small matrices; a multi-threaded BLAS only adds
    # synchronisation to those, and on a loaded machine its spinning threads
    # can make them orders of magnitude slower. Speed is measured in benchmarks/.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
except ImportError:  # pragma: no cover - threadpoolctl is in the dev extra
    pass

REPO_ROOT = Path(__file__).resolve().parents[1]
# The CIFAR-10 subset lives next to the checkout (never inside it); CI has it too.
MINI_CIFAR = REPO_ROOT.parent / "shared" / "data" / "cifar-10-mini-python.tar.gz"
MINI_CIFAR_MD5 = "9ccea26eb1ab49ef4913197ff00116ef"


@pytest.fixture
def rng():
    """A fresh, seeded generator per test, so tests never share random state."""
    return np.random.default_rng(231)


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def mini_cifar_archive() -> Path:
    if not MINI_CIFAR.exists():
        pytest.skip(f"CIFAR-10 mini mirror not found at {MINI_CIFAR}")
    return MINI_CIFAR
