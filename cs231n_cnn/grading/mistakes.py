"""Known mistakes: a wrong result recognised as one of the wrong variants students commonly write.

A check passes ``mistakes=`` to :meth:`.framework.Tester.assert_close`: a
callable with no arguments returning ``{description: array}``, the results
the common wrong versions of the exercise give *on the check's own inputs*
(computed by ``checks/_reference.py`` from the inputs the check chose, never
from anything the student's code returned). A description is two lines:
what the code did, then the fix::

    {"the update's sign is flipped: v = mu * v + learning_rate * dw"
     "\\nfix: v = mu * v - learning_rate * dw, then next_w = w + v": array, ...}

When the student's result fails the comparison, the variants are computed
and the one it matches (within the check's own tolerance) becomes the
message's headline. A variant is named only if, on that input, it differs
from the correct result and from every other variant by more than
:data:`SEPARATION` times the tolerance, so a match is never a coincidence;
``tests/unit/test_checks_named.py`` asserts that no variant of any public or
hidden check is ever dropped for being too close.

Variants are computed only for a part that failed, except under
:func:`computing_every_variant`: the release builder records every
reference call of the public checks, variants included, so that the
student release names the same mistakes as the grader without shipping the
code that computes them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .diagnose import relative_error

__all__ = ["SEPARATION", "Variant", "Site", "showing", "separated", "matching", "report", "variants_of",
           "computing_every_variant", "eager"]

# How far apart (in multiples of the check's tolerance) a variant must be from the right result and from the
# other variants to be named.
SEPARATION = 100.0


@dataclass(frozen=True)
class Variant:
    """One known mistake: ``what`` the code did, how to ``fix`` it, and its ``value`` on the check's input."""

    what: str
    fix: str
    value: np.ndarray

    @classmethod
    def parse(cls, description: str, value) -> "Variant":
        what, _, fix = description.partition("\n")
        return cls(what.strip(), fix.strip().removeprefix("fix:").strip(), np.asarray(value, dtype=np.float64))


@dataclass(frozen=True)
class Site:
    """One comparison with known mistakes, as seen under :func:`computing_every_variant`."""

    name: str
    expected: np.ndarray
    variants: tuple[Variant, ...]
    tol: float
    atol: float


def _distance(a: np.ndarray, b: np.ndarray, atol: float) -> float:
    """The comparison's own measure: the largest relative error (inf for another shape)."""
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        err = relative_error(a, b, atol)
    return float(np.nanmax(err)) if np.isfinite(a).all() and np.isfinite(b).all() else float("inf")


def showing(variants: list[Variant], expected: np.ndarray, tol: float, atol: float = 0.0) -> list[Variant]:
    """The variants that differ from ``expected`` here at all (a mistake may not show in every output)."""
    return [v for v in variants if _distance(v.value, expected, atol) > max(tol, 1e-9)]


def separated(variants: list[Variant], expected: np.ndarray, tol: float, atol: float = 0.0) -> list[Variant]:
    """Of the variants that show here, those more than ``SEPARATION * tol`` from ``expected`` and each other."""
    far = SEPARATION * max(tol, 1e-9)
    shown = showing(variants, expected, tol, atol)
    keep = []
    for i, v in enumerate(shown):
        others = [expected] + [o.value for j, o in enumerate(shown) if j != i]
        if all(_distance(v.value, o, atol) > far for o in others):
            keep.append(v)
    return keep


def matching(got: np.ndarray, variants: list[Variant], expected: np.ndarray, tol: float,
             atol: float = 0.0) -> list[Variant]:
    """The separated variants that ``got`` equals within the comparison's tolerance."""
    g = np.asarray(got, dtype=np.float64)
    return [v for v in separated(variants, expected, tol, atol) if _distance(g, v.value, atol) <= max(tol, 1e-9)]


def report(name: str, found: list[Variant]) -> str | None:
    """The headline and fix lines naming the matched mistake (None when nothing, or too much, matched)."""
    if len(found) == 1:
        what = found[0].what
        return f"{what if what.startswith(name + ' ') else f'{name}: {what}'}\nfix: {found[0].fix}"
    if len(found) > 1:
        return f"{name} matches {len(found)} known mistakes at once: " + "; ".join(v.what for v in found)
    return None


def variants_of(mistakes: Callable[[], dict]) -> list[Variant]:
    """Call a check's ``mistakes`` callable and parse its ``{description: array}``."""
    found = mistakes()
    if not isinstance(found, dict):
        raise TypeError(f"mistakes() must return a dict of description -> array, got {type(found).__name__}")
    return [Variant.parse(k, v) for k, v in found.items()]


_collectors: list[Callable[[Site], None]] = []


@contextlib.contextmanager
def computing_every_variant(collect: Callable[[Site], None] | None = None):
    """Inside: every comparison computes its variants, failed or not, and hands each :class:`Site` to ``collect``.

    The release builder records the reference calls this makes; the tests
    check the separation of every variant on every input.
    """
    _collectors.append(collect or (lambda site: None))
    try:
        yield
    finally:
        _collectors.pop()


def eager() -> Callable[[Site], None] | None:
    """The innermost collector when :func:`computing_every_variant` is active, else None."""
    return _collectors[-1] if _collectors else None
