"""Models built from specs: shapes, the loss interface, and numerical gradient checks."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient
from cs231n_cnn.models import ConvNet, ThreeLayerConvNet

# Tiny specs that together use every layer kind the builder supports.
SPECS = {
    "conv-relu-pool-fc": "INPUT[6x6x2] -> CONV3-3 -> RELU -> POOL2 -> FC-5 -> RELU -> FC",
    "strided-conv-avgpool": "INPUT[7x7x2] -> CONV3-3 S2 P1 -> RELU -> AVGPOOL2 -> FC",
    "l2pool-overlapping": "INPUT[7x7x1] -> CONV3-2 -> RELU -> L2POOL3 S2 -> FC",
    "local-norm": "INPUT[5x5x3] -> LOCAL3-2 P0 -> RELU -> NORM -> FC",
    "batchnorm-both-kinds": "INPUT[4x4x2] -> CONV3-3 -> BN -> RELU -> FC-6 -> BN -> RELU -> FC",
    "dropout": "INPUT[4x4x2] -> CONV3-3 -> RELU -> FC-6 -> RELU -> DROPOUT0.7 -> FC",
}


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_gradients_match_numerical_gradients(spec, rng):
    model = ConvNet(spec, num_classes=4, reg=0.1, dtype=np.float64, seed=0)
    model.dropout_seed = 123  # same dropout masks on every call
    H, W, D = model.architecture.input_shape
    X = rng.standard_normal((3, D, H, W))
    y = np.array([0, 3, 1])
    loss, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name, param in model.params.items():
        num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], param, h=1e-6)
        # Kinks of ReLU/max can bite at random points; a small h and float64 keep
        # them rare, and these seeded inputs are checked to stay clear of them.
        # atol: a bias feeding batch norm has a true gradient of 0, numerically ~1e-10.
        check_gradient(grads[name], num, tol=1e-5, atol=1e-8, name=f"{spec}: {name}")


def test_three_layer_convnet_has_the_course_parameter_shapes():
    model = ThreeLayerConvNet(dtype=np.float64, seed=0)
    shapes = {k: v.shape for k, v in model.params.items()}
    assert shapes == {"W1": (32, 3, 7, 7), "b1": (32,), "W2": (32 * 16 * 16, 100), "b2": (100,),
                      "W3": (100, 10), "b3": (10,)}
    # course default weight_scale=1e-3
    assert 0.5e-3 < model.params["W1"].std() < 1.5e-3


def test_initial_loss_is_about_log_num_classes(rng):
    model = ThreeLayerConvNet(weight_scale=1e-3, dtype=np.float64, seed=1)
    X = rng.standard_normal((20, 3, 32, 32))
    y = rng.integers(10, size=20)
    loss, _ = model.loss(X, y)
    assert loss == pytest.approx(np.log(10), abs=0.02)
    model.reg = 1.0
    loss_reg, _ = model.loss(X, y)
    assert loss_reg > loss


def test_he_initialisation_scale():
    model = ConvNet("INPUT[8x8x16] -> CONV3-64 -> RELU -> FC-500 -> FC", dtype=np.float64, seed=0)
    assert model.params["W1"].std() == pytest.approx(np.sqrt(2 / (16 * 9)), rel=0.05)
    assert model.params["W2"].std() == pytest.approx(np.sqrt(2 / (8 * 8 * 64)), rel=0.05)


def test_hand_worked_network():
    """INPUT[1x1x2] -> FC-2 -> RELU -> FC with weights set by hand."""
    model = ConvNet("INPUT[1x1x2] -> FC-2 -> RELU -> FC", num_classes=2, dtype=np.float64)
    model.params.update(W1=np.array([[1.0, -1.0], [2.0, 0.5]]), b1=np.array([0.0, 1.0]),
                        W2=np.array([[1.0, 0.0], [0.0, 2.0]]), b2=np.array([0.5, -0.5]))
    X = np.array([[[[1.0]], [[2.0]]]])  # one image, x = (1, 2)
    # hidden = relu([1*1 + 2*2, -1*1 + 0.5*2 + 1]) = relu([5, 1]) = [5, 1]; scores = [5.5, 1.5]
    np.testing.assert_allclose(model.loss(X), [[5.5, 1.5]])
    loss, _ = model.loss(X, np.array([1]))
    assert loss == pytest.approx(np.log(1 + np.exp(4.0)))


def test_float32_model_keeps_float32(rng):
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4, hidden_dim=6, dtype=np.float32, seed=0)
    X = rng.standard_normal((2, 3, 8, 8))  # float64 input is cast to the model's dtype
    scores = model.loss(X)
    assert scores.dtype == np.float32
    _, grads = model.loss(X, np.array([1, 2]))
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}


def test_dropout_only_in_training_and_seeded(rng):
    spec = "INPUT[2x2x1] -> FC-50 -> RELU -> DROPOUT0.5 -> FC"
    X = rng.standard_normal((4, 1, 2, 2))
    a, b = ConvNet(spec, dtype=np.float64, seed=3), ConvNet(spec, dtype=np.float64, seed=3)
    np.testing.assert_array_equal(a.loss(X), a.loss(X))  # test mode: deterministic
    la, lb = a.loss(X, np.zeros(4, int))[0], b.loss(X, np.zeros(4, int))[0]
    assert la == lb  # same seed, same weights and masks
    assert a.loss(X, np.zeros(4, int))[0] != la  # the next mask differs


def test_overfits_a_tiny_dataset(rng):
    """A few hundred plain SGD steps drive the loss on 8 examples near zero."""
    model = ConvNet("INPUT[6x6x1] -> CONV3-4 -> RELU -> POOL2 -> FC-16 -> RELU -> FC", num_classes=3,
                    dtype=np.float64, seed=0)
    X = rng.standard_normal((8, 1, 6, 6))
    y = rng.integers(3, size=8)
    first = model.loss(X, y)[0]
    for _ in range(300):
        loss, grads = model.loss(X, y)
        for k in model.params:
            model.params[k] -= 0.05 * grads[k]
    assert first > 0.5 and loss < 0.05


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"spec": "INPUT[4x4x1] -> CONV3-2 -> RELU"}, r"must end with an FC layer .* ends with RELU; add '-> FC'"),
        ({"spec": "INPUT[4x4x1] -> FC", "dtype": np.int32}, r"dtype must be float32 or float64, got int32"),
        ({"spec": "INPUT[4x4x1] -> FC", "weight_scale": 0}, r"weight_scale must be positive"),
        ({"spec": "INPUT[4x4x1] -> FC", "reg": -1}, r"reg must be >= 0, got -1"),
        ({"spec": "INPUT[10x10x1] -> CONV3-4 S2 P0 -> FC"}, r"\(10 - 3 \+ 2\*0\)/2 \+ 1 = 4\.5"),
    ],
)
def test_bad_construction(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        ConvNet(**kwargs)


def test_wrong_input_shape_names_the_expected_layout(rng):
    model = ConvNet("INPUT[8x6x3] -> FC", dtype=np.float64)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 3, 8, 6\) for INPUT\[8x6x3\] \(NCHW\), got \(2, 8, 6, 3\)"):
        model.loss(rng.standard_normal((2, 8, 6, 3)))


def test_zoo_names_build(rng):
    model = ConvNet("three_layer_convnet", dtype=np.float32, seed=0)
    assert model.params["W1"].shape == (32, 3, 7, 7)
    assert "ConvNet('INPUT[32x32x3] -> CONV7-32" in repr(model)
