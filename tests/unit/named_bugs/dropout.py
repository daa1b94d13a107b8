"""Dropout (the dropout check in checks/norm.py): the mistakes students make in cs231n_cnn/layers/dropout.py."""

from . import Bug, Edit

M = "cs231n_cnn.layers.dropout"
MASK = "mask = (rng.random(x.shape, dtype=x.dtype) < p).astype(x.dtype) / p"


def _e(function, old, new, count=1):
    return Edit(M, function, old, new, count)


BUGS = [
    Bug("dropout-keeps-1-p", "dropout",
        (_e("dropout_forward", MASK, "mask = (rng.random(x.shape, dtype=x.dtype) > p).astype(x.dtype) / p"),),
        "the mask keeps a unit with probability 1 - p"),
    Bug("dropout-p-is-drop-probability", "dropout",
        (_e("dropout_forward", MASK, "mask = (rng.random(x.shape, dtype=x.dtype) > p).astype(x.dtype) / (1 - p)"),),
        "p is used as the DROP probability"),
    Bug("dropout-not-scaled", "dropout", (_e("dropout_forward", MASK, MASK.replace(" / p", "")),),
        "the kept units are x itself: they are not divided by p"),
    Bug("dropout-times-p", "dropout", (_e("dropout_forward", MASK, MASK.replace(" / p", " * p")),),
        "the kept units are x * p"),
    Bug("dropout-mask-not-applied", "dropout", (_e("dropout_forward", "out = x * mask", "out = x"),),
        "train mode never applies the mask"),
    Bug("dropout-backward-unscaled", "dropout",
        (_e("dropout_forward", f"{MASK}\n        out = x * mask",
            f"{MASK.replace(' / p', '')}\n        out = x * mask / p"),),
        "dx = dout * mask without the 1/p"),
    Bug("dropout-backward-new-mask", "dropout",
        (_e("dropout_backward", "dx = dout * mask",
            'dx = dout * (np.random.default_rng(dropout_param.get("seed")).random(dout.shape) < p) / p'),),
        "must use the mask saved in the cache, not draw a new one"),
    Bug("dropout-fixed-seed", "dropout",
        (_e("dropout_forward", "rng.random(x.shape", "np.random.default_rng(0).random(x.shape"),),
        "not from a fixed seed"),
    Bug("dropout-test-scales", "dropout", (_e("dropout_forward", "out = x.copy()", "out = x * p"),),
        "test mode returns x * p"),
    Bug("dropout-in-test-mode", "dropout",
        (_e("dropout_forward", "out = x.copy()", f"{MASK}\n        out = x * mask"),),
        "test mode drops units"),
]
