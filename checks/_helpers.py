"""Small helpers shared by the check modules (not references, not checks)."""

from __future__ import annotations

import contextlib

from cs231n_cnn.grading import CheckFailure


def unpack(result, names: str, fn: str) -> tuple:
    """``result`` as a tuple of ``len(names.split(', '))`` items, or a CheckFailure saying what was expected.

    A student's forward pass that returns only ``out`` (not ``(out, cache)``)
    then fails its part with a clear message instead of a crash in the check.
    """
    n = len(names.split(", "))
    if not isinstance(result, tuple) or len(result) != n:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise CheckFailure(f"{fn} must return ({names}), got {got}")
    return result


@contextlib.contextmanager
def see_first(fn: str, name: str = "out"):
    """Inside: a failed comparison of the result of ``fn``, a student function a check calls before the one it
    grades (a forward pass for its cache), fails as ``see <fn>: its <name> is wrong on this input: ...``.

    The student then reads which function to fix first, and what was wrong
    with it (a known mistake's name, if it matched one), instead of the
    graded function's own failure, which only follows from it.
    """
    try:
        yield
    except CheckFailure as exc:
        head, _, rest = str(exc).partition("\n")
        short = fn.rsplit(".", 1)[-1]
        raise CheckFailure(f"see {short}: its {name} is wrong on this input: {head.removeprefix(name + ': ')}"
                           + (f"\n{rest}" if rest else "")) from None


def first_problem(fn: str, compare, name: str = "out") -> str | None:
    """The ``see <fn>: ...`` message if ``compare()`` (a comparison of ``fn``'s result) fails, else None.

    Run up front, so that the comparison (and, when the release is built,
    its known mistakes) runs whatever happens next; :func:`blamed` uses it.
    """
    try:
        with see_first(fn, name):
            compare()
    except CheckFailure as exc:
        return str(exc)
    return None


@contextlib.contextmanager
def blamed(problem: str | None):
    """Inside: a failed comparison fails with ``problem`` instead, when the function called first was wrong.

    A backward pass that is right although its forward pass is wrong (its
    cache holds only the inputs) keeps its points; one that is wrong too
    is reported as what it most likely follows from: ``see <forward>: ...``.
    """
    try:
        yield
    except CheckFailure:
        if problem is None:
            raise
        raise CheckFailure(problem) from None


def forward(t, fn: str, *args):
    """Call a layer's forward pass; return ``(out, cache)``."""
    return unpack(t.call(fn, *args), "out, cache", fn)
