"""Update rules against steps worked out by hand.

Where the numbers allow, hyperparameters and gradients are dyadic (0.5,
0.75, ...) so that every intermediate value is exact in binary floating
point and the hand-computed results can be compared with ``==``. RMSProp and
Adam divide by square roots; their expected values are written as the
arithmetic itself and compared with a tight tolerance (epsilon=1e-8 moves
them by less than 1e-8 relative).
"""

import math

import numpy as np
import pytest

from cs231n_cnn import optim
from cs231n_cnn.optim import UPDATE_RULES, adam, get_update_rule, nesterov, rmsprop, sgd, sgd_momentum

RULE_NAMES = ["sgd", "sgd_momentum", "nesterov", "rmsprop", "adam"]


def run(rule, w, grads, config):
    """Apply ``rule`` once per gradient; return the list of iterates."""
    out = []
    for dw in grads:
        w, config = rule(w, np.array(dw), config)
        out.append(w)
    return out, config


# ---------------------------------------------------------------- by hand

def test_sgd_two_steps_by_hand():
    # lr = 0.25
    # step 1: [1, -2] - 0.25*[0.5, -1]  = [0.875, -1.75]
    # step 2: [0.875, -1.75] - 0.25*[2, 1] = [0.375, -2.0]
    ws, config = run(sgd, np.array([1.0, -2.0]), [[0.5, -1.0], [2.0, 1.0]], {"learning_rate": 0.25})
    assert np.array_equal(ws[0], [0.875, -1.75])
    assert np.array_equal(ws[1], [0.375, -2.0])
    assert config == {"learning_rate": 0.25}


MOMENTUM_GRADS = [[0.5, -1.0], [1.0, 0.25], [-0.5, 0.5]]


def test_sgd_momentum_three_steps_by_hand():
    # lr = 0.5, mu = 0.75, w0 = [1, -2], v0 = 0
    # v1 = 0.75*0 - 0.5*[0.5, -1]            = [-0.25, 0.5]        w1 = [0.75, -1.5]
    # v2 = 0.75*v1 - 0.5*[1, 0.25]
    #    = [-0.1875 - 0.5, 0.375 - 0.125]    = [-0.6875, 0.25]     w2 = [0.0625, -1.25]
    # v3 = 0.75*v2 - 0.5*[-0.5, 0.5]
    #    = [-0.515625 + 0.25, 0.1875 - 0.25] = [-0.265625, -0.0625] w3 = [-0.203125, -1.3125]
    config = {"learning_rate": 0.5, "momentum": 0.75}
    ws, config = run(sgd_momentum, np.array([1.0, -2.0]), MOMENTUM_GRADS, config)
    assert np.array_equal(ws[0], [0.75, -1.5])
    assert np.array_equal(ws[1], [0.0625, -1.25])
    assert np.array_equal(ws[2], [-0.203125, -1.3125])
    assert np.array_equal(config["velocity"], [-0.265625, -0.0625])


def test_nesterov_three_steps_by_hand():
    # Same lr, mu and gradients as momentum, so the velocities v1, v2, v3 are
    # the ones above; the step is w += -mu*v_prev + (1 + mu)*v:
    # w1 = [1, -2] + 1.75*[-0.25, 0.5]                       = [0.5625, -1.125]
    # w2 = w1 - 0.75*[-0.25, 0.5] + 1.75*[-0.6875, 0.25]
    #    = [0.5625 + 0.1875 - 1.203125, -1.125 - 0.375 + 0.4375] = [-0.453125, -1.0625]
    # w3 = w2 - 0.75*[-0.6875, 0.25] + 1.75*[-0.265625, -0.0625]
    #    = [-0.453125 + 0.515625 - 0.46484375, -1.0625 - 0.1875 - 0.109375]
    #    = [-0.40234375, -1.359375]
    config = {"learning_rate": 0.5, "momentum": 0.75}
    ws, config = run(nesterov, np.array([1.0, -2.0]), MOMENTUM_GRADS, config)
    assert np.array_equal(ws[0], [0.5625, -1.125])
    assert np.array_equal(ws[1], [-0.453125, -1.0625])
    assert np.array_equal(ws[2], [-0.40234375, -1.359375])
    assert np.array_equal(config["velocity"], [-0.265625, -0.0625])


