"""Tests for cs231n_cnn.layers.pool: max (naive, fast), average and L2 pooling.

References are independent of the code under test: forward passes are
compared with ``sliding_window_view`` + a numpy reduction, backward passes
with centered-difference gradients (float64) and with small examples worked
out by hand.
"""

import warnings

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient_array
from cs231n_cnn.layers.pool import (
    avg_pool_backward,
    avg_pool_forward,
    l2_pool_backward,
    l2_pool_forward,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
)


def pp(ph, pw, stride):
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


# ---------------------------------------------------------------------------
# independent references
# ---------------------------------------------------------------------------

def windows_ref(x, ph, pw, stride):
    """All pooling windows, shape (N, C, H_out, W_out, PH, PW)."""
    return sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]


REDUCTIONS = {
    "max": lambda w: w.max(axis=(-2, -1)),
    "avg": lambda w: w.mean(axis=(-2, -1)),
    "l2": lambda w: np.sqrt((w ** 2).sum(axis=(-2, -1))),
}

# name -> (forward, backward, reference reduction)
KINDS = {
    "max_naive": (max_pool_forward_naive, max_pool_backward_naive, "max"),
    "max_fast": (max_pool_forward_fast, max_pool_backward_fast, "max"),
    "avg": (avg_pool_forward, avg_pool_backward, "avg"),
    "l2": (l2_pool_forward, l2_pool_backward, "l2"),
}
FORWARDS = {name: fwd for name, (fwd, _, _) in KINDS.items()}


# ---------------------------------------------------------------------------
# parameter grid: every (window, stride) with an input built to fit exactly
# ---------------------------------------------------------------------------

def _grid():
    cases = []
    for ph, pw in [(1, 1), (2, 2), (3, 3), (2, 3)]:
        for s in (1, 2, 3):
            # H_out=3, W_out=2 -> H = PH + S*(H_out-1): always an integer fit,
            # and the input is non-square.
            h, w = ph + s * 2, pw + s * 1
            cases.append(pytest.param(ph, pw, s, (2, 3, h, w), id=f"F{ph}x{pw}-S{s}-in{h}x{w}"))
    # The window covers the whole input (one output pixel per channel).
    for ph, pw, s in [(3, 3, 1), (2, 3, 2), (4, 2, 3)]:
        cases.append(pytest.param(ph, pw, s, (2, 3, ph, pw), id=f"F{ph}x{pw}-S{s}-window=input"))
    return cases


GRID = _grid()


def distinct_input(shape, seed, dtype=np.float64):
    """Distinct values 0.1 apart, in random order, centred on 0.

    Max pooling is not differentiable where two entries of a window are
    equal, and L2 pooling is not where a window is all zero. With distinct
    values spaced 0.1 apart, a centered difference with h=1e-5 never crosses
    a kink (no pair is within 2h) and no window is all zero, so the numerical
    gradient is exact up to rounding.
    """
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return ((rng.permutation(size) - size / 2) * 0.1).reshape(shape).astype(dtype)


# ---------------------------------------------------------------------------
# forward vs reference
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("ph, pw, stride, shape", GRID)
def test_forward_matches_reference(kind, ph, pw, stride, shape):
    fwd, _, red = KINDS[kind]
    x = np.random.default_rng(0).standard_normal(shape)
    out, _ = fwd(x, pp(ph, pw, stride))
    expected = REDUCTIONS[red](windows_ref(x, ph, pw, stride))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_max_pool_hand_example():
    x = np.array([[1., 2., 5., 0.],
                  [3., 4., 1., 1.],
                  [0., -1., 2., 2.],
                  [-3., -2., 7., 2.]]).reshape(1, 1, 4, 4)
    for fwd in (max_pool_forward_naive, max_pool_forward_fast):
        out, _ = fwd(x, pp(2, 2, 2))
        np.testing.assert_array_equal(out[0, 0], [[4., 5.], [0., 7.]])


# ---------------------------------------------------------------------------
# backward vs numerical gradients
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["max_fast", "avg", "l2"])
@pytest.mark.parametrize("ph, pw, stride, shape", GRID)
def test_backward_numerical(kind, ph, pw, stride, shape):
    fwd, bwd, _ = KINDS[kind]
    param = pp(ph, pw, stride)
    x = distinct_input(shape, seed=1)
    out, cache = fwd(x, param)
    dout = np.random.default_rng(2).standard_normal(out.shape)
    dx = bwd(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: fwd(v, param)[0], x, dout)
    check_gradient(dx, dx_num, tol=1e-7, name=f"{kind} dx")


