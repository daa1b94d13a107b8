"""cs231n_cnn.compat.im2col: the course's fancy-index im2col, against a loop, ours and its adjoint."""

import numpy as np
import pytest

from cs231n_cnn.compat.im2col import col2im_indices, get_im2col_indices, im2col_indices
from cs231n_cnn.im2col import im2col

# (N, C, H, W, fh, fw, padding, stride)
CASES = [
    pytest.param(2, 3, 5, 5, 3, 3, 1, 1, id="3x3-p1-s1"),
    pytest.param(2, 2, 7, 7, 3, 3, 1, 2, id="3x3-p1-s2-overlap"),
    pytest.param(3, 1, 6, 8, 2, 2, 0, 2, id="2x2-p0-s2-tiling"),
    pytest.param(1, 2, 5, 7, 3, 1, 0, 1, id="nonsquare-3x1"),
    pytest.param(2, 3, 6, 8, 1, 3, 2, 3, id="1x3-p2-s3"),
]


def cols_by_loop(x, fh, fw, padding, stride):
    """The course's layout written out: row (c*fh + a)*fw + b, column (y*out_w + x)*N + n."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_h = (H + 2 * padding - fh) // stride + 1
    out_w = (W + 2 * padding - fw) // stride + 1
    cols = np.zeros((C * fh * fw, out_h * out_w * N))
    for c in range(C):
        for a in range(fh):
            for b in range(fw):
                for y in range(out_h):
                    for xx in range(out_w):
                        for n in range(N):
                            cols[(c * fh + a) * fw + b, (y * out_w + xx) * N + n] = \
                                xp[n, c, y * stride + a, xx * stride + b]
    return cols


@pytest.mark.parametrize("N, C, H, W, fh, fw, padding, stride", CASES)
def test_index_array_shapes(N, C, H, W, fh, fw, padding, stride):
    k, i, j = get_im2col_indices((N, C, H, W), fh, fw, padding, stride)
    L = ((H + 2 * padding - fh) // stride + 1) * ((W + 2 * padding - fw) // stride + 1)
    assert k.shape == (C * fh * fw, 1)
    assert i.shape == j.shape == (C * fh * fw, L)
    assert i.max() < H + 2 * padding and j.max() < W + 2 * padding
    assert all(a.dtype.kind == "i" for a in (k, i, j))


@pytest.mark.parametrize("N, C, H, W, fh, fw, padding, stride", CASES)
def test_im2col_indices_matches_a_loop(rng, N, C, H, W, fh, fw, padding, stride):
    x = rng.standard_normal((N, C, H, W))
    np.testing.assert_array_equal(im2col_indices(x, fh, fw, padding, stride),
                                  cols_by_loop(x, fh, fw, padding, stride))


@pytest.mark.parametrize("N, C, H, W, fh, fw, padding, stride", CASES)
def test_im2col_indices_is_ours_with_columns_reordered(rng, N, C, H, W, fh, fw, padding, stride):
    x = rng.standard_normal((N, C, H, W))
    ours = im2col(x, fh, fw, stride, padding)                # columns (n, y, x)
    K, NL = ours.shape
    reordered = ours.reshape(K, N, NL // N).transpose(0, 2, 1).reshape(K, NL)   # columns (y, x, n)
    np.testing.assert_array_equal(im2col_indices(x, fh, fw, padding, stride), reordered)


@pytest.mark.parametrize("N, C, H, W, fh, fw, padding, stride", CASES)
def test_col2im_indices_is_the_adjoint(rng, N, C, H, W, fh, fw, padding, stride):
    x = rng.standard_normal((N, C, H, W))
    cols = im2col_indices(x, fh, fw, padding, stride)
    c = rng.standard_normal(cols.shape)
    back = col2im_indices(c, x.shape, fh, fw, padding, stride)
    assert back.shape == x.shape
    assert np.isclose(np.vdot(cols, c), np.vdot(x, back), rtol=1e-12)


@pytest.mark.parametrize("N, C, H, W, fh, fw, padding, stride", CASES)
def test_col2im_indices_matches_a_loop(rng, N, C, H, W, fh, fw, padding, stride):
    cols = rng.standard_normal(im2col_indices(np.zeros((N, C, H, W)), fh, fw, padding, stride).shape)
    out_h = (H + 2 * padding - fh) // stride + 1
    out_w = (W + 2 * padding - fw) // stride + 1
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for c in range(C):
        for a in range(fh):
            for b in range(fw):
                for y in range(out_h):
                    for xx in range(out_w):
                        for n in range(N):
                            xp[n, c, y * stride + a, xx * stride + b] += \
                                cols[(c * fh + a) * fw + b, (y * out_w + xx) * N + n]
    expected = xp[:, :, padding:padding + H, padding:padding + W]
    np.testing.assert_allclose(col2im_indices(cols, (N, C, H, W), fh, fw, padding, stride), expected,
                               rtol=1e-13, atol=1e-13)


def test_col2im_indices_defaults_are_the_courses():
    # 3x3 windows, padding 1, stride 1: every interior pixel of a 4x4 input is read 9 times
    x_shape = (1, 1, 4, 4)
    ones = np.ones((9, 16))
    counts = col2im_indices(ones, x_shape)
    assert counts[0, 0, 1, 1] == 9 and counts[0, 0, 0, 0] == 4


def test_float32_stays_float32(rng):
    x = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    cols = im2col_indices(x, 3, 3)
    assert cols.dtype == np.float32
    assert col2im_indices(cols, x.shape).dtype == np.float32


def test_does_not_fit_shows_the_formula():
    with pytest.raises(ValueError, match=r"width does not fit: .*\(6 - 3 \+ 2\*0\)/2 \+ 1 = 2.5"):
        get_im2col_indices((1, 1, 5, 6), 3, 3, padding=0, stride=2)


def test_course_slip_on_width_is_not_copied():
    # The course checks the width with the field *height*: (4 - 3) % 2 != 0 would reject this
    # 3x2 window on a 5x4 input at stride 2, which fits ((4 - 2)/2 + 1 = 2 columns).
    k, i, j = get_im2col_indices((1, 1, 5, 4), 3, 2, padding=0, stride=2)
    assert i.shape == (6, 2 * 2)


def test_wrong_cols_shape_is_named():
    with pytest.raises(ValueError, match=r"cols must have shape .* = \(9, 32\)"):
        col2im_indices(np.zeros((9, 16)), (2, 1, 4, 4))


def test_integer_input_is_a_type_error():
    with pytest.raises(TypeError, match="floating-point"):
        im2col_indices(np.zeros((1, 1, 3, 3), dtype=np.int64), 3, 3)
