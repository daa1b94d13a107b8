"""Course-style check cells, run through ``cs231n_cnn.compat`` as a CS231n notebook would.

Assignment 2's notebooks (FullyConnectedNets, BatchNormalization, Dropout,
ConvolutionalNetworks) import the ``cs231n`` package and check each piece with
a small cell: a forward pass on ``np.linspace`` inputs compared with known
values, a relative error between numerical and analytic gradients, fast versus
naive layers, the initial loss of a fresh model. Those notebooks must run on
this package with only their import lines changed, so each check below is
written in their style (global ``np.random.seed(231)``, the notebooks'
``rel_error``) from the course's published API, and reaches every function
only through ``cs231n_cnn.compat.<course module>``. Expected values are
computed here by loops or by the defining formula, never copied.

Every name each compat module exports is listed in ``COURSE_API`` and must be
claimed by at least one check (``@covers``); ``test_every_name_is_checked``
fails if one is not.
"""

from __future__ import annotations

import importlib
import pickle

import numpy as np
import pytest

# The course's modules and the names each holds (assignment 2, with the names
# students add: batchnorm_backward_alt, layer/group norm, affine_norm_relu).
COURSE_API = {
    "layers": [
        "affine_forward", "affine_backward", "relu_forward", "relu_backward",
        "softmax_loss", "svm_loss",
        "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
        "layernorm_forward", "layernorm_backward",
        "dropout_forward", "dropout_backward",
        "conv_forward_naive", "conv_backward_naive",
        "max_pool_forward_naive", "max_pool_backward_naive",
        "spatial_batchnorm_forward", "spatial_batchnorm_backward",
        "spatial_groupnorm_forward", "spatial_groupnorm_backward",
    ],
    "fast_layers": [
        "conv_forward_fast", "conv_backward_fast",
        "conv_forward_im2col", "conv_backward_im2col",
        "conv_forward_strides", "conv_backward_strides",
        "max_pool_forward_fast", "max_pool_backward_fast",
        "max_pool_forward_reshape", "max_pool_backward_reshape",
        "max_pool_forward_im2col", "max_pool_backward_im2col",
    ],
    "layer_utils": [
        "affine_relu_forward", "affine_relu_backward",
        "affine_norm_relu_forward", "affine_norm_relu_backward",
        "conv_relu_forward", "conv_relu_backward",
        "conv_bn_relu_forward", "conv_bn_relu_backward",
        "conv_relu_pool_forward", "conv_relu_pool_backward",
    ],
    "classifiers.cnn": ["ThreeLayerConvNet"],
    "classifiers.fc_net": ["FullyConnectedNet"],
    "solver": ["Solver"],
    "gradient_check": ["eval_numerical_gradient", "eval_numerical_gradient_array", "grad_check_sparse"],
    "vis_utils": ["visualize_grid", "vis_grid", "vis_nn"],
    "data_utils": ["load_pickle", "load_CIFAR_batch", "load_CIFAR10", "get_CIFAR10_data"],
    "im2col": ["get_im2col_indices", "im2col_indices", "col2im_indices"],
    "optim": ["sgd", "sgd_momentum", "rmsprop", "adam"],
}

CHECKED: set[str] = set()


def covers(*names):
    """Mark a check as covering ``module.name`` entries of COURSE_API (recorded at import)."""
    CHECKED.update(names)
    return lambda f: f


def course(module: str):
    """``cs231n.<module>`` as a notebook imports it, i.e. ``cs231n_cnn.compat.<module>``.

    Imported inside each check, so a name missing from one module fails the
    checks that need it and no others.
    """
    return importlib.import_module(f"cs231n_cnn.compat.{module}")


def rel_error(x, y):
    """The notebooks' relative error: max over entries of |x - y| / max(1e-8, |x| + |y|)."""
    return np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y)))


def numeric_grads(f, inputs, dout, h=1e-6):
    """Numerical gradients of sum(f() * dout) for every array in ``inputs`` (modified in place)."""
    gc = course("gradient_check")
    return [gc.eval_numerical_gradient_array(lambda _: f(), a, dout, h=h) for a in inputs]


def assert_grads(analytic, numeric, tol, names):
    for name, a, n in zip(names, analytic, numeric, strict=True):
        err = rel_error(a, n)
        assert err < tol, f"{name}: relative error {err:.2e} >= {tol:g}"


def assert_grads_with_bias_under_batchnorm(grads, numeric):
    """dx, dw, dgamma, dbeta by relative error; db by size, since batch norm makes it exactly zero.

    Batch norm subtracts the batch mean, which removes any bias added before
    it, so both db's are ~1e-11 noise and their relative error means nothing.
    """
    dx, dw, db, dgamma, dbeta = grads
    assert_grads([dx, dw, dgamma, dbeta], [numeric[i] for i in (0, 1, 3, 4)], 1e-6, ["dx", "dw", "dgamma", "dbeta"])
    assert np.abs(db).max() < 1e-10 and np.abs(numeric[2]).max() < 1e-8