def test_nesterov_differs_from_momentum():
    # Same velocities, different positions: the look-ahead matters.
    config = {"learning_rate": 0.5, "momentum": 0.75}
    w_m, _ = run(sgd_momentum, np.array([1.0, -2.0]), MOMENTUM_GRADS, dict(config))
    w_n, _ = run(nesterov, np.array([1.0, -2.0]), MOMENTUM_GRADS, dict(config))
    assert not np.array_equal(w_m[-1], w_n[-1])


def test_rmsprop_two_steps_by_hand():
    # lr = 0.01, rho = 0.75, w0 = [1, 1], cache0 = 0
    # element 0: dw = 2, then -4
    #   cache1 = 0.25*4 = 1               w1 = 1 - 0.01*2/1 = 0.98
    #   cache2 = 0.75*1 + 0.25*16 = 4.75  w2 = 0.98 + 0.04/sqrt(4.75)
    # element 1: dw = -1, then -1
    #   cache1 = 0.25                     w1 = 1 + 0.01*1/0.5 = 1.02
    #   cache2 = 0.75*0.25 + 0.25 = 0.4375  w2 = 1.02 + 0.01/sqrt(0.4375)
    # (eps = 1e-8 is added to each square root below: it shifts the results by ~1e-10)
    eps = 1e-8
    config = {"learning_rate": 0.01, "decay_rate": 0.75}
    ws, config = run(rmsprop, np.array([1.0, 1.0]), [[2.0, -1.0], [-4.0, -1.0]], config)
    w1 = [1 - 0.02 / (1 + eps), 1 + 0.01 / (0.5 + eps)]
    np.testing.assert_allclose(ws[0], w1, rtol=1e-14)
    np.testing.assert_allclose(ws[1], [w1[0] + 0.04 / (math.sqrt(4.75) + eps),
                                       w1[1] + 0.01 / (math.sqrt(0.4375) + eps)], rtol=1e-14)
    assert np.array_equal(config["cache"], [4.75, 0.4375])
    assert config["epsilon"] == 1e-8


def test_adam_two_steps_by_hand():
    # lr = 0.1, beta1 = 0.5, beta2 = 0.75, w0 = [1, -2], m0 = v0 = 0, t0 = 0
    # element 0: dw = 2, then -2
    #   t=1: m = 0.5*2 = 1; v = 0.25*4 = 1; mt = 1/0.5 = 2; vt = 1/0.25 = 4
    #        w1 = 1 - 0.1*2/2 = 0.9
    #   t=2: m = 0.5*1 + 0.5*(-2) = -0.5; v = 0.75*1 + 0.25*4 = 1.75
    #        mt = -0.5/(1 - 0.25) = -2/3; vt = 1.75/(1 - 0.5625) = 4
    #        w2 = 0.9 - 0.1*(-2/3)/2 = 0.9 + 1/30
    # element 1: dw = -1, then -1
    #   t=1: m = -0.5; v = 0.25; mt = -1; vt = 1; w1 = -2 + 0.1 = -1.9
    #   t=2: m = -0.25 - 0.5 = -0.75; v = 0.1875 + 0.25 = 0.4375; mt = -1; vt = 1
    #        w2 = -1.9 + 0.1 = -1.8
    config = {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.75}
    ws, config = run(adam, np.array([1.0, -2.0]), [[2.0, -1.0], [-2.0, -1.0]], config)
    np.testing.assert_allclose(ws[0], [0.9, -1.9], rtol=1e-8)
    np.testing.assert_allclose(ws[1], [0.9 + 1 / 30, -1.8], rtol=1e-8)
    assert config["t"] == 2
    assert np.array_equal(config["m"], [-0.5, -0.75])
    assert np.array_equal(config["v"], [1.75, 0.4375])


