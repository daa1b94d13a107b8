"""Locally connected layer: a convolution whose filters are not shared.

The course notes (ConvNets, "Parameter Sharing") point out that parameter
sharing is an assumption: when different image positions should learn
different features (e.g. centred faces) one can relax it and give every
output position its own filters, a *locally connected* layer. With NCHW
arrays::

    out[n, f, i, j] = sum(xpad[n, :, i*S : i*S + HH, j*S : j*S + WW] * w[i, j, f]) + b[i, j, f]

so the weights have shape (H_out, W_out, F, C, HH, WW) and the biases
(H_out, W_out, F), with the convolution's output size
``H_out = (H - HH + 2P)/S + 1``, ``W_out = (W - WW + 2P)/S + 1``. If every
``w[i, j]`` equals one filter bank ``w_conv`` (F, C, HH, WW) and every
``b[i, j]`` one bias ``b_conv``, the layer is exactly a convolution.

Memory: the weights are H_out*W_out times larger than a convolution's.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..shapes import check_array, check_same_dtype, conv_params, output_size, promote_integer_arrays

__all__ = [
    "locally_connected_forward",
    "locally_connected_backward",
]


def _check_local_inputs(x, w, b, conv_param, *, layer: str):
    """Validate the layer's inputs; return ``(stride, pad, (N, F, H_out, W_out))``."""
    check_array(x, "x", 4, layer=layer)
    check_array(w, "w", 6, layer=layer)
    check_array(b, "b", 3, layer=layer)
    check_same_dtype(layer, x=x, w=w, b=b)
    stride, pad = conv_params(conv_param, layer=layer)
    N, C, H, W = x.shape
    F, HH, WW = w.shape[2], w.shape[4], w.shape[5]
    H_out = output_size(H, HH, stride, pad, axis="height", layer=layer)
    W_out = output_size(W, WW, stride, pad, axis="width", layer=layer)
    expected = (H_out, W_out, F, C, HH, WW)
    if w.shape != expected:
        raise ValueError(
            f"{layer}: w must have shape (H_out, W_out, F, C, HH, WW) = {expected}, got {w.shape}; "
            f"H_out = (H - HH + 2P)/S + 1 = ({H} - {HH} + 2*{pad})/{stride} + 1 = {H_out}, "
            f"W_out = (W - WW + 2P)/S + 1 = ({W} - {WW} + 2*{pad})/{stride} + 1 = {W_out}, "
            f"C = {C} from x of shape {x.shape}"
        )
    if b.shape != (H_out, W_out, F):
        raise ValueError(f"{layer}: b must have shape (H_out, W_out, F) = {(H_out, W_out, F)}, got {b.shape}")
    return stride, pad, (N, F, H_out, W_out)


@promote_integer_arrays
def locally_connected_forward(x, w, b, conv_param):
    """Locally connected (unshared convolution) forward pass.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input volumes.
    w : ndarray, shape (H_out, W_out, F, C, HH, WW)
        One bank of F filters for each output position (i, j).
    b : ndarray, shape (H_out, W_out, F)
        One bias per output position and filter.
    conv_param : dict
        ``{'stride': S, 'pad': P}``, as for a convolution.

    Returns
    -------
    out : ndarray, shape (N, F, H_out, W_out), dtype of x
        ``H_out = (H - HH + 2P)/S + 1``, ``W_out = (W - WW + 2P)/S + 1``.
    cache : tuple
        ``(x, w, b, conv_param)``.

    Raises
    ------
    ValueError
        If the output-size formula does not give integers, w's leading axes
        are not that (H_out, W_out) or its C differs from x's (the message
        shows the expected and the given shape), or dtypes differ.
    """
    stride, pad, _ = _check_local_inputs(x, w, b, conv_param, layer="locally_connected_forward")
    out = None
    ### BEGIN SOLUTION
    HH, WW = w.shape[4], w.shape[5]
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # windows[n, c, i, j, k, l] = xpad[n, c, i*S + k, j*S + l]: a view, no copy.
    windows = sliding_window_view(xpad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]  # (N, C, H_out, W_out, HH, WW)
    out = np.einsum("ncijkl,ijfckl->nfij", windows, w, optimize=True)
    out += b.transpose(2, 0, 1)                               # (F, H_out, W_out), broadcast over N
    ### END SOLUTION
    cache = (x, w, b, conv_param)
    return out, cache


@promote_integer_arrays
def locally_connected_backward(dout, cache):
    """Locally connected layer, backward pass.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, w, b, conv_param)`` from :func:`locally_connected_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (H_out, W_out, F, C, HH, WW)
    db : ndarray, shape (H_out, W_out, F)
        All in the dtype of x.

    Notes
    -----
    ``dw[i, j]`` and ``dwindows`` are the two contractions of the forward
    ``einsum``. Windows overlap when ``S < HH`` or ``S < WW``, so their
    gradients are added back into the padded input one window offset
    ``(k, l)`` at a time: offset ``(k, l)`` of all windows is the strided
    slice ``xpad[:, :, k : k + S*H_out : S, l : l + S*W_out : S]``, and within
    one offset no two windows touch the same pixel, so ``+=`` on the slice is
    exact (no ``np.add.at`` needed). That is HH*WW vectorized additions.
    """
    layer = "locally_connected_backward"
    x, w, b, conv_param = cache
    stride, pad, out_shape = _check_local_inputs(x, w, b, conv_param, layer=layer)
    check_array(dout, "dout", 4, layer=layer, shape=out_shape)
    check_same_dtype(layer, x=x, dout=dout)
    dx = dw = db = None
    ### BEGIN SOLUTION
    _, _, H_out, W_out = out_shape
    H, W = x.shape[2], x.shape[3]
    HH, WW = w.shape[4], w.shape[5]
    xpad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(xpad, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]  # (N, C, H_out, W_out, HH, WW)
    db = dout.sum(axis=0).transpose(1, 2, 0)                  # (H_out, W_out, F)
    dw = np.einsum("nfij,ncijkl->ijfckl", dout, windows, optimize=True)
    dwindows = np.einsum("nfij,ijfckl->ncijkl", dout, w, optimize=True)  # (N, C, H_out, W_out, HH, WW)
    dxpad = np.zeros_like(xpad)
    for k in range(HH):
        for l in range(WW):
            dxpad[:, :, k:k + stride * H_out:stride, l:l + stride * W_out:stride] += dwindows[:, :, :, :, k, l]
    dx = dxpad[:, :, pad:pad + H, pad:pad + W]
    ### END SOLUTION
    return dx, dw, db
