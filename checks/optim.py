"""Checks for the update rules: SGD, momentum, Nesterov momentum, RMSProp and Adam.

Each rule takes two steps from a given, non-zero state with non-default
hyperparameters, feeding the returned config into the second step as the
Solver does; the result and the state are compared with the formulas of
the course notes, written out in ``_reference.py``.
"""

from __future__ import annotations

import numpy as np

from cs231n_cnn.grading import CheckFailure, check

from . import _helpers as h
from . import _reference as ref

SHAPE = (3, 4)


def _two_steps(t, rule, config, state_names, hyper, reference):
    """Run ``rule`` twice; parts: ``next_w`` and the state arrays/values named in ``state_names``.

    ``hyper`` are the rule's hyperparameters in the reference's order; a
    failed comparison is matched against the rule's known mistakes
    (``ref.update_mistakes``) on the same weights, gradients and state.
    """
    fn = f"optim.{rule}"
    w = t.rng.standard_normal(SHAPE)
    dws = [t.rng.standard_normal(SHAPE) for _ in range(2)]
    state = [config[k] for k in state_names]
    expected_w, expected_state = w, dict(zip(state_names, state))
    for dw in dws:
        expected_w, *new = reference(expected_w, dw, *expected_state.values())
        expected_state = dict(zip(state_names, new))

    def mistakes(i):
        return lambda: {k: v[i] for k, v in ref.update_mistakes(rule, w, dws, state, hyper).items()}

    final = None
    with t.part("next_w after two steps"):
        cur_w, cur_config = w, config
        for step, dw in enumerate(dws, start=1):
            cur_w, cur_config = h.unpack(t.call(fn, cur_w, dw, cur_config), "next_w, config", fn)
            if not isinstance(cur_config, dict):
                raise CheckFailure(f"{fn} must return its config dict, got {type(cur_config).__name__} "
                                   f"at step {step}")
        final = cur_config
        t.assert_close(cur_w, expected_w, tol=1e-10, name="next_w", mistakes=mistakes(0), step_from=("w", w))
    with t.part(f"config state after two steps ({', '.join(state_names)})"):
        if final is None:
            raise CheckFailure("the update failed (see next_w)")
        for i, k in enumerate(state_names, start=1):
            if k not in final:
                raise CheckFailure(f"config has no {k!r} after the update")
            if isinstance(expected_state[k], np.ndarray):
                t.assert_close(final[k], expected_state[k], tol=1e-10, name=f"config[{k!r}]", mistakes=mistakes(i))
            else:
                t.assert_equal(final[k], expected_state[k], name=f"config[{k!r}]")


@check("sgd", points=2)
def sgd(t):
    """Vanilla SGD: two steps with a given learning rate, and the default learning rate 1e-2."""
    lr = 3e-2
    with t.part("next_w after two steps"):
        w = t.rng.standard_normal(SHAPE)
        dws = [t.rng.standard_normal(SHAPE) for _ in range(2)]
        cur_w, expected = w, w
        for dw in dws:
            cur_w, config = h.unpack(t.call("optim.sgd", cur_w, dw, {"learning_rate": lr}), "next_w, config",
                                     "optim.sgd")
            expected = ref.sgd_step(expected, dw, lr)
        t.assert_close(cur_w, expected, tol=1e-12, name="next_w", step_from=("w", w),
                       mistakes=lambda: {k: v[0] for k, v in ref.update_mistakes("sgd", w, dws, [], [lr]).items()})
    with t.part("config=None uses learning_rate 1e-2 and returns it in config"):
        w, dw = t.rng.standard_normal(SHAPE), t.rng.standard_normal(SHAPE)
        next_w, config = h.unpack(t.call("optim.sgd", w, dw, None), "next_w, config", "optim.sgd")
        t.assert_close(next_w, ref.sgd_step(w, dw, 1e-2), tol=1e-12, name="next_w")
        if not isinstance(config, dict) or "learning_rate" not in config:
            raise CheckFailure("optim.sgd must return its config with the default learning_rate filled in")
        t.assert_equal(config["learning_rate"], 1e-2, name="config['learning_rate']")


@check("sgd_momentum", points=2)
def sgd_momentum(t):
    """SGD with momentum: two steps, next_w and the velocity."""
    lr, mu = 2e-2, 0.8
    config = {"learning_rate": lr, "momentum": mu, "velocity": 0.1 * t.rng.standard_normal(SHAPE)}
    _two_steps(t, "sgd_momentum", config, ["velocity"], [lr, mu],
               lambda w, dw, v: ref.sgd_momentum_step(w, dw, v, lr, mu))


@check("nesterov", points=2)
def nesterov(t):
    """Nesterov momentum (the notes' form): two steps, next_w and the velocity."""
    lr, mu = 2e-2, 0.8
    config = {"learning_rate": lr, "momentum": mu, "velocity": 0.1 * t.rng.standard_normal(SHAPE)}
    _two_steps(t, "nesterov", config, ["velocity"], [lr, mu],
               lambda w, dw, v: ref.nesterov_step(w, dw, v, lr, mu))


@check("rmsprop", points=2)
def rmsprop(t):
    """RMSProp: two steps, next_w and the cache of squared gradients."""
    lr, rho, eps = 1e-2, 0.9, 1e-4
    config = {"learning_rate": lr, "decay_rate": rho, "epsilon": eps, "cache": t.rng.random(SHAPE)}
    _two_steps(t, "rmsprop", config, ["cache"], [lr, rho, eps],
               lambda w, dw, c: ref.rmsprop_step(w, dw, c, lr, rho, eps))


@check("adam", points=2)
def adam(t):
    """Adam with bias correction (t incremented before use): two steps, next_w and m, v, t."""
    lr, b1, b2, eps = 1e-2, 0.8, 0.95, 1e-4
    config = {"learning_rate": lr, "beta1": b1, "beta2": b2, "epsilon": eps,
              "m": 0.1 * t.rng.standard_normal(SHAPE), "v": 0.1 * t.rng.random(SHAPE), "t": 3}
    _two_steps(t, "adam", config, ["m", "v", "t"], [lr, b1, b2, eps],
               lambda w, dw, m, v, step: ref.adam_step(w, dw, m, v, step, lr, b1, b2, eps))
