"""Checks for the pooling layers: max (naive and fast), average, L2 and fractional max, forward and backward."""

from __future__ import annotations

import numpy as np

from cs231n_cnn.grading import CheckFailure, KnownMistake, check

from . import _helpers as h
from . import _reference as ref

# (label, x shape, pool height, pool width, stride); every case fits the output-size formula. The first four
# keep their places (the checks pick them by index); the last two reach the fast layers' special paths:
# windows overlapping along one axis only, and 1x1 windows (one offset, no maximum to take).
FORWARD_CASES = [
    ("2x2 windows, stride 2", (2, 3, 4, 6), 2, 2, 2),
    ("overlapping 3x3 windows, stride 2", (2, 2, 7, 7), 3, 3, 2),
    ("non-square 2x3 windows, stride 1", (1, 2, 4, 5), 2, 3, 1),
    ("2x2 windows with gaps, stride 3", (2, 2, 5, 8), 2, 2, 3),
    ("2x3 windows, stride 2 (overlapping along the width only)", (1, 2, 4, 7), 2, 3, 2),
    ("1x1 windows, stride 2 (every other entry)", (1, 2, 5, 7), 1, 1, 2),
]
BACKWARD_CASES = FORWARD_CASES[:3]
FAST_BACKWARD_CASES = FORWARD_CASES[:3] + FORWARD_CASES[4:]

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

# The reference function computing each layer's wrong backward passes, looked up on ``ref`` at call time (the
# release builder wraps the module's functions to record them; a reference kept here would escape it).
_BACKWARD_MISTAKES = {"max": "max_pool_backward_mistakes", "avg": "avg_pool_backward_mistakes",
                      "l2": "l2_pool_backward_mistakes"}

