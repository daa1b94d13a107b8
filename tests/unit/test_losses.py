"""Tests for softmax and SVM losses (cs231n_cnn.layers.losses)."""

import math

import numpy as np
import pytest

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient
from cs231n_cnn.layers.losses import softmax_loss, svm_loss


def softmax_loss_loop(x, y):
    """Cross-entropy written out per example with math.exp/math.log (no shift; small inputs only)."""
    N, C = x.shape
    total = 0.0
    for i in range(N):
        denom = sum(math.exp(x[i, j]) for j in range(C))
        total += -math.log(math.exp(x[i, y[i]]) / denom)
    return total / N


def svm_loss_loop(x, y):
    N, C = x.shape
    total = 0.0
    for i in range(N):
        for j in range(C):
            if j != y[i]:
                total += max(0.0, x[i, j] - x[i, y[i]] + 1.0)
    return total / N


LOSSES = [
    pytest.param(softmax_loss, softmax_loss_loop, id="softmax"),
    pytest.param(svm_loss, svm_loss_loop, id="svm"),
]


@pytest.mark.parametrize("loss_fn, reference", LOSSES)
@pytest.mark.parametrize("N, C", [(1, 2), (5, 3), (8, 10)], ids=["1x2", "5x3", "8x10"])
def test_loss_matches_loop(loss_fn, reference, N, C):
    rng = np.random.default_rng(N * 100 + C)
    x = rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    loss, dx = loss_fn(x, y)
    assert isinstance(loss, float)
    assert dx.shape == x.shape
    assert loss == pytest.approx(reference(x, y), rel=1e-12)


@pytest.mark.parametrize("C", [2, 10], ids=["C=2", "C=10"])
def test_zero_scores_hand_values(C):
    x = np.zeros((3, C))
    y = np.array([0, C - 1, 1])
    assert softmax_loss(x, y)[0] == pytest.approx(math.log(C), rel=1e-12)
    assert svm_loss(x, y)[0] == C - 1


def test_tiny_example_worked_by_hand():
    # One example, scores (1, 2, 0), correct class 0.
    x = np.array([[1.0, 2.0, 0.0]])
    y = np.array([0])
    # Softmax: -log(e / (e + e^2 + 1)).
    e = math.e
    loss, dx = softmax_loss(x, y)
    assert loss == pytest.approx(-math.log(e / (e + e * e + 1)), rel=1e-12)
    p = np.array([e, e * e, 1.0]) / (e + e * e + 1)
    np.testing.assert_allclose(dx, [[p[0] - 1, p[1], p[2]]], rtol=1e-12)
    # SVM: margins max(0, 2-1+1) = 2 and max(0, 0-1+1) = 0 -> loss 2; only class 1 is active.
    loss, dx = svm_loss(x, y)
    assert loss == 2.0
    np.testing.assert_array_equal(dx, [[-1.0, 1.0, 0.0]])


@pytest.mark.parametrize("loss_fn", [softmax_loss, svm_loss], ids=["softmax", "svm"])
def test_gradient_numerical(loss_fn):
    rng = np.random.default_rng(7)
    N, C = 6, 5
    x = rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    if loss_fn is svm_loss:
        # Keep every margin x_j - x_y + 1 at least 0.05 from the hinge's kink at 0.
        margins = x - x[np.arange(N), y][:, None] + 1
        near = (np.abs(margins) < 0.05) & (np.arange(C) != y[:, None])
        x = x + 0.1 * near
    _, dx = loss_fn(x, y)
    num = eval_numerical_gradient(lambda v: loss_fn(v, y)[0], x)
    check_gradient(dx, num, tol=1e-7, name=f"{loss_fn.__name__} dx")


def test_softmax_is_numerically_stable_for_huge_scores():
    x = np.array([[1000.0, 0.0, -1000.0], [1e4, 1e4, 1e4]])
    y = np.array([2, 0])
    loss, dx = softmax_loss(x, y)
    # Row 0: log-sum-exp is 1000 (to double precision), so -log p = 2000. Row 1: log 3.
    assert loss == pytest.approx((2000.0 + math.log(3)) / 2, rel=1e-12)
    assert np.all(np.isfinite(dx))
    np.testing.assert_allclose(dx[1], np.array([1 / 3 - 1, 1 / 3, 1 / 3]) / 2, rtol=1e-12)


def test_softmax_float32_large_scores_stay_finite():
    x = np.array([[200.0, -200.0, 0.0]], dtype=np.float32)  # exp(200) overflows float32
    loss, dx = softmax_loss(x, np.array([1]))
    assert loss == pytest.approx(400.0, rel=1e-6)
    assert dx.dtype == np.float32 and np.all(np.isfinite(dx))


@pytest.mark.parametrize("loss_fn", [softmax_loss, svm_loss], ids=["softmax", "svm"])
def test_float32_preserved_and_inputs_untouched(loss_fn):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 2], dtype=np.int32)
    x_copy, y_copy = x.copy(), y.copy()
    loss, dx = loss_fn(x, y)
    assert dx.dtype == np.float32
    assert loss == pytest.approx(loss_fn(x.astype(np.float64), y)[0], rel=1e-5)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(y, y_copy)


@pytest.mark.parametrize("loss_fn", [softmax_loss, svm_loss], ids=["softmax", "svm"])
@pytest.mark.parametrize(
    "x, y, match",
    [
        (np.zeros((2, 3)), np.array([0, 3]), r"label y\[1\] = 3 is out of range for C=3 classes"),
        (np.zeros((2, 3)), np.array([-1, 0]), r"label y\[0\] = -1 is out of range for C=3"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), r"y must hold integer class labels, got dtype float64"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), r"y must have shape \(N,\) = \(2,\) .* got \(3,\)"),
        (np.zeros((2, 3)), [0, 1], r"y must be a numpy array"),
        (np.zeros(3), np.array([0]), r"x must have 2 dimensions"),
        (np.zeros((2, 3), dtype=np.complex128), np.array([0, 1]), r"x must be a floating-point array"),
        (np.zeros((0, 3)), np.zeros(0, dtype=int), r"at least one example and one class"),
        (np.array([[0.0, np.nan, 0.0]]), np.array([0]), r"x contains 1 non-finite value"),
    ],
    ids=["label-too-big", "label-negative", "float-labels", "wrong-N", "list-labels", "1d-x", "complex-x",
         "empty", "nan-scores"],
)
def test_bad_inputs(loss_fn, x, y, match):
    with pytest.raises(ValueError, match=match):
        loss_fn(x, y)
