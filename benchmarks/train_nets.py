"""Training step of three realistic ConvNets: ours against PyTorch, side by side (issue 13).

One training step is forward + backward + an Adam update of every parameter,
on a fixed batch. Everything runs in this one process, in interleaved rounds
(each round times every variant once), so a noisy, shared machine slows all
variants alike; reported are the min and the median over rounds, and the
ratio ours / PyTorch of each.

Variants: ours in float32 and float64, PyTorch (torch.nn on the CPU with as
many threads as NumPy's BLAS) in float32, when it is installed. The goal of
issue 13 is ours float32 within 1.25x of PyTorch float32 per step.

Also printed: where our float32 step spends its time, by layer kind (conv,
bn, relu, pool, affine, loss, update; "other" is the rest: Python between
the layers, the L2 term, casts). It is measured by timing every layer call of
a separate run of steps, so it shows the next bottleneck, not a second
measurement of the step.

Usage:
    python benchmarks/train_nets.py [--rounds R] [--quick] [--no-torch] [--out FILE]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout's package, also when it is not installed

import numpy as np  # noqa: E402

from cs231n_cnn import convnet  # noqa: E402
from cs231n_cnn.fileio import atomic_write_text  # noqa: E402
from cs231n_cnn.optim import adam, adam_inplace  # noqa: E402
from cs231n_cnn.timing import Timing, repeat_times  # noqa: E402

NETS = {
    # name: (spec, batch)
    "A": ("INPUT[32x32x3] -> CONV7-32 -> RELU -> POOL2 -> FC-100 -> RELU -> FC", 50),
    "B": ("INPUT[32x32x3] -> [[CONV3-32 -> RELU]*2 -> POOL2]*2 -> FC-256 -> RELU -> FC", 50),
    "C": ("INPUT[32x32x3] -> [CONV3-64 -> BN -> RELU]*2 -> POOL2 -> [CONV3-128 -> BN -> RELU]*2 -> POOL2 "
          "-> FC-256 -> RELU -> FC", 64),
}
KINDS = ("conv", "bn", "relu", "pool", "affine", "loss", "update", "other")


def _kind(name: str) -> str | None:
    """The layer kind of a function of cs231n_cnn.layers, by its name."""
    for key, kind in (("conv", "conv"), ("batchnorm", "bn"), ("relu", "relu"), ("pool", "pool"),
                      ("affine", "affine"), ("softmax", "loss"), ("svm", "loss")):
        if key in name:
            return kind
    return None


# ----------------------------------------------------------------- our step

def our_step(spec: str, batch: int, dtype: str, seed: int = 0, *, fused: bool = True):
    """A function doing one training step of ConvNet(spec) with Adam, and the model.

    ``fused=True``: the fast paths (channel-major layers) and ``adam_inplace``;
    False: the plain student-facing layers and ``adam`` (the "plain" column).
    """
    model = convnet.ConvNet(spec, dtype=dtype, seed=seed, fused=fused)
    rng = np.random.default_rng(seed)
    H, W, D = model.architecture.input_shape
    X = rng.standard_normal((batch, D, H, W)).astype(dtype)
    y = rng.integers(model.num_classes, size=batch)
    configs = {k: {"learning_rate": 1e-3} for k in model.params}

    def step():
        _, grads = model.loss(X, y)
        update = adam_inplace if fused else adam  # looked up per call: breakdown() wraps adam_inplace
        for k in model.params:
            model.params[k], configs[k] = update(model.params[k], grads[k], configs[k])
    return step, model


class _TimedLayers:
    """Stands in for a layers module inside cs231n_cnn.convnet: each call adds its seconds to ``totals[kind]``."""

    def __init__(self, layers, totals):
        self._layers = layers
        self._totals = totals

    def __getattr__(self, name):
        fn = getattr(self._layers, name)
        kind = _kind(name)
        if kind is None or not callable(fn):
            return fn
        return _timed(fn, kind, self._totals)


def _timed(fn, kind, totals):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[kind] += time.perf_counter() - start
    return wrapper


def breakdown(spec: str, batch: int, dtype: str, steps: int) -> dict[str, float]:
    """Seconds per step by layer kind (mean over ``steps`` steps after one warm-up step)."""
    totals: dict[str, float] = defaultdict(float)
    # ConvNet looks every layer function up in these modules when it calls it (cs231n_cnn/convnet.py)
    saved_modules, saved_adam = {name: getattr(convnet, name) for name in ("L", "CM", "FC")}, adam_inplace
    for name, module in saved_modules.items():
        setattr(convnet, name, _TimedLayers(module, totals))
    try:
        step, model = our_step(spec, batch, dtype)
        globals()["adam_inplace"] = _timed(saved_adam, "update", totals)
        step()
        totals.clear()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        total = (time.perf_counter() - start) / steps
    finally:
        for name, module in saved_modules.items():
            setattr(convnet, name, module)
        globals()["adam_inplace"] = saved_adam
    result = {k: totals.get(k, 0.0) / steps for k in KINDS if k != "other"}
    result["other"] = max(0.0, total - sum(result.values()))
    result["total"] = total
    return result


# ------------------------------------------------------------ PyTorch step

def torch_step(spec: str, batch: int, dtype: str, seed: int = 0):
    """One training step of the same net in torch.nn with torch.optim.Adam."""
    import torch

    from cs231n_cnn.architecture import parse
    from cs231n_cnn.architecture.specs import BatchNormSpec, ConvSpec, FCSpec, PoolSpec, ReluSpec
    torch.manual_seed(seed)
    arch = parse(spec)
    layers, flat = [], False
    for layer in arch.layers[1:]:
        if isinstance(layer, ConvSpec):
            layers.append(torch.nn.Conv2d(layer.input_shape[2], layer.num_filters, layer.filter_size,
                                          layer.stride, layer.pad))
        elif isinstance(layer, BatchNormSpec):
            layers.append(torch.nn.BatchNorm2d(layer.input_shape[2]) if layer.spatial
                          else torch.nn.BatchNorm1d(layer.input_shape[2]))
        elif isinstance(layer, ReluSpec):
            layers.append(torch.nn.ReLU())
        elif isinstance(layer, PoolSpec):
            layers.append(torch.nn.MaxPool2d(layer.pool_size, layer.stride))
        elif isinstance(layer, FCSpec):
            if not flat:
                layers.append(torch.nn.Flatten())
                flat = True
            layers.append(torch.nn.Linear(layer.in_features, layer.num_outputs))
        else:
            raise ValueError(f"no PyTorch layer for {layer.notation}")
    net = torch.nn.Sequential(*layers).to(getattr(torch, dtype))
    rng = np.random.default_rng(seed)
    H, W, D = arch.input_shape
    X = torch.from_numpy(rng.standard_normal((batch, D, H, W)).astype(dtype))
    y = torch.from_numpy(rng.integers(10, size=batch))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(net(X), y).backward()
        opt.step()
    return step


# ------------------------------------------------------------ the GEMM floor

def products(spec: str, batch: int, *, input_gradient: bool = False):
    """The matrix products of one training step of ConvNet(spec), as (name, a_shape, b_shape) triples.

    The products conv_forward_cm / conv_backward_cm and the FC layers
    compute: per CONV layer the forward ``w_rows @ cols``, ``dw.T = cols @
    dout_rows.T`` and ``dx`` (a transposed convolution ``w_flipped @
    im2col(dout)`` for stride 1 when its columns are no larger, else
    ``w_rows.T @ dout_rows``); per FC layer ``x @ w``, ``x.T @ dout`` and
    ``dout @ w.T``. The first layer computes no ``dx`` unless
    ``input_gradient`` (a layer timed as if it were inside a net).
    """
    from cs231n_cnn.architecture import parse
    from cs231n_cnn.architecture.specs import ConvSpec, FCSpec, LocalSpec
    from cs231n_cnn.layers.conv import _dx_as_convolution
    found, dx = [], input_gradient
    for layer in parse(spec).layers[1:]:
        if isinstance(layer, ConvSpec) and not isinstance(layer, LocalSpec):
            (H, W, C), (Ho, Wo, F) = layer.input_shape, layer.output_shape
            k = layer.filter_size
            K, L = C * k * k, batch * Ho * Wo
            found += [(f"{layer.notation} forward", (F, K), (K, L)), (f"{layer.notation} dw", (K, L), (L, F))]
            if dx and _dx_as_convolution((batch, C, H, W), (F, C, k, k), layer.stride, layer.pad):
                found.append((f"{layer.notation} dx", (C, F * k * k), (F * k * k, batch * H * W)))
            elif dx:
                found.append((f"{layer.notation} dx", (K, F), (F, L)))
            dx = True
        elif isinstance(layer, FCSpec):
            D, M = layer.in_features, layer.num_outputs
            found += [("FC forward", (batch, D), (D, M)), ("FC dw", (D, batch), (batch, M))]
            if dx:
                found.append(("FC dx", (batch, M), (M, D)))
            dx = True
    return found


def gemm_step(spec: str, batch: int, dtype: str = "float32", *, input_gradient: bool = False):
    """A function doing only the matrix products of one step (on fixed random operands), and their FLOPs."""
    rng = np.random.default_rng(0)
    ops, flops = [], 0
    for _name, a_shape, b_shape in products(spec, batch, input_gradient=input_gradient):
        a = rng.standard_normal(a_shape).astype(dtype)
        b = rng.standard_normal(b_shape).astype(dtype)
        ops.append((a, b, np.empty((a_shape[0], b_shape[1]), dtype)))
        flops += 2 * a_shape[0] * a_shape[1] * b_shape[1]

    def step():
        for a, b, out in ops:
            np.matmul(a, b, out=out)
    return step, flops


def conv_kernels(nets, rounds: int, repeats: int):
    """Per distinct CONV layer: PyTorch's Conv2d forward+backward against our products for it alone.

    Returns rows ``(layer, batch, first, torch Timing, ours Timing, GFLOP)``.
    """
    import torch

    from cs231n_cnn.architecture import parse
    from cs231n_cnn.architecture.specs import ConvSpec, LocalSpec
    rows, seen = [], set()
    for spec, batch in nets.values():
        convs = [la for la in parse(spec).layers[1:] if isinstance(la, ConvSpec) and not isinstance(la, LocalSpec)]
        for i, layer in enumerate(convs):
            (H, W, C), first = layer.input_shape, i == 0
            one = f"INPUT[{H}x{W}x{C}] -> {layer.notation}"
            if (one, batch, first) in seen:
                continue
            seen.add((one, batch, first))
            conv = torch.nn.Conv2d(C, layer.num_filters, layer.filter_size, layer.stride, layer.pad)
            x = torch.randn(batch, C, H, W, requires_grad=not first)

            def torch_fn(conv=conv, x=x):
                y = conv(x)
                y.backward(torch.ones_like(y))
            ours, flops = gemm_step(one, batch, input_gradient=not first)
            times = {"torch": [], "ours": []}
            for _ in range(rounds):
                time.sleep(0.02)  # PyTorch's OpenMP threads stop spinning
                times["torch"] += repeat_times(torch_fn, repeats, warmup=1)
                time.sleep(0.02)
                times["ours"] += repeat_times(ours, repeats, warmup=1)
            rows.append((one, batch, first, Timing.of(times["torch"]), Timing.of(times["ours"]), flops / 1e9))
    return rows


# ------------------------------------------------------------------- main

def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return "; ".join(f"{p['internal_api']} {p.get('version')} {p.get('architecture')} x{p['num_threads']}"
                     for p in threadpool_info() if p["user_api"] == "blas")


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 1
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    return blas[0]["num_threads"] if blas else 1


def numexpr_inside_a_step(rounds: int, repeats: int):
    """Batch norm and Adam, NumPy (the library) against numexpr, each call right after a GEMM.

    In a training step every elementwise layer runs just after BLAS calls,
    whose worker threads keep spinning for a while; numexpr's own threads
    then compete with them for the two cores. Timing each variant straight
    after a matrix product reproduces that. Returns {name: (numpy, numexpr)}
    Timings, or None without numexpr.
    """
    try:
        import numexpr as ne
    except ImportError:
        return None
    from cs231n_cnn.layers.channel_major import spatial_batchnorm_backward_cm, spatial_batchnorm_forward_cm

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 64, 32, 32)).astype(np.float32)   # net C's first BN input, channel-major
    dout = rng.standard_normal(x.shape).astype(np.float32)
    g, b = np.ones(64, np.float32), np.zeros(64, np.float32)

    def bn_numpy():
        _, cache = spatial_batchnorm_forward_cm(x, g, b, {"mode": "train"})
        spatial_batchnorm_backward_cm(dout, cache)

    def bn_numexpr():  # the same formulas as numexpr chains (the version this project used before)
        C, M = 64, x.size // 64
        x2, d2 = x.reshape(C, M), dout.reshape(C, M)
        m = x2.mean(axis=1)[:, None]  # noqa: F841 (read by numexpr)
        xh = ne.evaluate("x2 - m")
        s = (1 / np.sqrt(np.einsum("cm,cm->c", xh, xh) / M + 1e-5)).astype(np.float32)[:, None]  # noqa: F841
        ne.evaluate("xh * s", out=xh)
        gg, bb = g[:, None], b[:, None]  # noqa: F841 (read by numexpr)
        ne.evaluate("xh * gg + bb")
        dg, db = np.einsum("cm,cm->c", d2, xh), d2.sum(axis=1)
        k = g * s[:, 0]
        k1, k2, k3 = k[:, None], (-k * dg / M)[:, None], (-k * db / M)[:, None]  # noqa: F841
        ne.evaluate("d2 * k1 + xh * k2 + k3")

    w = rng.standard_normal((8192, 100)).astype(np.float32)           # net A's FC-100 weights
    dw = rng.standard_normal(w.shape).astype(np.float32)
    cfg = {"learning_rate": 1e-3}

    def adam_numpy():
        adam_inplace(w, dw, cfg)

    state = {"m": np.zeros_like(w), "v": np.zeros_like(w), "t": 0}

    def adam_numexpr():
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        a, c = np.float32(1e-3 / (1 - 0.9 ** t)), np.float32(1 / (1 - 0.999 ** t))
        names = {"m": m, "v": v, "w": w, "dw": dw, "a": a, "c": c}
        ne.evaluate("0.9 * m + 0.1 * dw", local_dict=names, out=m, casting="same_kind")
        ne.evaluate("0.999 * v + 0.001 * dw * dw", local_dict=names, out=v, casting="same_kind")
        ne.evaluate("w - a * m / (sqrt(c * v) + 1e-8)", local_dict=names, out=w, casting="same_kind")

    A = rng.standard_normal((768, 768)).astype(np.float32)
    variants = {"BN forward+backward, 64x64x32x32": (bn_numpy, bn_numexpr),
                "Adam, 819,200 parameters": (adam_numpy, adam_numexpr)}
    times = {(name, i): [] for name in variants for i in (0, 1)}
    for _ in range(rounds):
        for name, fns in variants.items():
            for i, fn in enumerate(fns):
                for _ in range(repeats):
                    A @ A     # BLAS threads now spinning, as after a conv layer
                    start = time.perf_counter()
                    fn()
                    times[(name, i)].append(time.perf_counter() - start)
    return {name: (Timing.of(times[(name, 0)]), Timing.of(times[(name, 1)])) for name in variants}


def run(rounds: int, repeats: int, use_torch: bool, nets=NETS, breakdown_steps: int = 5):
    torch = None
    if use_torch:
        try:
            import torch
            torch.set_num_threads(blas_threads())
        except ImportError:
            torch = None
    variants = {}
    for name, (spec, batch) in nets.items():
        variants[(name, "ours", "float32")] = our_step(spec, batch, "float32")[0]
        variants[(name, "plain", "float32")] = our_step(spec, batch, "float32", fused=False)[0]
        variants[(name, "gemm", "float32")] = gemm_step(spec, batch)[0]
        if torch is not None:
            variants[(name, "torch", "float32")] = torch_step(spec, batch, "float32")
        variants[(name, "ours", "float64")] = our_step(spec, batch, "float64")[0]
        variants[(name, "plain", "float64")] = our_step(spec, batch, "float64", fused=False)[0]
    times = {key: [] for key in variants}
    for fn in variants.values():  # warm-up: first-touch pages, lazy set-up, pooled buffers
        fn()
    for _ in range(rounds):
        for key, fn in variants.items():
            if key[1] == "torch":
                time.sleep(0.02)  # let PyTorch's idle OpenMP threads stop spinning before NumPy runs
            times[key] += repeat_times(fn, repeats)
            if key[1] == "torch":
                time.sleep(0.02)
    timings = {key: Timing.of(t) for key, t in times.items()}
    parts = {name: breakdown(spec, batch, "float32", breakdown_steps) for name, (spec, batch) in nets.items()}
    kernels = conv_kernels(nets, rounds, repeats) if torch is not None else []
    numexpr_rows = numexpr_inside_a_step(rounds, repeats)
    return timings, parts, kernels, numexpr_rows, (torch.__version__ if torch is not None else None)


def _ms(t) -> str:
    return f"{t.min * 1e3:.1f} / {t.median * 1e3:.1f}"


def report(timings, parts, kernels, numexpr_rows, torch_version, rounds, repeats, nets=NETS) -> str:
    lines = [
        "# Training step: ours vs PyTorch (benchmarks/train_nets.py)",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"NumPy {np.__version__}, BLAS {blas_info()}, "
        f"PyTorch {torch_version or 'not installed'}",
        f"One step = forward + backward + Adam on a fixed batch. {rounds} interleaved rounds x {repeats} "
        "calls, one process; ms per step as min / median.",
        "",
        "ours: `ConvNet(spec, fused=True)` + `adam_inplace`; plain: the student-facing NCHW layers + `adam` "
        "(`fused=False`, what a model uses by default), timed in the same rounds; "
        "GEMMs alone: only the matrix products of our step, same shapes, on fixed operands.",
        "",
        "| net | batch | plain f32 ms | ours f32 ms | torch f32 ms | ours / torch (min / med) "
        "| ours f32 img/s | torch f32 img/s | GEMMs alone ms | GEMMs alone / torch step "
        "| plain f64 ms | ours f64 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (_spec, batch) in nets.items():
        o32, o64 = timings[(name, "ours", "float32")], timings[(name, "ours", "float64")]
        p32, p64 = timings[(name, "plain", "float32")], timings[(name, "plain", "float64")]
        g32 = timings[(name, "gemm", "float32")]
        t32 = timings.get((name, "torch", "float32"))
        ratio = f"{o32.min / t32.min:.2f}x / {o32.median / t32.median:.2f}x" if t32 else "-"
        floor = f"{g32.min / t32.min:.2f}x" if t32 else "-"
        lines.append(f"| {name} | {batch} | {_ms(p32)} | {_ms(o32)} | {_ms(t32) if t32 else '-'} | {ratio} "
                     f"| {batch / o32.min:.0f} | {f'{batch / t32.min:.0f}' if t32 else '-'} "
                     f"| {_ms(g32)} | {floor} | {_ms(p64)} | {_ms(o64)} |")
    lines += ["", "Nets:", ""] + [f"- {name}: `{spec}`" for name, (spec, _) in nets.items()]
    lines += ["", "## Where our float32 step goes (ms per step, share of the instrumented step)", "",
              "| net | " + " | ".join(KINDS) + " | total |", "|---|" + "---:|" * (len(KINDS) + 1)]
    for name, p in parts.items():
        cells = [f"{p[k] * 1e3:.1f} ({100 * p[k] / p['total']:.0f}%)" for k in KINDS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {p['total'] * 1e3:.1f} |")
    if kernels:
        lines += ["", "## Conv layers: PyTorch's kernels against our matrix products alone", "",
                  "Forward + backward of one CONV layer (dx too, except for a first layer). PyTorch: "
                  "`Conv2d` (oneDNN); ours: only the products of conv_forward_cm / conv_backward_cm, "
                  "without im2col. A ratio above 1 means NumPy's BLAS alone is slower than PyTorch's "
                  "whole layer.", "",
                  "| layer | batch | torch ms | our GEMMs ms | GEMMs / torch | GFLOP | torch GFLOP/s "
                  "| our GFLOP/s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for one, batch, first, t_torch, t_ours, gflop in kernels:
            lines.append(f"| `{one}`{' (first)' if first else ''} | {batch} | {_ms(t_torch)} | {_ms(t_ours)} "
                         f"| {t_ours.min / t_torch.min:.2f}x | {gflop:.2f} | {gflop / t_torch.min:.0f} "
                         f"| {gflop / t_ours.min:.0f} |")
    if numexpr_rows:
        lines += ["", "## numexpr inside a training step", "",
                  "Each call right after a 768x768 GEMM, as an elementwise layer runs after a conv "
                  "layer; ms as min / median.", "",
                  "| chain | NumPy (the library) | numexpr | numexpr / NumPy (min) |", "|---|---:|---:|---:|"]
        for name, (t_np, t_ne) in numexpr_rows.items():
            lines.append(f"| {name} | {_ms(t_np)} | {_ms(t_ne)} | {t_ne.min / t_np.min:.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="calls per variant per round")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 2 calls")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "train_nets.md")
    args = parser.parse_args(argv)
    rounds, repeats = (3, 2) if args.quick else (args.rounds, args.repeats)
    timings, parts, kernels, numexpr_rows, torch_version = run(rounds, repeats, not args.no_torch)
    text = report(timings, parts, kernels, numexpr_rows, torch_version, rounds, repeats)
    print(text, end="")
    atomic_write_text(args.out, text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
