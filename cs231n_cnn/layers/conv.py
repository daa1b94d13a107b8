"""The convolutional layer: a loop version that reads like the notes, and a fast one.

Both compute, for every image n, filter f and output position (y, x)::

    out[n, f, y, x] = sum(xpad[n, :, y*S : y*S + HH, x*S : x*S + WW] * w[f]) + b[f]

which is the course notes' ``V[x, y, d] = np.sum(X[...] * W_d) + b_d`` with
NCHW axes. Output size: ``H_out = (H - HH + 2P)/S + 1`` and
``W_out = (W - WW + 2P)/S + 1``, validated by :mod:`cs231n_cnn.shapes`.

Input checks
------------
Shapes, dtypes, stride, pad and the output-size formula are checked on every
call (cheap). The fast forward also rejects NaN/inf in ``x`` and ``w``: one
reduction over each, small next to the matrix multiply, and it stops a
diverging training run at the first layer that sees the bad values rather
than many layers later. Naive and backward passes do not scan for NaN/inf.
"""

from __future__ import annotations

import numpy as np

from .. import workspace
from ..im2col import col2im, im2col
from ..shapes import check_array, check_conv_inputs, check_finite, check_same_dtype

__all__ = [
    "conv_forward_naive",
    "conv_backward_naive",
    "conv_forward_fast",
    "conv_backward_fast",
]


def conv_forward_naive(x, w, b, conv_param):
    """Convolution forward pass, with explicit loops over output positions.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input volumes.
    w : ndarray, shape (F, C, HH, WW)
        Filters.
    b : ndarray, shape (F,)
        Biases.
    conv_param : dict
        ``{'stride': S, 'pad': P}``: zeros are added P pixels on each side of H and W.

    Returns
    -------
    out : ndarray, shape (N, F, H_out, W_out)
        ``H_out = (H - HH + 2P)/S + 1``, ``W_out = (W - WW + 2P)/S + 1``.
    cache : tuple
        ``(x, w, b, conv_param)``.

    Raises
    ------
    ValueError
        If shapes disagree or the output size is not an integer.
    """
    stride, pad, (N, F, H_out, W_out) = check_conv_inputs(x, w, b, conv_param, layer="conv_forward_naive")
    out = None
    ### BEGIN SOLUTION
    HH, WW = w.shape[2], w.shape[3]
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    window = xpad[n, :, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW]
                    out[n, f, y, x_] = np.sum(window * w[f]) + b[f]
    ### END SOLUTION
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """Convolution backward pass, with explicit loops over output positions.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, w, b, conv_param)`` from :func:`conv_forward_naive`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
    """
    x, w, b, conv_param = cache
    stride, pad, out_shape = check_conv_inputs(x, w, b, conv_param, layer="conv_backward_naive")
    check_array(dout, "dout", 4, layer="conv_backward_naive", shape=out_shape)
    dx = dw = db = None
    ### BEGIN SOLUTION
    N, F, H_out, W_out = out_shape
    HH, WW = w.shape[2], w.shape[3]
    H, W = x.shape[2], x.shape[3]
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dxpad = np.zeros_like(xpad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for y in range(H_out):
                for x_ in range(W_out):
                    rows = slice(y * stride, y * stride + HH)
                    cols = slice(x_ * stride, x_ * stride + WW)
                    # out[n,f,y,x] = sum(window * w[f]) + b[f], so each output
                    # sends dout back to the window through w[f] and to w[f] through the window.
                    dw[f] += dout[n, f, y, x_] * xpad[n, :, rows, cols]
                    dxpad[n, :, rows, cols] += dout[n, f, y, x_] * w[f]
    dx = dxpad[:, :, pad:pad + H, pad:pad + W]
    ### END SOLUTION
    return dx, dw, db


def conv_forward_fast(x, w, b, conv_param):
    """Convolution forward pass as one matrix multiply on im2col columns.

    Same parameters, result and errors as :func:`conv_forward_naive`; also
    raises ``ValueError`` if ``x`` or ``w`` contains NaN or inf.

    Returns
    -------
    out : ndarray, shape (N, F, H_out, W_out), dtype of x
    cache : tuple
        ``(x, w, b, conv_param, cols)`` where ``cols`` is ``im2col(x)`` of
        shape (C*HH*WW, N*H_out*W_out), kept for the backward pass.
    """
    stride, pad, (N, F, H_out, W_out) = check_conv_inputs(x, w, b, conv_param, layer="conv_forward_fast")
    check_finite(x, "x", layer="conv_forward_fast")
    check_finite(w, "w", layer="conv_forward_fast")
    out = cols = None
    ### BEGIN SOLUTION
    HH, WW = w.shape[2], w.shape[3]
    cols = im2col(x, HH, WW, stride, pad)                  # (C*HH*WW, N*H_out*W_out)
    out_rows = np.matmul(w.reshape(F, -1), cols,           # (F, N*H_out*W_out)
                         out=workspace.empty((F, cols.shape[1]), x.dtype))
    out_rows += b[:, None]
    # Columns are ordered (n, y, x): regroup to NCHW.
    out = out_rows.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
    out = np.ascontiguousarray(out)
    ### END SOLUTION
    cache = (x, w, b, conv_param, cols)
    return out, cache


def conv_backward_fast(dout, cache, compute_dx=True):
    """Convolution backward pass on the im2col columns.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H_out, W_out)
    cache : tuple
        From :func:`conv_forward_fast`.
    compute_dx : bool, default True
        False skips ``dx`` (returned as None): a network's first layer needs
        no gradient for its input images, and ``dx`` costs a matrix multiply
        and a col2im, about a third of the backward pass.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), or None if not ``compute_dx``
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
        All in the dtype of x.
    """
    x, w, b, conv_param, cols = cache
    stride, pad, out_shape = check_conv_inputs(x, w, b, conv_param, layer="conv_backward_fast")
    check_array(dout, "dout", 4, layer="conv_backward_fast", shape=out_shape)
    check_same_dtype("conv_backward_fast", x=x, dout=dout)
    dx = dw = db = None
    ### BEGIN SOLUTION
    F, _, HH, WW = w.shape
    db = dout.sum(axis=(0, 2, 3))
    # (F, N*H_out*W_out), columns ordered (n, y, x) like cols
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    # dw = dout_rows @ cols.T, computed as (cols @ dout_rows.T).T: the same
    # product, but OpenBLAS's multi-threaded sgemm is up to 20x slower on the
    # first form for these skinny shapes (measured: benchmarks/suite.py).
    dw = (cols @ dout_rows.T).T.reshape(w.shape)
    if compute_dx:
        dcols = np.matmul(w.reshape(F, -1).T, dout_rows,   # (C*HH*WW, N*H_out*W_out)
                          out=workspace.empty(cols.shape, x.dtype))
        dx = col2im(dcols, x.shape, HH, WW, stride, pad)
    ### END SOLUTION
    return dx, dw, db
