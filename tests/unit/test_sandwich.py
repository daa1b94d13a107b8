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


NORMALIZATIONS = [None, "batchnorm", "layernorm"]


def test_conv_bn_relu_equals_its_parts(rng):
    x, w, b, cp = _conv_inputs(rng)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    bn_param, bn_ref = {"mode": "train"}, {"mode": "train"}
    out, cache = L.conv_bn_relu_forward(x, w, b, gamma, beta, cp, bn_param)
    a, ca = L.conv_forward_naive(x, w, b, cp)
    n, cn = L.spatial_batchnorm_forward(a, gamma, beta, bn_ref)
    r, cr = L.relu_forward(n)
    np.testing.assert_allclose(out, r, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn_param["running_mean"], bn_ref["running_mean"], rtol=1e-10)  # running stats updated
    dout = rng.standard_normal(out.shape)
    grads = L.conv_bn_relu_backward(dout, cache)
    dn, dgamma, dbeta = L.spatial_batchnorm_backward(L.relu_backward(dout, cr), cn)
    refs = (*L.conv_backward_naive(dn, ca), dgamma, dbeta)
    assert len(grads) == 5
    for name, g, ref in zip(("dx", "dw", "db", "dgamma", "dbeta"), grads, refs):
        np.testing.assert_allclose(g, ref, rtol=1e-9, atol=1e-11, err_msg=name)


def _numeric_grads(fwd, args, dout, names):
    """Centered differences of sum(fwd(*args) * dout) for each argument in ``names`` (by position)."""
    num = {}
    for i, name in names.items():
        def f(v, i=i):
            return fwd(*args[:i], v, *args[i + 1:])[0]
        num[name] = eval_numerical_gradient_array(f, args[i], dout, h=1e-6)
    return num


def test_conv_bn_relu_gradients(rng):
    x, w, b, cp = _conv_inputs(rng)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    args = (x, w, b, gamma, beta, cp, {"mode": "train"})
    out, cache = L.conv_bn_relu_forward(*args)
    dout = rng.standard_normal(out.shape)
    grads = dict(zip(("dx", "dw", "db", "dgamma", "dbeta"), L.conv_bn_relu_backward(dout, cache)))
    num = _numeric_grads(L.conv_bn_relu_forward, args, dout, {0: "dx", 1: "dw", 2: "db", 3: "dgamma", 4: "dbeta"})
    for name in num:
        # db: a bias before batch norm has a true gradient of 0, numerically ~1e-10
        check_gradient(grads[name], num[name], tol=1e-6, atol=1e-8, name=f"conv_bn_relu {name}")


@pytest.mark.parametrize("normalization", NORMALIZATIONS, ids=lambda n: str(n))
def test_affine_norm_relu_gradients(normalization, rng):
    x = rng.standard_normal((5, 2, 3))
    w, b = rng.standard_normal((6, 4)), rng.standard_normal(4)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    bn_param = {"mode": "train"} if normalization == "batchnorm" else {}
    args = (x, w, b, gamma, beta, bn_param, normalization)
    out, cache = L.affine_norm_relu_forward(*args)
    assert out.shape == (5, 4)
    dout = rng.standard_normal(out.shape)
    grads = dict(zip(("dx", "dw", "db", "dgamma", "dbeta"), L.affine_norm_relu_backward(dout, cache)))
    names = {0: "dx", 1: "dw", 2: "db"} | ({} if normalization is None else {3: "dgamma", 4: "dbeta"})
    num = _numeric_grads(L.affine_norm_relu_forward, args, dout, names)
    for name in num:
        check_gradient(grads[name], num[name], tol=1e-6, atol=1e-8, name=f"affine_norm_relu[{normalization}] {name}")
    if normalization is None:
        assert grads["dgamma"] is None and grads["dbeta"] is None


def test_affine_norm_relu_without_normalization_is_affine_relu(rng):
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    out, cache = L.affine_norm_relu_forward(x, w, b, None, None, None, None)
    ref, ref_cache = L.affine_relu_forward(x, w, b)
    np.testing.assert_array_equal(out, ref)
    dout = rng.standard_normal(out.shape)
    dx, dw, db, dgamma, dbeta = L.affine_norm_relu_backward(dout, cache)
    for g, r in zip((dx, dw, db), L.affine_relu_backward(dout, ref_cache)):
        np.testing.assert_array_equal(g, r)


def test_affine_batchnorm_relu_equals_its_parts(rng):
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    bn_param, bn_ref = {"mode": "train"}, {"mode": "train"}
    out, _ = L.affine_norm_relu_forward(x, w, b, gamma, beta, bn_param, "batchnorm")
    a, _ = L.affine_forward(x, w, b)
    ref = np.maximum(L.batchnorm_forward(a, gamma, beta, bn_ref)[0], 0)
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], bn_ref["running_var"], rtol=1e-12)


@pytest.mark.parametrize(
    "normalization, error, match",
    [
        ("groupnorm", ValueError, r"affine_norm_relu_forward: normalization must be None, 'batchnorm' or "
                                  r"'layernorm', got 'groupnorm'"),
        ("BatchNorm", ValueError, r"got 'BatchNorm'"),
        (1, TypeError, r"normalization must be None, 'batchnorm' or 'layernorm', got 1 \(int\)"),
    ],
    ids=["unknown", "wrong-case", "not-a-string"],
)
def test_affine_norm_relu_rejects_unknown_normalization(normalization, error, match, rng):
    x, w, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), np.zeros(2)
    with pytest.raises(error, match=match):
        L.affine_norm_relu_forward(x, w, b, np.ones(2), np.zeros(2), {"mode": "train"}, normalization)
