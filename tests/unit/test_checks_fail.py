"""The graded checks can fail: each one catches a subtly wrong implementation.

The reference solution scores full marks on every check (the first test).
Every other test swaps one library function for a plausible student
mistake (a wrong tie rule, an unbiased variance, a missing 1/N, ...) and
asserts that the check that covers it no longer passes. The in-process
student resolves ``cs231n_cnn.<module>.<name>`` at call time, so patching the
module attribute is exactly what a student's wrong code looks like to it.
"""

from __future__ import annotations

import numpy as np
import pytest

import cs231n_cnn.layers as L
import cs231n_cnn.layers.norm as norm
import cs231n_cnn.models as models
import cs231n_cnn.optim as optim
from cs231n_cnn.grading import load_checks, run_checks

# The real functions, captured before any test patches them.
REAL = {name: getattr(L, name) for name in dir(L) if not name.startswith("_")}
REAL_OPTIM = {name: getattr(optim, name) for name in ("sgd", "sgd_momentum", "nesterov", "rmsprop", "adam")}

MY_MODULES = ("pool", "fc", "losses", "local", "norm", "optim", "training")


def _checks_in(module):
    return [c.name for c in load_checks().values() if c.module.endswith("." + module)]


def _windows(x, ph, pw, s):
    N, C, H, W = x.shape
    H_out, W_out = (H - ph) // s + 1, (W - pw) // s + 1
    for i in range(H_out):
        for j in range(W_out):
            yield i, j, (slice(None), slice(None), slice(i * s, i * s + ph), slice(j * s, j * s + pw))


# ------------------------------------------------------------------ wrong implementations
# Each is a mistake students make; its docstring says which.

def max_pool_forward_tiles(x, pp):
    """Windows start at i*PH instead of i*S: right only when windows tile the input."""
    ph, pw = pp["pool_height"], pp["pool_width"]
    out = REAL["max_pool_forward_naive"](x, pp)[0].copy()      # the right shape
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            win = x[:, :, i * ph:i * ph + ph, j * pw:j * pw + pw]
            out[:, :, i, j] = win.max(axis=(2, 3)) if win.size else 0.0
    return out, (x, out, pp)


def max_pool_backward_last_max(dout, cache):
    """Ties: the LAST maximum of each window gets the gradient."""
    x, _, pp = cache
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i, j, win in _windows(x, ph, pw, s):
                w = x[n, c][win[2:]]
                k = w.size - 1 - int(np.argmax(w.ravel()[::-1]))
                a, b = divmod(k, pw)
                dx[n, c, i * s + a, j * s + b] += dout[n, c, i, j]
    return dx


def max_pool_backward_every_max(dout, cache):
    """Ties: EVERY maximal entry gets the window's gradient (the mask x == max)."""
    x, out, pp = cache
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    for i, j, win in _windows(x, ph, pw, s):
        dx[win] += (x[win] == out[:, :, i:i + 1, j:j + 1]) * dout[:, :, i:i + 1, j:j + 1]
    return dx


def max_pool_forward_upcast(x, pp):
    """float32 silently becomes float64."""
    return REAL["max_pool_forward_fast"](x.astype(np.float64), pp)


def max_pool_forward_no_validation(x, pp):
    """Floors the output size instead of rejecting a window that does not fit."""
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    H_out, W_out = (x.shape[2] - ph) // s + 1, (x.shape[3] - pw) // s + 1
    out = np.array([[[[x[n, c, i * s:i * s + ph, j * s:j * s + pw].max() for j in range(W_out)]
                      for i in range(H_out)] for c in range(x.shape[1])] for n in range(x.shape[0])])
    return out, (x, out, pp)


def avg_pool_backward_no_accumulate(dout, cache):
    """Overlapping windows overwrite (=) instead of adding (+=) their shares."""
    x, pp = cache
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    for i, j, win in _windows(x, ph, pw, s):
        dx[win] = dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
    return dx


def l2_pool_backward_half(dout, cache):
    """d sqrt(s)/ds = 1/(2 sqrt(s)) applied, but the 2x from d(x**2)/dx forgotten."""
    return REAL["l2_pool_backward"](dout / 2, cache)


def affine_forward_fortran(x, w, b):
    """Flattens (N, d1, d2) in Fortran order: right only for 2-D x."""
    out = x.reshape(x.shape[0], -1, order="F") @ w + b
    return out, (x, w, b)


def affine_backward_flat_dx(dout, cache):
    """dx is returned as (N, D) instead of x's shape."""
    dx, dw, db = REAL["affine_backward"](dout, cache)
    return dx.reshape(dx.shape[0], -1), dw, db