# --------------------------------------------------------------------------- imports


@pytest.mark.parametrize("module", sorted(COURSE_API))
def test_star_import_gives_the_course_names(module):
    namespace: dict = {}
    exec(f"from cs231n_cnn.compat.{module} import *", namespace)  # the notebook's one changed line
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(COURSE_API[module])


# --------------------------------------------------------------------------- layers: affine, relu, losses


@covers("layers.affine_forward")
def test_affine_forward_on_linspace_matches_a_loop():
    L = course("layers")
    num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
    input_size = num_inputs * np.prod(input_shape)
    weight_size = output_dim * np.prod(input_shape)
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    out, _ = L.affine_forward(x, w, b)
    expected = np.zeros((num_inputs, output_dim))
    for n in range(num_inputs):
        flat = x[n].ravel()
        for m in range(output_dim):
            expected[n, m] = sum(flat[d] * w[d, m] for d in range(flat.size)) + b[m]
    assert rel_error(out, expected) < 1e-9


@covers("layers.affine_backward", "gradient_check.eval_numerical_gradient_array")
def test_affine_backward_gradient_check():
    L = course("layers")
    np.random.seed(231)
    x, w, b = np.random.randn(10, 2, 3), np.random.randn(6, 5), np.random.randn(5)
    dout = np.random.randn(10, 5)
    _, cache = L.affine_forward(x, w, b)
    grads = L.affine_backward(dout, cache)
    numeric = numeric_grads(lambda: L.affine_forward(x, w, b)[0], [x, w, b], dout, h=1e-5)
    assert_grads(grads, numeric, 1e-8, ["dx", "dw", "db"])


@covers("layers.relu_forward", "layers.relu_backward")
def test_relu_forward_and_backward():
    L = course("layers")
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = L.relu_forward(x)
    np.testing.assert_array_equal(out, [[max(v, 0.0) for v in row] for row in x])
    np.random.seed(231)
    x = np.random.randn(10, 10)
    x += 0.01 * np.sign(x)                       # away from the kink at 0
    dout = np.random.randn(*x.shape)
    _, cache = L.relu_forward(x)
    dx = L.relu_backward(dout, cache)
    assert_grads([dx], numeric_grads(lambda: L.relu_forward(x)[0], [x], dout), 1e-8, ["dx"])


@covers("layers.softmax_loss", "layers.svm_loss", "gradient_check.eval_numerical_gradient")
@pytest.mark.parametrize("loss_name, expected_loss", [("softmax_loss", np.log(10)), ("svm_loss", 9.0)],
                         ids=["softmax", "svm"])
def test_losses_on_small_scores(loss_name, expected_loss):
    loss_fn = getattr(course("layers"), loss_name)
    gc = course("gradient_check")
    np.random.seed(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * np.random.randn(num_inputs, num_classes)
    y = np.random.randint(num_classes, size=num_inputs)
    loss, dx = loss_fn(x, y)
    # Scores near 0: softmax gives log(C), the hinge 1 per wrong class (C - 1).
    assert abs(loss - expected_loss) < 0.01
    dx_num = gc.eval_numerical_gradient(lambda x: loss_fn(x, y)[0], x, verbose=False)
    assert rel_error(dx_num, dx) < 1e-8


# --------------------------------------------------------------------------- layers: normalization


@covers("layers.batchnorm_forward")
def test_batchnorm_forward_train_then_test_mode():
    L = course("layers")
    np.random.seed(231)
    N, D1, D2, D3 = 200, 50, 60, 3
    W1, W2 = np.random.randn(D1, D2), np.random.randn(D2, D3)

    def batch():
        return np.maximum(0, np.random.randn(N, D1).dot(W1)).dot(W2)

    gamma, beta = np.asarray([1.0, 2.0, 3.0]), np.asarray([11.0, 12.0, 13.0])
    out, _ = L.batchnorm_forward(batch(), gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-8)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-4)
    bn_param = {"mode": "train"}
    for _ in range(50):
        L.batchnorm_forward(batch(), gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out, _ = L.batchnorm_forward(batch(), gamma, beta, bn_param)
    # Running statistics of 50 batches: means near beta, stds near gamma (not exactly).
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=0.25 * gamma.max())
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=0.25)


