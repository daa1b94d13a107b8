"""Bugs from an instructor's planted-bug run: each now loses points in a named part of a check.

Where the bug is a change to the solution, it is planted into a copy of
the library's own function (its source, with one expression replaced, run
in a copy of its module's namespace), so the test shows the check catches
exactly that change. The in-process student resolves
``cs231n_cnn.<module>.<name>`` at call time, so patching the module
attribute is what a submission with the bug looks like to it.
"""

from __future__ import annotations

import importlib
import inspect
import textwrap

import numpy as np
import pytest

import cs231n_cnn.layers as L
import cs231n_cnn.layers.conv as conv
import cs231n_cnn.layers.dropout as dropout
import cs231n_cnn.layers.norm as norm
import cs231n_cnn.layers.pool as pool
import cs231n_cnn.optim as optim
from cs231n_cnn.grading import load_checks, run_checks


def planted(module, name: str, old: str, new: str, count: int = 1):
    """``module.name`` with the source text ``old`` (found ``count`` times) replaced by ``new`` everywhere."""
    source = textwrap.dedent(inspect.getsource(getattr(module, name)))
    assert source.count(old) == count, f"{old!r} is not {count} time(s) in {module.__name__}.{name}"
    namespace = dict(vars(module))
    exec(compile(source.replace(old, new), f"<{name} with a planted bug>", "exec"), namespace)
    return namespace[name]


# ------------------------------------------------------------------ the bugs

def l2_pool_backward_divides_by_zero(dout, cache):
    """dout * x / out with a plain division: 0/0 = NaN for an all-zero window."""
    x, out, pp = cache
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                win = (slice(None), slice(None), slice(i * s, i * s + ph), slice(j * s, j * s + pw))
                dx[win] += x[win] * (dout[:, :, i:i + 1, j:j + 1] / out[:, :, i:i + 1, j:j + 1])
    return dx


def avg_pool_forward_float64(x, pool_param):
    """Window means with np.mean over a float64 accumulator: float32 in, float64 out."""
    out, cache = L.max_pool_forward_naive(x.astype(np.float64), pool_param)   # the right shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.mean(x[:, :, i * s:i * s + ph, j * s:j * s + pw], axis=(2, 3), dtype=np.float64)
    return out, (x, pool_param)


def sgd_not_implemented(w, dw, config=None):
    raise NotImplementedError("sgd is not implemented yet: write it in cs231n_cnn/optim.py")


def dropout_backward_redraws_the_mask(dout, cache):
    """Draws the mask again from dropout_param instead of using the cached one."""
    dropout_param, mask = cache
    if mask is None:
        return dout.copy()
    p = dropout_param["p"]
    redrawn = (np.random.default_rng(dropout_param.get("seed")).random(dout.shape) < p) / p
    return dout * redrawn


def relu_forward_in_place(x):
    """Zeroes the negative entries of x itself."""
    x[x < 0] = 0
    return x, x


def relu_backward_at_zero(dout, x):
    """Passes the gradient where x >= 0, including x == 0."""
    return dout * (x >= 0)


