"""Fast and fused paths against the plain reference layers, in float64 to 1e-8."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn import models
from cs231n_cnn.layers import relu_backward, relu_forward, spatial_batchnorm_backward, spatial_batchnorm_forward
from cs231n_cnn.layers.fc import relu_backward_inplace, relu_forward_inplace
from cs231n_cnn.layers.norm import spatial_batchnorm_backward_fast, spatial_batchnorm_forward_fast

TOL = 1e-8
SHAPES = [(2, 3, 4, 5), (5, 1, 3, 3), (1, 4, 1, 1), (6, 8, 7, 2)]


def _max_err(a, b):
    return float(np.max(np.abs(a - b))) if a.size else 0.0


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_spatial_batchnorm_fast_matches_reference_train_then_test(rng, shape):
    x = 3 * rng.standard_normal(shape) + 1.5
    C = shape[1]
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    dout = rng.standard_normal(shape)
    ref_param, fast_param = {"mode": "train", "momentum": 0.8}, {"mode": "train", "momentum": 0.8}
    for mode in ("train", "train", "test"):
        ref_param["mode"] = fast_param["mode"] = mode
        out_ref, cache_ref = spatial_batchnorm_forward(x, gamma, beta, ref_param)
        out_fast, cache_fast = spatial_batchnorm_forward_fast(x, gamma, beta, fast_param)
        assert out_fast.shape == shape and out_fast.dtype == x.dtype
        assert _max_err(out_ref, out_fast) < TOL
        for key in ("running_mean", "running_var"):
            assert _max_err(ref_param[key], fast_param[key]) < TOL
        for got, want in zip(spatial_batchnorm_backward_fast(dout, cache_fast),
                             spatial_batchnorm_backward(dout, cache_ref), strict=True):
            assert got.shape == want.shape
            assert _max_err(got, want) < TOL


def test_spatial_batchnorm_fast_leaves_inputs_alone(rng):
    x = rng.standard_normal((3, 4, 5, 5))
    dout = rng.standard_normal(x.shape)
    x0, d0 = x.copy(), dout.copy()
    _, cache = spatial_batchnorm_forward_fast(x, np.ones(4), np.zeros(4), {"mode": "train"})
    spatial_batchnorm_backward_fast(dout, cache)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, d0)


def test_spatial_batchnorm_fast_keeps_float32(rng):
    x = rng.standard_normal((4, 3, 5, 5)).astype(np.float32)
    g, b = np.ones(3, np.float32), np.zeros(3, np.float32)
    param = {"mode": "train"}
    out, cache = spatial_batchnorm_forward_fast(x, g, b, param)
    grads = spatial_batchnorm_backward_fast(np.ones_like(out), cache)
    assert {a.dtype for a in (out, *grads, param["running_mean"], param["running_var"])} == {np.dtype(np.float32)}


def test_relu_inplace_matches_reference(rng):
    x = rng.standard_normal((4, 3, 6, 6))
    x[0, 0, 0, :3] = 0.0  # the subgradient at 0 is 0 in both
    dout = rng.standard_normal(x.shape)
    out_ref, cache_ref = relu_forward(x)
    dx_ref = relu_backward(dout, cache_ref)
    xi, di = x.copy(), dout.copy()
    out, cache = relu_forward_inplace(xi)
    assert out is xi
    np.testing.assert_array_equal(out, out_ref)
    dx = relu_backward_inplace(di, cache)
    assert dx is di
    np.testing.assert_array_equal(dx, dx_ref)


SPECS = [
    "INPUT[8x8x3] -> [CONV3-4 -> BN -> RELU]*2 -> POOL2 -> FC-10 -> RELU -> FC",
    "INPUT[8x8x3] -> CONV3-4 -> RELU -> CONV3-4 -> RELU -> POOL2 -> FC-6 -> BN -> RELU -> FC",
    "INPUT[8x8x3] -> RELU -> CONV5-3 -> RELU -> FC",
]


@pytest.mark.parametrize("spec", SPECS, ids=["conv-bn-relu", "conv-relu-fc-bn", "relu-first"])
def test_convnet_fast_paths_match_reference_layers(monkeypatch, rng, spec):
    """ConvNet's loss, gradients and scores with its fast paths equal those with the plain layers."""
    X = rng.standard_normal((5, 3, 8, 8))
    y = rng.integers(10, size=5)
    X0 = X.copy()
    fast = models.ConvNet(spec, dtype=np.float64, seed=1, reg=0.1, fused=True)
    loss_fast, grads_fast = fast.loss(X, y)
    scores_fast = fast.loss(X)
    np.testing.assert_array_equal(X, X0)  # the caller's images are never rectified in place

    monkeypatch.setattr(models, "relu_forward_inplace", relu_forward)
    monkeypatch.setattr(models, "relu_backward_inplace", relu_backward)
    monkeypatch.setattr(models, "spatial_batchnorm_forward_fast", spatial_batchnorm_forward)
    monkeypatch.setattr(models, "spatial_batchnorm_backward_fast", spatial_batchnorm_backward)
    ref = models.ConvNet(spec, dtype=np.float64, seed=1, reg=0.1, fused=True)
    plain = models.ConvNet(spec, dtype=np.float64, seed=1, reg=0.1)
    assert abs(plain.loss(X, y)[0] - loss_fast) < TOL
    loss_ref, grads_ref = ref.loss(X, y)
    scores_ref = ref.loss(X)

    assert abs(loss_fast - loss_ref) < TOL
    assert grads_fast.keys() == grads_ref.keys()
    for k in grads_ref:
        assert _max_err(grads_fast[k], grads_ref[k]) < TOL, k
    assert _max_err(scores_fast, scores_ref) < TOL


@pytest.mark.parametrize("shape", [(7, 5), (300, 256)], ids=["small", "large"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_inplace_matches_adam(rng, dtype, shape):
    from cs231n_cnn.optim import adam, adam_inplace
    w = rng.standard_normal(shape).astype(dtype)
    w_ref, w_fast = w.copy(), w.copy()
    ref, fast = {"learning_rate": 1e-2}, {"learning_rate": 1e-2}
    for _ in range(4):
        dw = rng.standard_normal(w.shape).astype(dtype)
        w_ref, ref = adam(w_ref, dw, ref)
        out, fast = adam_inplace(w_fast, dw, fast)
        assert out is w_fast and out.dtype == dtype
    tol = TOL if dtype == np.float64 else 1e-5
    assert _max_err(w_fast, w_ref) < tol
    assert _max_err(fast["m"], ref["m"]) < tol and _max_err(fast["v"], ref["v"]) < tol
    assert fast["t"] == ref["t"] == 4
