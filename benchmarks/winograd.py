"""Winograd F(2x2, 3x3) in NumPy against the im2col convolution: a measured negative result (issue 13).

A 3x3 stride-1 convolution can be computed with 2.25x fewer multiplications
(Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
every 4x4 input tile d and 3x3 filter g give a 2x2 output tile

    Y = A^T [ (G g G^T) * (B^T d B) ] A        (* elementwise)

and over all tiles, channels and filters the elementwise products become 16
matrix products (F, C) @ (C, tiles), one per position of the 4x4 tile. The
products are indeed 2.4x faster than im2col's single (F, 9C) @ (9C, N*H*W)
product on this machine; this script measures whether the input and output
transforms, written as NumPy array expressions, leave any of that gain.
They do not: the transforms are many passes over strided views of short
rows, and the whole is slower than im2col + GEMM (table in
benchmarks/results/winograd.md). So the library does not use it.

Usage:
    python benchmarks/winograd.py [--rounds R] [--out FILE]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

from cs231n_cnn.fileio import atomic_write_text  # noqa: E402
from cs231n_cnn.layers.channel_major import conv_forward_cm  # noqa: E402
from cs231n_cnn.timing import Timing  # noqa: E402

# G (4x3) maps a 3x3 filter to 4x4; B^T (4x4) and A^T (2x4) transform input and output tiles.
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])

LAYERS = [  # (N, C, H, F): the 3x3 layers of bench-nets' nets B and C that are not first layers
    (50, 32, 32, 32),
    (50, 32, 16, 32),
    (64, 64, 32, 64),
    (64, 64, 16, 128),
    (64, 128, 16, 128),
]


def winograd_forward(x, w, b, pad):
    """3x3 stride-1 convolution of a channel-major x (C, N, H, W); returns (out (F, N, H_out, W_out), gemm seconds)."""
    C, N, H, W = x.shape
    F = w.shape[0]
    H_out, W_out = H + 2 * pad - 2, W + 2 * pad - 2
    TH, TW = (H_out + 1) // 2, (W_out + 1) // 2          # 2x2 output tiles
    xp = np.zeros((C, N, 2 * TH + 2, 2 * TW + 2), x.dtype)
    xp[:, :, pad:pad + H, pad:pad + W] = x
    U = np.einsum("ai,fcij,bj->abfc", G, w, G).astype(x.dtype)       # (4, 4, F, C)
    # V = B^T d B for every tile: first along rows (tile row k = rows 2*ty + k), then along columns.
    rows = [xp[:, :, k:k + 2 * TH:2] for k in range(4)]
    t = [rows[0] - rows[2], rows[1] + rows[2], rows[2] - rows[1], rows[1] - rows[3]]
    V = np.empty((4, 4, C, N, TH, TW), x.dtype)
    for i in range(4):
        c = [t[i][..., k:k + 2 * TW:2] for k in range(4)]
        np.subtract(c[0], c[2], out=V[i, 0])
        np.add(c[1], c[2], out=V[i, 1])
        np.subtract(c[2], c[1], out=V[i, 2])
        np.subtract(c[1], c[3], out=V[i, 3])
    start = time.perf_counter()
    M = np.matmul(U.reshape(16, F, C), V.reshape(16, C, N * TH * TW)).reshape(4, 4, F, N, TH, TW)
    gemm = time.perf_counter() - start
    # Y = A^T M A: rows then columns.
    s = [M[0] + M[1] + M[2], M[1] - M[2] - M[3]]
    out = np.empty((F, N, TH, 2, TW, 2), x.dtype)
    for i in range(2):
        out[:, :, :, i, :, 0] = s[i][0] + s[i][1] + s[i][2]
        out[:, :, :, i, :, 1] = s[i][1] - s[i][2] - s[i][3]
    out = out.reshape(F, N, 2 * TH, 2 * TW)[:, :, :H_out, :W_out]
    return np.ascontiguousarray(out) + b.reshape(F, 1, 1, 1), gemm


def im2col_gemm_seconds(x, w):
    """Seconds of the single (F, 9C) @ (9C, N*H*W) product conv_forward_cm makes, on random columns."""
    C, N, H, W = x.shape
    cols = np.random.default_rng(0).standard_normal((9 * C, N * H * W)).astype(x.dtype)
    start = time.perf_counter()
    w.reshape(w.shape[0], -1) @ cols
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "winograd.md")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    lines = [
        "# Winograd F(2x2, 3x3) in NumPy vs im2col + GEMM (benchmarks/winograd.py)",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, NumPy {np.__version__}; "
        f"float32 forward pass, channel-major, stride 1, pad 1; {args.rounds} interleaved rounds, ms as min / median.",
        "",
        "| layer | batch | im2col + GEMM (conv_forward_cm) | its GEMM alone | Winograd | Winograd's 16 GEMMs "
        "| Winograd / im2col | max rel. difference |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for N, C, H, F in LAYERS:
        x = rng.standard_normal((C, N, H, H)).astype(np.float32)
        w = (rng.standard_normal((F, C, 3, 3)) / np.sqrt(9 * C)).astype(np.float32)
        b = np.zeros(F, np.float32)
        ref, _ = conv_forward_cm(x, w, b, {"stride": 1, "pad": 1})
        out, _ = winograd_forward(x, w, b, 1)
        diff = float(np.max(np.abs(out - ref)) / np.max(np.abs(ref)))
        assert diff < 1e-4, diff   # float32 rounding, not a different convolution
        times = {"im2col": [], "gemm": [], "wino": [], "wino_gemm": []}
        for _ in range(args.rounds):
            start = time.perf_counter()
            conv_forward_cm(x, w, b, {"stride": 1, "pad": 1})
            times["im2col"].append(time.perf_counter() - start)
            times["gemm"].append(im2col_gemm_seconds(x, w))
            start = time.perf_counter()
            _, gemm = winograd_forward(x, w, b, 1)
            times["wino"].append(time.perf_counter() - start)
            times["wino_gemm"].append(gemm)
        t = {k: Timing.of(v) for k, v in times.items()}
        ms = {k: f"{v.min * 1e3:.1f} / {v.median * 1e3:.1f}" for k, v in t.items()}
        lines.append(f"| `INPUT[{H}x{H}x{C}] -> CONV3-{F}` | {N} | {ms['im2col']} | {ms['gemm']} | {ms['wino']} "
                     f"| {ms['wino_gemm']} | {t['wino'].min / t['im2col'].min:.2f}x | {diff:.1e} |")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    atomic_write_text(args.out, text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
