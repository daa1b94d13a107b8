"""Sandwich layers equal their parts run in sequence, and their gradients are right."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn import layers as L
from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient_array


def _conv_inputs(rng):
    # Values are shifted away from 0 after the conv only statistically; a tiny
    # h and float64 keep the ReLU kink from mattering at these sizes.
    x = rng.standard_normal((2, 3, 8, 8))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    return x, w, b, {"stride": 1, "pad": 1}


def test_conv_relu_pool_equals_its_parts(rng):
    x, w, b, cp = _conv_inputs(rng)
    pp = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = L.conv_relu_pool_forward(x, w, b, cp, pp)
    a, ca = L.conv_forward_naive(x, w, b, cp)
    r, cr = L.relu_forward(a)
    p, cp_ = L.max_pool_forward_naive(r, pp)
    np.testing.assert_allclose(out, p, rtol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = L.conv_relu_pool_backward(dout, cache)
    dr = L.relu_backward(L.max_pool_backward_naive(dout, cp_), cr)
    dx_ref, dw_ref, db_ref = L.conv_backward_naive(dr, ca)
    for g, ref in ((dx, dx_ref), (dw, dw_ref), (db, db_ref)):
        np.testing.assert_allclose(g, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["conv_relu", "conv_relu_pool", "affine_relu"])
def test_sandwich_gradients(name, rng):
    if name == "affine_relu":
        x = rng.standard_normal((3, 2, 2, 2))
        params = (rng.standard_normal((8, 5)), rng.standard_normal(5))
    else:
        x, w, b, cp = _conv_inputs(rng)
        params = (w, b, cp) + (({"pool_height": 2, "pool_width": 2, "stride": 2},) if name == "conv_relu_pool" else ())
    fwd = getattr(L, f"{name}_forward")
    bwd = getattr(L, f"{name}_backward")
    out, cache = fwd(x, *params)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = bwd(dout, cache)
    w, b = params[0], params[1]
    check_gradient(dx, eval_numerical_gradient_array(lambda v: fwd(v, *params)[0], x, dout, h=1e-6), tol=1e-6, name="dx")
    check_gradient(dw, eval_numerical_gradient_array(lambda v: fwd(x, v, *params[1:])[0], w, dout, h=1e-6), tol=1e-6, name="dw")
    check_gradient(db, eval_numerical_gradient_array(lambda v: fwd(x, w, v, *params[2:])[0], b, dout, h=1e-6), tol=1e-6, name="db")


def test_sandwich_collects_parameter_gradients_in_forward_order(rng):
    fwd, bwd = L.sandwich((L.affine_forward, L.affine_backward, 2), (L.relu_forward, L.relu_backward, 0),
                          (L.affine_forward, L.affine_backward, 2))
    x = rng.standard_normal((4, 3))
    w1, b1, w2, b2 = rng.standard_normal((3, 5)), rng.standard_normal(5), rng.standard_normal((5, 2)), rng.standard_normal(2)
    out, cache = fwd(x, w1, b1, w2, b2)
    grads = bwd(np.ones_like(out), cache)
    assert [g.shape for g in grads] == [(4, 3), (3, 5), (5,), (5, 2), (2,)]
    with pytest.raises(TypeError, match="expected 4 arguments after x, got 3"):
        fwd(x, w1, b1, w2)
