"""Checks for the pooling layers: max (naive and fast), average and L2, forward and backward."""

from __future__ import annotations

import numpy as np

from cs231n_cnn.grading import CheckFailure, check

from . import _helpers as h
from . import _reference as ref

# (label, x shape, pool height, pool width, stride); every case fits the output-size formula.
FORWARD_CASES = [
    ("2x2 windows, stride 2", (2, 3, 4, 6), 2, 2, 2),
    ("overlapping 3x3 windows, stride 2", (2, 2, 7, 7), 3, 3, 2),
    ("non-square 2x3 windows, stride 1", (1, 2, 4, 5), 2, 3, 1),
    ("2x2 windows with gaps, stride 3", (2, 2, 5, 8), 2, 2, 3),
]
BACKWARD_CASES = FORWARD_CASES[:3]

# The tie rule worked by hand. 2x2 windows, stride 2, on one 2x4 image:
#
#     x = [[2, 5 | 1, 1],        window 0 = [[2, 5],    window 1 = [[1, 1],
#          [5, 0 | 1, 1]]                    [5, 0]]                [1, 1]]
#
# Window 0 has its maximum 5 twice, at (0, 1) and (1, 0); in row-major order
# (0, 1) comes first, so it gets all of dout = 10 (column-major order, "last
# maximum" or "every maximum" would pick (1, 0) as well or instead). Window 1
# is all ties, so its first entry (0, 0), i.e. x[0, 2], gets all of dout = 20.
TIE_X = np.array([[[[2.0, 5.0, 1.0, 1.0],
                    [5.0, 0.0, 1.0, 1.0]]]])
TIE_DOUT = np.array([[[[10.0, 20.0]]]])
TIE_DX = np.array([[[[0.0, 10.0, 20.0, 0.0],
                     [0.0, 0.0, 0.0, 0.0]]]])


def _pp(ph, pw, s):
    return {"pool_height": ph, "pool_width": pw, "stride": s}


def _forward_parts(t, fn, reduce, cases):
    for label, xs, ph, pw, s in cases:
        with t.part(label):
            x = t.rng.standard_normal(xs)
            out, _ = h.forward(t, fn, x, _pp(ph, pw, s))
            t.assert_close(out, ref.pool(x, ph, pw, s, reduce), tol=1e-10, name="out")


def _backward_parts(t, forward, backward, reduce, cases, distinct=False):
    """dx against numerical gradients of the reference pooling."""
    for label, xs, ph, pw, s in cases:
        with t.part(f"{label}: dx"):
            # Distinct values at least 0.1 apart: no ties, and h = 1e-6 never crosses a kink.
            x = ref.distinct(t.rng, xs) if distinct else t.rng.standard_normal(xs)
            dout = t.rng.standard_normal(ref.pool(x, ph, pw, s, reduce).shape)
            (dx_num,) = ref.numerical_grads(lambda v: ref.pool(v, ph, pw, s, reduce), [x], dout, [0])
            _, cache = h.forward(t, forward, x, _pp(ph, pw, s))
            dx = t.call(backward, dout, cache)
            t.assert_close(dx, dx_num, tol=1e-6, name="dx")


def _tie_part(t, forward, backward):
    with t.part("ties: the first maximum in row-major window order gets the gradient"):
        _, cache = h.forward(t, forward, TIE_X, _pp(2, 2, 2))
        dx = t.call(backward, TIE_DOUT, cache)
        t.assert_array(dx, shape=TIE_DX.shape, name="dx")
        if not np.array_equal(dx, TIE_DX):
            raise CheckFailure(f"with ties dx should be {TIE_DX[0, 0].tolist()} (the FIRST maximum of each "
                               f"window in row-major order gets its gradient), got {dx[0, 0].tolist()}")



