"""Normalization layers: batch, layer and group normalization (local response normalization is in :mod:`.lrn`).

* :func:`batchnorm_forward` / :func:`batchnorm_backward`: batch normalization
  of (N, D) activations, with the course's ``bn_param`` API.
* :func:`batchnorm_backward_alt`: the same gradients as
  :func:`batchnorm_backward` from the same cache, in the course's simplified
  closed form.
* :func:`spatial_batchnorm_forward` / :func:`spatial_batchnorm_backward`:
  batch normalization of NCHW feature maps, one mean and variance per channel.
* :func:`layernorm_forward` / :func:`layernorm_backward`: layer
  normalization of (N, D) activations, each example over its own D features.
* :func:`spatial_groupnorm_forward` / :func:`spatial_groupnorm_backward`:
  group normalization of NCHW feature maps, each example over each group of
  C/G channels and all H*W positions.

Batch norm's statistics depend on the batch (in train mode); layer and group
norm use one example at a time, so they behave the same in training and at
test time and keep no running statistics.

State
-----
Layers here are pure functions except for one documented exception required
by the course API: in train mode :func:`batchnorm_forward` (and so
:func:`spatial_batchnorm_forward`) stores updated running statistics in the
``bn_param`` dict it is given. It rebinds ``bn_param['running_mean']`` and
``bn_param['running_var']`` to new arrays; the old arrays are never modified.
"""

from __future__ import annotations

import numpy as np

from ..shapes import (
    check_array,
    check_choice,
    check_int,
    check_param_dict,
    check_real,
    check_same_dtype,
    promote_integer_arrays,
)

__all__ = [
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "layernorm_forward",
    "layernorm_backward",
    "spatial_groupnorm_forward",
    "spatial_groupnorm_backward",
]

# ---------------------------------------------------------------------------
# Batch normalization
# ---------------------------------------------------------------------------


def batchnorm_settings(bn_param, D: int, dtype, *, layer: str):
    """Return ``(mode, eps, momentum, running_mean, running_var)``, validated.

    Running statistics absent from ``bn_param`` are returned as ``None``.
    """
    check_param_dict(bn_param, "bn_param", ("mode",), layer=layer)
    mode = check_choice(bn_param["mode"], "bn_param['mode']", ("train", "test"), layer=layer)
    eps = check_real(bn_param.get("eps", 1e-5), "bn_param['eps']", low=0, low_open=True, layer=layer)
    momentum = check_real(bn_param.get("momentum", 0.9), "bn_param['momentum']", low=0, high=1, layer=layer)
    running = []
    for key in ("running_mean", "running_var"):
        value = bn_param.get(key)
        if value is not None:
            check_array(value, f"bn_param['{key}']", 1, layer=layer, shape=(D,))
            if value.dtype != dtype:
                raise ValueError(
                    f"{layer}: bn_param['{key}'] has dtype {value.dtype} but x has dtype {dtype}; "
                    f"running statistics must match the activations (convert them with .astype)"
                )
        elif mode == "test":
            raise ValueError(
                f"{layer}: test mode needs bn_param['{key}'], which is missing; run the layer in "
                f"train mode first (it stores the running statistics in bn_param)"
            )
        running.append(value)
    return mode, eps, momentum, running[0], running[1]


def check_bn_inputs(x, gamma, beta, *, ndim: int, layer: str) -> int:
    """Validate x and per-feature gamma, beta; return the number of features D (or C)."""
    check_array(x, "x", ndim, layer=layer)
    D = x.shape[1]
    check_array(gamma, "gamma", 1, layer=layer, shape=(D,))
    check_array(beta, "beta", 1, layer=layer, shape=(D,))
    check_same_dtype(layer, x=x, gamma=gamma, beta=beta)
    return D