@covers("layers.batchnorm_backward", "layers.batchnorm_backward_alt")
def test_batchnorm_backward_and_alt_gradient_check():
    L = course("layers")
    np.random.seed(231)
    N, D = 4, 5
    x = 5 * np.random.randn(N, D) + 12
    gamma, beta = np.random.randn(D), np.random.randn(D)
    dout = np.random.randn(N, D)
    bn_param = {"mode": "train"}
    _, cache = L.batchnorm_forward(x, gamma, beta, bn_param)
    grads = L.batchnorm_backward(dout, cache)
    numeric = numeric_grads(lambda: L.batchnorm_forward(x, gamma, beta, bn_param)[0], [x, gamma, beta], dout,
                            h=1e-5)
    assert_grads(grads, numeric, 1e-7, ["dx", "dgamma", "dbeta"])
    alt = L.batchnorm_backward_alt(dout, cache)
    assert_grads(alt, grads, 1e-12, ["dx (alt)", "dgamma (alt)", "dbeta (alt)"])


@covers("layers.layernorm_forward", "layers.layernorm_backward")
def test_layernorm_forward_and_gradient_check():
    L = course("layers")
    np.random.seed(231)
    N, D = 4, 5
    x = 5 * np.random.randn(N, D) + 12
    out, _ = L.layernorm_forward(x, np.ones(D), np.zeros(D), {})
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-10)       # per example, not per feature
    np.testing.assert_allclose(out.std(axis=1), 1, rtol=1e-3)
    gamma, beta, dout = np.random.randn(D), np.random.randn(D), np.random.randn(N, D)
    ln_param: dict = {}
    _, cache = L.layernorm_forward(x, gamma, beta, ln_param)
    grads = L.layernorm_backward(dout, cache)
    numeric = numeric_grads(lambda: L.layernorm_forward(x, gamma, beta, ln_param)[0], [x, gamma, beta], dout,
                            h=1e-5)
    assert_grads(grads, numeric, 1e-7, ["dx", "dgamma", "dbeta"])


@covers("layers.spatial_batchnorm_forward", "layers.spatial_batchnorm_backward")
def test_spatial_batchnorm_per_channel_and_gradient_check():
    L = course("layers")
    np.random.seed(231)
    N, C, H, W = 2, 3, 4, 5
    x = 4 * np.random.randn(N, C, H, W) + 10
    gamma, beta = np.asarray([3.0, 4.0, 5.0]), np.asarray([6.0, 7.0, 8.0])
    out, _ = L.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), beta, atol=1e-8)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), gamma, rtol=1e-4)
    gamma, beta, dout = np.random.randn(C), np.random.randn(C), np.random.randn(N, C, H, W)
    bn_param = {"mode": "train"}
    _, cache = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    grads = L.spatial_batchnorm_backward(dout, cache)
    numeric = numeric_grads(lambda: L.spatial_batchnorm_forward(x, gamma, beta, bn_param)[0],
                            [x, gamma, beta], dout, h=1e-5)
    # The notebook's range is 1e-12 to 1e-6: small entries of dx make the entrywise error large.
    assert_grads(grads, numeric, 1e-6, ["dx", "dgamma", "dbeta"])


@covers("layers.spatial_groupnorm_forward", "layers.spatial_groupnorm_backward")
def test_spatial_groupnorm_per_group_and_gradient_check():
    L = course("layers")
    np.random.seed(231)
    N, C, H, W, G = 2, 6, 4, 5, 2
    x = 4 * np.random.randn(N, C, H, W) + 10
    out, _ = L.spatial_groupnorm_forward(x, np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1)), G, {})
    groups = out.reshape(N, G, -1)
    np.testing.assert_allclose(groups.mean(axis=2), 0, atol=1e-10)
    np.testing.assert_allclose(groups.std(axis=2), 1, rtol=1e-3)
    gamma, beta = np.random.randn(1, C, 1, 1), np.random.randn(1, C, 1, 1)
    dout = np.random.randn(N, C, H, W)
    gn_param: dict = {}
    _, cache = L.spatial_groupnorm_forward(x, gamma, beta, G, gn_param)
    grads = L.spatial_groupnorm_backward(dout, cache)
    numeric = numeric_grads(lambda: L.spatial_groupnorm_forward(x, gamma, beta, G, gn_param)[0],
                            [x, gamma, beta], dout, h=1e-5)
    assert_grads(grads, numeric, 1e-6, ["dx", "dgamma", "dbeta"])


# --------------------------------------------------------------------------- layers: dropout


