"""Tests for the affine layer and ReLU (cs231n_cnn.layers.fc)."""

import numpy as np
import pytest

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient_array
from cs231n_cnn.layers.fc import affine_backward, affine_forward, relu_backward, relu_forward


def affine_loop(x, w, b):
    """out[n, m] = sum_d x_flat[n, d] * w[d, m] + b[m], one scalar at a time."""
    N = x.shape[0]
    xf = x.reshape(N, -1)
    D, M = w.shape
    out = np.zeros((N, M))
    for n in range(N):
        for m in range(M):
            s = b[m]
            for d in range(D):
                s += xf[n, d] * w[d, m]
            out[n, m] = s
    return out


@pytest.mark.parametrize("x_shape", [(3, 5), (2, 3, 4), (2, 2, 3, 2)], ids=["2d", "3d", "4d-images"])
def test_affine_forward_matches_loop(x_shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    D = int(np.prod(x_shape[1:]))
    w = rng.standard_normal((D, 4))
    b = rng.standard_normal(4)
    out, _ = affine_forward(x, w, b)
    assert out.shape == (x_shape[0], 4)
    np.testing.assert_allclose(out, affine_loop(x, w, b), rtol=1e-12, atol=1e-12)


def test_affine_hand_example():
    x = np.array([[1.0, 2.0]])
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
    b = np.array([0.5, -1.0, 0.0])
    out, _ = affine_forward(x, w, b)
    np.testing.assert_array_equal(out, [[5.5, 1.0, 0.0]])


@pytest.mark.parametrize("x_shape", [(3, 5), (2, 3, 2, 2)], ids=["2d", "4d-images"])
def test_affine_backward_numerical(x_shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape)
    D = int(np.prod(x_shape[1:]))
    w = rng.standard_normal((D, 3))
    b = rng.standard_normal(3)
    dout = rng.standard_normal((x_shape[0], 3))
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    check_gradient(dx, eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout), name="dx")
    check_gradient(dw, eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout), name="dw")
    check_gradient(db, eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout), name="db")


def test_affine_float32_preserved_and_inputs_untouched():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    w = rng.standard_normal((6, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = affine_forward(x, w, b)
    dout = np.ones_like(out)
    dout_copy = dout.copy()
    grads = affine_backward(dout, cache)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    for a, c in zip((x, w, b, dout), copies + [dout_copy]):
        np.testing.assert_array_equal(a, c)


def test_relu_forward_matches_formula():
    x = np.array([[-2.0, -0.0, 0.0, 1e-12, 3.5]])
    out, _ = relu_forward(x)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 0.0, 1e-12, 3.5]])


def test_relu_backward_numerical_away_from_kink():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 5))
    # Keep every input at least 0.1 from the kink so x +- h never crosses 0.
    x = np.where(x >= 0, x + 0.1, x - 0.1)
    dout = rng.standard_normal(x.shape)
    _, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout), name="dx")


def test_relu_backward_zero_at_kink_and_negative():
    x = np.array([-1.0, 0.0, 2.0])
    dx = relu_backward(np.array([5.0, 5.0, 5.0]), relu_forward(x)[1])
    np.testing.assert_array_equal(dx, [0.0, 0.0, 5.0])


def test_relu_float32_preserved_and_inputs_untouched():
    x = np.array([[-1.0, 2.0]], dtype=np.float32)
    x_copy = x.copy()
    out, cache = relu_forward(x)
    dout = np.array([[3.0, 4.0]], dtype=np.float32)
    dx = relu_backward(dout, cache)
    assert out.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, [[3.0, 4.0]])


@pytest.mark.parametrize(
    "x, w, b, match",
    [
        (np.ones((2, 3, 4)), np.ones((10, 5)), np.ones(5), r"D = 3\*4 = 12 .* w has D = 10 rows"),
        (np.ones((2, 6)), np.ones((6, 5)), np.ones(4), r"b has length 4 but w has M = 5"),
        (np.ones(6), np.ones((6, 5)), np.ones(5), r"at least 2 dimensions"),
        (np.ones((2, 6), dtype=np.complex128), np.ones((6, 5)), np.ones(5), r"x must be a floating-point array"),
        (np.ones((2, 6), dtype=np.float32), np.ones((6, 5)), np.ones(5), r"share one dtype"),
        (np.ones((2, 6)), np.ones((6, 5, 1)), np.ones(5), r"w must have 2 dimensions"),
    ],
    ids=["D-mismatch", "M-mismatch", "1d-x", "complex-x", "mixed-dtype", "3d-w"],
)
def test_affine_bad_inputs(x, w, b, match):
    with pytest.raises(ValueError, match=match):
        affine_forward(x, w, b)


def test_affine_backward_bad_dout():
    _, cache = affine_forward(np.ones((2, 3)), np.ones((3, 4)), np.ones(4))
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4\), got \(2, 3\)"):
        affine_backward(np.ones((2, 3)), cache)


def test_relu_bad_inputs():
    with pytest.raises(ValueError, match="relu_forward: x must be a floating-point array"):
        relu_forward(np.array([1, -1], dtype=object))
    assert relu_forward(np.array([1, -1]))[0].tolist() == [1.0, 0.0]          # integers promoted, as NumPy would
    with pytest.raises(ValueError, match=r"dout must have shape \(2,?\), got \(3,\)"):
        relu_backward(np.ones(3), np.ones(2))
