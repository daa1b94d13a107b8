"""Tests for local response normalization and batch normalization (cs231n_cnn.layers.norm)."""

import numpy as np
import pytest

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient_array
from cs231n_cnn.layers.norm import (
    batchnorm_backward,
    batchnorm_forward,
    lrn_backward,
    lrn_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)

# ---------------------------------------------------------------------------
# Local response normalization
# ---------------------------------------------------------------------------


def lrn_loop(x, size, alpha, beta, k):
    """The definition, one output value at a time: window c - size//2 .. c + (size-1)//2, clipped."""
    N, C, H, W = x.shape
    out = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H):
                for j in range(W):
                    s = 0.0
                    for cc in range(c - size // 2, c + (size - 1) // 2 + 1):
                        if 0 <= cc < C:
                            s += x[n, cc, i, j] ** 2
                    out[n, c, i, j] = x[n, c, i, j] / (k + alpha / size * s) ** beta
    return out


LRN_CASES = [
    pytest.param(dict(size=1, alpha=0.5, beta=0.75, k=1.0), id="size1"),
    pytest.param(dict(size=2, alpha=0.5, beta=0.75, k=1.0), id="size2-even"),
    pytest.param(dict(size=3, alpha=1.0, beta=0.5, k=2.0), id="size3"),
    pytest.param(dict(size=4, alpha=0.2, beta=1.5, k=0.5), id="size4-even"),
    pytest.param(dict(size=5, alpha=1e-4, beta=0.75, k=2.0), id="size5-alexnet"),
    pytest.param(dict(size=9, alpha=0.3, beta=0.75, k=1.0), id="size9-wider-than-C"),
]


@pytest.mark.parametrize("p", LRN_CASES)
def test_lrn_forward_matches_loop(p):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 3, 2))
    out, _ = lrn_forward(x, p)
    np.testing.assert_allclose(out, lrn_loop(x, **p), rtol=1e-12, atol=1e-14)


def test_lrn_hand_example():
    # One pixel, channels (1, 2, 3), size=3, alpha=3, beta=1, k=1: the window sums are
    # 1+4=5, 1+4+9=14, 4+9=13, so out = x / (1 + 1*sum) = 1/6, 2/15, 3/14.
    x = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
    out, _ = lrn_forward(x, dict(size=3, alpha=3.0, beta=1.0, k=1.0))
    np.testing.assert_allclose(out.ravel(), [1 / 6, 2 / 15, 3 / 14], rtol=1e-14)


def test_lrn_defaults_are_torch_defaults():
    x = np.random.default_rng(1).standard_normal((1, 4, 2, 2))
    out, _ = lrn_forward(x, {"size": 3})
    np.testing.assert_allclose(out, lrn_loop(x, 3, 1e-4, 0.75, 1.0), rtol=1e-12)


@pytest.mark.parametrize("p", LRN_CASES)
def test_lrn_matches_torch(p):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 3, 4))
    dout = rng.standard_normal(x.shape)
    out, cache = lrn_forward(x, p)
    dx = lrn_backward(dout, cache)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.nn.functional.local_response_norm(xt, p["size"], alpha=p["alpha"], beta=p["beta"], k=p["k"])
    ot.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ot.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("p", LRN_CASES)
def test_lrn_backward_numerical(p):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 2, 3))
    dout = rng.standard_normal(x.shape)
    _, cache = lrn_forward(x, p)
    dx = lrn_backward(dout, cache)
    num = eval_numerical_gradient_array(lambda v: lrn_forward(v, p)[0], x, dout)
    check_gradient(dx, num, tol=1e-7, name="lrn dx")


def test_lrn_float32_preserved_and_inputs_untouched():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 3, 3)).astype(np.float32)
    p = {"size": 3, "alpha": np.float64(0.5), "beta": np.float64(0.75), "k": np.float64(2.0)}
    x_copy = x.copy()
    out, cache = lrn_forward(x, p)
    dout = np.ones_like(out)
    dx = lrn_backward(dout, cache)
    assert out.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, np.ones_like(out))
    np.testing.assert_allclose(out, lrn_loop(x.astype(np.float64), 3, 0.5, 0.75, 2.0), rtol=1e-5)