# Wrong output-size formulas, as (what the code did, H_out from (H, PH, PW, S)); W_out uses (W, PW, PH, S).
_SIZE_MISTAKES = [
    ("the + 1 of the output size is left out: H_out = (H - PH) // S", lambda n, k, other, s: (n - k) // s),
    ("the stride is left out of the output size: H_out = H - PH + 1", lambda n, k, other, s: n - k + 1),
    ("the window size is left out of the output size: H_out = H // S", lambda n, k, other, s: n // s),
    ("PH and PW are swapped in the output size: H_out = (H - PW) // S + 1",
     lambda n, k, other, s: (n - other) // s + 1),
]


def _pp(ph, pw, s):
    return {"pool_height": ph, "pool_width": pw, "stride": s}


def _factors(ph, pw):
    """The sizes a wrong factor of a pooling result is named after."""
    return {"PH * PW, the number of entries in a window": ph * pw,
            "(PH * PW)**2: multiplied by PH * PW where it should be divided": (ph * pw) ** 2}


def _weight(points, parts):
    """Each of ``parts`` parts' share of a check's ``points`` (the check's points stay as declared)."""
    return points / parts


def _size_message(got, x_shape, ph, pw, s):
    """``out has shape ...``: which wrong output-size formula gives the student's H_out and W_out, if one does."""
    H, W = x_shape[2:]
    want = (*x_shape[:2], (H - ph) // s + 1, (W - pw) // s + 1)
    head = f"out has shape {got}, expected {want}"
    formula = (f"H_out = (H - PH) // S + 1 = ({H} - {ph}) // {s} + 1 = {want[2]} and "
               f"W_out = (W - PW) // S + 1 = ({W} - {pw}) // {s} + 1 = {want[3]}")
    if len(got) == 4 and got[:2] == want[:2]:
        fits = [what for what, f in _SIZE_MISTAKES if (f(H, ph, pw, s), f(W, pw, ph, s)) == got[2:]]
        if len(fits) == 1:
            return (f"{head}: {fits[0]}\nfix: {formula} (the out_shape the given code computed above your "
                    f"code has them)")
    return f"{head}\nfor a pooling layer (no padding) {formula}"


def _compare_out(t, out, x, ph, pw, s, reduce, *, tol=1e-10, mistakes=True):
    """A forward pass's ``out`` against the reference pooling of x (float64), naming known mistakes."""
    x64 = x.astype(np.float64)
    expected = ref.pool(x64, ph, pw, s, reduce)
    if type(out) is np.ndarray and out.ndim == 4 and out.shape != expected.shape:
        raise CheckFailure(_size_message(out.shape, x.shape, ph, pw, s))
    known = (lambda: ref.pool_forward_mistakes(x64, ph, pw, s, reduce)) if mistakes else None
    t.assert_close(out, expected, tol=tol, name="out", mistakes=known,
                   factors=_factors(ph, pw))


def _call_forward(t, fn, x, ph, pw, s):
    """The student's forward pass; it must leave x as it was (a view of x must not become the result)."""
    return h.unpack(t.call(fn, x, _pp(ph, pw, s), check_unmodified=True), "out, cache", fn)


def _see_forward(t, fn, out, x, ph, pw, s, reduce, *, then, mistakes=False):
    """``out`` of the forward pass ``fn`` on x must be right before a part checks what ``then`` says.

    Otherwise the part fails with ``see <fn>: its out is wrong on this input (...)``: the function to fix
    first, not the one the part is about.
    """
    try:
        _compare_out(t, out, x, ph, pw, s, reduce, mistakes=mistakes)
    except CheckFailure as exc:
        head, _, details = str(exc).partition("\n")
        raise CheckFailure(f"see {fn.split('.')[-1]}: its out is wrong on this input ({head}), so this part "
                           f"cannot check {then}" + (f"\n{details}" if details else "")) from None


def _forward_for_backward(t, fn, x, ph, pw, s, reduce):
    """The cache of the student's forward pass, once its ``out`` is right on x (else: see that function)."""
    out, cache = _call_forward(t, fn, x, ph, pw, s)
    _see_forward(t, fn, out, x, ph, pw, s, reduce, then="the backward pass")
    return cache


def _forward_parts(t, fn, reduce, cases, points=1.0):
    for label, xs, ph, pw, s in cases:
        with t.part(label, points):
            x = t.rng.standard_normal(xs)
            out, _ = _call_forward(t, fn, x, ph, pw, s)
            _compare_out(t, out, x, ph, pw, s, reduce)


def _backward_parts(t, forward, backward, reduce, cases, distinct=False, points=1.0):
    """dx against numerical gradients of the reference pooling, naming the known mistakes of the layer."""
    for label, xs, ph, pw, s in cases:
        with t.part(f"{label}: dx", points):
            # Distinct values at least 0.1 apart: no ties, and h = 1e-6 never crosses a kink.
            x = ref.distinct(t.rng, xs) if distinct else t.rng.standard_normal(xs)
            dout = t.rng.standard_normal(ref.pool(x, ph, pw, s, reduce).shape)
            (dx_num,) = ref.numerical_grads(lambda v: ref.pool(v, ph, pw, s, reduce), [x], dout, [0])
            cache = _forward_for_backward(t, forward, x, ph, pw, s, reduce)
            dx = t.call(backward, dout, cache)
            t.assert_close(dx, dx_num, tol=1e-6, name="dx",
                           mistakes=lambda: getattr(ref, _BACKWARD_MISTAKES[reduce])(x, dout, ph, pw, s),
                           factors=_factors(ph, pw))


def _tie_part(t, forward, backward, points=1.0):
    with t.part("ties: the first maximum in row-major window order gets the gradient", points):
        cache = _forward_for_backward(t, forward, TIE_X, 2, 2, 2, "max")
        dx = t.call(backward, TIE_DOUT, cache)
        t.assert_array(dx, shape=TIE_DX.shape, name="dx")
        try:
            t.assert_close(dx, TIE_DX, tol=1e-12, name="dx",
                           mistakes=lambda: ref.max_pool_backward_mistakes(TIE_X, TIE_DOUT, 2, 2, 2, only_ties=True))
        except KnownMistake:      # a known mistake was named: that says more than the rule
            raise
        except CheckFailure:
            raise CheckFailure(f"with ties dx should be {TIE_DX[0, 0].tolist()} (the FIRST maximum of each "
                               f"window in row-major order gets its gradient), got {dx[0, 0].tolist()}") from None


def _gap_part(t, forward, backward, points=1.0):
    """Stride 3 with 2x2 windows leaves every third row and column in no window."""
    with t.part("2x2 windows, stride 3: inputs no window covers get gradient exactly 0", points):
        label, xs, ph, pw, s = FORWARD_CASES[3]
        x = ref.distinct(t.rng, xs)
        dout = t.rng.standard_normal(ref.pool(x, ph, pw, s, "max").shape)
        cache = _forward_for_backward(t, forward, x, ph, pw, s, "max")
        dx = t.assert_array(t.call(backward, dout, cache), shape=xs, name="dx")
        expected = ref.max_pool_backward(x, dout, ph, pw, s)
        uncovered = np.ones(xs, dtype=bool)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                uncovered[:, :, i * s:i * s + ph, j * s:j * s + pw] = False
        if not np.all(dx[uncovered] == 0):
            raise CheckFailure(f"{int(np.sum(dx[uncovered] != 0))} inputs that no window covers (stride {s} > "
                               f"window {ph}) have a nonzero gradient: dx must start as zeros, not np.empty")
        t.assert_close(dx, expected, tol=1e-12, name="dx",
                       mistakes=lambda: ref.max_pool_backward_mistakes(x, dout, ph, pw, s))


def _upcast_message(out, x):
    """Why float32 average pooling came out float64: a float64 accumulator, or float32 sums upcast at the end."""
    head = f"float32 input gave {out.dtype} output"
    if out.dtype != np.float64:
        return f"{head}, expected float32 (the dtype of x)"
    exact = ref.pool(x.astype(np.float64), 2, 2, 2, "avg")
    err = float(np.max(np.abs(out - exact) / np.maximum(1e-8, np.abs(out) + np.abs(exact))))
    if err <= 1e-12:
        # Window sums rounded to float32 on the way differ from these by ~1e-8: these were summed in float64.
        return (f"{head}: the window sums were accumulated in float64: the accumulator was made with "
                f"np.zeros(shape) (or np.empty(shape)), which is float64 unless given a dtype (or x was converted "
                f"to float64)\nfix: np.zeros(shape, dtype=x.dtype), or start from a copy of the first offset's "
                f"entries")
    if err <= 1e-6:
        return (f"{head}: the window sums were float32 and became float64 at the end: a division by a NumPy "
                f"float64 or int64 number (np.float64(PH * PW), np.prod(...)) or an .astype(np.float64) upcasts"
                f"\nfix: divide by the Python int PH * PW, and keep every array in x.dtype")
    return (f"{head}, and its values are wrong too (see the float64 parts first); a float64 accumulator "
            f"(np.zeros(shape) without dtype=x.dtype) or a NumPy float64 divisor upcasts")


@check("max_pool_forward_naive", points=4)
def max_pool_forward_naive(t):
    """Naive max pooling forward pass, including overlapping and non-square windows."""
    _forward_parts(t, "layers.max_pool_forward_naive", "max", FORWARD_CASES[:4])


@check("max_pool_backward_naive", points=5)
def max_pool_backward_naive(t):
    """Naive max pooling backward pass against numerical gradients, the tie rule, and uncovered inputs."""
    _backward_parts(t, "layers.max_pool_forward_naive", "layers.max_pool_backward_naive", "max",
                    BACKWARD_CASES, distinct=True)
    _tie_part(t, "layers.max_pool_forward_naive", "layers.max_pool_backward_naive")
    _gap_part(t, "layers.max_pool_forward_naive", "layers.max_pool_backward_naive")


@check("max_pool_forward_fast", points=5)
def max_pool_forward_fast(t):
    """Fast max pooling forward pass on every window shape, x left unchanged; float32 stays float32."""
    cases = FORWARD_CASES[:4] + FORWARD_CASES[5:]
    w = _weight(5, len(cases) + 1)
    _forward_parts(t, "layers.max_pool_forward_fast", "max", cases, points=w)
    with t.part("float32 input gives float32 output", w):
        x = t.rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
        out, _ = _call_forward(t, "layers.max_pool_forward_fast", x, 2, 2, 2)
        out = t.assert_array(out, shape=(2, 3, 2, 2), name="out")
        if out.dtype != np.float32:
            raise CheckFailure(f"out has dtype {out.dtype}, expected float32: an array made without "
                               f"dtype=x.dtype (np.zeros(shape), np.full(shape, -np.inf), np.empty(shape)) is "
                               f"float64, and so is a running maximum kept in it"
                               f"\nfix: start from the first offset's entries (a copy), or give dtype=x.dtype")
        t.assert_close(out, ref.pool(x, 2, 2, 2, "max"), tol=0, name="out")


@check("max_pool_backward_fast", points=5)
def max_pool_backward_fast(t):
    """Fast max pooling backward pass against numerical gradients, the tie rule, and uncovered inputs."""
    w = _weight(5, len(FAST_BACKWARD_CASES) + 2)
    _backward_parts(t, "layers.max_pool_forward_fast", "layers.max_pool_backward_fast", "max",
                    FAST_BACKWARD_CASES, distinct=True, points=w)
    _tie_part(t, "layers.max_pool_forward_fast", "layers.max_pool_backward_fast", points=w)
    _gap_part(t, "layers.max_pool_forward_fast", "layers.max_pool_backward_fast", points=w)


@check("avg_pool", points=6)
def avg_pool(t):
    """Average pooling: forward against window means (float32 stays float32), backward against numerical gradients."""
    # Backward: overlapping, gapped, tiling, and overlapping along the width only (each takes its own path).
    backward = [FORWARD_CASES[1], FORWARD_CASES[3], FORWARD_CASES[0], FORWARD_CASES[4]]
    w = _weight(6, 3 + 1 + len(backward))
    _forward_parts(t, "layers.avg_pool_forward", "avg", FORWARD_CASES[:3], points=w)
    with t.part("float32 input gives float32 output", w):
        x = t.rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
        out, _ = _call_forward(t, "layers.avg_pool_forward", x, 2, 2, 2)
        out = t.assert_array(out, shape=(2, 3, 2, 2), name="out")
        if out.dtype != np.float32:
            raise CheckFailure(_upcast_message(out, x))
        _compare_out(t, out, x, 2, 2, 2, "avg", tol=1e-6)
    _backward_parts(t, "layers.avg_pool_forward", "layers.avg_pool_backward", "avg", backward, points=w)


@check("l2_pool", points=5)
def l2_pool(t):
    """L2 pooling: forward against window norms, backward against numerical gradients and at all-zero windows."""
    forward = FORWARD_CASES[:2] + FORWARD_CASES[5:]
    backward = [FORWARD_CASES[1], FORWARD_CASES[2], FORWARD_CASES[3]]
    w = _weight(5, len(forward) + len(backward) + 1)
    _forward_parts(t, "layers.l2_pool_forward", "l2", forward, points=w)
    _backward_parts(t, "layers.l2_pool_forward", "layers.l2_pool_backward", "l2", backward, points=w)
    with t.part("an all-zero window (as after a ReLU) gets gradient 0, not NaN", w):
        # 2x2 windows, stride 2: the top-left window of each channel is all zeros, the others are not.
        x = t.rng.standard_normal((2, 2, 4, 4))
        x[:, :, :2, :2] = 0.0
        dout = t.rng.standard_normal((2, 2, 2, 2))
        cache = _forward_for_backward(t, "layers.l2_pool_forward", x, 2, 2, 2, "l2")
        dx = t.assert_array(t.call("layers.l2_pool_backward", dout, cache), shape=x.shape, name="dx")
        if not np.all(np.isfinite(dx)):
            raise CheckFailure("dx has NaN or inf where a window is all zeros (out == 0): the gradient there is 0 "
                               "by convention (see the Notes of l2_pool_backward); do not divide by out == 0")
        t.assert_close(dx, ref.l2_pool_backward(x, dout, 2, 2, 2), tol=1e-10, atol=0, name="dx",
                       mistakes=lambda: ref.l2_pool_backward_mistakes(x, dout, 2, 2, 2))


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
            out, _ = _call_forward(t, fn, x, ph, pw, s)
            _see_forward(t, fn, out, x, ph, pw, s, reduce, mistakes=True,
                         then="the error for a size that does not fit")
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
            cache = _forward_for_backward(t, f"layers.max_pool_forward_{kind}", x, ph, pw, s, "max")
            dx = t.call(f"layers.max_pool_backward_{kind}", dout, cache)
            t.assert_close(dx, ref.max_pool_backward(x, dout, ph, pw, s), tol=1e-12, name="dx",
                           mistakes=lambda: ref.max_pool_backward_mistakes(x, dout, ph, pw, s))
### END HIDDEN TESTS


# Fractional max pooling (cs231n_cnn/layers/fractional_pool.py): (label, x shape, rows, cols). The regions are
# given, so the check is deterministic; the second case is Graham's pseudo-random sequence for 10 -> 7, u = 0.5.
FRACTIONAL_CASES = [
    ("7x9 -> 4x6, regions 1 or 2 rows high and 1 or 2 columns wide", (2, 3, 7, 9), (0, 2, 3, 5, 7),
     (0, 1, 3, 5, 6, 8, 9)),
    ("10x10 -> 7x7, the pseudo-random sequence of u = 0.5", (1, 2, 10, 10), (0, 2, 3, 4, 6, 7, 9, 10),
     (0, 2, 3, 4, 6, 7, 9, 10)),
    ("4x6 -> 2x3, steps of 2 only (2x2 max pooling)", (1, 2, 4, 6), (0, 2, 4), (0, 2, 4, 6)),
]

# The tie rule worked by hand. rows (0, 2), cols (0, 2, 3): region 0 is x[0:2, 0:2], all 1s, so its first entry
# (0, 0) gets dout = 10; region 1 is x[0:2, 2:3], one column wide, with 4 twice: its first, (0, 2), gets 20.
FRACTIONAL_TIE_X = np.array([[[[1.0, 1.0, 4.0],
                               [1.0, 1.0, 4.0]]]])
FRACTIONAL_TIE_DOUT = np.array([[[[10.0, 20.0]]]])
FRACTIONAL_TIE_DX = np.array([[[[10.0, 0.0, 20.0],
                                [0.0, 0.0, 0.0]]]])


def _fractional_forward(t, x, rows, cols, *, then=None):
    """The student's (out, cache) on x; with ``then``, out must be right first (else: see the forward pass)."""
    fn = "layers.fractional_max_pool_forward"
    out, cache = h.unpack(t.call(fn, x, {"rows": list(rows), "cols": list(cols)}, check_unmodified=True),
                          "out, cache", fn)
    if then is not None:
        try:
            t.assert_close(out, ref.fractional_max_pool(x, rows, cols), tol=1e-12, name="out")
        except CheckFailure as exc:
            head, _, details = str(exc).partition("\n")
            raise CheckFailure(f"see fractional_max_pool_forward: its out is wrong on this input ({head}), so "
                               f"this part cannot check {then}" + (f"\n{details}" if details else "")) from None
    return out, cache


@check("fractional_max_pool", points=5)
def fractional_max_pool(t):
    """Fractional max pooling: forward against each region's maximum, backward against numerical gradients,
    and the tie rule."""
    w = _weight(5, 2 * len(FRACTIONAL_CASES) + 1)
    for label, xs, rows, cols in FRACTIONAL_CASES:
        with t.part(label, w):
            x = t.rng.standard_normal(xs)
            out, _ = _fractional_forward(t, x, rows, cols)
            t.assert_close(out, ref.fractional_max_pool(x, rows, cols), tol=1e-12, name="out",
                           mistakes=lambda: ref.fractional_max_pool_forward_mistakes(x, rows, cols))
    for label, xs, rows, cols in FRACTIONAL_CASES:
        with t.part(f"{label}: dx", w):
            x = ref.distinct(t.rng, xs)
            dout = t.rng.standard_normal((*xs[:2], len(rows) - 1, len(cols) - 1))
            (dx_num,) = ref.numerical_grads(lambda v: ref.fractional_max_pool(v, rows, cols), [x], dout, [0])
            _, cache = _fractional_forward(t, x, rows, cols, then="the backward pass")
            dx = t.call("layers.fractional_max_pool_backward", dout, cache)
            t.assert_close(dx, dx_num, tol=1e-6, name="dx",
                           mistakes=lambda: ref.fractional_max_pool_backward_mistakes(x, dout, rows, cols))
    with t.part("ties: the first maximum of a region in row-major order gets the gradient", w):
        rows, cols = (0, 2), (0, 2, 3)
        _, cache = _fractional_forward(t, FRACTIONAL_TIE_X, rows, cols, then="the tie rule")
        dx = t.assert_array(t.call("layers.fractional_max_pool_backward", FRACTIONAL_TIE_DOUT, cache),
                            shape=FRACTIONAL_TIE_DX.shape, name="dx")
        t.assert_close(dx, FRACTIONAL_TIE_DX, tol=1e-12, name="dx",
                       mistakes=lambda: ref.fractional_max_pool_backward_mistakes(
                           FRACTIONAL_TIE_X, FRACTIONAL_TIE_DOUT, rows, cols))
