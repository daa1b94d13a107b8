"""Train ConvNets on the CIFAR-10 data available, within a time budget; report accuracy and speed.

Runs two experiments one after the other in this process:

1. the classic ThreeLayerConvNet (conv7-32 - relu - pool - fc100 - relu - fc), 3-minute budget;
2. a deeper pattern-built net with flip/crop augmentation, 10-minute budget.

Training proceeds epoch by epoch and stops before an epoch that would not
finish within the budget (estimated from the previous epoch). The best
validation parameters are then scored on the test set. Also measured: the
forward+backward throughput of each model on a batch (images/second, min and
median of repeats).

Writes a Markdown table and an accuracy-curve plot to benchmarks/results/.

Models are built with ``ConvNet(spec, fused=True)`` (the fast paths);
``--plain`` trains with the student-facing layers instead.

Usage:
    python benchmarks/train_cifar.py [--data DIR] [--quick] [--budget-scale X] [--plain]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from cs231n_cnn.data import get_CIFAR10_data
from cs231n_cnn.fileio import atomic_write_text
from cs231n_cnn.models import ConvNet
from cs231n_cnn.solver import Solver
from cs231n_cnn.timing import time_it

RESULTS = Path(__file__).resolve().parent / "results"

EXPERIMENTS = [
    {
        "name": "ThreeLayerConvNet",
        "spec": "three_layer_convnet",
        "budget": 180,
        "solver": dict(update_rule="adam", optim_config={"learning_rate": 1e-3}, batch_size=50, lr_decay=0.9),
        "reg": 1e-3,
        "augment": None,
    },
    {
        "name": "deeper net + flip/crop",
        "spec": "INPUT[32x32x3] -> [[CONV3-32 -> RELU]*2 -> POOL]*2 -> FC-256 -> RELU -> FC",
        "budget": 600,
        "solver": dict(update_rule="adam", optim_config={"learning_rate": 1e-3}, batch_size=50, lr_decay=0.92),
        "reg": 1e-3,
        "augment": "flip-crop",
    },
]


def throughput(model, X, y, repeats=5):
    """Images per second of model.loss (forward + backward) on one batch: (best, median)."""
    best, median = time_it(lambda: model.loss(X, y), repeats, warmup=1)
    return len(X) / best, len(X) / median


def train_within(solver, budget):
    """Train one epoch at a time while the next epoch is expected to fit in ``budget`` seconds."""
    t0 = time.perf_counter()
    last = 0.0
    while True:
        elapsed = time.perf_counter() - t0
        if solver.epoch > 0 and elapsed + last > budget:
            break
        start = time.perf_counter()
        solver.num_epochs = solver.epoch + 1
        solver.train()
        last = time.perf_counter() - start
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="directory holding cifar-10-batches-py")
    ap.add_argument("--quick", action="store_true", help="tiny budgets and data, to check that it runs")
    ap.add_argument("--budget-scale", type=float, default=1.0, help="multiply every time budget")
    ap.add_argument("--out", type=Path, default=RESULTS, help="directory for the table and plot")
    ap.add_argument("--plain", action="store_true",
                    help="train with the plain student-facing layers (ConvNet(fused=False)) instead of the fast paths")
    args = ap.parse_args(argv)

    data = get_CIFAR10_data(num_training=None, num_validation=1000, num_test=None, root=args.data,
                            dtype=np.float32, normalize=True)
    if args.quick:
        data = {k: v[:200] for k, v in data.items()}
    scale = (0.02 if args.quick else 1.0) * args.budget_scale
    n_train, n_val, n_test = len(data["X_train"]), len(data["X_val"]), len(data["X_test"])
    print(f"data: {n_train:,} train / {n_val:,} val / {n_test:,} test images; {os.cpu_count()} CPU cores")

    rows, curves = [], []
    for exp in EXPERIMENTS:
        budget = exp["budget"] * scale
        model = ConvNet(exp["spec"], reg=exp["reg"], dtype=np.float32, seed=0, fused=not args.plain)
        ips_best, ips_median = throughput(model, data["X_train"][:50], data["y_train"][:50])
        solver = Solver(model, data, num_train_samples=1000, seed=0, verbose=True, progress=False,
                        print_every=10**9, augment=exp["augment"], **exp["solver"])
        seconds = train_within(solver, budget)
        test_acc = solver.check_accuracy(data["X_test"], data["y_test"])
        rows.append({
            "model": exp["name"], "spec": str(model.architecture), "params": model.num_params,
            "budget_s": budget, "train_s": round(seconds, 1), "epochs": solver.epoch,
            "best_val_acc": solver.best_val_acc, "test_acc": test_acc,
            "fwd_bwd_img_per_s_best": round(ips_best, 1), "fwd_bwd_img_per_s_median": round(ips_median, 1),
            "train_img_per_s": round(solver.epoch * n_train / seconds, 1),
            "val_acc_history": [round(a, 4) for a in solver.val_acc_history],
        })
        curves.append((exp["name"], solver.acc_time_history, solver.val_acc_history, solver.train_acc_history))
        print(json.dumps(rows[-1]))

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        f"# CIFAR-10 training benchmark ({stamp})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}. Data: {n_train:,} train / {n_val:,} val / {n_test:,} test images, "
        f"mean-subtracted and scaled to unit channel std, float32. "
        f"Layers: {'the plain ones, ConvNet(fused=False)' if args.plain else 'the fast paths, ConvNet(fused=True)'}.",
        "",
        "| model | params | budget (s) | trained (s) | epochs | best val acc | test acc "
        "| fwd+bwd img/s (best / median) | training img/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['params']:,} | {r['budget_s']:.0f} | {r['train_s']:.0f} | {r['epochs']} "
            f"| {r['best_val_acc']:.3f} | {r['test_acc']:.3f} | {r['fwd_bwd_img_per_s_best']:.0f} / "
            f"{r['fwd_bwd_img_per_s_median']:.0f} | {r['train_img_per_s']:.0f} |")
    lines += ["", "Specs:", ""] + [f"- {r['model']}: `{r['spec']}`" for r in rows]
    lines += ["", "Validation accuracy per epoch:", ""] + [f"- {r['model']}: {r['val_acc_history']}" for r in rows]
    table = "\n".join(lines) + "\n"
    print(table)

    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        md = args.out / "train_cifar.md"
        atomic_write_text(md, table)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(7, 4))
        for name, t, val, train in curves:
            ax.plot(t, val, marker="o", label=f"{name} (val)")
            ax.plot(t, train, linestyle="--", alpha=0.6, label=f"{name} (train)")
        ax.set_xlabel("training time (s)")
        ax.set_ylabel("accuracy")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.out / "train_cifar.png", dpi=100)
        print(f"wrote {md} and {args.out / 'train_cifar.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
