"""Forward/backward pairs for ConvNet layers (CS231n conventions).

Conventions
-----------
* Arrays are NCHW: ``x`` has shape (N, C, H, W); conv weights ``w`` have
  shape (F, C, HH, WW) and biases ``b`` shape (F,) (the course's names: F is
  the number of filters, K in the notebooks' symbol table).
* ``*_forward(...) -> (out, cache)``; ``*_backward(dout, cache) -> grads``
  where ``grads`` has one entry per differentiable input, in input order.
* ``conv_param = {'stride': S, 'pad': P}``;
  ``pool_param = {'pool_height': PH, 'pool_width': PW, 'stride': S}``.
* Output sizes follow ``(W - F + 2P)/S + 1`` and must be integers; see
  :mod:`cs231n_cnn.shapes`, which every layer uses for validation.
* Fast paths keep the input dtype (float32 stays float32) and never modify
  their inputs.

Glossary: N images, C input channels, H/W height/width, F filters (output
channels), HH/WW filter height/width, S stride, P zero-padding, ``dout``
upstream gradient.
"""

from .conv import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
)
from .dropout import (
    dropout_backward,
    dropout_forward,
)
from .fc import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
)
from .fractional_pool import (
    fractional_max_pool_backward,
    fractional_max_pool_forward,
    fractional_pool_sequence,
)
from .local import (
    locally_connected_backward,
    locally_connected_forward,
)
from .losses import (
    softmax_loss,
    svm_loss,
)
from .lrn import (
    lrn_backward,
    lrn_forward,
)
from .norm import (
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
from .pool import (
    avg_pool_backward,
    avg_pool_forward,
    l2_pool_backward,
    l2_pool_forward,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
)
from .sandwich import (
    NORMALIZATIONS,
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
    sandwich,
)

__all__ = [
    "conv_backward_fast",
    "conv_backward_naive",
    "conv_forward_fast",
    "conv_forward_naive",
    "affine_backward",
    "affine_forward",
    "relu_backward",
    "relu_forward",
    "softmax_loss",
    "svm_loss",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "batchnorm_forward",
    "layernorm_backward",
    "layernorm_forward",
    "lrn_backward",
    "lrn_forward",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
    "spatial_groupnorm_backward",
    "spatial_groupnorm_forward",
    "dropout_backward",
    "dropout_forward",
    "avg_pool_backward",
    "avg_pool_forward",
    "l2_pool_backward",
    "l2_pool_forward",
    "max_pool_backward_fast",
    "max_pool_backward_naive",
    "max_pool_forward_fast",
    "max_pool_forward_naive",
    "fractional_max_pool_backward",
    "fractional_max_pool_forward",
    "fractional_pool_sequence",
    "locally_connected_backward",
    "locally_connected_forward",
    "NORMALIZATIONS",
    "affine_norm_relu_backward",
    "affine_norm_relu_forward",
    "affine_relu_backward",
    "affine_relu_forward",
    "conv_bn_relu_backward",
    "conv_bn_relu_forward",
    "conv_relu_backward",
    "conv_relu_forward",
    "conv_relu_pool_backward",
    "conv_relu_pool_forward",
    "sandwich",
]
