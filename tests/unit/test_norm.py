"""Tests for local response, batch, layer and group normalization (cs231n_cnn.layers.lrn and .norm)."""

import numpy as np
import pytest

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient_array
from cs231n_cnn.layers.lrn import lrn_backward, lrn_forward
from cs231n_cnn.layers.norm import (
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
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
        (np.ones((1, 3, 2, 2), dtype=np.complex64), {"size": 3}, r"x must be a floating-point array"),
        (np.ones((1, 3, 2, 2)), {"alpha": 1e-4}, r"lrn_param is missing \['size'\]"),
        (np.ones((1, 3, 2, 2)), {"size": 0}, r"lrn_param\['size'\] must be positive, got .*=0"),
        (np.ones((1, 3, 2, 2)), {"size": 2.5}, r"lrn_param\['size'\] must be an integer, got 2.5"),
        (np.ones((1, 3, 2, 2)), {"size": 3, "k": 0.0}, r"lrn_param\['k'\] must lie in \(0, inf\), got .*=0.0"),
        (np.ones((1, 3, 2, 2)), {"size": 3, "alpha": -1.0}, r"lrn_param\['alpha'\] must lie in \[0, inf\)"),
        (np.ones((1, 3, 2, 2)), [3], r"lrn_param must be a dict, got list"),
    ],
    ids=["3d-x", "complex-x", "no-size", "size-0", "size-float", "k-0", "alpha-negative", "not-a-dict"],
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
        pytest.param(ok_x, ok_g, ok_b, {"mode": "eval"},
                     r"bn_param\['mode'\] must be one of \['train', 'test'\], got 'eval'", id="bad-mode"),
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


# ---------------------------------------------------------------------------
# batchnorm_backward_alt
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("N, D", [(1, 3), (5, 4), (64, 7)], ids=["N1", "N5", "N64"])
def test_batchnorm_backward_alt_equals_batchnorm_backward(mode, N, D):
    rng = np.random.default_rng(20)
    x = 3 * rng.standard_normal((N, D)) + 1
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    stats = {"running_mean": rng.standard_normal(D), "running_var": rng.random(D) + 0.5}
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": mode, **stats})
    dout = rng.standard_normal((N, D))
    for got, want, name in zip(batchnorm_backward_alt(dout, cache), batchnorm_backward(dout, cache),
                               ("dx", "dgamma", "dbeta")):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=name)


def test_batchnorm_backward_alt_numerical():
    rng = np.random.default_rng(21)
    x = rng.standard_normal((5, 4)) * 2 + 1
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    dout = rng.standard_normal((5, 4))

    def fwd(xx, gg, bb):
        return batchnorm_forward(xx, gg, bb, {"mode": "train"})[0]

    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = batchnorm_backward_alt(dout, cache)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout), name="dx")
    check_gradient(dgamma, eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout), name="dgamma")
    check_gradient(dbeta, eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout), name="dbeta")


def test_batchnorm_backward_alt_float32_and_bad_dout():
    x = np.random.default_rng(22).standard_normal((6, 3)).astype(np.float32)
    one, zero = np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32)
    _, cache = batchnorm_forward(x, one, zero, {"mode": "train"})
    dout = np.ones_like(x)
    assert all(g.dtype == np.float32 for g in batchnorm_backward_alt(dout, cache))
    np.testing.assert_array_equal(dout, 1.0)
    with pytest.raises(ValueError, match=r"batchnorm_backward_alt: dout must have shape \(6, 3\), got \(3, 6\)"):
        batchnorm_backward_alt(np.ones((3, 6), dtype=np.float32), cache)


# ---------------------------------------------------------------------------
# Layer normalization
# ---------------------------------------------------------------------------


def layernorm_loop(x, gamma, beta, eps):
    """Each example's statistics over its D features, gathered one value at a time."""
    N, D = x.shape
    out = np.empty_like(x)
    for n in range(N):
        m = sum(x[n, d] for d in range(D)) / D
        v = sum((x[n, d] - m) ** 2 for d in range(D)) / D
        for d in range(D):
            out[n, d] = gamma[d] * (x[n, d] - m) / np.sqrt(v + eps) + beta[d]
    return out


@pytest.mark.parametrize("ln_param, eps", [({}, 1e-5), ({"eps": 0.3}, 0.3), ({"mode": "train"}, 1e-5)],
                         ids=["default-eps", "eps-0.3", "course-mode-key-ignored"])
def test_layernorm_forward_matches_loop(ln_param, eps):
    rng = np.random.default_rng(23)
    x = rng.standard_normal((4, 7)) * rng.random((4, 1)) * 5 + rng.standard_normal((4, 1))
    gamma, beta = rng.standard_normal(7), rng.standard_normal(7)
    out, _ = layernorm_forward(x, gamma, beta, ln_param)
    np.testing.assert_allclose(out, layernorm_loop(x, gamma, beta, eps), rtol=1e-10, atol=1e-12)