@promote_integer_arrays
def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization forward pass for (N, D) activations.

    In train mode each feature is normalized with the mean and (biased)
    variance of the minibatch; in test mode with the running averages::

        x_hat = (x - mean) / sqrt(var + eps)
        out   = gamma * x_hat + beta

    Parameters
    ----------
    x : ndarray, shape (N, D)
    gamma : ndarray, shape (D,)
        Scale.
    beta : ndarray, shape (D,)
        Shift.
    bn_param : dict
        ``'mode'``: ``'train'`` or ``'test'`` (required);
        ``'eps'`` (> 0, default 1e-5); ``'momentum'`` (in [0, 1], default 0.9);
        ``'running_mean'``, ``'running_var'``: arrays of shape (D,) in the
        dtype of x. Zeros are used in train mode when absent; test mode
        requires them.

    Returns
    -------
    out : ndarray, shape (N, D), dtype of x
    cache : tuple
        ``(mode, x_hat, gamma, std)`` with ``x_hat`` (N, D) and
        ``std = sqrt(var + eps)`` (D,).

    Raises
    ------
    ValueError
        For bad shapes, dtypes or hyperparameters, an empty train batch, or
        test mode without running statistics.

    Notes
    -----
    **This function mutates** ``bn_param``, as the course API requires: in
    train mode it sets ::

        bn_param['running_mean'] = momentum * running_mean + (1 - momentum) * mean
        bn_param['running_var']  = momentum * running_var  + (1 - momentum) * var

    as *new* arrays (arrays previously stored there are left unchanged).
    Test mode leaves the running statistics as they are.

    References
    ----------
    Ioffe and Szegedy, "Batch Normalization: Accelerating Deep Network
    Training by Reducing Internal Covariate Shift", ICML 2015.
    """
    layer = "batchnorm_forward"
    D = check_bn_inputs(x, gamma, beta, ndim=2, layer=layer)
    mode, eps, momentum, running_mean, running_var = batchnorm_settings(bn_param, D, x.dtype, layer=layer)
    if mode == "train" and x.shape[0] == 0:
        raise ValueError(f"{layer}: train mode needs at least one example to compute batch statistics, "
                         f"got shape {x.shape}")
    if running_mean is None:
        running_mean = np.zeros(D, dtype=x.dtype)
    if running_var is None:
        running_var = np.zeros(D, dtype=x.dtype)
    out = cache = None
    ### BEGIN SOLUTION
    if mode == "train":
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    out = gamma * x_hat + beta
    cache = (mode, x_hat, gamma, std)
    ### END SOLUTION
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


@promote_integer_arrays
def batchnorm_backward(dout, cache):
    """Batch normalization backward pass, in closed form.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
        Upstream gradient.
    cache : tuple
        ``(mode, x_hat, gamma, std)`` from :func:`batchnorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma : ndarray, shape (D,)
    dbeta : ndarray, shape (D,)

    Notes
    -----
    In train mode the mean and variance depend on every example, and the
    chain rule through them collapses to (with ``g = dout * gamma``)::

        dx = (g - mean(g, axis=0) - x_hat * mean(g * x_hat, axis=0)) / std

    In test mode mean and variance are constants, so ``dx = dout * gamma / std``.
    In both modes ``dgamma = sum(dout * x_hat, axis=0)`` and
    ``dbeta = sum(dout, axis=0)``.
    """
    layer = "batchnorm_backward"
    mode, x_hat, gamma, std = cache
    check_array(x_hat, "x_hat (cache)", 2, layer=layer)
    check_array(dout, "dout", 2, layer=layer, shape=x_hat.shape)
    check_same_dtype(layer, x_hat=x_hat, dout=dout)
    dx = dgamma = dbeta = None
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma                                          # gradient w.r.t. x_hat
    if mode == "train":
        dx = (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std
    else:
        dx = g / std
    ### END SOLUTION
    return dx, dgamma, dbeta


@promote_integer_arrays
def batchnorm_backward_alt(dout, cache):
    """Batch normalization backward pass, in the course's simplified closed form.

    Gives the same ``(dx, dgamma, dbeta)`` as :func:`batchnorm_backward`
    from the same cache; only the way ``dx`` is written differs.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
        Upstream gradient.
    cache : tuple
        ``(mode, x_hat, gamma, std)`` from :func:`batchnorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma : ndarray, shape (D,)
    dbeta : ndarray, shape (D,)

    Notes
    -----
    In train mode ``x_hat = (x - mean) / std`` with the batch mean and
    ``std = sqrt(var + eps)``. Differentiating through both, with
    ``d mean / d x_i = 1/N`` and ``d var / d x_i = 2 (x_i - mean) / N``,
    every term of ``dL/dx_i`` has the common factor ``gamma / (N std)``::

        dx = (1/N) * gamma / std * (N*dout - sum(dout, axis=0) - x_hat * sum(dout * x_hat, axis=0))

    the expression the course derives on paper. Since ``gamma`` is constant
    along the batch axis this equals :func:`batchnorm_backward`'s
    ``(g - mean(g) - x_hat * mean(g * x_hat)) / std`` with ``g = dout * gamma``.
    In test mode ``dx = dout * gamma / std``. In both modes
    ``dgamma = sum(dout * x_hat, axis=0)`` and ``dbeta = sum(dout, axis=0)``.
    """
    layer = "batchnorm_backward_alt"
    mode, x_hat, gamma, std = cache
    check_array(x_hat, "x_hat (cache)", 2, layer=layer)
    check_array(dout, "dout", 2, layer=layer, shape=x_hat.shape)
    check_same_dtype(layer, x_hat=x_hat, dout=dout)
    dx = dgamma = dbeta = None
    ### BEGIN SOLUTION
    N = x_hat.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if mode == "train":
        dx = (1 / N) * gamma / std * (N * dout - dbeta - x_hat * dgamma)
    else:
        dx = dout * gamma / std
    ### END SOLUTION
    return dx, dgamma, dbeta


@promote_integer_arrays
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Spatial batch normalization forward pass for NCHW feature maps.

    Each channel is normalized with one mean and variance taken over the N
    images and all H*W positions, by treating every pixel as an example of
    :func:`batchnorm_forward` with D = C features.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    gamma : ndarray, shape (C,)
    beta : ndarray, shape (C,)
    bn_param : dict
        As for :func:`batchnorm_forward`, with running statistics of shape
        (C,). **Mutated in train mode**, like there.

    Returns
    -------
    out : ndarray, shape (N, C, H, W), dtype of x
    cache : tuple
        ``(x_shape, bn_cache)`` where ``bn_cache`` comes from the (N*H*W, C)
        call of :func:`batchnorm_forward`.
    """
    layer = "spatial_batchnorm_forward"
    C = check_bn_inputs(x, gamma, beta, ndim=4, layer=layer)
    batchnorm_settings(bn_param, C, x.dtype, layer=layer)
    out = bn_cache = None
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)           # (N*H*W, C): one row per pixel
    out_rows, bn_cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = np.ascontiguousarray(out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2))
    ### END SOLUTION
    cache = (x.shape, bn_cache)
    return out, cache


