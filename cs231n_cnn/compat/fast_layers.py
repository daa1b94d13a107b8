"""``cs231n.fast_layers``: every course name is an alias of one of our two fast paths.

See :mod:`cs231n_cnn.fast_layers` for why the aliases compute the same function.
"""

from ..fast_layers import (
    conv_backward_fast,
    conv_backward_im2col,
    conv_backward_strides,
    conv_forward_fast,
    conv_forward_im2col,
    conv_forward_strides,
    max_pool_backward_fast,
    max_pool_backward_im2col,
    max_pool_backward_reshape,
    max_pool_forward_fast,
    max_pool_forward_im2col,
    max_pool_forward_reshape,
)

__all__ = [
    "conv_forward_fast",
    "conv_backward_fast",
    "conv_forward_im2col",
    "conv_backward_im2col",
    "conv_forward_strides",
    "conv_backward_strides",
    "max_pool_forward_fast",
    "max_pool_backward_fast",
    "max_pool_forward_reshape",
    "max_pool_backward_reshape",
    "max_pool_forward_im2col",
    "max_pool_backward_im2col",
]
