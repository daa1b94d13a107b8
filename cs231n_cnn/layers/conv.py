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
from ..shapes import check_array, check_conv_inputs, check_finite, check_same_dtype, output_size, promote_integer_arrays

__all__ = [
    "conv_forward_naive",
    "conv_backward_naive",
    "conv_forward_fast",
    "conv_backward_fast",
]

# Below this size of the columns matrix the fast layers do not split the batch
# into blocks (scratch memory is small and each extra block costs a few
# microseconds per kernel offset in col2im).
SMALL_COLS_BYTES = 1 << 20


def _image_blocks(N: int, K: int, F: int, cols_bytes: int) -> list[tuple[int, int]]:
    """Split images 0..N-1 into consecutive ``(start, stop)`` blocks.

    A block of n images needs scratch matrices of (K + F) rows and n*H_out*W_out
    columns (its rows of dcols and of dout/out); blocks are sized so that this
    is at most half of ``cols`` (K rows, N*H_out*W_out columns), which keeps a
    forward+backward within twice the columns matrix. Blocks are as equal as
    possible and as few as that allows: col2im's cost grows with their number.
    """
    if cols_bytes <= SMALL_COLS_BYTES:
        return [(0, N)]
    per_block = max(1, (N * K) // (2 * (K + F)))
    count = -(-N // per_block)
    edges = [round(i * N / count) for i in range(count + 1)]
    return list(zip(edges[:-1], edges[1:]))


def _dx_as_convolution(x_shape, w_shape, stride: int, pad: int) -> bool:
    """Whether conv_backward_fast computes dx as a convolution of dout (see its Notes)."""
    _, C, H, W = x_shape
    F, _, HH, WW = w_shape
    if stride != 1 or HH != WW or pad > HH - 1:
        return False
    H_out = output_size(H, HH, stride, pad, axis="height", layer="conv_backward_fast")
    W_out = output_size(W, WW, stride, pad, axis="width", layer="conv_backward_fast")
    return F * H * W <= C * H_out * W_out  # its columns are no larger than cols


@promote_integer_arrays
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


@promote_integer_arrays
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


@promote_integer_arrays
def conv_forward_fast(x, w, b, conv_param):
    """Convolution forward pass as a matrix multiply on im2col columns.

    Same parameters, result and errors as :func:`conv_forward_naive`; also
    raises ``ValueError`` if ``x`` or ``w`` contains NaN or inf.

    Returns
    -------
    out : ndarray, shape (N, F, H_out, W_out), dtype of x
    cache : tuple
        ``(x, w, b, conv_param, cols)`` where ``cols`` is ``im2col(x)`` of
        shape (C*HH*WW, N*H_out*W_out), kept for the backward pass.

    Notes
    -----
    Mathematically this is ``w.reshape(F, -1) @ cols``, regrouped from
    (F, N, H_out, W_out) to NCHW. The product is computed for a block of
    N/8 images at a time and each block is regrouped while it is still in
    cache, so the only scratch memory besides ``cols`` is an eighth of
    ``out`` (what bounds a test-mode pass of a network: see
    tests/unit/test_inference_memory.py).
    """
    stride, pad, (N, F, H_out, W_out) = check_conv_inputs(x, w, b, conv_param, layer="conv_forward_fast")
    check_finite(x, "x", layer="conv_forward_fast")
    check_finite(w, "w", layer="conv_forward_fast")
    out = cols = None
    ### BEGIN SOLUTION
    HH, WW = w.shape[2], w.shape[3]
    P = H_out * W_out
    cols = im2col(x, HH, WW, stride, pad)                  # (C*HH*WW, N*P), columns ordered (n, y, x)
    K = cols.shape[0]
    w_rows = w.reshape(F, K)
    out = np.empty((N, F, H_out, W_out), x.dtype)
    out3 = out.reshape(N, F, P)
    # A block of images at a time: their product lands in a small scratch
    # matrix and is regrouped to NCHW while still in cache. An eighth of the
    # batch per block keeps the scratch at 1/8 of out and each product large
    # enough for BLAS (one product per image measured up to 25% slower).
    block = max(1, N // 8)
    rows_buf = workspace.empty((F * min(block, N) * P,), x.dtype)
    for n0 in range(0, N, block):
        n1 = min(N, n0 + block)
        rows = rows_buf[:F * (n1 - n0) * P].reshape(F, (n1 - n0) * P)
        np.matmul(w_rows, cols[:, n0 * P:n1 * P], out=rows)
        rows += b[:, None]
        out3[n0:n1] = rows.reshape(F, n1 - n0, P).transpose(1, 0, 2)   # regroup to (n, F, P)
    ### END SOLUTION
    cache = (x, w, b, conv_param, cols)
    return out, cache


@promote_integer_arrays
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

    Notes
    -----
    With ``dout_rows`` = dout regrouped to (F, N*H_out*W_out)::

        dw    = dout_rows @ cols.T                   # (F, C*HH*WW)
        dcols = w.reshape(F, -1).T @ dout_rows       # (C*HH*WW, N*H_out*W_out)
        dx    = col2im(dcols)

    Like the forward pass this runs on blocks of images: a block's columns
    are a contiguous range of ``cols``'s columns, so ``dw`` is a sum over
    blocks and ``dx`` of a block is col2im of that block's ``dcols``. Scratch
    memory is one block instead of a second columns-sized matrix.

    For stride 1 (square filters, P <= HH - 1), ``dx`` is computed as the
    convolution it equals, "transposed convolution"::

        dx = conv(dout, w flipped in both spatial axes with F and C swapped, pad HH - 1 - P)

    whenever those columns are no larger than ``cols`` (F*H*W <= C*H_out*W_out,
    e.g. VGG's layers with F = C); same result, faster (benchmarks/suite.py).
    """
    x, w, b, conv_param, cols = cache
    stride, pad, out_shape = check_conv_inputs(x, w, b, conv_param, layer="conv_backward_fast")
    check_array(dout, "dout", 4, layer="conv_backward_fast", shape=out_shape)
    check_same_dtype("conv_backward_fast", x=x, dout=dout)
    dx = dw = db = None
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    K = C * HH * WW
    P = out_shape[2] * out_shape[3]
    w_rows = w.reshape(F, K)
    dout3 = dout.reshape(N, F, P)
    db = np.zeros(F, x.dtype)                              # summed over blocks, like dw
    dw_t = np.zeros((K, F), x.dtype)                       # dw transposed, summed over blocks
    blocks = _image_blocks(N, K, F, cols.nbytes)
    # For stride 1, dx is itself a convolution: of dout zero-padded by HH-1-P,
    # with the filters flipped and their F and C axes swapped. Where its columns
    # are no larger than cols, that is faster than dcols + col2im: the product's
    # inner dimension is F*HH*WW instead of F (BLAS runs it much closer to peak),
    # and im2col's plain copies replace col2im's read-add-write passes.
    dx_as_conv = compute_dx and _dx_as_convolution(x.shape, w.shape, stride, pad)
    dx = np.empty(x.shape, x.dtype) if compute_dx and (len(blocks) > 1 or dx_as_conv) else None
    most = max(n1 - n0 for n0, n1 in blocks)
    # Flat scratch buffers for the largest block; each block uses a prefix.
    dout_buf = workspace.empty((F * most * P,), x.dtype)
    if dx_as_conv:
        w_flip = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(C, F * HH * WW)
        dx_buf = workspace.empty((C * most * H * W,), x.dtype)
    elif compute_dx:
        dcols_buf = workspace.empty((K * most * P,), x.dtype)
    for n0, n1 in blocks:
        n = n1 - n0
        dout_rows = dout_buf[:F * n * P].reshape(F, n * P)  # columns ordered (n, y, x) like cols
        dout_rows.reshape(F, n, P)[...] = dout3[n0:n1].transpose(1, 0, 2)
        db += dout_rows.sum(axis=1)                         # contiguous rows, still in cache
        # dw.T += cols_block @ dout_rows.T: the same product as dout_rows @ cols.T,
        # but OpenBLAS's multi-threaded sgemm is up to 20x slower on that form
        # for these skinny shapes (measured: benchmarks/suite.py).
        dw_t += cols[:, n0 * P:n1 * P] @ dout_rows.T
        if dx_as_conv:
            dout_cols = im2col(dout[n0:n1], HH, WW, 1, HH - 1 - pad)   # (F*HH*WW, n*H*W)
            dx_rows = np.matmul(w_flip, dout_cols, out=dx_buf[:C * n * H * W].reshape(C, n * H * W))
            dx[n0:n1] = dx_rows.reshape(C, n, H, W).transpose(1, 0, 2, 3)
        elif compute_dx:
            dcols = np.matmul(w_rows.T, dout_rows, out=dcols_buf[:K * n * P].reshape(K, n * P))
            dx_block = col2im(dcols, (n, C, H, W), HH, WW, stride, pad)
            if len(blocks) == 1:
                dx = dx_block
            else:
                dx[n0:n1] = dx_block
    dw = np.ascontiguousarray(dw_t.T).reshape(w.shape)
    ### END SOLUTION
    return dx, dw, db