@covers("layers.dropout_forward", "layers.dropout_backward")
def test_dropout_keeps_the_mean_and_gradient_check():
    L = course("layers")
    np.random.seed(231)
    x = np.random.randn(500, 500) + 10
    for p in (0.25, 0.6):
        out_train, _ = L.dropout_forward(x, {"mode": "train", "p": p})
        out_test, _ = L.dropout_forward(x, {"mode": "test", "p": p})
        assert abs(out_train.mean() - x.mean()) < 0.02 * x.mean()      # inverted dropout keeps the mean
        assert abs((out_train == 0).mean() - (1 - p)) < 0.01           # p is the keep probability
        np.testing.assert_array_equal(out_test, x)
    x = np.random.randn(10, 10) + 10
    dout = np.random.randn(*x.shape)
    param = {"mode": "train", "p": 0.2, "seed": 123}                   # seeded: the same mask each call
    _, cache = L.dropout_forward(x, param)
    dx = L.dropout_backward(dout, cache)
    assert_grads([dx], numeric_grads(lambda: L.dropout_forward(x, param)[0], [x], dout), 1e-8, ["dx"])


# --------------------------------------------------------------------------- layers: conv and pool (naive)


def conv_by_loop(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = np.sum(xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                                             * w[f]) + b[f]
    return out


@covers("layers.conv_forward_naive")
def test_conv_forward_naive_on_linspace_matches_a_loop():
    L = course("layers")
    x_shape, w_shape = (2, 3, 4, 4), (3, 3, 4, 4)
    x = np.linspace(-0.1, 0.5, num=np.prod(x_shape)).reshape(x_shape)
    w = np.linspace(-0.2, 0.3, num=np.prod(w_shape)).reshape(w_shape)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = L.conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    assert out.shape == (2, 3, 2, 2)
    assert rel_error(out, conv_by_loop(x, w, b, 2, 1)) < 1e-9


@covers("layers.conv_backward_naive")
def test_conv_backward_naive_gradient_check():
    L = course("layers")
    np.random.seed(231)
    x, w, b = np.random.randn(4, 3, 5, 5), np.random.randn(2, 3, 3, 3), np.random.randn(2)
    dout = np.random.randn(4, 2, 5, 5)
    conv_param = {"stride": 1, "pad": 1}
    _, cache = L.conv_forward_naive(x, w, b, conv_param)
    grads = L.conv_backward_naive(dout, cache)
    numeric = numeric_grads(lambda: L.conv_forward_naive(x, w, b, conv_param)[0], [x, w, b], dout, h=1e-5)
    assert_grads(grads, numeric, 1e-7, ["dx", "dw", "db"])      # the notebook: "around e-8 or less"


def test_conv_forward_naive_accepts_an_integer_bias():
    # The image-processing aside: a grey-scale filter plus a 128 brightness bias, written as ints.
    L = course("layers")
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 3, 8, 8))
    w = np.zeros((2, 3, 3, 3))
    w[0, :, 1, 1] = [0.3, 0.6, 0.1]                 # grey scale
    w[1, 2] = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]  # edges in the blue channel
    b = np.array([0, 128])
    out, _ = L.conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    assert rel_error(out, conv_by_loop(x, w, b.astype(float), 1, 1)) < 1e-9


def test_batchnorm_accepts_integer_gamma_and_beta():
    L = course("layers")
    x = np.random.default_rng(1).normal(3, 5, size=(50, 3))
    out, _ = L.batchnorm_forward(x, np.array([1, 2, 3]), np.array([0, 1, 2]), {"mode": "train"})
    assert np.allclose(out.mean(axis=0), [0, 1, 2]) and np.allclose(out.std(axis=0), [1, 2, 3], rtol=1e-4)


def pool_by_loop(x, ph, pw, stride):
    N, C, H, W = x.shape
    H_out, W_out = (H - ph) // stride + 1, (W - pw) // stride + 1
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw].max()
    return out


@covers("layers.max_pool_forward_naive")
def test_max_pool_forward_naive_on_linspace_matches_a_loop():
    L = course("layers")
    x_shape = (2, 3, 4, 4)
    x = np.linspace(-0.3, 0.4, num=np.prod(x_shape)).reshape(x_shape)
    out, _ = L.max_pool_forward_naive(x, {"pool_width": 2, "pool_height": 2, "stride": 2})
    assert out.shape == (2, 3, 2, 2)
    assert rel_error(out, pool_by_loop(x, 2, 2, 2)) < 1e-12


@covers("layers.max_pool_backward_naive")
def test_max_pool_backward_naive_gradient_check():
    L = course("layers")
    np.random.seed(231)
    x = np.random.permutation(3 * 2 * 8 * 8).reshape(3, 2, 8, 8) / 10.0   # distinct: away from ties
    dout = np.random.randn(3, 2, 4, 4)
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    _, cache = L.max_pool_forward_naive(x, pool_param)
    dx = L.max_pool_backward_naive(dout, cache)
    numeric = numeric_grads(lambda: L.max_pool_forward_naive(x, pool_param)[0], [x], dout, h=1e-5)
    assert_grads([dx], numeric, 1e-8, ["dx"])


