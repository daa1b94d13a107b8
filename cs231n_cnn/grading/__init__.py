"""Graded checks: definitions in ``checks/``, run by notebooks, tests and the grader.

Notebook use::

    from cs231n_cnn.grading import run_check
    run_check("conv_forward_naive")      # prints e.g. "PASS conv_forward_naive 4/4"

With the environment variable ``CS231N_STRICT=1`` a failing check raises
:class:`CheckFailed`, so an automated run of the notebooks (CI) stops there.
"""

from __future__ import annotations

import os

from .. import livesource
from .framework import (
    REGISTRY,
    Check,
    CheckFailure,
    CheckResult,
    KnownMistake,
    PartResult,
    Tester,
    check,
    run_check_def,
)
from .loader import find_checks_dir, load_checks
from .runtime.student import Handle, InProcessStudent, StudentError

__all__ = [
    "REGISTRY", "check", "Check", "CheckFailure", "KnownMistake", "CheckResult", "PartResult", "Tester", "Handle",
    "StudentError", "InProcessStudent", "load_checks", "find_checks_dir", "run_check", "run_checks", "CheckFailed",
    "STRICT_ENV",
]

STRICT_ENV = "CS231N_STRICT"


class CheckFailed(AssertionError):
    """Raised by :func:`run_check` in strict mode when a check does not score full marks."""


def run_checks(names=None, *, student=None, include_hidden: bool = True, directory=None) -> list[CheckResult]:
    """Run checks (all, or those named) against the student's code; return their results."""
    checks = load_checks(directory)
    if names is None:
        selected = [c for c in checks.values() if include_hidden or not c.hidden]
    else:
        unknown = [n for n in names if n not in checks]
        if unknown:
            raise KeyError(f"unknown check(s) {unknown}; known: {', '.join(sorted(checks))}")
        selected = [checks[n] for n in names]
    student = student or InProcessStudent()
    return [run_check_def(c, student) for c in selected]


def run_check(name: str, *, verbose: bool = False) -> None:
    """Run one check in this process and print its line.

    ``verbose=True`` also prints one line per part. In strict mode
    (``CS231N_STRICT=1``) a failure raises :class:`CheckFailed`. Returns
    nothing, so a notebook cell shows only the deterministic check line (use
    :func:`run_checks` to get :class:`CheckResult` objects).
    """
    student = _RecordingStudent()
    (result,) = run_checks([name], student=student)
    text = result.report() if verbose else result.line()
    # The kernel may run something other than the files say (an edit that did not load: a syntax error,
    # a renamed function): then neither a FAIL nor a PASS is about the files, so the line says so and
    # what to do (only in a notebook that loaded cs231n_cnn.notebook; nothing to report otherwise).
    why = livesource.describe_problems(sorted(student.called))
    if why:
        head, _, rest = text.partition("\n")
        text = f"{head}; {why}" + (f"\n{rest}" if rest else "")
    print(text)
    if not result.passed and os.environ.get(STRICT_ENV, "") not in ("", "0"):
        raise CheckFailed(text)


class _RecordingStudent(InProcessStudent):
    """The in-process student, remembering which of the package's functions a check called."""

    def __init__(self):
        super().__init__()
        self.called: set[str] = set()

    def call(self, name: str, *args, **kwargs):
        self.called.add(name)
        return super().call(name, *args, **kwargs)
