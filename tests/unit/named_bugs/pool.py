"""Pooling layers (checks/pool.py): the mistakes students make in cs231n_cnn/layers/pool.py.

Sources: the course's own warnings (stride in the window start, the tie rule,
overlapping windows accumulating, float32 kept float32), the wrong
implementations and planted bugs of tests/unit/test_checks_pool.py, and the forums'
usual suspects (np.mean for np.max, dx = dout * x for L2 pooling, the
gradient spread over the window, ``=`` for ``+=``).
"""

import numpy as np

from . import Bug, Edit

M = "cs231n_cnn.layers.pool"

# max_pool_forward_naive / max_pool_backward_naive
WINDOW = "window = x[n, c, i * S:i * S + PH, j * S:j * S + PW]"
ARGMAX = "a, b = np.unravel_index(np.argmax(window), window.shape)"
ROUTE = "dx[n, c, i * S + a, j * S + b] += dout[n, c, i, j]"
# max_pool_forward_fast
VIEWS = "views = [x[_offset_view(a, b, S, H_out, W_out)] for a in range(PH) for b in range(PW)]"
FIRST_MAX = "out = np.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy()"
REST = "for view in views[2:]:"
# max_pool_backward_fast
PENDING = """        if k == len(offsets) - 1:
            # Every window's maximum is at one of its offsets, so the windows
            # still pending have it at this last one: no comparison needed.
            hit = pending if pending is not None else np.ones(out_shape, dtype=bool)
        elif pending is None:
            np.equal(x[view], out, out=hit)
            pending = ~hit
        else:
            np.equal(x[view], out, out=hit)
            np.logical_and(hit, pending, out=hit)
            np.logical_xor(pending, hit, out=pending)  # hit is a subset of pending
"""
# avg_pool_forward
AVG_START = "out = np.array(x[_offset_view(0, 0, S, H_out, W_out)], copy=True)"
AVG_LOOP = """            if a or b:
                out += x[_offset_view(a, b, S, H_out, W_out)]"""
# l2_pool_backward
L2_SCALE = 'np.divide(dout, out, out=scale, where=out != 0, casting="same_kind")'


def _e(function, old, new, count=1):
    return Edit(M, function, old, new, count)