def _gap_part(t, forward, backward):
    """Stride 3 with 2x2 windows leaves every third row and column in no window."""
    with t.part("2x2 windows, stride 3: inputs no window covers get gradient exactly 0"):
        label, xs, ph, pw, s = FORWARD_CASES[3]
        x = ref.distinct(t.rng, xs)
        dout = t.rng.standard_normal(ref.pool(x, ph, pw, s, "max").shape)
        _, cache = h.forward(t, forward, x, _pp(ph, pw, s))
        dx = t.assert_array(t.call(backward, dout, cache), shape=xs, name="dx")
        expected = ref.max_pool_backward(x, dout, ph, pw, s)
        uncovered = np.ones(xs, dtype=bool)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                uncovered[:, :, i * s:i * s + ph, j * s:j * s + pw] = False
        if not np.all(dx[uncovered] == 0):
            raise CheckFailure(f"{int(np.sum(dx[uncovered] != 0))} inputs that no window covers (stride {s} > "
                               f"window {ph}) have a nonzero gradient: dx must start as zeros, not np.empty")
        t.assert_close(dx, expected, tol=1e-12, name="dx")


@check("max_pool_forward_naive", points=4)
def max_pool_forward_naive(t):
    """Naive max pooling forward pass, including overlapping and non-square windows."""
    _forward_parts(t, "layers.max_pool_forward_naive", "max", FORWARD_CASES)


@check("max_pool_backward_naive", points=5)
def max_pool_backward_naive(t):
    """Naive max pooling backward pass against numerical gradients, the tie rule, and uncovered inputs."""
    _backward_parts(t, "layers.max_pool_forward_naive", "layers.max_pool_backward_naive", "max",
                    BACKWARD_CASES, distinct=True)
    _tie_part(t, "layers.max_pool_forward_naive", "layers.max_pool_backward_naive")
    _gap_part(t, "layers.max_pool_forward_naive", "layers.max_pool_backward_naive")


@check("max_pool_forward_fast", points=5)
def max_pool_forward_fast(t):
    """Fast max pooling forward pass on every window shape; float32 stays float32."""
    _forward_parts(t, "layers.max_pool_forward_fast", "max", FORWARD_CASES)
    with t.part("float32 input gives float32 output"):
        x = t.rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
        out, _ = h.forward(t, "layers.max_pool_forward_fast", x, _pp(2, 2, 2))
        t.assert_array(out, dtype=np.float32, name="out")
        t.assert_close(out, ref.pool(x, 2, 2, 2, "max"), tol=0, name="out")


@check("max_pool_backward_fast", points=5)
def max_pool_backward_fast(t):
    """Fast max pooling backward pass against numerical gradients, the tie rule, and uncovered inputs."""
    _backward_parts(t, "layers.max_pool_forward_fast", "layers.max_pool_backward_fast", "max",
                    BACKWARD_CASES, distinct=True)
    _tie_part(t, "layers.max_pool_forward_fast", "layers.max_pool_backward_fast")
    _gap_part(t, "layers.max_pool_forward_fast", "layers.max_pool_backward_fast")


@check("avg_pool", points=6)
def avg_pool(t):
    """Average pooling: forward against window means (float32 stays float32), backward against numerical gradients."""
    _forward_parts(t, "layers.avg_pool_forward", "avg", FORWARD_CASES[:3])
    with t.part("float32 input gives float32 output"):
        x = t.rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
        out, _ = h.forward(t, "layers.avg_pool_forward", x, _pp(2, 2, 2))
        out = t.assert_array(out, shape=(2, 3, 2, 2), name="out")
        if out.dtype != np.float32:
            raise CheckFailure(f"float32 input gave {out.dtype} output: arithmetic with a float64 array or NumPy "
                               f"float64 scalar upcasts (divide by the Python int PH * PW instead)")
        t.assert_close(out, ref.pool(x.astype(np.float64), 2, 2, 2, "avg"), tol=1e-6, name="out")
    _backward_parts(t, "layers.avg_pool_forward", "layers.avg_pool_backward", "avg",
                    [FORWARD_CASES[1], FORWARD_CASES[3]])