# --------------------------------------------------------------------------- fast layers


@covers("fast_layers.conv_forward_fast", "fast_layers.conv_backward_fast",
        "fast_layers.conv_forward_im2col", "fast_layers.conv_backward_im2col",
        "fast_layers.conv_forward_strides", "fast_layers.conv_backward_strides")
@pytest.mark.parametrize("kind", ["fast", "im2col", "strides"])
@pytest.mark.parametrize("stride, pad", [(2, 1), (1, 0)], ids=["s2p1", "s1p0"])
def test_fast_conv_equals_naive(kind, stride, pad):
    L, FL = course("layers"), course("fast_layers")
    np.random.seed(231)
    x, w, b = np.random.randn(10, 3, 15, 15), np.random.randn(25, 3, 3, 3), np.random.randn(25)
    conv_param = {"stride": stride, "pad": pad}
    out_naive, cache_naive = L.conv_forward_naive(x, w, b, conv_param)
    out_fast, cache_fast = getattr(FL, f"conv_forward_{kind}")(x, w, b, conv_param)
    assert rel_error(out_naive, out_fast) < 1e-11
    dout = np.random.randn(*out_naive.shape)
    fast = getattr(FL, f"conv_backward_{kind}")(dout, cache_fast)
    assert_grads(fast, L.conv_backward_naive(dout, cache_naive), 1e-11, ["dx", "dw", "db"])


@covers("fast_layers.max_pool_forward_fast", "fast_layers.max_pool_backward_fast",
        "fast_layers.max_pool_forward_reshape", "fast_layers.max_pool_backward_reshape",
        "fast_layers.max_pool_forward_im2col", "fast_layers.max_pool_backward_im2col")
@pytest.mark.parametrize("kind", ["fast", "reshape", "im2col"])
def test_fast_max_pool_equals_naive(kind):
    L, FL = course("layers"), course("fast_layers")
    np.random.seed(231)
    x = np.random.randn(20, 3, 16, 16)
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out_naive, cache_naive = L.max_pool_forward_naive(x, pool_param)
    out_fast, cache_fast = getattr(FL, f"max_pool_forward_{kind}")(x, pool_param)
    assert rel_error(out_naive, out_fast) == 0
    dout = np.random.randn(*out_naive.shape)
    dx = getattr(FL, f"max_pool_backward_{kind}")(dout, cache_fast)
    assert rel_error(dx, L.max_pool_backward_naive(dout, cache_naive)) == 0


# --------------------------------------------------------------------------- layer utils (sandwiches)


@covers("layer_utils.affine_relu_forward", "layer_utils.affine_relu_backward")
def test_affine_relu_gradient_check():
    LU = course("layer_utils")
    np.random.seed(231)
    x, w, b = np.random.randn(2, 3, 4), np.random.randn(12, 10), np.random.randn(10)
    dout = np.random.randn(2, 10)
    _, cache = LU.affine_relu_forward(x, w, b)
    grads = LU.affine_relu_backward(dout, cache)
    numeric = numeric_grads(lambda: LU.affine_relu_forward(x, w, b)[0], [x, w, b], dout, h=1e-5)
    assert_grads(grads, numeric, 1e-8, ["dx", "dw", "db"])


@covers("layer_utils.affine_norm_relu_forward", "layer_utils.affine_norm_relu_backward")
@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_affine_norm_relu_gradient_check(normalization):
    LU = course("layer_utils")
    np.random.seed(231)
    x, w, b = np.random.randn(4, 6), np.random.randn(6, 5), np.random.randn(5)
    gamma, beta = np.random.randn(5), np.random.randn(5)
    dout = np.random.randn(4, 5)
    param = {"mode": "train"}
    _, cache = LU.affine_norm_relu_forward(x, w, b, gamma, beta, param, normalization)
    grads = LU.affine_norm_relu_backward(dout, cache)
    numeric = numeric_grads(lambda: LU.affine_norm_relu_forward(x, w, b, gamma, beta, param, normalization)[0],
                            [x, w, b, gamma, beta], dout, h=1e-5)
    if normalization == "batchnorm":
        assert_grads_with_bias_under_batchnorm(grads, numeric)
    else:
        assert_grads(grads, numeric, 1e-6, ["dx", "dw", "db", "dgamma", "dbeta"])