def relu_forward_leaky(x):
    """A leaky ReLU (slope 0.01 for x < 0) where ReLU was asked for."""
    out = np.where(x > 0, x, 0.01 * x)
    return out, x


def relu_backward_leaky(dout, x):
    """The gradient of a leaky ReLU."""
    return dout * np.where(x > 0, 1.0, 0.01)


def softmax_loss_no_mean_in_dx(x, y):
    """The loss is averaged but dx is not divided by N."""
    loss, dx = REAL["softmax_loss"](x, y)
    return loss, dx * x.shape[0]


def softmax_loss_summed(x, y):
    """The loss is summed over the batch, not averaged."""
    loss, dx = REAL["softmax_loss"](x, y)
    return loss * x.shape[0], dx * x.shape[0]


def softmax_loss_unstable(x, y):
    """No max subtraction: exp overflows for large scores."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        loss = float(-np.log(p[np.arange(len(y)), y]).mean())
    dx = p.copy()
    dx[np.arange(len(y)), y] -= 1
    return loss, dx / len(y)


def svm_loss_with_correct_class(x, y):
    """The correct class is included in the sum: every example adds max(0, 1) = 1."""
    loss, dx = REAL["svm_loss"](x, y)
    return loss + 1.0, dx


def local_forward_no_bias(x, w, b, conv_param):
    """The bias is never added."""
    return REAL["locally_connected_forward"](x, w, np.zeros_like(b), conv_param)


def local_backward_mean_db(dout, cache):
    """db averaged over the batch instead of summed."""
    dx, dw, db = REAL["locally_connected_backward"](dout, cache)
    return dx, dw, db / dout.shape[0]


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


def sgd_ascent(w, dw, config=None):
    """A sign error: the update climbs the loss."""
    return REAL_OPTIM["sgd"](w, -dw, config)


def sgd_momentum_opposite_sign(w, dw, config=None):
    """Velocity kept with the opposite sign (v = mu*v + lr*dw; w -= v), which misreads a stored velocity."""
    config = dict(config)
    v = config["momentum"] * config["velocity"] + config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


def nesterov_plain_momentum(w, dw, config=None):
    """Nesterov that is really plain momentum."""
    return REAL_OPTIM["sgd_momentum"](w, dw, config)


def rmsprop_eps_in_sqrt(w, dw, config=None):
    """eps inside the square root."""
    config = dict(config)
    rho, lr, eps = config["decay_rate"], config["learning_rate"], config["epsilon"]
    cache = rho * config["cache"] + (1 - rho) * dw ** 2
    config["cache"] = cache
    return w - lr * dw / np.sqrt(cache + eps), config


def adam_t_after_use(w, dw, config=None):
    """The bias corrections use t before it is incremented."""
    config = dict(config)
    b1, b2, lr, eps, t = config["beta1"], config["beta2"], config["learning_rate"], config["epsilon"], config["t"]
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw ** 2
    next_w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    config.update(m=m, v=v, t=t + 1)
    return next_w, config


def adam_ascent(w, dw, config=None):
    """A sign error: the update climbs the loss."""
    return REAL_OPTIM["adam"](w, -dw, config)


def fractional_max_pool_forward_first_entry(x, pool_param):
    """Each region's first entry x[rows[i], cols[j]], not its maximum."""
    rows, cols = np.asarray(pool_param["rows"]), np.asarray(pool_param["cols"])
    return x[:, :, rows[:-1, None], cols[:-1]].copy(), (x, pool_param)


