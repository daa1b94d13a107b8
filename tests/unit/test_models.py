"""Models built from specs: shapes, the loss interface, and numerical gradient checks."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.gradient_check import check_gradient, eval_numerical_gradient
from cs231n_cnn.models import ConvNet, FullyConnectedNet, ThreeLayerConvNet
from cs231n_cnn.solver import Solver

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


@pytest.mark.parametrize("kwargs", [{}, {"weight_scale": None, "reg": 0.3}], ids=["course-init", "he-init-reg"])
def test_three_layer_convnet_is_the_three_layer_convnet_spec(kwargs, rng):
    """The student-facing class and ConvNet's spec (what `train` builds) draw and compute the same net."""
    dims = dict(input_dim=(3, 8, 8), num_filters=4, filter_size=5, hidden_dim=6)
    model = ThreeLayerConvNet(**dims, dtype=np.float64, seed=3, **kwargs)
    spec = ConvNet("INPUT[8x8x3] -> CONV5-4 -> RELU -> POOL2 -> FC-6 -> RELU -> FC", dtype=np.float64, seed=3,
                   **{"weight_scale": 1e-3, **kwargs})
    assert _same_params(model.params, spec.params)
    X, y = rng.standard_normal((3, 3, 8, 8)), np.array([0, 9, 4])
    np.testing.assert_allclose(model.loss(X), spec.loss(X), rtol=1e-12)
    (loss, grads), (loss_spec, grads_spec) = model.loss(X, y), spec.loss(X, y)
    assert loss == pytest.approx(loss_spec, rel=1e-12)
    for k in grads_spec:
        np.testing.assert_allclose(grads[k], grads_spec[k], rtol=1e-10, atol=1e-14)


def test_three_layer_convnet_gradients_match_numerical_gradients(rng):
    model = ThreeLayerConvNet(input_dim=(2, 6, 6), num_filters=3, filter_size=3, hidden_dim=5, weight_scale=0.3,
                              reg=0.1, dtype=np.float64, seed=0)
    for k in ("b1", "b2", "b3"):          # non-zero biases: away from ReLU's kink, and reg must leave them alone
        model.params[k] = 0.2 * rng.standard_normal(model.params[k].shape)
    X, y = rng.standard_normal((3, 2, 6, 6)), np.array([1, 0, 7])
    _, grads = model.loss(X, y)
    for name, param in model.params.items():
        num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], param, h=1e-6)
        check_gradient(grads[name], num, tol=1e-6, atol=1e-9, name=f"ThreeLayerConvNet: {name}")


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"input_dim": (3, 7, 8)}, ValueError, r"input_dim H and W must be even .* got H=7, W=8"),
    ({"filter_size": 4}, ValueError, r"filter_size must be odd .* got 4"),
    ({"input_dim": 32}, TypeError, r"input_dim must be a tuple \(C, H, W\), got 32"),
    ({"weight_scale": 0}, ValueError, r"weight_scale \(None for He initialisation\)"),
    ({"reg": -1}, ValueError, r"reg"),
    ({"dtype": np.int32}, ValueError, r"dtype must be float32 or float64, got int32"),
], ids=["odd-H", "even-filter", "input-dim-int", "zero-weight-scale", "negative-reg", "int-dtype"])
def test_three_layer_convnet_refuses_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match="ThreeLayerConvNet: " + pattern):
        ThreeLayerConvNet(**kwargs)


def test_three_layer_convnet_loss_names_the_expected_input_shape(rng):
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, hidden_dim=3)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 3, 8, 8\) .* got \(2, 8, 8, 3\)"):
        model.loss(rng.standard_normal((2, 8, 8, 3)))


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


# ------------------------------------------------------------ FullyConnectedNet

FC_CASES = {
    "plain": dict(normalization=None),
    "batchnorm": dict(normalization="batchnorm"),
    "layernorm": dict(normalization="layernorm"),
    "dropout": dict(dropout_keep_ratio=0.7),
    "batchnorm-dropout": dict(normalization="batchnorm", dropout_keep_ratio=0.7),
    "layernorm-dropout": dict(normalization="layernorm", dropout_keep_ratio=0.7),
}


