"""checks/fc.py, fully connected layers and ReLU: its checks fail where they should.

Each wrong implementation below is a mistake students make (its docstring says
which); the check that covers it must not pass.

Each planted bug (from an instructor's planted-bug run) loses points in the
named part of its check, with a message that says so.

A function that is not written yet scores 0 with NotImplementedError in the line.

The shared machinery is in ``check_cases.py``.
"""

from __future__ import annotations

import numpy as np
from check_cases import (
    REAL,
    every_check_has_a_wrong_implementation,
    not_implemented_tests,
    planted_bug_tests,
    wrong_implementation_tests,
)

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


# (check, [(module, attribute, replacement)], why)
WRONG = [
    ("affine_forward", [(L, "affine_forward", affine_forward_fortran)], "Fortran-order flatten"),
    ("affine_backward", [(L, "affine_backward", affine_backward_flat_dx)], "dx not reshaped"),
    ("relu_forward", [(L, "relu_forward", relu_forward_leaky)], "leaky"),
    ("relu_backward", [(L, "relu_backward", relu_backward_leaky)], "leaky"),
]

# (id, check, part label, [(target, attribute, replacement)], text the part's message must contain)
PLANTED = [
    ("relu-in-place", "relu_forward", "x is not modified in place (the cache is x itself)",
     [(L, "relu_forward", relu_forward_in_place)], "relu_forward changed its input x in place"),
    ("relu-backward-at-0", "relu_backward", "x exactly 0 gets gradient 0 (the subgradient the docstring states)",
     [(L, "relu_backward", relu_backward_at_zero)], "relu_backward passes the gradient where x == 0"),
]

# (check, (module, attribute)): that attribute raising NotImplementedError
STUBS = [
    ("affine_forward", (L, "affine_forward")),
]


test_check_fails_on_a_subtly_wrong_implementation = wrong_implementation_tests(WRONG)
test_every_check_has_a_wrong_implementation_below = every_check_has_a_wrong_implementation("fc", WRONG)
test_planted_bug_loses_the_named_part = planted_bug_tests(PLANTED)
test_not_implemented_scores_zero = not_implemented_tests("fc", STUBS)
