"""Benchmark suite: our im2col layers vs the naive loops, the classic fancy-index im2col, and PyTorch.

Each implementation ("library") runs in its own worker process, so that
importing PyTorch (and its thread pool) cannot slow NumPy down or the other
way round. The coordinator runs interleaved rounds: in each round every
library times every task once (``--repeats`` calls), so slow drifts of a noisy
machine hit all libraries alike. Reported: min and median over rounds.

Libraries
---------
ours      cs231n_cnn's fast layers and models
baseline  im2col by fancy indexing, col2im by ``np.add.at`` (benchmarks/baseline_im2col.py)
naive     the explicit loops, only on the course's timing cell (they are slow)
torch     torch.nn.functional on the CPU with the same number of threads as NumPy's BLAS, if installed

Also measured (in the ``ours`` worker): the machine's GEMM throughput per
dtype, so each conv row shows the share of its time a GEMM-bound
implementation would need; BLAS library and threads (threadpoolctl); and the
memory of a conv forward+backward (tracemalloc, from an empty workspace
pool): its peak, and the extra memory beyond the returned arrays (the
columns matrix plus scratch) against the size of the columns matrix.

Usage:
    python benchmarks/suite.py [--quick] [--tiny] [--rounds R] [--no-torch] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # the checkout's package, also when it is not installed

from cs231n_cnn.fileio import atomic_write_text  # noqa: E402 (after the path is set)
from cs231n_cnn.timing import Timing, repeat_times, time_it  # noqa: E402

CONV_SHAPES = {
    # name: (x shape, w shape, stride, pad)
    "timing-cell": ((100, 3, 31, 31), (25, 3, 3, 3), 2, 1),
    "cifar-3x3": ((50, 3, 32, 32), (25, 3, 3, 3), 1, 1),
    "threelayer-7x7": ((50, 3, 32, 32), (32, 3, 7, 7), 1, 3),
    "vgg-3x3": ((16, 64, 32, 32), (64, 64, 3, 3), 1, 1),
}
POOL_SHAPES = {
    # name: (x shape, mode, F, S)
    "max-2x2-s2": ((50, 32, 32, 32), "max", 2, 2),
    "max-3x3-s2": ((50, 32, 31, 31), "max", 3, 2),
    "avg-2x2-s2": ((50, 32, 32, 32), "avg", 2, 2),
}
NETS = {
    # name: (spec, batch)
    "ThreeLayerConvNet": ("INPUT[32x32x3] -> CONV7-32 -> RELU -> POOL2 -> FC-100 -> RELU -> FC", 50),
    "VGG-style": ("INPUT[32x32x3] -> [CONV3-32 -> RELU]*2 -> POOL2 -> [CONV3-64 -> RELU]*2 -> POOL2 "
                  "-> FC-256 -> RELU -> FC", 32),
}
TINY = {
    "conv": {"tiny": ((2, 3, 8, 8), (4, 3, 3, 3), 1, 1)},
    "pool": {"tiny-max": ((2, 4, 8, 8), "max", 2, 2)},
    "net": {"tiny-net": ("INPUT[8x8x3] -> CONV3-4 -> RELU -> POOL2 -> FC", 4)},
}
DTYPES = ("float32", "float64")


def tasks(tiny: bool, dtypes=DTYPES):
    """All task ids: kind:name:dtype:op."""
    conv = TINY["conv"] if tiny else CONV_SHAPES
    pool = TINY["pool"] if tiny else POOL_SHAPES
    nets = TINY["net"] if tiny else NETS
    out = []
    for dt in dtypes:
        out += [f"conv:{n}:{dt}:{op}" for n in conv for op in ("fwd", "bwd", "fwdbwd")]
        out += [f"cols:{n}:{dt}:{op}" for n in conv for op in ("im2col", "col2im")]
        out += [f"pool:{n}:{dt}:fwdbwd" for n in pool]
        out += [f"net:{n}:{dt}:step" for n in nets]
    return out


def conv_flops(x_shape, w_shape, stride, pad, op):
    N, C, H, W = x_shape
    F, _, HH, WW = w_shape
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    one = 2 * N * F * Ho * Wo * C * HH * WW  # one GEMM-sized product
    return {"fwd": one, "bwd": 2 * one, "fwdbwd": 3 * one}[op]


# ============================================================== worker side

class Worker:
    """Builds inputs for a task once and times calls of one library."""

    def __init__(self, lib: str, tiny: bool):
        self.lib = lib
        self.tiny = tiny
        self.cache = {}
        import numpy as np
        self.np = np
        if lib == "torch":
            import torch
            from threadpoolctl import threadpool_info
            blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
            torch.set_num_threads(blas[0]["num_threads"] if blas else os.cpu_count())
            self.torch = torch

    def _shapes(self, kind, name):
        kind = "conv" if kind == "cols" else kind
        table = {"conv": CONV_SHAPES, "pool": POOL_SHAPES, "net": NETS}[kind]
        return (TINY[kind] if self.tiny else table)[name]

    def prepare(self, task):
        if task in self.cache:
            return self.cache[task]
        kind, name, dt, op = task.split(":")
        np = self.np
        rng = np.random.default_rng(0)
        if kind == "conv":
            xs, ws, s, p = self._shapes(kind, name)
            arrays = [rng.standard_normal(xs).astype(dt), rng.standard_normal(ws).astype(dt),
                      rng.standard_normal(ws[0]).astype(dt)]
            fn = getattr(self, f"_conv_{self.lib}")(arrays, s, p, op)
        elif kind == "cols":
            xs, ws, s, p = self._shapes(kind, name)
            fn = getattr(self, f"_cols_{self.lib}")(rng.standard_normal(xs).astype(dt), ws[2], s, p, op)
        elif kind == "pool":
            xs, mode, f, s = self._shapes(kind, name)
            fn = getattr(self, f"_pool_{self.lib}")(rng.standard_normal(xs).astype(dt), mode, f, s)
        else:
            spec, batch = self._shapes(kind, name)
            fn = getattr(self, f"_net_{self.lib}")(spec, batch, dt, rng)
        self.cache[task] = fn
        return fn

    # ---- ours
    def _conv_ours(self, arrays, s, p, op):
        from cs231n_cnn.layers import conv_backward_fast, conv_forward_fast
        return self._conv_numpy(conv_forward_fast, conv_backward_fast, arrays, s, p, op)

    def _conv_baseline(self, arrays, s, p, op):
        import baseline_im2col as B
        return self._conv_numpy(B.conv_forward, B.conv_backward, arrays, s, p, op)

    def _conv_naive(self, arrays, s, p, op):
        from cs231n_cnn.layers import conv_backward_naive, conv_forward_naive
        return self._conv_numpy(conv_forward_naive, conv_backward_naive, arrays, s, p, op)

    def _cols_ours(self, x, k, s, p, op):
        from cs231n_cnn.im2col import col2im, im2col
        return self._cols_numpy(im2col, col2im, x, k, s, p, op)

    def _cols_baseline(self, x, k, s, p, op):
        import baseline_im2col as B
        return self._cols_numpy(B.im2col_indices, B.col2im_indices, x, k, s, p, op)

    @staticmethod
    def _cols_numpy(to_cols, from_cols, x, k, s, p, op):
        if op == "im2col":
            return lambda: to_cols(x, k, k, s, p)
        cols = to_cols(x, k, k, s, p).copy()
        return lambda: from_cols(cols, x.shape, k, k, s, p)

    def _conv_numpy(self, forward, backward, arrays, s, p, op):
        x, w, b = arrays
        cp = {"stride": s, "pad": p}
        out, cache = forward(x, w, b, cp)
        dout = self.np.ones_like(out)
        if op == "fwd":
            return lambda: forward(x, w, b, cp)
        if op == "bwd":
            return lambda: backward(dout, cache)
        return lambda: backward(dout, forward(x, w, b, cp)[1])

    def _conv_torch(self, arrays, s, p, op):
        torch = self.torch
        x, w, b = (torch.from_numpy(a).requires_grad_(True) for a in arrays)
        conv = torch.nn.functional.conv2d
        out = conv(x, w, b, stride=s, padding=p)
        dout = torch.ones_like(out)
        if op == "fwd":
            return lambda: conv(x, w, b, stride=s, padding=p)
        if op == "bwd":
            return lambda: torch.autograd.grad(out, (x, w, b), dout, retain_graph=True)
        return lambda: torch.autograd.grad(conv(x, w, b, stride=s, padding=p), (x, w, b), dout)

    def _pool_ours(self, x, mode, f, s):
        from cs231n_cnn import layers as L
        fwd, bwd = {"max": (L.max_pool_forward_fast, L.max_pool_backward_fast),
                    "avg": (L.avg_pool_forward, L.avg_pool_backward)}[mode]
        pp = {"pool_height": f, "pool_width": f, "stride": s}
        out, _ = fwd(x, pp)
        dout = self.np.ones_like(out)
        return lambda: bwd(dout, fwd(x, pp)[1])

    def _pool_torch(self, x, mode, f, s):
        torch = self.torch
        xt = torch.from_numpy(x).requires_grad_(True)
        pool = torch.nn.functional.max_pool2d if mode == "max" else torch.nn.functional.avg_pool2d
        dout = torch.ones_like(pool(xt, f, s))
        return lambda: torch.autograd.grad(pool(xt, f, s), (xt,), dout)

    def _net_ours(self, spec, batch, dt, rng):
        from cs231n_cnn.models import ConvNet
        from cs231n_cnn.optim import adam
        model = ConvNet(spec, dtype=dt, seed=0)
        H, W, D = model.architecture.input_shape
        X = rng.standard_normal((batch, D, H, W)).astype(dt)
        y = rng.integers(10, size=batch)
        configs = {k: {"learning_rate": 1e-3} for k in model.params}

        def step():
            _, grads = model.loss(X, y)
            for k in model.params:
                model.params[k], configs[k] = adam(model.params[k], grads[k], configs[k])
        return step

    def _net_torch(self, spec, batch, dt, rng):
        # The same torch.nn net that bench-nets times (benchmarks/train_nets.py), built in one place.
        from train_nets import torch_step
        return torch_step(spec, batch, dt, seed=int(rng.integers(2**31)))

    # ---- protocol
    def time(self, task, repeats):
        try:
            fn = self.prepare(task)
        except AttributeError:
            return {"skip": f"{self.lib} has no implementation"}
        # warm-up: first-touch page faults and lazy initialisation are not what we measure
        return {"times": repeat_times(fn, repeats, warmup=1)}

    def info(self):
        np = self.np
        result = {"numpy": np.__version__}
        if self.lib == "torch":
            result["torch"] = self.torch.__version__
            result["torch_threads"] = self.torch.get_num_threads()
            return result
        try:
            from threadpoolctl import threadpool_info
            result["blas"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                              for p in threadpool_info() if p["user_api"] == "blas"]
        except ImportError:
            result["blas"] = "threadpoolctl not installed"
        n = 256 if self.tiny else 2048
        for dt in DTYPES:
            a = np.random.default_rng(0).standard_normal((n, n)).astype(dt)
            best = time_it(lambda: a @ a, 3, warmup=1).min
            result[f"gemm_gflops_{dt}"] = 2 * n ** 3 / best / 1e9
        return result

    def memory(self, name, dt):
        """Memory of one conv forward+backward, against the columns matrix.

        Measured with tracemalloc from an empty workspace pool, so the columns
        matrix and every scratch buffer are counted (pooled buffers stay
        allocated afterwards, as they do during training). ``peak`` is
        everything allocated at the worst moment; ``extra`` subtracts the
        arrays handed back to the caller (out, dx, dw, db), which any
        implementation must produce: what is left is the columns matrix and
        the scratch the implementation chose to use.
        """
        import tracemalloc
        np = self.np
        xs, ws, s, p = (TINY["conv"] if self.tiny else CONV_SHAPES)[name]
        rng = np.random.default_rng(0)
        x, w, b = (rng.standard_normal(xs).astype(dt), rng.standard_normal(ws).astype(dt),
                   rng.standard_normal(ws[0]).astype(dt))
        if self.lib == "ours":
            from cs231n_cnn import workspace
            from cs231n_cnn.layers import conv_backward_fast as bwd
            from cs231n_cnn.layers import conv_forward_fast as fwd
            workspace.clear()
        else:
            import baseline_im2col as B
            fwd, bwd = B.conv_forward, B.conv_backward
        cp = {"stride": s, "pad": p}
        out, _ = fwd(x, w, b, cp)  # imports and first-call set-up are not what we measure
        dout = np.ones_like(out)
        del out, _
        if self.lib == "ours":
            workspace.clear()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        out, cache = fwd(x, w, b, cp)
        grads = bwd(dout, cache)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        results = sum(_buffer_bytes(a) for a in (out, *grads))
        N, C, H, W = xs
        F, _, HH, WW = ws
        Ho, Wo = (H + 2 * p - HH) // s + 1, (W + 2 * p - WW) // s + 1
        return {"peak": peak, "extra": peak - results,
                "cols": C * HH * WW * N * Ho * Wo * np.dtype(dt).itemsize}


def _buffer_bytes(a):
    """Bytes of the memory block behind ``a`` (a view keeps its whole base alive)."""
    while getattr(a, "base", None) is not None:
        a = a.base
    return a.nbytes


def worker_main(lib, tiny):
    try:
        worker = Worker(lib, tiny)
    except ImportError as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 0
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "time":
            reply = worker.time(req["task"], req["repeats"])
        elif req["op"] == "info":
            reply = worker.info()
        elif req["op"] == "memory":
            reply = worker.memory(req["name"], req["dtype"])
        else:
            break
        print(json.dumps(reply), flush=True)
    return 0


# ========================================================= coordinator side

class Client:
    def __init__(self, lib, tiny):
        self.lib = lib
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", lib] + (["--tiny"] if tiny else [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        first = json.loads(self.proc.stdout.readline() or '{"error": "worker died"}')
        self.error = first.get("error")

    def ask(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.lib} worker died")
        return json.loads(line)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def fmt_ms(seconds):
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:,.0f}"


def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def run(args):
    libs = ["ours", "baseline"] + ([] if args.no_torch else ["torch"])
    clients = {}
    notes = []
    for lib in libs:
        c = Client(lib, args.tiny)
        if c.error:
            notes.append(f"{lib}: not run ({c.error})")
            c.close()
        else:
            clients[lib] = c
    all_tasks = tasks(args.tiny)
    results = {lib: {t: [] for t in all_tasks} for lib in clients}
    skipped = {lib: set() for lib in clients}
    repeats = 1 if args.quick else args.repeats
    rounds = 2 if args.quick else args.rounds
    for r in range(rounds):
        for task in all_tasks:
            for lib, c in clients.items():  # interleaved: each library in turn, task by task
                if task in skipped[lib]:
                    continue
                reply = c.ask(op="time", task=task, repeats=repeats)
                if "skip" in reply:
                    skipped[lib].add(task)
                else:
                    results[lib][task].extend(reply["times"])
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)

    # Naive loops: once, on the timing cell only (they take seconds per call).
    naive = {}
    cell = "tiny" if args.tiny else "timing-cell"
    nc = Client("naive", args.tiny)
    for dt in DTYPES:
        for op in ("fwd", "bwd", "fwdbwd"):
            naive[f"conv:{cell}:{dt}:{op}"] = nc.ask(op="time", task=f"conv:{cell}:{dt}:{op}", repeats=1)["times"]
    nc.close()

    info = clients["ours"].ask(op="info")
    torch_info = clients["torch"].ask(op="info") if "torch" in clients else None
    memory = {(lib, n, dt): clients[lib].ask(op="memory", name=n, dtype=dt)
              for lib in ("ours", "baseline") for n in (TINY["conv"] if args.tiny else CONV_SHAPES) for dt in DTYPES}
    for c in clients.values():
        c.close()
    return render(args, results, naive, info, torch_info, memory, notes, rounds, repeats)


def render(args, results, naive, info, torch_info, memory, notes, rounds, repeats):
    def stat(lib, task):
        ts = naive.get(task) if lib == "naive" else results.get(lib, {}).get(task)
        return Timing.of(ts) if ts else None

    def cell(s):
        return "—" if s is None else f"{fmt_ms(s[0])} / {fmt_ms(s[1])}"

    def ratio(a, b):
        return "—" if a is None or b is None else f"{a[0] / b[0]:.2f}x"

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    blas = info.get("blas")
    lines = [f"# cs231n_cnn benchmark ({stamp}){' — quick' if args.quick else ''}", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"NumPy {info['numpy']}, BLAS {json.dumps(blas)}.",
             f"GEMM throughput: float32 {info['gemm_gflops_float32']:.1f} GFLOP/s, "
             f"float64 {info['gemm_gflops_float64']:.1f} GFLOP/s.",
             (f"PyTorch {torch_info['torch']} on the CPU with {torch_info['torch_threads']} threads."
              if torch_info else "PyTorch: not installed, not compared (`pip install torch` into .venv)."),
             f"Times in ms, min / median over {rounds} interleaved rounds of {repeats} call(s); "
             f"ratios use the minimum. %GEMM: the time a GEMM at the measured throughput would need "
             f"for the layer's FLOPs, as a share of our time.", ""]
    lines += [f"Note: {n}" for n in notes] + ([""] if notes else [])

    lines += ["## Convolution", "",
              "| shape | dtype | op | naive | baseline | ours | torch | ours/torch | baseline/ours | %GEMM |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    convs = TINY["conv"] if args.tiny else CONV_SHAPES
    summary = {}
    for dt in DTYPES:
        for name, (xs, ws, s, p) in convs.items():
            for op in ("fwd", "bwd", "fwdbwd"):
                t = f"conv:{name}:{dt}:{op}"
                o, b, tt, n = stat("ours", t), stat("baseline", t), stat("torch", t), stat("naive", t)
                gemm = conv_flops(xs, ws, s, p, op) / (info[f"gemm_gflops_{dt}"] * 1e9)
                pct = f"{100 * gemm / o[0]:.0f}%" if o else "—"
                lines.append(f"| {name} x{xs} w{ws} S{s} P{p} | {dt} | {op} | {cell(n)} | {cell(b)} | {cell(o)} "
                             f"| {cell(tt)} | {ratio(o, tt)} | {ratio(b, o)} | {pct} |")
                summary[(name, dt, op)] = (o, b, tt, n)
    lines += ["", "## im2col and col2im alone", "",
              "Where the two NumPy implementations differ: strided copies per kernel offset (ours) vs fancy "
              "indexing and `np.add.at` (baseline). Same shapes as above.", "",
              "| shape | dtype | op | baseline | ours | baseline/ours |", "|---|---|---|---|---|---|"]
    for dt in DTYPES:
        for name in convs:
            for op in ("im2col", "col2im"):
                t = f"cols:{name}:{dt}:{op}"
                o, b = stat("ours", t), stat("baseline", t)
                lines.append(f"| {name} | {dt} | {op} | {cell(b)} | {cell(o)} | {ratio(b, o)} |")
    lines += ["", "## Pooling (forward + backward)", "",
              "| shape | dtype | ours | torch | ours/torch |", "|---|---|---|---|---|"]
    pools = TINY["pool"] if args.tiny else POOL_SHAPES
    for dt in DTYPES:
        for name, (xs, _mode, _f, _s) in pools.items():
            t = f"pool:{name}:{dt}:fwdbwd"
            o, tt = stat("ours", t), stat("torch", t)
            lines.append(f"| {name} x{xs} | {dt} | {cell(o)} | {cell(tt)} | {ratio(o, tt)} |")
    lines += ["", "## Training step (forward + backward + Adam update)", "",
              "| network | dtype | ours | torch | ours/torch |", "|---|---|---|---|---|"]
    nets = TINY["net"] if args.tiny else NETS
    for dt in DTYPES:
        for name, (_spec, batch) in nets.items():
            t = f"net:{name}:{dt}:step"
            o, tt = stat("ours", t), stat("torch", t)
            lines.append(f"| {name} (batch {batch}) | {dt} | {cell(o)} | {cell(tt)} | {ratio(o, tt)} |")
    lines += ["", "## Memory of one conv forward + backward", "",
              "From an empty workspace pool (tracemalloc). peak: everything allocated at the worst moment, "
              "columns matrix and results included. extra: peak minus the arrays returned (out, dx, dw, db), "
              "i.e. the columns matrix plus scratch.", "",
              "| shape | dtype | columns matrix | ours peak | ours extra | ours extra / columns "
              "| baseline peak | baseline extra | baseline extra / columns |",
              "|---|---|---|---|---|---|---|---|---|"]
    mib = lambda v: f"{v / 2**20:.1f} MiB"
    for dt in DTYPES:
        for name in convs:
            m_o, m_b = memory[("ours", name, dt)], memory[("baseline", name, dt)]
            lines.append(f"| {name} | {dt} | {mib(m_o['cols'])} | {mib(m_o['peak'])} | {mib(m_o['extra'])} "
                         f"| {m_o['extra'] / m_o['cols']:.2f} | {mib(m_b['peak'])} | {mib(m_b['extra'])} "
                         f"| {m_b['extra'] / m_b['cols']:.2f} |")

    # Targets of the performance issue, each with its measured value.
    lines += ["", "## Targets", ""]
    idx = {"ours": 0, "baseline": 1, "torch": 2, "naive": 3}
    def gm_libs(a, b, dt):
        vals = []
        for n in convs:
            s_ = summary[(n, dt, "fwdbwd")]
            if s_[idx[a]] and s_[idx[b]]:
                vals.append(s_[idx[a]][0] / s_[idx[b]][0])
        return geomean(vals) if vals else None
    for dt, target in (("float32", 1.3), ("float64", 1.0)):
        g = gm_libs("ours", "torch", dt)
        within = "<=" if dt == "float32" else "<"
        lines.append(f"- conv fwd+bwd {dt}, geometric mean of ours/torch: "
                     + ("n/a (no torch)" if g is None else f"{g:.2f}x (target {within} {target}x)"))
    cellname = "tiny" if args.tiny else "timing-cell"
    for dt in DTYPES:
        s_ = summary[(cellname, dt, "fwdbwd")]
        if s_[0] and s_[3]:
            lines.append(f"- naive / ours on the timing cell, fwd+bwd {dt}: {s_[3][0] / s_[0][0]:,.0f}x "
                         "(target >= 1,000x)")
        worst = min((summary[(n, dt, "fwdbwd")][1][0] / summary[(n, dt, "fwdbwd")][0][0]) for n in convs)
        lines.append(f"- baseline / ours, fwd+bwd {dt}, worst shape: {worst:.1f}x (target >= 3x on every shape)")
    pool_name = "tiny-max" if args.tiny else "max-2x2-s2"
    for dt in DTYPES:
        o, tt = stat("ours", f"pool:{pool_name}:{dt}:fwdbwd"), stat("torch", f"pool:{pool_name}:{dt}:fwdbwd")
        lines.append(f"- max pool 2x2 stride 2 fwd+bwd {dt}, ours/torch: "
                     + ("n/a (no torch)" if o is None or tt is None else f"{o[0] / tt[0]:.2f}x (target <= 1.5x)"))
    net_name = "tiny-net" if args.tiny else "ThreeLayerConvNet"
    o, tt = stat("ours", f"net:{net_name}:float32:step"), stat("torch", f"net:{net_name}:float32:step")
    net_batch = (TINY["net"] if args.tiny else NETS)[net_name][1]
    lines.append(f"- {net_name} training step float32 (batch {net_batch}), ours/torch: "
                 + ("n/a (no torch)" if o is None or tt is None else f"{o[0] / tt[0]:.2f}x (target <= 1.6x)"))
    worst_mem = max(memory[("ours", n, dt)]["extra"] / memory[("ours", n, dt)]["cols"] for n in convs for dt in DTYPES)
    lines.append(f"- extra memory of conv fwd+bwd / columns matrix, worst shape: {worst_mem:.2f} (target <= 2)")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="2 rounds of 1 call: about a minute")
    ap.add_argument("--tiny", action="store_true", help="tiny shapes (for tests)")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default: %(default)s)")
    ap.add_argument("--repeats", type=int, default=3, help="calls per task per round (default: %(default)s)")
    ap.add_argument("--no-torch", action="store_true", help="do not compare with PyTorch")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="directory for the Markdown table")
    args = ap.parse_args(argv)
    if args.worker:
        return worker_main(args.worker, args.tiny)
    table = run(args)
    print(table)
    if not args.tiny:
        name = "bench-quick.md" if args.quick else "bench.md"
        atomic_write_text(args.out / name, table)
        print(f"wrote benchmarks/results/{name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
