"""Checks for the fully connected (affine) layer and ReLU."""

from __future__ import annotations

import numpy as np

from cs231n_cnn.grading import CheckFailure, check

from . import _helpers as h
from . import _reference as ref


def _away_from_zero(t, shape):
    """Values with |x| >= 0.1, so numerical gradients of ReLU never straddle its kink."""
    return np.where(t.rng.random(shape) < 0.5, -1.0, 1.0) * (0.1 + np.abs(t.rng.standard_normal(shape)))


def _at(mistakes, i, *inputs):
    """The known mistakes ``mistakes(*inputs)`` at output ``i``, computed when asked (None entries left out)."""
    return lambda: {k: v[i] for k, v in mistakes(*inputs).items() if v[i] is not None}


@check("affine_forward", points=2)
def affine_forward(t):
    """Affine forward pass, including inputs with extra dimensions that must be flattened."""
    for label, xs, M in [("x of shape (N, D)", (4, 5), 3), ("x of shape (N, 2, 3), flattened to (N, 6)", (3, 2, 3), 4)]:
        with t.part(label):
            x = t.rng.standard_normal(xs)
            D = int(np.prod(xs[1:]))
            w, b = t.rng.standard_normal((D, M)), t.rng.standard_normal(M)
            out, _ = h.forward(t, "layers.affine_forward", x, w, b)
            t.assert_close(out, ref.affine(x, w, b), tol=1e-10, name="out",
                           mistakes=_at(ref.affine_forward_mistakes, 0, x, w, b))


@check("affine_backward", points=3)
def affine_backward(t):
    """Affine backward pass against numerical gradients: dx (in x's original shape), dw, db."""
    x = t.rng.standard_normal((3, 2, 3))
    w, b = t.rng.standard_normal((6, 4)), t.rng.standard_normal(4)
    dout = t.rng.standard_normal((3, 4))
    nums = ref.numerical_grads(ref.affine, [x, w, b], dout, [0, 1, 2])
    grads = None
    for i, (name, num) in enumerate(zip(("dx", "dw", "db"), nums)):
        with t.part(f"{name}" + (" (shape (N, 2, 3), like x)" if i == 0 else "")):
            if i == 0:
                _, cache = h.forward(t, "layers.affine_forward", x, w, b)
                grads = h.unpack(t.call("layers.affine_backward", dout, cache), "dx, dw, db",
                                 "layers.affine_backward")
            elif grads is None:
                raise CheckFailure("the forward or backward pass failed (see dx)")
            t.assert_close(grads[i], num, tol=1e-7, name=name, factors={"N, the batch size": len(x)},
                           mistakes=_at(ref.affine_backward_mistakes, i, x, w, b, dout))


@check("relu_forward", points=3)
def relu_forward(t):
    """ReLU forward pass on mixed and all-negative inputs; x itself is left unchanged."""
    for label, sign in [("mixed signs, shape (N, C, H, W)", 1.0), ("all negative", -1.0)]:
        with t.part(label):
            x = t.rng.standard_normal((2, 3, 4, 4))
            x = np.abs(x) * sign if sign < 0 else x
            out, _ = h.forward(t, "layers.relu_forward", x)
            t.assert_close(out, ref.relu(x), tol=0, name="out", mistakes=_at(ref.relu_forward_mistakes, 0, x))
    with t.part("x is not modified in place (the cache is x itself)"):
        # The cache is the caller's x (see the docstring), so it shows whether
        # the forward pass wrote into x; the caller (and relu_backward) need it intact.
        x = t.rng.standard_normal((4, 5))
        out, cache = h.forward(t, "layers.relu_forward", x)
        t.assert_close(out, ref.relu(x), tol=0, name="out")
        t.assert_array(cache, shape=x.shape, name="cache")
        if not np.array_equal(cache, x):
            raise CheckFailure("relu_forward changed its input x in place (its negative entries are no longer "
                               "there); compute out as a new array, e.g. np.maximum(x, 0)")


@check("relu_backward", points=3)
def relu_backward(t):
    """ReLU backward pass against numerical gradients (inputs away from the kink at 0), and 0 at x == 0."""
    for label, xs in [("shape (N, D)", (5, 6)), ("shape (N, C, H, W)", (2, 3, 3, 4))]:
        with t.part(label):
            x = _away_from_zero(t, xs)
            dout = t.rng.standard_normal(xs)
            (dx_num,) = ref.numerical_grads(ref.relu, [x], dout, [0])
            _, cache = h.forward(t, "layers.relu_forward", x)
            dx = t.call("layers.relu_backward", dout, cache)
            t.assert_close(dx, dx_num, tol=1e-8, name="dx", mistakes=_at(ref.relu_backward_mistakes, 0, x, dout))
    with t.part("x exactly 0 gets gradient 0 (the subgradient the docstring states)"):
        x = _away_from_zero(t, (4, 6))
        x[:, ::2] = 0.0
        dout = t.rng.standard_normal(x.shape)
        _, cache = h.forward(t, "layers.relu_forward", x)
        dx = t.assert_array(t.call("layers.relu_backward", dout, cache), shape=x.shape, name="dx")
        if np.any(dx[x == 0] != 0):
            raise CheckFailure("relu_backward passes the gradient where x == 0; the convention is dx = 0 there "
                               "(dx = dout only where x > 0)")
        t.assert_close(dx, np.where(x > 0, dout, 0.0), tol=0, name="dx")
