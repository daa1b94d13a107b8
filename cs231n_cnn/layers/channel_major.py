"""Fast paths on channel-major volumes, (C, N, H, W), for training whole networks.

Not student work: :class:`~cs231n_cnn.models.ConvNet` uses these with
``fused=True``; tests/unit/test_channel_major.py checks every one against the
plain NCHW layers (and those against direct loops) in float64 to 1e-8.

Why another layout
------------------
A convolution computed through im2col is one matrix product::

    out_rows = w.reshape(F, C*HH*WW) @ cols        # (F, N*H_out*W_out)

Its result is channel-major: row ``f`` holds filter ``f``'s response for every
image and position, that is, an (F, N, H_out, W_out) volume. The NCHW layers
regroup it to (N, F, H_out, W_out) after every forward pass and regroup
``dout`` back to (F, N*H_out*W_out) in every backward pass: two copies of an
output-sized volume per conv layer per step, and one more for ``dx``.
Keeping activations channel-major between layers makes all of them vanish:

* conv: its output *is* the product; its backward reads ``dout`` as the
  (F, N*H_out*W_out) matrix it already is;
* batch norm: each channel is one contiguous row of N*H*W numbers, so its
  per-channel sums are plain row reductions;
* ReLU, dropout's mask and pooling act on each (H, W) plane alone, so the
  NCHW layers run unchanged on a (C, N, H, W) array (they see C as "N").

The network converts once on the way in (the images) and once on the way out
(before the first FC layer, whose weights follow the NCHW flattening), with
:func:`swap_batch_and_channels` both ways.

The columns still come from :func:`~cs231n_cnn.im2col.im2col`. A student
release leaves these layers out with the other solutions (they would give
away conv_backward_fast and the batch norm backward pass); there
``ConvNet(fused=True)`` says so (:func:`fast_paths_present`).
"""

from __future__ import annotations

import numpy as np

from .. import workspace
from ..im2col import col2im, im2col
from ..shapes import check_array, check_conv_inputs, check_finite, check_same_dtype
from .conv import _dx_as_convolution, _image_blocks
from .norm import batchnorm_settings, check_bn_inputs

__all__ = [
    "fast_paths_present",
    "swap_batch_and_channels",
    "conv_forward_cm",
    "conv_backward_cm",
    "spatial_batchnorm_forward_cm",
    "spatial_batchnorm_backward_cm",
]


def fast_paths_present() -> bool:
    """Whether this module's layers are here: a student release stubs them, like every solution.

    Their code is the answer to notebooks 03 and 05 (conv_backward_fast,
    batchnorm_backward_alt) in another layout, so the release removes it.
    """
    try:
        spatial_batchnorm_forward_cm(np.ones((1, 1, 1, 1)), np.ones(1), np.zeros(1), {"mode": "train"})
    except NotImplementedError:
        return False
    return True


def swap_batch_and_channels(x):
    """(N, C, H, W) -> (C, N, H, W) or back: the same operation both ways, as a new contiguous array."""
    check_array(x, "x", 4, layer="swap_batch_and_channels")
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3))


def _nchw(x):
    """The NCHW view of a channel-major volume (no copy): what im2col and the shape checks read."""
    return x.transpose(1, 0, 2, 3)


# ---------------------------------------------------------------------------
# convolution
# ---------------------------------------------------------------------------

def conv_forward_cm(x, w, b, conv_param):
    """Convolution of a channel-major volume; the output is channel-major too.

    Parameters
    ----------
    x : ndarray, shape (C, N, H, W)
        Input volumes, channel-major.
    w : ndarray, shape (F, C, HH, WW)
    b : ndarray, shape (F,)
    conv_param : dict
        ``{'stride': S, 'pad': P}``.

    Returns
    -------
    out : ndarray, shape (F, N, H_out, W_out), dtype of x
        ``out.transpose(1, 0, 2, 3)`` equals :func:`conv_forward_fast`'s output.
    cache : tuple
        ``(x, w, b, conv_param, cols)``, ``cols = im2col`` of x, (C*HH*WW, N*H_out*W_out).

    Raises
    ------
    ValueError
        As :func:`conv_forward_fast` (shapes, output-size formula, NaN/inf).
    """
    layer = "conv_forward_cm"
    x_nchw = _nchw(x) if isinstance(x, np.ndarray) and x.ndim == 4 else x
    stride, pad, (N, F, H_out, W_out) = check_conv_inputs(x_nchw, w, b, conv_param, layer=layer)
    check_finite(x, "x", layer=layer)
    check_finite(w, "w", layer=layer)
    out = cols = None
    ### BEGIN SOLUTION
    HH, WW = w.shape[2], w.shape[3]
    cols = im2col(x_nchw, HH, WW, stride, pad)             # (C*HH*WW, N*H_out*W_out)
    out = np.empty((F, N, H_out, W_out), x.dtype)
    # The product lands in out as it is: no regrouping.
    np.matmul(w.reshape(F, -1), cols, out=out.reshape(F, N * H_out * W_out))
    out += b.reshape(F, 1, 1, 1)
    ### END SOLUTION
    return out, (x, w, b, conv_param, cols)


