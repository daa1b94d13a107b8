"""im2col and col2im: convolution as one matrix multiplication.

A convolution takes the dot product of every filter with every receptive
field. ``im2col`` stretches each receptive field of the (zero-padded) input
into a column, so that all those dot products become a single matrix
product::

    out_rows = w.reshape(F, C*HH*WW) @ im2col(x, HH, WW, S, P)   # (F, N*H_out*W_out)

Column layout
-------------
``cols`` has shape ``(C*HH*WW, N*H_out*W_out)``.

* Row ``r`` is the index ``(c, i, j)`` of an element inside a receptive field
  (channel, row offset, column offset), ordered C-style: ``r = (c*HH + i)*WW + j``.
  This is exactly the flattening of a filter ``w[f]`` by ``w.reshape(F, -1)``.
* Column ``k`` is the receptive field of output position ``(n, y, x)``,
  ordered C-style: ``k = (n*H_out + y)*W_out + x``.

Worked example: one image, one channel, a 3x3 input, a 2x2 window, stride 1,
no padding::

    x = [[0, 1, 2],        cols = [[0, 1, 3, 4],     <- (c=0, i=0, j=0)
         [3, 4, 5],                [1, 2, 4, 5],     <- (c=0, i=0, j=1)
         [6, 7, 8]]                [3, 4, 6, 7],     <- (c=0, i=1, j=0)
                                   [4, 5, 7, 8]]     <- (c=0, i=1, j=1)
                                    ^  ^  ^  ^
                      output (y,x) = (0,0) (0,1) (1,0) (1,1)

How it is computed
------------------
Row ``(c, i, j)`` of the columns holds, for every output position, the input
element at offset ``(i, j)`` of its window: that is the strided slice
``xpad[:, c, i : i + S*H_out : S, j : j + S*W_out : S]``. So ``im2col`` is a
loop over the HH*WW kernel offsets, each copying one strided slice for all
images and channels at once (no loop over images or output pixels).

``col2im`` is the adjoint (transpose) of ``im2col``: it adds every column
entry back to the input position it was copied from. Where windows overlap
(stride < filter size) an input element appears in several columns and its
entries are summed, which is exactly what the backward pass of a
convolution needs. It is the same loop over kernel offsets, with ``+=`` on
strided slices instead of copies; within one offset the strided slice
addresses distinct elements, so no ``np.add.at`` is needed.

Memory: the columns hold ``C*HH*WW * N*H_out*W_out`` numbers, which can be
far larger than the input (each input element is copied once per window that
contains it). See the im2col section that later versions of the course notes
add, on AlexNet's first layer: 227x227x3 input, 11x11 filters at stride 4 give
a 363 x 3025 matrix per image.
"""

from __future__ import annotations

import numpy as np

from . import workspace
from .shapes import check_array, output_size

__all__ = ["im2col", "col2im", "im2col_shape"]


def im2col_shape(x_shape, HH: int, WW: int, stride: int, pad: int) -> tuple[int, int]:
    """Shape ``(C*HH*WW, N*H_out*W_out)`` of the columns of an input of shape (N, C, H, W)."""
    N, C, H, W = x_shape
    H_out = output_size(H, HH, stride, pad, axis="height", layer="im2col")
    W_out = output_size(W, WW, stride, pad, axis="width", layer="im2col")
    return C * HH * WW, N * H_out * W_out


def _pad(x: np.ndarray, pad: int) -> np.ndarray:
    if pad == 0:
        return x
    N, C, H, W = x.shape
    # Not pooled: the padded copy is needed only while im2col runs, and a
    # pooled buffer would stay allocated for the rest of the pass.
    xp = np.empty((N, C, H + 2 * pad, W + 2 * pad), x.dtype)
    # Zero only the border: the interior is overwritten right away.
    xp[:, :, :pad] = 0
    xp[:, :, pad + H:] = 0
    xp[:, :, pad:pad + H, :pad] = 0
    xp[:, :, pad:pad + H, pad + W:] = 0
    xp[:, :, pad:pad + H, pad:pad + W] = x
    return xp