@pytest.mark.parametrize("kwargs", FC_CASES.values(), ids=FC_CASES.keys())
def test_fc_gradients_match_numerical_gradients(kwargs, rng):
    # seed=123 also fixes the dropout mask (dropout_param['seed']), so the loss is a function of the params.
    model = FullyConnectedNet([6, 5], input_dim=8, num_classes=3, reg=0.1, weight_scale=0.5,
                              dtype=np.float64, seed=123, **kwargs)
    for name, param in model.params.items():
        if not name.startswith("W"):
            # Check at a random point: with zero biases an example whose hidden units are all dead
            # puts the next layer exactly on ReLU's kink (0 + b = 0).
            param += 0.1 * rng.standard_normal(param.shape)
    X = rng.standard_normal((5, 2, 2, 2))  # flattened to (5, 8)
    y = np.array([0, 2, 1, 1, 0])
    loss, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name, param in model.params.items():
        num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], param, h=1e-6)
        # atol: a bias feeding batch or layer norm has a true gradient of 0 (batch norm), numerically ~1e-10.
        check_gradient(grads[name], num, tol=1e-6, atol=1e-8, name=f"{kwargs}: {name}")


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"],
                         ids=["plain", "batchnorm", "layernorm"])
def test_fc_has_the_course_parameters(normalization):
    model = FullyConnectedNet([100, 50], normalization=normalization, seed=0)
    shapes = {k: v.shape for k, v in model.params.items()}
    expected = {"W1": (3072, 100), "b1": (100,), "W2": (100, 50), "b2": (50,), "W3": (50, 10), "b3": (10,)}
    if normalization is not None:  # no gamma/beta for the last (scores) layer
        expected |= {"gamma1": (100,), "beta1": (100,), "gamma2": (50,), "beta2": (50,)}
    assert shapes == expected
    assert model.num_layers == 3
    assert {v.dtype for v in model.params.values()} == {np.dtype(np.float32)}
    assert model.params["W1"].std() == pytest.approx(1e-2, rel=0.05)  # weight_scale
    assert model.bn_params == {None: [], "batchnorm": [{"mode": "train"}] * 2, "layernorm": [{}, {}]}[normalization]
    assert model.dropout_param == {} and not model.use_dropout


def test_fc_dropout_param_as_in_the_course():
    seeded = FullyConnectedNet([4], dropout_keep_ratio=0.5, seed=7)
    assert seeded.dropout_param == {"mode": "train", "p": 0.5, "seed": 7}
    assert FullyConnectedNet([4], dropout_keep_ratio=0.5).dropout_param == {"mode": "train", "p": 0.5}


def test_fc_initial_loss_is_about_log_num_classes(rng):
    model = FullyConnectedNet([100, 100], weight_scale=1e-2, dtype=np.float64, seed=0)
    X = rng.standard_normal((50, 3, 32, 32))
    y = rng.integers(10, size=50)
    loss, _ = model.loss(X, y)
    assert loss == pytest.approx(np.log(10), abs=0.02)
    model.reg = 1.0
    loss_reg, _ = model.loss(X, y)
    expected = 0.5 * sum(np.sum(model.params[f"W{i}"] ** 2) for i in (1, 2, 3))  # weights only
    assert loss_reg == pytest.approx(loss + expected, rel=1e-12)


def test_fc_hand_worked_network():
    """D=2 -> 2 hidden -> 2 classes with weights set by hand (no normalization)."""
    model = FullyConnectedNet([2], input_dim=2, num_classes=2, dtype=np.float64)
    model.params.update(W1=np.array([[1.0, -1.0], [2.0, 0.5]]), b1=np.array([0.0, 1.0]),
                        W2=np.array([[1.0, 0.0], [0.0, 2.0]]), b2=np.array([0.5, -0.5]))
    X = np.array([[1.0, 2.0]])
    # hidden = relu([1 + 4, -1 + 1 + 1]) = [5, 1]; scores = [5.5, 1.5]
    np.testing.assert_allclose(model.loss(X), [[5.5, 1.5]])
    loss, _ = model.loss(X, np.array([1]))
    assert loss == pytest.approx(np.log(1 + np.exp(4.0)))