def softmax_loss_no_max_subtraction(x, y):
    """exp of the raw scores: overflows for scores ~1000."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        loss = float(-np.log(p[np.arange(len(y)), y]).mean())
    dx = p.copy()
    dx[np.arange(len(y)), y] -= 1
    return loss, dx / len(y)


def softmax_loss_log_of_probabilities(x, y):
    """Max subtracted, but the loss is log(p): p underflows to 0 and its log is -inf."""
    shifted = x - x.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        loss = float(-np.log(p[np.arange(len(y)), y]).mean())
    dx = p.copy()
    dx[np.arange(len(y)), y] -= 1
    return loss, dx / len(y)


def _planted_cases():
    """(id, check, part label, [(target, attribute, replacement)], text the part's message must contain)."""
    return [
        ("l2-pool-0/0", "l2_pool", "an all-zero window (as after a ReLU) gets gradient 0, not NaN",
         [(L, "l2_pool_backward", l2_pool_backward_divides_by_zero)], "dx has NaN or inf where a window is all zeros"),
        ("avg-pool-float64", "avg_pool", "float32 input gives float32 output",
         [(L, "avg_pool_forward", avg_pool_forward_float64)], "float32 input gave float64 output"),
        ("sgd-stub", "sgd", "next_w after two steps", [(optim, "sgd", sgd_not_implemented)],
         "optim.sgd is not implemented yet"),
        ("dropout-constant-seed", "dropout", "train: another seed, or no seed, gives another mask",
         [(L, "dropout_forward", planted(dropout, "dropout_forward", "np.random.default_rng(seed)",
                                         "np.random.default_rng(0)"))],
         "the mask must come from np.random.default_rng(dropout_param['seed'])"),
        ("dropout-backward-redraws", "dropout",
         "backward uses the forward mask: dx = dout * mask (no seed, so a redrawn mask differs)",
         [(L, "dropout_backward", dropout_backward_redraws_the_mask)],
         "must use the mask saved in the cache, not draw a new one"),
        ("conv-dx-unflipped", "conv_backward_fast",
         "stride 1, pad 1, more channels than filters (dx as a transposed convolution): dx",
         [(L, "conv_backward_fast", planted(conv, "conv_backward_fast", "w[:, :, ::-1, ::-1]", "w"))], "dx"),
        # Uninitialized memory is whatever np.empty finds; 1e300 stands in for it, so the test is deterministic.
        ("max-pool-uncovered", "max_pool_backward_fast",
         "2x2 windows, stride 3: inputs no window covers get gradient exactly 0",
         [(L, "max_pool_backward_fast", planted(pool, "max_pool_backward_fast",
                                                "np.empty_like(x) if tiles else np.zeros_like(x)",
                                                "np.full_like(x, 1e300) if not overlap else np.zeros_like(x)"))],
         "inputs that no window covers (stride 3 > window 2) have a nonzero gradient"),
        ("relu-in-place", "relu_forward", "x is not modified in place (the cache is x itself)",
         [(L, "relu_forward", relu_forward_in_place)], "relu_forward changed its input x in place"),
        ("relu-backward-at-0", "relu_backward", "x exactly 0 gets gradient 0 (the subgradient the docstring states)",
         [(L, "relu_backward", relu_backward_at_zero)], "relu_backward passes the gradient where x == 0"),
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
        ("softmax-overflow", "softmax_loss", "scores of order 1000 give a finite, correct loss and dx",
         [(L, "softmax_loss", softmax_loss_no_max_subtraction)], "subtract each row's max before exp"),
        ("softmax-log-of-p", "softmax_loss", "scores of order 1000 give a finite, correct loss and dx",
         [(L, "softmax_loss", softmax_loss_log_of_probabilities)], "not log(p) (p underflows to 0)"),
    ]


CASES = _planted_cases()


@pytest.mark.parametrize("name, label, patches, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_planted_bug_loses_the_named_part(monkeypatch, name, label, patches, message):
    for target, attr, fake in patches:
        monkeypatch.setattr(target, attr, fake)
    (result,) = run_checks([name])
    parts = {p.label: p for p in result.parts}
    assert label in parts, result.report()
    assert not parts[label].passed, result.report()
    assert message in parts[label].message, result.report()
    assert result.score < result.max_score and "internal error" not in result.line()


def test_only_the_new_conv_case_takes_the_transposed_convolution_path(monkeypatch):
    load_checks()
    checks_conv = importlib.import_module("_cs231n_checks.conv")
    _, xs, ws, s, p = checks_conv.DX_AS_CONVOLUTION_CASE
    assert conv._dx_as_convolution(xs, ws, s, p)
    assert not any(conv._dx_as_convolution(xs, ws, s, p) for _, xs, ws, s, p in checks_conv.BACKWARD_CASES)
    # So unflipped filters on that path lose exactly that case's dx.
    monkeypatch.setattr(L, "conv_backward_fast", planted(conv, "conv_backward_fast", "w[:, :, ::-1, ::-1]", "w"))
    (result,) = run_checks(["conv_backward_fast"])
    assert [p.label for p in result.parts if not p.passed] == [checks_conv.DX_AS_CONVOLUTION_CASE[0] + ": dx"]
