"""Fast and fused paths against the plain reference layers, in float64 to 1e-8."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn import convnet, models
from cs231n_cnn.layers import (
    channel_major,
    relu_backward,
    relu_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from cs231n_cnn.layers.channel_major import spatial_batchnorm_backward_cm, spatial_batchnorm_forward_cm
from cs231n_cnn.layers.fc import relu_backward_inplace, relu_forward_inplace

TOL = 1e-8
SHAPES = [(2, 3, 4, 5), (5, 1, 3, 3), (1, 4, 1, 1), (6, 8, 7, 2)]


def _max_err(a, b):
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _cm(a):
    return np.ascontiguousarray(a.transpose(1, 0, 2, 3))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_spatial_batchnorm_cm_matches_reference_train_then_test(rng, shape):
    x = 3 * rng.standard_normal(shape) + 1.5
    C = shape[1]
    gamma, beta = rng.standard_normal(C), rng.standard_normal(C)
    dout = rng.standard_normal(shape)
    ref_param, fast_param = {"mode": "train", "momentum": 0.8}, {"mode": "train", "momentum": 0.8}
    for mode in ("train", "train", "test"):
        ref_param["mode"] = fast_param["mode"] = mode
        out_ref, cache_ref = spatial_batchnorm_forward(x, gamma, beta, ref_param)
        out_cm, cache_cm = spatial_batchnorm_forward_cm(_cm(x), gamma, beta, fast_param)
        assert out_cm.shape == _cm(x).shape and out_cm.dtype == x.dtype
        assert _max_err(out_ref, out_cm.transpose(1, 0, 2, 3)) < TOL
        for key in ("running_mean", "running_var"):
            assert _max_err(ref_param[key], fast_param[key]) < TOL
        dx_cm, dgamma, dbeta = spatial_batchnorm_backward_cm(_cm(dout), cache_cm)
        dx, dgamma_ref, dbeta_ref = spatial_batchnorm_backward(dout, cache_ref)
        assert _max_err(dx, dx_cm.transpose(1, 0, 2, 3)) < TOL
        assert _max_err(dgamma, dgamma_ref) < TOL and _max_err(dbeta, dbeta_ref) < TOL


def test_spatial_batchnorm_cm_leaves_inputs_alone(rng):
    x = rng.standard_normal((4, 3, 5, 5))
    dout = rng.standard_normal(x.shape)
    x0, d0 = x.copy(), dout.copy()
    _, cache = spatial_batchnorm_forward_cm(x, np.ones(4), np.zeros(4), {"mode": "train"})
    spatial_batchnorm_backward_cm(dout, cache)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, d0)


def test_spatial_batchnorm_cm_keeps_float32(rng):
    x = rng.standard_normal((3, 4, 5, 5)).astype(np.float32)
    g, b = np.ones(3, np.float32), np.zeros(3, np.float32)
    param = {"mode": "train"}
    out, cache = spatial_batchnorm_forward_cm(x, g, b, param)
    grads = spatial_batchnorm_backward_cm(np.ones_like(out), cache)
    assert {a.dtype for a in (out, *grads, param["running_mean"], param["running_var"])} == {np.dtype(np.float32)}


def test_spatial_batchnorm_cm_names_the_channel_axis_in_errors():
    x = np.zeros((3, 4, 5, 5))
    with pytest.raises(ValueError, match=r"spatial_batchnorm_forward_cm: .*gamma"):
        spatial_batchnorm_forward_cm(x, np.ones(4), np.zeros(3), {"mode": "train"})


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
    # every layer kind that runs on the NCHW view inside the channel-major stretch
    "INPUT[9x9x3] -> CONV3-6 S1 P1 -> NORM -> DROPOUT -> POOL3 S2 -> LOCAL3-4 -> RELU -> AVGPOOL2 -> FC",
    # stride 2 (dx through col2im), a conv wider than its input (no transposed convolution), L2 pooling
    "INPUT[9x9x2] -> CONV3-3 S2 P1 -> RELU -> CONV3-8 S1 P1 -> BN -> L2POOL1 -> FC-5 -> DROPOUT -> FC",
]


@pytest.mark.parametrize("spec", SPECS, ids=["conv-bn-relu", "conv-relu-fc-bn", "relu-first", "every-kind",
                                             "strided-wide"])
def test_convnet_fused_matches_the_plain_layers(rng, spec):
    """ConvNet's loss, gradients, scores and running statistics with fused=True equal fused=False's."""
    fast = models.ConvNet(spec, dtype=np.float64, seed=1, reg=0.1, fused=True)
    plain = models.ConvNet(spec, dtype=np.float64, seed=1, reg=0.1)
    H, W, D = fast.architecture.input_shape
    X = rng.standard_normal((5, D, H, W))
    y = rng.integers(10, size=5)
    X0 = X.copy()
    for _ in range(2):  # the second pass uses the running statistics the first one updated
        loss_fast, grads_fast = fast.loss(X, y)
        loss_plain, grads_plain = plain.loss(X, y)
        assert abs(loss_fast - loss_plain) < TOL
        assert grads_fast.keys() == grads_plain.keys()
        for k in grads_plain:
            assert grads_fast[k].shape == grads_plain[k].shape, k
            assert _max_err(grads_fast[k], grads_plain[k]) < TOL, k
    for k, bn in plain.bn_params.items():
        for key in ("running_mean", "running_var"):
            assert _max_err(fast.bn_params[k][key], bn[key]) < TOL, (k, key)
    assert _max_err(fast.loss(X), plain.loss(X)) < TOL
    np.testing.assert_array_equal(X, X0)  # the caller's images are never rectified in place


def test_the_fused_path_keeps_float32(rng):
    model = models.ConvNet(SPECS[0], dtype=np.float32, seed=0, fused=True)
    X = rng.standard_normal((4, 3, 8, 8)).astype(np.float32)
    loss, grads = model.loss(X, rng.integers(10, size=4))
    assert np.isfinite(loss)
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    assert model.loss(X).dtype == np.float32


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


def test_the_fused_path_runs_conv_and_batch_norm_channel_major(monkeypatch, rng):
    """fused=True must not silently fall back to the NCHW layers (the test above would still pass)."""
    seen = []
    for name in ("conv_forward_cm", "conv_backward_cm", "spatial_batchnorm_forward_cm", "spatial_batchnorm_backward_cm"):
        fn = getattr(channel_major, name)
        monkeypatch.setattr(channel_major, name, lambda *a, _fn=fn, _name=name, **k: seen.append(_name) or _fn(*a, **k))
    model = models.ConvNet(SPECS[0], dtype=np.float64, seed=0, fused=True)
    seen.clear()  # the constructor's fast_paths_present() probes spatial_batchnorm_forward_cm once
    model.loss(rng.standard_normal((3, 3, 8, 8)), rng.integers(10, size=3))
    assert seen.count("conv_forward_cm") == seen.count("conv_backward_cm") == 2
    assert seen.count("spatial_batchnorm_forward_cm") == seen.count("spatial_batchnorm_backward_cm") == 2


def test_a_student_release_stubs_the_fast_paths_and_fused_says_so(monkeypatch):
    """The channel-major layers are the conv and batch norm answers in another layout: the release removes them."""
    from released_library import released_module

    released = released_module("cs231n_cnn/layers/channel_major.py")
    assert released.fast_paths_present() is False
    with pytest.raises(NotImplementedError, match=r"conv_forward_cm is not implemented yet: write it in "
                                                  r"cs231n_cnn/layers/channel_major\.py"):
        released.conv_forward_cm(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3)), np.zeros(1),
                                 {"stride": 1, "pad": 1})
    monkeypatch.setattr(convnet, "fast_paths_present", released.fast_paths_present)
    with pytest.raises(ValueError, match=r"fused=True .* a student release leaves out .* use fused=False"):
        models.ConvNet(SPECS[0], fused=True)
    models.ConvNet(SPECS[0])  # the layers students implement are still what fused=False uses


def test_the_complete_library_has_its_fast_paths():
    from cs231n_cnn.layers.channel_major import fast_paths_present
    assert fast_paths_present() is True