def test_adam_increments_t_before_the_bias_correction():
    # A config that has taken 5 steps: this is step t = 6.
    # m = 0.5*0 + 0.5*2 = 1, v = 0.25*4 = 1
    # mt = 1/(1 - 0.5**6) = 64/63, vt = 1/(1 - 0.75**6)
    # (with t = 5 it would be 32/31 and 1/(1 - 0.75**5))
    config = {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.75, "t": 5}
    w, config = adam(np.array([0.0]), np.array([2.0]), config)
    expected = -0.1 * (64 / 63) / math.sqrt(1 / (1 - 0.75**6))
    np.testing.assert_allclose(w, [expected], rtol=1e-8)
    assert config["t"] == 6


def test_adam_first_step_has_size_learning_rate():
    # With m0 = v0 = 0 the bias corrections give mt = dw, vt = dw**2, so the
    # first step is lr * sign(dw) whatever the gradient's size.
    w, _ = adam(np.zeros(3), np.array([1e-3, -5.0, 40.0]), {"learning_rate": 0.01})
    np.testing.assert_allclose(w, [-0.01, 0.01, -0.01], rtol=1e-4)


# ------------------------------------------------------------ conventions

DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 1},
}
STATE = {"sgd": [], "sgd_momentum": ["velocity"], "nesterov": ["velocity"],
         "rmsprop": ["cache"], "adam": ["m", "v"]}


@pytest.mark.parametrize("name", RULE_NAMES)
def test_course_defaults_fill_a_missing_config(name):
    _, config = UPDATE_RULES[name](np.ones(3), np.ones(3))
    scalars = {k: v for k, v in config.items() if not isinstance(v, np.ndarray)}
    assert scalars == DEFAULTS[name]
    assert sorted(k for k, v in config.items() if isinstance(v, np.ndarray)) == sorted(STATE[name])


@pytest.mark.parametrize("name", RULE_NAMES)
def test_config_is_updated_in_place_and_returned(name):
    # The course's notebooks read the new state from the dict they passed in.
    config = {}
    _, returned = UPDATE_RULES[name](np.ones(3), np.ones(3), config)
    assert returned is config


@pytest.mark.parametrize("name", RULE_NAMES)
def test_inputs_and_caller_state_arrays_not_modified(name):
    rng = np.random.default_rng(0)
    w, dw = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    state = {k: np.abs(rng.standard_normal((3, 4))) for k in STATE[name]}
    config = dict(state)
    before = {k: v.copy() for k, v in state.items()}
    w0, dw0 = w.copy(), dw.copy()
    UPDATE_RULES[name](w, dw, config)
    assert np.array_equal(w, w0) and np.array_equal(dw, dw0)
    for k in state:
        assert np.array_equal(state[k], before[k])
        assert config[k] is not state[k]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", RULE_NAMES)
def test_dtype_of_w_is_kept(name, dtype):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((2, 3)).astype(dtype)
    dw = rng.standard_normal((2, 3)).astype(dtype)
    # An np.float64 hyperparameter must not upcast float32 parameters.
    config = {"learning_rate": np.float64(1e-2)}
    for _ in range(3):
        w, config = UPDATE_RULES[name](w, dw, config)
        assert w.dtype == dtype
        for k in STATE[name]:
            assert config[k].dtype == dtype
    assert type(config["learning_rate"]) is float


@pytest.mark.parametrize("name", ["sgd_momentum", "nesterov", "rmsprop", "adam"])
def test_state_is_per_config(name):
    # Two parameters updated alternately, each with its own config, end where
    # each would end alone: no state leaks between configs.
    rule = UPDATE_RULES[name]
    rng = np.random.default_rng(2)
    grads_a = [rng.standard_normal(4) for _ in range(3)]
    grads_b = [rng.standard_normal(4) for _ in range(3)]
    alone_a, _ = run(rule, np.ones(4), grads_a, None)
    alone_b, _ = run(rule, -np.ones(4), grads_b, None)
    wa, wb, ca, cb = np.ones(4), -np.ones(4), None, None
    for ga, gb in zip(grads_a, grads_b):
        wa, ca = rule(wa, ga, ca)
        wb, cb = rule(wb, gb, cb)
    assert ca is not cb
    assert np.array_equal(wa, alone_a[-1]) and np.array_equal(wb, alone_b[-1])


