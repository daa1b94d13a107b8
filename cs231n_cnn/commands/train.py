"""``cs231n-cnn train``: train a ConvNet given in the layer-pattern notation on CIFAR-10.

Example::

    cs231n-cnn train --spec "INPUT[32x32x3] -> [CONV3-32 -> RELU]*2 -> POOL -> FC" \\
        --epochs 5 --lr 1e-3 --checkpoint runs/small.npz --json

Progress goes to stdout, or to stderr with ``--json`` so that stdout holds
exactly one JSON line with the results. ``--resume`` continues a run from its
checkpoint; with the same settings it ends exactly where an uninterrupted run
would.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from ..augment import AUGMENTATIONS

_RULES = ("sgd", "sgd_momentum", "nesterov", "rmsprop", "adam")


def add_arguments(parser) -> None:
    parser.add_argument("--spec", default="three_layer_convnet",
                        help="architecture in the course notation, or a ZOO name (default: %(default)s)")
    parser.add_argument("--data", type=Path, default=None,
                        help="directory holding cifar-10-batches-py (default: $CS231N_DATA_DIR or the repo's data/)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs to train in total (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=50, help="minibatch size (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: %(default)g)")
    parser.add_argument("--lr-decay", type=float, default=1.0, help="learning-rate factor per epoch (default: 1)")
    parser.add_argument("--update-rule", choices=_RULES, default="adam", help="optimizer (default: %(default)s)")
    parser.add_argument("--reg", type=float, default=0.0, help="L2 regularization strength (default: 0)")
    parser.add_argument("--weight-scale", type=float, default=None,
                        help="std of initial weights (default: He initialisation)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--augment", choices=tuple(AUGMENTATIONS), default="none",
                        help="training-time augmentation (default: %(default)s)")
    parser.add_argument("--num-train", type=int, default=None,
                        help="training images (default: all not held out for validation)")
    parser.add_argument("--num-val", type=int, default=1000, help="validation images (default: %(default)s)")
    parser.add_argument("--num-test", type=int, default=None, help="test images (default: all)")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="write a checkpoint here after every epoch (atomically)")
    parser.add_argument("--checkpoint-every", type=int, default=None,
                        help="also checkpoint every this many iterations")
    parser.add_argument("--resume", type=Path, default=None, help="continue from this checkpoint")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling, dropout (default: 0)")
    parser.add_argument("--print-every", type=int, default=100, help="iterations between loss lines")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--fused", action="store_true",
                        help="train with the fast paths that are not student work (channel-major conv and "
                             "batch norm, ReLU in place; ConvNet(fused=True)): same numbers to rounding, faster")


def run(args) -> int:
    # Imported here so that `cs231n-cnn --help` stays fast.
    from ..data import get_CIFAR10_data
    from ..models import ConvNet
    from ..solver import Solver

    if args.epochs < 0:
        raise ValueError(f"--epochs must be >= 0, got {args.epochs}")
    dtype = np.dtype(args.dtype)
    stream = sys.stderr if args.json else sys.stdout
    # Build the model first: a spec that does not fit fails before any data is read.
    model = ConvNet(args.spec, num_classes=10, weight_scale=args.weight_scale, reg=args.reg, dtype=dtype,
                    seed=args.seed, fused=args.fused)
    t0 = time.perf_counter()
    data = get_CIFAR10_data(num_training=args.num_train, num_validation=args.num_val, num_test=args.num_test,
                            dtype=dtype, root=args.data, normalize=True)
    load_seconds = time.perf_counter() - t0
    if not args.quiet:
        print(f"model: {model.architecture}", file=stream)
        print(f"parameters: {model.num_params:,}; data: {len(data['X_train']):,} train, "
              f"{len(data['X_val']):,} val, {len(data['X_test']):,} test ({load_seconds:.1f} s to load)",
              file=stream)
    solver = Solver(
        model, data, update_rule=args.update_rule, optim_config={"learning_rate": args.lr},
        lr_decay=args.lr_decay, batch_size=args.batch_size, num_epochs=args.epochs,
        checkpoint_name=args.checkpoint, checkpoint_every=args.checkpoint_every,
        print_every=args.print_every, verbose=not args.quiet, stream=stream, seed=args.seed,
        augment=None if args.augment == "none" else args.augment, resume=args.resume,
    )
    solver.train()
    test_acc = solver.check_accuracy(data["X_test"], data["y_test"]) if len(data["X_test"]) else None
    train_acc = solver.train_acc_history[-1] if solver.train_acc_history else None
    val_acc = solver.val_acc_history[-1] if solver.val_acc_history else None
    seconds = solver.loss_time_history[-1] if solver.loss_time_history else 0.0
    # Seconds and images both count the whole run, resumed parts included.
    images = solver.epoch * solver.num_train + solver._pos
    result = {
        "spec": str(model.architecture),
        "params": model.num_params,
        "epochs": solver.epoch,
        "iterations": solver.iteration,
        "train_acc": train_acc,
        "val_acc": val_acc,
        "best_val_acc": solver.best_val_acc,
        "test_acc": test_acc,
        "seconds": round(seconds, 3),
        "images_per_second": round(images / seconds, 1) if seconds > 0 else None,
        "num_train": solver.num_train,
        "dtype": args.dtype,
        "seed": args.seed,
    }
    if args.json:
        print(json.dumps(result))
    elif not args.quiet:
        test = "n/a" if test_acc is None else f"{test_acc:.4f}"
        print(f"done: {solver.epoch} epochs in {seconds:.1f} s; best val acc {solver.best_val_acc:.4f} "
              f"(parameters restored from it); test acc {test}", file=stream)
    return 0