def test_fc_test_mode_uses_running_statistics_and_no_dropout(rng):
    model = FullyConnectedNet([20], input_dim=6, num_classes=3, normalization="batchnorm", dropout_keep_ratio=0.5,
                              dtype=np.float64)
    X = rng.standard_normal((8, 6))
    model.loss(X, rng.integers(3, size=8))  # train mode: running statistics stored
    assert "running_mean" in model.bn_params[0]
    a, b = model.loss(X), model.loss(X[:1])
    assert model.bn_params[0]["mode"] == "test" and model.dropout_param["mode"] == "test"
    np.testing.assert_allclose(a[:1], b, rtol=1e-12)  # each example scored on its own: no batch statistics, no mask


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"],
                         ids=["plain", "batchnorm", "layernorm"])
def test_fc_overfits_a_tiny_dataset_with_the_solver(normalization):
    data_rng = np.random.default_rng(0)
    X = data_rng.standard_normal((40, 3, 4, 4))
    y = data_rng.integers(10, size=40)
    data = {"X_train": X[:20], "y_train": y[:20], "X_val": X[20:], "y_val": y[20:]}
    model = FullyConnectedNet([50, 50], input_dim=48, normalization=normalization, weight_scale=5e-2, seed=0)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 5e-3}, num_epochs=30,
                    batch_size=10, seed=0, verbose=False, progress=False, restore_best=False)
    solver.train()
    assert solver.loss_history[0] > 2.0 and solver.loss_history[-1] < 0.1
    assert solver.check_accuracy(data["X_train"], data["y_train"]) == 1.0


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"hidden_dims": 100}, TypeError,
         r"hidden_dims must be a list of layer widths such as \[100, 100\], got 100 \(int\)"),
        ({"hidden_dims": [100, 0]}, ValueError, r"hidden_dims\[1\] must be positive, got hidden_dims\[1\]=0"),
        ({"hidden_dims": [2.5]}, TypeError, r"hidden_dims\[0\] must be an integer, got 2.5"),
        ({"normalization": "bn"}, ValueError, r"normalization must be None, 'batchnorm' or 'layernorm', got 'bn'"),
        ({"normalization": True}, TypeError, r"normalization must be None, .* got True \(bool\)"),
        ({"dropout_keep_ratio": 0}, ValueError, r"dropout_keep_ratio must lie in \(0, 1\], got dropout_keep_ratio=0"),
        ({"dropout_keep_ratio": 1.5}, ValueError,
         r"dropout_keep_ratio must lie in \(0, 1\], got dropout_keep_ratio=1.5"),
        ({"weight_scale": 0}, ValueError, r"weight_scale must lie in \(0, inf\), got weight_scale=0"),
        ({"reg": -1}, ValueError, r"reg must lie in \[0, inf\), got reg=-1"),
        ({"input_dim": 0}, ValueError, r"input_dim must be positive, got input_dim=0"),
        ({"num_classes": 10.0}, TypeError, r"num_classes must be an integer, got 10.0"),
        ({"dtype": np.int32}, ValueError, r"dtype must be float32 or float64, got int32"),
        ({"seed": -1}, ValueError, r"seed must be >= 0, got seed=-1"),
    ],
    ids=["hidden-int", "hidden-zero", "hidden-float", "norm-unknown", "norm-bool", "keep-0", "keep-1.5",
         "scale-0", "reg-negative", "input-0", "classes-float", "dtype-int", "seed-negative"],
)
def test_fc_bad_construction(kwargs, error, pattern):
    kwargs = {"hidden_dims": [10], **kwargs}
    with pytest.raises(error, match="FullyConnectedNet: " + pattern):
        FullyConnectedNet(**kwargs)


def test_fc_options_are_keyword_only():
    with pytest.raises(TypeError):
        FullyConnectedNet([10], 3072)


