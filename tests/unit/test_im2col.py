"""im2col / col2im against direct loops, the documented example, and the adjoint identity."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.im2col import col2im, im2col, im2col_shape

CASES = {
    "3x3-s1-p0": ((2, 3, 5, 5), 3, 3, 1, 0),
    "3x3-s2-p1": ((2, 2, 7, 7), 3, 3, 2, 1),
    "2x3-s1-p2-nonsquare": ((1, 2, 4, 6), 2, 3, 1, 2),
    "1x1-s2-p0": ((3, 4, 5, 3), 1, 1, 2, 0),
    "5x5-s3-p1": ((2, 1, 9, 12), 5, 5, 3, 1),
    "kernel=padded-input": ((2, 2, 3, 3), 5, 5, 1, 1),
}


def loop_im2col(x, HH, WW, S, P):
    """Reference: build each column from its receptive field, one output position at a time."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    H_out, W_out = (H + 2 * P - HH) // S + 1, (W + 2 * P - WW) // S + 1
    cols = []
    for n in range(N):
        for y in range(H_out):
            for x_ in range(W_out):
                cols.append(xp[n, :, y * S:y * S + HH, x_ * S:x_ * S + WW].ravel())
    return np.array(cols).T


@pytest.mark.parametrize("shape, HH, WW, S, P", CASES.values(), ids=CASES.keys())
def test_im2col_matches_loop_reference(shape, HH, WW, S, P, rng):
    x = rng.standard_normal(shape)
    cols = im2col(x, HH, WW, S, P)
    assert cols.shape == im2col_shape(shape, HH, WW, S, P)
    np.testing.assert_array_equal(cols, loop_im2col(x, HH, WW, S, P))


def test_documented_worked_example():
    x = np.arange(9, dtype=np.float64).reshape(1, 1, 3, 3)
    expected = np.array([[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]], dtype=np.float64)
    np.testing.assert_array_equal(im2col(x, 2, 2, 1, 0), expected)


@pytest.mark.parametrize("shape, HH, WW, S, P", CASES.values(), ids=CASES.keys())
def test_col2im_is_the_adjoint_of_im2col(shape, HH, WW, S, P, rng):
    x = rng.standard_normal(shape)
    c = rng.standard_normal(im2col_shape(shape, HH, WW, S, P))
    lhs = np.sum(im2col(x, HH, WW, S, P) * c)
    rhs = np.sum(x * col2im(c, shape, HH, WW, S, P))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_col2im_counts_overlaps():
    """col2im of all-ones columns counts how many windows cover each pixel."""
    shape, HH, WW, S, P = (1, 1, 4, 4), 3, 3, 1, 0
    counts = col2im(np.ones(im2col_shape(shape, HH, WW, S, P)), shape, HH, WW, S, P)
    expected = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]], dtype=np.float64)
    np.testing.assert_array_equal(counts[0, 0], expected)


def test_dtype_preserved_and_input_untouched(rng):
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    x0 = x.copy()
    cols = im2col(x, 3, 3, 1, 1)
    assert cols.dtype == np.float32
    np.testing.assert_array_equal(x, x0)
    c0 = cols.copy()
    back = col2im(cols, x.shape, 3, 3, 1, 1)
    assert back.dtype == np.float32 and back.shape == x.shape
    np.testing.assert_array_equal(cols, c0)


def test_alexnet_columns_from_the_course_notes():
    """227x227x3 input, 11x11 filters, stride 4: a 363 x 3025 matrix per image."""
    assert im2col_shape((1, 3, 227, 227), 11, 11, 4, 0) == (363, 3025)


def test_bad_input():
    x = np.zeros((1, 1, 10, 10))
    with pytest.raises(ValueError, match=r"\(10 - 3 \+ 2\*0\)/2 \+ 1 = 4\.5 is not an integer"):
        im2col(x, 3, 3, 2, 0)
    with pytest.raises(ValueError, match=r"cols must have shape .* = \(9, 16\) .* got \(9, 15\)"):
        col2im(np.zeros((9, 15)), (1, 1, 6, 6), 3, 3, 1, 0)
    with pytest.raises(ValueError, match=r"x_shape must be \(N, C, H, W\), got \(6, 6\)"):
        col2im(np.zeros((9, 16)), (6, 6), 3, 3, 1, 0)
    with pytest.raises(ValueError, match=r"x must be a floating-point array"):
        im2col(np.zeros((1, 1, 4, 4), dtype=np.int32), 3, 3, 1, 0)
