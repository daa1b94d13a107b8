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

from cs231n_cnn import models  # noqa: E402
from cs231n_cnn.fileio import atomic_write_text  # noqa: E402
from cs231n_cnn.optim import adam_inplace  # noqa: E402
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

def our_step(spec: str, batch: int, dtype: str, seed: int = 0):
    """A function doing one training step of ConvNet(spec) with Adam, and the model."""
    model = models.ConvNet(spec, dtype=dtype, seed=seed, fused=True)
    rng = np.random.default_rng(seed)
    H, W, D = model.architecture.input_shape
    X = rng.standard_normal((batch, D, H, W)).astype(dtype)
    y = rng.integers(model.num_classes, size=batch)
    configs = {k: {"learning_rate": 1e-3} for k in model.params}

    def step():
        _, grads = model.loss(X, y)
        for k in model.params:
            model.params[k], configs[k] = adam_inplace(model.params[k], grads[k], configs[k])
    return step, model


class _TimedLayers:
    """Stands in for cs231n_cnn.layers inside models: every layer call adds its seconds to ``totals[kind]``."""

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
    saved_layers, saved_pools, saved_adam = models.L, dict(models._POOL_LAYERS), adam_inplace
    # layer functions models imported by name (the fused paths)
    saved_names = {name: fn for name, fn in vars(models).items()
                   if callable(fn) and getattr(fn, "__module__", "").startswith("cs231n_cnn.layers") and _kind(name)}
    models.L = _TimedLayers(saved_layers, totals)
    models._POOL_LAYERS.update({k: (_timed(f, "pool", totals), _timed(b, "pool", totals))
                                for k, (f, b) in saved_pools.items()})
    for name, fn in saved_names.items():
        setattr(models, name, _timed(fn, _kind(name), totals))
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
        models.L = saved_layers
        models._POOL_LAYERS.update(saved_pools)
        for name, fn in saved_names.items():
            setattr(models, name, fn)
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
        if torch is not None:
            variants[(name, "torch", "float32")] = torch_step(spec, batch, "float32")
        variants[(name, "ours", "float64")] = our_step(spec, batch, "float64")[0]
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
    return timings, parts, (torch.__version__ if torch is not None else None)


def report(timings, parts, torch_version, rounds, repeats, nets=NETS) -> str:
    lines = [
        "# Training step: ours vs PyTorch (benchmarks/train_nets.py)",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"NumPy {np.__version__}, BLAS {blas_info()}, "
        f"PyTorch {torch_version or 'not installed'}",
        f"One step = forward + backward + Adam on a fixed batch. {rounds} interleaved rounds x {repeats} "
        "calls, one process; ms per step as min / median.",
        "",
        "| net | batch | ours f32 ms | torch f32 ms | ratio (min / med) | ours f32 img/s | torch f32 img/s "
        "| ours f64 ms | ours f64 img/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (_spec, batch) in nets.items():
        o32, o64 = timings[(name, "ours", "float32")], timings[(name, "ours", "float64")]
        t32 = timings.get((name, "torch", "float32"))
        ms = lambda t: f"{t.min * 1e3:.1f} / {t.median * 1e3:.1f}"  # noqa: E731
        ratio = f"{o32.min / t32.min:.2f}x / {o32.median / t32.median:.2f}x" if t32 else "-"
        lines.append(f"| {name} | {batch} | {ms(o32)} | {ms(t32) if t32 else '-'} | {ratio} "
                     f"| {batch / o32.min:.0f} | {f'{batch / t32.min:.0f}' if t32 else '-'} "
                     f"| {ms(o64)} | {batch / o64.min:.0f} |")
    lines += ["", "Nets:", ""] + [f"- {name}: `{spec}`" for name, (spec, _) in nets.items()]
    lines += ["", "## Where our float32 step goes (ms per step, share of the instrumented step)", "",
              "| net | " + " | ".join(KINDS) + " | total |", "|---|" + "---:|" * (len(KINDS) + 1)]
    for name, p in parts.items():
        cells = [f"{p[k] * 1e3:.1f} ({100 * p[k] / p['total']:.0f}%)" for k in KINDS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {p['total'] * 1e3:.1f} |")
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
    timings, parts, torch_version = run(rounds, repeats, not args.no_torch)
    text = report(timings, parts, torch_version, rounds, repeats)
    print(text, end="")
    atomic_write_text(args.out, text)
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