# The naive version is slow, so it gets a few representative cases.
@pytest.mark.parametrize("ph, pw, stride, shape", [
    pytest.param(2, 2, 2, (2, 2, 4, 6), id="F2-S2-tiles"),
    pytest.param(3, 3, 2, (2, 2, 5, 7), id="F3-S2-overlap"),
    pytest.param(2, 3, 1, (1, 2, 4, 5), id="F2x3-S1-overlap"),
    pytest.param(1, 2, 3, (1, 2, 4, 5), id="F1x2-S3-gaps"),
])
def test_max_pool_backward_naive_numerical(ph, pw, stride, shape):
    param = pp(ph, pw, stride)
    x = distinct_input(shape, seed=3)
    out, cache = max_pool_forward_naive(x, param)
    dout = np.random.default_rng(4).standard_normal(out.shape)
    dx = max_pool_backward_naive(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: max_pool_forward_naive(v, param)[0], x, dout)
    check_gradient(dx, dx_num, tol=1e-7, name="max_pool naive dx")


# ---------------------------------------------------------------------------
# max pooling: tie rule, overlap accumulation, naive == fast
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("forward, backward", [
    pytest.param(max_pool_forward_naive, max_pool_backward_naive, id="naive"),
    pytest.param(max_pool_forward_fast, max_pool_backward_fast, id="fast"),
])
class TestMaxPoolByHand:
    def test_tie_goes_to_first_in_row_major_order(self, forward, backward):
        # One 2x2 window, maximum 5 at (0, 1) and (1, 0): (0, 1) comes first.
        x = np.array([[1., 5.], [5., 2.]]).reshape(1, 1, 2, 2)
        out, cache = forward(x, pp(2, 2, 2))
        dx = backward(np.full((1, 1, 1, 1), 3.0), cache)
        np.testing.assert_array_equal(dx[0, 0], [[0., 3.], [0., 0.]])

    def test_all_zero_input_tiling(self, forward, backward):
        # Every entry ties: each window's gradient goes to its top-left corner.
        x = np.zeros((1, 1, 4, 4))
        out, cache = forward(x, pp(2, 2, 2))
        dout = np.array([[1., 2.], [3., 4.]]).reshape(1, 1, 2, 2)
        dx = backward(dout, cache)
        expected = np.array([[1., 0., 2., 0.],
                             [0., 0., 0., 0.],
                             [3., 0., 4., 0.],
                             [0., 0., 0., 0.]])
        np.testing.assert_array_equal(dx[0, 0], expected)

    def test_all_zero_input_overlapping(self, forward, backward):
        # 3x3 windows, stride 1, on 4x4: window (i, j) starts at (i, j), so
        # its top-left corner (first in row-major order) is input (i, j).
        x = np.zeros((1, 1, 4, 4))
        out, cache = forward(x, pp(3, 3, 1))
        dout = np.array([[1., 2.], [3., 4.]]).reshape(1, 1, 2, 2)
        dx = backward(dout, cache)
        expected = np.zeros((4, 4))
        expected[:2, :2] = [[1., 2.], [3., 4.]]
        np.testing.assert_array_equal(dx[0, 0], expected)

    def test_shared_maximum_accumulates(self, forward, backward):
        # 3x3 windows with stride 2 on a 3x5 input overlap in column 2; the
        # largest value sits there, so it is the max of both windows.
        x = np.arange(15, dtype=np.float64).reshape(1, 1, 3, 5) * 0.01
        x[0, 0, 1, 2] = 10.0
        out, cache = forward(x, pp(3, 3, 2))
        np.testing.assert_array_equal(out[0, 0], [[10.0, 10.0]])
        dx = backward(np.array([[[[1.5, -4.0]]]]), cache)
        expected = np.zeros((3, 5))
        expected[1, 2] = 1.5 + -4.0
        np.testing.assert_array_equal(dx[0, 0], expected)


