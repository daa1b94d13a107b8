"""Tests for the locally connected layer (cs231n_cnn.layers.local)."""

import numpy as np
import pytest

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient_array
from cs231n_cnn.layers.local import locally_connected_backward, locally_connected_forward


def local_loop(x, w, b, stride, pad):
    """out[n, f, i, j] = sum(xpad[n, :, window(i, j)] * w[i, j, f]) + b[i, j, f], one value at a time."""
    N, C, H, W = x.shape
    H_out, W_out, F, _, HH, WW = w.shape
    xpad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xpad[:, :, pad:pad + H, pad:pad + W] = x
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    s = b[i, j, f]
                    for c in range(C):
                        for k in range(HH):
                            for l in range(WW):
                                s += xpad[n, c, i * stride + k, j * stride + l] * w[i, j, f, c, k, l]
                    out[n, f, i, j] = s
    return out


def conv_loop(x, w_conv, b_conv, stride, pad):
    """A plain convolution with shared filters w_conv (F, C, HH, WW), written directly."""
    N, C, H, W = x.shape
    F, _, HH, WW = w_conv.shape
    H_out = (H - HH + 2 * pad) // stride + 1
    W_out = (W - WW + 2 * pad) // stride + 1
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    patch = xpad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(patch * w_conv[f]) + b_conv[f]
    return out


def make_case(seed, N, C, H, W, F, HH, WW, stride, pad, dtype=np.float64):
    rng = np.random.default_rng(seed)
    H_out = (H - HH + 2 * pad) // stride + 1
    W_out = (W - WW + 2 * pad) // stride + 1
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((H_out, W_out, F, C, HH, WW)).astype(dtype)
    b = rng.standard_normal((H_out, W_out, F)).astype(dtype)
    return x, w, b, {"stride": stride, "pad": pad}


CASES = [
    pytest.param(dict(N=2, C=3, H=5, W=5, F=2, HH=3, WW=3, stride=1, pad=1), id="3x3-s1-p1"),
    pytest.param(dict(N=2, C=2, H=5, W=7, F=3, HH=3, WW=3, stride=2, pad=1), id="nonsquare-s2"),
    pytest.param(dict(N=1, C=2, H=4, W=6, F=2, HH=2, WW=3, stride=1, pad=0), id="rect-kernel"),
    pytest.param(dict(N=2, C=1, H=8, W=8, F=2, HH=2, WW=2, stride=3, pad=0), id="gaps-s3>HH"),
    pytest.param(dict(N=1, C=2, H=4, W=4, F=1, HH=4, WW=4, stride=1, pad=0), id="one-position-fc"),
]


