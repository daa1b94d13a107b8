"""Sandwich layers: common sequences of layers as one forward/backward pair.

Each sandwich is built by :func:`sandwich` from the layers it chains, so the
composition rule (forward in order, backward in reverse, each layer's
parameter gradients collected) lives in one place instead of being written
out by hand for every combination.
"""

from __future__ import annotations

from ..shapes import ArgumentTypeError
from .conv import conv_backward_fast, conv_forward_fast
from .fc import affine_backward, affine_forward, relu_backward, relu_forward
from .norm import (
    batchnorm_backward,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from .pool import max_pool_backward_fast, max_pool_forward_fast

__all__ = [
    "sandwich",
    "conv_relu_forward",
    "conv_relu_backward",
    "conv_relu_pool_forward",
    "conv_relu_pool_backward",
    "affine_relu_forward",
    "affine_relu_backward",
    "conv_bn_relu_forward",
    "conv_bn_relu_backward",
    "affine_norm_relu_forward",
    "affine_norm_relu_backward",
    "NORMALIZATIONS",
]


def sandwich(*stages):
    """Chain layers into one ``(forward, backward)`` pair.

    Parameters
    ----------
    *stages : (forward, backward, nargs)
        Layers in forward order. ``forward(x, *args) -> (out, cache)`` takes
        ``nargs`` extra arguments (weights and hyperparameters), taken in
        order from the sandwich's own arguments after ``x``.
        ``backward(dout, cache)`` returns ``dx`` alone or ``(dx, *param_grads)``.

    Returns
    -------
    forward(x, *args) -> (out, cache)
    backward(dout, cache) -> (dx, *param_grads)
        ``param_grads`` are the parameter gradients of every stage, in forward order.
    """
    total = sum(n for _, _, n in stages)

    def forward(x, *args):
        if len(args) != total:
            raise TypeError(f"expected {total} arguments after x, got {len(args)}")
        caches, i = [], 0
        for fwd, _, n in stages:
            x, cache = fwd(x, *args[i:i + n])
            caches.append(cache)
            i += n
        return x, tuple(caches)

    def backward(dout, cache):
        param_grads = []
        for (_, bwd, _), c in zip(reversed(stages), reversed(cache)):
            grads = bwd(dout, c)
            if isinstance(grads, tuple):
                dout, *rest = grads
                param_grads[:0] = rest  # stages run backwards: prepend to keep forward order
            else:
                dout = grads
        return (dout, *param_grads)

    return forward, backward


_CONV = (conv_forward_fast, conv_backward_fast, 3)       # w, b, conv_param
_RELU = (relu_forward, relu_backward, 0)
_POOL = (max_pool_forward_fast, max_pool_backward_fast, 1)  # pool_param
_AFFINE = (affine_forward, affine_backward, 2)           # w, b
_SPATIAL_BN = (spatial_batchnorm_forward, spatial_batchnorm_backward, 3)  # gamma, beta, bn_param

_conv_relu = sandwich(_CONV, _RELU)
_conv_relu_pool = sandwich(_CONV, _RELU, _POOL)
_affine_relu = sandwich(_AFFINE, _RELU)
_conv_bn_relu = sandwich(_CONV, _SPATIAL_BN, _RELU)

# normalization -> the (forward, backward) sandwich of affine, that normalization and ReLU;
# a normalization stage takes gamma, beta and bn_param (or ln_param)
_affine_norm_relu = {
    None: _affine_relu,
    "batchnorm": sandwich(_AFFINE, (batchnorm_forward, batchnorm_backward, 3), _RELU),
    "layernorm": sandwich(_AFFINE, (layernorm_forward, layernorm_backward, 3), _RELU),
}

#: The ``normalization`` values :func:`affine_norm_relu_forward` accepts.
NORMALIZATIONS = tuple(_affine_norm_relu)


def conv_relu_forward(x, w, b, conv_param):
    """Convolution (fast) followed by ReLU.

    x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H_out, W_out), cache.
    """
    return _conv_relu[0](x, w, b, conv_param)


def conv_relu_backward(dout, cache):
    """Backward of :func:`conv_relu_forward`: dout (N, F, H_out, W_out) -> (dx, dw, db)."""
    return _conv_relu[1](dout, cache)


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """Convolution (fast), ReLU, then max pooling (fast).

    x (N, C, H, W) -> out (N, F, H_pool, W_pool), cache.
    """
    return _conv_relu_pool[0](x, w, b, conv_param, pool_param)


def conv_relu_pool_backward(dout, cache):
    """Backward of :func:`conv_relu_pool_forward`: dout (N, F, H_pool, W_pool) -> (dx, dw, db)."""
    return _conv_relu_pool[1](dout, cache)


def affine_relu_forward(x, w, b):
    """Affine followed by ReLU: x (N, d_1, ..., d_k), w (D, M), b (M,) -> out (N, M), cache."""
    return _affine_relu[0](x, w, b)


def affine_relu_backward(dout, cache):
    """Backward of :func:`affine_relu_forward`: dout (N, M) -> (dx, dw, db)."""
    return _affine_relu[1](dout, cache)


def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    """Convolution (fast), spatial batch norm, then ReLU (the course's ``conv_bn_relu``).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    w : ndarray, shape (F, C, HH, WW)
    b : ndarray, shape (F,)
    gamma, beta : ndarray, shape (F,)
        Batch norm scale and shift, one per filter.
    conv_param : dict
        ``{'stride': S, 'pad': P}``.
    bn_param : dict
        As for :func:`~cs231n_cnn.layers.norm.spatial_batchnorm_forward`,
        which updates its running statistics in train mode.

    Returns
    -------
    out : ndarray, shape (N, F, H_out, W_out)
        ``H_out = (H - HH + 2P)/S + 1``, likewise ``W_out``.
    cache : tuple
        The caches of the conv, batch norm and ReLU layers, in that order.
    """
    return _conv_bn_relu[0](x, w, b, conv_param, gamma, beta, bn_param)


def conv_bn_relu_backward(dout, cache):
    """Backward of :func:`conv_bn_relu_forward`.

    dout (N, F, H_out, W_out) -> (dx (N, C, H, W), dw (F, C, HH, WW), db (F,), dgamma (F,), dbeta (F,)).
    """
    return _conv_bn_relu[1](dout, cache)


def _check_normalization(normalization, layer):
    if not isinstance(normalization, (str, type(None))):
        raise ArgumentTypeError(f"{layer}: normalization must be None, 'batchnorm' or 'layernorm', "
                                f"got {normalization!r} ({type(normalization).__name__})")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"{layer}: normalization must be None, 'batchnorm' or 'layernorm', got {normalization!r}")