@pytest.mark.parametrize("ph, pw, stride, shape", [
    pytest.param(2, 2, 2, (3, 4, 8, 6), id="F2-S2"),
    pytest.param(3, 3, 2, (2, 3, 9, 7), id="F3-S2-overlap"),
    pytest.param(3, 3, 1, (2, 2, 6, 5), id="F3-S1-overlap"),
    pytest.param(2, 3, 1, (2, 3, 5, 7), id="F2x3-S1"),
    pytest.param(3, 2, 2, (1, 2, 7, 8), id="F3x2-S2"),
    pytest.param(2, 2, 3, (2, 2, 8, 5), id="F2-S3-gaps"),
    pytest.param(1, 1, 1, (2, 2, 3, 4), id="F1-S1"),
])
@pytest.mark.parametrize("values", ["normal", "few-levels", "zeros"])
def test_max_pool_naive_and_fast_agree(ph, pw, stride, shape, values):
    rng = np.random.default_rng(5)
    if values == "normal":
        x = rng.standard_normal(shape)
    elif values == "few-levels":
        x = rng.integers(-2, 3, size=shape).astype(np.float64)  # many ties
    else:
        x = np.zeros(shape)
    param = pp(ph, pw, stride)
    out_n, cache_n = max_pool_forward_naive(x, param)
    out_f, cache_f = max_pool_forward_fast(x, param)
    np.testing.assert_array_equal(out_f, out_n)
    # Integer-valued dout makes overlapping sums exact in any order, so the
    # two versions must agree bit for bit, not just to rounding.
    dout = rng.integers(-5, 6, size=out_n.shape).astype(np.float64)
    np.testing.assert_array_equal(max_pool_backward_fast(dout, cache_f),
                                  max_pool_backward_naive(dout, cache_n))
    # With real-valued dout they agree up to summation order.
    dout = rng.standard_normal(out_n.shape)
    np.testing.assert_allclose(max_pool_backward_fast(dout, cache_f),
                               max_pool_backward_naive(dout, cache_n), rtol=1e-12, atol=1e-12)


def test_max_pool_backward_sends_each_gradient_once():
    # Whatever the ties, the gradient is routed, not copied: totals match.
    rng = np.random.default_rng(6)
    x = rng.integers(0, 2, size=(2, 3, 7, 7)).astype(np.float64)
    for param in (pp(3, 3, 2), pp(2, 2, 1), pp(3, 3, 1)):
        out, cache = max_pool_forward_fast(x, param)
        dout = rng.integers(1, 4, size=out.shape).astype(np.float64)
        dx = max_pool_backward_fast(dout, cache)
        assert dx.sum() == dout.sum()
        assert np.count_nonzero(dx) <= out.size


# ---------------------------------------------------------------------------
# average and L2 pooling by hand
# ---------------------------------------------------------------------------

def test_avg_pool_backward_overlap_by_hand():
    # 2x2 windows, stride 1, on 3x3: the centre is in all four windows.
    x = np.zeros((1, 1, 3, 3))
    _, cache = avg_pool_forward(x, pp(2, 2, 1))
    dx = avg_pool_backward(np.ones((1, 1, 2, 2)) * 4.0, cache)
    np.testing.assert_array_equal(dx[0, 0], [[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]])


def test_l2_pool_zero_window_gradient_is_zero():
    # Left window all zeros (out == 0: gradient defined as 0), right window
    # a 3-4-5 triangle: d sqrt(x1^2 + x2^2)/dx = x / 5.
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 0, 2], x[0, 0, 1, 3] = 3.0, -4.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, cache = l2_pool_forward(x, pp(2, 2, 2))
        dx = l2_pool_backward(np.array([[[[7.0, 10.0]]]]), cache)
    np.testing.assert_array_equal(out[0, 0], [[0.0, 5.0]])
    expected = np.array([[0., 0., 6., 0.], [0., 0., 0., -8.]])
    np.testing.assert_allclose(dx[0, 0], expected, rtol=1e-15)
    assert np.all(np.isfinite(dx))


def test_l2_pool_all_zero_input_float32():
    x = np.zeros((2, 2, 4, 4), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, cache = l2_pool_forward(x, pp(3, 3, 1))
        dx = l2_pool_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(out, 0)
    np.testing.assert_array_equal(dx, 0)
    assert dx.dtype == np.float32


# ---------------------------------------------------------------------------
# dtype preservation and input immutability
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ph, pw, stride, shape", [
    pytest.param(2, 2, 2, (2, 3, 8, 10), id="F2-S2"),
    pytest.param(3, 3, 2, (2, 3, 9, 7), id="F3-S2-overlap"),
    pytest.param(2, 3, 3, (2, 3, 8, 9), id="F2x3-S3-gaps"),
])
def test_dtype_preserved_and_inputs_unmodified(kind, dtype, ph, pw, stride, shape):
    fwd, bwd, red = KINDS[kind]
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape).astype(dtype)
    x_copy = x.copy()
    out, cache = fwd(x, pp(ph, pw, stride))
    assert out.dtype == dtype
    out_copy = out.copy()
    dout = rng.standard_normal(out.shape).astype(dtype)
    dout_copy = dout.copy()
    dx = bwd(dout, cache)
    assert dx.dtype == dtype and dx.shape == x.shape
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, dout_copy)
    np.testing.assert_array_equal(out, out_copy)
    # float32 results are the float32 reference, not a float64 result cast late.
    expected = REDUCTIONS[red](windows_ref(x.astype(np.float64), ph, pw, stride))
    np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


