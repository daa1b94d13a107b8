"""Convolution layers against scipy.signal, each other, and numerical gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient_array
from cs231n_cnn.layers import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
)

FORWARDS = {"naive": conv_forward_naive, "fast": conv_forward_fast}
BACKWARDS = {"naive": conv_backward_naive, "fast": conv_backward_fast}


def scipy_conv(x, w, b, stride, pad):
    """Independent reference: cross-correlation per image and filter with scipy."""
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    N, F = x.shape[0], w.shape[0]
    outs = []
    for n in range(N):
        maps = []
        for f in range(F):
            # 'valid' over (C, Hp, Wp) with a (C, HH, WW) kernel: shape (1, Hp-HH+1, Wp-WW+1)
            full = signal.correlate(xpad[n], w[f], mode="valid", method="direct")[0]
            maps.append(full[::stride, ::stride] + b[f])
        outs.append(maps)
    return np.array(outs)


def make_case(rng, N, C, F, H_out, W_out, HH, WW, stride, pad, dtype=np.float64):
    """Random inputs whose sizes fit by construction: H = (H_out-1)*S + HH - 2P."""
    H = (H_out - 1) * stride + HH - 2 * pad
    W = (W_out - 1) * stride + WW - 2 * pad
    assert H >= 1 and W >= 1
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C, HH, WW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    return x, w, b, {"stride": stride, "pad": pad}


# (N, C, F, H_out, W_out, HH, WW, stride, pad), chosen to cover stride 1-4,
# pad 0-3, non-square inputs and kernels, 1x1 kernels, and a kernel as large
# as the padded input (H_out = W_out = 1).
GRID = {
    "3x3-s1-p1": (2, 3, 4, 5, 5, 3, 3, 1, 1),
    "3x3-s2-p1-timing-cell-like": (2, 3, 5, 4, 4, 3, 3, 2, 1),
    "5x5-s3-p2": (1, 2, 3, 3, 4, 5, 5, 3, 2),
    "4x4-s4-p0": (2, 2, 2, 3, 2, 4, 4, 4, 0),
    "1x1-s1-p0": (2, 4, 3, 3, 5, 1, 1, 1, 0),
    "1x1-s2-p0": (1, 3, 2, 3, 3, 1, 1, 2, 0),
    "2x3-nonsquare-s1-p0": (2, 3, 2, 4, 3, 2, 3, 1, 0),
    "3x2-nonsquare-s2-p1": (1, 2, 3, 3, 4, 3, 2, 2, 1),
    "kernel-equals-padded-input": (2, 3, 2, 1, 1, 5, 5, 1, 1),
    "pad3-larger-than-needed": (1, 1, 2, 7, 6, 3, 3, 1, 3),
    "7x7-s1-p3-threelayer-first": (2, 3, 2, 6, 6, 7, 7, 1, 3),
}


@pytest.mark.parametrize("impl", FORWARDS)
@pytest.mark.parametrize("case", GRID.values(), ids=GRID.keys())
def test_forward_matches_scipy(impl, case, rng):
    x, w, b, cp = make_case(rng, *case)
    out, _ = FORWARDS[impl](x, w, b, cp)
    expected = scipy_conv(x, w, b, cp["stride"], cp["pad"])
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


def test_forward_on_a_hand_worked_example():
    """One 3x3 image, a 2x2 filter of ones, stride 1, pad 0: sums of 2x2 blocks plus bias."""
    x = np.arange(9, dtype=np.float64).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 2, 2))
    b = np.array([0.5])
    expected = np.array([[[[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]]]) + 0.5
    for forward in FORWARDS.values():
        out, _ = forward(x, w, b, {"stride": 1, "pad": 0})
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("impl", BACKWARDS)
@pytest.mark.parametrize("case", [GRID[k] for k in ("3x3-s2-p1-timing-cell-like", "5x5-s3-p2",
                                                     "2x3-nonsquare-s1-p0", "1x1-s2-p0",
                                                     "kernel-equals-padded-input")],
                         ids=["3x3-s2-p1", "5x5-s3-p2", "2x3-s1-p0", "1x1-s2-p0", "kernel=padded"])
def test_backward_matches_numerical_gradient(impl, case, rng):
    x, w, b, cp = make_case(rng, *case)
    forward, backward = FORWARDS[impl], BACKWARDS[impl]
    out, cache = forward(x, w, b, cp)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: forward(v, w, b, cp)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: forward(x, v, b, cp)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: forward(x, w, v, cp)[0], b, dout)
    # Convolution is linear in each argument, so centered differences are exact up to rounding.
    check_gradient(dx, dx_num, tol=1e-7, name="dx")
    check_gradient(dw, dw_num, tol=1e-7, name="dw")
    check_gradient(db, db_num, tol=1e-7, name="db")


@st.composite
def conv_cases(draw):
    HH = draw(st.integers(1, 5))
    WW = draw(st.integers(1, 5))
    stride = draw(st.integers(1, 4))
    pad = draw(st.integers(0, 3))
    H_out = draw(st.integers(1, 4))
    W_out = draw(st.integers(1, 4))
    H = (H_out - 1) * stride + HH - 2 * pad
    W = (W_out - 1) * stride + WW - 2 * pad
    if H < 1 or W < 1:
        # Shrink the padding until the input is at least one pixel.
        pad = 0
        H = (H_out - 1) * stride + HH
        W = (W_out - 1) * stride + WW
    N = draw(st.integers(1, 3))
    C = draw(st.integers(1, 3))
    F = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    return N, C, F, H, W, HH, WW, stride, pad, seed


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_naive_and_fast_agree_on_random_shapes(case):
    N, C, F, H, W, HH, WW, stride, pad, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, HH, WW))
    b = rng.standard_normal(F)
    cp = {"stride": stride, "pad": pad}
    out_n, cache_n = conv_forward_naive(x, w, b, cp)
    out_f, cache_f = conv_forward_fast(x, w, b, cp)
    np.testing.assert_allclose(out_f, out_n, rtol=1e-10, atol=1e-10)
    dout = rng.standard_normal(out_n.shape)
    for g_f, g_n in zip(conv_backward_fast(dout, cache_f), conv_backward_naive(dout, cache_n)):
        assert g_f.shape == g_n.shape
        np.testing.assert_allclose(g_f, g_n, rtol=1e-10, atol=1e-10)


def test_course_timing_cell_shapes(rng):
    """The course's timing cell: x (100,3,31,31), w (25,3,3,3), stride 2, pad 1 -> 16x16 outputs."""
    x = rng.standard_normal((100, 3, 31, 31))
    w = rng.standard_normal((25, 3, 3, 3))
    b = rng.standard_normal(25)
    out, cache = conv_forward_fast(x, w, b, {"stride": 2, "pad": 1})
    assert out.shape == (100, 25, 16, 16)
    expected = scipy_conv(x[:2], w, b, 2, 1)
    np.testing.assert_allclose(out[:2], expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("impl", ["naive", "fast"])
def test_float32_stays_float32(impl, rng):
    x, w, b, cp = make_case(rng, 2, 3, 4, 4, 4, 3, 3, 2, 1, dtype=np.float32)
    out, cache = FORWARDS[impl](x, w, b, cp)
    assert out.dtype == np.float32
    grads = BACKWARDS[impl](rng.standard_normal(out.shape).astype(np.float32), cache)
    assert [g.dtype for g in grads] == [np.float32] * 3
    # float32 results agree with a float64 reference to float32 precision
    ref = scipy_conv(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), 2, 1)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("impl", ["naive", "fast"])
