"""Local response normalization (AlexNet's LRN) across channels.

* :func:`lrn_forward` / :func:`lrn_backward`: each activation divided by a
  power of the sum of squares over a window of neighbouring channels, with
  exactly the definition of ``torch.nn.functional.local_response_norm``
  (alpha divided by the window size).

The batch, layer and group normalization family is in :mod:`.norm`.
"""

from __future__ import annotations

import numpy as np

from ..shapes import (
    check_array,
    check_int,
    check_param_dict,
    check_real,
    check_same_dtype,
    promote_integer_arrays,
)

__all__ = ["lrn_forward", "lrn_backward"]

#: Defaults for the optional ``lrn_param`` entries: those of PyTorch.
LRN_DEFAULTS = {"alpha": 1e-4, "beta": 0.75, "k": 1.0}


def _lrn_params(lrn_param, *, layer: str) -> tuple[int, float, float, float]:
    """Return ``(size, alpha, beta, k)`` from ``lrn_param``, validated."""
    check_param_dict(lrn_param, "lrn_param", ("size",), layer=layer)
    size = check_int(lrn_param["size"], "lrn_param['size']", minimum=1, layer=layer)
    alpha = check_real(lrn_param.get("alpha", LRN_DEFAULTS["alpha"]), "lrn_param['alpha']", low=0, layer=layer)
    beta = check_real(lrn_param.get("beta", LRN_DEFAULTS["beta"]), "lrn_param['beta']", layer=layer)
    # k > 0 and alpha >= 0 keep the base of the power positive, so scale**(-beta) is finite.
    k = check_real(lrn_param.get("k", LRN_DEFAULTS["k"]), "lrn_param['k']", low=0, low_open=True, layer=layer)
    return size, alpha, beta, k


def _channel_window_sum(a, before: int, after: int):
    """``s[:, c] = sum(a[:, c - before : c + after + 1])`` over channels, zero padded.

    One shifted add per window offset: ``before + after + 1`` vectorized passes
    over ``a`` (N, C, H, W), summed in the same order as a loop would.
    """
    C = a.shape[1]
    padded = np.pad(a, ((0, 0), (before, after), (0, 0), (0, 0)))   # (N, C + before + after, H, W)
    total = padded[:, 0:C].copy()
    for d in range(1, before + after + 1):
        total += padded[:, d:d + C]
    return total


@promote_integer_arrays
def lrn_forward(x, lrn_param):
    """Local response normalization across channels, forward pass.

    For each image, position and channel c::

        out[:, c] = x[:, c] / (k + alpha/size * sum_{c' in window(c)} x[:, c']**2) ** beta

    where ``window(c)`` is the ``size`` channels ``c - size//2, ...,
    c + (size-1)//2``, with zeros for channels outside ``0..C-1``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    lrn_param : dict
        ``'size'`` (int >= 1): number of channels in the window;
        ``'alpha'`` (>= 0, default 1e-4), ``'beta'`` (default 0.75),
        ``'k'`` (> 0, default 1.0). The defaults are PyTorch's.

    Returns
    -------
    out : ndarray, shape (N, C, H, W), dtype of x
    cache : tuple
        ``(x, scale, lrn_param)`` where ``scale`` (N, C, H, W) is the
        denominator's base ``k + alpha/size * window sum``.

    Raises
    ------
    ValueError
        If x is not a 4-D floating array or a hyperparameter is out of range.

    Notes
    -----
    This is exactly ``torch.nn.functional.local_response_norm(x, size, alpha,
    beta, k)``: PyTorch averages the squares over the zero-padded window
    (hence ``alpha/size``) and pads ``size//2`` channels before and
    ``(size-1)//2`` after, so an even ``size`` reaches one channel further
    back than forward. The AlexNet paper (Krizhevsky et al., 2012, section
    3.3) writes the same formula with ``alpha`` not divided by ``size``; its
    ``alpha = 1e-4`` corresponds to ``alpha = 5e-4`` here for ``size = 5``.
    """
    layer = "lrn_forward"
    check_array(x, "x", 4, layer=layer)
    size, alpha, beta, k = _lrn_params(lrn_param, layer=layer)
    out = scale = None
    ### BEGIN SOLUTION
    window_sq = _channel_window_sum(x * x, size // 2, (size - 1) // 2)   # (N, C, H, W)
    scale = k + (alpha / size) * window_sq
    out = x * scale ** (-beta)
    ### END SOLUTION
    cache = (x, scale, lrn_param)
    return out, cache


@promote_integer_arrays
def lrn_backward(dout, cache):
    """Local response normalization, backward pass.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H, W)
        Upstream gradient.
    cache : tuple
        ``(x, scale, lrn_param)`` from :func:`lrn_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W), dtype of x

    Notes
    -----
    With ``s_c = scale[:, c]`` and ``out_c = x_c * s_c**(-beta)``, channel j
    enters its own output directly and every ``s_c`` whose window holds j::

        dx_j = dout_j * s_j**(-beta)
               - (2*alpha*beta/size) * x_j * sum_{c : j in window(c)} dout_c * x_c * s_c**(-beta-1)

    ``j in window(c)`` means ``c - size//2 <= j <= c + (size-1)//2``, i.e.
    ``j - (size-1)//2 <= c <= j + size//2``: the same sliding sum with the
    padding mirrored, which matters for even ``size``.
    """
    layer = "lrn_backward"
    x, scale, lrn_param = cache
    check_array(x, "x (cache)", 4, layer=layer)
    size, alpha, beta, k = _lrn_params(lrn_param, layer=layer)
    check_array(dout, "dout", 4, layer=layer, shape=x.shape)
    check_same_dtype(layer, x=x, dout=dout)
    dx = None
    ### BEGIN SOLUTION
    scale_pow = scale ** (-beta)                              # s**(-beta)
    through_scale = dout * x * scale_pow / scale              # dout_c * x_c * s_c**(-beta-1)
    window = _channel_window_sum(through_scale, (size - 1) // 2, size // 2)
    dx = dout * scale_pow - (2 * alpha * beta / size) * x * window
    ### END SOLUTION
    return dx