@covers("layer_utils.conv_relu_forward", "layer_utils.conv_relu_backward")
def test_conv_relu_gradient_check():
    LU = course("layer_utils")
    np.random.seed(231)
    x, w, b = np.random.randn(2, 3, 8, 8), np.random.randn(3, 3, 3, 3), np.random.randn(3)
    dout = np.random.randn(2, 3, 8, 8)
    conv_param = {"stride": 1, "pad": 1}
    _, cache = LU.conv_relu_forward(x, w, b, conv_param)
    grads = LU.conv_relu_backward(dout, cache)
    numeric = numeric_grads(lambda: LU.conv_relu_forward(x, w, b, conv_param)[0], [x, w, b], dout, h=1e-5)
    assert_grads(grads, numeric, 1e-8, ["dx", "dw", "db"])


@covers("layer_utils.conv_relu_pool_forward", "layer_utils.conv_relu_pool_backward")
def test_conv_relu_pool_gradient_check():
    LU = course("layer_utils")
    np.random.seed(231)
    x, w, b = np.random.randn(2, 3, 16, 16), np.random.randn(3, 3, 3, 3), np.random.randn(3)
    dout = np.random.randn(2, 3, 8, 8)
    conv_param, pool_param = {"stride": 1, "pad": 1}, {"pool_height": 2, "pool_width": 2, "stride": 2}
    _, cache = LU.conv_relu_pool_forward(x, w, b, conv_param, pool_param)
    grads = LU.conv_relu_pool_backward(dout, cache)
    numeric = numeric_grads(lambda: LU.conv_relu_pool_forward(x, w, b, conv_param, pool_param)[0],
                            [x, w, b], dout, h=1e-5)
    assert_grads(grads, numeric, 1e-7, ["dx", "dw", "db"])


@covers("layer_utils.conv_bn_relu_forward", "layer_utils.conv_bn_relu_backward")
def test_conv_bn_relu_gradient_check():
    LU = course("layer_utils")
    np.random.seed(231)
    x, w, b = np.random.randn(2, 3, 6, 6), np.random.randn(3, 3, 3, 3), np.random.randn(3)
    gamma, beta = np.random.randn(3), np.random.randn(3)
    dout = np.random.randn(2, 3, 6, 6)
    conv_param, bn_param = {"stride": 1, "pad": 1}, {"mode": "train"}
    _, cache = LU.conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param)
    grads = LU.conv_bn_relu_backward(dout, cache)
    numeric = numeric_grads(lambda: LU.conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param)[0],
                            [x, w, b, gamma, beta], dout, h=1e-5)
    assert_grads_with_bias_under_batchnorm(grads, numeric)


# --------------------------------------------------------------------------- models


@covers("classifiers.cnn.ThreeLayerConvNet")
def test_three_layer_convnet_initial_loss_and_gradient_check():
    ThreeLayerConvNet = course("classifiers.cnn").ThreeLayerConvNet
    gc = course("gradient_check")
    np.random.seed(231)
    N = 50
    X, y = np.random.randn(N, 3, 32, 32), np.random.randint(10, size=N)
    model = ThreeLayerConvNet()                                   # float32, fed float64 X as in the notebook
    loss, _ = model.loss(X, y)
    assert abs(loss - np.log(10)) < 0.01                      # small weights: uniform scores
    model.reg = 0.5
    loss_reg, _ = model.loss(X, y)
    assert loss_reg > loss

    X, y = np.random.randn(2, 3, 8, 8), np.random.randint(10, size=2)
    model = ThreeLayerConvNet(num_filters=3, filter_size=3, input_dim=(3, 8, 8), hidden_dim=7,
                              weight_scale=1e-1, dtype=np.float64)
    _, grads = model.loss(X, y)
    for name in sorted(model.params):
        num = gc.eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False,
                                         h=1e-6)
        assert rel_error(num, grads[name]) < 1e-2, name    # the notebook's bound (ReLU/max-pool kinks)


@covers("classifiers.fc_net.FullyConnectedNet")
@pytest.mark.parametrize("reg", [0.0, 3.14])
def test_fully_connected_net_initial_loss_and_gradient_check(reg):
    FullyConnectedNet = course("classifiers.fc_net").FullyConnectedNet
    gc = course("gradient_check")
    np.random.seed(231)
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X, y = np.random.randn(N, D), np.random.randint(C, size=(N,))
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-2,
                              dtype=np.float64)
    loss, grads = model.loss(X, y)
    if reg == 0:
        assert abs(loss - np.log(C)) < 0.05
    for name in sorted(grads):
        num = gc.eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False,
                                         h=1e-5)
        # Tiny entries (~1e-5) of W2's gradient put its entrywise error near 2e-5 with these
        # seeded weights; the other parameters are ~1e-7 or less.
        assert rel_error(num, grads[name]) < 1e-4, name


@covers("classifiers.fc_net.FullyConnectedNet")
@pytest.mark.parametrize("normalization, keep", [("batchnorm", 1), ("layernorm", 1), (None, 0.5)],
                         ids=["batchnorm", "layernorm", "dropout"])
