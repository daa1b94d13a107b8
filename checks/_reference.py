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


def conv_grads(x, w, dout, stride, pad):
    """Analytic (dx, dw, db) of :func:`conv` for upstream ``dout``, by a loop over the HH*WW window offsets.

    For the large cases, where numerical gradients would take minutes;
    tests/unit/test_reference_conv.py checks it against them.
    """
    return _conv_grads(x, w, dout, stride, pad)


def _padded(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def _conv_grads(x, w, dout, stride, pad, *, row_step=None, col_step=None):
    """Gradients of a cross-correlation whose windows start at (y*row_step, x*col_step) (default: the stride)."""
    rs, cs = row_step or stride, col_step or stride
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    xp = _padded(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    for i in range(HH):
        for j in range(WW):
            # offset (i, j) of every window: xp[:, :, i + y*rs, j + x*cs]
            rows, cols = slice(i, i + rs * (H_out - 1) + 1, rs), slice(j, j + cs * (W_out - 1) + 1, cs)
            dw[:, :, i, j] = np.einsum("nfyx,ncyx->fc", dout, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nfyx,fc->ncyx", dout, w[:, :, i, j])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def _conv_steps(x, w, b, pad, row_step, col_step):
    """Forward pass whose windows start at (y*row_step, x*col_step), with the output size of the real stride."""
    full = conv(x, w, b, 1, pad)
    return full[:, :, ::row_step, ::col_step]


def _flipped_dx(dout, w_eff, pad, HH):
    """dx computed as a convolution of dout (stride 1) with the given (C, F, HH, WW) filters, pad HH - 1 - P."""
    return conv(dout, w_eff, np.zeros(w_eff.shape[0]), 1, HH - 1 - pad)


# Known mistakes in the convolution layers (cs231n_cnn.grading.mistakes): the results the common wrong versions
# give on the check's inputs. Descriptions: what the code did, then the fix.
_NO_BIAS = ("the bias is never added: out[n, f] = sum(window * w[f])"
            "\nfix: add b[f] to every output of filter f: np.sum(window * w[f]) + b[f]")
_STRIDE_IGNORED = ("the stride is ignored in the window start: the window of output (y, x) starts at (y, x), "
                   "not (y*S, x*S)\nfix: xpad[n, :, y*stride : y*stride + HH, x*stride : x*stride + WW]")


def conv_forward_mistakes(x, w, b, stride, pad, fast=False):
    """``{description: out}`` for the known mistakes of a conv forward pass on these inputs.

    ``fast``: also the mistakes of the im2col layer (how the filters are
    flattened, how the product is regrouped to NCHW).
    """
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    right = conv(x, w, b, stride, pad)
    _, _, H_out, W_out = right.shape
    found = {_NO_BIAS: conv(x, w, np.zeros_like(b), stride, pad)}
    if stride > 1:
        found[_STRIDE_IGNORED] = conv(x, w, b, 1, pad)[:, :, :H_out, :W_out]
        found["the stride is ignored in the row start: the window of output (y, x) starts at row y, not y*S"
              "\nfix: rows y*stride : y*stride + HH"] = _conv_steps(x, w, b, pad, 1, stride)[:, :, :H_out, :W_out]
        found["the stride is ignored in the column start: the window of output (y, x) starts at column x, not x*S"
              "\nfix: columns x*stride : x*stride + WW"] = _conv_steps(x, w, b, pad, stride, 1)[:, :, :H_out, :W_out]
    found["the filters are flipped (a true convolution, as scipy.signal.convolve), but the layer is a "
          "cross-correlation\nfix: multiply each window by w[f] as it is, not w[f, :, ::-1, ::-1]"] = \
        conv(x, w[:, :, ::-1, ::-1], b, stride, pad)
    if N <= F:
        found["the bias is indexed by the image, b[n], not by the filter"
              "\nfix: + b[f] for filter f"] = right - b[None, :, None, None] + b[:N, None, None, None]
    if fast:
        K = C * HH * WW
        found["the filters are flattened channel-last (w.transpose(0, 2, 3, 1).reshape(F, -1)), but im2col's "
              "rows are ordered (c, i, j)\nfix: w.reshape(F, -1), which matches the rows of cols"] = \
            conv(x, w.transpose(0, 2, 3, 1).reshape(w.shape), b, stride, pad)
        found["the filters are reshaped to (C*HH*WW, F) and transposed (w.reshape(-1, F).T), which mixes "
              "filters and their weights\nfix: w.reshape(F, -1)"] = conv(x, w.reshape(K, F).T.reshape(w.shape), b,
                                                                       stride, pad)
        # conv_forward_fast calls the student's im2col: its known mistakes show here too.
        for description, cols in im2col_mistakes(x, HH, WW, stride, pad).items():
            what, _, fix = description.partition("\nfix: ")
            product = (w.reshape(F, K) @ cols).reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
            found[f"im2col's {what.removeprefix('the ')} (see the im2col check): out is w.reshape(F, -1) @ those "
                  f"columns\nfix: in im2col, {fix}"] = product + b[None, :, None, None]
        rows = right.transpose(1, 0, 2, 3)                   # the product, (F, N, H_out, W_out)
        found["the product (F, N*H_out*W_out) is reshaped to (N, F, H_out, W_out) without moving F after N: "
              "images and filters are mixed\nfix: rows.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)"] = \
            rows.reshape(right.shape)
        k = max(1, N // 8)
        if 1 < k < N:
            # conv_forward_fast's docstring: the product is computed for a block of N/8 images at a time.
            blocks = [rows[:, n0:n0 + k].reshape(-1, F, H_out, W_out) for n0 in range(0, N, k)]
            found[f"each block's product (F, k*H_out*W_out), k = N // 8 = {k} images, is reshaped to (k, F, ...) "
                  f"without moving F after the image axis: images and filters are mixed within each block"
                  f"\nfix: rows.reshape(F, k, H_out*W_out).transpose(1, 0, 2)"] = np.concatenate(blocks)
    return found


def conv_backward_mistakes(x, w, b, stride, pad, dout, fast=False):
    """``{description: (dx, dw, db)}`` for the known mistakes of a conv backward pass on these inputs.

    ``fast``: also the mistakes of the im2col layer (dout regrouped, dw.T,
    dx as a convolution with the filters not flipped or not swapped).
    """
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    dx, dw, db = _conv_grads(x, w, dout, stride, pad)
    xp = _padded(x, pad)
    found = {
        "db is the mean of dout over images and positions, not the sum"
        "\nfix: db = dout.sum(axis=(0, 2, 3))": (dx, dw, db / (N * H_out * W_out)),
        "db sums the last image's dout only: the sum over the batch is missing (or db is overwritten per image)"
        "\nfix: db = dout.sum(axis=(0, 2, 3))": (dx, dw, dout[-1].sum(axis=(1, 2))),
        "dw is flipped in both spatial axes, as if the forward pass were a true convolution"
        "\nfix: dw[f] += dout[n, f, y, x] * window, the window as it is": (dx, dw[:, :, ::-1, ::-1], db),
    }
    if stride > 1:
        found["the stride is ignored in the window start: the window of output (y, x) starts at (y, x), "
              "not (y*S, x*S)\nfix: rows y*stride : y*stride + HH, columns x*stride : x*stride + WW"] = \
            _conv_grads(x, w, dout, stride, pad, row_step=1, col_step=1)
    # = instead of +=, in the loop order n, f, y, x: each term replaces the previous one.
    last = xp[-1, :, (H_out - 1) * stride:(H_out - 1) * stride + HH, (W_out - 1) * stride:(W_out - 1) * stride + WW]
    found["dw[f] is overwritten at each output position (= instead of +=): only the last window's term remains"
          "\nfix: dw[f] += dout[n, f, y, x] * window"] = (dx, dout[-1, :, -1, -1, None, None, None] * last, db)
    dxp = np.zeros_like(xp)
    for y in range(H_out):
        for x_ in range(W_out):
            dxp[:, :, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW] = \
                dout[:, -1, y, x_, None, None, None] * w[-1]
    found["dx is overwritten (= instead of +=): each input pixel keeps only the last term, from the last filter "
          "and window that touch it\nfix: dxpad[n, :, rows, cols] += dout[n, f, y, x] * w[f]"] = \
        (dxp[:, :, pad:pad + H, pad:pad + W], dw, db)
    if fast:
        dout_mixed = dout.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
        found["dout is reshaped to (F, N*H_out*W_out) without moving F first (dout.reshape(F, -1)): images and "
              "filters are mixed\nfix: dout.transpose(1, 0, 2, 3).reshape(F, -1)"] = \
            _conv_grads(x, w, dout_mixed, stride, pad)
        K = C * HH * WW
        found["dw is reshaped from (C*HH*WW, F) without transposing it back (cols @ dout_rows.T is dw.T)"
              "\nfix: dw = (dout_rows @ cols.T).reshape(w.shape), or transpose before reshaping"] = \
            (dx, dw.reshape(F, K).T.reshape(w.shape), db)
        if stride == 1 and HH == WW and pad <= HH - 1:
            # conv_backward_fast's Notes: dx = conv(dout, w flipped with F and C swapped, pad HH - 1 - P).
            found["dx as a convolution: the filters are not flipped (w.transpose(1, 0, 2, 3) without "
                  "[:, :, ::-1, ::-1])\nfix: w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)"] = \
                (_flipped_dx(dout, w.transpose(1, 0, 2, 3), pad, HH), dw, db)
            found["dx as a convolution: the product (C, N*H*W) is reshaped to (N, C, H, W) without moving C "
                  "after N: images and channels are mixed\nfix: dx_rows.reshape(C, N, H, W).transpose(1, 0, 2, 3)"] = \
                (dx.transpose(1, 0, 2, 3).reshape(dx.shape), dw, db)
            found["dx as a convolution: the filters' F and C axes are not swapped (the flipped (F, C, HH, WW) "
                  "filters reshaped to (C, F*HH*WW))\nfix: w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)"] = \
                (_flipped_dx(dout, w[:, :, ::-1, ::-1].reshape(C, F, HH, WW), pad, HH), dw, db)
    return found


def im2col_mistakes(x, HH, WW, stride, pad):
    """``{description: cols}`` for the known mistakes of im2col: rows or columns in another order."""
    N, C = x.shape[:2]
    cols = im2col(x, HH, WW, stride, pad)
    K, L = cols.shape
    by_row = cols.reshape(C, HH, WW, L)
    found = {"the rows are ordered (i, j, c), channel fastest, which does not match w.reshape(F, -1)"
             "\nfix: row (c*HH + i)*WW + j holds offset (i, j) of channel c":
             by_row.transpose(1, 2, 0, 3).reshape(K, L),
             "the columns are ordered (y, x, n), image fastest (as the old course im2col_indices)"
             "\nfix: column (n*H_out + y)*W_out + x holds output position (n, y, x)":
             cols.reshape(K, N, L // N).transpose(0, 2, 1).reshape(K, L)}
    if HH == WW:
        found["the rows are ordered (c, j, i): the kernel's row and column offsets are swapped"
              "\nfix: row (c*HH + i)*WW + j holds offset (i, j) of channel c"] = \
            by_row.transpose(0, 2, 1, 3).reshape(K, L)
    return found


def _col2im(cols, x_shape, HH, WW, stride, pad, *, assign=False):
    """col2im by a loop over window offsets: += the entries (``assign``: = them, the last offset wins)."""
    N, C, H, W = x_shape
    H_out, W_out = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    c6 = cols.reshape(C, HH, WW, N, H_out, W_out).transpose(3, 0, 1, 2, 4, 5)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for i in range(HH):
        for j in range(WW):
            target = (slice(None), slice(None), slice(i, i + stride * (H_out - 1) + 1, stride),
                      slice(j, j + stride * (W_out - 1) + 1, stride))
            xp[target] = c6[:, :, i, j] if assign else xp[target] + c6[:, :, i, j]
    return xp[:, :, pad:pad + H, pad:pad + W]


def col2im_mistakes(cols, x_shape, HH, WW, stride, pad):
    """``{description: x}`` for the known mistakes of col2im on these columns."""
    C = x_shape[1]
    K, L = cols.shape
    found = {"col2im assigns (=) where it must add (+=): where windows overlap only the last entry survives"
             "\nfix: xpad[...] += the columns' entries (np.add.at with fancy indices)":
             _col2im(cols, x_shape, HH, WW, stride, pad, assign=True)}
    if HH == WW:
        found["the rows are read as (c, j, i): the kernel's row and column offsets are swapped"
              "\nfix: row (c*HH + i)*WW + j of cols holds offset (i, j) of channel c"] = \
            _col2im(cols.reshape(C, HH, WW, L).transpose(0, 2, 1, 3).reshape(K, L), x_shape, HH, WW, stride, pad)
    return found


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


def _local_grads(x, w, dout, stride, pad, *, assign_dx=None):
    """(dx, dw, db) of :func:`local` by loops.

    ``assign_dx``: dx written with = instead of +=, in a loop over output
    positions (``"positions"``: the last window touching a pixel wins) or
    over window offsets (``"offsets"``: the last offset (k, l) wins).
    """
    N, C, H, W = x.shape
    H_out, W_out, F, _, HH, WW = w.shape
    xp = _padded(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    terms = np.zeros((N, C, H_out, W_out, HH, WW))
    for i in range(H_out):
        for j in range(W_out):
            rows, cols = slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)
            dw[i, j] = np.tensordot(dout[:, :, i, j], xp[:, :, rows, cols], axes=([0], [0]))
            terms[:, :, i, j] = np.tensordot(dout[:, :, i, j], w[i, j], axes=([1], [0]))     # (N, C, HH, WW)
            if assign_dx != "offsets":
                dxp[:, :, rows, cols] = terms[:, :, i, j] if assign_dx else dxp[:, :, rows, cols] + terms[:, :, i, j]
    if assign_dx == "offsets":
        for k in range(HH):
            for l_ in range(WW):
                dxp[:, :, k:k + stride * (H_out - 1) + 1:stride, l_:l_ + stride * (W_out - 1) + 1:stride] = \
                    terms[:, :, :, :, k, l_]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=0).transpose(1, 2, 0)


def local_forward_mistakes(x, w, b, stride, pad):
    """``{description: out}`` for the known mistakes of the locally connected forward pass."""
    H_out, W_out, F, C, HH, WW = w.shape
    plain = local(x, w, np.zeros_like(b), stride, pad)
    found = {
        "the bias is never added\nfix: out += b.transpose(2, 0, 1), b[i, j, f] for output (f, i, j)": plain,
        "b is reshaped to (F, H_out, W_out) instead of transposed: biases land at other positions and filters"
        "\nfix: b.transpose(2, 0, 1)": plain + b.reshape(F, H_out, W_out),
        "one bias per filter is shared by all positions (b[0, 0, f], as in a convolution)"
        "\nfix: output (f, i, j) gets b[i, j, f]": plain + b[0, 0][:, None, None],
        "the filters of position (0, 0) are used at every position (a convolution, not a locally connected "
        "layer)\nfix: output position (i, j) uses its own filters w[i, j]":
        local(x, np.broadcast_to(w[0, 0], w.shape), b, stride, pad),
    }
    if HH == WW:
        found["each filter is used transposed: window offset (k, l) multiplies w[i, j, f, c, l, k]"
              "\nfix: offset (k, l) of the window multiplies w[i, j, f, c, k, l]"] = \
            local(x, w.swapaxes(4, 5), b, stride, pad)
    return found


def local_backward_mistakes(x, w, b, stride, pad, dout):
    """``{description: (dx, dw, db)}`` for the known mistakes of the locally connected backward pass."""
    dx, dw, db = _local_grads(x, w, dout, stride, pad)
    H_out, W_out, F = b.shape
    return {
        "db is the mean of dout over the batch, not the sum\nfix: db = dout.sum(axis=0).transpose(1, 2, 0)":
        (dx, dw, db / x.shape[0]),
        "db is reshaped from (F, H_out, W_out) to (H_out, W_out, F) instead of transposed"
        "\nfix: dout.sum(axis=0).transpose(1, 2, 0)": (dx, dw, dout.sum(axis=0).reshape(H_out, W_out, F)),
        "dx is overwritten where windows overlap (= instead of +=, looping over output positions): each input "
        "pixel keeps only the last window's term\nfix: dxpad[n, :, rows, cols] += the window's gradient":
        (_local_grads(x, w, dout, stride, pad, assign_dx="positions")[0], dw, db),
        "dx is overwritten where windows overlap (= instead of +=, looping over window offsets (k, l)): each "
        "input pixel keeps only the last offset's term\nfix: dxpad[:, :, k:k + S*H_out:S, l:l + S*W_out:S] += "
        "dwindows[..., k, l]":
        (_local_grads(x, w, dout, stride, pad, assign_dx="offsets")[0], dw, db),
    }


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