@promote_integer_arrays
def spatial_batchnorm_backward(dout, cache):
    """Spatial batch normalization backward pass.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H, W)
    cache : tuple
        ``(x_shape, bn_cache)`` from :func:`spatial_batchnorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dgamma : ndarray, shape (C,)
    dbeta : ndarray, shape (C,)
    """
    layer = "spatial_batchnorm_backward"
    x_shape, bn_cache = cache
    check_array(dout, "dout", 4, layer=layer, shape=tuple(x_shape))
    dx = dgamma = dbeta = None
    ### BEGIN SOLUTION
    N, C, H, W = x_shape
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)     # (N*H*W, C), rows ordered like x_rows
    dx_rows, dgamma, dbeta = batchnorm_backward(dout_rows, bn_cache)
    dx = np.ascontiguousarray(dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2))
    ### END SOLUTION
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------------
# Layer normalization
# ---------------------------------------------------------------------------


def _eps(param, name: str, *, layer: str) -> float:
    """``param['eps']`` (> 0, default 1e-5) from an ``ln_param`` / ``gn_param`` dict, validated."""
    check_param_dict(param, name, layer=layer)
    return check_real(param.get("eps", 1e-5), f"{name}['eps']", low=0, low_open=True, layer=layer)


@promote_integer_arrays
def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization forward pass for (N, D) activations.

    Each example is normalized with the mean and (biased) variance of its
    own D features, then scaled and shifted per feature::

        x_hat[n] = (x[n] - mean(x[n])) / sqrt(var(x[n]) + eps)
        out[n]   = gamma * x_hat[n] + beta

    Parameters
    ----------
    x : ndarray, shape (N, D)
    gamma : ndarray, shape (D,)
        Scale, one per feature.
    beta : ndarray, shape (D,)
        Shift, one per feature.
    ln_param : dict
        ``'eps'`` (> 0, default 1e-5). Other keys are ignored (the course's
        models store ``'mode'`` there; layer norm is the same in both modes).

    Returns
    -------
    out : ndarray, shape (N, D), dtype of x
    cache : tuple
        ``(x_hat, gamma, std)`` with ``x_hat`` (N, D) and the per-example
        ``std = sqrt(var + eps)`` of shape (N, 1).

    Raises
    ------
    ValueError
        For bad shapes or dtypes, no features (D = 0), or a bad ``eps``.

    Notes
    -----
    Layer norm is batch norm with the roles of the axes exchanged: the
    statistics are taken over axis 1 (the features of one example) instead
    of axis 0 (one feature across the batch), so an example's output does
    not depend on the rest of its batch. There are no running statistics,
    and train and test time compute the same thing. ``gamma`` and ``beta``
    stay per feature, as in batch norm.

    References
    ----------
    Ba, Kiros and Hinton, "Layer Normalization", arXiv:1607.06450, 2016.
    """
    layer = "layernorm_forward"
    D = check_bn_inputs(x, gamma, beta, ndim=2, layer=layer)
    if D == 0:
        raise ValueError(f"{layer}: layer norm needs at least one feature per example, got x of shape {x.shape}")
    eps = _eps(ln_param, "ln_param", layer=layer)
    out = cache = None
    ### BEGIN SOLUTION
    mean = x.mean(axis=1, keepdims=True)                      # (N, 1): one mean per example
    var = x.var(axis=1, keepdims=True)                        # (N, 1), biased
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    out = gamma * x_hat + beta
    cache = (x_hat, gamma, std)
    ### END SOLUTION
    return out, cache


@promote_integer_arrays
def layernorm_backward(dout, cache):
    """Layer normalization backward pass, in closed form.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
        Upstream gradient.
    cache : tuple
        ``(x_hat, gamma, std)`` from :func:`layernorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma : ndarray, shape (D,)
    dbeta : ndarray, shape (D,)

    Notes
    -----
    The derivation of :func:`batchnorm_backward` holds with the axes
    exchanged. With ``g = dout * gamma`` (the gradient with respect to
    ``x_hat``) and means over the D features of each example::

        dx = (g - mean(g, axis=1) - x_hat * mean(g * x_hat, axis=1)) / std

    ``gamma`` and ``beta`` are per feature, so their gradients still sum
    over the batch: ``dgamma = sum(dout * x_hat, axis=0)`` and
    ``dbeta = sum(dout, axis=0)``.
    """
    layer = "layernorm_backward"
    x_hat, gamma, std = cache
    check_array(x_hat, "x_hat (cache)", 2, layer=layer)
    check_array(dout, "dout", 2, layer=layer, shape=x_hat.shape)
    check_same_dtype(layer, x_hat=x_hat, dout=dout)
    dx = dgamma = dbeta = None
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = dout * gamma                                          # gradient w.r.t. x_hat, (N, D)
    dx = (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / std
    ### END SOLUTION
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------------
# Group normalization
# ---------------------------------------------------------------------------


def _check_gn_inputs(x, gamma, beta, G, *, layer: str) -> int:
    """Validate group norm's x (N, C, H, W), gamma and beta (1, C, 1, 1) and G; return G as an int."""
    check_array(x, "x", 4, layer=layer)
    _, C, H, W = x.shape
    for name, a in (("gamma", gamma), ("beta", beta)):
        if isinstance(a, np.ndarray) and a.shape == (C,):
            raise ValueError(f"{layer}: {name} must have shape (1, C, 1, 1) = (1, {C}, 1, 1), one value per "
                             f"channel broadcast over N, H and W, got {a.shape}; use {name}.reshape(1, {C}, 1, 1)")
        check_array(a, name, layer=layer, shape=(1, C, 1, 1))
    check_same_dtype(layer, x=x, gamma=gamma, beta=beta)
    G = check_int(G, "the number of groups G", minimum=1, layer=layer)
    if C % G:
        divisors = [d for d in range(1, C + 1) if C % d == 0]
        raise ValueError(f"{layer}: the number of groups G={G} does not divide the number of channels C={C} "
                         f"(C/G = {C / G:.4g}); every group needs the same number of channels, so choose G "
                         f"among the divisors of C: {divisors}")
    if C * H * W == 0:
        raise ValueError(f"{layer}: every group needs at least one value to normalize, got x of shape {x.shape}")
    return G


@promote_integer_arrays
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Spatial group normalization forward pass for NCHW feature maps.

    The C channels are split into G groups of C/G consecutive channels
    (group g holds channels ``g*C/G`` to ``(g+1)*C/G - 1``). Each example's
    group is normalized with the mean and (biased) variance of its C/G * H * W
    values, then every channel is scaled and shifted::

        x_hat[n, group g] = (x[n, group g] - mean) / sqrt(var + eps)
        out = gamma * x_hat + beta

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    gamma : ndarray, shape (1, C, 1, 1)
        Scale, one per channel (the course's shape, which broadcasts over
        N, H, W).
    beta : ndarray, shape (1, C, 1, 1)
        Shift, one per channel.
    G : int
        Number of groups, >= 1 and dividing C. ``G = 1`` is layer norm over
        (C, H, W); ``G = C`` is instance norm (each channel of each image
        on its own).
    gn_param : dict
        ``'eps'`` (> 0, default 1e-5). Other keys are ignored.

    Returns
    -------
    out : ndarray, shape (N, C, H, W), dtype of x
    cache : tuple
        ``(G, x_hat, gamma, std)`` with ``x_hat`` (N, C, H, W) and the
        per-example, per-group ``std = sqrt(var + eps)`` of shape (N, G, 1).

    Raises
    ------
    ValueError
        If G does not divide C (the message lists the divisors of C), for
        bad shapes (gamma or beta not (1, C, 1, 1)) or dtypes, or a bad
        ``eps``.

    Notes
    -----
    In C order the channels of one group are contiguous in memory, so
    ``x.reshape(N, G, C/G * H * W)`` puts each (example, group) on one row;
    normalizing each row over its last axis is layer norm of those rows.
    Like layer norm, group norm never mixes examples: no running
    statistics, and the same computation at train and test time, which is
    why it works with batches too small for batch norm.

    References
    ----------
    Wu and He, "Group Normalization", ECCV 2018.
    """
    layer = "spatial_groupnorm_forward"
    G = _check_gn_inputs(x, gamma, beta, G, layer=layer)
    eps = _eps(gn_param, "gn_param", layer=layer)
    out = cache = None
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    x_groups = x.reshape(N, G, C // G * H * W)                # (N, G, C/G*H*W): one row per example and group
    mean = x_groups.mean(axis=2, keepdims=True)               # (N, G, 1)
    var = x_groups.var(axis=2, keepdims=True)                 # (N, G, 1), biased
    std = np.sqrt(var + eps)
    x_hat = ((x_groups - mean) / std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (G, x_hat, gamma, std)
    ### END SOLUTION
    return out, cache


@promote_integer_arrays
def spatial_groupnorm_backward(dout, cache):
    """Spatial group normalization backward pass.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H, W)
        Upstream gradient.
    cache : tuple
        ``(G, x_hat, gamma, std)`` from :func:`spatial_groupnorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dgamma : ndarray, shape (1, C, 1, 1)
    dbeta : ndarray, shape (1, C, 1, 1)

    Notes
    -----
    Per (example, group) row of ``M = C/G * H * W`` values this is
    :func:`layernorm_backward`'s ``dx``, with ``g = dout * gamma``::

        dx = (g - mean(g, over the row) - x_hat * mean(g * x_hat, over the row)) / std

    ``gamma`` and ``beta`` are per channel, so their gradients sum over
    N, H and W: ``dgamma = sum(dout * x_hat, axis=(0, 2, 3))`` and
    ``dbeta = sum(dout, axis=(0, 2, 3))``, kept as (1, C, 1, 1) like gamma.
    """
    layer = "spatial_groupnorm_backward"
    G, x_hat, gamma, std = cache
    check_array(x_hat, "x_hat (cache)", 4, layer=layer)
    check_array(dout, "dout", 4, layer=layer, shape=x_hat.shape)
    check_same_dtype(layer, x_hat=x_hat, dout=dout)
    dx = dgamma = dbeta = None
    ### BEGIN SOLUTION
    N, C, H, W = x_hat.shape
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)           # (1, C, 1, 1)
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)
    g = (dout * gamma).reshape(N, G, C // G * H * W)          # gradient w.r.t. x_hat, one row per group
    xh = x_hat.reshape(N, G, C // G * H * W)
    dx = (g - g.mean(axis=2, keepdims=True) - xh * (g * xh).mean(axis=2, keepdims=True)) / std
    dx = dx.reshape(N, C, H, W)
    ### END SOLUTION
    return dx, dgamma, dbeta