def test_fully_connected_net_options_gradient_check(normalization, keep):
    FullyConnectedNet = course("classifiers.fc_net").FullyConnectedNet
    gc = course("gradient_check")
    np.random.seed(231)
    N, D, H1, H2, C = 4, 15, 20, 30, 10
    X, y = np.random.randn(N, D), np.random.randint(C, size=(N,))
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, normalization=normalization,
                              dropout_keep_ratio=keep, seed=123, weight_scale=5e-2, dtype=np.float64)
    _, grads = model.loss(X, y)
    for name in sorted(grads):
        num = gc.eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False,
                                         h=1e-5)
        assert rel_error(num, grads[name]) < 1e-5, name


@covers("classifiers.cnn.ThreeLayerConvNet", "classifiers.fc_net.FullyConnectedNet")
@pytest.mark.parametrize("model_name", ["ThreeLayerConvNet", "FullyConnectedNet"])
def test_seeding_numpy_twice_gives_the_same_model(model_name):
    if model_name == "ThreeLayerConvNet":
        make = lambda: course("classifiers.cnn").ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4)  # noqa: E731
    else:
        make = lambda: course("classifiers.fc_net").FullyConnectedNet([20, 30], input_dim=15)  # noqa: E731
    np.random.seed(231)
    first = make()
    np.random.seed(231)
    second = make()
    assert sorted(first.params) == sorted(second.params)
    for name in first.params:
        np.testing.assert_array_equal(first.params[name], second.params[name], err_msg=name)


@covers("solver.Solver")
def test_solver_overfits_a_small_training_set():
    FullyConnectedNet = course("classifiers.fc_net").FullyConnectedNet
    Solver = course("solver").Solver
    np.random.seed(231)
    small_data = {
        "X_train": np.random.randn(50, 3, 4, 4), "y_train": np.random.randint(10, size=50),
        "X_val": np.random.randn(20, 3, 4, 4), "y_val": np.random.randint(10, size=20),
    }
    model = FullyConnectedNet([100, 100], input_dim=3 * 4 * 4, weight_scale=1e-1, dtype=np.float64)
    solver = Solver(model, small_data, print_every=10, num_epochs=20, batch_size=25, update_rule="adam",
                    optim_config={"learning_rate": 5e-3}, verbose=False)
    solver.train()
    assert len(solver.loss_history) == 20 * 2
    assert max(solver.train_acc_history) == 1.0             # 50 examples memorised within 20 epochs
    assert solver.best_val_acc == max(solver.val_acc_history)


# --------------------------------------------------------------------------- optim


@covers("optim.sgd", "optim.sgd_momentum", "optim.rmsprop", "optim.adam")
@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop", "adam"])
def test_update_rule_takes_the_course_step(rule):
    update = getattr(course("optim"), rule)
    N, D = 4, 5
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    state = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    lr = 1e-2
    if rule == "sgd":
        config, expected = {"learning_rate": lr}, w - lr * dw
    elif rule == "sgd_momentum":
        config = {"learning_rate": lr, "velocity": state.copy()}
        expected = w + (0.9 * state - lr * dw)
    elif rule == "rmsprop":
        config = {"learning_rate": lr, "cache": state.copy()}
        cache = 0.99 * state + 0.01 * dw**2
        expected = w - lr * dw / (np.sqrt(cache) + 1e-8)
    else:
        m, v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D), np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
        config = {"learning_rate": lr, "m": m.copy(), "v": v.copy(), "t": 5}
        m = 0.9 * m + 0.1 * dw
        v = 0.999 * v + 0.001 * dw**2
        t = 6
        expected = w - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    next_w, config = update(w, dw, config)
    assert rel_error(next_w, expected) < 1e-12
    if rule == "adam":
        assert config["t"] == 6


# --------------------------------------------------------------------------- gradient_check


@covers("gradient_check.eval_numerical_gradient", "gradient_check.eval_numerical_gradient_array",
        "gradient_check.grad_check_sparse")
def test_numerical_gradients_of_known_functions(capsys):
    gc = course("gradient_check")
    np.random.seed(231)
    x = np.random.randn(3, 4)
    assert rel_error(gc.eval_numerical_gradient(lambda x: np.sum(x**3), x, verbose=False), 3 * x**2) < 1e-8
    dout = np.random.randn(3, 4)
    assert rel_error(gc.eval_numerical_gradient_array(np.sin, x, dout), np.cos(x) * dout) < 1e-8
    gc.grad_check_sparse(lambda x: np.sum(x**3), x, 3 * x**2, num_checks=5)
    printed = capsys.readouterr().out
    errors = [float(line.rsplit(" ", 1)[-1]) for line in printed.splitlines() if "relative error" in line]
    assert len(errors) == 5 and max(errors) < 1e-8


