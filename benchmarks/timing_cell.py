"""Naive vs fast conv and max pool on the course's timing cell.

Shapes (from the course's "Fast layers" cell): x (100, 3, 31, 31),
w (25, 3, 3, 3), stride 2, pad 1; max pooling x (100, 3, 32, 32) with 2x2
windows at stride 2. Naive and fast run side by side in one process; the
naive loops are slow, so they run fewer repeats.

Usage: python benchmarks/timing_cell.py [--repeats R] [--dtype float64|float32]
"""

from __future__ import annotations

import argparse

import numpy as np

from cs231n_cnn import layers
from cs231n_cnn.timing import time_it


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="repeats of the fast layers (naive: 3)")
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = ap.parse_args(argv)
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)

    x = rng.standard_normal((100, 3, 31, 31)).astype(dtype)
    w = rng.standard_normal((25, 3, 3, 3)).astype(dtype)
    b = rng.standard_normal(25).astype(dtype)
    cp = {"stride": 2, "pad": 1}
    xp = rng.standard_normal((100, 3, 32, 32)).astype(dtype)
    pp = {"pool_height": 2, "pool_width": 2, "stride": 2}

    out, cache_n = layers.conv_forward_naive(x, w, b, cp)
    _, cache_f = layers.conv_forward_fast(x, w, b, cp)
    dout = rng.standard_normal(out.shape).astype(dtype)
    pout, pcache_n = layers.max_pool_forward_naive(xp, pp)
    _, pcache_f = layers.max_pool_forward_fast(xp, pp)
    pdout = rng.standard_normal(pout.shape).astype(dtype)

    rows = [
        ("conv forward", lambda: layers.conv_forward_naive(x, w, b, cp),
         lambda: layers.conv_forward_fast(x, w, b, cp)),
        ("conv backward", lambda: layers.conv_backward_naive(dout, cache_n),
         lambda: layers.conv_backward_fast(dout, cache_f)),
        ("max pool forward", lambda: layers.max_pool_forward_naive(xp, pp),
         lambda: layers.max_pool_forward_fast(xp, pp)),
        ("max pool backward", lambda: layers.max_pool_backward_naive(pdout, pcache_n),
         lambda: layers.max_pool_backward_fast(pdout, pcache_f)),
    ]
    print(f"Course timing cell, {dtype}: conv x (100,3,31,31) w (25,3,3,3) S=2 P=1; max pool x (100,3,32,32) 2x2 S=2")
    print("| layer | naive min / median (s) | fast min / median (ms) | speed-up (min / median) |")
    print("|---|---|---|---|")
    for name, naive, fast in rows:
        n_min, n_med = time_it(naive, 3)
        f_min, f_med = time_it(fast, args.repeats, warmup=1)
        print(f"| {name} | {n_min:.3f} / {n_med:.3f} | {f_min * 1e3:.2f} / {f_med * 1e3:.2f} | "
              f"{n_min / f_min:,.0f}x / {n_med / f_med:,.0f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