def test_layernorm_normalizes_each_example_and_ignores_the_batch():
    rng = np.random.default_rng(24)
    x = 5.0 + 3.0 * rng.standard_normal((3, 200))
    out, _ = layernorm_forward(x, np.ones(200), np.zeros(200), {})
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=1), 1.0, rtol=1e-5)
    alone, _ = layernorm_forward(x[1:2], np.ones(200), np.zeros(200), {})
    np.testing.assert_allclose(alone[0], out[1], rtol=1e-13, atol=1e-13)


def test_layernorm_backward_numerical():
    rng = np.random.default_rng(25)
    N, D = 4, 5
    x = rng.standard_normal((N, D)) * 2 + 1
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    dout = rng.standard_normal((N, D))

    def fwd(xx, gg, bb):
        return layernorm_forward(xx, gg, bb, {"eps": 1e-5})[0]

    _, cache = layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    dx, dgamma, dbeta = layernorm_backward(dout, cache)
    assert dx.shape == (N, D) and dgamma.shape == dbeta.shape == (D,)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout), name="dx")
    check_gradient(dgamma, eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout), name="dgamma")
    check_gradient(dbeta, eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout), name="dbeta")


def test_layernorm_float32_preserved_and_inputs_untouched():
    rng = np.random.default_rng(26)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    gamma, beta = np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32)
    ln_param = {"eps": np.float64(1e-5)}
    copies = [a.copy() for a in (x, gamma, beta)]
    out, cache = layernorm_forward(x, gamma, beta, ln_param)
    dout = np.ones_like(out)
    grads = layernorm_backward(dout, cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    for a, c in zip((x, gamma, beta), copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(dout, 1.0)
    assert ln_param == {"eps": 1e-5}


@pytest.mark.parametrize(
    "x, gamma, beta, ln_param, match",
    [
        (np.ones((4, 3)), np.ones(4), np.zeros(3), {}, r"layernorm_forward: gamma must have shape \(3,\), got \(4,\)"),
        (np.ones((4, 3)), np.ones(3), np.zeros((1, 3)), {}, r"layernorm_forward: beta must have 1 dimensions"),
        (np.ones((4, 3, 1)), np.ones(3), np.zeros(3), {}, r"layernorm_forward: x must have 2 dimensions"),
        (np.ones((4, 0)), np.ones(0), np.zeros(0), {}, r"at least one feature per example, got x of shape \(4, 0\)"),
        (np.ones((4, 3)), np.ones(3), np.zeros(3), {"eps": 0}, r"ln_param\['eps'\] must lie in \(0, inf\)"),
        (np.ones((4, 3)), np.ones(3), np.zeros(3), None, r"ln_param must be a dict, got NoneType"),
        (np.ones((4, 3)), np.ones(3, dtype=np.float32), np.zeros(3), {}, r"arrays must share one dtype"),
    ],
    ids=["gamma-shape", "beta-2d", "3d-x", "no-features", "eps-0", "not-a-dict", "mixed-dtype"],
)
def test_layernorm_bad_inputs(x, gamma, beta, ln_param, match):
    with pytest.raises(ValueError, match=match):
        layernorm_forward(x, gamma, beta, ln_param)


def test_layernorm_backward_bad_dout():
    _, cache = layernorm_forward(np.random.default_rng(0).standard_normal((4, 3)), np.ones(3), np.zeros(3), {})
    with pytest.raises(ValueError, match=r"layernorm_backward: dout must have shape \(4, 3\), got \(3, 4\)"):
        layernorm_backward(np.ones((3, 4)), cache)


# ---------------------------------------------------------------------------
# Group normalization
# ---------------------------------------------------------------------------


def groupnorm_loop(x, gamma, beta, G, eps):
    """Statistics of each (example, group) gathered value by value; channel c is in group c // (C/G)."""
    N, C, H, W = x.shape
    size = C // G
    out = np.empty_like(x)
    for n in range(N):
        for g in range(G):
            channels = range(g * size, (g + 1) * size)
            vals = [x[n, c, i, j] for c in channels for i in range(H) for j in range(W)]
            m = sum(vals) / len(vals)
            v = sum((t - m) ** 2 for t in vals) / len(vals)
            for c in channels:
                out[n, c] = gamma[0, c, 0, 0] * (x[n, c] - m) / np.sqrt(v + eps) + beta[0, c, 0, 0]
    return out


def _gn_data(rng, shape):
    N, C = shape[:2]
    x = 2 * rng.standard_normal(shape) + 3 * rng.standard_normal((N, C, 1, 1))
    return x, rng.standard_normal((1, C, 1, 1)), rng.standard_normal((1, C, 1, 1))


@pytest.mark.parametrize("G", [1, 2, 3, 6], ids=["G1-layernorm", "G2", "G3", "G6-instancenorm"])
def test_spatial_groupnorm_forward_matches_loop(G):
    rng = np.random.default_rng(27)
    x, gamma, beta = _gn_data(rng, (2, 6, 3, 4))
    out, _ = spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
    np.testing.assert_allclose(out, groupnorm_loop(x, gamma, beta, G, 1e-5), rtol=1e-10, atol=1e-12)


def test_spatial_groupnorm_special_cases_are_layer_and_instance_norm():
    rng = np.random.default_rng(28)
    x, _, _ = _gn_data(rng, (3, 4, 2, 5))
    one, zero = np.ones((1, 4, 1, 1)), np.zeros((1, 4, 1, 1))
    g1, _ = spatial_groupnorm_forward(x, one, zero, 1, {})
    ln, _ = layernorm_forward(x.reshape(3, -1), np.ones(40), np.zeros(40), {})
    np.testing.assert_allclose(g1, ln.reshape(x.shape), rtol=1e-12, atol=1e-12)
    gc, _ = spatial_groupnorm_forward(x, one, zero, 4, {})
    inst = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(gc, inst, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("G", [1, 3, 6], ids=["G1", "G3", "G6"])
def test_spatial_groupnorm_backward_numerical(G):
    rng = np.random.default_rng(29)
    x, gamma, beta = _gn_data(rng, (2, 6, 2, 3))
    dout = rng.standard_normal(x.shape)

    def fwd(xx, gg, bb):
        return spatial_groupnorm_forward(xx, gg, bb, G, {})[0]

    _, cache = spatial_groupnorm_forward(x, gamma, beta, G, {})
    dx, dgamma, dbeta = spatial_groupnorm_backward(dout, cache)
    assert dx.shape == x.shape and dgamma.shape == dbeta.shape == (1, 6, 1, 1)
    check_gradient(dx, eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout), name="dx")
    check_gradient(dgamma, eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout), name="dgamma")
    check_gradient(dbeta, eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout), name="dbeta")