# (check, [(module, attribute, replacement)], why)
WRONG = [
    ("max_pool_forward_naive", [(L, "max_pool_forward_naive", max_pool_forward_tiles)], "stride taken as PH"),
    ("max_pool_backward_naive", [(L, "max_pool_backward_naive", max_pool_backward_last_max)], "last max wins ties"),
    ("max_pool_forward_fast", [(L, "max_pool_forward_fast", max_pool_forward_upcast)], "float32 upcast"),
    ("max_pool_backward_fast", [(L, "max_pool_backward_fast", max_pool_backward_every_max)], "every max wins"),
    ("max_pool_hidden_ties", [(L, "max_pool_backward_fast", max_pool_backward_every_max)], "every max wins"),
    ("avg_pool", [(L, "avg_pool_backward", avg_pool_backward_no_accumulate)], "overlaps not accumulated"),
    ("l2_pool", [(L, "l2_pool_backward", l2_pool_backward_half)], "missing factor 2"),
    ("pool_output_size_error", [(L, "max_pool_forward_naive", max_pool_forward_no_validation)], "floors"),
    ("fractional_max_pool", [(L, "fractional_max_pool_forward", fractional_max_pool_forward_first_entry)],
     "first entry for the maximum"),
    ("affine_forward", [(L, "affine_forward", affine_forward_fortran)], "Fortran-order flatten"),
    ("affine_backward", [(L, "affine_backward", affine_backward_flat_dx)], "dx not reshaped"),
    ("relu_forward", [(L, "relu_forward", relu_forward_leaky)], "leaky"),
    ("relu_backward", [(L, "relu_backward", relu_backward_leaky)], "leaky"),
    ("softmax_loss", [(L, "softmax_loss", softmax_loss_no_mean_in_dx)], "dx missing 1/N"),
    ("svm_loss", [(L, "svm_loss", svm_loss_with_correct_class)], "correct class counted"),
    ("losses_large_scores", [(L, "softmax_loss", softmax_loss_unstable)], "no max subtraction"),
    ("locally_connected_forward", [(L, "locally_connected_forward", local_forward_no_bias)], "bias dropped"),
    ("locally_connected_backward", [(L, "locally_connected_backward", local_backward_mean_db)], "db averaged"),
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
    ("sgd", [(optim, "sgd", sgd_ascent)], "gradient ascent"),
    ("sgd_momentum", [(optim, "sgd_momentum", sgd_momentum_opposite_sign)], "velocity sign"),
    ("nesterov", [(optim, "nesterov", nesterov_plain_momentum)], "plain momentum"),
    ("rmsprop", [(optim, "rmsprop", rmsprop_eps_in_sqrt)], "eps inside sqrt"),
    ("adam", [(optim, "adam", adam_t_after_use)], "t incremented after use"),
    # Each of these trains the net (seconds; far more when BLAS threads compete for the cores).
    pytest.param("training_smoke", [(L, "softmax_loss", softmax_loss_summed)], "loss summed, not averaged",
                 marks=pytest.mark.slow),
    pytest.param("training_smoke", [(optim.UPDATE_RULES, "adam", adam_ascent)], "gradient ascent",
                 marks=pytest.mark.slow),
]


def _fields(case):
    """(check, patches, why) of a WRONG entry, plain or wrapped in pytest.param."""
    return tuple(case.values) if hasattr(case, "marks") else case


def _run_one(name):
    (result,) = run_checks([name])
    return result


def test_reference_solution_passes_every_check():
    results = run_checks()
    failed = [r.report() for r in results if not r.passed]
    assert not failed, "\n".join(failed)


def test_every_new_check_has_a_wrong_implementation_below():
    mine = {n for m in MY_MODULES for n in _checks_in(m)}
    assert mine == {_fields(case)[0] for case in WRONG}


@pytest.mark.parametrize("name, patches, why", WRONG, ids=[f"{_fields(c)[0]}-{_fields(c)[2]}" for c in WRONG])
def test_check_fails_on_a_subtly_wrong_implementation(monkeypatch, name, patches, why):
    for target, attr, fake in patches:
        if isinstance(target, dict):
            monkeypatch.setitem(target, attr, fake)
        else:
            monkeypatch.setattr(target, attr, fake)
    result = _run_one(name)
    assert not result.passed, f"{name} passed with a wrong implementation ({why})"
    assert result.score < result.max_score
    assert result.line().startswith(f"FAIL {name}:"), result.line()
    assert "internal error" not in result.line(), result.report()


def _not_implemented(*args, **kwargs):
    raise NotImplementedError("implement this function")


# (check module, check, what to stub) - one per module.
STUBS = [
    ("pool", "max_pool_forward_naive", (L, "max_pool_forward_naive")),
    ("fc", "affine_forward", (L, "affine_forward")),
    ("losses", "softmax_loss", (L, "softmax_loss")),
    ("local", "locally_connected_forward", (L, "locally_connected_forward")),
    ("norm", "batchnorm_forward", (L, "batchnorm_forward")),
    ("optim", "adam", (optim, "adam")),
    ("training", "training_smoke", (L, "conv_forward_fast")),
    ("models", "three_layer_convnet", (models, "ThreeLayerConvNet")),
    ("models", "fully_connected_net", (L, "softmax_loss")),
]


@pytest.mark.parametrize("module, name, stub", STUBS, ids=[n for _, n, _ in STUBS])
def test_not_implemented_scores_zero(monkeypatch, module, name, stub):
    assert name in _checks_in(module)
    monkeypatch.setattr(*stub, _not_implemented)
    result = _run_one(name)
    assert result.score == 0 and result.max_score > 0
    assert result.line().startswith(f"FAIL {name}:")
    assert "NotImplementedError" in result.line(), result.line()
