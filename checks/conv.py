"""Checks for the convolutional layer: naive and fast, forward and backward, im2col/col2im."""

from __future__ import annotations

import numpy as np

from cs231n_cnn.grading import CheckFailure, check

from . import _helpers as h
from . import _reference as ref

# (label, x shape, w shape, stride, pad); every case fits the output-size formula.
FORWARD_CASES = [
    ("3x3 filters, stride 1, pad 1", (2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ("course timing-cell shape, stride 2", (2, 3, 7, 7), (3, 3, 3, 3), 2, 1),
    ("non-square input and filters", (2, 2, 6, 5), (3, 2, 3, 2), 1, 0),
    ("1x1 filters, stride 2", (3, 4, 5, 5), (2, 4, 1, 1), 2, 0),
]
# The fast forward multiplies a block of N // 8 images at a time (conv_forward_fast, Notes): with 20 images a
# block holds 2, so regrouping a block's product to NCHW wrongly (reshape instead of transpose) shows here and
# in no case of 8 images or fewer.
BLOCKS_FORWARD_CASE = ("20 images (several blocks), stride 1, pad 1", (20, 2, 5, 5), (3, 2, 3, 3), 1, 1)
BACKWARD_CASES = [
    ("stride 2, pad 1", (2, 3, 5, 5), (2, 3, 3, 3), 2, 1),
    ("non-square, stride 1", (1, 2, 4, 5), (3, 2, 2, 3), 1, 0),
]
# Stride 1, square filters and F*H*W <= C*H_out*W_out: the fast layer computes dx as
# a convolution of dout with the flipped filters (conv_backward_fast, Notes).
DX_AS_CONVOLUTION_CASE = ("stride 1, pad 1, more channels than filters (dx as a transposed convolution)",
                          (2, 4, 5, 5), (2, 4, 3, 3), 1, 1)
# Columns of more than 1 MiB: the fast backward runs on several blocks of images (dw and db summed over them, dx
# written block by block). Large, so only for the fast layer, with analytic reference gradients
# (ref.conv_grads) where numerical ones would take minutes.
BLOCKS_BACKWARD_CASE = ("14 images in several blocks, stride 2, pad 1, 3x5 filters (dx by col2im)",
                        (14, 4, 23, 31), (6, 4, 3, 5), 2, 1)


def _inputs(t, xs, ws):
    return t.rng.standard_normal(xs), t.rng.standard_normal(ws), t.rng.standard_normal(ws[0])


def _forward_problem(t, fn, out, x, w, b, s, p, *, fast, tol=1e-7, atol=0.0, named=True):
    """``see <forward>: ...`` if the forward pass a check called (for a cache, or next to a raise) got a wrong
    ``out`` on this input, naming a known mistake if ``named``; else None (h.first_problem)."""
    return h.first_problem(fn, lambda: t.assert_close(
        out, ref.conv(x.astype(np.float64), w, b, s, p), tol=tol, atol=atol, name="out",
        mistakes=(lambda: ref.conv_forward_mistakes(x, w, b, s, p, fast)) if named else None))


def _forward_check(t, fn, cases, *, fast, points=(1, 1, 1, 1)):
    for (label, xs, ws, s, p), worth in zip(cases, points, strict=True):
        with t.part(label, points=worth):
            x, w, b = _inputs(t, xs, ws)
            out, _ = h.forward(t, fn, x, w, b, {"stride": s, "pad": p})
            t.assert_close(out, ref.conv(x, w, b, s, p), tol=1e-7, name="out",
                           mistakes=lambda: ref.conv_forward_mistakes(x, w, b, s, p, fast))


def _backward_check(t, forward, backward, cases, *, fast, points, analytic=()):
    """dx, dw, db of each case; cases whose label is in ``analytic`` are compared with ref.conv_grads."""
    for label, xs, ws, s, p in cases:
        x, w, b = _inputs(t, xs, ws)
        cp = {"stride": s, "pad": p}
        dout = t.rng.standard_normal(ref.conv(x, w, b, s, p).shape)
        if label in analytic:
            nums = ref.conv_grads(x, w, dout, s, p)
        else:
            nums = ref.numerical_grads(lambda *a: ref.conv(*a, s, p), [x, w, b], dout, [0, 1, 2])
        variants = {}

        def mistakes(i, x=x, w=w, b=b, s=s, p=p, dout=dout, variants=variants):
            def compute():
                if not variants:
                    variants.update(ref.conv_backward_mistakes(x, w, b, s, p, dout, fast))
                return {k: v[i] for k, v in variants.items()}
            return compute

        # The known mistakes all show on the small cases first; a large case names none, so that the release
        # does not record their large results.
        small = label not in analytic
        grads = problem = None
        with t.part(f"{label}: dx", points=points):
            out, cache = h.forward(t, forward, x, w, b, cp)
            problem = _forward_problem(t, forward, out, x, w, b, s, p, fast=fast, named=small)
            grads = h.unpack(t.call(backward, dout, cache), "dx, dw, db", backward)
            with h.blamed(problem):
                t.assert_close(grads[0], nums[0], tol=1e-6, name="dx", mistakes=mistakes(0) if small else None)
        for i, name in enumerate(("dw", "db"), start=1):
            with t.part(f"{label}: {name}", points=points):
                t.needs(grads, f"{label}: dx")
                with h.blamed(problem):
                    t.assert_close(grads[i], nums[i], tol=1e-6, name=name, mistakes=mistakes(i) if small else None)


@check("conv_forward_naive", points=4)
def conv_forward_naive(t):
    """Naive convolution forward pass against scipy.signal.correlate."""
    _forward_check(t, "layers.conv_forward_naive", FORWARD_CASES, fast=False)


@check("conv_backward_naive", points=6)
def conv_backward_naive(t):
    """Naive convolution backward pass against numerical gradients: dx, dw, db."""
    _backward_check(t, "layers.conv_forward_naive", "layers.conv_backward_naive", BACKWARD_CASES, fast=False,
                    points=1)


@check("conv_output_size_error", points=2)
def conv_output_size_error(t):
    """A conv whose output size is not an integer raises ValueError showing the formula.

    Each part first needs a correct result on a valid input next to the
    invalid one: the validation is given to students above their code, so
    raising alone earns nothing until the layer itself works: a wrong
    result there fails the part with ``see conv_forward_naive: ...``.
    """
    # Both parts call the naive layer: notebook 02 runs this check, and the fast layer is asked for only in
    # notebook 03 (it shares the validation, check_conv_inputs, with the naive one).
    for label, fn, width, stride, pad, match in [
            ("W=9 works, W=10 (F=3, P=0, S=2) raises", "layers.conv_forward_naive", (9, 10), 2, 0, "4.5"),
            ("W=7 works, W=5 (F=3, P=1, S=3) raises", "layers.conv_forward_naive", (7, 5), 3, 1, "not an integer")]:
        with t.part(label):
            ok, bad = width
            x, w, b = _inputs(t, (1, 2, ok, ok), (2, 2, 3, 3))
            out, _ = h.forward(t, fn, x, w, b, {"stride": stride, "pad": pad})
            problem = _forward_problem(t, fn, out, x, w, b, stride, pad, fast=False)
            if problem:
                raise CheckFailure(problem)
            t.assert_raises(fn, np.zeros((1, 2, bad, bad)), w, b, {"stride": stride, "pad": pad}, match=match)


@check("im2col", points=3)
def im2col(t):
    """im2col against columns built one receptive field at a time."""
    for label, xs, (HH, WW), s, p in [("3x3, stride 1, pad 1", (2, 3, 4, 4), (3, 3), 1, 1),
                                      ("2x3, stride 2", (1, 2, 5, 7), (3, 3), 2, 0),
                                      ("1x1", (2, 2, 3, 3), (1, 1), 1, 0)]:
        with t.part(label):
            x = t.rng.standard_normal(xs)
            cols = t.call("im2col.im2col", x, HH, WW, s, p)
            t.assert_close(cols, ref.im2col(x, HH, WW, s, p), tol=0, name="cols",
                           mistakes=lambda: ref.im2col_mistakes(x, HH, WW, s, p))


@check("col2im", points=3)
def col2im(t):
    """col2im is the adjoint of im2col: <im2col(x), c> == <x, col2im(c)> for every x."""
    for label, xs, (HH, WW), s, p in [("3x3, stride 1, pad 1 (overlaps)", (2, 3, 4, 4), (3, 3), 1, 1),
                                      ("3x3, stride 2", (1, 2, 5, 7), (3, 3), 2, 0),
                                      ("2x2, stride 2, pad 1", (2, 1, 4, 6), (2, 2), 2, 1)]:
        with t.part(label):
            c = t.rng.standard_normal(ref.im2col(np.zeros(xs), HH, WW, s, p).shape)
            got = t.call("im2col.col2im", c, xs, HH, WW, s, p)
            N, C, H, W = xs
            if p and isinstance(got, np.ndarray) and got.shape == (N, C, H + 2 * p, W + 2 * p):
                raise CheckFailure(f"col2im(c) has shape {got.shape}, expected {xs}: col2im(c) still has the "
                                   f"padding ({2 * p} = 2 * pad more rows and columns)"
                                   f"\nfix: return the padded volume without its border: "
                                   f"xpad[:, :, {p}:-{p}, {p}:-{p}]")
            # The adjoint, element by element: x[i] = <im2col(e_i), c>.
            expected = np.zeros(xs)
            for idx in np.ndindex(*xs):
                e = np.zeros(xs)
                e[idx] = 1
                expected[idx] = np.sum(ref.im2col(e, HH, WW, s, p) * c)
            t.assert_close(got, expected, tol=1e-10, name="col2im(c)",
                           mistakes=lambda: ref.col2im_mistakes(c, xs, HH, WW, s, p))


@check("conv_forward_fast", points=4)
def conv_forward_fast(t):
    """Fast (im2col) convolution forward pass against scipy.signal.correlate, also on several blocks of images."""
    # Points that add up exactly: a float sum short of 4 would not count as full marks.
    _forward_check(t, "layers.conv_forward_fast", FORWARD_CASES + [BLOCKS_FORWARD_CASE], fast=True,
                   points=(0.75, 0.75, 0.75, 0.75, 1))


@check("conv_backward_fast", points=9)
def conv_backward_fast(t):
    """Fast convolution backward pass: dx, dw, db, on both ways of computing dx and on several blocks of images."""
    cases = BACKWARD_CASES + [DX_AS_CONVOLUTION_CASE, BLOCKS_BACKWARD_CASE]
    _backward_check(t, "layers.conv_forward_fast", "layers.conv_backward_fast", cases, fast=True,
                    points=9 / (3 * len(cases)), analytic=(BLOCKS_BACKWARD_CASE[0],))


@check("conv_fast_float32", points=2)
def conv_fast_float32(t):
    """The fast layer keeps float32 (no silent upcast) and gets float32-accurate results, forward and backward."""
    x = t.rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = t.rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = t.rng.standard_normal(4).astype(np.float32)
    cp = {"stride": 1, "pad": 1}
    cache = None
    with t.part("forward float32"):
        out, cache = h.forward(t, "layers.conv_forward_fast", x, w, b, cp)
        t.assert_array(out, dtype=np.float32, name="out")
        t.assert_close(out, ref.conv(x.astype(np.float64), w, b, 1, 1), tol=1e-4, atol=1e-5, name="out")
    with t.part("backward float32"):
        t.needs(cache, "forward float32")
        problem = _forward_problem(t, "layers.conv_forward_fast", out, x, w, b, 1, 1, fast=True, tol=1e-4, atol=1e-5)
        dout = t.rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
        grads = h.unpack(t.call("layers.conv_backward_fast", dout, cache), "dx, dw, db", "layers.conv_backward_fast")
        nums = ref.numerical_grads(lambda *a: ref.conv(*a, 1, 1), [x.astype(np.float64), w.astype(np.float64),
                                   b.astype(np.float64)], dout.astype(np.float64), [0, 1, 2])
        for name, g, num in zip(("dx", "dw", "db"), grads, nums):
            t.assert_array(g, dtype=np.float32, name=name)
            with h.blamed(problem):
                # float32 sums of up to 72 products: relative errors ~1e-6, larger where terms cancel.
                t.assert_close(g, num, tol=1e-3, atol=1e-4, name=name)


### BEGIN HIDDEN TESTS
HIDDEN_CASES = [("stride 3, pad 2", (2, 2, 7, 9), (3, 2, 5, 4), 3, 2),
                ("filter as large as the padded input", (1, 3, 3, 4), (2, 3, 5, 6), 1, 1),
                # Columns of more than 1 MiB and stride 1 with F*H*W <= C*H_out*W_out: dx as a convolution,
                # block by block; 16 images also make forward blocks of 2.
                ("16 images in several blocks, dx as a convolution", (16, 8, 12, 12), (4, 8, 3, 3), 1, 1)]


@check("conv_hidden_shapes", points=4, hidden=True)
def conv_hidden_shapes(t):
    """Hidden: fast conv on shapes the public checks do not use (stride 3, large pad, F = padded input, and
    several blocks of images with dx computed as a convolution)."""
    for label, xs, ws, s, p in HIDDEN_CASES:
        x, w, b = _inputs(t, xs, ws)
        cp = {"stride": s, "pad": p}
        large = x.size > 10_000
        worth = 1 if large else 0.5     # adds up to exactly 4
        with t.part(f"{label}: forward", points=worth):
            out, _ = h.forward(t, "layers.conv_forward_fast", x, w, b, cp)
            t.assert_close(out, ref.conv(x, w, b, s, p), tol=1e-7, name="out",
                           mistakes=lambda: ref.conv_forward_mistakes(x, w, b, s, p, True))
        with t.part(f"{label}: backward " + ("dx, dw, db" if large else "dx"), points=worth):
            dout = t.rng.standard_normal(ref.conv(x, w, b, s, p).shape)
            out, cache = h.forward(t, "layers.conv_forward_fast", x, w, b, cp)
            problem = _forward_problem(t, "layers.conv_forward_fast", out, x, w, b, s, p, fast=True)
            grads = h.unpack(t.call("layers.conv_backward_fast", dout, cache), "dx, dw, db",
                             "layers.conv_backward_fast")
            if large:
                nums = ref.conv_grads(x, w, dout, s, p)
            else:
                nums = ref.numerical_grads(lambda *a: ref.conv(*a, s, p), [x, w, b], dout, [0])
            for name, g, num in zip(("dx", "dw", "db"), grads, nums):
                with h.blamed(problem):
                    t.assert_close(g, num, tol=1e-6, name=name)
### END HIDDEN TESTS