@pytest.mark.parametrize(
    "x, p, match",
    [
        (np.ones((2, 3, 4)), {"size": 3}, r"lrn_forward: x must have 4 dimensions"),
        (np.ones((1, 3, 2, 2), dtype=np.int32), {"size": 3}, r"x must be a floating-point array"),
        (np.ones((1, 3, 2, 2)), {"alpha": 1e-4}, r"lrn_param is missing \['size'\]"),
        (np.ones((1, 3, 2, 2)), {"size": 0}, r"lrn_param\['size'\] must be positive, got .*=0"),
        (np.ones((1, 3, 2, 2)), {"size": 2.5}, r"lrn_param\['size'\] must be an integer, got 2.5"),
        (np.ones((1, 3, 2, 2)), {"size": 3, "k": 0.0}, r"lrn_param\['k'\] must lie in \(0, inf\), got .*=0.0"),
        (np.ones((1, 3, 2, 2)), {"size": 3, "alpha": -1.0}, r"lrn_param\['alpha'\] must lie in \[0, inf\)"),
        (np.ones((1, 3, 2, 2)), [3], r"lrn_param must be a dict, got list"),
    ],
    ids=["3d-x", "int-x", "no-size", "size-0", "size-float", "k-0", "alpha-negative", "not-a-dict"],
)
def test_lrn_bad_inputs(x, p, match):
    with pytest.raises(ValueError, match=match):
        lrn_forward(x, p)


def test_lrn_backward_bad_dout():
    _, cache = lrn_forward(np.ones((1, 3, 2, 2)), {"size": 3})
    with pytest.raises(ValueError, match=r"lrn_backward: dout must have shape \(1, 3, 2, 2\), got \(1, 3, 2, 1\)"):
        lrn_backward(np.ones((1, 3, 2, 1)), cache)


# ---------------------------------------------------------------------------
# Batch normalization
# ---------------------------------------------------------------------------


def bn_reference(x, gamma, beta, mean, var, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_batchnorm_train_normalizes_each_feature():
    rng = np.random.default_rng(5)
    x = 5.0 + 3.0 * rng.standard_normal((200, 4))
    D = x.shape[1]
    bn_param = {"mode": "train"}
    out, _ = batchnorm_forward(x, np.ones(D), np.zeros(D), bn_param)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1.0, rtol=1e-5)  # eps=1e-5 against var ~9
    gamma, beta = np.array([1.0, 2.0, 0.5, -1.0]), np.array([0.0, -1.0, 3.0, 0.5])
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), np.abs(gamma), rtol=1e-5)


def test_batchnorm_train_matches_formula_with_numpy_statistics():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((7, 3))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": 1e-3})
    mean = sum(x[i] for i in range(7)) / 7
    var = sum((x[i] - mean) ** 2 for i in range(7)) / 7  # biased variance
    np.testing.assert_allclose(out, bn_reference(x, gamma, beta, mean, var, 1e-3), rtol=1e-12, atol=1e-14)


def test_batchnorm_running_stats_update_and_test_mode():
    rng = np.random.default_rng(7)
    D = 3
    gamma, beta = np.ones(D), np.zeros(D)
    old_mean, old_var = np.full(D, 1.0), np.full(D, 2.0)
    bn_param = {"mode": "train", "momentum": 0.8, "running_mean": old_mean, "running_var": old_var}
    x = rng.standard_normal((10, D)) * 2 + 1
    batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], 0.8 * 1.0 + 0.2 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.8 * 2.0 + 0.2 * x.var(axis=0), rtol=1e-12)
    # New arrays are stored; the old ones are not modified in place.
    np.testing.assert_array_equal(old_mean, 1.0)
    np.testing.assert_array_equal(old_var, 2.0)

    # Test mode normalizes with the running statistics and leaves them alone.
    bn_param["mode"] = "test"
    rm, rv = bn_param["running_mean"].copy(), bn_param["running_var"].copy()
    x_test = rng.standard_normal((4, D))
    out, _ = batchnorm_forward(x_test, gamma, beta, bn_param)
    np.testing.assert_allclose(out, bn_reference(x_test, gamma, beta, rm, rv, 1e-5), rtol=1e-12)
    np.testing.assert_array_equal(bn_param["running_mean"], rm)
    np.testing.assert_array_equal(bn_param["running_var"], rv)