def test_fc_wrong_input_size_names_input_dim(rng):
    model = FullyConnectedNet([4], input_dim=12, dtype=np.float64)
    pattern = r"X must have shape \(N, ...\) with input_dim=12 values per example, got shape \(2, 3, 3\)"
    with pytest.raises(ValueError, match=pattern):
        model.loss(rng.standard_normal((2, 3, 3)))


# ------------------------------------------------------------ reproducible under np.random.seed

def _same_params(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("build", [
    lambda **kw: ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4, hidden_dim=6, **kw),
    lambda **kw: ConvNet("INPUT[4x4x2] -> CONV3-3 -> RELU -> FC-6 -> RELU -> DROPOUT0.5 -> FC", **kw),
    lambda **kw: FullyConnectedNet([6, 5], input_dim=8, normalization="batchnorm", dropout_keep_ratio=0.5, **kw),
], ids=["ThreeLayerConvNet", "ConvNet-dropout", "FullyConnectedNet-dropout"])
def test_without_seed_models_follow_np_random_seed(build):
    np.random.seed(231)
    m1 = build(dtype=np.float64)
    np.random.seed(231)
    m2 = build(dtype=np.float64)
    assert _same_params(m1.params, m2.params)
    m3 = build(dtype=np.float64)  # the global state moved on: another model
    assert not np.array_equal(m1.params["W1"], m3.params["W1"])
    # Dropout masks follow the global seed too: the same training losses, call after call.
    X = np.random.default_rng(0).standard_normal((4, 2, 2, 2)) if "W1" in m1.params and m1.params["W1"].ndim == 2 \
        else None
    if X is None:
        chw = m1.input_dim if isinstance(m1, ThreeLayerConvNet) else m1.architecture.input_shape[::-1]
        X = np.random.default_rng(0).standard_normal((4, *chw))
    y = np.array([0, 1, 2, 3])
    np.random.seed(5)
    first = [m1.loss(X, y)[0] for _ in range(3)]
    np.random.seed(5)
    second = [m2.loss(X, y)[0] for _ in range(3)]
    assert first == second


def test_three_layer_convnet_without_seed_draws_the_courses_weights():
    """Under np.random.seed the weights are exactly the course's weight_scale * np.random.randn(...)."""
    np.random.seed(231)
    model = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4, filter_size=3, hidden_dim=6, dtype=np.float64)
    np.random.seed(231)
    course = [1e-3 * np.random.randn(4, 3, 3, 3), 1e-3 * np.random.randn(4 * 4 * 4, 6), 1e-3 * np.random.randn(6, 10)]
    for i, w in enumerate(course, start=1):
        np.testing.assert_array_equal(model.params[f"W{i}"], w)


def test_fc_without_seed_draws_the_courses_weights():
    np.random.seed(231)
    model = FullyConnectedNet([6, 5], input_dim=8, weight_scale=5e-2, dtype=np.float64)
    np.random.seed(231)
    for i, (d_in, d_out) in enumerate([(8, 6), (6, 5), (5, 10)], start=1):
        np.testing.assert_array_equal(model.params[f"W{i}"], np.random.randn(d_in, d_out) * 5e-2)


def test_explicit_seed_keeps_its_own_generator_and_leaves_global_state_alone():
    np.random.seed(0)
    before = np.random.get_state()
    a = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4, hidden_dim=6, dtype=np.float64, seed=7)
    ConvNet("INPUT[4x4x2] -> FC-6 -> DROPOUT0.5 -> FC", dtype=np.float64, seed=7)
    FullyConnectedNet([6], input_dim=8, dropout_keep_ratio=0.5, dtype=np.float64, seed=7)
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    # The seeded draws are default_rng(SeedSequence(seed)), in layer order, as before global seeding existed.
    g = np.random.default_rng(np.random.SeedSequence(7))
    np.testing.assert_array_equal(a.params["W1"], 1e-3 * g.standard_normal((4, 3, 7, 7)))
    np.random.seed(1)
    b = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4, hidden_dim=6, dtype=np.float64, seed=7)
    assert _same_params(a.params, b.params)  # whatever the global state
    assert ConvNet("INPUT[4x4x2] -> FC-6 -> DROPOUT0.5 -> FC", seed=7).dropout_state == {"entropy": 7, "calls": 0}
