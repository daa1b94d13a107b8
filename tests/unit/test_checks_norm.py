"""checks/norm.py (LRN, batch, layer and group norm, dropout): its checks fail on plausible wrong code, planted bugs, unwritten functions.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

import numpy as np
from check_cases import REAL, check_tests, planted

import cs231n_cnn.layers as L
import cs231n_cnn.layers.dropout as dropout
import cs231n_cnn.layers.norm as norm

# ------------------------------------------------------------------ wrong implementations

def lrn_forward_alexnet_alpha(x, lrn_param):
    """The AlexNet paper's alpha (not divided by size) under PyTorch's definition."""
    p = dict(lrn_param)
    p["alpha"] = p["alpha"] * p["size"]
    return REAL["lrn_forward"](x, p)


def batchnorm_forward_unbiased(x, gamma, beta, bn_param):
    """Train mode uses the unbiased variance (ddof=1)."""
    if bn_param["mode"] != "train":
        return REAL["batchnorm_forward"](x, gamma, beta, bn_param)
    std = np.sqrt(x.var(axis=0, ddof=1) + bn_param.get("eps", 1e-5))
    x_hat = (x - x.mean(axis=0)) / std
    return gamma * x_hat + beta, ("train", x_hat, gamma, std)


def batchnorm_backward_var_constant(dout, cache):
    """Train mode forgets the path through the variance."""
    mode, x_hat, gamma, std = cache
    g = dout * gamma
    dx = (g - g.mean(axis=0)) / std if mode == "train" else g / std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def batchnorm_forward_swapped_momentum(x, gamma, beta, bn_param):
    """running = (1 - momentum) * running + momentum * batch statistic."""
    if bn_param["mode"] != "train":
        return REAL["batchnorm_forward"](x, gamma, beta, bn_param)
    m, zeros = bn_param.get("momentum", 0.9), np.zeros(x.shape[1])
    rm, rv = bn_param.get("running_mean", zeros), bn_param.get("running_var", zeros)
    out, cache = REAL["batchnorm_forward"](x, gamma, beta, dict(bn_param))
    bn_param["running_mean"] = (1 - m) * rm + m * x.mean(axis=0)
    bn_param["running_var"] = (1 - m) * rv + m * x.var(axis=0)
    return out, cache


def spatial_batchnorm_forward_no_transpose(x, gamma, beta, bn_param):
    """Reshapes NCHW straight to (N*H*W, C) without moving C last."""
    N, C, H, W = x.shape
    out, bn_cache = REAL["batchnorm_forward"](x.reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(x.shape), (x.shape, bn_cache)


def batchnorm_backward_alt_no_1_over_n(dout, cache):
    """The simplified dx without its factor 1/N."""
    dx, dgamma, dbeta = REAL["batchnorm_backward_alt"](dout, cache)
    return (dx * len(dout) if cache[0] == "train" else dx), dgamma, dbeta


def layernorm_forward_unbiased(x, gamma, beta, ln_param):
    """Each example's variance with ddof=1."""
    std = np.sqrt(x.var(axis=1, ddof=1, keepdims=True) + ln_param.get("eps", 1e-5))
    x_hat = (x - x.mean(axis=1, keepdims=True)) / std
    return gamma * x_hat + beta, (x_hat, gamma, std)