def test_batchnorm_running_stats_converge_to_population():
    rng = np.random.default_rng(8)
    bn_param = {"mode": "train"}  # running stats start at zero, momentum 0.9
    for _ in range(100):
        x = 2.0 + 3.0 * rng.standard_normal((64, 2))
        batchnorm_forward(x, np.ones(2), np.zeros(2), bn_param)
    np.testing.assert_allclose(bn_param["running_mean"], 2.0, atol=0.3)
    np.testing.assert_allclose(bn_param["running_var"], 9.0, rtol=0.15)


@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_backward_numerical(mode):
    rng = np.random.default_rng(9)
    N, D = 5, 4
    x = rng.standard_normal((N, D)) * 2 + 1
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    stats = {"running_mean": rng.standard_normal(D), "running_var": rng.random(D) + 0.5}

    def fwd(xx, gg, bb):
        return batchnorm_forward(xx, gg, bb, {"mode": mode, **stats})[0]

    _, cache = batchnorm_forward(x, gamma, beta, {"mode": mode, **stats})
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout), name="dx")
    check_gradient(dgamma, eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout), name="dgamma")
    check_gradient(dbeta, eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout), name="dbeta")


def test_batchnorm_float32_preserved_and_inputs_untouched():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    gamma = np.ones(3, dtype=np.float32)
    beta = np.zeros(3, dtype=np.float32)
    copies = [a.copy() for a in (x, gamma, beta)]
    bn_param = {"mode": "train", "eps": np.float64(1e-5), "momentum": np.float64(0.9)}
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    dout = np.ones_like(out)
    grads = batchnorm_backward(dout, cache)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    assert bn_param["running_mean"].dtype == np.float32 and bn_param["running_var"].dtype == np.float32
    for a, c in zip((x, gamma, beta), copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(dout, 1.0)


def bn_bad_cases():
    ok_x, ok_g, ok_b = np.ones((4, 3)), np.ones(3), np.zeros(3)
    return [
        pytest.param(ok_x, ok_g, ok_b, {"mode": "eval"}, r"bn_param\['mode'\] must be one of \['train', 'test'\], got 'eval'",
                     id="bad-mode"),
        pytest.param(ok_x, ok_g, ok_b, {}, r"bn_param is missing \['mode'\]", id="no-mode"),
        pytest.param(ok_x, ok_g, ok_b, {"mode": "test"}, r"test mode needs bn_param\['running_mean'\]",
                     id="test-without-stats"),
        pytest.param(ok_x, ok_g, ok_b, {"mode": "train", "eps": 0}, r"bn_param\['eps'\] must lie in \(0, inf\)",
                     id="eps-0"),
        pytest.param(ok_x, ok_g, ok_b, {"mode": "train", "momentum": 1.5},
                     r"bn_param\['momentum'\] must lie in \[0, 1\], got .*=1.5", id="momentum-1.5"),
        pytest.param(ok_x, np.ones(2), ok_b, {"mode": "train"}, r"gamma must have shape \(3,\), got \(2,\)",
                     id="gamma-shape"),
        pytest.param(ok_x, ok_g, ok_b, {"mode": "train", "running_mean": np.zeros(4)},
                     r"bn_param\['running_mean'\] must have shape \(3,\), got \(4,\)", id="running-mean-shape"),
        pytest.param(ok_x.astype(np.float32), ok_g.astype(np.float32), ok_b.astype(np.float32),
                     {"mode": "train", "running_var": np.ones(3)},
                     r"bn_param\['running_var'\] has dtype float64 but x has dtype float32", id="running-var-dtype"),
        pytest.param(np.ones((0, 3)), ok_g, ok_b, {"mode": "train"}, r"at least one example", id="empty-batch"),
        pytest.param(np.ones((4, 3, 1)), ok_g, ok_b, {"mode": "train"}, r"x must have 2 dimensions", id="3d-x"),
    ]


@pytest.mark.parametrize("x, gamma, beta, bn_param, match", bn_bad_cases())
def test_batchnorm_bad_inputs(x, gamma, beta, bn_param, match):
    with pytest.raises(ValueError, match=match):
        batchnorm_forward(x, gamma, beta, bn_param)


def test_batchnorm_backward_bad_dout():
    _, cache = batchnorm_forward(np.random.default_rng(0).standard_normal((4, 3)), np.ones(3), np.zeros(3),
                                 {"mode": "train"})
    with pytest.raises(ValueError, match=r"batchnorm_backward: dout must have shape \(4, 3\), got \(3, 4\)"):
        batchnorm_backward(np.ones((3, 4)), cache)


# ---------------------------------------------------------------------------
# Spatial batch normalization
# ---------------------------------------------------------------------------


def spatial_bn_loop(x, gamma, beta, eps):
    """Per-channel statistics over (N, H, W) gathered by explicit loops."""
    N, C, H, W = x.shape
    out = np.empty_like(x)
    for c in range(C):
        vals = [x[n, c, i, j] for n in range(N) for i in range(H) for j in range(W)]
        m = sum(vals) / len(vals)
        v = sum((t - m) ** 2 for t in vals) / len(vals)
        out[:, c] = gamma[c] * (x[:, c] - m) / np.sqrt(v + eps) + beta[c]
    return out


def test_spatial_batchnorm_forward_matches_loop_and_updates_stats():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 4, 5, 2)) * 2 + 0.5
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    bn_param = {"mode": "train", "eps": 1e-5}
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, spatial_bn_loop(x, gamma, beta, 1e-5), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * x.var(axis=(0, 2, 3)), rtol=1e-12)

    bn_param["mode"] = "test"
    out_test, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    rm = bn_param["running_mean"][None, :, None, None]
    rv = bn_param["running_var"][None, :, None, None]
    np.testing.assert_allclose(out_test, gamma[None, :, None, None] * (x - rm) / np.sqrt(rv + 1e-5)
                               + beta[None, :, None, None], rtol=1e-12)