BUGS = [
    # ------------------------------------------------------------------ max_pool_forward_naive
    Bug("maxpool-naive-stride-ignored", "max_pool_forward_naive",
        (_e("max_pool_forward_naive", WINDOW, "window = x[n, c, i:i + PH, j:j + PW]"),),
        "max_pool_forward_naive: [2x2 windows, stride 2] out: the window of out[i, j] starts at x[i, j]",
        why="window start i instead of i*stride"),
    Bug("maxpool-naive-mean", "max_pool_forward_naive",
        (_e("max_pool_forward_naive", "out[n, c, i, j] = np.max(window)", "out[n, c, i, j] = np.mean(window)"),),
        "max_pool_forward_naive: [2x2 windows, stride 2] out: each window's mean is taken, not its maximum",
        why="np.mean for np.max"),
    Bug("maxpool-naive-window-of-stride", "max_pool_forward_naive",
        (_e("max_pool_forward_naive", WINDOW, "window = x[n, c, i * S:(i + 1) * S, j * S:(j + 1) * S]"),),
        "max_pool_forward_naive: [overlapping 3x3 windows, stride 2] out: the windows are S x S",
        why="window ends at the next window's start"),
    Bug("maxpool-naive-ph-pw-swapped", "max_pool_forward_naive",
        (_e("max_pool_forward_naive", WINDOW, "window = x[n, c, i * S:i * S + PW, j * S:j * S + PH]"),),
        "max_pool_forward_naive: [non-square 2x3 windows, stride 1] out: the windows are PW x PH",
        why="pool_height and pool_width swapped"),
    Bug("maxpool-naive-no-plus-one", "max_pool_forward_naive",
        (_e("max_pool_forward_naive", "N, C, H_out, W_out = out_shape\n    out = np.empty(out_shape, dtype=x.dtype)",
            "N, C, H, W = x.shape\n    H_out, W_out = (H - PH) // S, (W - PW) // S\n"
            "    out = np.empty((N, C, H_out, W_out), dtype=x.dtype)"),),
        "max_pool_forward_naive: [2x2 windows, stride 2] out has shape (2, 3, 1, 2), expected (2, 3, 2, 3): "
        "the + 1 of the output size is left out",
        why="output size without the + 1"),
    # ------------------------------------------------------------------ max_pool_backward_naive
    Bug("maxpool-naive-grad-to-window", "max_pool_backward_naive",
        (_e("max_pool_backward_naive", ROUTE, "dx[n, c, i * S:i * S + PH, j * S:j * S + PW] += dout[n, c, i, j]"),),
        "max_pool_backward_naive: [2x2 windows, stride 2: dx] dx: each window's gradient goes to every element",
        why="gradient routed to the whole window"),
    Bug("maxpool-naive-grad-to-first", "max_pool_backward_naive",
        (_e("max_pool_backward_naive", ARGMAX, "a, b = np.unravel_index(np.argmax(dout[n, c, i, j]), window.shape)"),),
        "max_pool_backward_naive: [2x2 windows, stride 2: dx] dx: each window's gradient goes to its first element",
        why="argmax of the (scalar) upstream gradient: always the window's first element"),
    Bug("maxpool-naive-no-dout", "max_pool_backward_naive",
        (_e("max_pool_backward_naive", ROUTE, ROUTE.replace("dout[n, c, i, j]", "1")),),
        "max_pool_backward_naive: [2x2 windows, stride 2: dx] dx: each window's maximum gets 1, not dout",
        why="the upstream gradient forgotten"),
    Bug("maxpool-naive-offset-transposed", "max_pool_backward_naive",
        (_e("max_pool_backward_naive", ROUTE, ROUTE.replace("i * S + a, j * S + b", "i * S + b, j * S + a")),),
        "max_pool_backward_naive: [2x2 windows, stride 2: dx] dx: the window offset (a, b) of the maximum is used as "
        "(b, a)",
        why="row and column of the argmax mixed up"),
    Bug("maxpool-naive-overwrite", "max_pool_backward_naive",
        (_e("max_pool_backward_naive", ROUTE, ROUTE.replace("+=", "=")),),
        "max_pool_backward_naive: [overlapping 3x3 windows, stride 2: dx] dx: overlapping windows overwrite",
        why="= instead of +="),
    Bug("maxpool-naive-index-without-stride", "max_pool_backward_naive",
        (_e("max_pool_backward_naive", ROUTE, "dx[n, c, i + a, j + b] += dout[n, c, i, j]"),),
        "max_pool_backward_naive: [2x2 windows, stride 2: dx] dx: the gradient goes to x[i + a, j + b]",
        why="the stride left out of dx's index"),
    Bug("maxpool-naive-backward-stride-ignored", "max_pool_backward_naive",
        (_e("max_pool_backward_naive", WINDOW, "window = x[n, c, i:i + PH, j:j + PW]"),
         _e("max_pool_backward_naive", ROUTE, "dx[n, c, i + a, j + b] += dout[n, c, i, j]")),
        "max_pool_backward_naive: [2x2 windows, stride 2: dx] dx: the stride is ignored",
        why="stride ignored in the window and in dx's index"),
    Bug("maxpool-naive-every-max", "max_pool_backward_naive",
        (_e("max_pool_backward_naive", f"{ARGMAX}\n                    {ROUTE}",
            "mask = window == np.max(window)\n"
            "                    dx[n, c, i * S:i * S + PH, j * S:j * S + PW] += mask * dout[n, c, i, j]"),),
        "max_pool_backward_naive: [ties: the first maximum in row-major window order gets the gradient] dx: "
        "every maximum of a window gets its gradient",
        why="the mask x == max: ties all get the gradient"),
    # ------------------------------------------------------------------ max_pool_forward_fast
    Bug("maxpool-fast-in-place", "max_pool_forward_fast",
        (_e("max_pool_forward_fast", FIRST_MAX, "out = views[0]"),
         _e("max_pool_forward_fast", REST, "for view in views[1:]:")),
        "max_pool_forward_fast changed its argument x in place",
        why="running maximum kept in a view of x"),
    Bug("maxpool-fast-zeros-start", "max_pool_forward_fast",
        (_e("max_pool_forward_fast", FIRST_MAX, "out = np.zeros(out_shape)"),
         _e("max_pool_forward_fast", REST, "for view in views:")),
        "max_pool_forward_fast: [2x2 windows, stride 2] out: the running maximum starts at 0",
        why="accumulator np.zeros instead of the first view"),
    Bug("maxpool-fast-square-window", "max_pool_forward_fast",
        (_e("max_pool_forward_fast", VIEWS, VIEWS.replace("range(PW)", "range(PH)")),),
        "max_pool_forward_fast: [non-square 2x3 windows, stride 1] out: the windows are PH x PH",
        why="pool_width ignored"),
    Bug("maxpool-fast-stride-ignored", "max_pool_forward_fast",
        (_e("max_pool_forward_fast", VIEWS, VIEWS.replace("(a, b, S,", "(a, b, 1,")),),
        "max_pool_forward_fast: [2x2 windows, stride 2] out: the window of out[i, j] starts at x[i, j]",
        why="offset views with step 1"),
    Bug("maxpool-fast-float64", "max_pool_forward_fast",
        (_e("max_pool_forward_fast", FIRST_MAX, "out = np.full(out_shape, -np.inf)"),
         _e("max_pool_forward_fast", REST, "for view in views:")),
        "max_pool_forward_fast: [float32 input gives float32 output] out has dtype float64", names=False,
        why="accumulator made without dtype (the message lists the usual causes: it cannot tell them apart)"),
    # ------------------------------------------------------------------ max_pool_backward_fast
    Bug("maxpool-fast-overwrite", "max_pool_backward_fast",
        (_e("max_pool_backward_fast", "dx[view] += routed", "dx[view] = routed"),),
        "max_pool_backward_fast: [overlapping 3x3 windows, stride 2: dx] dx: overlapping windows overwrite",
        why="= instead of +="),
    Bug("maxpool-fast-overlap-test", "max_pool_backward_fast",
        (_e("max_pool_backward_fast", "overlap = S < PH or S < PW", "overlap = S < PH and S < PW"),),
        "max_pool_backward_fast: [2x3 windows, stride 2 (overlapping along the width only): dx] dx: overlapping "
        "windows overwrite",
        why="overlap tested along both axes at once"),
    Bug("maxpool-fast-grad-to-window", "max_pool_backward_fast",
        (_e("max_pool_backward_fast", "dx[view] += routed", "dx[view] += dout"),),
        "max_pool_backward_fast: [overlapping 3x3 windows, stride 2: dx] dx: each window's gradient goes to every "
        "element",
        why="mask not applied"),
    Bug("maxpool-fast-column-major", "max_pool_backward_fast",
        (_e("max_pool_backward_fast", "offsets = [(a, b) for a in range(PH) for b in range(PW)]",
            "offsets = [(a, b) for b in range(PW) for a in range(PH)]"),),
        "max_pool_backward_fast: [ties: the first maximum in row-major window order gets the gradient] dx: "
        "the first maximum in column-major order",
        why="offsets visited column by column"),
    Bug("maxpool-fast-every-max", "max_pool_backward_fast",
        (_e("max_pool_backward_fast", PENDING, "        np.equal(x[view], out, out=hit)\n"),),
        "max_pool_backward_fast: [ties: the first maximum in row-major window order gets the gradient] dx: "
        "every maximum of a window gets its gradient",
        why="no tie rule: every entry equal to the maximum"),
    # ------------------------------------------------------------------ hidden ties
    Bug("maxpool-naive-split-ties", "max_pool_hidden_ties",
        (_e("max_pool_backward_naive", f"{ARGMAX}\n                    {ROUTE}",
            "mask = window == np.max(window)\n"
            "                    dx[n, c, i * S:i * S + PH, j * S:j * S + PW] += "
            "mask * dout[n, c, i, j] / mask.sum()"),),
        "max_pool_hidden_ties: [naive, 3x3 stride 2, small integers] dx: the gradient is split equally between",
        why="tied maxima share the gradient"),
    # ------------------------------------------------------------------ avg_pool
    Bug("avgpool-sum", "avg_pool",
        (_e("avg_pool_forward", "    out /= PH * PW  # a Python int keeps float32 as float32\n", ""),),
        "avg_pool: [2x2 windows, stride 2] out: each window's sum is taken",
        why="not divided by the window size"),
    Bug("avgpool-square-window", "avg_pool", (_e("avg_pool_forward", "out /= PH * PW", "out /= PH * PH"),),
        "avg_pool: [non-square 2x3 windows, stride 1] out: the sum is divided by PH * PH",
        why="square window assumed in the divisor"),
    Bug("avgpool-divided-by-stride", "avg_pool", (_e("avg_pool_forward", "out /= PH * PW", "out /= S * S"),),
        "avg_pool: [overlapping 3x3 windows, stride 2] out: the sum is divided by S * S",
        why="stride confused with the window size"),
    Bug("avgpool-stride-ignored", "avg_pool",
        (_e("avg_pool_forward", "_offset_view(0, 0, S, H_out, W_out)", "_offset_view(0, 0, 1, H_out, W_out)"),
         _e("avg_pool_forward", "_offset_view(a, b, S, H_out, W_out)", "_offset_view(a, b, 1, H_out, W_out)")),
        "avg_pool: [2x2 windows, stride 2] out: the window of out[i, j] starts at x[i, j]",
        why="offset views with step 1"),
    Bug("avgpool-float64-accumulator", "avg_pool",
        (_e("avg_pool_forward", AVG_START, "out = np.zeros(out_shape)"),
         _e("avg_pool_forward", AVG_LOOP, "            out += x[_offset_view(a, b, S, H_out, W_out)]")),
        "the window sums were accumulated in float64: the accumulator was made with np.zeros(shape)",
        why="np.zeros(shape) accumulator"),
    Bug("avgpool-in-place", "avg_pool",
        (_e("avg_pool_forward", AVG_START, "out = x[_offset_view(0, 0, S, H_out, W_out)]"),),
        "avg_pool: [2x2 windows, stride 2] layers.avg_pool_forward changed its argument x in place",
        why="the sum kept in a view of x"),
    Bug("avgpool-backward-index-without-stride", "avg_pool",
        (_e("avg_pool_backward", "dx[_offset_view(a, b, S, H_out, W_out)] += share",
            "dx[_offset_view(a, b, 1, H_out, W_out)] += share"),),
        "avg_pool: [overlapping 3x3 windows, stride 2: dx] dx: the gradient goes to x[i + a, j + b]",
        why="the stride left out of dx's index"),
    Bug("avgpool-backward-not-divided", "avg_pool",
        (_e("avg_pool_backward", "share = (dout / (PH * PW)).astype(x.dtype, copy=False)",
            "share = dout.astype(x.dtype, copy=False)"),),
        "avg_pool: [overlapping 3x3 windows, stride 2: dx] dx: each window's dout is not divided by PH * PW",
        why="dout not divided by the window size"),
    Bug("avgpool-backward-multiplied", "avg_pool",
        (_e("avg_pool_backward", "share = (dout / (PH * PW))", "share = (dout * (PH * PW))"),),
        "avg_pool: [overlapping 3x3 windows, stride 2: dx] dx is 81x the expected values (an extra factor of 81 = "
        "(PH * PW)**2",
        why="dout multiplied by the window size"),
    Bug("avgpool-backward-overwrite", "avg_pool",
        (_e("avg_pool_backward", "dx[_offset_view(a, b, S, H_out, W_out)] += share",
            "dx[_offset_view(a, b, S, H_out, W_out)] = share"),),
        "avg_pool: [overlapping 3x3 windows, stride 2: dx] dx: overlapping windows overwrite",
        why="= instead of +="),
    Bug("avgpool-backward-overlap-test", "avg_pool",
        (_e("avg_pool_backward", "if S < PH or S < PW:", "if S < PH and S < PW:"),),
        "avg_pool: [2x3 windows, stride 2 (overlapping along the width only): dx] dx: overlapping windows overwrite",
        why="overlap tested along both axes at once"),
    # ------------------------------------------------------------------ l2_pool
    Bug("l2pool-no-sqrt", "l2_pool", (_e("l2_pool_forward", "    np.sqrt(out, out=out)\n", ""),),
        "l2_pool: [2x2 windows, stride 2] out is each window's sum of squares, without the square root",
        why="sum of squares without the root"),
    Bug("l2pool-backward-no-norm", "l2_pool",
        (_e("l2_pool_backward", L2_SCALE, "scale[...] = dout"),),
        "l2_pool: [overlapping 3x3 windows, stride 2: dx] dx = dout * x: the division by the window's norm",
        why="no division by the window's norm"),
    Bug("l2pool-backward-half", "l2_pool",
        (_e("l2_pool_backward", L2_SCALE, L2_SCALE.replace("(dout, out,", "(dout, 2 * out,")),),
        "l2_pool: [overlapping 3x3 windows, stride 2: dx] dx = dout * x / (2 * out)",
        why="the 2 of d(x**2)/dx forgotten"),
    Bug("l2pool-backward-square", "l2_pool",
        (_e("l2_pool_backward", L2_SCALE, L2_SCALE.replace("(dout, out,", "(dout, out ** 2,")),),
        "l2_pool: [overlapping 3x3 windows, stride 2: dx] dx = dout * x / out**2",
        why="divided by the sum of squares, not its root"),
    Bug("l2pool-backward-no-dout", "l2_pool",
        (_e("l2_pool_backward", L2_SCALE, L2_SCALE.replace("(dout, out,", "(1.0, out,")),),
        "l2_pool: [overlapping 3x3 windows, stride 2: dx] dx = x / out: the upstream gradient dout is not used",
        why="the upstream gradient forgotten"),
    Bug("l2pool-backward-overwrite", "l2_pool",
        (_e("l2_pool_backward", "dx[view] += x[view] * scale", "dx[view] = x[view] * scale"),),
        "l2_pool: [overlapping 3x3 windows, stride 2: dx] dx: overlapping windows overwrite",
        why="= instead of +="),
    # ------------------------------------------------------------------ pool_output_size_error
    Bug("maxpool-fast-no-plus-one", "pool_output_size_error",
        (_e("max_pool_forward_fast", "_, _, H_out, W_out = out_shape",
            "H_out, W_out = (x.shape[2] - PH) // S, (x.shape[3] - PW) // S"),),
        "pool_output_size_error: [W=7 works, W=6 (3x3 windows, S=2) raises (fast)] see max_pool_forward_fast: its "
        "out is wrong on this input (out has shape (1, 2, 2, 2), expected (1, 2, 3, 3): the + 1",
        why="output size without the + 1"),
]

# Dividing float32 by a NumPy integer scalar upcasts only under NumPy 2's promotion rules (NEP 50); with
# NumPy 1.26, the oldest version supported, a scalar keeps the array's dtype and there is no bug to catch.
if int(np.__version__.split(".")[0]) >= 2:
    BUGS.append(
        Bug("avgpool-numpy-divisor", "avg_pool",
            (_e("avg_pool_forward", "out /= PH * PW  # a Python int keeps float32 as float32",
                "out = out / np.prod((PH, PW))"),),
            "float32 input gave float64 output: the window sums were float32 and became float64 at the end",
            names=False, why="divided by a NumPy int64 (the message lists the causes of a late upcast)"))