def layernorm_backward_statistics_constant(dout, cache):
    """dx forgets the paths through the example's mean and variance."""
    x_hat, gamma, std = cache
    return dout * gamma / std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def spatial_groupnorm_forward_strided_groups(x, gamma, beta, G, gn_param):
    """Group g holds channels g, g + G, g + 2G, ... (reshape to (N, C/G, G, ...)) instead of a consecutive block."""
    N, C, H, W = x.shape
    strided = x.reshape(N, C // G, G, H, W).transpose(0, 2, 1, 3, 4)
    out, _ = REAL["spatial_groupnorm_forward"](np.ascontiguousarray(strided).reshape(N, C, H, W),
                                               np.ones_like(gamma), np.zeros_like(beta), G, gn_param)
    out = out.reshape(N, G, C // G, H, W).transpose(0, 2, 1, 3, 4).reshape(N, C, H, W)
    return gamma * out + beta, None


def spatial_groupnorm_backward_flat_dgamma(dout, cache):
    """dgamma and dbeta of shape (C,) instead of gamma's (1, C, 1, 1)."""
    dx, dgamma, dbeta = REAL["spatial_groupnorm_backward"](dout, cache)
    return dx, dgamma.ravel(), dbeta.ravel()


def dropout_forward_drop_probability(x, dropout_param):
    """p read as the probability of DROPPING a unit (PyTorch's meaning)."""
    p = dropout_param["p"]
    if dropout_param["mode"] != "train":
        return x.copy(), (dropout_param, None)
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = (rng.random(x.shape) >= p) / (1 - p)
    return x * mask, (dropout_param, mask)


# ------------------------------------------------------------------ planted bugs

def dropout_backward_redraws_the_mask(dout, cache):
    """Draws the mask again from dropout_param instead of using the cached one."""
    dropout_param, mask = cache
    if mask is None:
        return dout.copy()
    p = dropout_param["p"]
    redrawn = (np.random.default_rng(dropout_param.get("seed")).random(dout.shape) < p) / p
    return dout * redrawn


WRONG = [
    ("lrn", [(L, "lrn_forward", lrn_forward_alexnet_alpha)], "alpha not divided by size"),
    ("batchnorm_forward", [(L, "batchnorm_forward", batchnorm_forward_unbiased)], "unbiased variance"),
    ("batchnorm_backward", [(L, "batchnorm_backward", batchnorm_backward_var_constant)], "variance path missing"),
    # The check's net normalizes its (N, 6, 1, 1) input with spatial batch norm, which calls
    # batchnorm_forward through its own module.
    ("batchnorm_running_stats", [(L, "batchnorm_forward", batchnorm_forward_swapped_momentum),
                                 (norm, "batchnorm_forward", batchnorm_forward_swapped_momentum)],
     "momentum swapped"),
    ("spatial_batchnorm", [(L, "spatial_batchnorm_forward", spatial_batchnorm_forward_no_transpose)],
     "reshape without transpose"),
    ("batchnorm_backward_alt", [(L, "batchnorm_backward_alt", batchnorm_backward_alt_no_1_over_n)], "no 1/N"),
    ("layernorm_forward", [(L, "layernorm_forward", layernorm_forward_unbiased)], "unbiased variance"),
    ("layernorm_backward", [(L, "layernorm_backward", layernorm_backward_statistics_constant)],
     "statistics treated as constants"),
    ("spatial_groupnorm_forward", [(L, "spatial_groupnorm_forward", spatial_groupnorm_forward_strided_groups)],
     "strided groups"),
    ("spatial_groupnorm_backward", [(L, "spatial_groupnorm_backward", spatial_groupnorm_backward_flat_dgamma)],
     "dgamma of shape (C,)"),
    ("dropout", [(L, "dropout_forward", dropout_forward_drop_probability)], "p as drop probability"),
]

PLANTED = [
    ("dropout-constant-seed", "dropout", "train: another seed, or no seed, gives another mask",
     [(L, "dropout_forward", planted(dropout, "dropout_forward", "np.random.default_rng(seed)",
                                     "np.random.default_rng(0)"))],
     "the mask must come from np.random.default_rng(dropout_param['seed'])"),
    ("dropout-backward-redraws", "dropout",
     "backward uses the forward mask: dx = dout * mask (no seed, so a redrawn mask differs)",
     [(L, "dropout_backward", dropout_backward_redraws_the_mask)],
     "must use the mask saved in the cache, not draw a new one"),
    ("batchnorm-running-in-place", "batchnorm_forward",
     "train: the caller's running_mean and running_var arrays are not changed in place",
     [(L, "batchnorm_forward", planted(norm, "batchnorm_forward",
                                       "running_mean = momentum * running_mean + (1 - momentum) * mean",
                                       "running_mean *= momentum; running_mean += (1 - momentum) * mean"))],
     "changed its argument bn_param['running_mean'] in place"),
    # Both statistics over the batch axis, as in batch norm: a batch of one then outputs beta.
    ("layernorm-over-the-batch", "layernorm_forward",
     "an example's output does not depend on its batch-mates (alone = inside its batch)",
     [(L, "layernorm_forward", planted(norm, "layernorm_forward", "axis=1", "axis=0", count=2))],
     "not each feature over the batch (axis 0)"),
    # batchnorm_backward copied without changing its axes: dx averages over the batch.
    ("layernorm-backward-batch-axis", "layernorm_backward", "N=4 examples of D=5 features: dx",
     [(L, "layernorm_backward", planted(norm, "layernorm_backward", "mean(axis=1, keepdims=True)",
                                        "mean(axis=0, keepdims=True)", count=2))], "dx"),
    # C/G groups of G channels instead of G groups of C/G channels.
    ("groupnorm-wrong-reshape", "spatial_groupnorm_forward",
     "G=2 groups of C=6 channels: each example's group has mean 0 and std 1 (gamma=1, beta=0)",
     [(L, "spatial_groupnorm_forward", planted(norm, "spatial_groupnorm_forward", "x.reshape(N, G, C // G * H * W)",
                                               "x.reshape(N, C // G, G * H * W)"))],
     "a group is C/G = 3 consecutive channels of one example"),
]

STUBS = [
    ("batchnorm_forward", (L, "batchnorm_forward")),
]


globals().update(check_tests("norm", wrong=WRONG, planted=PLANTED, stubs=STUBS))
