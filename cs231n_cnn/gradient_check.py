"""Numerical gradients, for checking hand-written backward passes.

Every backward pass in this package is tested by comparing it with a
centered-difference estimate::

    df/dx_i  ~=  (f(x + h e_i) - f(x - h e_i)) / (2h)

whose error is O(h^2) for smooth f. Compare with :func:`rel_error`; in
float64 with h=1e-5 a correct smooth layer gives relative errors around
1e-8 or smaller.

Notes
-----
**Kinks.** ReLU and max pooling are not differentiable everywhere. If an
input lies within ``h`` of a kink (a ReLU input near 0, two entries of a
pooling window within ``h`` of each other), the two evaluations straddle the
kink and the numerical estimate is wrong, giving a large relative error even
for a correct backward pass. Tests avoid this by working in float64, keeping
inputs away from kinks (e.g. shifting ReLU inputs away from 0, using
distinct, well-separated values in pooling windows) and using a small h.

**Precision.** In float32 the rounding error of f is ~1e-7 relative, so the
estimate's error is ~1e-7/h; gradient checks should run in float64.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = [
    "rel_error",
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "grad_check_sparse",
    "check_gradient",
    "GradientCheckError",
]


class GradientCheckError(AssertionError):
    """Raised by :func:`check_gradient` when analytic and numeric gradients disagree."""


def rel_error(x, y, eps: float = 1e-8) -> float:
    """Maximum elementwise relative error ``|x - y| / max(eps, |x| + |y|)``.

    The ``eps`` floor makes two zeros compare as equal (0/0 is never
    evaluated) and keeps tiny absolute differences between near-zero
    entries from dominating.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error: shapes differ: {x.shape} vs {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(eps, np.abs(x) + np.abs(y))))


def _elementwise_rel_error(x, y, eps: float = 1e-8) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.abs(x - y) / np.maximum(eps, np.abs(x) + np.abs(y))


def eval_numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                            verbose: bool = False, h: float = 1e-5) -> np.ndarray:
    """Numerical gradient of a scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        Takes ``x`` (modified in place by this function) and returns a scalar.
    x : ndarray, any shape
        The point; it is perturbed one entry at a time and restored exactly.
    h : float
        Step of the centered difference.

    Returns
    -------
    grad : ndarray, same shape as x (float64)
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix].copy()
        try:
            x[ix] = old + h
            fxph = float(f(x))
            x[ix] = old - h
            fxmh = float(f(x))
        finally:
            x[ix] = old  # restore the exact original value, even if f raised
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                                  df: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Numerical gradient of ``sum(f(x) * df)`` with respect to ``x``.

    This is what a backward pass computes when the upstream gradient is
    ``df``: the vector-Jacobian product of ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        Array-valued function of ``x``.
    x : ndarray, any shape
        Perturbed in place, one entry at a time, and restored exactly.
    df : ndarray, shape of f(x)
        Upstream gradient.

    Returns
    -------
    grad : ndarray, same shape as x (float64)
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix].copy()
        try:
            x[ix] = old + h
            pos = np.array(f(x), dtype=np.float64, copy=True)
            x[ix] = old - h
            neg = np.array(f(x), dtype=np.float64, copy=True)
        finally:
            x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f: Callable[[np.ndarray], float], x: np.ndarray, analytic_grad: np.ndarray,
                      num_checks: int = 10, h: float = 1e-5, seed: int | None = 0,
                      verbose: bool = True) -> list[float]:
    """Compare ``analytic_grad`` with numerical estimates at random entries.

    Useful when ``x`` is too large to differentiate every entry.

    Returns
    -------
    errors : list of float
        The relative error at each sampled entry (0 where both are 0).
    """
    if analytic_grad.shape != x.shape:
        raise ValueError(f"grad_check_sparse: analytic_grad has shape {analytic_grad.shape}, x has {x.shape}")
    rng = np.random.default_rng(seed)
    errors = []
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(m)) for m in x.shape)
        old = x[ix].copy()
        try:
            x[ix] = old + h
            fxph = float(f(x))
            x[ix] = old - h
            fxmh = float(f(x))
        finally:
            x[ix] = old
        num = (fxph - fxmh) / (2 * h)
        ana = float(analytic_grad[ix])
        denom = abs(num) + abs(ana)
        err = 0.0 if denom == 0 else abs(num - ana) / denom
        errors.append(err)
        if verbose:
            print(f"numerical: {num:f} analytic: {ana:f}, relative error: {err:e}")
    return errors


def check_gradient(analytic, numeric, *, tol: float = 1e-7, name: str = "gradient",
                   eps: float = 1e-8, atol: float = 0.0) -> float:
    """Assert that two gradients agree to relative error ``tol``.

    Elements whose absolute difference is at most ``atol`` count as agreeing:
    a gradient that is exactly zero in theory (a bias followed by batch norm)
    comes out as rounding noise of ~1e-10 numerically, and the relative error
    of two noise values is meaningless.

    Returns the maximum relative error (over the elements not excused by ``atol``). On failure raises
    :class:`GradientCheckError` naming the worst element: its index and both
    values, which is usually enough to spot a transposed axis or a missing
    term.
    """
    analytic = np.asarray(analytic)
    numeric = np.asarray(numeric)
    if analytic.shape != numeric.shape:
        raise GradientCheckError(f"{name}: analytic shape {analytic.shape} != numeric shape {numeric.shape}")
    if analytic.size == 0:
        return 0.0
    if not np.all(np.isfinite(analytic)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(analytic))[0])
        raise GradientCheckError(f"{name}: analytic gradient is not finite at index {idx}: {analytic[idx]!r}")
    errs = _elementwise_rel_error(analytic, numeric, eps)
    if atol > 0:
        errs = np.where(np.abs(analytic.astype(np.float64) - numeric) <= atol, 0.0, errs)
    worst = np.unravel_index(int(np.argmax(errs)), errs.shape)
    worst_err = float(errs[worst])
    if worst_err > tol:
        idx = tuple(int(i) for i in worst)
        raise GradientCheckError(
            f"{name}: max relative error {worst_err:.3e} > {tol:.0e} at index {idx}: "
            f"analytic {float(analytic[worst]):.10g}, numeric {float(numeric[worst]):.10g}"
        )
    return worst_err
