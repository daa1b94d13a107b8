"""The classic pure-NumPy im2col: fancy indexing forward, ``np.add.at`` backward.

This is the approach most teaching code uses when no compiled extension is
available: precompute index arrays (k, i, j) for every (row, column) of the
columns matrix, gather with fancy indexing, and scatter-add the column
gradients back with ``np.add.at``. It is the baseline the benchmark compares
our im2col layers with; it is not used by the library.
"""

from __future__ import annotations

import numpy as np


def _indices(x_shape, HH, WW, stride, pad):
    N, C, H, W = x_shape
    H_out = (H + 2 * pad - HH) // stride + 1
    W_out = (W + 2 * pad - WW) // stride + 1
    i0 = np.tile(np.repeat(np.arange(HH), WW), C)              # (C*HH*WW,) row offset in the window
    i1 = stride * np.repeat(np.arange(H_out), W_out)           # (H_out*W_out,) window's top row
    j0 = np.tile(np.arange(WW), HH * C)                        # (C*HH*WW,) column offset in the window
    j1 = stride * np.tile(np.arange(W_out), H_out)             # (H_out*W_out,) window's left column
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)                  # (C*HH*WW, H_out*W_out)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)                  # (C*HH*WW, H_out*W_out)
    k = np.repeat(np.arange(C), HH * WW).reshape(-1, 1)        # (C*HH*WW, 1) channel
    return k, i, j, H_out, W_out


def im2col_indices(x, HH, WW, stride, pad):
    """x (N, C, H, W) -> cols (C*HH*WW, H_out*W_out*N), columns ordered (position, image)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k, i, j, _, _ = _indices(x.shape, HH, WW, stride, pad)
    cols = xp[:, k, i, j]                                      # (N, C*HH*WW, H_out*W_out)
    return cols.transpose(1, 2, 0).reshape(HH * WW * x.shape[1], -1)


def col2im_indices(cols, x_shape, HH, WW, stride, pad):
    N, C, H, W = x_shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    k, i, j, _, _ = _indices(x_shape, HH, WW, stride, pad)
    cols_r = cols.reshape(C * HH * WW, -1, N).transpose(2, 0, 1)
    np.add.at(xp, (slice(None), k, i, j), cols_r)
    return xp[:, :, pad:pad + H, pad:pad + W] if pad else xp


def conv_forward(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = (H + 2 * pad - HH) // stride + 1
    W_out = (W + 2 * pad - WW) // stride + 1
    cols = im2col_indices(x, HH, WW, stride, pad)
    out = w.reshape(F, -1) @ cols + b.reshape(-1, 1)
    out = out.reshape(F, H_out, W_out, N).transpose(3, 0, 1, 2)
    return out, (x, w, b, conv_param, cols)


def conv_backward(dout, cache):
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, _, HH, WW = w.shape
    db = dout.sum(axis=(0, 2, 3))
    dout_r = dout.transpose(1, 2, 3, 0).reshape(F, -1)
    dw = (dout_r @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ dout_r
    dx = col2im_indices(dcols, x.shape, HH, WW, stride, pad)
    return dx, dw, db