def conv_backward_cm(dout, cache, compute_dx=True):
    """Backward pass of :func:`conv_forward_cm`.

    Parameters
    ----------
    dout : ndarray, shape (F, N, H_out, W_out)
        Upstream gradient, channel-major.
    cache : tuple
        From :func:`conv_forward_cm`.
    compute_dx : bool, default True
        False skips ``dx`` (a network's first layer).

    Returns
    -------
    dx : ndarray, shape (C, N, H, W), or None if not ``compute_dx``
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)

    Notes
    -----
    The formulas of :func:`conv_backward_fast` with ``dout_rows`` simply
    ``dout.reshape(F, N*H_out*W_out)``::

        dw = dout_rows @ cols.T      db = dout_rows.sum(axis=1)
        dx = col2im(w_rows.T @ dout_rows), or for stride 1 the transposed convolution

    and, like there, blocks of images bound the scratch memory. The
    transposed convolution's product ``w_flipped @ im2col(dout)`` is (C, N*H*W):
    ``dx`` already channel-major.
    """
    layer = "conv_backward_cm"
    x, w, b, conv_param, cols = cache
    x_nchw = _nchw(x)
    stride, pad, (N, F, H_out, W_out) = check_conv_inputs(x_nchw, w, b, conv_param, layer=layer)
    check_array(dout, "dout", 4, layer=layer, shape=(F, N, H_out, W_out))
    check_same_dtype(layer, x=x, dout=dout)
    dx = dw = db = None
    ### BEGIN SOLUTION
    C, _, H, W = x.shape
    _, _, HH, WW = w.shape
    K, P = C * HH * WW, H_out * W_out
    dout_rows = dout.reshape(F, N * P)
    db = dout_rows.sum(axis=1)
    # dw.T = cols @ dout_rows.T: OpenBLAS runs this form far faster than
    # dout_rows @ cols.T for these skinny shapes (see conv_backward_fast).
    dw = np.ascontiguousarray((cols @ dout_rows.T).T).reshape(w.shape)
    blocks = _image_blocks(N, K, F, cols.nbytes)
    if compute_dx and _dx_as_convolution(x_nchw.shape, w.shape, stride, pad):
        # dx = conv(dout, w with F and C swapped and flipped in space, pad HH-1-P)
        w_flip = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(C, F * HH * WW)
        dx = np.empty((C, N, H, W), x.dtype)
        dx_rows = dx.reshape(C, N * H * W)
        for n0, n1 in blocks:
            dout_cols = im2col(_nchw(dout[:, n0:n1]), HH, WW, 1, HH - 1 - pad)   # (F*HH*WW, n*H*W)
            np.matmul(w_flip, dout_cols, out=dx_rows[:, n0 * H * W:n1 * H * W])
            del dout_cols   # back to the pool before the next block asks for its columns
    elif compute_dx:
        dx = np.empty((C, N, H, W), x.dtype)
        w_cols = w.reshape(F, K).T
        for n0, n1 in blocks:
            dcols = w_cols @ dout_rows[:, n0 * P:n1 * P]                   # (K, n*P)
            dx[:, n0:n1] = _nchw(col2im(dcols, (n1 - n0, C, H, W), HH, WW, stride, pad))
            del dcols
    ### END SOLUTION
    return dx, dw, db


# ---------------------------------------------------------------------------
# spatial batch normalization
# ---------------------------------------------------------------------------

