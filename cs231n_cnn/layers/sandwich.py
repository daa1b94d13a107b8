"""Sandwich layers: common sequences of layers as one forward/backward pair.

Each sandwich is built by :func:`sandwich` from the layers it chains, so the
composition rule (forward in order, backward in reverse, each layer's
parameter gradients collected) lives in one place instead of being written
out by hand for every combination.
"""

from __future__ import annotations

from .conv import conv_backward_fast, conv_forward_fast
from .fc import affine_backward, affine_forward, relu_backward, relu_forward
from .pool import max_pool_backward_fast, max_pool_forward_fast

__all__ = [
    "sandwich",
    "conv_relu_forward",
    "conv_relu_backward",
    "conv_relu_pool_forward",
    "conv_relu_pool_backward",
    "affine_relu_forward",
    "affine_relu_backward",
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

_conv_relu = sandwich(_CONV, _RELU)
_conv_relu_pool = sandwich(_CONV, _RELU, _POOL)
_affine_relu = sandwich(_AFFINE, _RELU)


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
