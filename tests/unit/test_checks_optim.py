"""checks/optim.py (update rules): its checks fail on plausible wrong code, planted bugs, unwritten functions.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

import numpy as np
from check_cases import REAL_OPTIM, check_tests

import cs231n_cnn.optim as optim

# ------------------------------------------------------------------ wrong implementations

def sgd_ascent(w, dw, config=None):
    """A sign error: the update climbs the loss."""
    return REAL_OPTIM["sgd"](w, -dw, config)


def sgd_momentum_opposite_sign(w, dw, config=None):
    """Velocity kept with the opposite sign (v = mu*v + lr*dw; w -= v), which misreads a stored velocity."""
    config = dict(config)
    v = config["momentum"] * config["velocity"] + config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


def nesterov_plain_momentum(w, dw, config=None):
    """Nesterov that is really plain momentum."""
    return REAL_OPTIM["sgd_momentum"](w, dw, config)


def rmsprop_eps_in_sqrt(w, dw, config=None):
    """eps inside the square root."""
    config = dict(config)
    rho, lr, eps = config["decay_rate"], config["learning_rate"], config["epsilon"]
    cache = rho * config["cache"] + (1 - rho) * dw ** 2
    config["cache"] = cache
    return w - lr * dw / np.sqrt(cache + eps), config


def adam_t_after_use(w, dw, config=None):
    """The bias corrections use t before it is incremented."""
    config = dict(config)
    b1, b2, lr, eps, t = config["beta1"], config["beta2"], config["learning_rate"], config["epsilon"], config["t"]
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw ** 2
    next_w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    config.update(m=m, v=v, t=t + 1)
    return next_w, config


# ------------------------------------------------------------------ planted bugs

def sgd_not_implemented(w, dw, config=None):
    raise NotImplementedError("sgd is not implemented yet: write it in cs231n_cnn/optim.py")


WRONG = [
    ("sgd", [(optim, "sgd", sgd_ascent)], "gradient ascent"),
    ("sgd_momentum", [(optim, "sgd_momentum", sgd_momentum_opposite_sign)], "velocity sign"),
    ("nesterov", [(optim, "nesterov", nesterov_plain_momentum)], "plain momentum"),
    ("rmsprop", [(optim, "rmsprop", rmsprop_eps_in_sqrt)], "eps inside sqrt"),
    ("adam", [(optim, "adam", adam_t_after_use)], "t incremented after use"),
]

PLANTED = [
    ("sgd-stub", "sgd", "next_w after two steps", [(optim, "sgd", sgd_not_implemented)],
     "optim.sgd is not implemented yet"),
]

STUBS = [
    ("adam", (optim, "adam")),
]


globals().update(check_tests("optim", wrong=WRONG, planted=PLANTED, stubs=STUBS))
