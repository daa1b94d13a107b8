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


# Known mistakes of local response normalization (cs231n_cnn.grading.mistakes): each description says
# what the code did, then the fix. The window of channel c is c - before ... c + after.

def _lrn_variant(x, size, alpha, beta, k, *, before=None, after=None, divide=True, use_k=True, power=None):
    """LRN forward by a loop over channels with one thing changed (window, alpha / size, k, the power)."""
    before = size // 2 if before is None else before
    after = (size - 1) // 2 if after is None else after
    C = x.shape[1]
    out = np.empty_like(x)
    for c in range(C):
        s = (x[:, max(0, c - before):min(C, c + after + 1)] ** 2).sum(axis=1)
        scale = (k if use_k else 0.0) + (alpha / size if divide else alpha) * s
        out[:, c] = x[:, c] * scale ** (-beta if power is None else power)
    return out


def lrn_mistakes(x, size, alpha, beta, k):
    """``{description: out}`` of the common wrong LRN forward passes on ``x`` (N, C, H, W)."""
    window = "c - size//2 ... c + (size-1)//2 (zeros outside 0..C-1)"
    return {
        "alpha is not divided by size: scale = k + alpha * (sum of x**2 over the window)"
        "\nfix: scale = k + alpha / size * (the window sum), PyTorch's definition (the AlexNet paper's alpha "
        "is alpha / size here)": _lrn_variant(x, size, alpha, beta, k, divide=False),
        "k is missing: scale = alpha / size * (the window sum)"
        "\nfix: scale = k + alpha / size * (the window sum)": _lrn_variant(x, size, alpha, beta, k, use_k=False),
        "the power's sign is flipped: out = x * scale**beta"
        "\nfix: out = x * scale**(-beta), i.e. x divided by scale**beta":
        _lrn_variant(x, size, alpha, beta, k, power=beta),
        "beta is not used: out = x / scale"
        "\nfix: out = x / scale**beta": _lrn_variant(x, size, alpha, beta, k, power=-1.0),
        "the window is not centred on channel c: it runs from c to c + size - 1"
        f"\nfix: the window of channel c is {window}": _lrn_variant(x, size, alpha, beta, k, before=0,
                                                                    after=size - 1),
        "the window reaches (size-1)//2 channels back and size//2 forward: mirrored, which an even size shows"
        f"\nfix: the window of channel c is {window}, one channel further back for an even size":
        _lrn_variant(x, size, alpha, beta, k, before=(size - 1) // 2, after=size // 2),
        "the window has size//2 channels on each side: size + 1 channels for an even size"
        f"\nfix: the window of channel c is the size channels {window}":
        _lrn_variant(x, size, alpha, beta, k, before=size // 2, after=size // 2),
    }


def _lrn_dx(x, dout, size, alpha, beta, k, *, coef=None, extra_power=1, mirrored=True, with_x=True, sign=-1):
    """LRN's dx by loops over channels, with one term of the backward pass changed."""
    C = x.shape[1]
    scale = np.empty_like(x)
    for c in range(C):
        scale[:, c] = k + alpha / size * (x[:, max(0, c - size // 2):min(C, c + (size - 1) // 2 + 1)] ** 2).sum(axis=1)
    through = dout * x * scale ** (-beta - extra_power)
    back, ahead = ((size - 1) // 2, size // 2) if mirrored else (size // 2, (size - 1) // 2)
    window = np.empty_like(x)
    for j in range(C):
        window[:, j] = through[:, max(0, j - back):min(C, j + ahead + 1)].sum(axis=1)
    coef = 2 * alpha * beta / size if coef is None else coef
    return dout * scale ** (-beta) + sign * coef * (x if with_x else 1.0) * window


def lrn_backward_mistakes(x, dout, size, alpha, beta, k):
    """``{description: [dx]}`` of the common wrong LRN backward passes (x, dout of shape (N, C, H, W))."""
    right = "dx_j = dout_j * s_j**(-beta) - (2*alpha*beta/size) * x_j * sum_{c: j in window(c)} dout_c * x_c * " \
            "s_c**(-beta-1)"
    return {
        "the path through the window sum is missing: dx = dout * scale**(-beta), as if scale did not depend on x"
        f"\nfix: {right}": [_lrn_dx(x, dout, size, alpha, beta, k, coef=0.0)],
        "the window term has no factor 2 (the derivative of x**2 is 2x)"
        f"\nfix: {right}": [_lrn_dx(x, dout, size, alpha, beta, k, coef=alpha * beta / size)],
        "the window term's alpha is not divided by size"
        f"\nfix: {right}": [_lrn_dx(x, dout, size, alpha, beta, k, coef=2 * alpha * beta)],
        "the window term uses scale**(-beta), not scale**(-beta - 1)"
        f"\nfix: {right}": [_lrn_dx(x, dout, size, alpha, beta, k, extra_power=0)],
        "the window term is not multiplied by x_j"
        f"\nfix: {right}": [_lrn_dx(x, dout, size, alpha, beta, k, with_x=False)],
        "the window term is added, not subtracted"
        f"\nfix: {right}": [_lrn_dx(x, dout, size, alpha, beta, k, sign=1)],
        "the backward window sum reuses the forward window (size//2 back, (size-1)//2 forward), which an even "
        "size shows\nfix: channel j gets the outputs c whose window holds it, j - (size-1)//2 <= c <= j + size//2 "
        "(the forward padding mirrored)": [_lrn_dx(x, dout, size, alpha, beta, k, mirrored=False)],
    }


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


# Known mistakes of the normalization layers (cs231n_cnn.grading.mistakes). Each ``*_mistakes`` function
# takes only inputs a check chose and the ids of the mistakes wanted on that input (a check asks only for
# those that can show there, and that stay told apart), and returns ``{description: result}`` where a
# description is what the code did, then the fix. Backward ones return ``[dx, dgamma, dbeta]`` with None
# for a gradient the mistake leaves right.

def _stats(v, axis, *, ddof=0, center=True):
    """Mean and variance of ``v`` over ``axis`` (kept), the variance with ``ddof`` or uncentred."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    n = int(np.prod([v.shape[a] for a in axes]))
    mean = v.sum(axis=axes, keepdims=True) / n
    if center:
        var = ((v - mean) ** 2).sum(axis=axes, keepdims=True) / (n - ddof)
    else:
        var = (v ** 2).sum(axis=axes, keepdims=True) / n
    return mean, var


def _standardize(v, mean, var, eps, *, eps_at="inside", root=True):
    """``(v - mean) / sqrt(var + eps)``, or eps outside the root / left out, or no root at all."""
    if not root:
        return (v - mean) / (var + eps)
    if eps_at == "outside":
        return (v - mean) / (np.sqrt(var) + eps)
    return (v - mean) / np.sqrt(var + (eps if eps_at == "inside" else 0.0))


# What each forward mistake changes: keyword arguments of _stats and _standardize, or the affine step.
_NORM_HOW = {
    "unbiased": ({"ddof": 1}, {}),
    "uncentred_var": ({"center": False}, {}),
    "eps_outside": ({}, {"eps_at": "outside"}),
    "no_eps": ({}, {"eps_at": "none"}),
    "no_sqrt": ({}, {"root": False}),
}
_AFFINE = {
    "swapped_affine": lambda xh, gamma, beta: beta * xh + gamma,
    "no_affine": lambda xh, gamma, beta: xh,
    "no_beta": lambda xh, gamma, beta: gamma * xh,
}


def _norm_texts(var, where):
    """The descriptions of the mistakes every normalization layer shares; ``where`` names its statistics."""
    right = "x_hat = (x - mean) / np.sqrt(var + eps)"
    return {
        "unbiased": f"the variance is unbiased (ddof=1, divided by the count - 1)\nfix: the biased variance "
                    f"{var} (divided by the count, as in the paper)",
        "uncentred_var": f"the variance is the mean of x**2: the mean is not subtracted first\nfix: "
                         f"var = ((x - mean)**2).mean(...) over {where}",
        "eps_outside": f"eps is added outside the square root: (x - mean) / (np.sqrt(var) + eps)\nfix: {right}",
        "no_eps": f"eps is not used: (x - mean) / np.sqrt(var)\nfix: {right}",
        "no_sqrt": f"x - mean is divided by the variance, not the standard deviation: (x - mean) / (var + eps)"
                   f"\nfix: {right}",
        "swapped_affine": "gamma and beta are swapped: out = beta * x_hat + gamma\nfix: out = gamma * x_hat + beta",
        "no_affine": "gamma and beta are not applied after normalizing: out = x_hat (scaling before normalizing "
                     "is undone by it)\nfix: out = gamma * x_hat + beta, after normalizing",
        "no_beta": "beta is not added: out = gamma * x_hat\nfix: out = gamma * x_hat + beta",
        "eps_ignored": "norm_param['eps'] is not used: eps is always 1e-5\nfix: eps = the param dict's 'eps' "
                       "(1e-5 only when it has none)",
    }


def _norm_variant(x, gamma, beta, eps, key, axis, *, mean=None, var=None):
    """One forward mistake ``key`` of _NORM_HOW / _AFFINE / eps_ignored, statistics over ``axis`` (or given)."""
    stats_kw, std_kw = _NORM_HOW.get(key, ({}, {}))
    if mean is None:
        mean, var = _stats(x, axis, **stats_kw)
    xh = _standardize(x, mean, var, 1e-5 if key == "eps_ignored" else eps, **std_kw)
    return _AFFINE.get(key, lambda xh, gamma, beta: gamma * xh + beta)(xh, gamma, beta)


def batchnorm_mistakes(x, gamma, beta, eps, which, running_mean=None, running_var=None, momentum=0.9):
    """``{description: out}`` of the wrong batch norm forward passes ``which`` on x (N, D).

    Train mode (batch statistics) unless ``running_mean`` and ``running_var``
    are given (test mode). Ids: those of _NORM_HOW and _AFFINE,
    ``running_in_train`` (train mode normalizes with the updated running
    averages, from zeros) and ``batch_in_test``.
    """
    texts = _norm_texts("x.var(axis=0)", "axis 0")
    texts["running_in_train"] = (
        "train mode normalizes with the updated running averages, not the batch's own mean and variance"
        "\nfix: train mode: x_hat = (x - mean) / np.sqrt(var + eps) with the batch's statistics; running_mean "
        "and running_var are for test mode")
    texts["batch_in_test"] = (
        "test mode normalizes with the batch's mean and variance, not running_mean and running_var"
        "\nfix: test mode: x_hat = (x - running_mean) / np.sqrt(running_var + eps)")
    test = running_mean is not None
    found = {}
    for key in which:
        if key == "running_in_train":
            mean, var = _stats(x, 0)
            out = _norm_variant(x, gamma, beta, eps, "", 0, mean=(1 - momentum) * mean, var=(1 - momentum) * var)
        elif key == "batch_in_test":
            out = _norm_variant(x, gamma, beta, eps, "", 0)
        elif test:
            stats_kw = _NORM_HOW.get(key, ({}, {}))[0]
            if stats_kw:
                raise ValueError(f"{key} is a mistake of the batch statistics, which test mode does not use")
            out = _norm_variant(x, gamma, beta, eps, key, 0, mean=running_mean, var=running_var)
        else:
            out = _norm_variant(x, gamma, beta, eps, key, 0)
        found[texts[key]] = out
    return found


def _bn_dx(xh, std, g, axis, *, mean_term=True, var_term=1.0):
    """Batch/layer/group norm's dx in closed form, means over ``axis``; a term can be left out or scaled."""
    dx = g - (g.mean(axis=axis, keepdims=True) if mean_term else 0.0)
    return (dx - var_term * xh * (g * xh).mean(axis=axis, keepdims=True)) / std


def _dx_texts(where):
    right = f"dx = (g - g.mean({where}) - x_hat * (g * x_hat).mean({where})) / std, with g = dout * gamma"
    return right, {
        "no_var_term": f"the variance term is missing: dx = (g - g.mean({where})) / std, as if the variance did "
                       f"not depend on x\nfix: {right}",
        "no_mean_term": f"the mean term is missing: dx = (g - x_hat * (g * x_hat).mean({where})) / std, as if the "
                        f"mean did not depend on x\nfix: {right}",
        "constant_stats": "the mean and variance are treated as constants: dx = dout * gamma / std (the "
                          f"test-mode gradient)\nfix: {right}",
        "var_term_doubled": "the variance term is twice too large (the 1/2 of d(var + eps)**(-1/2) is lost)"
                            f"\nfix: {right}",
        "no_gamma": f"gamma is left out of dx: g = dout, not dout * gamma\nfix: {right}",
        "no_std": f"dx is not divided by std = np.sqrt(var + eps)\nfix: {right}",
    }


def _dx_variant(key, xh, std, g, dout, axis):
    return {"no_var_term": lambda: _bn_dx(xh, std, g, axis, var_term=0.0),
            "no_mean_term": lambda: _bn_dx(xh, std, g, axis, mean_term=False),
            "constant_stats": lambda: g / std,
            "var_term_doubled": lambda: _bn_dx(xh, std, g, axis, var_term=2.0),
            "no_gamma": lambda: _bn_dx(xh, std, dout, axis),
            "no_std": lambda: _bn_dx(xh, std, g, axis) * std}[key]()


def batchnorm_backward_mistakes(x, gamma, eps, dout, which, running_mean=None, running_var=None):
    """``{description: [dx, dgamma, dbeta]}`` of the wrong batch norm backward passes ``which``; x, dout (N, D).

    Train mode unless the running statistics are given (test mode, whose
    right ``dx`` is ``dout * gamma / std``). Ids: those of _dx_texts,
    ``no_one_over_n`` and ``no_n_on_dout`` (the simplified form's factors),
    ``test_train_formula``, and for dgamma, dbeta: ``dgamma_x``,
    ``dgamma_mean``, ``dbeta_mean``, ``dgamma_axis1``, ``dbeta_axis1``.
    """
    N = x.shape[0]
    mean, var = (_stats(x, 0) if running_mean is None else (running_mean, running_var))
    std = np.sqrt(var + eps)
    xh = (x - mean) / std
    g = dout * gamma
    right, texts = _dx_texts("axis=0")
    texts.update({
        "no_one_over_n": f"the 1/N is missing: dx = gamma / std * (N * dout - dbeta - x_hat * dgamma)\nfix: {right}, "
                         "or in the simplified form (1 / N) * gamma / std * (N * dout - dbeta - x_hat * dgamma)",
        "no_n_on_dout": "dout is not multiplied by N: dx = (1 / N) * gamma / std * (dout - dbeta - x_hat * dgamma)"
                        "\nfix: dx = (1 / N) * gamma / std * (N * dout - dbeta - x_hat * dgamma)",
        "test_train_formula": "test mode uses the train-mode dx, with terms through the batch mean and variance; "
                              "in test mode they are constants\nfix: test mode: dx = dout * gamma / std",
        "test_no_gamma": "gamma is left out of the test-mode dx\nfix: test mode: dx = dout * gamma / std",
        "dgamma_x": "dgamma sums dout * x, not dout * x_hat\nfix: dgamma = (dout * x_hat).sum(axis=0)",
        "dgamma_mean": "dgamma is averaged over the batch, not summed\nfix: dgamma = (dout * x_hat).sum(axis=0)",
        "dbeta_mean": "dbeta is averaged over the batch, not summed\nfix: dbeta = dout.sum(axis=0)",
        "dgamma_axis1": "dgamma sums over axis 1 (the features of each example), not over the batch (axis 0)"
                        "\nfix: dgamma = (dout * x_hat).sum(axis=0), one value per feature like gamma",
        "dbeta_axis1": "dbeta sums over axis 1 (the features of each example), not over the batch (axis 0)"
                       "\nfix: dbeta = dout.sum(axis=0), one value per feature like beta",
    })
    found = {}
    for key in which:
        if key == "no_one_over_n":
            grads = [_bn_dx(xh, std, g, 0) * N, None, None]
        elif key == "no_n_on_dout":
            grads = [gamma / std * (dout - dout.sum(axis=0) - xh * (dout * xh).sum(axis=0)) / N, None, None]
        elif key == "test_train_formula":
            grads = [_bn_dx(xh, std, g, 0), None, None]
        elif key == "test_no_gamma":
            grads = [dout / std, None, None]
        elif key == "no_std" and running_mean is not None:
            grads = [g, None, None]
        elif key == "dgamma_x":
            grads = [None, (dout * x).sum(axis=0), None]
        elif key == "dgamma_mean":
            grads = [None, (dout * xh).mean(axis=0), None]
        elif key == "dbeta_mean":
            grads = [None, None, dout.mean(axis=0)]
        elif key == "dgamma_axis1":
            grads = [None, (dout * xh).sum(axis=1), None]
        elif key == "dbeta_axis1":
            grads = [None, None, dout.sum(axis=1)]
        else:
            grads = [_dx_variant(key, xh, std, g, dout, 0), None, None]
        found[texts[key]] = grads
    return found


def batchnorm_running_mistakes(xs, x_test, momentum, eps):
    """``{description: [running_mean, running_var, running_mean, running_var]}`` of wrong running averages.

    ``xs``: the (N, D) batches of the training steps, from zeros; the last
    two entries are after a further test-mode pass on ``x_test``.
    """
    def run(update, stat_var=lambda v: v.var(axis=0), in_test=False):
        rm = rv = np.zeros(xs[0].shape[1])
        for v in xs:
            rm, rv = update(rm, v.mean(axis=0)), update(rv, stat_var(v))
        after = (update(rm, x_test.mean(axis=0)), update(rv, stat_var(x_test))) if in_test else (rm, rv)
        return [rm, rv, *after]

    right = "running_mean = momentum * running_mean + (1 - momentum) * mean, and the same for running_var"
    m = momentum
    return {
        "the momentum is swapped: running = (1 - momentum) * running + momentum * (batch statistic)"
        f"\nfix: {right} (momentum weighs the old value)": run(lambda r, s: (1 - m) * r + m * s),
        f"(1 - momentum) is missing: running = momentum * running + (batch statistic)\nfix: {right}":
        run(lambda r, s: m * r + s),
        "running_var averages the unbiased variance (ddof=1), not the biased one used to normalize"
        "\nfix: running_var = momentum * running_var + (1 - momentum) * x.var(axis=0)":
        run(lambda r, s: m * r + (1 - m) * s, lambda v: v.var(axis=0, ddof=1)),
        "running_var averages the standard deviation np.sqrt(var + eps), not the variance"
        "\nfix: running_var = momentum * running_var + (1 - momentum) * var":
        run(lambda r, s: m * r + (1 - m) * s, lambda v: np.sqrt(v.var(axis=0) + eps)),
        "a test-mode pass updates the running averages too (with the test batch's statistics)"
        "\nfix: update running_mean and running_var only in train mode":
        run(lambda r, s: m * r + (1 - m) * s, in_test=True),
    }


def _rows_nhwc(a):
    """(N, C, H, W) -> (N*H*W, C) with C moved last: one row per pixel."""
    return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])


def spatial_batchnorm_mistakes(x, gamma, beta, eps, which):
    """``{description: out}`` of wrong spatial batch norm forward passes on x (N, C, H, W).

    Ids: ``no_transpose`` (NCHW reshaped to (-1, C) and back), ``back_no_transpose``
    (only the way back), ``reshape_c_first`` (x.reshape(C, -1)), ``instance``
    (per image and channel), ``per_position`` (over the batch axis only).
    """
    N, C, H, W = x.shape
    bn = lambda rows: batchnorm(rows, gamma, beta, eps)                     # noqa: E731
    fix = "x.transpose(0, 2, 3, 1).reshape(-1, C), and back with .reshape(N, H, W, C).transpose(0, 3, 1, 2)"
    per_channel = "one mean and variance per channel over N, H and W (axis=(0, 2, 3))"
    g4, b4 = gamma.reshape(1, C, 1, 1), beta.reshape(1, C, 1, 1)
    variants = {
        "no_transpose": (f"x is reshaped from NCHW to (-1, C) without moving C last, so channels mix in each "
                         f"column\nfix: {fix}", lambda: bn(x.reshape(-1, C)).reshape(N, C, H, W)),
        "back_no_transpose": ("the rows are reshaped back to (N, C, H, W) without the transpose: they are "
                              f"(N, H, W, C) ordered\nfix: {fix}", lambda: bn(_rows_nhwc(x)).reshape(N, C, H, W)),
        "reshape_c_first": ("x.reshape(C, -1) takes blocks of N*H*W consecutive values, which mix channels and "
                            "images\nfix: x.transpose(1, 0, 2, 3).reshape(C, -1), or " + fix,
                            lambda: bn(x.reshape(C, -1).T).T.reshape(N, C, H, W)),
        "instance": (f"the statistics are taken per image and channel over H, W only (instance norm)\nfix: "
                     f"{per_channel}", lambda: g4 * _standardize(x, *_stats(x, (2, 3)), eps) + b4),
        "per_position": (f"the statistics are taken over the batch only, per channel and position (axis 0)\nfix: "
                         f"{per_channel}", lambda: g4 * _standardize(x, *_stats(x, 0), eps) + b4),
    }
    return {variants[k][0]: variants[k][1]() for k in which}


def spatial_batchnorm_backward_mistakes(x, gamma, eps, dout, which):
    """``{description: [dx, dgamma, dbeta]}`` of wrong spatial batch norm backward passes (x, dout NCHW).

    Ids: ``no_transpose`` (dout reshaped to (-1, C) and dx back without the
    transposes), ``back_no_transpose`` (only dx back).
    """
    N, C, H, W = x.shape
    rows = _rows_nhwc(x)
    mean, var = _stats(rows, 0)
    std = np.sqrt(var + eps)
    xh = (rows - mean) / std

    def grads(dout_rows, back):
        dx_rows = _bn_dx(xh, std, dout_rows * gamma, 0)
        dx = dx_rows.reshape(N, C, H, W) if back else dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
        return [dx, (dout_rows * xh).sum(axis=0), dout_rows.sum(axis=0)]

    fix = ("dout.transpose(0, 2, 3, 1).reshape(-1, C), and dx back with .reshape(N, H, W, C).transpose(0, 3, "
           "1, 2)")
    variants = {
        "no_transpose": ("dout is reshaped from NCHW to (-1, C) without moving C last (and dx back without the "
                         f"transpose), so its rows do not match the forward pass's\nfix: {fix}",
                         lambda: grads(dout.reshape(-1, C), True)),
        "back_no_transpose": ("dx_rows are reshaped back to (N, C, H, W) without the transpose: they are (N, H, W, "
                              f"C) ordered\nfix: {fix}", lambda: [grads(_rows_nhwc(dout), True)[0], None, None]),
    }
    return {variants[k][0]: variants[k][1]() for k in which}


def layernorm_mistakes(x, gamma, beta, eps, which):
    """``{description: out}`` of wrong layer norm forward passes on x (N, D).

    Ids: those of _NORM_HOW and _AFFINE, ``eps_ignored``, and ``batch_axis``
    (the statistics over axis 0, as in batch norm).
    """
    texts = _norm_texts("x.var(axis=1, keepdims=True)", "axis 1").copy()
    texts["eps_ignored"] = texts["eps_ignored"].replace("norm_param", "ln_param")
    texts["batch_axis"] = ("the statistics are taken over the batch (axis 0), as in batch norm, not over each "
                           "example's features (axis 1)\nfix: mean = x.mean(axis=1, keepdims=True), var = "
                           "x.var(axis=1, keepdims=True)")
    return {texts[k]: _norm_variant(x, gamma, beta, eps, k, 0 if k == "batch_axis" else 1) for k in which}


def layernorm_backward_mistakes(x, gamma, eps, dout, which):
    """``{description: [dx, dgamma, dbeta]}`` of wrong layer norm backward passes (x, dout (N, D)).

    Ids: those of _dx_texts, ``batch_axis`` (dx's means over axis 0),
    ``dgamma_axis1``, ``dbeta_axis1`` (summed over the features).
    """
    mean, var = _stats(x, 1)
    std = np.sqrt(var + eps)
    xh = (x - mean) / std
    g = dout * gamma
    right, texts = _dx_texts("axis=1, keepdims=True")
    texts.update({
        "batch_axis": "dx's means are over the batch (axis 0), as in batch norm, not over each example's "
                      f"features (axis 1)\nfix: {right}",
        "dgamma_axis1": "dgamma sums over the features (axis 1), not over the batch (axis 0): gamma is per feature"
                        "\nfix: dgamma = (dout * x_hat).sum(axis=0)",
        "dbeta_axis1": "dbeta sums over the features (axis 1), not over the batch (axis 0): beta is per feature"
                       "\nfix: dbeta = dout.sum(axis=0)",
    })
    found = {}
    for key in which:
        if key == "batch_axis":
            grads = [_bn_dx(xh, std, g, 0), None, None]
        elif key == "dgamma_axis1":
            grads = [None, (dout * xh).sum(axis=1), None]
        elif key == "dbeta_axis1":
            grads = [None, None, dout.sum(axis=1)]
        else:
            grads = [_dx_variant(key, xh, std, g, dout, 1), None, None]
        found[texts[key]] = grads
    return found


def spatial_groupnorm_mistakes(x, gamma, beta, G, eps, which):
    """``{description: out}`` of wrong group norm forward passes on x (N, C, H, W), gamma, beta (1, C, 1, 1).

    Ids: those of _NORM_HOW and _AFFINE, ``eps_ignored``, and the grouping
    mistakes ``swapped_groups`` (C/G groups of G channels), ``strided_groups``
    (every G-th channel), ``batch_groups`` (a group over the whole batch),
    ``instance`` (each channel alone), ``layer`` (G ignored: all channels).
    """
    N, C, H, W = x.shape
    texts = _norm_texts("over the group (np.var)", "each example's group").copy()
    texts["eps_ignored"] = texts["eps_ignored"].replace("norm_param", "gn_param")
    fix = ("x.reshape(N, G, C // G * H * W), statistics over axis 2: group g is the C/G consecutive channels "
           "g*C/G to (g+1)*C/G - 1 of one example")
    texts.update({
        "swapped_groups": f"C/G groups of G channels: x.reshape(N, C // G, ...) instead of G groups of C/G\nfix: {fix}",
        "strided_groups": "group g holds every G-th channel (g, g + G, g + 2G, ...), not C/G consecutive channels"
                          f"\nfix: {fix}",
        "batch_groups": "a group's statistics are taken over the whole batch (axes 0 and 2), mixing examples"
                        f"\nfix: {fix}",
        "instance": f"each channel is normalized on its own (instance norm), whatever G is\nfix: {fix}",
        "layer": f"G is ignored: each example is normalized over all its channels at once (layer norm)\nfix: {fix}",
    })
    grouping = {
        "swapped_groups": lambda: x.reshape(N, C // G, -1),
        "strided_groups": lambda: x.reshape(N, C // G, G, H * W).transpose(0, 2, 1, 3).reshape(N, G, -1),
        "instance": lambda: x.reshape(N, C, -1),
        "layer": lambda: x.reshape(N, 1, -1),
    }
    found = {}
    for key in which:
        if key in grouping:
            rows = grouping[key]()
            xh = _standardize(rows, *_stats(rows, 2), eps)
            if key == "strided_groups":
                xh = xh.reshape(N, G, C // G, H * W).transpose(0, 2, 1, 3)
            out = gamma * xh.reshape(N, C, H, W) + beta
        elif key == "batch_groups":
            rows = x.reshape(N, G, -1)
            out = gamma * _standardize(rows, *_stats(rows, (0, 2)), eps).reshape(N, C, H, W) + beta
        else:
            rows = x.reshape(N, G, -1)
            stats_kw, std_kw = _NORM_HOW.get(key, ({}, {}))
            xh = _standardize(rows, *_stats(rows, 2, **stats_kw), 1e-5 if key == "eps_ignored" else eps, **std_kw)
            out = _AFFINE.get(key, lambda xh, gamma, beta: gamma * xh + beta)(xh.reshape(N, C, H, W), gamma, beta)
        found[texts[key]] = out
    return found


def spatial_groupnorm_backward_mistakes(x, gamma, G, eps, dout, which):
    """``{description: [dx, dgamma, dbeta]}`` of wrong group norm backward passes (x, dout (N, C, H, W)).

    Ids: those of _dx_texts, ``flat_dgamma``, ``flat_dbeta`` (shape (C,)),
    ``dgamma_x`` (dout * x summed).
    """
    N, C, H, W = x.shape
    rows = x.reshape(N, G, -1)
    mean, var = _stats(rows, 2)
    std = np.sqrt(var + eps)
    xh = (rows - mean) / std
    g = (dout * gamma).reshape(N, G, -1)
    right, texts = _dx_texts("over each example's group")
    keep = "summed over axis=(0, 2, 3) with keepdims=True: shape (1, C, 1, 1) like gamma"
    texts.update({
        "flat_dgamma": f"dgamma has shape (C,): the sum over N, H, W dropped the kept axes\nfix: dgamma = "
                       f"(dout * x_hat) {keep}",
        "flat_dbeta": f"dbeta has shape (C,): the sum over N, H, W dropped the kept axes\nfix: dbeta = dout {keep}",
        "dgamma_x": f"dgamma sums dout * x, not dout * x_hat\nfix: dgamma = (dout * x_hat) {keep}",
    })
    x_hat = xh.reshape(N, C, H, W)
    found = {}
    for key in which:
        if key == "flat_dgamma":
            grads = [None, (dout * x_hat).sum(axis=(0, 2, 3)), None]
        elif key == "flat_dbeta":
            grads = [None, None, dout.sum(axis=(0, 2, 3))]
        elif key == "dgamma_x":
            grads = [None, (dout * x).sum(axis=(0, 2, 3), keepdims=True), None]
        else:
            grads = [_dx_variant(key, xh, std, g, dout.reshape(N, G, -1), 2).reshape(N, C, H, W), None, None]
        found[texts[key]] = grads
    return found


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


# Known mistakes in the pooling layers (checks/pool.py; cs231n_cnn.grading.mistakes): each the result of one
# common wrong version on the check's own inputs, computed over sliding windows from x, dout and the pooling
# parameters only. Descriptions: what the code did, then the fix.

_POOL_FIX_WINDOW = "fix: the window of out[i, j] is x[n, c, i*S:i*S + PH, j*S:j*S + PW]"
_POOL_FIX_FIRST = ("fix: the whole dout[n, c, i, j] goes to the FIRST maximum of the window in row-major order "
                   "(a, b = np.unravel_index(np.argmax(window), window.shape))")


def _pool_windows(x, ph, pw, step, H_out, W_out):
    """Windows of x (N, C, H, W) as (N, C, H_out, W_out, ph, pw), window (i, j) at x[i*step, j*step]."""
    return sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::step, ::step][:, :, :H_out, :W_out]


def _pool_reduce(x, H_out, W_out, reduce, start, size):
    """``reduce`` over the windows x[start*i : start*i + size[0], start*j : ...], cut at the border as slicing
    cuts them; None if a window is empty (the wrong code would have crashed there)."""
    h, w = size
    out = np.empty(x.shape[:2] + (H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            win = x[:, :, start * i:start * i + h, start * j:start * j + w]
            if win.shape[2] == 0 or win.shape[3] == 0:
                return None
            out[:, :, i, j] = pool(win, win.shape[2], win.shape[3], 1, reduce)[:, :, 0, 0]
    return out


def _told_apart(found, right):
    """The variants of ``found`` that are neither the right result nor within 1e-3 of the right result or of
    another variant (two that coincide on this input cannot be told apart, so neither is named)."""
    def far(a, b):
        if a is None or b is None or a.shape != b.shape:
            return True
        return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0)) > 1e-3

    values = {k: None if v is None else np.asarray(v, dtype=np.float64) for k, v in found.items()}
    return {k: v for k, v in values.items() if v is not None and far(v, right)
            and all(far(v, o) for j, o in values.items() if j != k)}


def pool_forward_mistakes(x, ph, pw, stride, reduce):
    """The common wrong versions of a pooling forward pass ('max', 'avg' or 'l2') on x: ``{description: out}``."""
    x = np.asarray(x, dtype=np.float64)
    H_out, W_out = (x.shape[2] - ph) // stride + 1, (x.shape[3] - pw) // stride + 1
    right = pool(x, ph, pw, stride, reduce)
    s = stride  # the S of the descriptions
    found = {
        "the window of out[i, j] starts at x[i, j], not at x[i*S, j*S]: the stride is ignored"
        f"\n{_POOL_FIX_WINDOW}": _pool_reduce(x, H_out, W_out, reduce, 1, (ph, pw)),
        "the windows are S x S (x[i*S:(i+1)*S]), not PH x PW"
        f"\n{_POOL_FIX_WINDOW}": _pool_reduce(x, H_out, W_out, reduce, s, (s, s)),
        "the windows are PW x PH: pool_height and pool_width are swapped"
        f"\n{_POOL_FIX_WINDOW}": _pool_reduce(x, H_out, W_out, reduce, s, (pw, ph)),
        "the windows are PH x PH: pool_width is not used"
        f"\n{_POOL_FIX_WINDOW}": _pool_reduce(x, H_out, W_out, reduce, s, (ph, ph)),
    }
    if ph == pw:
        # Windows that start every PH rows and columns: the window size used as the stride.
        found["the windows start every PH = PW entries (the window size used as the stride), not every S"
              f"\n{_POOL_FIX_WINDOW}"] = _pool_reduce(x, H_out, W_out, reduce, ph, (ph, pw))
    other = {"max": "avg", "avg": "max"}.get(reduce)
    if reduce == "max":
        found["each window's mean is taken, not its maximum\nfix: out[n, c, i, j] = np.max(window)"] = \
            pool(x, ph, pw, stride, other)
        found["the running maximum starts at 0 (an accumulator made with np.zeros), so a window of negative "
              "numbers gives 0\nfix: start from the window's first entry (or -np.inf), not from 0"] = \
            np.maximum(right, 0.0)
    elif reduce == "avg":
        found["each window's sum is taken, not its mean: it is not divided by PH * PW"
              "\nfix: out = (sum of the window) / (PH * PW)"] = right * (ph * pw)
        found["the sum is divided by PH * PH, not by PH * PW (a square window assumed)"
              "\nfix: out = (sum of the window) / (PH * PW)"] = right * (ph * pw) / (ph * ph)
        found["the sum is divided by S * S (the stride), not by PH * PW"
              "\nfix: out = (sum of the window) / (PH * PW)"] = right * (ph * pw) / (stride * stride)
        found["each window's maximum is taken, not its mean\nfix: out[n, c, i, j] = np.mean(window)"] = \
            pool(x, ph, pw, stride, other)
    else:
        found["out is each window's sum of squares, without the square root"
              "\nfix: out = np.sqrt(np.sum(window ** 2))"] = right ** 2
    return _told_apart(found, right)


def _pool_scatter(G, x_shape, stride, *, mode="add", index_stride=None):
    """dx (x_shape) from per-window contributions G (N, C, H_out, W_out, PH, PW).

    mode 'add': every window adds G to its inputs (the right rule); 'assign': windows in row-major order
    write G over their whole window (``dx[window] = ...``); 'assign routed': they write only where G is
    not 0 (``dx[n, c, i*S + a, j*S + b] = dout``); 'offsets': for each window offset (a, b) in row-major
    order, the view of every window's entry (a, b) is overwritten with G[..., a, b] (a vectorized ``=``).
    ``index_stride``: the stride used in dx's index (1 when it is left out).
    """
    N, C, H_out, W_out, ph, pw = G.shape
    s = stride if index_stride is None else index_stride
    dx = np.zeros(x_shape)
    if mode == "offsets":
        for a in range(ph):
            for b in range(pw):
                dx[:, :, a:a + s * H_out:s, b:b + s * W_out:s] = G[:, :, :, :, a, b]
        return dx
    for i in range(H_out):
        for j in range(W_out):
            target = dx[:, :, i * s:i * s + ph, j * s:j * s + pw]
            g = G[:, :, i, j]
            if mode == "add":
                target += g
            elif mode == "assign routed":
                np.copyto(target, g, where=g != 0)
            else:
                target[...] = g
    return dx


def _max_weights(win, pick):
    """Which entries of each window (..., PH, PW) get its gradient, and how much of it: (..., PH, PW)."""
    ph, pw = win.shape[-2:]
    flat = win.reshape(win.shape[:-2] + (ph * pw,))
    top = flat.max(axis=-1, keepdims=True)
    if pick in ("every", "split"):
        w = (flat == top).astype(np.float64)
        if pick == "split":
            w /= w.sum(axis=-1, keepdims=True)
        return w.reshape(win.shape)
    if pick == "window":
        return np.ones(win.shape)
    if pick == "corner":
        k = np.zeros(flat.shape[:-1], dtype=int)
    elif pick == "min":
        k = np.argmin(flat, axis=-1)
    elif pick == "last":
        k = ph * pw - 1 - np.argmax(flat[..., ::-1] == top, axis=-1)
    elif pick == "column":
        by_column = np.swapaxes(win, -1, -2).reshape(flat.shape)
        kc = np.argmax(by_column == by_column.max(axis=-1, keepdims=True), axis=-1)
        k = (kc % ph) * pw + kc // ph
    else:  # "first"
        k = np.argmax(flat == top, axis=-1)
    w = np.zeros(flat.shape)
    np.put_along_axis(w, k[..., None], 1.0, axis=-1)
    return w.reshape(win.shape)


def max_pool_backward_mistakes(x, dout, ph, pw, stride, only_ties=False):
    """The common wrong versions of the max-pool backward pass on x and dout: ``{description: dx}``.

    ``only_ties``: just the wrong tie rules, for an input made to show them, where a mistake that every
    input shows (and an earlier part would have shown) can coincide with one of them.
    """
    x, dout = np.asarray(x, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    H_out, W_out = dout.shape[2:]
    D = dout[..., None, None]
    win = _pool_windows(x, ph, pw, stride, H_out, W_out)
    first = _max_weights(win, "first") * D
    right = _pool_scatter(first, x.shape, stride)

    def routed(pick, **kw):
        return _pool_scatter(_max_weights(win, pick) * D, x.shape, stride, **kw)

    ties = {
        "every maximum of a window gets its gradient (the mask x == max), not only the first one"
        f"\n{_POOL_FIX_FIRST}": routed("every"),
        "the gradient is split equally between a window's tied maxima"
        f"\n{_POOL_FIX_FIRST}": routed("split"),
        "the LAST maximum of a window in row-major order gets the gradient, not the first"
        f"\n{_POOL_FIX_FIRST}": routed("last"),
        "the first maximum in column-major order gets the gradient (window offsets visited column by column?)"
        f"\n{_POOL_FIX_FIRST}": routed("column"),
    }
    if only_ties:
        return _told_apart(ties, right)
    found = {
        "each window's gradient goes to every element of the window, not only to its maximum"
        f"\n{_POOL_FIX_FIRST}": routed("window"),
        "each window's gradient goes to its first element x[i*S, j*S], not to its maximum"
        f"\n{_POOL_FIX_FIRST}": routed("corner"),
        "the window's minimum gets the gradient, not its maximum (argmin for argmax?)"
        f"\n{_POOL_FIX_FIRST}": routed("min"),
        "each window's maximum gets 1, not dout[n, c, i, j]: the upstream gradient is not used"
        "\nfix: dx[n, c, i*S + a, j*S + b] += dout[n, c, i, j]":
        _pool_scatter(_max_weights(win, "first"), x.shape, stride),
        "overlapping windows overwrite each other's gradient (dx[...] = dout instead of +=)"
        "\nfix: dx[n, c, i*S + a, j*S + b] += dout[n, c, i, j]: an input that is the maximum of several windows "
        "gets the sum": _pool_scatter(first, x.shape, stride, mode="assign routed"),
        "overlapping windows overwrite each other's gradient (dx[view] = ... for each window offset, not +=)"
        "\nfix: dx[view] += dout * mask wherever windows can overlap (along either axis): an input inside "
        "several windows collects the gradient of each":
        _pool_scatter(first, x.shape, stride, mode="offsets"),
        "the gradient goes to x[i + a, j + b], not x[i*S + a, j*S + b]: the stride is left out of dx's index"
        "\nfix: dx[n, c, i*S + a, j*S + b] += dout[n, c, i, j]":
        _pool_scatter(first, x.shape, stride, index_stride=1),
        "the stride is ignored: the window of dout[i, j] starts at x[i, j], not at x[i*S, j*S]"
        "\nfix: window = x[n, c, i*S:i*S + PH, j*S:j*S + PW], and dx[n, c, i*S + a, j*S + b] += dout[n, c, i, j]":
        _pool_scatter(_max_weights(_pool_windows(x, ph, pw, 1, H_out, W_out), "first") * D, x.shape, stride,
                      index_stride=1),
        **ties,
    }
    if ph == pw:
        found["the window offset (a, b) of the maximum is used as (b, a): dx[i*S + b, j*S + a]"
              "\nfix: dx[n, c, i*S + a, j*S + b] += dout[n, c, i, j], with a the row and b the column in the "
              "window"] = _pool_scatter(np.swapaxes(first, -1, -2), x.shape, stride)
    return _told_apart(found, right)


def _smooth_pool_mistakes(x, G, ph, pw, stride, what):
    """The wrong ways of summing the contributions G of an average or L2 pool backward pass into dx."""
    return {
        f"overlapping windows overwrite each other's gradient (dx[window] = {what} instead of +=)"
        f"\nfix: dx[window] += {what}: an input inside several windows collects the gradient of each":
        _pool_scatter(G, x.shape, stride, mode="assign"),
        f"overlapping windows overwrite each other's gradient (dx[view] = {what} for each window offset, not +=)"
        f"\nfix: dx[view] += {what} wherever windows can overlap (along either axis): an input inside several "
        f"windows collects the gradient of each":
        _pool_scatter(G, x.shape, stride, mode="offsets"),
        "the gradient goes to x[i + a, j + b], not x[i*S + a, j*S + b]: the stride is left out of dx's index"
        "\nfix: dx[n, c, i*S:i*S + PH, j*S:j*S + PW] += the window's gradient":
        _pool_scatter(G, x.shape, stride, index_stride=1),
    }


def avg_pool_backward_mistakes(x, dout, ph, pw, stride):
    """The common wrong versions of the average-pool backward pass: ``{description: dx}``."""
    x, dout = np.asarray(x, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    G = np.broadcast_to(dout[..., None, None] / (ph * pw), dout.shape + (ph, pw))
    right = _pool_scatter(G, x.shape, stride)
    found = {
        "each window's dout is not divided by PH * PW"
        "\nfix: every input of a window gets dout / (PH * PW)": right * (ph * pw),
        "each window's dout is divided by PH * PH, not by PH * PW (a square window assumed)"
        "\nfix: every input of a window gets dout / (PH * PW)": right * (ph * pw) / (ph * ph),
        "every input of a window gets 1 / (PH * PW), not dout / (PH * PW): the upstream gradient is not used"
        "\nfix: every input of a window gets dout[n, c, i, j] / (PH * PW)":
        _pool_scatter(np.ones(G.shape) / (ph * pw), x.shape, stride),
        **_smooth_pool_mistakes(x, G, ph, pw, stride, "dout / (PH * PW)"),
    }
    return _told_apart(found, right)


def l2_pool_backward_mistakes(x, dout, ph, pw, stride):
    """The common wrong versions of the L2-pool backward pass (0 for an all-zero window): ``{description: dx}``."""
    x, dout = np.asarray(x, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    H_out, W_out = dout.shape[2:]
    win = _pool_windows(x, ph, pw, stride, H_out, W_out)
    norm = np.sqrt((win ** 2).sum(axis=(-2, -1)))
    D = dout[..., None, None]

    def scaled(by):
        """dout * x / by per window, 0 where the window's norm is 0."""
        by = np.broadcast_to(by, norm.shape)
        scale = np.divide(dout, by, out=np.zeros(norm.shape), where=norm > 0)
        return scale[..., None, None] * win

    G = scaled(norm)
    found = {
        "dx = dout * x: the division by the window's norm out is missing"
        "\nfix: dx = dout * x / out (the derivative of sqrt(sum x**2) is x / sqrt(sum x**2))":
        _pool_scatter(D * win, x.shape, stride),
        "dx = dout * x / (2 * out): the factor 2 of d(x**2)/dx = 2x is missing"
        "\nfix: dx = dout * x / out (d sqrt(s)/ds = 1 / (2 sqrt(s)), times ds/dx = 2x)":
        _pool_scatter(scaled(2 * norm), x.shape, stride),
        "dx = dout * x / out**2: divided by the sum of squares, not by its square root out"
        "\nfix: dx = dout * x / out": _pool_scatter(scaled(norm ** 2), x.shape, stride),
        "dx = 2 * dout * x: the gradient of the sum of squares, without the square root's 1 / (2 * out)"
        "\nfix: dx = dout * x / out": _pool_scatter(2 * D * win, x.shape, stride),
        "dx = x / out: the upstream gradient dout is not used"
        "\nfix: dx = dout * x / out": _pool_scatter(np.divide(win, norm[..., None, None], out=np.zeros(win.shape),
                                                               where=norm[..., None, None] > 0), x.shape, stride),
        **_smooth_pool_mistakes(x, G, ph, pw, stride, "dout * x / out"),
    }
    return _told_apart(found, _pool_scatter(G, x.shape, stride))


# Fractional max pooling (checks/pool.py, fractional_max_pool): region (i, j) of x is
# x[:, :, rows[i]:rows[i+1], cols[j]:cols[j+1]], 1 or 2 rows by 1 or 2 columns. The reference loops over the
# regions; each known mistake is one common wrong version, computed from x, dout, rows and cols only.

_FRACTIONAL_FIX_REGION = "fix: region (i, j) is x[n, c, rows[i]:rows[i+1], cols[j]:cols[j+1]]"
_FRACTIONAL_FIX_FIRST = ("fix: dout[n, c, i, j] goes to the FIRST maximum of region (i, j) in row-major order, "
                         "and only to it")


def _fractional_reduce(x, rows, cols, reduce, *, end=lambda start, stop: stop, end_cols=None):
    """``reduce`` ('max' or 'mean') over each region x[rows[i]:end(rows[i], rows[i+1]), cols[j]:end_cols(cols[j],
    cols[j+1])] (``end_cols`` defaults to ``end``), cut at the border."""
    end_cols = end if end_cols is None else end_cols
    out = np.empty(x.shape[:2] + (len(rows) - 1, len(cols) - 1))
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            region = x[:, :, rows[i]:end(rows[i], rows[i + 1]), cols[j]:end_cols(cols[j], cols[j + 1])]
            out[:, :, i, j] = getattr(region, reduce)(axis=(2, 3))
    return out


def fractional_max_pool(x, rows, cols):
    """Fractional max pooling by loops: the maximum of every region, (N, C, len(rows) - 1, len(cols) - 1)."""
    return _fractional_reduce(np.asarray(x, dtype=np.float64), rows, cols, "max")


def _fractional_route(x, dout, rows, cols, pick):
    """dx from ``pick(region, g) -> gradient of the region`` for every region, in float64."""
    x, dout = np.asarray(x, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    dx = np.zeros(x.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(len(rows) - 1):
                for j in range(len(cols) - 1):
                    rs, cs = slice(rows[i], rows[i + 1]), slice(cols[j], cols[j + 1])
                    dx[n, c, rs, cs] += pick(x[n, c, rs, cs], dout[n, c, i, j])
    return dx


def _first_max(region, g):
    """g at the region's first maximum in row-major order (found by scanning), 0 elsewhere."""
    grad = np.zeros(region.shape)
    best = None
    for a in range(region.shape[0]):
        for b in range(region.shape[1]):
            if best is None or region[a, b] > region[best]:
                best = (a, b)
    grad[best] = g
    return grad


def fractional_max_pool_backward(x, dout, rows, cols):
    """Fractional max pooling's dx by loops, with the tie rule: the first maximum in row-major order."""
    return _fractional_route(x, dout, rows, cols, _first_max)


def _corners_hit(region, g):
    """g added at each of the region's four corners (top-left, top-right, bottom-left, bottom-right, repeated
    when the region is 1 row or column wide) that equals its maximum."""
    grad = np.zeros(region.shape)
    h, w = region.shape
    for a, b in ((0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)):
        if region[a, b] == region.max():
            grad[a, b] += g
    return grad


def fractional_max_pool_forward_mistakes(x, rows, cols):
    """The common wrong versions of fractional max pooling's forward pass on x: ``{description: out}``."""
    x = np.asarray(x, dtype=np.float64)
    found = {
        "only the first row of each region is used: a region 2 rows high has a second row, rows[i] + 1"
        f"\n{_FRACTIONAL_FIX_REGION}": _fractional_reduce(x, rows, cols, "max", end=lambda start, stop: start + 1,
                                                          end_cols=lambda start, stop: stop),
        "every region is taken as 2 rows by 2 columns (x[rows[i]:rows[i] + 2, cols[j]:cols[j] + 2]), but a step "
        f"of 1 in rows or cols makes a region 1 row high or 1 column wide\n{_FRACTIONAL_FIX_REGION}":
        _fractional_reduce(x, rows, cols, "max", end=lambda start, stop: start + 2),
        "region (i, j) ends at row rows[i+1] and column cols[j+1] inclusive, so neighbouring regions overlap"
        f"\n{_FRACTIONAL_FIX_REGION} (rows[i+1] is the first row of the next region)":
        _fractional_reduce(x, rows, cols, "max", end=lambda start, stop: stop + 1),
        "out[i, j] is the region's first entry x[rows[i], cols[j]], not its maximum"
        "\nfix: out[n, c, i, j] = np.max(region)": x[:, :, np.asarray(rows[:-1])[:, None], np.asarray(cols[:-1])],
        "each region's mean is taken, not its maximum\nfix: out[n, c, i, j] = np.max(region)":
        _fractional_reduce(x, rows, cols, "mean"),
    }
    return _told_apart(found, fractional_max_pool(x, rows, cols))


def fractional_max_pool_backward_mistakes(x, dout, rows, cols):
    """The common wrong versions of fractional max pooling's backward pass: ``{description: dx}``."""
    def last_max(region, g):
        grad = np.zeros(region.shape)
        a, b = np.unravel_index(region.size - 1 - np.argmax(region[::-1, ::-1]), region.shape)
        grad[a, b] = g
        return grad

    def every_max(region, g):
        return np.where(region == region.max(), g, 0.0)

    def first_entry(region, g):
        grad = np.zeros(region.shape)
        grad[0, 0] = g
        return grad

    found = {
        "the LAST maximum of a region in row-major order gets its gradient (a >= comparison, or the corners "
        f"visited from the bottom-right)\n{_FRACTIONAL_FIX_FIRST}": _fractional_route(x, dout, rows, cols, last_max),
        f"every tied maximum of a region gets the whole dout\n{_FRACTIONAL_FIX_FIRST}":
        _fractional_route(x, dout, rows, cols, every_max),
        "each corner of a region that equals its maximum gets dout, even the same entry twice: a region 1 row "
        "high or 1 column wide lists an entry as two corners, and the regions already routed are not skipped"
        f"\n{_FRACTIONAL_FIX_FIRST} (keep a mask of the regions whose maximum was not found yet)":
        _fractional_route(x, dout, rows, cols, _corners_hit),
        "the region's first entry x[rows[i], cols[j]] gets dout, whatever the maximum"
        f"\n{_FRACTIONAL_FIX_FIRST}": _fractional_route(x, dout, rows, cols, first_entry),
        "dout is shared evenly over the region (average pooling's gradient), not routed to its maximum"
        f"\n{_FRACTIONAL_FIX_FIRST}": _fractional_route(x, dout, rows, cols, lambda region, g: np.full(
            region.shape, g / region.size)),
    }
    return _told_apart(found, fractional_max_pool_backward(x, dout, rows, cols))


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
