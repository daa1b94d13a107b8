"""The affine layer and ReLU (checks/fc.py): the mistakes students make in cs231n_cnn/layers/fc.py."""

from . import Bug, Edit

M = "cs231n_cnn.layers.fc"


def _e(function, old, new, count=1):
    return Edit(M, function, old, new, count)


FORWARD = "out = x.reshape(x.shape[0], -1) @ w + b"

BUGS = [
    Bug("affine-no-bias", "affine_forward", (_e("affine_forward", FORWARD, "out = x.reshape(x.shape[0], -1) @ w"),),
        "the bias is not added: out = x @ w", why="forgot + b"),
    Bug("affine-reshape-d-n", "affine_forward",
        (_e("affine_forward", FORWARD, "out = x.reshape(-1, x.shape[0]).T @ w + b"),),
        "x is flattened to (D, N) and transposed", why="flattened x as (D, N).T"),
    Bug("affine-dx-not-reshaped", "affine_backward",
        (_e("affine_backward", "dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T"),),
        "dx is not reshaped back to x's shape", why="dx left as (N, D)"),
    Bug("affine-dw-x-not-flattened", "affine_backward", (_e("affine_backward", "dw = x_rows.T @ dout", "dw = x.T @ dout"),),
        "dw = x.T @ dout with x not flattened", why="used x, not its (N, D) rows"),
    Bug("affine-dw-reshape-not-transpose", "affine_backward",
        (_e("affine_backward", "dw = x_rows.T @ dout", "dw = x.reshape(w.shape[0], -1) @ dout"),),
        "dw = x.reshape(D, N) @ dout: a reshape where a transpose was needed", why="reshape instead of .T"),
    Bug("affine-dw-transposed", "affine_backward", (_e("affine_backward", "dw = x_rows.T @ dout", "dw = dout.T @ x_rows"),),
        "dw is computed as dout.T @ x", why="product in the wrong order"),
    Bug("affine-db-axis-1", "affine_backward", (_e("affine_backward", "db = dout.sum(axis=0)", "db = dout.sum(axis=1)"),),
        "db sums dout over axis 1", why="summed over the wrong axis"),
    Bug("affine-db-sum-all", "affine_backward", (_e("affine_backward", "db = dout.sum(axis=0)", "db = np.sum(dout)"),),
        "db sums dout over every axis", why="np.sum without an axis"),
    Bug("affine-db-mean", "affine_backward", (_e("affine_backward", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)"),),
        "(a missing factor of 3 = N, the batch size?)", why="mean instead of sum over the batch"),
    Bug("relu-np-max", "relu_forward", (_e("relu_forward", "out = np.maximum(x, 0)", "out = np.max(x, 0)"),),
        "np.max(x, 0) is the maximum over axis 0", why="np.max for np.maximum"),
    Bug("relu-minimum", "relu_forward", (_e("relu_forward", "out = np.maximum(x, 0)", "out = np.minimum(x, 0)"),),
        "np.minimum(x, 0) keeps the negative part", why="minimum for maximum"),
    Bug("relu-mask-only", "relu_forward", (_e("relu_forward", "out = np.maximum(x, 0)", "out = (x > 0).astype(x.dtype)"),),
        "out is the mask x > 0", why="returned the mask"),
    Bug("relu-in-place", "relu_forward", (_e("relu_forward", "out = np.maximum(x, 0)", "out = x\n    out[out < 0] = 0"),),
        "relu_forward changed its input x in place", why="zeroed the negatives of x itself"),
    Bug("relu-backward-at-zero", "relu_backward", (_e("relu_backward", "dx = dout * (x > 0)", "dx = dout * (x >= 0)"),),
        "relu_backward passes the gradient where x == 0", why=">= for >"),
    Bug("relu-backward-mask-from-dout", "relu_backward",
        (_e("relu_backward", "dx = dout * (x > 0)", "dx = dout * (dout > 0)"),),
        "relu_backward: [shape (N, D)] dx: the mask comes from dout", why="masked by dout's sign"),
    Bug("relu-backward-no-dout", "relu_backward", (_e("relu_backward", "dx = dout * (x > 0)", "dx = (x > 0).astype(x.dtype)"),),
        "dx is the mask x > 0 alone", why="forgot the upstream gradient"),
    Bug("relu-backward-times-output", "relu_backward",
        (_e("relu_backward", "dx = dout * (x > 0)", "dx = dout * np.maximum(x, 0)"),),
        "dout is multiplied by the ReLU's output", why="the function for its derivative"),
    Bug("relu-backward-reversed", "relu_backward", (_e("relu_backward", "dx = dout * (x > 0)", "dx = dout * (x < 0)"),),
        "the mask is reversed", why="< for >"),
]
