"""Both directions of the graded checks, in process.

The reference solution (this repository) scores full marks on every check,
public and hidden. And the checks that test input validation score zero on
the student release's stubs, whose validation lines are already written: the
stubs here are made by the release tool itself from the library's source.
"""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
from released_library import released_module

import cs231n_cnn
import cs231n_cnn.layers as L
from cs231n_cnn.grading import load_checks, run_checks

CHECKS = load_checks()
PACKAGE_DIR = Path(cs231n_cnn.__file__).resolve().parent


def test_there_are_public_and_hidden_checks():
    assert any(c.hidden for c in CHECKS.values())
    assert sum(not c.hidden for c in CHECKS.values()) >= 30


@pytest.mark.parametrize("name", list(CHECKS))
def test_reference_solution_scores_full_marks(name):
    (result,) = run_checks([name])
    assert result.passed, result.report()
    assert result.score == result.max_score == CHECKS[name].points


@pytest.mark.parametrize("check_name, relpath", [
    ("conv_output_size_error", "cs231n_cnn/layers/conv.py"),
    ("pool_output_size_error", "cs231n_cnn/layers/pool.py"),
], ids=["conv", "pool"])
def test_size_error_checks_score_zero_on_the_released_stubs(monkeypatch, check_name, relpath):
    released = released_module(relpath, "released_for_test")
    # The stubs really do validate: an invalid size still raises ValueError, as in the release.
    with pytest.raises(ValueError, match="not an integer"):
        if check_name.startswith("conv"):
            released.conv_forward_naive(np.zeros((1, 1, 10, 10)), np.zeros((1, 1, 3, 3)), np.zeros(1),
                                        {"stride": 2, "pad": 0})
        else:
            released.max_pool_forward_naive(np.zeros((1, 1, 5, 4)),
                                            {"pool_height": 2, "pool_width": 2, "stride": 2})
    for name, value in vars(released).items():
        if isinstance(value, types.FunctionType) and value.__module__ == released.__name__ and hasattr(L, name):
            monkeypatch.setattr(L, name, value)
    (result,) = run_checks([check_name])
    assert result.score == 0, result.report()
    assert "NotImplementedError" in result.line()


def test_reference_solution_passes_every_check():
    # All checks in one run, as the grader runs them (above: one at a time).
    results = run_checks()
    failed = [r.report() for r in results if not r.passed]
    assert not failed, "\n".join(failed)
