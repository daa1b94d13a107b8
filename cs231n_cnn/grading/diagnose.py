"""What a wrong result looks like: the messages a failed comparison shows a student.

Every helper returns a message: a headline, then detail lines. The patterns
are tried on float64 copies of the student's array ``g`` and the expected
one ``e``; each is stated only when it reproduces the student's values
within the check's own tolerance: a constant factor, a flipped sign, swapped
axes, a shift by one, all zeros, NaN or inf, the wrong shape (with the
output-size formula) or dtype. Used by :class:`.framework.Tester`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["relative_error", "number_text", "element_text", "values_message", "nonfinite_message",
           "shape_message", "dtype_message"]

# Every helper below returns a message: a headline, then detail lines. The
# patterns are tried on float64 copies of the student's array ``g`` and the
# expected one ``e``; each is stated only when it reproduces the student's
# values within the check's own tolerance.

_CONV_FORMULA = "H_out = (H + 2*P - HH) // S + 1 and W_out = (W + 2*P - WW) // S + 1"


def relative_error(g: np.ndarray, e: np.ndarray, atol: float = 0.0) -> np.ndarray:
    diff = np.abs(g - e)
    err = diff / np.maximum(1e-8, np.abs(g) + np.abs(e))
    return np.where(diff <= atol, 0.0, err) if atol > 0 else err


def _matches(g: np.ndarray, e: np.ndarray, tol: float, atol: float = 0.0) -> bool:
    """``g`` equals ``e`` within the check's tolerance (at least 1e-9, for arithmetic noise)."""
    return g.shape == e.shape and g.size > 0 and float(relative_error(g, e, atol).max()) <= max(tol, 1e-9)


def number_text(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.4g}"


def _num_pair(a, b) -> tuple[str, str]:
    """Two numbers with enough digits to tell them apart (4 significant digits when that is enough)."""
    for digits in (4, 6, 8, 10, 12, 17):
        x, y = f"{float(a):.{digits}g}", f"{float(b):.{digits}g}"
        if x != y:
            break
    return x, y


def element_text(name: str, idx: tuple) -> str:
    return f"{name}[{', '.join(str(int(i)) for i in idx)}]" if idx else name


def _slice_text(name: str, ndim: int, axis: int, index: str) -> str:
    return f"{name}[{', '.join(index if a == axis else ':' for a in range(ndim))}]"


def _factor(k: float, values: str, factors: dict | None = None) -> str:
    """``0.5x the expected values (a missing factor of 2?)``, ``-1x ...: the sign is flipped``.

    ``factors`` names the sizes a factor usually comes from (``{"N, the
    batch size": 4}``); a factor equal to one of them says so.
    """
    def whole(v):
        return abs(v - round(v)) <= 1e-6 * max(1.0, abs(v)) and round(v) != 0

    def named(v):
        for label, size in (factors or {}).items():
            if abs(abs(v) - size) <= 1e-6 * max(1.0, size) and size not in (0, 1):
                return f" = {label}"
        return ""

    sign = ", and the sign is flipped" if k < 0 else ""
    if whole(k) and round(k) == -1:
        return f"-1x the expected {values}: the sign is flipped"
    if whole(k) or named(k):
        n = int(round(abs(k))) if whole(k) else f"{abs(k):.4g}"
        return f"{k:.4g}x the expected {values} (an extra factor of {n}{named(k)}?{sign})"
    if whole(1 / k) or named(1 / k):
        n = int(round(abs(1 / k))) if whole(1 / k) else f"{abs(1 / k):.4g}"
        return f"{k:.4g}x the expected {values} (a missing factor of {n}{named(1 / k)}?{sign})"
    return f"{k:.4g}x the expected {values}"


def _constant_factor(g, e, tol) -> float | None:
    """``k`` with ``g == k * e`` (k not 1 or 0), else None. A single number only for a simple k."""
    ee = float(np.sum(e * e))
    if ee == 0 or not np.any(g):
        return None
    k = float(np.sum(g * e)) / ee
    if not math.isfinite(k) or abs(k - 1) <= 1e-6 or not _matches(g, k * e, tol):
        return None
    if np.count_nonzero(e) < 2:     # one number is always a multiple of another: only say it for a simple k
        simple = [v for v in (k, 1 / k) if abs(v - round(v)) <= 1e-6 * max(1.0, abs(v)) and round(v) != 0]
        if not simple:
            return None
    return k


def _axes_swapped(name: str, g, e, tol) -> str | None:
    """Headline if ``g`` is ``e`` with its axes in another order (same shape)."""
    if g.ndim < 2 or g.size > 10**6:
        return None
    for perm in itertools.permutations(range(e.ndim)):
        if perm == tuple(range(e.ndim)) or e.transpose(perm).shape != g.shape:
            continue
        if _matches(g, e.transpose(perm), tol) and not _matches(g, e, tol):
            moved = [a for a in range(e.ndim) if perm[a] != a]
            if e.ndim == 2:
                return f"{name} is transposed: it equals the expected {name}.T"
            if len(moved) == 2:
                return f"{name} has axes {moved[0]} and {moved[1]} swapped (compared with the expected values)"
            return f"{name} has its axes in the wrong order: it equals the expected values transposed to {perm}"
    return None


