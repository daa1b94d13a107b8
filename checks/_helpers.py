"""Small helpers shared by the check modules (not references, not checks)."""

from __future__ import annotations

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


def forward(t, fn: str, *args):
    """Call a layer's forward pass; return ``(out, cache)``."""
    return unpack(t.call(fn, *args), "out, cache", fn)
