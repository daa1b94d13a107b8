"""checks/pool.py (max, average, L2 and fractional max pooling): its checks fail on plausible wrong code, planted bugs, unwritten functions.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

import numpy as np
from check_cases import REAL, check_tests, planted

import cs231n_cnn.layers as L
import cs231n_cnn.layers.pool as pool

# ------------------------------------------------------------------ wrong implementations

def _windows(x, ph, pw, s):
    N, C, H, W = x.shape
    H_out, W_out = (H - ph) // s + 1, (W - pw) // s + 1
    for i in range(H_out):
        for j in range(W_out):
            yield i, j, (slice(None), slice(None), slice(i * s, i * s + ph), slice(j * s, j * s + pw))


def max_pool_forward_tiles(x, pp):
    """Windows start at i*PH instead of i*S: right only when windows tile the input."""
    ph, pw = pp["pool_height"], pp["pool_width"]
    out = REAL["max_pool_forward_naive"](x, pp)[0].copy()      # the right shape
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            win = x[:, :, i * ph:i * ph + ph, j * pw:j * pw + pw]
            out[:, :, i, j] = win.max(axis=(2, 3)) if win.size else 0.0
    return out, (x, out, pp)


def max_pool_backward_last_max(dout, cache):
    """Ties: the LAST maximum of each window gets the gradient."""
    x, _, pp = cache
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i, j, win in _windows(x, ph, pw, s):
                w = x[n, c][win[2:]]
                k = w.size - 1 - int(np.argmax(w.ravel()[::-1]))
                a, b = divmod(k, pw)
                dx[n, c, i * s + a, j * s + b] += dout[n, c, i, j]
    return dx


def max_pool_backward_every_max(dout, cache):
    """Ties: EVERY maximal entry gets the window's gradient (the mask x == max)."""
    x, out, pp = cache
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    for i, j, win in _windows(x, ph, pw, s):
        dx[win] += (x[win] == out[:, :, i:i + 1, j:j + 1]) * dout[:, :, i:i + 1, j:j + 1]
    return dx


def max_pool_forward_upcast(x, pp):
    """float32 silently becomes float64."""
    return REAL["max_pool_forward_fast"](x.astype(np.float64), pp)


def max_pool_forward_no_validation(x, pp):
    """Floors the output size instead of rejecting a window that does not fit."""
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    H_out, W_out = (x.shape[2] - ph) // s + 1, (x.shape[3] - pw) // s + 1
    out = np.array([[[[x[n, c, i * s:i * s + ph, j * s:j * s + pw].max() for j in range(W_out)]
                      for i in range(H_out)] for c in range(x.shape[1])] for n in range(x.shape[0])])
    return out, (x, out, pp)


def avg_pool_backward_no_accumulate(dout, cache):
    """Overlapping windows overwrite (=) instead of adding (+=) their shares."""
    x, pp = cache
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    for i, j, win in _windows(x, ph, pw, s):
        dx[win] = dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
    return dx


def l2_pool_backward_half(dout, cache):
    """d sqrt(s)/ds = 1/(2 sqrt(s)) applied, but the 2x from d(x**2)/dx forgotten."""
    return REAL["l2_pool_backward"](dout / 2, cache)


def fractional_max_pool_forward_first_entry(x, pool_param):
    """Each region's first entry x[rows[i], cols[j]], not its maximum."""
    rows, cols = np.asarray(pool_param["rows"]), np.asarray(pool_param["cols"])
    return x[:, :, rows[:-1, None], cols[:-1]].copy(), (x, pool_param)


# ------------------------------------------------------------------ planted bugs

def l2_pool_backward_divides_by_zero(dout, cache):
    """dout * x / out with a plain division: 0/0 = NaN for an all-zero window."""
    x, out, pp = cache
    ph, pw, s = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                win = (slice(None), slice(None), slice(i * s, i * s + ph), slice(j * s, j * s + pw))
                dx[win] += x[win] * (dout[:, :, i:i + 1, j:j + 1] / out[:, :, i:i + 1, j:j + 1])
    return dx


def avg_pool_forward_float64(x, pool_param):
    """Window means with np.mean over a float64 accumulator: float32 in, float64 out."""
    out, cache = L.max_pool_forward_naive(x.astype(np.float64), pool_param)   # the right shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.mean(x[:, :, i * s:i * s + ph, j * s:j * s + pw], axis=(2, 3), dtype=np.float64)
    return out, (x, pool_param)


WRONG = [
    ("max_pool_forward_naive", [(L, "max_pool_forward_naive", max_pool_forward_tiles)], "stride taken as PH"),
    ("max_pool_backward_naive", [(L, "max_pool_backward_naive", max_pool_backward_last_max)], "last max wins ties"),
    ("max_pool_forward_fast", [(L, "max_pool_forward_fast", max_pool_forward_upcast)], "float32 upcast"),
    ("max_pool_backward_fast", [(L, "max_pool_backward_fast", max_pool_backward_every_max)], "every max wins"),
    ("max_pool_hidden_ties", [(L, "max_pool_backward_fast", max_pool_backward_every_max)], "every max wins"),
    ("avg_pool", [(L, "avg_pool_backward", avg_pool_backward_no_accumulate)], "overlaps not accumulated"),
    ("l2_pool", [(L, "l2_pool_backward", l2_pool_backward_half)], "missing factor 2"),
    ("pool_output_size_error", [(L, "max_pool_forward_naive", max_pool_forward_no_validation)], "floors"),
    ("fractional_max_pool", [(L, "fractional_max_pool_forward", fractional_max_pool_forward_first_entry)],
     "first entry for the maximum"),
]

PLANTED = [
    ("l2-pool-0/0", "l2_pool", "an all-zero window (as after a ReLU) gets gradient 0, not NaN",
     [(L, "l2_pool_backward", l2_pool_backward_divides_by_zero)], "dx has NaN or inf where a window is all zeros"),
    ("avg-pool-float64", "avg_pool", "float32 input gives float32 output",
     [(L, "avg_pool_forward", avg_pool_forward_float64)], "float32 input gave float64 output"),
    # Uninitialized memory is whatever np.empty finds; 1e300 stands in for it, so the test is deterministic.
    ("max-pool-uncovered", "max_pool_backward_fast",
     "2x2 windows, stride 3: inputs no window covers get gradient exactly 0",
     [(L, "max_pool_backward_fast", planted(pool, "max_pool_backward_fast",
                                            "np.empty_like(x) if tiles else np.zeros_like(x)",
                                            "np.full_like(x, 1e300) if not overlap else np.zeros_like(x)"))],
     "inputs that no window covers (stride 3 > window 2) have a nonzero gradient"),
]

STUBS = [
    ("max_pool_forward_naive", (L, "max_pool_forward_naive")),
]


globals().update(check_tests("pool", wrong=WRONG, planted=PLANTED, stubs=STUBS))
