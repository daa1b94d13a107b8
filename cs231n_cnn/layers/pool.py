"""Pooling layers: max (naive and fast), average and L2, forward and backward.

Every function takes NCHW input ``x`` of shape (N, C, H, W) and
``pool_param = {'pool_height': PH, 'pool_width': PW, 'stride': S}``. There is
no padding, so the output has shape (N, C, H_out, W_out) with::

    H_out = (H - PH)/S + 1        W_out = (W - PW)/S + 1

Both must be integers (:func:`cs231n_cnn.shapes.pool_output_shape` raises a
``ValueError`` showing the formula with the numbers otherwise).

The window of output pixel ``(i, j)`` is ``x[:, :, i*S:i*S+PH, j*S:j*S+PW]``.
Windows overlap when ``S < PH`` or ``S < PW`` (e.g. AlexNet's 3x3 windows with
stride 2); an input inside several windows then collects gradient from each of
them.

Max-pooling tie rule
--------------------
When several entries of a window share the maximum, the whole upstream
gradient of that window goes to the FIRST of them in row-major order within
the window (the entry ``np.argmax`` picks from the flattened window). The
naive and fast versions follow this rule exactly, so they route every
gradient to the same input element, even on an all-zero input. (Where
windows overlap, an element's contributions are summed in a different order,
so the two ``dx`` can differ by rounding, ~1e-16.)

The fast versions loop over the PH*PW offsets ``(a, b)`` of the window, never
over images or output pixels: for a fixed offset, the entries at that
position of every window form the strided view
``x[:, :, a:a+S*H_out:S, b:b+S*W_out:S]`` of shape (N, C, H_out, W_out).
"""

from __future__ import annotations

import numpy as np

from ..shapes import check_array, pool_output_shape, pool_params, promote_integer_arrays

__all__ = [
    "max_pool_forward_naive",
    "max_pool_backward_naive",
    "max_pool_forward_fast",
    "max_pool_backward_fast",
    "avg_pool_forward",
    "avg_pool_backward",
    "l2_pool_forward",
    "l2_pool_backward",
]


# ----------------------------------------------------------------------------
# validation (kept outside the student-solution markers)
# ----------------------------------------------------------------------------

def _check_forward(x, pool_param, layer: str):
    """Validate ``x`` and ``pool_param``; return ``(PH, PW, S, out_shape)``."""
    check_array(x, "x", 4, layer=layer)
    ph, pw, stride = pool_params(pool_param, layer=layer)
    out_shape = pool_output_shape(x.shape, ph, pw, stride, layer=layer)
    return ph, pw, stride, out_shape


def _check_backward(dout, x, pool_param, layer: str):
    """Validate ``dout`` against the shape the forward pass produced."""
    ph, pw, stride, out_shape = _check_forward(x, pool_param, layer)
    check_array(dout, "dout", 4, layer=layer, shape=out_shape)
    return ph, pw, stride, out_shape


def _offset_view(a, b, stride, H_out, W_out):
    """Index selecting entry ``(a, b)`` of every window: a strided view.

    ``x[_offset_view(a, b, S, H_out, W_out)]`` has shape (N, C, H_out, W_out);
    its element ``[n, c, i, j]`` is ``x[n, c, i*S + a, j*S + b]``.
    """
    return (slice(None), slice(None),
            slice(a, a + stride * H_out, stride),
            slice(b, b + stride * W_out, stride))


# ----------------------------------------------------------------------------
# max pooling, naive
# ----------------------------------------------------------------------------

