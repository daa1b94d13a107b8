"""Independent references for the checks: loops, scipy.signal, numerical gradients.

Nothing here calls the library's layers, so a check compares the student's
code with a different computation, not with itself.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from cs231n_cnn.gradient_check import eval_numerical_gradient_array


def conv(x, w, b, stride, pad):
    """Cross-correlation per image and filter with scipy; x (N,C,H,W), w (F,C,HH,WW)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.array([[signal.correlate(xp[n], w[f], mode="valid", method="direct")[0][::stride, ::stride] + b[f]
                     for f in range(w.shape[0])] for n in range(x.shape[0])])
    return out


def im2col(x, HH, WW, stride, pad):
    """Columns built one receptive field at a time: (C*HH*WW, N*H_out*W_out)."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    return np.array([xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW].ravel()
                     for n in range(N) for i in range(H_out) for j in range(W_out)]).T


def pool(x, ph, pw, stride, reduce):
    """Pooling by a reduction over sliding windows; reduce is 'max', 'avg' or 'l2'."""
    win = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]
    if reduce == "max":
        return win.max(axis=(-2, -1))
    if reduce == "avg":
        return win.mean(axis=(-2, -1))
    return np.sqrt((win ** 2).sum(axis=(-2, -1)))


def local(x, w, b, stride, pad):
    """Locally connected layer by loops: w (H_out, W_out, F, C, HH, WW), b (H_out, W_out, F)."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    H_out, W_out, F, C, HH, WW = w.shape
    out = np.zeros((x.shape[0], F, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            patch = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(patch, w[i, j], axes=([1, 2, 3], [1, 2, 3])) + b[i, j]
    return out


def lrn(x, size, alpha, beta, k):
    """Local response normalization across channels (torch's definition), by a loop over channels."""
    C = x.shape[1]
    out = np.empty_like(x)
    for c in range(C):
        lo, hi = max(0, c - size // 2), min(C, c + (size - 1) // 2 + 1)
        s = (x[:, lo:hi] ** 2).sum(axis=1)
        out[:, c] = x[:, c] / (k + alpha / size * s) ** beta
    return out


def softmax_loss(x, y):
    """Mean cross-entropy, computed in float64 with logsumexp."""
    shifted = x - x.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def svm_loss(x, y):
    """Mean multiclass hinge loss with margin 1, by a loop over examples."""
    total = 0.0
    for i in range(len(y)):
        for j in range(x.shape[1]):
            if j != y[i]:
                total += max(0.0, x[i, j] - x[i, y[i]] + 1)
    return total / len(y)


# Known mistakes in the losses (cs231n_cnn.grading.mistakes): ``{description: [loss, dx]}`` on the check's
# scores and labels, None where a mistake leaves that output right. A factor of N (the sum instead of the
# mean) is not listed: the checks name it with ``factors=``.

def _softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_loss_mistakes(x, y):
    """The softmax loss's common wrong versions on scores ``x`` (N, C) and labels ``y`` (N,)."""
    N = len(y)
    rows = np.arange(N)
    p = _softmax(x)
    found = {}
    # Each row shifted by its max, as it should be, but normalised by the column sums (axis 0).
    shifted = x - x.max(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        logp0 = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
        loss0 = float(-logp0[rows, y].mean())
    p0 = np.exp(logp0)
    d0 = p0.copy()
    d0[rows, y] -= 1
    found["the softmax is normalised over the batch (exp summed over axis 0), not over each example's classes"
          "\nfix: p = exp(shifted) / exp(shifted).sum(axis=1, keepdims=True)"] = [np.asarray(loss0), d0 / N]
    found["dx does not subtract 1 at the correct class: dx = softmax(x) / N"
          "\nfix: dx = softmax(x); dx[np.arange(N), y] -= 1; dx /= N"] = [None, p / N]
    dcol = p.copy()
    dcol[:, y] -= 1      # what numpy does: 1 off columns y[i] of every row, once per distinct label
    found["dx[:, y] -= 1 subtracts 1 in the columns y of every row, not only at (i, y[i])"
          "\nfix: dx[np.arange(N), y] -= 1"] = [None, dcol / N]
    return found


def svm_loss_mistakes(x, y):
    """The SVM loss's common wrong versions on scores ``x`` (N, C) and labels ``y`` (N,)."""
    N = len(y)
    rows = np.arange(N)
    correct = x[rows, y][:, None]

    def hinge(margins, *, count_at_correct=True, once=False):
        margins = np.maximum(margins, 0)
        margins[rows, y] = 0
        positive = (margins > 0).astype(np.float64)
        dx = positive.copy()
        if count_at_correct:
            dx[rows, y] -= 1.0 if once else positive.sum(axis=1)
        return np.asarray(margins.sum() / N), dx / N

    found = {
        "the margin has no delta: max(0, x_j - x_y), not max(0, x_j - x_y + 1)"
        "\nfix: margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)": list(hinge(x - correct)),
        "delta is subtracted: max(0, x_j - x_y - 1), not max(0, x_j - x_y + 1)"
        "\nfix: margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)": list(hinge(x - correct - 1)),
        "the margins are x_y - x_j + 1 (correct and wrong class swapped)"
        "\nfix: margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)": list(hinge(correct - x + 1)),
    }
    right_loss, _ = hinge(x - correct + 1)
    found["the correct class is counted in the sum: its margin max(0, 1) = 1 adds 1 per example"
          "\nfix: margins[np.arange(N), y] = 0 before summing"] = [right_loss + 1, None]
    found["dx gets +1 for each positive margin but nothing at the correct class"
          "\nfix: dx[np.arange(N), y] -= (margins > 0).sum(axis=1)"] = \
        [None, hinge(x - correct + 1, count_at_correct=False)[1]]
    found["dx subtracts 1 at the correct class once, not once per positive margin"
          "\nfix: dx[np.arange(N), y] -= (margins > 0).sum(axis=1)"] = [None, hinge(x - correct + 1, once=True)[1]]
    return found


def numerical_grads(f, args, dout, which, h=1e-6):
    """Numerical gradients of sum(f(*args) * dout) with respect to args[i] for i in ``which``."""
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    grads = []
    for i in which:
        def fi(v, i=i):
            call = list(args)
            call[i] = v
            return f(*call)
        grads.append(eval_numerical_gradient_array(fi, args[i], dout, h=h))
    return grads


def numerical_grad_scalar(f, x, h=1e-6):
    """Numerical gradient of a scalar function of one array."""
    x = x.copy()
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fp = f(x)
        x[ix] = old - h
        fm = f(x)
        x[ix] = old
        grad[ix] = (fp - fm) / (2 * h)
    return grad


def distinct(rng, shape, spacing=0.1):
    """Values that are all different and at least ``spacing`` apart (no ties, no kinks for h << spacing)."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) * spacing


def max_pool_backward(x, dout, ph, pw, stride):
    """Max-pool gradient by loops with the documented tie rule.

    Each window's ``dout`` goes to its FIRST maximal entry in row-major
    window order, found by scanning the window (not with ``argmax``).
    """
    N, C, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    best = None
                    for a in range(ph):
                        for b in range(pw):
                            v = x[n, c, i * stride + a, j * stride + b]
                            if best is None or v > best[0]:
                                best = (v, a, b)
                    dx[n, c, i * stride + best[1], j * stride + best[2]] += dout[n, c, i, j]
    return dx


def affine(x, w, b):
    """Fully connected layer by loops over examples and outputs; x (N, ...) is flattened in C order."""
    rows = [x[n].ravel() for n in range(x.shape[0])]
    return np.array([[sum(r[d] * w[d, m] for d in range(w.shape[0])) + b[m] for m in range(w.shape[1])]
                     for r in rows])


def relu(x):
    return np.where(x > 0, x, 0.0)


# Known mistakes of the affine layer and ReLU: ``{description: [outputs...]}`` on the check's inputs, None
# where a mistake leaves that output right. A value may have another shape than the right one (a missing
# reshape); a mistake numpy cannot even compute on these inputs is left out.

def _attempt(fn):
    try:
        with np.errstate(all="ignore"):
            return np.asarray(fn(), dtype=np.float64)
    except (ValueError, IndexError):
        return None


def affine_forward_mistakes(x, w, b):
    """``{description: [out]}``: affine forward passes students write by mistake."""
    N, D = x.shape[0], w.shape[0]
    found = {
        "the bias is not added: out = x @ w\nfix: out = x.reshape(N, -1) @ w + b":
        _attempt(lambda: x.reshape(N, D) @ w),
        "x is flattened to (D, N) and transposed, which mixes the values of different examples"
        "\nfix: x.reshape(N, -1) (one row per example), then @ w": _attempt(lambda: x.reshape(D, N).T @ w + b),
    }
    return {k: [v] for k, v in found.items() if v is not None}


def affine_backward_mistakes(x, w, b, dout):
    """``{description: [dx, dw, db]}``: affine backward passes students write by mistake."""
    N, D = x.shape[0], w.shape[0]
    rows = x.reshape(N, D)
    found = {
        "dx is not reshaped back to x's shape: dx = dout @ w.T is (N, D)"
        "\nfix: dx = (dout @ w.T).reshape(x.shape)": [_attempt(lambda: dout @ w.T), None, None],
        "dw = x.T @ dout with x not flattened to (N, D) first"
        "\nfix: dw = x.reshape(N, -1).T @ dout": [None, _attempt(lambda: np.matmul(x.T, dout)), None],
        "dw = x.reshape(D, N) @ dout: a reshape where a transpose was needed, so examples and features mix"
        "\nfix: dw = x.reshape(N, -1).T @ dout": [None, _attempt(lambda: x.reshape(D, N) @ dout), None],
        "dw is computed as dout.T @ x, shape (M, D): the transpose of the right one"
        "\nfix: dw = x.reshape(N, -1).T @ dout": [None, _attempt(lambda: dout.T @ rows), None],
        "db sums dout over axis 1 (each example's outputs), not over the batch"
        "\nfix: db = dout.sum(axis=0)": [None, None, _attempt(lambda: dout.sum(axis=1))],
        "db sums dout over every axis: one number, not one per output"
        "\nfix: db = dout.sum(axis=0)": [None, None, _attempt(lambda: np.sum(dout))],
    }
    # For an x of shape (N, D) a missing reshape is no mistake: the comparison ignores a variant equal to the
    # right result.
    return {k: v for k, v in found.items() if any(a is not None for a in v)}


def relu_forward_mistakes(x):
    """``{description: [out]}``: ReLU forward passes students write by mistake."""
    return {
        "np.max(x, 0) is the maximum over axis 0 (a reduction), not the elementwise maximum with 0"
        "\nfix: out = np.maximum(x, 0)": [np.max(x, 0)],
        "np.minimum(x, 0) keeps the negative part\nfix: out = np.maximum(x, 0)": [np.minimum(x, 0)],
        "out is the mask x > 0, not x where x > 0\nfix: out = np.maximum(x, 0) (or x * (x > 0))":
        [(x > 0).astype(np.float64)],
    }


def relu_backward_mistakes(x, dout):
    """``{description: [dx]}``: ReLU backward passes students write by mistake."""
    return {
        "the mask comes from dout (dx = dout where dout > 0), not from the input x"
        "\nfix: dx = dout * (x > 0), with x the cached input": [dout * (dout > 0)],
        "dx is the mask x > 0 alone: dout is not multiplied in\nfix: dx = dout * (x > 0)":
        [(x > 0).astype(np.float64)],
        "dout is multiplied by the ReLU's output max(0, x), not by its derivative (x > 0)"
        "\nfix: dx = dout * (x > 0)": [dout * np.maximum(x, 0)],
        "the mask is reversed: dx = dout where x < 0\nfix: dx = dout * (x > 0)": [dout * (x < 0)],
    }


def batchnorm(x, gamma, beta, eps=1e-5, mean=None, var=None):
    """Batch norm of (N, D) by its definition; batch statistics unless ``mean``/``var`` are given."""
    if mean is None:
        mean = x.sum(axis=0) / x.shape[0]
        var = ((x - mean) ** 2).sum(axis=0) / x.shape[0]   # biased, as in the paper
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def spatial_batchnorm(x, gamma, beta, eps=1e-5):
    """Spatial batch norm of (N, C, H, W): one channel at a time over all N*H*W values."""
    out = np.empty(x.shape)
    for c in range(x.shape[1]):
        v = x[:, c]
        mean = v.mean()
        var = ((v - mean) ** 2).mean()
        out[:, c] = gamma[c] * (v - mean) / np.sqrt(var + eps) + beta[c]
    return out


def layernorm(x, gamma, beta, eps=1e-5):
    """Layer norm of (N, D): batch norm of x.T (each example is a column), then per-feature gamma and beta."""
    return batchnorm(x.T, 1.0, 0.0, eps).T * gamma + beta


def spatial_groupnorm(x, gamma, beta, G, eps=1e-5):
    """Group norm of (N, C, H, W) with gamma, beta (1, C, 1, 1): one slice of C/G channels at a time."""
    N, C = x.shape[:2]
    size = C // G
    out = np.empty(x.shape)
    for n in range(N):
        for g in range(G):
            v = x[n, g * size:(g + 1) * size]
            mean = v.mean()
            var = ((v - mean) ** 2).mean()
            out[n, g * size:(g + 1) * size] = (v - mean) / np.sqrt(var + eps)
    return gamma * out + beta


def softmax_loss_grad(x, y):
    """Closed-form gradient of the mean cross-entropy: (softmax(x) - onehot(y)) / N, computed stably."""
    shifted = x - x.max(axis=1, keepdims=True)
    p = np.exp(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


# Update rules, written from the CS231n notes ("Parameter updates"); one step each,
# returning (next_w, *new state).

def sgd_momentum_step(w, dw, v, lr, mu):
    v = mu * v - lr * dw
    return w + v, v


def nesterov_step(w, dw, v, lr, mu):
    v_prev = v
    v = mu * v - lr * dw
    return w - mu * v_prev + (1 + mu) * v, v


def rmsprop_step(w, dw, cache, lr, decay_rate, eps):
    cache = decay_rate * cache + (1 - decay_rate) * dw ** 2
    return w - lr * dw / (np.sqrt(cache) + eps), cache


def adam_step(w, dw, m, v, t, lr, beta1, beta2, eps):
    t = t + 1
    m = beta1 * m + (1 - beta1) * dw
    mt = m / (1 - beta1 ** t)
    v = beta2 * v + (1 - beta2) * dw ** 2
    vt = v / (1 - beta2 ** t)
    return w - lr * mt / (np.sqrt(vt) + eps), m, v, t


def sgd_step(w, dw, lr):
    return w - lr * dw


# Known mistakes in the update rules (cs231n_cnn.grading.mistakes): each a wrong one-step rule with the
# right rule's signature, applied for the same two steps as the right one. Descriptions: what the code
# did, then the fix.

def _momentum_flipped(w, dw, v, lr, mu):
    v = mu * v + lr * dw
    return w + v, v


def _momentum_velocity_after(w, dw, v, lr, mu):
    return w + v, mu * v - lr * dw


def _momentum_torch_style(w, dw, v, lr, mu):
    v = mu * v + dw
    return w - lr * v, v


def _momentum_no_lr(w, dw, v, lr, mu):
    v = mu * v - dw
    return w + v, v


def _nesterov_sign_of_lookback(w, dw, v, lr, mu):
    v_prev = v
    v = mu * v - lr * dw
    return w + mu * v_prev + (1 + mu) * v, v


def _nesterov_without_one_plus(w, dw, v, lr, mu):
    v_prev = v
    v = mu * v - lr * dw
    return w - mu * v_prev + mu * v, v


def _rmsprop_decay_swapped(w, dw, cache, lr, rho, eps):
    return rmsprop_step(w, dw, cache, lr, 1 - rho, eps)


def _rmsprop_eps_inside(w, dw, cache, lr, rho, eps):
    cache = rho * cache + (1 - rho) * dw ** 2
    return w - lr * dw / np.sqrt(cache + eps), cache


def _rmsprop_no_sqrt(w, dw, cache, lr, rho, eps):
    cache = rho * cache + (1 - rho) * dw ** 2
    return w - lr * dw / (cache + eps), cache


def _rmsprop_gradient_not_squared(w, dw, cache, lr, rho, eps):
    cache = rho * cache + (1 - rho) * np.abs(dw)
    return w - lr * dw / (np.sqrt(cache) + eps), cache


def _adam(w, dw, m, v, t, lr, b1, b2, eps, *, correct=True, t_before=False, eps_inside=False, swap1=False,
          swap2=False, advance=True):
    """Adam with one thing changed: no bias correction, the old t, eps inside the root, a decay swapped."""
    t_new = t + 1 if advance else t
    tc = t if t_before else t + 1
    m = (1 - b1) * m + b1 * dw if swap1 else b1 * m + (1 - b1) * dw
    v = (1 - b2) * v + b2 * dw ** 2 if swap2 else b2 * v + (1 - b2) * dw ** 2
    mt, vt = (m / (1 - b1 ** tc), v / (1 - b2 ** tc)) if correct else (m, v)
    step = mt / np.sqrt(vt + eps) if eps_inside else mt / (np.sqrt(vt) + eps)
    return w - lr * step, m, v, t_new


_UPDATE_MISTAKES = {
    "sgd": {
        "the update's sign is flipped: next_w = w + learning_rate * dw (a step up the gradient)"
        "\nfix: next_w = w - learning_rate * dw": lambda w, dw, lr: (w + lr * dw,),
        "the learning rate is not used: next_w = w - dw"
        "\nfix: next_w = w - config['learning_rate'] * dw": lambda w, dw, lr: (w - dw,),
    },
    "sgd_momentum": {
        "the update's sign is flipped: v = momentum * v + learning_rate * dw"
        "\nfix: v = momentum * v - learning_rate * dw, then next_w = w + v": _momentum_flipped,
        "next_w uses the old velocity: next_w = w + v before v is updated"
        "\nfix: update v = momentum * v - learning_rate * dw first, then next_w = w + v": _momentum_velocity_after,
        "the learning rate scales the velocity, not the gradient (v = momentum * v + dw; next_w = w - learning_rate"
        " * v, PyTorch's form)\nfix: the notes' form: v = momentum * v - learning_rate * dw; next_w = w + v":
        _momentum_torch_style,
        "the learning rate is not used: v = momentum * v - dw"
        "\nfix: v = momentum * v - learning_rate * dw": _momentum_no_lr,
        "the velocity is the Nesterov update's (next_w = w - momentum * v_prev + (1 + momentum) * v), not plain "
        "momentum's\nfix: plain momentum: v = momentum * v - learning_rate * dw; next_w = w + v":
        lambda w, dw, v, lr, mu: nesterov_step(w, dw, v, lr, mu),
    },
    "nesterov": {
        "this is plain momentum (next_w = w + v), not Nesterov's look-ahead"
        "\nfix: next_w = w - momentum * v_prev + (1 + momentum) * v, with v_prev the velocity before the update":
        lambda w, dw, v, lr, mu: sgd_momentum_step(w, dw, v, lr, mu),
        "the sign of momentum * v_prev is flipped: next_w = w + momentum * v_prev + (1 + momentum) * v"
        "\nfix: next_w = w - momentum * v_prev + (1 + momentum) * v": _nesterov_sign_of_lookback,
        "the new velocity is weighted by momentum, not 1 + momentum: next_w = w - momentum * v_prev + momentum * v"
        "\nfix: next_w = w - momentum * v_prev + (1 + momentum) * v": _nesterov_without_one_plus,
        "the update's sign is flipped: v = momentum * v + learning_rate * dw"
        "\nfix: v = momentum * v - learning_rate * dw":
        lambda w, dw, v, lr, mu: nesterov_step(w, -dw, v, lr, mu),
    },
    "rmsprop": {
        "decay_rate and 1 - decay_rate are swapped: cache = (1 - decay_rate) * cache + decay_rate * dw**2"
        "\nfix: cache = decay_rate * cache + (1 - decay_rate) * dw**2": _rmsprop_decay_swapped,
        "epsilon is inside the square root: dw / np.sqrt(cache + epsilon)"
        "\nfix: dw / (np.sqrt(cache) + epsilon)": _rmsprop_eps_inside,
        "the square root is missing: dw / (cache + epsilon)"
        "\nfix: dw / (np.sqrt(cache) + epsilon)": _rmsprop_no_sqrt,
        "the cache accumulates |dw|, not dw**2"
        "\nfix: cache = decay_rate * cache + (1 - decay_rate) * dw**2": _rmsprop_gradient_not_squared,
        "the update's sign is flipped: next_w = w + learning_rate * dw / (np.sqrt(cache) + epsilon)"
        "\nfix: next_w = w - learning_rate * dw / (np.sqrt(cache) + epsilon)":
        lambda w, dw, c, lr, rho, eps: (2 * w - rmsprop_step(w, dw, c, lr, rho, eps)[0],
                                        rmsprop_step(w, dw, c, lr, rho, eps)[1]),
    },
    "adam": {
        "no bias correction: m and v are used as they are"
        "\nfix: mt = m / (1 - beta1**t), vt = v / (1 - beta2**t), with t already incremented":
        lambda *a: _adam(*a, correct=False),
        "the bias correction uses the old t (t is incremented after use)"
        "\nfix: t = t + 1 first, then mt = m / (1 - beta1**t), vt = v / (1 - beta2**t)":
        lambda *a: _adam(*a, t_before=True),
        "epsilon is inside the square root: mt / np.sqrt(vt + epsilon)"
        "\nfix: mt / (np.sqrt(vt) + epsilon)": lambda *a: _adam(*a, eps_inside=True),
        "beta1 and 1 - beta1 are swapped: m = (1 - beta1) * m + beta1 * dw"
        "\nfix: m = beta1 * m + (1 - beta1) * dw": lambda *a: _adam(*a, swap1=True),
        "beta2 and 1 - beta2 are swapped: v = (1 - beta2) * v + beta2 * dw**2"
        "\nfix: v = beta2 * v + (1 - beta2) * dw**2": lambda *a: _adam(*a, swap2=True),
        "t is not stored back in config (every step corrects with the same t)"
        "\nfix: t = config['t'] + 1, then config['t'] = t": lambda *a: _adam(*a, advance=False),
    },
}


def update_mistakes(rule, w, dws, state, hyper):
    """The known mistakes of update ``rule`` after one step per gradient in ``dws`` from ``w`` and ``state``.

    ``state`` is the list of state values in the rule's order (velocity;
    cache; m, v, t), ``hyper`` its hyperparameters. Returns ``{description:
    [next_w, *state]}``, the same layout for every mistake.
    """
    found = {}
    for description, step in _UPDATE_MISTAKES[rule].items():
        cur_w, cur = w, list(state)
        for dw in dws:
            cur_w, *cur = step(cur_w, dw, *cur, *hyper)
        found[description] = [cur_w, *cur]
    if rule in _ONE_STATE:
        # The state computed but not written back: every step starts from the state the check gave.
        right = {"sgd_momentum": sgd_momentum_step, "nesterov": nesterov_step, "rmsprop": rmsprop_step}[rule]
        cur_w = w
        for dw in dws:
            cur_w, new = right(cur_w, dw, *state, *hyper)
        name, var = _ONE_STATE[rule]
        found[f"the new {name} is not stored in config, so every step starts from the old one"
              f"\nfix: config['{name}'] = {var} after computing it"] = [cur_w, state[0]]
    return found


_ONE_STATE = {"sgd_momentum": ("velocity", "v"), "nesterov": ("velocity", "v"), "rmsprop": ("cache", "cache")}


def l2_pool_backward(x, dout, ph, pw, stride):
    """L2-pool gradient by loops: ``dout * x / norm`` per window, 0 for a window whose norm is 0.

    At an all-zero window the norm has no derivative; the library documents
    the subgradient 0 there, which a numerical gradient cannot show.
    """
    N, C, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    win = (n, c, slice(i * stride, i * stride + ph), slice(j * stride, j * stride + pw))
                    norm = np.sqrt(np.sum(x[win] ** 2))
                    if norm > 0:
                        dx[win] += dout[n, c, i, j] * x[win] / norm
    return dx


# ---------------------------------------------------------------- whole models (checks/models.py)

def _weights_penalty(params, reg):
    """0.5 * reg * the sum of squares of the weight matrices W1, W2, ... (never biases, gammas or betas)."""
    return 0.5 * reg * sum(float(np.sum(v ** 2)) for k, v in params.items() if k[0] == "W" and k[1:].isdigit())


def _convnet_features(params, X):
    """conv (odd square filter, stride 1, same padding) - relu - 2x2 max pool, flattened: (N, F*H/2*W/2)."""
    W1 = params["W1"]
    h = relu(conv(X, W1, params["b1"], 1, (W1.shape[2] - 1) // 2))
    return pool(h, 2, 2, 2, "max").reshape(len(X), -1)


def _convnet_head(params, features):
    """affine - relu - affine on the pooled features: the scores."""
    h = relu(np.tensordot(features, params["W2"], axes=1) + params["b2"])
    return np.tensordot(h, params["W3"], axes=1) + params["b3"]


def _convnet_scores(params, X):
    """Scores of conv - relu - 2x2 max pool - affine - relu - affine."""
    return _convnet_head(params, _convnet_features(params, X))


def _fc_scores(params, X, normalization=None, masks=None, keep=1.0):
    """Scores of {affine - [batch/layer norm] - relu - [dropout]} x (L-1) - affine, batch statistics.

    ``masks[i - 1]`` (N, H_i) of 0/1, if given, keeps hidden layer i's units
    where it is 1, scaled by ``1 / keep`` (inverted dropout).
    """
    L = sum(1 for k in params if k[0] == "W")
    h = X.reshape(len(X), -1)
    for i in range(1, L):
        h = np.tensordot(h, params[f"W{i}"], axes=1) + params[f"b{i}"]
        if normalization == "batchnorm":
            h = batchnorm(h, params[f"gamma{i}"], params[f"beta{i}"])
        elif normalization == "layernorm":
            h = layernorm(h, params[f"gamma{i}"], params[f"beta{i}"])
        h = relu(h)
        if masks is not None:
            h = h * masks[i - 1] / keep
    return np.tensordot(h, params[f"W{L}"], axes=1) + params[f"b{L}"]


def _numerical_param_grads(loss, params):
    """Centered differences of ``loss(params)`` with respect to every entry of every array in ``params``."""
    grads = {}
    for k in params:
        def f(v, k=k):
            return loss({**params, k: v})
        grads[k] = numerical_grad_scalar(f, params[k])
    return grads


def three_layer_convnet(params, X, y=None, reg=0.0):
    """The three-layer ConvNet of ``params`` (W1, b1 conv; W2, b2; W3, b3) on the grader's X.

    Returns the scores (N, num_classes) when ``y`` is None, else ``(loss,
    scores)`` with the mean softmax loss plus ``0.5 * reg * sum(W**2)``.
    """
    scores = _convnet_scores(params, X)
    if y is None:
        return scores
    return float(softmax_loss(scores, y)) + _weights_penalty(params, reg), scores


def three_layer_convnet_grads(params, X, y, reg=0.0):
    """Numerical gradients of :func:`three_layer_convnet`'s loss with respect to every parameter."""
    features = _convnet_features(params, X)

    def loss(p):
        # Moving W2..b3 leaves the conv layer's output as it is: compute it once (a 7x speed-up).
        same = p["W1"] is params["W1"] and p["b1"] is params["b1"]
        scores = _convnet_head(p, features if same else _convnet_features(p, X))
        return float(softmax_loss(scores, y)) + _weights_penalty(p, reg)
    return _numerical_param_grads(loss, params)


def fully_connected_net(params, X, y=None, reg=0.0, normalization=None):
    """The fully connected net of ``params`` without dropout (train-mode statistics for batch norm).

    Scores (N, num_classes) when ``y`` is None, else ``(loss, scores)`` as
    for :func:`three_layer_convnet`.
    """
    scores = _fc_scores(params, X, normalization)
    if y is None:
        return scores
    return float(softmax_loss(scores, y)) + _weights_penalty(params, reg), scores


def fully_connected_net_grads(params, X, y, reg=0.0, normalization=None):
    """Numerical gradients of :func:`fully_connected_net`'s loss with respect to every parameter."""
    return _numerical_param_grads(
        lambda p: float(softmax_loss(_fc_scores(p, X, normalization), y)) + _weights_penalty(p, reg), params)


# Known mistakes of the models and the layer-by-layer traces that blame a layer (checks/models.py,
# checks/training.py). Everything is a function of the parameters and data the check chose.

def _penalties(params, reg):
    """Wrong regularization penalties: ``{description: penalty}`` (the right one is 0.5 * reg * sum(W**2))."""
    weights = [k for k in params if k[0] == "W" and k[1:].isdigit()]
    last = max(weights, key=lambda k: int(k[1:]))

    def squares(keys):
        return sum(float(np.sum(params[k] ** 2)) for k in keys)
    norms = [k for k in params if k.startswith(("gamma", "beta"))]
    biases = [k for k in params if k[0] == "b" and k[1:].isdigit()]
    found = {
        "the penalty is reg * sum(W**2), without the 0.5\nfix: loss += 0.5 * reg * sum(np.sum(W**2) for each W)":
        reg * squares(weights),
        "the regularization penalty is missing from the loss\nfix: loss += 0.5 * reg * sum(np.sum(W**2) for each W)":
        0.0,
        "the penalty also sums the biases' squares (0.5 * reg * sum(b**2) too)"
        "\nfix: regularize the weights W1, W2, ... only, not the biases": 0.5 * reg * squares(weights + biases),
        "the penalty leaves out the last layer's weights"
        f"\nfix: sum 0.5 * reg * np.sum(W**2) over every W, {last} included":
        0.5 * reg * squares([k for k in weights if k != last]),
    }
    if norms:
        found["the penalty sums every parameter's squares: biases, gammas and betas too"
              "\nfix: regularize the weights W1, W2, ... only"] = 0.5 * reg * squares(list(params))
    return found if reg > 0 else {}


def _convnet_variant_scores(params, X, *, conv_relu=True, hidden_relu=True, scores_relu=False):
    W1 = params["W1"]
    h = conv(X, W1, params["b1"], 1, (W1.shape[2] - 1) // 2)
    h = pool(relu(h) if conv_relu else h, 2, 2, 2, "max").reshape(len(X), -1)
    h = np.tensordot(h, params["W2"], axes=1) + params["b2"]
    s = np.tensordot(relu(h) if hidden_relu else h, params["W3"], axes=1) + params["b3"]
    return relu(s) if scores_relu else s


_CONVNET_STRUCTURE = {
    "no ReLU after the hidden affine layer: conv - relu - pool - affine - affine"
    "\nfix: relu_forward the hidden affine output before the last affine layer (relu_backward on the way back)":
    {"hidden_relu": False},
    "no ReLU after the conv layer: conv - pool - affine - relu - affine"
    "\nfix: relu_forward the conv output before the max pool (and relu_backward on the way back)": {"conv_relu": False},
    "a ReLU is applied to the scores, after the last affine layer"
    "\nfix: the scores are the last affine layer's output, with no ReLU": {"scores_relu": True},
}


def three_layer_convnet_mistakes(params, X, y, reg=0.0):
    """``{description: [loss, scores]}``: ThreeLayerConvNet.loss's common wrong versions (None: that output right)."""
    found = {}
    for description, change in _CONVNET_STRUCTURE.items():
        scores = _convnet_variant_scores(params, X, **change)
        found[description] = [float(softmax_loss(scores, y)) + _weights_penalty(params, reg), scores]
    data = float(softmax_loss(_convnet_scores(params, X), y))
    for description, penalty in _penalties(params, reg).items():
        found[description] = [data + penalty, None]
    return found


def fully_connected_net_mistakes(params, X, y, reg=0.0, normalization=None):
    """``{description: [loss, scores]}``: FullyConnectedNet.loss's common wrong versions (None: that output right)."""
    found = {}
    if normalization is not None:
        scores = _fc_scores(params, X)
        found[f"{normalization} is not applied: the hidden layers are affine - relu"
              f"\nfix: pass gamma{{i}}, beta{{i}}, the layer's bn_param and self.normalization to "
              f"affine_norm_relu_forward"] = [float(softmax_loss(scores, y)) + _weights_penalty(params, reg), scores]
    data = float(softmax_loss(_fc_scores(params, X, normalization), y))
    for description, penalty in _penalties(params, reg).items():
        found[description] = [data + penalty, None]
    return found


def regularization_grad_mistakes(params, reg):
    """``{description: {name: change}}``: wrong penalty gradients, as changes to each right gradient."""
    if not reg > 0:
        return {}
    weights = [k for k in params if k[0] == "W" and k[1:].isdigit()]
    others = [k for k in params if k not in weights]
    return {
        "reg * W is not added to the weights' gradients\nfix: grads[W] += reg * W for every weight matrix":
        {k: -reg * params[k] for k in weights},
        "the penalty's gradient is 2 * reg * W (the derivative of reg * sum(W**2), without the 0.5)"
        "\nfix: grads[W] += reg * W, the derivative of 0.5 * reg * sum(W**2)": {k: reg * params[k] for k in weights},
        "reg * p is added to the gradients of the biases (and of gammas, betas) too"
        "\nfix: grads[k] += reg * params[k] only for the weights W1, W2, ...": {k: reg * params[k] for k in others},
    }


def _conv_dw(x, dout, pad):
    """dw and db of a stride-1 convolution: dw[f, c] = correlate(x_padded[:, c], dout[:, f]) over the batch."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    F, C = dout.shape[1], x.shape[1]
    dw = np.array([[signal.correlate(xp[:, c], dout[:, f], mode="valid", method="direct")[0]
                    for c in range(C)] for f in range(F)])
    return dw, dout.sum(axis=(0, 2, 3))


def three_layer_convnet_trace(params, X, y):
    """Every layer's input and output in ThreeLayerConvNet.loss (reg 0), forward and backward, by the references.

    Keys: ``conv relu1 pool hidden relu2 scores loss dscores drelu2 dW3 db3 dhidden dpooled dW2 db2 drelu1 dconv
    dW1 db1``; ``pool`` is (N, F, H/2, W/2), ``dpooled`` the same shape.
    """
    W1 = params["W1"]
    pad = (W1.shape[2] - 1) // 2
    tr = {"conv": conv(X, W1, params["b1"], 1, pad)}
    tr["relu1"] = relu(tr["conv"])
    tr["pool"] = pool(tr["relu1"], 2, 2, 2, "max")
    tr["hidden"] = affine(tr["pool"], params["W2"], params["b2"])
    tr["relu2"] = relu(tr["hidden"])
    tr["scores"] = affine(tr["relu2"], params["W3"], params["b3"])
    tr["loss"] = float(softmax_loss(tr["scores"], y))
    tr["dscores"] = softmax_loss_grad(tr["scores"], y)
    tr["drelu2"], tr["dW3"], tr["db3"] = tr["dscores"] @ params["W3"].T, tr["relu2"].T @ tr["dscores"], \
        tr["dscores"].sum(axis=0)
    tr["dhidden"] = tr["drelu2"] * (tr["hidden"] > 0)
    rows = tr["pool"].reshape(len(X), -1)
    tr["dpooled"] = (tr["dhidden"] @ params["W2"].T).reshape(tr["pool"].shape)
    tr["dW2"], tr["db2"] = rows.T @ tr["dhidden"], tr["dhidden"].sum(axis=0)
    tr["drelu1"] = max_pool_backward(tr["relu1"], tr["dpooled"], 2, 2, 2)
    tr["dconv"] = tr["drelu1"] * (tr["conv"] > 0)
    tr["dW1"], tr["db1"] = _conv_dw(X, tr["dconv"], pad)
    return tr


def _norm_backward(dout, xhat, gamma, std, axis):
    """Closed-form gradients of ``gamma * xhat + beta`` with xhat normalised along ``axis``: (dx, dgamma, dbeta)."""
    n = xhat.shape[axis]
    dxhat = dout * gamma
    dx = (n * dxhat - dxhat.sum(axis=axis, keepdims=True)
          - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True)) / (n * std)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def fully_connected_net_trace(params, X, y, normalization=None):
    """Every layer's input and output in FullyConnectedNet.loss (reg 0, no dropout), forward and backward.

    For hidden layer i: ``x{i}`` its input (N, D_i) (``x1`` is X flattened), ``a{i}`` the affine output,
    ``n{i}`` the normalised one (without normalization, a{i}), ``r{i}`` after ReLU; ``dr{i} dn{i} da{i} dx{i}``
    and ``dW{i} db{i} dgamma{i} dbeta{i}`` their gradients; ``scores loss dscores``.
    """
    L = sum(1 for k in params if k[0] == "W")
    tr, stats = {}, {}
    h = X.reshape(len(X), -1)
    for i in range(1, L):
        tr[f"x{i}"] = h
        a = affine(h, params[f"W{i}"], params[f"b{i}"])
        tr[f"a{i}"] = n = a
        if normalization is not None:
            axis = 0 if normalization == "batchnorm" else 1
            std = np.sqrt(a.var(axis=axis, keepdims=True) + 1e-5)
            xhat = (a - a.mean(axis=axis, keepdims=True)) / std
            stats[i] = (xhat, std, axis)
            n = (batchnorm if normalization == "batchnorm" else layernorm)(a, params[f"gamma{i}"], params[f"beta{i}"])
        tr[f"n{i}"] = n
        tr[f"r{i}"] = h = relu(n)
    tr[f"x{L}"] = h
    tr["scores"] = affine(h, params[f"W{L}"], params[f"b{L}"])
    tr["loss"] = float(softmax_loss(tr["scores"], y))
    d = tr["dscores"] = softmax_loss_grad(tr["scores"], y)
    for i in range(L, 0, -1):
        if i < L:
            tr[f"dr{i}"] = d
            d = tr[f"dn{i}"] = d * (tr[f"n{i}"] > 0)
            if normalization is not None:
                xhat, std, axis = stats[i]
                d, tr[f"dgamma{i}"], tr[f"dbeta{i}"] = _norm_backward(d, xhat, params[f"gamma{i}"], std, axis)
            tr[f"da{i}"] = d
        tr[f"dW{i}"], tr[f"db{i}"] = tr[f"x{i}"].T @ d, d.sum(axis=0)
        d = tr[f"dx{i}"] = d @ params[f"W{i}"].T
    return tr


def _fully_connected_net_dropout(params, X, y, keep, masks):
    """``(loss, numerical grads)`` of the plain fully connected net with the given dropout masks, reg 0.

    Private: the masks are what the student's dropout layer draws for the
    model's seed, so the release cannot replay this (see checks/models.py).
    """
    def loss(p):
        return float(softmax_loss(_fc_scores(p, X, None, masks, keep), y))
    return loss(params), _numerical_param_grads(loss, params)


def _three_layer_convnet(params, X, y):
    """Loss and class scores of the course's three-layer net, by the references above.

    conv (3x3 or any odd square filter, stride 1, same padding) - relu -
    2x2 max pool - affine - relu - affine - mean softmax cross-entropy, no
    regularization; ``params`` holds W1, b1 (F, C, HH, HH), W2, b2, W3, b3.
    Returns ``(loss, scores)`` with scores (N, num_classes).

    Private on purpose: the training check evaluates parameters the
    student's Solver produced, and the release can only replay reference
    results recorded on the grader's own inputs, so the release does not
    ship this function (see ``checks/training.py``).
    """
    scores = _convnet_scores(params, X)
    return float(softmax_loss(scores, y)), scores


def _fully_connected_net(params, X, y):
    """``(loss, scores)`` of the plain fully connected net (no normalization, no dropout, reg 0).

    Private for the same reason as :func:`_three_layer_convnet`: the overfitting
    part of checks/models.py evaluates parameters trained with the student's gradients.
    """
    scores = _fc_scores(params, X)
    return float(softmax_loss(scores, y)), scores
