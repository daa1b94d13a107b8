"""Channel-major conv layers (cs231n_cnn.layers.channel_major) against direct loops, in float64 to 1e-8."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.layers import conv_backward_naive, conv_forward_naive
from cs231n_cnn.layers.channel_major import conv_backward_cm, conv_forward_cm, swap_batch_and_channels

TOL = 1e-8

# (N, C, H, W, F, HH, WW, stride, pad): stride 1 with dx as a transposed
# convolution, stride 2 and 3 (dx through col2im), a rectangular filter, more
# filters than channels (col2im again), 1x1 filters, and one large enough
# (columns over 1 MiB) that the backward pass runs on blocks of images.
CASES = [
    (2, 3, 7, 7, 4, 3, 3, 1, 1),
    (3, 2, 9, 9, 3, 3, 3, 2, 1),
    (2, 3, 9, 9, 2, 3, 3, 3, 0),
    (2, 2, 6, 7, 3, 3, 2, 1, 0),
    (2, 2, 5, 5, 6, 3, 3, 1, 1),
    (3, 4, 4, 4, 2, 1, 1, 1, 0),
    (12, 8, 16, 16, 4, 3, 3, 1, 1),
]


def _ids(case):
    N, C, H, W, F, HH, WW, S, P = case
    return f"N{N}-C{C}-{H}x{W}-F{F}-{HH}x{WW}-S{S}-P{P}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_conv_cm_equals_the_loop_version(rng, case):
    N, C, H, W, F, HH, WW, S, P = case
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, HH, WW))
    b = rng.standard_normal(F)
    conv_param = {"stride": S, "pad": P}
    out_ref, cache_ref = conv_forward_naive(x, w, b, conv_param)
    dout = rng.standard_normal(out_ref.shape)
    dx_ref, dw_ref, db_ref = conv_backward_naive(dout, cache_ref)

    x_cm, dout_cm = swap_batch_and_channels(x), swap_batch_and_channels(dout)
    x0, d0 = x_cm.copy(), dout_cm.copy()
    out, cache = conv_forward_cm(x_cm, w, b, conv_param)
    assert out.shape == (F, N) + out_ref.shape[2:]
    assert np.max(np.abs(out.transpose(1, 0, 2, 3) - out_ref)) < TOL
    dx, dw, db = conv_backward_cm(dout_cm, cache)
    assert dx.shape == (C, N, H, W) and dx.flags.c_contiguous
    assert np.max(np.abs(dx.transpose(1, 0, 2, 3) - dx_ref)) < TOL
    assert np.max(np.abs(dw - dw_ref)) < TOL
    assert np.max(np.abs(db - db_ref)) < TOL
    np.testing.assert_array_equal(x_cm, x0)      # inputs are never modified
    np.testing.assert_array_equal(dout_cm, d0)

    dx_none, dw2, db2 = conv_backward_cm(dout_cm, cache, compute_dx=False)
    assert dx_none is None
    np.testing.assert_array_equal(dw2, dw)
    np.testing.assert_array_equal(db2, db)


def test_conv_cm_keeps_float32(rng):
    x = rng.standard_normal((3, 2, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = np.zeros(4, np.float32)
    out, cache = conv_forward_cm(x, w, b, {"stride": 1, "pad": 1})
    grads = conv_backward_cm(np.ones_like(out), cache)
    assert {a.dtype for a in (out, *grads)} == {np.dtype(np.float32)}


def test_conv_cm_errors_name_the_layer_and_the_rule(rng):
    x = np.zeros((3, 2, 8, 8))                 # (C, N, H, W)
    w, b = np.zeros((4, 3, 3, 3)), np.zeros(4)
    with pytest.raises(ValueError, match=r"conv_forward_cm: height does not fit: \(W - F \+ 2P\)/S \+ 1"):
        conv_forward_cm(x, w, b, {"stride": 2, "pad": 1})
    with pytest.raises(ValueError, match=r"conv_forward_cm"):
        conv_forward_cm(x, np.zeros((4, 2, 3, 3)), b, {"stride": 1, "pad": 1})   # w has C=2, x has C=3
    bad = x.copy()
    bad[1, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match=r"conv_forward_cm: x contains 1 non-finite value.*\(1, 0, 2, 2\)"):
        conv_forward_cm(bad, w, b, {"stride": 1, "pad": 1})
    out, cache = conv_forward_cm(x, w, b, {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"conv_backward_cm: dout"):
        conv_backward_cm(np.zeros((2, 4, 8, 8)), cache)   # NCHW instead of (F, N, H_out, W_out)


def test_swap_is_its_own_inverse(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    y = swap_batch_and_channels(x)
    assert y.shape == (3, 2, 4, 5) and y.flags.c_contiguous
    assert y[2, 1, 3, 4] == x[1, 2, 3, 4]
    np.testing.assert_array_equal(swap_batch_and_channels(y), x)