# --------------------------------------------------------------------------- vis_utils


@covers("vis_utils.visualize_grid", "vis_utils.vis_grid", "vis_utils.vis_nn")
def test_filter_grids_of_a_model():
    VU = course("vis_utils")
    ThreeLayerConvNet = course("classifiers.cnn").ThreeLayerConvNet
    model = ThreeLayerConvNet(seed=0)
    W1 = model.params["W1"].transpose(0, 2, 3, 1)          # (32, 7, 7, 3): the notebook's filter picture
    grid = VU.visualize_grid(W1)
    assert grid.shape == (6 * 7 + 5, 6 * 7 + 5, 3)
    assert grid.min() == 0 and grid.max() == 255
    g = VU.vis_grid(W1)
    assert g.shape == (6 * 8, 6 * 8, 3) and g.min() == 0 and g.max() == 1
    nn = VU.vis_nn([[W1[0], W1[1], W1[2]], [W1[3], W1[4], W1[5]]])
    assert nn.shape == (2 * 8, 3 * 8, 3) and nn.min() == 0 and nn.max() == 1


# --------------------------------------------------------------------------- data_utils


@pytest.fixture
def fake_cifar(tmp_path, monkeypatch):
    """A tiny dataset in the official layout, found the way a notebook finds it (CS231N_DATA_DIR)."""
    from cs231n_cnn.data.cifar10 import DATA_DIR_ENV
    from cs231n_cnn.data.fake import write_fake_cifar10

    directory, _ = write_fake_cifar10(tmp_path, images_per_batch=6, num_test=5, seed=0)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    return directory


@covers("data_utils.get_CIFAR10_data")
def test_get_CIFAR10_data_course_dict(fake_cifar):
    DU = course("data_utils")
    data = DU.get_CIFAR10_data(num_training=20, num_validation=5, num_test=5)
    shapes = {k: v.shape for k, v in data.items()}
    assert shapes == {"X_train": (20, 3, 32, 32), "y_train": (20,), "X_val": (5, 3, 32, 32), "y_val": (5,),
                      "X_test": (5, 3, 32, 32), "y_test": (5,)}
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-3)   # mean subtracted


@covers("data_utils.load_CIFAR10", "data_utils.load_CIFAR_batch")
def test_load_CIFAR10_and_one_batch(fake_cifar):
    DU = course("data_utils")
    Xtr, Ytr, Xte, Yte = DU.load_CIFAR10(fake_cifar)
    assert Xtr.shape == (30, 32, 32, 3) and Ytr.shape == (30,)
    assert Xte.shape == (5, 32, 32, 3) and Yte.shape == (5,)
    X, Y = DU.load_CIFAR_batch(fake_cifar / "data_batch_1")
    assert X.shape[0] == Y.shape[0] == 6
    np.testing.assert_array_equal(np.asarray(X, dtype=np.float64).reshape(6, 32, 32, 3), Xtr[:6])


@covers("data_utils.load_pickle")
def test_load_pickle(tmp_path):
    DU = course("data_utils")
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"W1": np.eye(2)}, protocol=2))
    with open(path, "rb") as f:
        np.testing.assert_array_equal(DU.load_pickle(f)["W1"], np.eye(2))


# --------------------------------------------------------------------------- im2col


@covers("im2col.get_im2col_indices", "im2col.im2col_indices", "im2col.col2im_indices")
def test_im2col_indices_against_a_loop_and_its_adjoint():
    IC = course("im2col")
    np.random.seed(231)
    N, C, H, W, fh, fw, pad, stride = 2, 3, 5, 5, 3, 3, 1, 2
    x = np.random.randn(N, C, H, W)
    k, i, j = IC.get_im2col_indices(x.shape, fh, fw, pad, stride)
    assert k.shape == (C * fh * fw, 1) and i.shape == j.shape == (C * fh * fw, 9)
    cols = IC.im2col_indices(x, fh, fw, pad, stride)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    for c in range(C):
        for a in range(fh):
            for b in range(fw):
                for y in range(3):
                    for xx in range(3):
                        for n in range(N):
                            assert cols[(c * fh + a) * fw + b, (y * 3 + xx) * N + n] == \
                                xp[n, c, y * stride + a, xx * stride + b]
    dcols = np.random.randn(*cols.shape)
    dx = IC.col2im_indices(dcols, x.shape, fh, fw, pad, stride)
    assert np.isclose(np.sum(cols * dcols), np.sum(x * dx), rtol=1e-12)


# --------------------------------------------------------------------------- completeness


def test_every_name_is_checked():
    names = {f"{m}.{n}" for m, ns in COURSE_API.items() for n in ns}
    assert names - CHECKED == set()
