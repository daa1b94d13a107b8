"""Test suites that are CI steps of their own (``make test-browser``, ``make test-learner``).

Each is collected only when asked for by path, never by a plain ``pytest tests``, and under CI
what it needs must be there: a missing piece fails the step instead of skipping it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["asked_for", "unavailable"]


def asked_for(config, here: Path) -> bool:
    """Whether the command line names ``here`` or something inside it."""
    asked = [Path(str(arg).split("::")[0]).resolve() for arg in config.args]
    return any(a == here or here in a.parents for a in asked)


def unavailable(reason: str, what: str):
    """Fail under CI (``what`` must run there), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so {what} may not skip)", pytrace=False)
    pytest.skip(reason)