def test_inputs_are_not_modified(impl, rng):
    x, w, b, cp = make_case(rng, 2, 3, 4, 4, 4, 3, 3, 2, 1)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = FORWARDS[impl](x, w, b, cp)
    dout = rng.standard_normal(out.shape)
    dout_copy = dout.copy()
    BACKWARDS[impl](dout, cache)
    for a, c in zip((x, w, b, dout), copies + [dout_copy]):
        np.testing.assert_array_equal(a, c)
    assert cp == {"stride": 2, "pad": 1}


# ---------------------------------------------------------------- bad input

def _good(rng):
    return make_case(rng, 2, 3, 4, 5, 5, 3, 3, 1, 1)


@pytest.mark.parametrize("impl", FORWARDS)
def test_non_integer_output_size_shows_the_formula(impl, rng):
    x = rng.standard_normal((1, 1, 10, 10))
    w = rng.standard_normal((2, 1, 3, 3))
    with pytest.raises(ValueError, match=r"\(10 - 3 \+ 2\*0\)/2 \+ 1 = 4\.5 is not an integer"):
        FORWARDS[impl](x, w, np.zeros(2), {"stride": 2, "pad": 0})


@pytest.mark.parametrize(
    "mutate, pattern",
    [
        (lambda x, w, b, cp: (x, w, b, {"stride": 0, "pad": 1}), r"stride S must be positive, got .*=0"),
        (lambda x, w, b, cp: (x, w, b, {"stride": -1, "pad": 1}), r"stride S must be positive"),
        (lambda x, w, b, cp: (x, w, b, {"stride": 1, "pad": -1}), r"pad P must be >= 0, got .*=-1"),
        (lambda x, w, b, cp: (x, w, b, {"stride": 1.5, "pad": 1}), r"stride S must be an integer, got 1\.5"),
        (lambda x, w, b, cp: (x, w, b, {"stride": 1}), r"conv_param is missing \['pad'\]"),
        (lambda x, w, b, cp: (x, w[:, :2], b, cp), r"channel mismatch: x has C=3 .* w expects C=2"),
        (lambda x, w, b, cp: (x[0], w, b, cp), r"x must have 4 dimensions, got shape \(3, 5, 5\)"),
        (lambda x, w, b, cp: (x, w, b[:3], cp), r"bias b has length 3 but w has F=4 filters"),
        (lambda x, w, b, cp: (x.astype(np.complex128), w, b, cp),
         r"x must be a floating-point array .* got dtype complex128"),
        (lambda x, w, b, cp: (x.astype(object), w, b, cp), r"x must be a floating-point array .* got dtype object"),
        (lambda x, w, b, cp: (x.tolist(), w, b, cp), r"x must be a numpy array, got list"),
        (lambda x, w, b, cp: (x.astype(np.float32), w, b, cp), r"arrays must share one dtype, got x: float32, w: float64"),
        (lambda x, w, b, cp: (x, np.ones((4, 3, 9, 9)), b, cp),
         r"filter is larger than the padded input along the height: F=9 > W \+ 2P = 5 \+ 2\*1 = 7"),
    ],
    ids=["stride-0", "stride-negative", "pad-negative", "stride-float", "missing-pad", "channel-mismatch",
         "wrong-ndim", "bias-length", "complex-array", "object-array", "list", "mixed-dtype", "kernel-too-large"],
)
@pytest.mark.parametrize("impl", FORWARDS)
def test_bad_input_raises_a_clear_error(impl, mutate, pattern, rng):
    args = mutate(*_good(rng))
    with pytest.raises(ValueError, match=pattern):
        FORWARDS[impl](*args)


