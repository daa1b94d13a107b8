"""Tests for inverted dropout (cs231n_cnn.layers.dropout)."""

import numpy as np
import pytest

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient_array
from cs231n_cnn.layers.dropout import dropout_backward, dropout_forward


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9], ids=["p=0.1", "p=0.5", "p=0.9"])
def test_keep_fraction_and_expectation(p):
    x = np.full((400, 500), 2.0)
    n = x.size
    out, _ = dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
    kept = out != 0
    # The number kept is Binomial(n, p): allow 5 standard deviations.
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(kept.mean() - p) < 5 * sigma
    # Kept units are scaled by exactly 1/p (inverted dropout), so E[out] = x.
    np.testing.assert_allclose(out[kept], 2.0 / p, rtol=1e-15)
    assert abs(out.mean() - 2.0) < 5 * 2.0 / p * sigma


def test_same_seed_same_mask_different_seed_different_mask():
    x = np.random.default_rng(0).standard_normal((50, 40)) + 5.0  # no zeros in x
    a, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 1})
    b, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 1})
    c, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 2})
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a != 0, c != 0)


def test_generator_seed_advances_and_is_reproducible():
    x = np.ones((30, 30))
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    first, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": g1})
    second, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": g1})
    assert not np.array_equal(first, second)  # a Generator gives a fresh mask each call ...
    again, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": g2})
    np.testing.assert_array_equal(first, again)  # ... reproducibly


def test_seeded_masks_leave_global_numpy_state_untouched():
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    dropout_forward(np.ones((10, 10)), {"mode": "train", "p": 0.5, "seed": 3})
    dropout_forward(np.ones((10, 10)), {"mode": "train", "p": 0.5, "seed": np.random.default_rng(3)})
    assert np.random.random() == expected


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_int_seed_mask_is_default_rng_of_the_seed(dtype):
    """An explicit seed keeps its mask: default_rng(seed) uniforms in the dtype of x, below p."""
    x = np.ones((20, 30), dtype=dtype)
    out, _ = dropout_forward(x, {"mode": "train", "p": 0.4, "seed": 9})
    expected = (np.random.default_rng(9).random(x.shape, dtype=dtype) < 0.4) / dtype(0.4)
    np.testing.assert_array_equal(out, expected.astype(dtype))


def test_no_seed_draws_from_the_global_generator_like_the_course():
    x = np.ones((40, 50))
    np.random.seed(231)
    first, _ = dropout_forward(x, {"mode": "train", "p": 0.5})
    second, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": None})
    assert not np.array_equal(first, second)  # the global state advances: a new mask each call
    np.random.seed(231)
    again, _ = dropout_forward(x, {"mode": "train", "p": 0.5})
    np.testing.assert_array_equal(first, again)  # ... and np.random.seed replays it
    # The course's mask, np.random.rand(*x.shape) < p, after the same seed:
    np.random.seed(231)
    np.testing.assert_array_equal(first, (np.random.rand(*x.shape) < 0.5) / 0.5)


def test_backward_uses_forward_mask():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 30)) + 10.0
    p = 0.3
    out, cache = dropout_forward(x, {"mode": "train", "p": p, "seed": 7})
    dout = rng.standard_normal(x.shape)
    dx = dropout_backward(dout, cache)
    kept = out != 0
    np.testing.assert_array_equal(dx[~kept], 0.0)
    np.testing.assert_allclose(dx[kept], dout[kept] / p, rtol=1e-15)


def test_backward_numerical_with_fixed_seed():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 5))
    dout = rng.standard_normal(x.shape)
    param = {"mode": "train", "p": 0.6, "seed": 11}  # an int seed makes the forward pass a fixed function
    _, cache = dropout_forward(x, param)
    dx = dropout_backward(dout, cache)
    num = eval_numerical_gradient_array(lambda v: dropout_forward(v, param)[0], x, dout)
    check_gradient(dx, num, name="dropout dx")


