"""Convolution (checks/conv.py): the mistakes students make in cs231n_cnn/layers/conv.py and cs231n_cnn/im2col.py."""

from . import Bug, Edit

C = "cs231n_cnn.layers.conv"
I = "cs231n_cnn.im2col"  # noqa: E741


def _c(function, old, new, count=1):
    return Edit(C, function, old, new, count)


def _i(function, old, new, count=1):
    return Edit(I, function, old, new, count)


NAIVE_WINDOW = "xpad[n, :, y * stride:y * stride + HH, x_ * stride:x_ * stride + WW]"
BACK_ROWS = "rows = slice(y * stride, y * stride + HH)"
BACK_COLS = "cols = slice(x_ * stride, x_ * stride + WW)"
REGROUP = "out3[n0:n1] = rows.reshape(F, n1 - n0, P).transpose(1, 0, 2)"
DOUT_ROWS = "dout_rows.reshape(F, n, P)[...] = dout3[n0:n1].transpose(1, 0, 2)"

BUGS = [
    # ------------------------------------------------------------ conv_forward_naive
    Bug("conv-naive-no-bias", "conv_forward_naive",
        (_c("conv_forward_naive", "np.sum(window * w[f]) + b[f]", "np.sum(window * w[f])"),),
        "conv_forward_naive: [3x3 filters, stride 1, pad 1] out: the bias is never added",
        why="forgot + b[f]"),
    Bug("conv-naive-stride-ignored", "conv_forward_naive",
        (_c("conv_forward_naive", NAIVE_WINDOW, "xpad[n, :, y:y + HH, x_:x_ + WW]"),),
        "conv_forward_naive: [course timing-cell shape, stride 2] out: the stride is ignored in the window start",
        why="window starts at y, not y * stride"),
    Bug("conv-naive-flipped", "conv_forward_naive",
        (_c("conv_forward_naive", "np.sum(window * w[f])", "np.sum(window * w[f, :, ::-1, ::-1])"),),
        "conv_forward_naive: [3x3 filters, stride 1, pad 1] out: the filters are flipped",
        why="a true convolution (filters flipped), as in signal processing"),
    Bug("conv-naive-bias-per-image", "conv_forward_naive",
        (_c("conv_forward_naive", "np.sum(window * w[f]) + b[f]", "np.sum(window * w[f]) + b[n % F]"),),
        "conv_forward_naive: [3x3 filters, stride 1, pad 1] out: the bias is indexed by the image",
        why="b indexed by the image, not the filter"),
    Bug("conv-naive-stride-in-width-only", "conv_forward_naive",
        (_c("conv_forward_naive", NAIVE_WINDOW, "xpad[n, :, y:y + HH, x_ * stride:x_ * stride + WW]"),),
        "conv_forward_naive: [course timing-cell shape, stride 2] out: the stride is ignored in the row",
        why="stride applied to the column start only"),
    # ------------------------------------------------------------ conv_backward_naive
    Bug("conv-naive-dx-padded", "conv_backward_naive",
        (_c("conv_backward_naive", "dx = dxpad[:, :, pad:pad + H, pad:pad + W]", "dx = dxpad"),),
        "conv_backward_naive: [stride 2, pad 1: dx] dx has shape (2, 3, 7, 7), expected (2, 3, 5, 5): "
        "dx still has the padding", why="returned the padded gradient"),
    Bug("conv-naive-db-mean", "conv_backward_naive",
        (_c("conv_backward_naive", "db = dout.sum(axis=(0, 2, 3))", "db = dout.mean(axis=(0, 2, 3))"),),
        "conv_backward_naive: [stride 2, pad 1: db] db is the mean of dout over",
        why="averaged dout instead of summing it"),
    Bug("conv-naive-db-per-image", "conv_backward_naive",
        (_c("conv_backward_naive", "db = dout.sum(axis=(0, 2, 3))", "db = dout[-1].sum(axis=(1, 2))"),),
        "conv_backward_naive: [stride 2, pad 1: db] db sums the last image's dout only",
        why="summed over positions but not over the batch"),
    Bug("conv-naive-dw-overwritten", "conv_backward_naive",
        (_c("conv_backward_naive", "dw[f] += dout", "dw[f] = dout"),),
        "conv_backward_naive: [stride 2, pad 1: dw] dw: dw[f] is overwritten",
        why="= instead of += for dw"),
    Bug("conv-naive-dx-overwritten", "conv_backward_naive",
        (_c("conv_backward_naive", "dxpad[n, :, rows, cols] += dout", "dxpad[n, :, rows, cols] = dout"),),
        "conv_backward_naive: [stride 2, pad 1: dx] dx is overwritten",
        why="= instead of += for overlapping windows"),
    Bug("conv-naive-backward-stride-ignored", "conv_backward_naive",
        (_c("conv_backward_naive", BACK_ROWS, "rows = slice(y, y + HH)"),
         _c("conv_backward_naive", BACK_COLS, "cols = slice(x_, x_ + WW)")),
        "conv_backward_naive: [stride 2, pad 1: dx] dx: the stride is ignored in the window start",
        why="window starts at y, not y * stride"),
    Bug("conv-naive-dw-flipped", "conv_backward_naive",
        (_c("conv_backward_naive", "dw[f] += dout[n, f, y, x_] * xpad[n, :, rows, cols]",
            "dw[f] += dout[n, f, y, x_] * xpad[n, :, rows, cols][:, ::-1, ::-1]"),),
        "conv_backward_naive: [stride 2, pad 1: dw] dw is flipped",
        why="flipped the window, as if the forward pass were a true convolution"),
    # ------------------------------------------------------------ conv_output_size_error
    Bug("conv-size-error-no-bias", "conv_output_size_error",
        (_c("conv_forward_naive", "np.sum(window * w[f]) + b[f]", "np.sum(window * w[f])"),),
        "conv_output_size_error: [W=9 works, W=10 (F=3, P=0, S=2) raises] see conv_forward_naive: "
        "its out is wrong on this input: the bias is never added", why="forgot + b[f]"),
    # ------------------------------------------------------------ im2col, col2im
    Bug("im2col-offsets-swapped", "im2col", (_i("im2col", "cols[:, i, j] =", "cols[:, j, i] ="),),
        "im2col: [3x3, stride 1, pad 1] cols: the rows are ordered (c, j, i)",
        why="kernel row and column offsets swapped"),
    Bug("im2col-columns-n-last", "im2col",
        (_i("im2col", "cols = workspace.empty((C, HH, WW, N, H_out, W_out), x.dtype)",
            "cols = workspace.empty((C, HH, WW, H_out, W_out, N), x.dtype)"),
         _i("im2col", "xp_cn[:, :, i:i_end:stride, j:j_end:stride]",
            "xp_cn[:, :, i:i_end:stride, j:j_end:stride].transpose(0, 2, 3, 1)")),
        "im2col: [3x3, stride 1, pad 1] cols: the columns are ordered (y, x, n)",
        why="columns with the image index fastest, as in the old course im2col_indices"),
    Bug("im2col-channel-last-rows", "im2col",
        (_i("im2col", "cols = workspace.empty((C, HH, WW, N, H_out, W_out), x.dtype)",
            "cols = workspace.empty((HH, WW, C, N, H_out, W_out), x.dtype)"),
         _i("im2col", "cols[:, i, j] =", "cols[i, j] =")),
        "im2col: [3x3, stride 1, pad 1] cols: the rows are ordered (i, j, c)",
        why="rows with the channel fastest"),
    Bug("col2im-assigns", "col2im",
        (_i("col2im", "j_end:stride] += cols6[:, i, j]", "j_end:stride] = cols6[:, i, j]"),),
        "col2im: [3x3, stride 1, pad 1 (overlaps)] col2im(c): col2im assigns",
        why="= instead of += where windows overlap"),
    Bug("col2im-keeps-padding", "col2im",
        (_i("col2im", "x = xp[:, :, pad:pad + H, pad:pad + W] if pad else xp", "x = xp"),),
        "col2im: [3x3, stride 1, pad 1 (overlaps)] col2im(c) has shape (2, 3, 6, 6), expected (2, 3, 4, 4): "
        "col2im(c) still has the padding", why="returned the padded volume"),
    Bug("col2im-offsets-swapped", "col2im", (_i("col2im", "+= cols6[:, i, j]", "+= cols6[:, j, i]"),),
        "col2im: [3x3, stride 1, pad 1 (overlaps)] col2im(c): the rows are read as (c, j, i)",
        why="kernel offsets swapped when reading the columns"),
    # ------------------------------------------------------------ conv_forward_fast
    Bug("conv-fast-regroup-reshape", "conv_forward_fast",
        (_c("conv_forward_fast", REGROUP, "out3[n0:n1] = rows.reshape(n1 - n0, F, P)"),),
        "conv_forward_fast: [20 images (several blocks), stride 1, pad 1] out: each block's product",
        why="reshape instead of transpose mixing images and filters across a block"),
    Bug("conv-fast-no-bias", "conv_forward_fast", (_c("conv_forward_fast", "        rows += b[:, None]\n", ""),),
        "conv_forward_fast: [3x3 filters, stride 1, pad 1] out: the bias is never added",
        why="forgot the bias"),
    Bug("conv-fast-filters-channel-last", "conv_forward_fast",
        (_c("conv_forward_fast", "w_rows = w.reshape(F, K)", "w_rows = w.transpose(0, 2, 3, 1).reshape(F, K)"),),
        "conv_forward_fast: [3x3 filters, stride 1, pad 1] out: the filters are flattened channel-last",
        why="flattened w in another order than im2col's rows"),
    Bug("conv-fast-filters-transposed", "conv_forward_fast",
        (_c("conv_forward_fast", "w_rows = w.reshape(F, K)", "w_rows = w.reshape(K, F).T"),),
        "conv_forward_fast: [3x3 filters, stride 1, pad 1] out: the filters are reshaped to (C*HH*WW, F)",
        why="w.reshape(K, F).T instead of w.reshape(F, K)"),
    # ------------------------------------------------------------ conv_backward_fast
    Bug("conv-fast-dx-unflipped", "conv_backward_fast",
        (_c("conv_backward_fast", "w[:, :, ::-1, ::-1]", "w"),),
        "conv_backward_fast: [stride 1, pad 1, more channels than filters (dx as a transposed convolution): dx] "
        "dx as a convolution: the filters are not flipped", why="forgot to flip the filters for dx as a convolution"),
    Bug("conv-fast-dx-f-c-not-swapped", "conv_backward_fast",
        (_c("conv_backward_fast", "w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)", "w[:, :, ::-1, ::-1]"),),
        "conv_backward_fast: [stride 1, pad 1, more channels than filters (dx as a transposed convolution): dx] "
        "dx as a convolution: the filters' F and C axes are not swapped", why="flipped the filters but kept them (F, C, ...)"),
    Bug("conv-fast-dout-reshape", "conv_backward_fast",
        (_c("conv_backward_fast", DOUT_ROWS, "dout_rows[...] = dout3[n0:n1].reshape(F, n * P)"),),
        "conv_backward_fast: [stride 2, pad 1: dx] dx: dout is reshaped to (F, N*H_out*W_out) without",
        why="dout.reshape(F, -1) without moving F first"),
    Bug("conv-fast-db-mean", "conv_backward_fast",
        (_c("conv_backward_fast", "db += dout_rows.sum(axis=1)", "db += dout_rows.mean(axis=1)"),),
        "conv_backward_fast: [stride 2, pad 1: db] db is the mean of dout over",
        why="averaged dout instead of summing it"),
    Bug("conv-fast-dw-not-transposed", "conv_backward_fast",
        (_c("conv_backward_fast", "dw = np.ascontiguousarray(dw_t.T).reshape(w.shape)", "dw = dw_t.reshape(w.shape)"),),
        "conv_backward_fast: [stride 2, pad 1: dw] dw is reshaped from (C*HH*WW, F)",
        why="reshaped dw.T without transposing it back"),
    Bug("conv-fast-dw-last-block", "conv_backward_fast",
        (_c("conv_backward_fast", "dw_t += cols", "dw_t = cols"),),
        "conv_backward_fast: [14 images in several blocks, stride 2, pad 1, 3x5 filters (dx by col2im): dw]", names=False,
        why="dw of the last block of images only (= instead of +=)"),
    Bug("conv-fast-db-last-block", "conv_backward_fast",
        (_c("conv_backward_fast", "db += dout_rows", "db = dout_rows"),),
        "conv_backward_fast: [14 images in several blocks, stride 2, pad 1, 3x5 filters (dx by col2im): db]", names=False,
        why="db of the last block of images only (= instead of +=)"),
    Bug("conv-fast-dx-padded-blocks", "conv_backward_fast",
        (_c("conv_backward_fast", "dx_block = col2im(dcols, (n, C, H, W), HH, WW, stride, pad)",
            "dx_block = col2im(dcols, (n, C, H + 2 * pad, W + 2 * pad), HH, WW, stride, 0)"),),
        "conv_backward_fast: [stride 2, pad 1: dx] dx has shape (2, 3, 7, 7), expected (2, 3, 5, 5): dx still has "
        "the padding", why="col2im of the padded shape, never cropped"),
    Bug("conv-fast-dx-conv-reshape", "conv_backward_fast",
        (_c("conv_backward_fast", "dx[n0:n1] = dx_rows.reshape(C, n, H, W).transpose(1, 0, 2, 3)",
            "dx[n0:n1] = dx_rows.reshape(n, C, H, W)"),),
        "conv_backward_fast: [stride 1, pad 1, more channels than filters (dx as a transposed convolution): dx] "
        "dx as a convolution: the product (C, N*H*W) is reshaped to (N, C, H, W)",
        why="reshape instead of transpose when regrouping dx"),
    # ------------------------------------------------------------ a backward check blames the forward pass
    Bug("conv-naive-backward-sees-forward", "conv_backward_naive",
        (_c("conv_forward_naive", NAIVE_WINDOW, "xpad[n, :, y:y + HH, x_:x_ + WW]"),
         _c("conv_backward_naive", BACK_ROWS, "rows = slice(y, y + HH)"),
         _c("conv_backward_naive", BACK_COLS, "cols = slice(x_, x_ + WW)")),
        "conv_backward_naive: [stride 2, pad 1: dx] see conv_forward_naive: its out is wrong on this input: "
        "the stride is ignored in the window start", why="the same window start without the stride in both passes"),
    Bug("conv-fast-backward-sees-forward", "conv_backward_fast",
        (_i("im2col", "cols = workspace.empty((C, HH, WW, N, H_out, W_out), x.dtype)",
            "cols = workspace.empty((HH, WW, C, N, H_out, W_out), x.dtype)"),
         _i("im2col", "cols[:, i, j] =", "cols[i, j] =")),
        "conv_backward_fast: [stride 2, pad 1: dw] see conv_forward_fast: its out is wrong on this input: "
        "im2col's rows are ordered (i, j, c)", why="im2col's rows channel-fastest, seen by the backward check"),
    Bug("conv-fast-forward-sees-im2col", "conv_forward_fast",
        (_i("im2col", "cols = workspace.empty((C, HH, WW, N, H_out, W_out), x.dtype)",
            "cols = workspace.empty((C, HH, WW, H_out, W_out, N), x.dtype)"),
         _i("im2col", "xp_cn[:, :, i:i_end:stride, j:j_end:stride]",
            "xp_cn[:, :, i:i_end:stride, j:j_end:stride].transpose(0, 2, 3, 1)")),
        "conv_forward_fast: [3x3 filters, stride 1, pad 1] out: im2col's columns are ordered (y, x, n)",
        why="im2col's columns image-fastest, seen by the fast forward check"),
    # ------------------------------------------------------------ conv_fast_float32
    Bug("conv-fast-float64-out", "conv_fast_float32",
        (_c("conv_forward_fast", "out = np.empty((N, F, H_out, W_out), x.dtype)",
            "out = np.empty((N, F, H_out, W_out))"),),
        "conv_fast_float32: [forward float32] out has dtype float64, expected float32", names=False,
        why="np.empty(shape) without dtype"),
    Bug("conv-fast-float64-db", "conv_fast_float32",
        (_c("conv_backward_fast", "db = np.zeros(F, x.dtype)", "db = np.zeros(F)"),),
        "conv_fast_float32: [backward float32] db has dtype float64, expected float32", names=False,
        why="np.zeros(F) without dtype"),
]