def im2col(x: np.ndarray, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
    """Stretch every receptive field of ``x`` into a column.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input volume (float32 or float64).
    HH, WW : int
        Filter height and width.
    stride, pad : int
        Stride S and zero-padding P (on each side).

    Returns
    -------
    cols : ndarray, shape (C*HH*WW, N*H_out*W_out), dtype of x
        Row ``(c*HH + i)*WW + j``, column ``(n*H_out + y)*W_out + x`` holds
        ``xpad[n, c, y*S + i, x*S + j]``; see the module docstring.
        ``H_out = (H - HH + 2P)/S + 1`` and likewise for W_out.
    """
    check_array(x, "x", 4, layer="im2col")
    K, L = im2col_shape(x.shape, HH, WW, stride, pad)
    N, C, H, W = x.shape
    H_out = (H + 2 * pad - HH) // stride + 1
    W_out = (W + 2 * pad - WW) // stride + 1
    cols = None
    ### BEGIN SOLUTION
    xp = _pad(x, pad)
    # cols6[c, i, j, n, y, x] = xp[n, c, y*S + i, x*S + j]; a view of the result.
    # A pooled buffer: reused across calls once no cache refers to it (see workspace.py).
    cols = workspace.empty((C, HH, WW, N, H_out, W_out), x.dtype)
    # (C, N, H_out, W_out) view of xp in the order cols6 wants it
    xp_cn = xp.transpose(1, 0, 2, 3)
    for i in range(HH):
        i_end = i + stride * H_out
        for j in range(WW):
            j_end = j + stride * W_out
            cols[:, i, j] = xp_cn[:, :, i:i_end:stride, j:j_end:stride]
    cols = cols.reshape(K, L)
    ### END SOLUTION
    return cols


def col2im(cols: np.ndarray, x_shape, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
    """Adjoint of :func:`im2col`: sum column entries back into an input volume.

    Parameters
    ----------
    cols : ndarray, shape (C*HH*WW, N*H_out*W_out)
        Columns in the layout produced by :func:`im2col`.
    x_shape : tuple (N, C, H, W)
        Shape of the (unpadded) input the columns came from.
    HH, WW, stride, pad : int
        As for :func:`im2col`.

    Returns
    -------
    x : ndarray, shape (N, C, H, W), dtype of cols
        ``x[n, c, h, w]`` is the sum of every column entry that :func:`im2col`
        copied from ``xpad[n, c, h + P, w + P]``; entries that fell in the
        zero padding are dropped. For any x and c of matching shapes,
        ``<im2col(x), c> == <x, col2im(c)>``.
    """
    check_array(cols, "cols", 2, layer="col2im")
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"col2im: x_shape must be (N, C, H, W), got {x_shape}")
    K, L = im2col_shape(x_shape, HH, WW, stride, pad)
    if cols.shape != (K, L):
        raise ValueError(
            f"col2im: cols must have shape (C*HH*WW, N*H_out*W_out) = ({K}, {L}) "
            f"for x_shape {x_shape}, HH={HH}, WW={WW}, S={stride}, P={pad}; got {cols.shape}"
        )
    N, C, H, W = x_shape
    H_out = (H + 2 * pad - HH) // stride + 1
    W_out = (W + 2 * pad - WW) // stride + 1
    x = None
    ### BEGIN SOLUTION
    cols6 = cols.reshape(C, HH, WW, N, H_out, W_out)
    xp = workspace.zeros((N, C, H + 2 * pad, W + 2 * pad), cols.dtype)
    xp_cn = xp.transpose(1, 0, 2, 3)  # a view: writing into it writes xp
    for i in range(HH):
        i_end = i + stride * H_out
        for j in range(WW):
            j_end = j + stride * W_out
            # Within one offset (i, j) the strided slice touches distinct
            # elements, so plain += is safe; overlaps come from different offsets.
            xp_cn[:, :, i:i_end:stride, j:j_end:stride] += cols6[:, i, j]
    x = xp[:, :, pad:pad + H, pad:pad + W] if pad else xp
    ### END SOLUTION
    return x