def affine_norm_relu_forward(x, w, b, gamma, beta, bn_param, normalization):
    """Affine, then batch or layer norm (or none), then ReLU: a hidden layer of the fully connected net.

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        Flattened to (N, D) with ``D = d_1 * ... * d_k``.
    w : ndarray, shape (D, M)
    b : ndarray, shape (M,)
    gamma, beta : ndarray, shape (M,), or None
        Scale and shift of the normalization; ignored when it is None.
    bn_param : dict or None
        ``bn_param`` of :func:`~cs231n_cnn.layers.norm.batchnorm_forward`
        (updated in train mode) or ``ln_param`` of
        :func:`~cs231n_cnn.layers.norm.layernorm_forward`; ignored when
        ``normalization`` is None.
    normalization : None, 'batchnorm' or 'layernorm'

    Returns
    -------
    out : ndarray, shape (N, M)
    cache : tuple
        ``(normalization, caches)``, ``caches`` those of the affine, the
        normalization (if any) and the ReLU layer, in that order.

    Raises
    ------
    ValueError
        For an unknown ``normalization`` (and whatever the layers reject).
    """
    layer = "affine_norm_relu_forward"
    _check_normalization(normalization, layer)
    forward = _affine_norm_relu[normalization][0]
    if normalization is None:
        out, caches = forward(x, w, b)
    else:
        out, caches = forward(x, w, b, gamma, beta, bn_param)
    return out, (normalization, caches)


def affine_norm_relu_backward(dout, cache):
    """Backward of :func:`affine_norm_relu_forward`.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
    cache : tuple
        From :func:`affine_norm_relu_forward`.

    Returns
    -------
    dx : ndarray, shape (N, d_1, ..., d_k)
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    dgamma, dbeta : ndarray, shape (M,), or None
        None when the forward pass had no normalization.
    """
    normalization, caches = cache
    _check_normalization(normalization, "affine_norm_relu_backward")
    grads = _affine_norm_relu[normalization][1](dout, caches)
    if normalization is None:
        return (*grads, None, None)
    return grads