def test_test_mode_is_identity_copy():
    x = np.random.default_rng(3).standard_normal((3, 4))
    out, cache = dropout_forward(x, {"mode": "test", "p": 0.2})
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x)
    dout = np.arange(12.0).reshape(3, 4)
    dx = dropout_backward(dout, cache)
    np.testing.assert_array_equal(dx, dout)
    assert not np.shares_memory(dx, dout)


def test_keep_probability_one_is_identity_in_train_mode():
    x = np.random.default_rng(4).standard_normal((6, 7))
    out, _ = dropout_forward(x, {"mode": "train", "p": 1.0, "seed": 0})
    np.testing.assert_array_equal(out, x)


def test_float32_preserved_and_inputs_untouched():
    x = np.random.default_rng(5).standard_normal((8, 9)).astype(np.float32)
    x_copy = x.copy()
    param = {"mode": "train", "p": np.float64(0.5), "seed": 0}
    out, cache = dropout_forward(x, param)
    dout = np.ones_like(out)
    dx = dropout_backward(dout, cache)
    assert out.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(dout, 1.0)
    assert param == {"mode": "train", "p": 0.5, "seed": 0}


@pytest.mark.parametrize(
    "param, match",
    [
        ({"mode": "train", "p": 0.0}, r"dropout_param\['p'\] \(keep probability\) must lie in \(0, 1\], got .*=0.0"),
        ({"mode": "train", "p": 1.5}, r"must lie in \(0, 1\], got .*=1.5"),
        ({"mode": "train", "p": -0.2}, r"must lie in \(0, 1\], got .*=-0.2"),
        ({"mode": "train", "p": "0.5"}, r"dropout_param\['p'\] \(keep probability\) must be a real number, got '0.5'"),
        ({"mode": "train", "p": True}, r"must be a real number, got True"),
        ({"mode": "train"}, r"dropout_param is missing \['p'\]"),
        ({"mode": "training", "p": 0.5}, r"dropout_param\['mode'\] must be one of \['train', 'test'\], got 'training'"),
        ({"mode": "train", "p": 0.5, "seed": -1}, r"dropout_param\['seed'\] must be None, a non-negative integer"),
        ({"mode": "train", "p": 0.5, "seed": 1.5}, r"dropout_param\['seed'\] must be None, a non-negative integer"),
        ("train", r"dropout_param must be a dict, got str"),
    ],
    ids=["p=0", "p=1.5", "p-negative", "p-string", "p-bool", "no-p", "bad-mode", "seed-negative", "seed-float",
         "not-a-dict"],
)
def test_bad_params(param, match):
    with pytest.raises(ValueError, match=match):
        dropout_forward(np.ones((2, 2)), param)


def test_bad_x_and_dout():
    with pytest.raises(ValueError, match=r"dropout_forward: x must be a floating-point array"):
        dropout_forward(np.ones((2, 2), dtype=np.complex128), {"mode": "train", "p": 0.5})
    out, _ = dropout_forward(np.ones((2, 2), dtype=np.int64), {"mode": "test", "p": 0.5})   # promoted, as NumPy would
    assert out.dtype == np.float64
    _, cache = dropout_forward(np.ones((2, 2)), {"mode": "train", "p": 0.5, "seed": 0})
    with pytest.raises(ValueError, match=r"dropout_backward: mask \(cache\) must have shape \(2, 3\), got \(2, 2\)"):
        dropout_backward(np.ones((2, 3)), cache)


def test_mode_changed_between_forward_and_backward():
    param = {"mode": "train", "p": 0.5, "seed": 0}
    _, cache = dropout_forward(np.ones((2, 2)), param)
    param["mode"] = "test"
    with pytest.raises(ValueError, match=r"mode'\] is 'test' but the forward pass ran in train mode"):
        dropout_backward(np.ones((2, 2)), cache)
