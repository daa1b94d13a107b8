"""cs231n_cnn.compat.fast_layers: the course's fast-layer names are our fast paths."""

import numpy as np
import pytest

from cs231n_cnn.compat import fast_layers
from cs231n_cnn.gradient_check import rel_error
from cs231n_cnn.layers import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
)

ALIASES = {
    "conv_forward_fast": conv_forward_fast,
    "conv_backward_fast": conv_backward_fast,
    "conv_forward_im2col": conv_forward_fast,
    "conv_backward_im2col": conv_backward_fast,
    "conv_forward_strides": conv_forward_fast,
    "conv_backward_strides": conv_backward_fast,
    "max_pool_forward_fast": max_pool_forward_fast,
    "max_pool_backward_fast": max_pool_backward_fast,
    "max_pool_forward_reshape": max_pool_forward_fast,
    "max_pool_backward_reshape": max_pool_backward_fast,
    "max_pool_forward_im2col": max_pool_forward_fast,
    "max_pool_backward_im2col": max_pool_backward_fast,
}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_alias_is_our_fast_path(name):
    assert getattr(fast_layers, name) is ALIASES[name]


def test_all_lists_exactly_the_aliases():
    assert sorted(fast_layers.__all__) == sorted(ALIASES)


@pytest.mark.parametrize("fwd, bwd", [("conv_forward_im2col", "conv_backward_im2col"),
                                      ("conv_forward_strides", "conv_backward_strides"),
                                      ("conv_forward_im2col", "conv_backward_strides")],
                         ids=["im2col", "strides", "im2col-cache-into-strides"])
@pytest.mark.parametrize("stride, pad", [(1, 1), (2, 1)], ids=["s1p1", "s2p1"])
def test_conv_aliases_match_naive(rng, fwd, bwd, stride, pad):
    x = rng.standard_normal((2, 3, 7, 7))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    param = {"stride": stride, "pad": pad}
    out, cache = getattr(fast_layers, fwd)(x, w, b, param)
    out_naive, cache_naive = conv_forward_naive(x, w, b, param)
    assert rel_error(out, out_naive) < 1e-12
    dout = rng.standard_normal(out.shape)
    for g, g_naive in zip(getattr(fast_layers, bwd)(dout, cache), conv_backward_naive(dout, cache_naive),
                          strict=True):
        assert rel_error(g, g_naive) < 1e-12


@pytest.mark.parametrize("kind", ["reshape", "im2col"])
@pytest.mark.parametrize("H, W, ph, pw, stride", [(8, 8, 2, 2, 2), (7, 9, 3, 3, 2), (8, 9, 2, 3, 1)],
                         ids=["course-tiling-2x2s2", "overlap-3x3s2", "nonsquare-2x3s1"])
def test_pool_aliases_match_naive_beyond_the_course_cases(rng, kind, H, W, ph, pw, stride):
    # The course's reshape version only takes the first case; ours takes all three.
    x = rng.permutation(2 * 3 * H * W).reshape(2, 3, H, W).astype(np.float64)  # distinct: no ties
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = getattr(fast_layers, f"max_pool_forward_{kind}")(x, param)
    out_naive, cache_naive = max_pool_forward_naive(x, param)
    np.testing.assert_array_equal(out, out_naive)
    dout = rng.standard_normal(out.shape)
    dx = getattr(fast_layers, f"max_pool_backward_{kind}")(dout, cache)
    np.testing.assert_allclose(dx, max_pool_backward_naive(dout, cache_naive), rtol=0, atol=1e-15)


def test_reshape_pool_ties_go_to_the_first_maximum():
    # Documented difference: the course's reshape backward would give 0.25 to each entry.
    x = np.zeros((1, 1, 2, 2))
    out, cache = fast_layers.max_pool_forward_reshape(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dx = fast_layers.max_pool_backward_reshape(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx, [[[[1.0, 0.0], [0.0, 0.0]]]])