@pytest.mark.parametrize("name", RULE_NAMES)
def test_every_rule_minimizes_a_quadratic(name):
    # f(w) = 0.5 * sum(c * w**2), gradient c * w, minimum at 0.
    c = np.array([1.0, 4.0, 0.25])
    w, config = np.array([1.0, -1.0, 2.0]), {"learning_rate": 0.05}
    for _ in range(500):
        w, config = UPDATE_RULES[name](w, c * w, config)
    assert np.all(np.abs(w) < 0.05), w


# ------------------------------------------------------------ bad inputs

BAD_CONFIGS = [
    ("sgd", {"learning_rate": 0}, r"sgd: learning_rate must lie in \(0, inf\), got learning_rate=0"),
    ("sgd", {"learning_rate": -1e-3}, r"learning_rate must lie in \(0, inf\)"),
    ("sgd", {"learning_rate": float("nan")}, r"learning_rate must lie in \(0, inf\), got learning_rate=nan"),
    ("sgd", {"learning_rate": "0.1"}, r"sgd: learning_rate must be a real number, got '0.1'"),
    ("sgd_momentum", {"momentum": 1.0}, r"sgd_momentum: momentum must lie in \[0, 1\), got momentum=1.0"),
    ("nesterov", {"momentum": -0.1}, r"nesterov: momentum must lie in \[0, 1\)"),
    ("rmsprop", {"decay_rate": 1.5}, r"rmsprop: decay_rate must lie in \[0, 1\), got decay_rate=1.5"),
    ("rmsprop", {"epsilon": 0.0}, r"rmsprop: epsilon must lie in \(0, inf\)"),
    ("adam", {"beta1": 1}, r"adam: beta1 must lie in \[0, 1\), got beta1=1"),
    ("adam", {"beta2": -0.5}, r"adam: beta2 must lie in \[0, 1\)"),
    ("adam", {"t": -1}, r"adam: t \(steps taken so far\) must be >= 0, got .*=-1"),
    ("adam", {"t": 1.5}, r"adam: t \(steps taken so far\) must be an integer, got 1.5"),
    ("sgd_momentum", {"velocity": np.zeros(4)}, r"config\['velocity'\] must be an array with w's shape \(3,\)"),
    ("adam", {"m": np.zeros(3, np.float32)}, r"config\['m'\] must be an array with w's shape \(3,\) and dtype float64"),
]


@pytest.mark.parametrize("name, config, match", BAD_CONFIGS,
                         ids=[f"{n}-{next(iter(c))}-{i}" for i, (n, c, _) in enumerate(BAD_CONFIGS)])
def test_bad_config_values_are_named(name, config, match):
    with pytest.raises(ValueError, match=match):
        UPDATE_RULES[name](np.ones(3), np.ones(3), config)


@pytest.mark.parametrize("w, dw, match", [
    (np.ones(3), np.ones(4), r"sgd: dw must have the shape of w \(3,\), got \(4,\)"),
    (np.ones(3), np.ones(3, np.float32), r"sgd: arrays must share one dtype, got w: float64, dw: float32"),
    (np.ones(3, int), np.ones(3), r"sgd: w must be a floating-point array"),
    ([1.0, 2.0], np.ones(2), r"sgd: w must be a numpy array"),
], ids=["shape", "dtype-mix", "int-w", "list-w"])
def test_bad_arrays(w, dw, match):
    with pytest.raises(ValueError, match=match):
        sgd(w, dw)


def test_config_must_be_a_dict():
    with pytest.raises(ValueError, match="adam: config must be a dict or None, got list"):
        adam(np.ones(2), np.ones(2), [])


def test_update_rules_table_and_lookup():
    assert list(UPDATE_RULES) == RULE_NAMES
    assert all(UPDATE_RULES[n] is getattr(optim, n) for n in RULE_NAMES)
    assert get_update_rule("adam") is adam
    assert get_update_rule(sgd) is sgd
    with pytest.raises(ValueError, match=r"unknown update_rule 'adagrad'; choose one of \['adam', "):
        get_update_rule("adagrad")
