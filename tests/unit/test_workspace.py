"""Pooled scratch buffers are reused only when nothing else refers to them."""

from __future__ import annotations

import numpy as np

from cs231n_cnn import workspace
from cs231n_cnn.layers import conv_backward_fast, conv_forward_fast


def test_buffer_in_use_is_never_handed_out_twice():
    workspace.clear()
    a = workspace.empty((512, 1024), np.float32)  # 2 MiB: pooled
    b = workspace.empty((512, 1024), np.float32)
    assert not np.shares_memory(a, b)
    view = a[:10]
    del a
    c = workspace.empty((512, 1024), np.float32)
    assert not np.shares_memory(c, view)  # a view keeps its base in use
    del view, c, b
    d = workspace.empty((512, 1024), np.float32)
    e = workspace.empty((512, 1024), np.float32)
    assert not np.shares_memory(d, e)
    workspace.clear()


def test_small_arrays_are_not_pooled():
    workspace.clear()
    workspace.empty((10, 10), np.float64)
    assert workspace.pooled_bytes() == 0


def test_two_live_conv_caches_keep_their_own_columns(rng):
    """A gradient check keeps several forward caches alive: their columns must not be overwritten."""
    x1, x2 = rng.standard_normal((2, 16, 3, 32, 32))
    w = rng.standard_normal((8, 3, 3, 3))
    b = np.zeros(8)
    cp = {"stride": 1, "pad": 1}
    out1, cache1 = conv_forward_fast(x1, w, b, cp)
    out2, cache2 = conv_forward_fast(x2, w, b, cp)
    assert cache1[4].nbytes >= workspace.MIN_BYTES  # the columns are pooled at this size
    assert not np.shares_memory(cache1[4], cache2[4])
    dout = rng.standard_normal(out1.shape)
    dx1, dw1, _ = conv_backward_fast(dout, cache1)
    fresh = conv_backward_fast(dout, conv_forward_fast(x1, w, b, cp)[1])
    np.testing.assert_array_equal(dx1, fresh[0])
    np.testing.assert_array_equal(dw1, fresh[1])
