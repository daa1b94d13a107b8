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
an exception in the student's code, or a missing function. The same
definitions serve the notebooks' check cells, the project's tests (the
reference solution must score full marks) and the grader.

Messages. A failure message is a short headline, then detail lines. The
comparisons write them, so every check gets them without saying anything:

* a known mistake, when the check gave its wrong variants (``mistakes=``)
  and the result matches one of them: what the code did, then the fix
  (:mod:`.mistakes`; raised as :class:`KnownMistake`);
* the worst element, named as the student names the array:
  ``out[1, 0, 2, 3] = 0.512, expected 1.024``;
* a recognised pattern as the headline when there is one: a constant factor
  (``dw is 0.5x the expected values``, ``-1x: the sign is flipped``), axes
  swapped or transposed, the values shifted by one along an axis, all
  zeros, NaN or inf, the right values in the wrong shape;
* the wrong shape with both shapes (and the output-size formula for
  conv-like shapes), the wrong dtype with the usual cause;
* the relative error and the tolerance (``out: max relative error 1.0e+00 > 1e-07``).

:meth:`CheckResult.line` starts with ``FAIL name: [part] headline (score)``:
the first part that failed on its own, then its details. A part that fails
only because an earlier one did says ``see [that part]`` instead of repeating
a numeric error: the framework notices when a part uses a student function
that already failed an earlier part of the same check, when it raises
exactly the same error again, and when the check calls :meth:`Tester.needs`.

Helpers for check authors, beyond the comparisons:

* ``t.call(name, *args, check_unmodified=True)`` fails the part if the
  student's function changes an array it was given, in place (naming the
  argument and the first changed element);
* ``t.set_item(handle, "params", name, value)``: ``obj.params[name] = value``
  on a student object, so a check computes its reference from parameters it
  chose, never from ones the student's model reports (checks/models.py);
* ``t.note(text)``: what this run could not check (e.g. a part judged by the
  student's own numbers where the release has no reference), shown on the
  PASS/FAIL line as ``[text]``;
* ``t.needs(value, part)`` inside a part: when ``value`` is None (the earlier
  ``part`` that should have produced it failed), fail as a follow-on of it::

      grads = None
      with t.part("dx"):
          grads = t.call("layers.affine_backward", dout, cache)
          t.assert_close(grads[0], dx_num, name="dx")
      with t.part("dw"):
          t.needs(grads, "dx")
          t.assert_close(grads[1], dw_num, name="dw")
"""

from __future__ import annotations

import contextlib
import math
import re
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .diagnose import (
    dtype_message,
    element_text,
    nonfinite_message,
    number_text,
    relative_error,
    shape_message,
    values_message,
)
from .mistakes import Site, eager, matching, report, variants_of
from .runtime.student import CHECK_UNMODIFIED, StudentError

__all__ = ["check", "Check", "CheckFailure", "KnownMistake", "FollowOnFailure", "Tester", "PartResult", "CheckResult",
           "REGISTRY", "run_check_def", "format_points"]


class CheckFailure(AssertionError):
    """A comparison in a check failed; the message is shown to the student.

    Its first line is a short headline; any further lines are details.
    """


class KnownMistake(CheckFailure):
    """A failed comparison whose result matched one of the known mistakes it was given (:mod:`.mistakes`)."""


class FollowOnFailure(CheckFailure):
    """A part that could not be checked because an earlier part failed (see :meth:`Tester.needs`)."""

    def __init__(self, message: str, part: str):
        super().__init__(message)
        self.part = part


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
    """One part's score; ``message`` (headline, then detail lines) says why it failed.

    ``follows`` names the earlier part this failure follows from, if any.
    """

    label: str
    score: float
    max_score: float
    message: str = ""
    follows: str = ""

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score

    @property
    def headline(self) -> str:
        return self.message.split("\n", 1)[0]

    @property
    def details(self) -> list[str]:
        return [line.strip() for line in self.message.split("\n")[1:] if line.strip()]


@dataclass
class CheckResult:
    name: str
    score: float
    max_score: float
    hidden: bool
    parts: list[PartResult] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    note: str = ""   # what this run could not check (see Tester.note), shown on the headline

    @property
    def passed(self) -> bool:
        return not self.error and self.score >= self.max_score

    def first_failure(self) -> PartResult | None:
        """The first part that failed on its own (not as a follow-on of an earlier one)."""
        failed = [p for p in self.parts if not p.passed]
        return next((p for p in failed if not p.follows), failed[0] if failed else None)

    def _why(self) -> tuple[str, list[str]]:
        """The reason of the first failure, short, and the detail lines that go under it."""
        first = self.first_failure()
        if self.error:
            head, details = self.error.split("\n", 1)[0], [d.strip() for d in self.error.split("\n")[1:] if d.strip()]
        elif first is not None:
            head, details = first.headline, first.details
        else:
            return "failed", []
        short, said = _shorten_student_error(head, self.name)
        if said:
            details = [said, *details]
        return (f"[{first.label}] {short}" if not self.error else short), details

    def headline(self) -> str:
        """One deterministic line: ``PASS name 4/4`` or ``FAIL name: [part] why (s/m)``.

        When the student's function raised, ``why`` is short (``not implemented
        yet``, ``raised ValueError``) and does not repeat the check's name; the
        exception's text is the first detail line of :meth:`line`.
        """
        score = f"{format_points(self.score)}/{format_points(self.max_score)}"
        note = f" [{self.note}]" if self.note else ""
        if self.passed:
            return f"PASS {self.name} {score}{note}"
        return f"FAIL {self.name}: {self._why()[0]} ({score}){note}"

    def line(self) -> str:
        """:meth:`headline`; for a failure, followed by the details of the first failure (what notebooks print)."""
        if self.passed:
            return self.headline()
        return "\n".join([self.headline(), *(f"    {d}" for d in self._why()[1])])

    def report(self) -> str:
        """The headline plus one entry per part (failed parts with their details), for the grader's output."""
        lines = [self.headline()]
        if self.error:
            lines += [f"    {d.strip()}" for d in self.error.split("\n")[1:] if d.strip()]
        for p in self.parts:
            mark = "ok " if p.passed else "ERR"
            msg = f": {p.headline}" if p.message and not p.passed else ""
            lines.append(f"  [{mark}] {p.label} ({format_points(p.score)}/{format_points(p.max_score)}){msg}")
            if not p.passed:
                lines += [f"        {d}" for d in p.details]
        return "\n".join(lines)


