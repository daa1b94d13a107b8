"""Fractional max pooling (Graham 2014), with its pooling regions given as an argument.

Fractional max pooling shrinks each side by a factor ``alpha = H / H_out``
between 1 and 2, where 2x2 max pooling always halves it. The input is tiled
by disjoint regions of 1 or 2 rows by 1 or 2 columns; region ``(i, j)`` is::

    x[:, :, rows[i]:rows[i+1], cols[j]:cols[j+1]]

where ``rows = (a_0, ..., a_{H_out})`` rises from ``a_0 = 0`` to
``a_{H_out} = H`` in steps of 1 or 2, and likewise ``cols`` for the width.
Each output is the maximum of its region. The ties rule is max pooling's:
the FIRST maximum of a region in row-major order gets its gradient.

Graham draws the sequences at random on every forward pass. Here they are an
argument (``pool_param = {'rows': ..., 'cols': ...}``), so a layer is
deterministic and a check can be seeded; :func:`fractional_pool_sequence`
gives Graham's pseudo-random sequence for an offset ``u`` in [0, 1) that the
caller draws (from its own Generator) or fixes.

Credit: the notes introduced Fractional Max-Pooling in their "Recent
developments" paragraph on pooling in the Winter 2015 edition (March 2015),
as "randomly generating pooling regions with a combination of 1x1, 1x2,
2x1 or 2x2 filters to tile the input activation map"; the 2016 rewrite of the
notes dropped the paragraph. The paper: B. Graham, *Fractional Max-Pooling*,
arXiv:1412.6071 (2014), section 2.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..shapes import ArgumentTypeError, check_array, check_int, check_real, promote_integer_arrays

__all__ = ["fractional_pool_sequence", "fractional_max_pool_forward", "fractional_max_pool_backward"]


def fractional_pool_sequence(n_in, n_out, u=0.5):
    """Graham's pseudo-random pooling sequence: region boundaries along one axis.

    Parameters
    ----------
    n_in : int
        Input side (H or W).
    n_out : int
        Output side, with ``n_out < n_in <= 2 * n_out`` (``alpha = n_in / n_out`` in (1, 2]).
    u : float in [0, 1)
        The offset that makes the sequence pseudo-random; draw it from your
        own Generator (``rng.random()``) for a new tiling, or fix it.

    Returns
    -------
    ndarray of int, shape (n_out + 1,)
        ``a_i = ceil(alpha * (i + u)) - ceil(alpha * u)``: ``a_0 = 0``,
        ``a_{n_out} = n_in``, every step 1 or 2 (computed in exact rational
        arithmetic, so no rounding moves a boundary).

    Examples
    --------
    >>> fractional_pool_sequence(10, 7, u=0.5).tolist()
    [0, 2, 3, 4, 6, 7, 9, 10]
    """
    layer = "fractional_pool_sequence"
    n_in = check_int(n_in, "n_in", minimum=2, layer=layer)
    n_out = check_int(n_out, "n_out", minimum=1, layer=layer)
    if not n_out < n_in <= 2 * n_out:
        raise ValueError(f"{layer}: the ratio n_in / n_out must lie in (1, 2] (regions of 1 or 2 entries), "
                         f"got {n_in} / {n_out} = {n_in / n_out:g}")
    u = Fraction(check_real(u, "u", low=0, high=1, high_open=True, layer=layer))
    alpha = Fraction(n_in, n_out)
    base = math.ceil(alpha * u)
    return np.array([math.ceil(alpha * (i + u)) - base for i in range(n_out + 1)], dtype=np.intp)


def _check_sequence(seq, n, name, layer):
    """``seq`` as an int array rising from 0 to ``n`` in steps of 1 or 2."""
    values = np.asarray(seq)
    if values.ndim != 1 or values.dtype.kind not in "iu":
        raise ArgumentTypeError(f"{layer}: pool_param[{name!r}] must be a 1-D sequence of ints, got {seq!r}")
    steps = np.diff(values)
    if len(values) < 2 or values[0] != 0 or values[-1] != n or not np.all((steps == 1) | (steps == 2)):
        axis = "H" if name == "rows" else "W"
        raise ValueError(f"{layer}: pool_param[{name!r}] must rise from 0 to {axis}={n} in steps of 1 or 2 "
                         f"(the regions' boundaries), got {values.tolist()}")
    return values.astype(np.intp, copy=False)


def _check_forward(x, pool_param, layer):
    """Validate ``x`` and ``pool_param``; return ``(rows, cols, out_shape)``."""
    check_array(x, "x", 4, layer=layer)
    if not isinstance(pool_param, dict) or "rows" not in pool_param or "cols" not in pool_param:
        raise ArgumentTypeError(f"{layer}: pool_param must be a dict with keys 'rows' and 'cols' (the regions' "
                                f"boundaries, e.g. from fractional_pool_sequence), got {pool_param!r}")
    N, C, H, W = x.shape
    rows = _check_sequence(pool_param["rows"], H, "rows", layer)
    cols = _check_sequence(pool_param["cols"], W, "cols", layer)
    return rows, cols, (N, C, len(rows) - 1, len(cols) - 1)


@promote_integer_arrays
def fractional_max_pool_forward(x, pool_param):
    """Fractional max pooling, forward pass (vectorized).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float32 or float64
    pool_param : dict
        ``{'rows': (a_0, ..., a_{H_out}), 'cols': (b_0, ..., b_{W_out})}``:
        the regions' boundaries, each rising from 0 to H (W) in steps of 1 or 2.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out), dtype of ``x``
        ``out[n, c, i, j] = max(x[n, c, rows[i]:rows[i+1], cols[j]:cols[j+1]])``.
    cache : tuple
        ``(x, pool_param)``.
    """
    rows, cols, out_shape = _check_forward(x, pool_param, "fractional_max_pool")
    out = None
    ### BEGIN SOLUTION
    # The first and last row of each region, (H_out,) each (the same row for a region 1 row high); columns alike.
    top, bottom = rows[:-1], rows[1:] - 1
    left, right = cols[:-1], cols[1:] - 1
    # A region's maximum is the maximum of its (up to) four corners; x[:, :, r[:, None], c] is (N, C, H_out, W_out).
    out = x[:, :, top[:, None], left]
    for r, c in ((top, right), (bottom, left), (bottom, right)):
        np.maximum(out, x[:, :, r[:, None], c], out=out)
    ### END SOLUTION
    cache = (x, pool_param)
    return out, cache


@promote_integer_arrays
def fractional_max_pool_backward(dout, cache):
    """Fractional max pooling, backward pass (vectorized).

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, pool_param)`` from :func:`fractional_max_pool_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), dtype of ``x``
        Each ``dout[n, c, i, j]`` goes to the first maximum of region
        ``(i, j)`` in row-major order; every other entry gets 0 (the regions
        are disjoint, so nothing is summed).
    """
    x, pool_param = cache
    layer = "fractional_max_pool"
    rows, cols, out_shape = _check_forward(x, pool_param, layer)
    check_array(dout, "dout", 4, layer=layer, shape=out_shape)
    dx = None
    ### BEGIN SOLUTION
    top, bottom = rows[:-1], rows[1:] - 1
    left, right = cols[:-1], cols[1:] - 1
    corners = ((top, left), (top, right), (bottom, left), (bottom, right))   # row-major order in a region
    out = np.maximum.reduce([x[:, :, r[:, None], c] for r, c in corners])   # each region's maximum
    dx = np.zeros_like(x)
    # pending: the regions whose maximum has not been found at an earlier corner. A region 1 row or column
    # wide lists an entry twice; the first visit finds it, so the second adds nothing.
    pending = np.ones(out_shape, dtype=bool)
    for r, c in corners:
        hit = pending & (x[:, :, r[:, None], c] == out)
        dx[:, :, r[:, None], c] += np.where(hit, dout, 0)
        pending &= ~hit
    ### END SOLUTION
    return dx
