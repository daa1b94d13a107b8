"""Check definitions: one place that says what "correct" means for each exercise.

A check is a function decorated with :func:`check`. It receives a
:class:`Tester`, generates inputs, computes reference results with
independent code (direct loops, ``scipy.signal``, numerical gradients of a
reference forward pass), calls the student's function through
``t.call(...)`` and compares inside ``with t.part(label, points):`` blocks::

    @check("relu_forward", points=2)
    def relu_forward(t):
        for label in ("random", "all negative"):
            with t.part(label, points=1):
                x = t.rng.standard_normal((3, 4))
                out, _ = t.call("layers.relu_forward", x)
                t.assert_close(out, np.maximum(x, 0), tol=1e-12)

Each part scores its points or zero, so a check gives partial credit (e.g.
dx right, dw wrong). A part fails on a wrong value, a wrong shape or dtype,
an exception in the student's code, or a missing function; the message says
which, in one line. The same definitions serve the notebooks' check cells,
the project's tests (the reference solution must score full marks) and the
grader.
"""

from __future__ import annotations

import contextlib
import math
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .student import StudentError

__all__ = ["check", "Check", "CheckFailure", "Tester", "PartResult", "CheckResult", "REGISTRY", "run_check_def"]


class CheckFailure(AssertionError):
    """A comparison in a check failed; the message is shown to the student."""


@dataclass
class Check:
    """A named, graded check."""

    name: str
    points: int
    func: Callable
    hidden: bool = False
    description: str = ""
    seed: int = 0
    module: str = ""

    @property
    def visibility(self) -> str:
        return "after_published" if self.hidden else "visible"


REGISTRY: dict[str, Check] = {}


def check(name: str, *, points: int, hidden: bool = False, description: str = "", seed: int | None = None):
    """Register a check function under ``name`` (see the module docstring)."""
    if points <= 0:
        raise ValueError(f"check {name!r}: points must be positive")

    def register(func):
        if name in REGISTRY and REGISTRY[name].func.__code__ is not func.__code__:
            raise ValueError(f"check {name!r} is defined twice ({REGISTRY[name].module} and {func.__module__})")
        # A stable per-check seed: inputs do not change when other checks are added.
        s = seed if seed is not None else sum(ord(ch) * (i + 1) for i, ch in enumerate(name)) % (2**31)
        REGISTRY[name] = Check(name, points, func, hidden, description or (func.__doc__ or "").strip().split("\n")[0],
                               s, func.__module__)
        return func

    return register


@dataclass
class PartResult:
    label: str
    score: float
    max_score: float
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass
class CheckResult:
    name: str
    score: float
    max_score: float
    hidden: bool
    parts: list[PartResult] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.error and self.score >= self.max_score

    def line(self) -> str:
        """One deterministic line: ``PASS name 4/4`` or ``FAIL name: why (s/m)``."""
        score = f"{_fmt(self.score)}/{_fmt(self.max_score)}"
        if self.passed:
            return f"PASS {self.name} {score}"
        why = self.error or next((p.message for p in self.parts if not p.passed), "failed")
        return f"FAIL {self.name}: {why} ({score})"

    def report(self) -> str:
        """The line plus one line per part, for the grader's output."""
        lines = [self.line()]
        for p in self.parts:
            mark = "ok " if p.passed else "ERR"
            msg = f": {p.message}" if p.message and not p.passed else ""
            lines.append(f"  [{mark}] {p.label} ({_fmt(p.score)}/{_fmt(p.max_score)}){msg}")
        return "\n".join(lines)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