def test_forward_accepts_non_contiguous_input():
    base = np.random.default_rng(8).standard_normal((6, 6, 3, 2))
    x = base.transpose(3, 2, 0, 1)  # (2, 3, 6, 6), not C-contiguous
    for kind, (fwd, _, red) in KINDS.items():
        out, _ = fwd(x, pp(2, 2, 2))
        np.testing.assert_allclose(out, REDUCTIONS[red](windows_ref(x, 2, 2, 2)), rtol=1e-12,
                                   err_msg=kind)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

FORWARD_IDS = list(FORWARDS)


@pytest.mark.parametrize("kind", FORWARD_IDS)
def test_non_integer_output_size(kind):
    x = np.zeros((1, 1, 5, 5))
    with pytest.raises(ValueError, match=r"does not fit: .*\(5 - 2 \+ 2\*0\)/2 \+ 1 = 2\.5 is not an integer"):
        FORWARDS[kind](x, pp(2, 2, 2))


@pytest.mark.parametrize("kind", FORWARD_IDS)
def test_non_integer_output_width_only(kind):
    x = np.zeros((1, 1, 4, 6))
    with pytest.raises(ValueError, match=r"width does not fit: .*\(6 - 3 \+ 2\*0\)/2 \+ 1 = 2\.5"):
        FORWARDS[kind](x, pp(2, 3, 2))


@pytest.mark.parametrize("kind", FORWARD_IDS)
def test_window_larger_than_input(kind):
    x = np.zeros((1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"larger than the padded input along the height: F=4 > W \+ 2P = 3"):
        FORWARDS[kind](x, pp(4, 2, 1))


@pytest.mark.parametrize("kind", FORWARD_IDS)
def test_stride_zero(kind):
    with pytest.raises(ValueError, match=r"stride S must be positive, got .*=0"):
        FORWARDS[kind](np.zeros((1, 1, 4, 4)), pp(2, 2, 0))


@pytest.mark.parametrize("kind", FORWARD_IDS)
def test_missing_pool_param_key(kind):
    with pytest.raises(ValueError, match=r"pool_param is missing \['stride'\]"):
        FORWARDS[kind](np.zeros((1, 1, 4, 4)), {"pool_height": 2, "pool_width": 2})


@pytest.mark.parametrize("kind", FORWARD_IDS)
def test_int_dtype_promoted_complex_rejected(kind):
    out, _ = FORWARDS[kind](np.arange(16).reshape(1, 1, 4, 4), pp(2, 2, 2))     # promoted, as NumPy would
    assert out.dtype == np.float64
    with pytest.raises(ValueError, match=r"x must be a floating-point array .*got dtype complex"):
        FORWARDS[kind](np.zeros((1, 1, 4, 4), dtype=np.complex128), pp(2, 2, 2))


@pytest.mark.parametrize("kind", FORWARD_IDS)
def test_wrong_ndim(kind):
    with pytest.raises(ValueError, match=r"x must have 4 dimensions, got shape \(4, 4\) \(2-D\)"):
        FORWARDS[kind](np.zeros((4, 4)), pp(2, 2, 2))


@pytest.mark.parametrize("kind", list(KINDS))
def test_backward_rejects_wrong_dout_shape(kind):
    fwd, bwd, _ = KINDS[kind]
    out, cache = fwd(np.zeros((2, 3, 4, 4)), pp(2, 2, 2))
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 3, 2, 2\), got \(2, 3, 2, 3\)"):
        bwd(np.zeros((2, 3, 2, 3)), cache)


@pytest.mark.parametrize("kind", list(KINDS))
def test_error_names_the_layer(kind):
    layer = {"max_naive": "max_pool", "max_fast": "max_pool", "avg": "avg_pool", "l2": "l2_pool"}[kind]
    with pytest.raises(ValueError, match=rf"^{layer}: "):
        FORWARDS[kind](np.zeros((1, 1, 5, 5)), pp(2, 2, 2))
