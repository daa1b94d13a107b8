"""checks/fc.py (fully connected layers and ReLU): its checks fail on plausible wrong code, planted bugs, unwritten functions.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

import numpy as np
from check_cases import REAL, check_tests

import cs231n_cnn.layers as L

# ------------------------------------------------------------------ wrong implementations

def affine_forward_fortran(x, w, b):
    """Flattens (N, d1, d2) in Fortran order: right only for 2-D x."""
    out = x.reshape(x.shape[0], -1, order="F") @ w + b
    return out, (x, w, b)


def affine_backward_flat_dx(dout, cache):
    """dx is returned as (N, D) instead of x's shape."""
    dx, dw, db = REAL["affine_backward"](dout, cache)
    return dx.reshape(dx.shape[0], -1), dw, db


def relu_forward_leaky(x):
    """A leaky ReLU (slope 0.01 for x < 0) where ReLU was asked for."""
    out = np.where(x > 0, x, 0.01 * x)
    return out, x


def relu_backward_leaky(dout, x):
    """The gradient of a leaky ReLU."""
    return dout * np.where(x > 0, 1.0, 0.01)


# ------------------------------------------------------------------ planted bugs

def relu_forward_in_place(x):
    """Zeroes the negative entries of x itself."""
    x[x < 0] = 0
    return x, x


def relu_backward_at_zero(dout, x):
    """Passes the gradient where x >= 0, including x == 0."""
    return dout * (x >= 0)


WRONG = [
    ("affine_forward", [(L, "affine_forward", affine_forward_fortran)], "Fortran-order flatten"),
    ("affine_backward", [(L, "affine_backward", affine_backward_flat_dx)], "dx not reshaped"),
    ("relu_forward", [(L, "relu_forward", relu_forward_leaky)], "leaky"),
    ("relu_backward", [(L, "relu_backward", relu_backward_leaky)], "leaky"),
]

PLANTED = [
    ("relu-in-place", "relu_forward", "x is not modified in place (the cache is x itself)",
     [(L, "relu_forward", relu_forward_in_place)], "relu_forward changed its input x in place"),
    ("relu-backward-at-0", "relu_backward", "x exactly 0 gets gradient 0 (the subgradient the docstring states)",
     [(L, "relu_backward", relu_backward_at_zero)], "relu_backward passes the gradient where x == 0"),
]

STUBS = [
    ("affine_forward", (L, "affine_forward")),
]


globals().update(check_tests("fc", wrong=WRONG, planted=PLANTED, stubs=STUBS))