def _shifted(name: str, g, e, tol) -> str | None:
    """Headline if ``g`` is ``e`` moved by one or two places along one axis (an off-by-one index)."""
    for d in (1, -1, 2, -2):
        for axis in range(g.ndim):
            n = g.shape[axis]
            if n <= abs(d) + 1:
                continue
            later, earlier = [slice(None)] * g.ndim, [slice(None)] * g.ndim
            later[axis], earlier[axis] = slice(abs(d), None), slice(None, n - abs(d))
            got, exp = (g[tuple(later)], e[tuple(earlier)]) if d > 0 else (g[tuple(earlier)], e[tuple(later)])
            if np.ptp(exp) == 0 or not _matches(got, exp, tol):
                continue
            ahead, here = f"i + {abs(d)}", "i"
            moved, source = (ahead, here) if d > 0 else (here, ahead)
            return (f"{name} is shifted by {abs(d)} along axis {axis}: {_slice_text(name, g.ndim, axis, moved)} "
                    f"holds the expected {_slice_text(name, g.ndim, axis, source)}"
                    f"\nan off-by-one in an index, the stride or the padding?")
    return None


def _permuted(name: str, g, e, tol) -> str | None:
    """Headline if ``g`` holds the values of ``e`` in other places (and is not ``e`` with its axes swapped)."""
    if g.size < 4 or np.ptp(e) == 0:
        return None
    gs, es = np.sort(g, axis=None), np.sort(e, axis=None)
    if not _matches(gs, es, tol):
        return None
    moved = int(np.sum(relative_error(g, e) > max(tol, 1e-9)))
    return (f"{name} holds the expected values, but {moved} of {g.size} are in other places, not in an order "
            f"a swap of axes gives: a reshape where a transpose was needed (e.g. NCHW reshaped to (-1, C) "
            f"without moving C last), or mixed-up indices?")


def _offset_along(name: str, g, e, tol) -> str | None:
    """Headline if ``g - e`` is one constant, or one constant per index of one axis (a missing or misplaced bias)."""
    d = g - e
    if g.size < 2 or not np.any(d):
        return None
    c = float(d.mean())
    if _matches(g, e + c, tol):
        return (f"{name} is the expected values plus {c:.4g} everywhere (a constant added or left out: "
                f"a bias or an offset?)")
    if g.ndim < 2:
        return None
    for axis in range(g.ndim):
        if g.shape[axis] < 2:
            continue
        others = tuple(a for a in range(g.ndim) if a != axis)
        per = d.mean(axis=others, keepdims=True)
        if _matches(g, e + per, tol):
            shown = ", ".join(f"{v:.4g}" for v in per.ravel()[:4]) + (", ..." if per.size > 4 else "")
            index = _slice_text(name, g.ndim, axis, "i")
            return (f"{name} - expected is one constant for each index i along axis {axis} ({shown}): "
                    f"{index} is off by the same amount everywhere, as when a bias is left out or added "
                    f"along the wrong axis")
    return None


def _step_factor(name: str, g, e, base, tol, factors) -> str | None:
    """Headline if the step ``g - base`` is a constant multiple of the expected step ``e - base``."""
    base_name, w = base
    gs, es = g - w, e - w
    if not np.any(es):
        return None
    if not np.any(gs):
        return f"the step {name} - {base_name} is zero: {name} equals {base_name} (the update was not applied?)"
    k = _constant_factor(gs, es, tol)
    if k is None:
        return None
    return f"the step {name} - {base_name} is {_factor(k, 'step', factors)}"


