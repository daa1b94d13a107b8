"""Update rules (checks/optim.py): the mistakes students make in cs231n_cnn/optim.py."""

from . import Bug, Edit

M = "cs231n_cnn.optim"
MOMENTUM = 'v = config["momentum"] * v - config["learning_rate"] * dw'


def _e(function, old, new, count=1):
    return Edit(M, function, old, new, count)


BUGS = [
    Bug("sgd-sign", "sgd", (_e("sgd", 'w - config["learning_rate"] * dw', 'w + config["learning_rate"] * dw'),),
        "the update's sign is flipped: next_w = w + learning_rate * dw"),
    Bug("sgd-no-lr", "sgd", (_e("sgd", 'w - config["learning_rate"] * dw', "w - dw"),),
        "the learning rate is not used: next_w = w - dw"),
    Bug("momentum-sign", "sgd_momentum", (_e("sgd_momentum", MOMENTUM, MOMENTUM.replace(" - ", " + ")),),
        "sgd_momentum: [next_w after two steps] next_w: the update's sign is flipped"),
    Bug("momentum-old-velocity", "sgd_momentum",
        (_e("sgd_momentum", f"{MOMENTUM}\n    next_w = w + v", f"next_w = w + v\n    {MOMENTUM}"),),
        "next_w uses the old velocity"),
    Bug("momentum-torch-form", "sgd_momentum",
        (_e("sgd_momentum", f"{MOMENTUM}\n    next_w = w + v",
            'v = config["momentum"] * v + dw\n    next_w = w - config["learning_rate"] * v'),),
        "PyTorch's form"),
    Bug("momentum-no-lr", "sgd_momentum", (_e("sgd_momentum", MOMENTUM, 'v = config["momentum"] * v - dw'),),
        "the learning rate is not used: v = momentum * v - dw"),
    Bug("momentum-velocity-not-stored", "sgd_momentum",
        (_e("sgd_momentum", '    config["velocity"] = v\n', ""),),
        "sgd_momentum: [next_w after two steps] next_w: the new velocity is not stored"),
    Bug("momentum-is-nesterov", "sgd_momentum",
        (_e("sgd_momentum", f"{MOMENTUM}\n    next_w = w + v",
            f'v_prev = v\n    {MOMENTUM}\n    next_w = w - config["momentum"] * v_prev + '
            f'(1 + config["momentum"]) * v'),),
        "the velocity is the Nesterov update's"),
    Bug("nesterov-is-momentum", "nesterov",
        (_e("nesterov", "next_w = w + (-mu * v_prev + (1 + mu) * v)", "next_w = w + v"),),
        "this is plain momentum (next_w = w + v), not Nesterov's look-ahead"),
    Bug("nesterov-lookback-sign", "nesterov", (_e("nesterov", "(-mu * v_prev", "(mu * v_prev"),),
        "the sign of momentum * v_prev is flipped"),
    Bug("nesterov-no-one-plus", "nesterov", (_e("nesterov", "(1 + mu) * v)", "mu * v)"),),
        "the new velocity is weighted by momentum, not 1 + momentum"),
    Bug("nesterov-sign", "nesterov",
        (_e("nesterov", 'v = mu * v - config["learning_rate"] * dw', 'v = mu * v + config["learning_rate"] * dw'),),
        "FAIL nesterov: [next_w after two steps] next_w: the update's sign is flipped"),
    Bug("nesterov-velocity-not-stored", "nesterov", (_e("nesterov", '    config["velocity"] = v\n', ""),),
        "nesterov: [next_w after two steps] next_w: the new velocity is not stored"),
    Bug("rmsprop-decay-swapped", "rmsprop",
        (_e("rmsprop", "rho * cache + (1 - rho) * (dw * dw)", "(1 - rho) * cache + rho * (dw * dw)"),),
        "decay_rate and 1 - decay_rate are swapped"),
    Bug("rmsprop-eps-inside", "rmsprop",
        (_e("rmsprop", '(np.sqrt(cache) + config["epsilon"])', 'np.sqrt(cache + config["epsilon"])'),),
        "epsilon is inside the square root: dw / np.sqrt(cache + epsilon)"),
    Bug("rmsprop-no-sqrt", "rmsprop", (_e("rmsprop", "(np.sqrt(cache) +", "(cache +"),),
        "the square root is missing"),
    Bug("rmsprop-abs-not-square", "rmsprop", (_e("rmsprop", "(1 - rho) * (dw * dw)", "(1 - rho) * np.abs(dw)"),),
        "the cache accumulates |dw|"),
    Bug("rmsprop-cache-not-stored", "rmsprop", (_e("rmsprop", '    config["cache"] = cache\n', ""),),
        "the new cache is not stored in config"),
    Bug("adam-no-bias-correction", "adam",
        (_e("adam", "mt = m / (1 - b1**t)", "mt = m"), _e("adam", "vt = v / (1 - b2**t)", "vt = v")),
        "no bias correction"),
    Bug("adam-old-t", "adam",
        (_e("adam", 't = config["t"] + 1', 't = config["t"]'),
         _e("adam", 'config["t"], config["m"], config["v"] = t, m, v', 'config["t"], config["m"], config["v"] = t + 1, m, v')),
        "the bias correction uses the old t"),
    Bug("adam-eps-inside", "adam",
        (_e("adam", '(np.sqrt(vt) + config["epsilon"])', 'np.sqrt(vt + config["epsilon"])'),),
        "epsilon is inside the square root: mt / np.sqrt(vt + epsilon)"),
    Bug("adam-beta1-swapped", "adam", (_e("adam", "m = b1 * m + (1 - b1) * dw", "m = (1 - b1) * m + b1 * dw"),),
        "beta1 and 1 - beta1 are swapped"),
    Bug("adam-beta2-swapped", "adam",
        (_e("adam", "v = b2 * v + (1 - b2) * (dw * dw)", "v = (1 - b2) * v + b2 * (dw * dw)"),),
        "beta2 and 1 - beta2 are swapped"),
    Bug("adam-t-not-stored", "adam",
        (_e("adam", 'config["t"], config["m"], config["v"] = t, m, v', 'config["m"], config["v"] = m, v'),),
        "t is not stored back in config"),
]