@pytest.mark.parametrize("case", CASES)
def test_forward_matches_loop(case):
    stride, pad = case["stride"], case["pad"]
    x, w, b, cp = make_case(0, **case)
    out, _ = locally_connected_forward(x, w, b, cp)
    np.testing.assert_allclose(out, local_loop(x, w, b, stride, pad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES[:3])
def test_shared_filters_equal_convolution(case):
    stride, pad = case["stride"], case["pad"]
    x, w, b, cp = make_case(1, **case)
    w_conv, b_conv = w[0, 0], b[0, 0]
    w_shared = np.broadcast_to(w_conv, w.shape).copy()
    b_shared = np.broadcast_to(b_conv, b.shape).copy()
    out, _ = locally_connected_forward(x, w_shared, b_shared, cp)
    np.testing.assert_allclose(out, conv_loop(x, w_conv, b_conv, stride, pad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_backward_numerical(case):
    x, w, b, cp = make_case(2, **case)
    out, cache = locally_connected_forward(x, w, b, cp)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    dx, dw, db = locally_connected_backward(dout, cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    f = locally_connected_forward
    check_gradient(dx, eval_numerical_gradient_array(lambda v: f(v, w, b, cp)[0], x, dout), name="dx")
    check_gradient(dw, eval_numerical_gradient_array(lambda v: f(x, v, b, cp)[0], w, dout), name="dw")
    check_gradient(db, eval_numerical_gradient_array(lambda v: f(x, w, v, cp)[0], b, dout), name="db")


def test_float32_preserved_and_inputs_untouched():
    x, w, b, cp = make_case(4, N=2, C=3, H=6, W=6, F=4, HH=3, WW=3, stride=1, pad=1, dtype=np.float32)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = locally_connected_forward(x, w, b, cp)
    dout = np.ones_like(out)
    grads = locally_connected_backward(dout, cache)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    for a, c in zip((x, w, b), copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(dout, 1.0)
    assert cp == {"stride": 1, "pad": 1}
    ref = local_loop(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), 1, 1)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


def bad_cases():
    x = np.ones((1, 3, 5, 5))
    cp = {"stride": 1, "pad": 1}          # H_out = W_out = 5 with a 3x3 kernel
    ok_b = np.ones((5, 5, 2))
    return [
        pytest.param(x, np.ones((4, 4, 2, 3, 3, 3)), ok_b, cp,
                     r"w must have shape \(H_out, W_out, F, C, HH, WW\) = \(5, 5, 2, 3, 3, 3\), got \(4, 4, 2, 3, 3, 3\); "
                     r"H_out = \(H - HH \+ 2P\)/S \+ 1 = \(5 - 3 \+ 2\*1\)/1 \+ 1 = 5", id="w-positions"),
        pytest.param(x, np.ones((5, 5, 2, 2, 3, 3)), ok_b, cp,
                     r"= \(5, 5, 2, 3, 3, 3\), got \(5, 5, 2, 2, 3, 3\).*C = 3 from x", id="w-channels"),
        pytest.param(x, np.ones((5, 5, 2, 3, 3, 3)), np.ones((5, 5, 3)), cp,
                     r"b must have shape \(H_out, W_out, F\) = \(5, 5, 2\), got \(5, 5, 3\)", id="b-shape"),
        pytest.param(x, np.ones((5, 5, 2, 3, 3, 3)), ok_b, {"stride": 2, "pad": 0},
                     r"= \(2, 2, 2, 3, 3, 3\), got \(5, 5, 2, 3, 3, 3\); H_out = .* = \(5 - 3 \+ 2\*0\)/2 \+ 1 = 2",
                     id="w-positions-stride2"),
        pytest.param(np.ones((1, 3, 6, 6)), np.ones((5, 5, 2, 3, 3, 3)), ok_b, {"stride": 2, "pad": 0},
                     r"height does not fit: \(W - F \+ 2P\)/S \+ 1 = \(6 - 3 \+ 2\*0\)/2 \+ 1 = 2.5", id="nonfit"),
        pytest.param(x, np.ones((5, 5, 2, 3, 3, 3)), ok_b, {"stride": 1},
                     r"conv_param is missing \['pad'\]", id="no-pad"),
        pytest.param(x, np.ones((5, 5, 2, 3, 3, 3), dtype=np.float32), ok_b, cp, r"share one dtype", id="mixed-dtype"),
        pytest.param(x, np.ones((2, 3, 3, 3)), ok_b, cp, r"w must have 6 dimensions", id="conv-shaped-w"),
    ]


@pytest.mark.parametrize("x, w, b, cp, match", bad_cases())
def test_bad_inputs(x, w, b, cp, match):
    with pytest.raises(ValueError, match=match):
        locally_connected_forward(x, w, b, cp)


def test_backward_bad_dout():
    x, w, b, cp = make_case(5, N=2, C=1, H=4, W=4, F=2, HH=3, WW=3, stride=1, pad=0)
    _, cache = locally_connected_forward(x, w, b, cp)
    with pytest.raises(ValueError, match=r"locally_connected_backward: dout must have shape \(2, 2, 2, 2\), got \(2, 2, 3, 3\)"):
        locally_connected_backward(np.ones((2, 2, 3, 3)), cache)