def _where_wrong(wrong: np.ndarray) -> str | None:
    """A detail line if the wrong elements sit at only some indices of one axis (e.g. the borders)."""
    if wrong.ndim == 0 or wrong.all():
        return None
    best = None
    for axis in range(wrong.ndim):
        n = wrong.shape[axis]
        if n < 3:
            continue
        hit = np.flatnonzero(np.any(wrong, axis=tuple(a for a in range(wrong.ndim) if a != axis)))
        border = set(hit.tolist()) <= {0, n - 1}
        if (len(hit) <= n // 3 or border) and (best is None or len(hit) / n < len(best[1]) / best[2]):
            best = (axis, hit, n)
    if best is None:
        return None
    axis, hit, n = best
    shown = ", ".join(map(str, hit[:6])) + (", ..." if len(hit) > 6 else "")
    edges = " (at the border: padding?)" if set(hit.tolist()) <= {0, n - 1} else ""
    return f"the wrong elements all have index {shown} along axis {axis} (of size {n}){edges}"


def values_message(name: str, g, e, err, tol: float, atol: float, *, step_from: tuple | None = None,
                   factors: dict | None = None) -> str:
    """The message for values that are not close enough (same shape, all finite).

    ``step_from=(name, w)``: ``g`` is an update of ``w``, and the factor and
    sign tests also look at the step ``g - w``. ``factors``: sizes a
    factor is named after (see :func:`_factor`).
    """
    idx = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    got_text, expected_text = _num_pair(g[idx], e[idx])
    worst = f"{element_text(name, idx)} = {got_text}, expected {expected_text}"
    wrong = err > tol
    n_wrong, size = int(wrong.sum()), wrong.size
    tolerance = f"{name}: max relative error {float(err.max()):.1e} > {tol:.0e}"
    details = []
    k = None
    step = _step_factor(name, g, e, step_from, tol, factors) if step_from is not None else None
    if step:
        headline = step
    elif not np.any(g) and np.any(e):
        headline = f"{name} is all zeros (not implemented yet, or never written or accumulated?)"
    elif (k := _constant_factor(g, e, tol)) is not None:
        headline = f"{name} is {_factor(k, 'values' if size > 1 else 'value', factors)}"
    else:
        headline = (_axes_swapped(name, g, e, tol) or _shifted(name, g, e, tol) or _permuted(name, g, e, tol)
                    or _offset_along(name, g, e, tol))
    if headline is None:
        count = f" ({n_wrong} of {size} elements wrong)" if size > 1 else ""
        headline = f"{worst}{count}"
    else:
        details.append(f"worst: {worst}" if size > 1 else worst)
    if size > 1 and k is None:
        if not headline.startswith(worst) and np.any(g):
            details.append(f"{n_wrong} of {size} elements are wrong")
        if np.any(e[wrong]) and not np.any(g[wrong]) and np.any(g):
            details.append(f"every wrong element of {name} is 0: values never written there, or not accumulated?")
        where = _where_wrong(wrong)
        if where:
            details.append(where)
    details.append(tolerance)
    return "\n".join([headline, *details])


def nonfinite_message(name: str, g, e) -> str:
    nan, inf = np.isnan(g), np.isinf(g)
    kinds = " and ".join(k for k, m in (("NaN", nan), ("inf", inf)) if m.any())
    bad = nan | inf
    idx = tuple(int(i) for i in np.argwhere(bad)[0]) if g.ndim else ()
    count = f" at {int(bad.sum())} of {bad.size} elements" if g.ndim else ""
    details = [f"first: {element_text(name, idx)} = {number_text(g[idx])}, expected {number_text(e[idx])}"]
    if inf.any():
        details.append("inf usually comes from an overflow (np.exp of large scores: subtract the maximum first) "
                       "or a division by zero")
    if nan.any():
        details.append("NaN usually comes from 0/0, inf - inf, or the log or square root of a negative number")
    return "\n".join([f"{name} contains {kinds}{count}", *details])


def shape_message(name: str, got: np.ndarray, shape: tuple, expected=None, tol: float = 0.0) -> str:
    """Both shapes, and what the difference suggests."""
    shape = tuple(shape)
    details = []
    if got.ndim != len(shape):
        details.append(f"{name} is {got.ndim}-D; expected {len(shape)}-D")
    if expected is not None and got.size == expected.size and got.size:
        g, e = got.astype(np.float64), expected.astype(np.float64)
        if _matches(g.reshape(shape), e, tol):
            details.append(f"it holds the right values in the wrong shape: return {name}.reshape({shape})")
        elif got.ndim == expected.ndim:
            perm = next((p for p in itertools.permutations(range(e.ndim))
                         if e.transpose(p).shape == got.shape and _matches(g, e.transpose(p), tol)), None)
            if perm is not None:
                details.append(f"it holds the expected values with the axes in the order {perm}: "
                               + ("transposed?" if e.ndim == 2 else "axes swapped?"))
    headline = f"{name} has shape {got.shape}, expected {shape}"
    gradient = name.startswith("d") and name[1:2].isalpha()
    if got.ndim == len(shape) == 4 and got.shape[:2] == shape[:2] and gradient:
        extra = {got.shape[2] - shape[2], got.shape[3] - shape[3]}
        if len(extra) == 1 and (two_p := extra.pop()) > 0 and two_p % 2 == 0:
            p = two_p // 2
            headline += f": {name} still has the padding ({two_p} = 2 * pad more rows and columns)"
            details.append(f"return the padded gradient without its border: {name}_padded[:, :, {p}:-{p}, {p}:-{p}]")
    elif got.ndim == len(shape) == 4 and got.shape[:1] == shape[:1] and got.shape[2:] != shape[2:]:
        details.append(f"for a convolution or pooling layer the output size is {_CONV_FORMULA}")
    return "\n".join([headline, *details])


def dtype_message(name: str, got: np.dtype, want: np.dtype) -> str:
    headline = f"{name} has dtype {got}, expected {want}"
    if got.kind == want.kind == "f" and got.itemsize > want.itemsize:
        return (f"{headline}\nthe inputs were {want}, and the result should be too: np.zeros(shape) and "
                f"np.ones(shape) make float64 unless given dtype=x.dtype (np.zeros_like(x) keeps it), and "
                f"mixing in a float64 array upcasts")
    return headline