class Tester:
    """What a check function gets: the student, a seeded generator, and comparisons."""

    def __init__(self, student, seed: int):
        self.student = student
        self.rng = np.random.default_rng(seed)
        self.parts: list[PartResult] = []

    # ------------------------------------------------------------ student calls

    def call(self, name: str, *args, **kwargs):
        """Call the student's ``cs231n_cnn.<name>``; returns plain data or handles."""
        return self.student.call(name, *args, **kwargs)

    def call_method(self, handle, method: str, *args, **kwargs):
        return self.student.call_method(handle, method, *args, **kwargs)

    def get_attr(self, handle, attr: str):
        return self.student.get_attr(handle, attr)

    # -------------------------------------------------------------- parts

    @contextlib.contextmanager
    def part(self, label: str, points: float = 1):
        """Score ``points`` if the block completes, 0 (with the reason) if it fails."""
        try:
            yield
        except CheckFailure as exc:
            self.parts.append(PartResult(label, 0.0, points, str(exc)))
        except StudentError as exc:
            self.parts.append(PartResult(label, 0.0, points, exc.message))
        else:
            self.parts.append(PartResult(label, float(points), points))

    # -------------------------------------------------------------- comparisons

    def assert_array(self, got, *, shape=None, dtype=None, name: str = "result") -> np.ndarray:
        """Check that ``got`` is a plain array with the given shape/dtype; return it."""
        if type(got) is not np.ndarray:
            raise CheckFailure(f"{name} should be a numpy array, got {_describe(got)}")
        if shape is not None and got.shape != tuple(shape):
            raise CheckFailure(f"{name} has shape {got.shape}, expected {tuple(shape)}")
        if dtype is not None and got.dtype != np.dtype(dtype):
            raise CheckFailure(f"{name} has dtype {got.dtype}, expected {np.dtype(dtype)}")
        return got

    def assert_close(self, got, expected, *, tol: float = 1e-7, name: str = "result", atol: float = 0.0) -> float:
        """Relative error ``max |g - e| / max(1e-8, |g| + |e|)`` at most ``tol``.

        Elements with ``|g - e| <= atol`` count as equal. Returns the error.
        """
        expected = np.asarray(expected)
        if expected.ndim == 0 and not isinstance(got, np.ndarray):
            if not (isinstance(got, (int, float)) and not isinstance(got, bool)):
                raise CheckFailure(f"{name} should be a number, got {_describe(got)}")
            got = np.asarray(float(got))
        got = self.assert_array(got, shape=expected.shape, name=name)
        g = got.astype(np.float64)
        e = expected.astype(np.float64)
        if not np.all(np.isfinite(g)):
            raise CheckFailure(f"{name} contains NaN or inf")
        diff = np.abs(g - e)
        err = diff / np.maximum(1e-8, np.abs(g) + np.abs(e))
        if atol > 0:
            err = np.where(diff <= atol, 0.0, err)
        worst = float(err.max()) if err.size else 0.0
        if not worst <= tol:
            raise CheckFailure(f"{name}: max relative error {worst:.1e} > {tol:.0e}")
        return worst

    def assert_equal(self, got, expected, *, name: str = "result") -> None:
        """Exact equality of plain values (numbers, strings, arrays)."""
        if isinstance(expected, np.ndarray):
            got = self.assert_array(got, shape=expected.shape, name=name)
            if not np.array_equal(got, expected):
                raise CheckFailure(f"{name} differs from the expected values")
        elif type(got) is not type(expected) and not (_is_num(got) and _is_num(expected)):
            raise CheckFailure(f"{name} should be {type(expected).__name__}, got {_describe(got)}")
        elif got != expected:
            raise CheckFailure(f"{name} is {got!r}, expected {expected!r}")

    def assert_raises(self, name: str, *args, match: str = "", **kwargs) -> None:
        """The student's function must raise ``ValueError`` whose message contains ``match``."""
        try:
            self.call(name, *args, **kwargs)
        except StudentError as exc:
            if "ValueError" not in exc.message or match not in exc.message:
                raise CheckFailure(f"expected ValueError mentioning {match!r}, got: {exc.message}") from None
            return
        raise CheckFailure(f"{name} accepted invalid input; expected ValueError mentioning {match!r}")


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape}"
    return type(x).__name__


def run_check_def(chk: Check, student) -> CheckResult:
    """Run one check against ``student``; never raises for problems in student code."""
    t = Tester(student, chk.seed)
    start = time.perf_counter()
    error = ""
    try:
        chk.func(t)
    except StudentError as exc:  # a call outside any part: the rest of the check cannot run
        error = exc.message
    except CheckFailure as exc:
        error = str(exc)
    except Exception as exc:  # a bug in the check itself: say so, score what ran
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"internal error in check ({type(exc).__name__}: {exc} at {tb.filename}:{tb.lineno})"
    seconds = time.perf_counter() - start
    max_parts = sum(p.max_score for p in t.parts)
    score = sum(p.score for p in t.parts)
    if not error and not math.isclose(max_parts, chk.points):
        error = f"internal error in check: parts are worth {max_parts:g} points, the check declares {chk.points}"
    if error:
        score = min(score, chk.points)
    return CheckResult(chk.name, min(score, chk.points), chk.points, chk.hidden, t.parts, error, seconds)
