"""``cs231n.layers``: the course's layer functions (naive conv and pooling, norms, dropout, losses)."""

from ..layers.conv import conv_backward_naive, conv_forward_naive
from ..layers.dropout import dropout_backward, dropout_forward
from ..layers.fc import affine_backward, affine_forward, relu_backward, relu_forward
from ..layers.losses import softmax_loss, svm_loss
from ..layers.norm import (
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
)
from ..layers.pool import max_pool_backward_naive, max_pool_forward_naive

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "softmax_loss",
    "svm_loss",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "layernorm_forward",
    "layernorm_backward",
    "dropout_forward",
    "dropout_backward",
    "conv_forward_naive",
    "conv_backward_naive",
    "max_pool_forward_naive",
    "max_pool_backward_naive",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "spatial_groupnorm_forward",
    "spatial_groupnorm_backward",
]