@check("l2_pool", points=5)
def l2_pool(t):
    """L2 pooling: forward against window norms, backward against numerical gradients and at all-zero windows."""
    _forward_parts(t, "layers.l2_pool_forward", "l2", FORWARD_CASES[:2])
    _backward_parts(t, "layers.l2_pool_forward", "layers.l2_pool_backward", "l2",
                    [FORWARD_CASES[1], FORWARD_CASES[2]])
    with t.part("an all-zero window (as after a ReLU) gets gradient 0, not NaN"):
        # 2x2 windows, stride 2: the top-left window of each channel is all zeros, the others are not.
        x = t.rng.standard_normal((2, 2, 4, 4))
        x[:, :, :2, :2] = 0.0
        dout = t.rng.standard_normal((2, 2, 2, 2))
        _, cache = h.forward(t, "layers.l2_pool_forward", x, _pp(2, 2, 2))
        dx = t.assert_array(t.call("layers.l2_pool_backward", dout, cache), shape=x.shape, name="dx")
        if not np.all(np.isfinite(dx)):
            raise CheckFailure("dx has NaN or inf where a window is all zeros (out == 0): the gradient there is 0 "
                               "by convention (see the Notes of l2_pool_backward); do not divide by out == 0")
        t.assert_close(dx, ref.l2_pool_backward(x, dout, 2, 2, 2), tol=1e-10, atol=0, name="dx")


@check("pool_output_size_error", points=3)
def pool_output_size_error(t):
    """Pooling whose output size is not an integer raises ValueError showing the formula.

    Each part first needs a correct result on a valid input next to the
    invalid one: the validation is given to students above their code, so
    raising alone earns nothing until the layer itself works.
    """
    for label, fn, reduce, (ok, bad), (ph, pw, s), match in [
            ("H=4 works, H=5 (2x2 windows, S=2) raises (naive)", "layers.max_pool_forward_naive", "max",
             ((1, 2, 4, 4), (1, 1, 5, 4)), (2, 2, 2), "2.5"),
            ("W=7 works, W=6 (3x3 windows, S=2) raises (fast)", "layers.max_pool_forward_fast", "max",
             ((1, 2, 7, 7), (1, 1, 7, 6)), (3, 3, 2), "not an integer"),
            ("W=6 works, W=7 (2x2 windows, S=2) raises (average)", "layers.avg_pool_forward", "avg",
             ((1, 2, 4, 6), (1, 1, 4, 7)), (2, 2, 2), "3.5")]:
        with t.part(label):
            x = t.rng.standard_normal(ok)
            out, _ = h.forward(t, fn, x, _pp(ph, pw, s))
            t.assert_close(out, ref.pool(x, ph, pw, s, reduce), tol=1e-10, name="out")
            t.assert_raises(fn, np.zeros(bad), _pp(ph, pw, s), match=match)


### BEGIN HIDDEN TESTS
@check("max_pool_hidden_ties", points=3, hidden=True)
def max_pool_hidden_ties(t):
    """Hidden: max pooling backward with many ties on overlapping windows (first-maximum rule)."""
    cases = [("naive, 3x3 stride 2, small integers", "naive", (2, 2, 7, 9), 3, 3, 2, "int"),
             ("fast, 3x3 stride 2, small integers", "fast", (2, 2, 7, 9), 3, 3, 2, "int"),
             ("fast, 2x3 stride 1, all zeros", "fast", (1, 2, 4, 5), 2, 3, 1, "zeros")]
    for label, kind, xs, ph, pw, s, values in cases:
        with t.part(label):
            x = t.rng.integers(0, 3, size=xs).astype(np.float64) if values == "int" else np.zeros(xs)
            dout = t.rng.standard_normal(ref.pool(x, ph, pw, s, "max").shape)
            _, cache = h.forward(t, f"layers.max_pool_forward_{kind}", x, _pp(ph, pw, s))
            dx = t.call(f"layers.max_pool_backward_{kind}", dout, cache)
            t.assert_close(dx, ref.max_pool_backward(x, dout, ph, pw, s), tol=1e-12, name="dx")
### END HIDDEN TESTS