@promote_integer_arrays
def max_pool_forward_naive(x, pool_param):
    """Max pooling, forward pass, with explicit loops (reference version).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float32 or float64
        Input.
    pool_param : dict
        ``{'pool_height': PH, 'pool_width': PW, 'stride': S}``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out), dtype of ``x``
        ``out[n, c, i, j] = max(x[n, c, i*S:i*S+PH, j*S:j*S+PW])`` with
        ``H_out = (H - PH)/S + 1`` and ``W_out = (W - PW)/S + 1``.
    cache : tuple
        ``(x, out, pool_param)``; the same layout as
        :func:`max_pool_forward_fast`, so either backward accepts it.

    Raises
    ------
    ValueError
        If ``x`` is not a 4-D floating array, ``pool_param`` is malformed, or
        the output size is not an integer.

    Examples
    --------
    >>> x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    >>> out, _ = max_pool_forward_naive(x, {'pool_height': 2, 'pool_width': 2, 'stride': 2})
    >>> out[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    PH, PW, S, out_shape = _check_forward(x, pool_param, "max_pool")
    out = None
    ### BEGIN SOLUTION
    N, C, H_out, W_out = out_shape
    out = np.empty(out_shape, dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * S:i * S + PH, j * S:j * S + PW]
                    out[n, c, i, j] = np.max(window)
    ### END SOLUTION
    cache = (x, out, pool_param)
    return out, cache


@promote_integer_arrays
def max_pool_backward_naive(dout, cache):
    """Max pooling, backward pass, with explicit loops (reference version).

    Each output's gradient flows to the input that was the maximum of its
    window; every other input of the window gets nothing from it. With ties,
    the first maximal entry in row-major window order (``np.argmax`` of the
    flattened window) gets the whole gradient.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, out, pool_param)`` from :func:`max_pool_forward_naive` or
        :func:`max_pool_forward_fast`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), dtype of ``x``
        Gradient with respect to ``x``; where windows overlap, an input that
        is the maximum of several windows receives the sum of their gradients.
    """
    x, _, pool_param = cache
    PH, PW, S, out_shape = _check_backward(dout, x, pool_param, "max_pool")
    dx = None
    ### BEGIN SOLUTION
    N, C, H_out, W_out = out_shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * S:i * S + PH, j * S:j * S + PW]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * S + a, j * S + b] += dout[n, c, i, j]
    ### END SOLUTION
    return dx


# ----------------------------------------------------------------------------
# max pooling, fast
# ----------------------------------------------------------------------------

@promote_integer_arrays
def max_pool_forward_fast(x, pool_param):
    """Max pooling, forward pass, vectorized for any window size and stride.

    Same parameters, result and cache as :func:`max_pool_forward_naive`.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float32 or float64
    pool_param : dict
        ``{'pool_height': PH, 'pool_width': PW, 'stride': S}``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out), dtype of ``x``
    cache : tuple
        ``(x, out, pool_param)``.

    Notes
    -----
    The maximum is taken elementwise over the PH*PW strided views
    ``x[:, :, a:a+S*H_out:S, b:b+S*W_out:S]`` (one per window offset), so the
    cost is PH*PW - 1 elementwise maxima of output-sized arrays and the only
    allocation is ``out``. This handles overlapping (``S < PH``), gapped (``S > PH``)
    and non-square windows alike. (Reshaping to (N, C, H_out, S, W_out, S)
    and reducing over two axes, the usual trick for tiling windows, measured
    about 20x slower than this for 2x2 windows with stride 2.)

    Inputs are assumed finite: a NaN propagates to ``out``, but its gradient
    is then not routed as the naive version would route it.
    """
    PH, PW, S, out_shape = _check_forward(x, pool_param, "max_pool")
    out = None
    ### BEGIN SOLUTION
    _, _, H_out, W_out = out_shape
    views = [x[_offset_view(a, b, S, H_out, W_out)] for a in range(PH) for b in range(PW)]
    # A new array (never a view of x), so the in-place maxima below leave x alone.
    out = np.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy()
    for view in views[2:]:
        np.maximum(out, view, out=out)
    ### END SOLUTION
    cache = (x, out, pool_param)
    return out, cache


@promote_integer_arrays
def max_pool_backward_fast(dout, cache):
    """Max pooling, backward pass, vectorized; same result as the naive version.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, out, pool_param)`` from :func:`max_pool_forward_fast` or
        :func:`max_pool_forward_naive`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), dtype of ``x``
        Each window's gradient goes to exactly one input: the first entry in
        row-major window order that equals the window's maximum (the one
        ``np.argmax`` over the flattened window picks). Overlapping windows
        accumulate.

    Notes
    -----
    The window offsets are visited in row-major order, carrying a boolean
    mask ``pending`` (shape (N, C, H_out, W_out)) of windows whose maximum
    has not been found yet. At offset ``(a, b)`` the windows that route their
    gradient there are those still pending whose entry equals the maximum;
    they are then cleared from ``pending``, which is what makes the first
    maximal entry win a tie. Windows still pending at the last offset must
    have their maximum there, so that offset needs no comparison. Like the
    forward pass this is a few passes per offset over output-sized arrays.
    It finds the maxima by comparing ``x`` with the cached ``out``, so
    neither may be modified between forward and backward.
    """
    x, out, pool_param = cache
    PH, PW, S, out_shape = _check_backward(dout, x, pool_param, "max_pool")
    dx = None
    ### BEGIN SOLUTION
    _, _, H_out, W_out = out_shape
    overlap = S < PH or S < PW
    tiles = PH == S and PW == S
    # When windows tile x exactly, every input is written exactly once below,
    # so dx needs no zero fill; otherwise uncovered inputs must read 0.
    dx = np.empty_like(x) if tiles else np.zeros_like(x)
    hit = np.empty(out_shape, dtype=bool)
    pending = None  # before the first offset every window is pending
    routed = np.empty(out_shape, dtype=x.dtype) if overlap else None
    offsets = [(a, b) for a in range(PH) for b in range(PW)]
    for k, (a, b) in enumerate(offsets):
        view = _offset_view(a, b, S, H_out, W_out)
        if k == len(offsets) - 1:
            # Every window's maximum is at one of its offsets, so the windows
            # still pending have it at this last one: no comparison needed.
            hit = pending if pending is not None else np.ones(out_shape, dtype=bool)
        elif pending is None:
            np.equal(x[view], out, out=hit)
            pending = ~hit
        else:
            np.equal(x[view], out, out=hit)
            np.logical_and(hit, pending, out=hit)
            np.logical_xor(pending, hit, out=pending)  # hit is a subset of pending
        if overlap:
            np.multiply(dout, hit, out=routed, casting="same_kind")
            dx[view] += routed
        else:
            # Disjoint windows: each view of dx is written only once.
            np.multiply(dout, hit, out=dx[view], casting="same_kind")
    ### END SOLUTION
    return dx


# ----------------------------------------------------------------------------
# average pooling
# ----------------------------------------------------------------------------

@promote_integer_arrays
def avg_pool_forward(x, pool_param):
    """Average pooling, forward pass (vectorized).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float32 or float64
    pool_param : dict
        ``{'pool_height': PH, 'pool_width': PW, 'stride': S}``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out), dtype of ``x``
        ``out[n, c, i, j] = mean(x[n, c, i*S:i*S+PH, j*S:j*S+PW])``.
    cache : tuple
        ``(x, pool_param)``.
    """
    PH, PW, S, out_shape = _check_forward(x, pool_param, "avg_pool")
    out = None
    ### BEGIN SOLUTION
    _, _, H_out, W_out = out_shape
    out = np.array(x[_offset_view(0, 0, S, H_out, W_out)], copy=True)
    for a in range(PH):
        for b in range(PW):
            if a or b:
                out += x[_offset_view(a, b, S, H_out, W_out)]
    out /= PH * PW  # a Python int keeps float32 as float32
    ### END SOLUTION
    cache = (x, pool_param)
    return out, cache


@promote_integer_arrays
def avg_pool_backward(dout, cache):
    """Average pooling, backward pass (vectorized).

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, pool_param)`` from :func:`avg_pool_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), dtype of ``x``
        Every input of a window receives ``dout / (PH*PW)`` from it; inputs
        in several overlapping windows receive the sum, inputs in no window
        (when ``S`` exceeds the window) receive 0.
    """
    x, pool_param = cache
    PH, PW, S, out_shape = _check_backward(dout, x, pool_param, "avg_pool")
    dx = None
    ### BEGIN SOLUTION
    _, _, H_out, W_out = out_shape
    share = (dout / (PH * PW)).astype(x.dtype, copy=False)
    if S < PH or S < PW:
        dx = np.zeros_like(x)
        for a in range(PH):
            for b in range(PW):
                dx[_offset_view(a, b, S, H_out, W_out)] += share
    else:
        # Disjoint windows: plain assignment, and no zero fill if they tile x.
        dx = np.empty_like(x) if PH == PW == S else np.zeros_like(x)
        for a in range(PH):
            for b in range(PW):
                dx[_offset_view(a, b, S, H_out, W_out)] = share
    ### END SOLUTION
    return dx


# ----------------------------------------------------------------------------
# L2 pooling
# ----------------------------------------------------------------------------

@promote_integer_arrays
def l2_pool_forward(x, pool_param):
    """L2 pooling, forward pass: the Euclidean norm of each window (vectorized).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float32 or float64
    pool_param : dict
        ``{'pool_height': PH, 'pool_width': PW, 'stride': S}``.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out), dtype of ``x``
        ``out[n, c, i, j] = sqrt(sum(x[n, c, i*S:i*S+PH, j*S:j*S+PW] ** 2))``.
    cache : tuple
        ``(x, out, pool_param)``.

    Notes
    -----
    The squares are summed without rescaling, so (as with ``np.sqrt(np.sum(
    x**2))``) entries beyond about 1e19 overflow in float32.
    """
    PH, PW, S, out_shape = _check_forward(x, pool_param, "l2_pool")
    out = None
    ### BEGIN SOLUTION
    _, _, H_out, W_out = out_shape
    out = np.square(x[_offset_view(0, 0, S, H_out, W_out)])
    if PH * PW > 1:
        sq = np.empty_like(out)
        for a in range(PH):
            for b in range(PW):
                if a or b:
                    np.square(x[_offset_view(a, b, S, H_out, W_out)], out=sq)
                    out += sq
    np.sqrt(out, out=out)
    ### END SOLUTION
    cache = (x, out, pool_param)
    return out, cache


@promote_integer_arrays
def l2_pool_backward(dout, cache):
    """L2 pooling, backward pass (vectorized).

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Upstream gradient.
    cache : tuple
        ``(x, out, pool_param)`` from :func:`l2_pool_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), dtype of ``x``
        Each input of a window receives ``dout * x / out`` from it (the
        derivative of ``sqrt(sum x**2)`` is ``x / sqrt(sum x**2)``);
        overlapping windows accumulate.

    Notes
    -----
    The norm is not differentiable where ``out == 0`` (an all-zero window,
    or one whose squares underflow to 0). There the window contributes a
    gradient of exactly 0 to its inputs, a valid subgradient, and no
    division by zero is performed, so there is no NaN and no warning.
    """
    x, out, pool_param = cache
    PH, PW, S, out_shape = _check_backward(dout, x, pool_param, "l2_pool")
    dx = None
    ### BEGIN SOLUTION
    _, _, H_out, W_out = out_shape
    # dout / out per window, 0 where out == 0 (the divide is skipped there).
    scale = np.zeros(out_shape, dtype=x.dtype)
    np.divide(dout, out, out=scale, where=out != 0, casting="same_kind")
    overlap = S < PH or S < PW
    dx = np.empty_like(x) if PH == PW == S else np.zeros_like(x)
    for a in range(PH):
        for b in range(PW):
            view = _offset_view(a, b, S, H_out, W_out)
            if overlap:
                dx[view] += x[view] * scale
            else:
                np.multiply(x[view], scale, out=dx[view])
    ### END SOLUTION
    return dx
