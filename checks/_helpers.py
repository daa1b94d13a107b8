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


def forward(t, fn: str, *args):
    """Call a layer's forward pass; return ``(out, cache)``."""
    return unpack(t.call(fn, *args), "out, cache", fn)