@pytest.mark.parametrize("mode", ["train", "test"])
def test_spatial_batchnorm_backward_numerical(mode):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 2, 3))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    dout = rng.standard_normal(x.shape)
    stats = {"running_mean": rng.standard_normal(3), "running_var": rng.random(3) + 0.5}

    def fwd(xx, gg, bb):
        return spatial_batchnorm_forward(xx, gg, bb, {"mode": mode, **stats})[0]

    _, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": mode, **stats})
    dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)
    assert dx.shape == x.shape and dgamma.shape == (3,) and dbeta.shape == (3,)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout), name="dx")
    check_gradient(dgamma, eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout), name="dgamma")
    check_gradient(dbeta, eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout), name="dbeta")


def test_spatial_batchnorm_float32_and_inputs_untouched():
    x = np.random.default_rng(13).standard_normal((2, 3, 4, 4)).astype(np.float32)
    x_copy = x.copy()
    g, b = np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32)
    out, cache = spatial_batchnorm_forward(x, g, b, {"mode": "train"})
    dx, dg, db = spatial_batchnorm_backward(np.ones_like(out), cache)
    assert out.dtype == dx.dtype == dg.dtype == db.dtype == np.float32
    np.testing.assert_array_equal(x, x_copy)


def test_spatial_batchnorm_bad_inputs():
    with pytest.raises(ValueError, match=r"spatial_batchnorm_forward: x must have 4 dimensions"):
        spatial_batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match=r"spatial_batchnorm_forward: gamma must have shape \(3,\), got \(4,\)"):
        spatial_batchnorm_forward(np.ones((2, 3, 2, 2)), np.ones(4), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match=r"spatial_batchnorm_forward: bn_param\['mode'\] must be one of"):
        spatial_batchnorm_forward(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(3), {"mode": "Train"})
    _, cache = spatial_batchnorm_forward(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match=r"spatial_batchnorm_backward: dout must have shape \(2, 3, 2, 2\)"):
        spatial_batchnorm_backward(np.ones((2, 2, 3, 2)), cache)