def test_spatial_groupnorm_float32_preserved_and_inputs_untouched():
    rng = np.random.default_rng(30)
    x, gamma, beta = (a.astype(np.float32) for a in _gn_data(rng, (2, 4, 3, 3)))
    copies = [a.copy() for a in (x, gamma, beta)]
    out, cache = spatial_groupnorm_forward(x, gamma, beta, 2, {"eps": np.float64(1e-5)})
    dout = np.ones_like(out)
    grads = spatial_groupnorm_backward(dout, cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    for a, c in zip((x, gamma, beta), copies):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(dout, 1.0)
    np.testing.assert_allclose(out, groupnorm_loop(*(a.astype(np.float64) for a in (x, gamma, beta)), 2, 1e-5),
                               rtol=1e-4, atol=1e-5)


def gn_bad_cases():
    x, one, zero = np.ones((2, 6, 2, 2)), np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1))
    return [
        pytest.param(x, one, zero, 4, {}, r"spatial_groupnorm_forward: the number of groups G=4 does not divide "
                     r"the number of channels C=6 \(C/G = 1\.5\).*divisors of C: \[1, 2, 3, 6\]",
                     id="G-not-dividing-C"),
        pytest.param(x, one, zero, 12, {}, r"G=12 does not divide the number of channels C=6", id="G-above-C"),
        pytest.param(x, one, zero, 0, {}, r"the number of groups G must be positive, got G=0", id="G-0"),
        pytest.param(x, one, zero, 2.0, {}, r"the number of groups G must be an integer, got 2.0", id="G-float"),
        pytest.param(x, np.ones(6), zero, 2, {}, r"gamma must have shape \(1, C, 1, 1\) = \(1, 6, 1, 1\), .*got "
                     r"\(6,\); use gamma\.reshape\(1, 6, 1, 1\)", id="gamma-C-vector"),
        pytest.param(x, np.ones((1, 4, 1, 1)), zero, 2, {}, r"gamma must have shape \(1, 6, 1, 1\), got \(1, 4, 1, 1\)",
                     id="gamma-wrong-C"),
        pytest.param(x, one, np.zeros((6, 1, 1)), 2, {}, r"beta must have shape \(1, 6, 1, 1\), got \(6, 1, 1\)",
                     id="beta-3d"),
        pytest.param(np.ones((2, 6, 4)), one, zero, 2, {}, r"x must have 4 dimensions", id="3d-x"),
        pytest.param(np.ones((2, 6, 0, 2)), one, zero, 2, {}, r"at least one value to normalize", id="empty-groups"),
        pytest.param(x, one, zero, 2, {"eps": -1.0}, r"gn_param\['eps'\] must lie in \(0, inf\)", id="eps-negative"),
        pytest.param(x.astype(np.float32), one, zero, 2, {}, r"arrays must share one dtype", id="mixed-dtype"),
    ]


@pytest.mark.parametrize("x, gamma, beta, G, gn_param, match", gn_bad_cases())
def test_spatial_groupnorm_bad_inputs(x, gamma, beta, G, gn_param, match):
    with pytest.raises(ValueError, match=match):
        spatial_groupnorm_forward(x, gamma, beta, G, gn_param)


def test_spatial_groupnorm_backward_bad_dout():
    x, gamma, beta = _gn_data(np.random.default_rng(31), (2, 4, 2, 2))
    _, cache = spatial_groupnorm_forward(x, gamma, beta, 2, {})
    with pytest.raises(ValueError, match=r"spatial_groupnorm_backward: dout must have shape \(2, 4, 2, 2\)"):
        spatial_groupnorm_backward(np.ones((2, 2, 4, 2)), cache)
