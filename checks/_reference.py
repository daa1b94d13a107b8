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
