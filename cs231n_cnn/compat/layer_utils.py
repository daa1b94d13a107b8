"""``cs231n.layer_utils``: the course's sandwich layers (built by :func:`cs231n_cnn.layers.sandwich`).

``affine_norm_relu_forward/backward`` is the helper the course asks students
to write for FullyConnectedNet's batch/layer norm.
"""

from ..layers.sandwich import (
    affine_norm_relu_backward,
    affine_norm_relu_forward,
    affine_relu_backward,
    affine_relu_forward,
    conv_bn_relu_backward,
    conv_bn_relu_forward,
    conv_relu_backward,
    conv_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)

__all__ = [
    "affine_relu_forward",
    "affine_relu_backward",
    "affine_norm_relu_forward",
    "affine_norm_relu_backward",
    "conv_relu_forward",
    "conv_relu_backward",
    "conv_bn_relu_forward",
    "conv_bn_relu_backward",
    "conv_relu_pool_forward",
    "conv_relu_pool_backward",
]