def test_fast_forward_rejects_nan_and_inf(rng):
    x, w, b, cp = _good(rng)
    x[1, 2, 3, 4] = np.nan
    with pytest.raises(ValueError, match=r"x contains 1 non-finite value\(s\) \(first nan at index \(1, 2, 3, 4\)\)"):
        conv_forward_fast(x, w, b, cp)
    x[1, 2, 3, 4] = 0
    w[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"w contains 1 non-finite"):
        conv_forward_fast(x, w, b, cp)


def test_fast_forward_accepts_huge_finite_values_whose_sum_overflows():
    x = np.full((1, 1, 4, 4), np.finfo(np.float32).max / 2, dtype=np.float32)
    w = np.zeros((1, 1, 1, 1), dtype=np.float32)
    out, _ = conv_forward_fast(x, w, np.zeros(1, np.float32), {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(out, 0)


@pytest.mark.parametrize("impl", BACKWARDS)
def test_backward_rejects_dout_of_the_wrong_shape(impl, rng):
    x, w, b, cp = _good(rng)
    out, cache = FORWARDS[impl](x, w, b, cp)
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4, 5, 5\), got \(2, 4, 5, 4\)"):
        BACKWARDS[impl](np.zeros((2, 4, 5, 4)), cache)


def test_backward_without_dx_gives_the_same_dw_db(rng):
    x, w, b, cp = make_case(rng, 2, 3, 4, 4, 4, 3, 3, 2, 1)
    out, cache = conv_forward_fast(x, w, b, cp)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_fast(dout, cache)
    none, dw2, db2 = conv_backward_fast(dout, cache, compute_dx=False)
    assert none is None
    np.testing.assert_array_equal(dw2, dw)
    np.testing.assert_array_equal(db2, db)


@pytest.mark.parametrize("N", [1, 2, 5, 7])
@pytest.mark.parametrize("case", ["3x3-s2-p1-timing-cell-like", "5x5-s3-p2", "7x7-s1-p3-threelayer-first"])
def test_fast_layers_split_into_image_blocks_agree_with_naive(N, case, rng, monkeypatch):
    """Large batches run in blocks of images; force blocks on small inputs and compare with the loops."""
    import cs231n_cnn.layers.conv as conv_module
    from cs231n_cnn.layers.conv import _image_blocks

    monkeypatch.setattr(conv_module, "SMALL_COLS_BYTES", 0)
    _, C, F, H_out, W_out, HH, WW, stride, pad = GRID[case]
    x, w, b, cp = make_case(rng, N, C, F, H_out, W_out, HH, WW, stride, pad)
    blocks = _image_blocks(N, C * HH * WW, F, cols_bytes=1)
    assert blocks[0][0] == 0 and blocks[-1][1] == N
    assert all(a[1] == b_[0] for a, b_ in zip(blocks, blocks[1:]))  # consecutive, no gap or overlap
    if N >= 5:
        assert len(blocks) > 1
    out_f, cache_f = conv_forward_fast(x, w, b, cp)
    out_n, cache_n = conv_forward_naive(x, w, b, cp)
    np.testing.assert_allclose(out_f, out_n, rtol=1e-10, atol=1e-10)
    dout = rng.standard_normal(out_n.shape)
    for g_f, g_n in zip(conv_backward_fast(dout, cache_f), conv_backward_naive(dout, cache_n)):
        np.testing.assert_allclose(g_f, g_n, rtol=1e-10, atol=1e-10)
    none, dw, db = conv_backward_fast(dout, cache_f, compute_dx=False)
    assert none is None
    np.testing.assert_allclose(dw, conv_backward_naive(dout, cache_n)[1], rtol=1e-10, atol=1e-10)


def test_image_blocks_bound_scratch_to_half_the_columns():
    from cs231n_cnn.layers.conv import _image_blocks

    for N, K, F in [(50, 27, 25), (16, 576, 64), (50, 147, 32), (100, 27, 25), (3, 10, 500)]:
        blocks = _image_blocks(N, K, F, cols_bytes=10**9)
        largest = max(b - a for a, b in blocks)
        assert largest * (K + F) <= max(N * K / 2, K + F)  # scratch rows*cols vs half of cols
        assert [a for a, _ in blocks][1:] == [b for _, b in blocks][:-1]
    assert _image_blocks(50, 27, 25, cols_bytes=1000) == [(0, 50)]  # small columns: one block


# (N, C, F, H_out, W_out, HH, WW, stride, pad) where F <= C and stride 1: the
# fast backward computes dx as a convolution of dout instead of col2im.
DX_AS_CONV = {
    "vgg-like-3x3-p1": (3, 4, 4, 5, 6, 3, 3, 1, 1),
    "fewer-filters-5x5-p2": (2, 5, 3, 4, 4, 5, 5, 1, 2),
    "1x1": (2, 4, 2, 3, 5, 1, 1, 1, 0),
    "kernel-equals-padded-input": (2, 3, 2, 1, 1, 5, 5, 1, 2),
}


@pytest.mark.parametrize("blocks", ["one block", "several blocks"])
@pytest.mark.parametrize("case", DX_AS_CONV.values(), ids=DX_AS_CONV.keys())
def test_dx_as_a_convolution_of_dout_matches_the_loops(case, blocks, rng, monkeypatch):
    import cs231n_cnn.layers.conv as conv_module

    if blocks == "several blocks":
        monkeypatch.setattr(conv_module, "SMALL_COLS_BYTES", 0)
    x, w, b, cp = make_case(rng, *case)
    assert conv_module._dx_as_convolution(x.shape, w.shape, cp["stride"], cp["pad"])
    out, cache = conv_forward_fast(x, w, b, cp)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_fast(dout, cache)
    dx_n, dw_n, db_n = conv_backward_naive(dout, conv_forward_naive(x, w, b, cp)[1])
    np.testing.assert_allclose(dx, dx_n, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dw, dw_n, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(db, db_n, rtol=1e-10, atol=1e-10)


def test_dx_as_a_convolution_only_where_it_applies():
    from cs231n_cnn.layers.conv import _dx_as_convolution

    assert _dx_as_convolution((16, 64, 32, 32), (64, 64, 3, 3), 1, 1)       # VGG layer
    assert not _dx_as_convolution((50, 3, 32, 32), (32, 3, 7, 7), 1, 3)     # F > C: columns too large
    assert not _dx_as_convolution((100, 3, 31, 31), (3, 3, 3, 3), 2, 1)     # stride 2
    assert not _dx_as_convolution((2, 4, 8, 8), (2, 4, 3, 2), 1, 1)         # non-square filter
    assert not _dx_as_convolution((2, 4, 8, 8), (2, 4, 3, 3), 1, 3)         # pad > HH - 1
    assert not _dx_as_convolution((2, 4, 8, 8), (4, 4, 5, 5), 1, 0)         # valid conv: dout columns larger


@pytest.mark.parametrize("impl", FORWARDS)
def test_integer_and_bool_arrays_are_promoted_to_float64_as_numpy_would(impl, rng):
    """The course passes b = np.array([0, 128]); NumPy's arithmetic, and the course's code, promote it."""
    x = rng.integers(-3, 4, size=(2, 3, 5, 5))
    w = rng.standard_normal((2, 3, 3, 3))
    b = np.array([0, 128])
    cp = {"stride": 1, "pad": 1}
    impl = FORWARDS[impl]
    out, _ = impl(x, w, b, cp)
    want, _ = impl(x.astype(np.float64), w, b.astype(np.float64), cp)
    assert out.dtype == np.float64 and np.array_equal(out, want)
    out_bool, _ = impl(x > 0, w, b, cp)
    assert np.array_equal(out_bool, impl((x > 0).astype(np.float64), w, b.astype(np.float64), cp)[0])
    with pytest.raises(ValueError, match="arrays must share one dtype"):      # float32 next to a promoted int
        impl(x.astype(np.float32), w.astype(np.float32), b, cp)