# The headline of a StudentError (runtime/student.py): "<function> is not implemented yet (NotImplementedError:
# <text>)" or "<function> raised <Exception>: <text>". Only its presentation is changed here, never a decision.
_STUDENT_RAISED = re.compile(r"(?P<label>[\w.]+) (?:is not implemented yet \((?P<nie>NotImplementedError: .*)\)"
                             r"|raised (?P<exc>[\w.]+): (?P<text>.*))")


def _shorten_student_error(headline: str, check_name: str) -> tuple[str, str]:
    """``(short headline, exception line)`` for a student's exception, else ``(headline, "")``.

    The function's name is dropped when it is the check's own name (``FAIL
    relu_forward: [...] not implemented yet``), kept otherwise (``layers.bwd
    raised KeyError``); the exception and its text move to the detail line.
    """
    m = _STUDENT_RAISED.fullmatch(headline)
    if m is None:
        return headline, ""
    label = m["label"]
    subject = "" if label == check_name or label.endswith("." + check_name) else f"{label} "
    if m["nie"] is not None:
        return f"{subject}not implemented yet", m["nie"]
    return f"{subject}raised {m['exc']}", f"{m['exc']}: {m['text']}"


def format_points(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


class Tester:
    """What a check function gets: the student, a seeded generator, and comparisons."""

    __test__ = False     # not a pytest test class, whatever its name

    def __init__(self, student, seed: int):
        self.student = student
        self.rng = np.random.default_rng(seed)
        self.parts: list[PartResult] = []
        self._calls: list[str] = []      # student functions called in the running part, in order
        self._raised: str | None = None  # the function whose StudentError is propagating
        self._failed: dict[str, str] = {}  # student function -> the first part it failed
        self.notes: list[str] = []

    # ------------------------------------------------------------ student calls

    def call(self, name: str, *args, check_unmodified: bool = False, **kwargs):
        """Call the student's ``cs231n_cnn.<name>``; returns plain data or handles.

        ``check_unmodified=True``: the part fails if the function changes an
        array argument in place (e.g. ``x[x < 0] = 0`` in a ReLU).
        """
        if check_unmodified:
            kwargs[CHECK_UNMODIFIED] = True
        return self._track(name, self.student.call, name, *args, **kwargs)

    def call_method(self, handle, method: str, *args, check_unmodified: bool = False, **kwargs):
        """Call a method of a student object (``check_unmodified`` as in :meth:`call`)."""
        if check_unmodified:
            kwargs[CHECK_UNMODIFIED] = True
        return self._track(f"{handle.type_name}.{method}", self.student.call_method, handle, method, *args, **kwargs)

    def get_attr(self, handle, attr: str):
        return self.student.get_attr(handle, attr)

    def set_item(self, handle, attr: str, key: str, value) -> None:
        """``obj.<attr>[key] = value`` on a student object, e.g. a model parameter the check chose.

        A check that sets ``model.params`` itself computes its reference from
        its own numbers; a model that ignores them only loses points.
        """
        self._track(f"{handle.type_name}.{attr}", self.student.set_item, handle, attr, key, value)

    def _track(self, label: str, fn, *args, **kwargs):
        self._calls.append(label)
        try:
            return fn(*args, **kwargs)
        except StudentError:
            self._raised = label
            raise

    # -------------------------------------------------------------- parts

    @contextlib.contextmanager
    def part(self, label: str, points: float = 1):
        """Score ``points`` if the block completes, 0 (with the reason) if it fails."""
        outer = self._calls, self._raised
        self._calls, self._raised = [], None
        try:
            yield
        except FollowOnFailure as exc:
            self.parts.append(PartResult(label, 0.0, points, str(exc), follows=exc.part))
        except CheckFailure as exc:
            self._failed_part(label, points, str(exc), culprit=self._calls[-1] if self._calls else None)
        except StudentError as exc:
            self._failed_part(label, points, exc.message, culprit=self._raised, raised=True)
        else:
            self.parts.append(PartResult(label, float(points), points))
        finally:
            self._calls, self._raised = outer

    def note(self, text: str) -> None:
        """Say on the check's PASS/FAIL line what this run could not check, e.g. that a part compared
        the student's model with the student's own numbers because no reference was available."""
        if text not in self.notes:
            self.notes.append(text)

    def needs(self, value, part: str) -> None:
        """Inside a part: fail as a follow-on of the earlier ``part`` if ``value`` (what it made) is None."""
        if value is None:
            raise FollowOnFailure(f"see [{part}]: not checked, because that part failed", part)

    def _failed_part(self, label: str, points: float, message: str, *, culprit: str | None,
                     raised: bool = False) -> None:
        """Record a failed part; say ``see [earlier part]`` when it only follows from that one.

        ``culprit`` is the student function whose result was being checked
        (the last one called) or that raised.
        """
        earlier = [p for p in self.parts if not p.passed]
        follows = ""
        same = next((p for p in earlier if raised and p.message == message), None)
        if same is not None:
            follows = same.label
            message = f"see [{same.label}]: {culprit or 'the same call'} raised the same error there"
        else:
            used = next((f for f in self._calls if f != culprit and f in self._failed), None)
            if used is not None:
                follows = self._failed[used]
                headline = message.split("\n", 1)[0]
                message = (f"see [{follows}] first: this part uses {used}, which failed there"
                           f"\nthis part's own result: {headline}")
        if culprit and not follows:
            self._failed.setdefault(culprit, label)
        self.parts.append(PartResult(label, 0.0, points, message, follows=follows))

    # -------------------------------------------------------------- comparisons

    def assert_array(self, got, *, shape=None, dtype=None, name: str = "result") -> np.ndarray:
        """Check that ``got`` is a plain array with the given shape/dtype; return it."""
        if type(got) is not np.ndarray:
            raise CheckFailure(f"{name} should be a numpy array, got {_describe(got)}")
        if shape is not None and got.shape != tuple(shape):
            raise CheckFailure(shape_message(name, got, tuple(shape)))
        if dtype is not None and got.dtype != np.dtype(dtype):
            raise CheckFailure(dtype_message(name, got.dtype, np.dtype(dtype)))
        return got

    def assert_close(self, got, expected, *, tol: float = 1e-7, name: str = "result", atol: float = 0.0,
                     mistakes: Callable[[], dict] | None = None, step_from: tuple | None = None,
                     factors: dict | None = None) -> float:
        """Relative error ``max |g - e| / max(1e-8, |g| + |e|)`` at most ``tol``.

        Elements with ``|g - e| <= atol`` count as equal. Returns the error.
        A failure names the worst element and any pattern it recognises
        (constant factor, swapped axes, shift by one, values moved, an offset
        per index, zeros, NaN, shape).

        ``mistakes``: a callable returning ``{description: array}``, the
        results of known wrong versions on this part's inputs
        (:mod:`.mistakes`); computed only when the comparison fails, and
        the one the result matches becomes the headline. ``step_from=("w",
        w)``: the result is an update of ``w``; factor and sign are also
        tested on the step. ``factors``: sizes a factor is named after
        (``{"N, the batch size": 4}``).
        """
        expected = np.asarray(expected)
        collect, variants = eager(), None
        if mistakes is not None and collect is not None:
            variants = variants_of(mistakes)
            collect(Site(name, expected.astype(np.float64), tuple(variants), tol, atol))
        try:
            return self._compare(got, expected, tol, name, atol, step_from, factors)
        except CheckFailure as exc:
            if mistakes is None or not (isinstance(got, np.ndarray) or _is_num(got)):
                raise
            g = np.asarray(got)
            if g.dtype.kind not in "biuf":
                raise
            named = report(name, matching(g.astype(np.float64), variants if variants is not None
                                          else variants_of(mistakes), expected.astype(np.float64), tol, atol))
            if named is None:
                raise
            raise KnownMistake(f"{named}\n{exc}") from None

    def _compare(self, got, expected, tol, name, atol, step_from, factors) -> float:
        if expected.ndim == 0 and not isinstance(got, np.ndarray):
            if not _is_num(got):
                raise CheckFailure(f"{name} should be a number, got {_describe(got)}")
            got = np.asarray(float(got))
        if type(got) is np.ndarray and got.shape != expected.shape:
            raise CheckFailure(shape_message(name, got, expected.shape, expected, tol))
        got = self.assert_array(got, shape=expected.shape, name=name)
        g = got.astype(np.float64)
        e = expected.astype(np.float64)
        if not np.all(np.isfinite(g)):
            raise CheckFailure(nonfinite_message(name, g, e))
        err = relative_error(g, e, atol)
        worst = float(err.max()) if err.size else 0.0
        if not worst <= tol:
            base = None if step_from is None else (step_from[0], np.asarray(step_from[1], dtype=np.float64))
            raise CheckFailure(values_message(name, g, e, err, tol, atol, step_from=base, factors=factors))
        return worst

    def assert_equal(self, got, expected, *, name: str = "result") -> None:
        """Exact equality of plain values (numbers, strings, arrays)."""
        if isinstance(expected, np.ndarray):
            got = self.assert_array(got, shape=expected.shape, name=name)
            if not np.array_equal(got, expected):
                differ = got != expected
                idx = tuple(int(i) for i in np.argwhere(differ)[0]) if differ.ndim else ()
                raise CheckFailure(f"{name} differs from the expected values at {int(np.sum(differ))} of "
                                   f"{differ.size} elements"
                                   f"\nfirst: {element_text(name, idx)} = {number_text(got[idx])}, "
                                   f"expected {number_text(expected[idx])}")
        elif type(got) is not type(expected) and not (_is_num(got) and _is_num(expected)):
            raise CheckFailure(f"{name} should be {type(expected).__name__}, got {_describe(got)}")
        elif got != expected:
            raise CheckFailure(f"{name} is {got!r}, expected {expected!r}")

    def assert_raises(self, name: str, *args, match: str = "", **kwargs) -> None:
        """The student's function must raise ``ValueError`` whose message contains ``match``."""
        try:
            self.call(name, *args, **kwargs)
        except StudentError as exc:
            # Decided by type: ``kinds`` names the built-in classes of what the student raised
            # (empty when the call failed some other way: a timeout, a crash).
            text = exc.raised if exc.raised is not None else exc.message
            if "ValueError" not in exc.kinds or match not in text:
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
    return CheckResult(chk.name, min(score, chk.points), chk.points, chk.hidden, t.parts, error, seconds,
                       "; ".join(t.notes))
