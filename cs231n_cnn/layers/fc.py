"""Fully connected (affine) layer and the ReLU nonlinearity.

An affine layer flattens each example to a row of D numbers and computes
``out = x @ w + b``; this is the course notes' "fully connected layer" where
every output neuron sees every input value. Images (N, C, H, W) are
flattened to (N, C*H*W) in C order, so D = C*H*W.

ReLU is ``max(0, x)`` elementwise.
"""

from __future__ import annotations

import math

import numpy as np

from ..shapes import check_array, check_same_dtype, promote_integer_arrays

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "relu_forward_inplace",
    "relu_backward_inplace",
]


def _check_affine(x, w, b, *, layer: str) -> None:
    """Validate x (N, d_1, ..., d_k), w (D, M), b (M,) with D = d_1*...*d_k."""
    check_array(x, "x", layer=layer)
    if x.ndim < 2:
        raise ValueError(
            f"{layer}: x must have shape (N, d_1, ..., d_k) with at least 2 dimensions "
            f"(one row per example), got shape {x.shape}; use x.reshape(N, -1)"
        )
    check_array(w, "w", 2, layer=layer)
    check_array(b, "b", 1, layer=layer)
    D = math.prod(x.shape[1:])
    if D != w.shape[0]:
        dims = "*".join(str(d) for d in x.shape[1:])
        raise ValueError(
            f"{layer}: x has D = {dims} = {D} values per example (shape {x.shape}) "
            f"but w has D = {w.shape[0]} rows (shape {w.shape}); w must have shape ({D}, M)"
        )
    if b.shape[0] != w.shape[1]:
        raise ValueError(
            f"{layer}: bias b has length {b.shape[0]} but w has M = {w.shape[1]} columns; "
            f"b must have shape ({w.shape[1]},)"
        )
    check_same_dtype(layer, x=x, w=w, b=b)


@promote_integer_arrays
def affine_forward(x, w, b):
    """Affine (fully connected) forward pass ``out = x.reshape(N, D) @ w + b``.

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        A minibatch of N examples; each is flattened to D = d_1*...*d_k values.
    w : ndarray, shape (D, M)
        Weights.
    b : ndarray, shape (M,)
        Biases.

    Returns
    -------
    out : ndarray, shape (N, M), dtype of x
    cache : tuple
        ``(x, w, b)``.

    Raises
    ------
    ValueError
        If the arrays are not floating point, disagree on D or M, or mix dtypes.

    Examples
    --------
    >>> x = np.ones((2, 3, 4))               # D = 12
    >>> out, _ = affine_forward(x, np.ones((12, 5)), np.zeros(5))
    >>> out.shape, float(out[0, 0])
    ((2, 5), 12.0)
    """
    _check_affine(x, w, b, layer="affine_forward")
    out = None
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    ### END SOLUTION
    cache = (x, w, b)
    return out, cache


@promote_integer_arrays
def affine_backward(dout, cache):
    """Affine backward pass.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
        Upstream gradient.
    cache : tuple
        ``(x, w, b)`` from :func:`affine_forward`.

    Returns
    -------
    dx : ndarray, shape (N, d_1, ..., d_k)
        Same shape as the original x (not flattened).
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    x, w, b = cache
    _check_affine(x, w, b, layer="affine_backward")
    check_array(dout, "dout", 2, layer="affine_backward", shape=(x.shape[0], w.shape[1]))
    check_same_dtype("affine_backward", x=x, dout=dout)
    dx = dw = db = None
    ### BEGIN SOLUTION
    x_rows = x.reshape(x.shape[0], -1)                     # (N, D)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_rows.T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


@promote_integer_arrays
def relu_forward(x):
    """ReLU forward pass ``out = max(0, x)`` elementwise.

    Parameters
    ----------
    x : ndarray, any shape

    Returns
    -------
    out : ndarray, same shape and dtype as x
    cache : ndarray
        ``x`` itself.
    """
    check_array(x, "x", layer="relu_forward")
    out = None
    ### BEGIN SOLUTION
    out = np.maximum(x, 0)
    ### END SOLUTION
    cache = x
    return out, cache


@promote_integer_arrays
def relu_backward(dout, cache):
    """ReLU backward pass.

    Parameters
    ----------
    dout : ndarray, same shape as x
        Upstream gradient.
    cache : ndarray
        The input ``x`` of :func:`relu_forward`.

    Returns
    -------
    dx : ndarray, same shape and dtype as x

    Notes
    -----
    ReLU is not differentiable at 0. This layer uses the subgradient 0 there:
    ``dx = dout`` where ``x > 0`` and ``dx = 0`` where ``x <= 0`` (the
    convention of the course and of PyTorch). Numerical gradient checks are
    only meaningful for inputs away from 0; see :mod:`cs231n_cnn.gradient_check`.
    """
    x = cache
    check_array(x, "x (cache)", layer="relu_backward")
    check_array(dout, "dout", layer="relu_backward", shape=x.shape)
    check_same_dtype("relu_backward", x=x, dout=dout)
    dx = None
    ### BEGIN SOLUTION
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


# The in-place pair below is not student work: ConvNet uses it where it owns
# the arrays (tests/unit/test_fused.py checks it against the pair above).

def relu_forward_inplace(x):
    """ReLU that overwrites its input: ``x[:] = max(0, x)``; no new array.

    Parameters
    ----------
    x : ndarray, any shape
        Overwritten. Only for arrays nothing else needs any more, such as a
        conv or batch norm output inside a network's forward pass.

    Returns
    -------
    out : ndarray
        ``x`` itself, now rectified.
    cache : ndarray
        ``out`` too: ``out > 0`` exactly where ``x > 0`` was, so
        :func:`relu_backward` and :func:`relu_backward_inplace` accept it.
    """
    check_array(x, "x", layer="relu_forward_inplace")
    np.maximum(x, 0, out=x)
    return x, x


def relu_backward_inplace(dout, cache):
    """ReLU backward that overwrites ``dout`` with ``dx`` (0 where the input was <= 0).

    Parameters
    ----------
    dout : ndarray, same shape as the cache
        Overwritten; only for an upstream gradient nothing else reads.
    cache : ndarray
        From :func:`relu_forward` or :func:`relu_forward_inplace`.

    Returns
    -------
    dx : ndarray
        ``dout`` itself.
    """
    check_array(dout, "dout", layer="relu_backward_inplace", shape=cache.shape)
    check_same_dtype("relu_backward_inplace", x=cache, dout=dout)
    return np.multiply(dout, cache > 0, out=dout)