def spatial_batchnorm_forward_cm(x, gamma, beta, bn_param):
    """Spatial batch norm of a channel-major volume: each channel is one contiguous row.

    Same ``out`` (channel-major) and ``bn_param`` update as
    :func:`spatial_batchnorm_forward` on ``x.transpose(1, 0, 2, 3)``, to rounding.

    Parameters
    ----------
    x : ndarray, shape (C, N, H, W)
    gamma, beta : ndarray, shape (C,)
    bn_param : dict
        As for :func:`batchnorm_forward`. **Mutated in train mode**, like there.

    Returns
    -------
    out : ndarray, shape (C, N, H, W)
    cache : tuple
        Train mode ``('train', x_hat, gamma, inv_std)``; test mode
        ``('test', x, mean, gamma, inv_std)`` (nothing x-sized kept beyond x).

    Notes
    -----
    With ``x`` viewed as a (C, M) matrix, M = N*H*W, the statistics are row
    means: ``mean = x.mean(axis=1)``, ``var = (xc * xc).mean(axis=1)`` with
    ``xc = x - mean``. ``x_hat = xc * inv_std`` is computed in place of
    ``xc`` and ``out = x_hat * gamma + beta`` in place of a second buffer:
    four passes over x-sized memory, each a NumPy operation on long rows.
    (numexpr was measured for these chains too and lost inside a training
    step: benchmarks/train_nets.py prints both.)
    """
    layer = "spatial_batchnorm_forward_cm"
    check_array(x, "x", 4, layer=layer)
    C = check_bn_inputs(_nchw(x), gamma, beta, ndim=4, layer=layer)
    mode, eps, momentum, running_mean, running_var = batchnorm_settings(bn_param, C, x.dtype, layer=layer)
    M = x.size // C if C else 0
    if mode == "train" and M == 0:
        raise ValueError(f"{layer}: train mode needs at least one example to compute batch statistics, "
                         f"got shape {x.shape}")
    out = cache = None
    ### BEGIN SOLUTION
    x2 = x.reshape(C, M)
    if mode == "train":
        mean = x2.mean(axis=1)
        # Pooled buffers (cs231n_cnn.workspace): fresh 10-MB arrays on every step cost page faults.
        x_hat = np.subtract(x2, mean[:, None], out=workspace.empty((C, M), x.dtype))   # centred; x_hat below
        var = np.einsum("cm,cm->c", x_hat, x_hat) / x.dtype.type(M)
        inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        x_hat *= inv_std[:, None]
        out = np.multiply(x_hat, gamma[:, None], out=workspace.empty((C, M), x.dtype))
        out += beta[:, None]
        zero = np.zeros(C, x.dtype)
        rm = zero if running_mean is None else running_mean
        rv = zero if running_var is None else running_var
        bn_param["running_mean"] = (momentum * rm + (1 - momentum) * mean).astype(x.dtype, copy=False)
        bn_param["running_var"] = (momentum * rv + (1 - momentum) * var).astype(x.dtype, copy=False)
        out, cache = out.reshape(x.shape), ("train", x_hat.reshape(x.shape), gamma, inv_std)
    else:
        inv_std = (1 / np.sqrt(running_var + eps)).astype(x.dtype, copy=False)
        # out = (x - mean) * inv_std * gamma + beta = x * k + (beta - mean * k), k = gamma * inv_std
        k = gamma * inv_std
        out = x2 * k[:, None]
        out += (beta - running_mean * k)[:, None]
        out, cache = out.reshape(x.shape), ("test", x, running_mean, gamma, inv_std)
    ### END SOLUTION
    return out, cache


def spatial_batchnorm_backward_cm(dout, cache):
    """Backward pass of :func:`spatial_batchnorm_forward_cm`.

    Parameters
    ----------
    dout : ndarray, shape (C, N, H, W)
    cache : tuple
        From :func:`spatial_batchnorm_forward_cm`.

    Returns
    -------
    dx : ndarray, shape (C, N, H, W)
    dgamma, dbeta : ndarray, shape (C,)

    Notes
    -----
    :func:`batchnorm_backward`'s closed form with M = N*H*W pixels per
    channel, every coefficient per channel (row)::

        dbeta = dout.sum(1)   dgamma = (dout * x_hat).sum(1)
        dx    = k * dout - (k * dgamma / M) * x_hat - k * dbeta / M,   k = gamma * inv_std
    """
    layer = "spatial_batchnorm_backward_cm"
    mode, x_ref = cache[0], cache[1]
    check_array(dout, "dout", 4, layer=layer, shape=x_ref.shape)
    check_same_dtype(layer, x=x_ref, dout=dout)
    dx = dgamma = dbeta = None
    ### BEGIN SOLUTION
    C = dout.shape[0]
    M = dout.size // C if C else 0
    d2 = dout.reshape(C, M)
    dbeta = d2.sum(axis=1)
    if mode == "train":
        _, x_hat, gamma, inv_std = cache
        xh2 = x_hat.reshape(C, M)
        dgamma = np.einsum("cm,cm->c", d2, xh2)
        k = gamma * inv_std
        dx = np.multiply(d2, k[:, None], out=workspace.empty((C, M), dout.dtype))
        dx -= xh2 * (k * dgamma / M)[:, None]
        dx -= (k * dbeta / M)[:, None]
        dx = dx.reshape(dout.shape)
    else:
        _, x, mean, gamma, inv_std = cache
        dgamma = np.einsum("cm,cm->c", d2, x.reshape(C, M) - mean[:, None]) * inv_std
        dx = (d2 * (gamma * inv_std)[:, None]).reshape(dout.shape)
    ### END SOLUTION
    return dx, dgamma, dbeta
