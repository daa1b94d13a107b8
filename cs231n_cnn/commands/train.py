"""``cs231n-cnn train``: train a ConvNet given in the layer-pattern notation on CIFAR-10.

Example::

    cs231n-cnn train --spec "INPUT[32x32x3] -> [CONV3-32 -> RELU]*2 -> POOL -> FC" \\
        --epochs 5 --lr 1e-3 --checkpoint runs/small.npz --json

Progress goes to stdout, or to stderr with ``--json`` so that stdout holds
exactly one JSON line with the results. ``--resume`` continues a run from its
checkpoint; with the same settings it ends exactly where an uninterrupted run
would. The checkpoint records the model (spec, dtype, reg, fused), so
``--resume`` needs no ``--spec``; a ``--spec`` (or ``--dtype``, ``--reg``,
``--fused``) that contradicts it is refused.

Ctrl-C (SIGINT) ends a run with exit status 130 and one message on stderr:
which checkpoint was kept and the exact command that resumes from it, or
that nothing was kept. A checkpoint being written at that moment is either
complete or not there (:func:`cs231n_cnn.fileio.atomic_path`).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from ..augment import AUGMENTATIONS
from .errors import EXIT_INTERRUPTED, UsageError

_RULES = ("sgd", "sgd_momentum", "nesterov", "rmsprop", "adam")
NUM_CLASSES = 10

# The model's settings: these defaults for a fresh run; a resumed run takes them from its checkpoint
# (ConvNet.get_config), so their options default to None ("not given").
MODEL_DEFAULTS = {"spec": "three_layer_convnet", "dtype": "float32", "reg": 0.0, "fused": False}
# Options whose values a resumed run takes from the checkpoint whatever the command line says (initial
# weights, their seed, the learning rate after its decay): left out of the resume command.
RESTORED_FROM_CHECKPOINT = ("lr", "weight_scale", "seed")


def add_arguments(parser) -> None:
    parser.add_argument("--spec", default=None,
                        help="architecture in the course notation, or a ZOO name (default: three_layer_convnet; "
                             "with --resume: the checkpoint's)")
    parser.add_argument("--data", type=Path, default=None,
                        help="directory holding cifar-10-batches-py (default: $CS231N_DATA_DIR or the repo's data/)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs to train in total (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=50, help="minibatch size (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: %(default)g)")
    parser.add_argument("--lr-decay", type=float, default=1.0, help="learning-rate factor per epoch (default: 1)")
    parser.add_argument("--update-rule", choices=_RULES, default="adam", help="optimizer (default: %(default)s)")
    parser.add_argument("--reg", type=float, default=None,
                        help="L2 regularization strength (default: 0; with --resume: the checkpoint's)")
    parser.add_argument("--weight-scale", type=float, default=None,
                        help="std of initial weights (default: He initialisation)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default=None,
                        help="(default: float32; with --resume: the checkpoint's)")
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
    parser.add_argument("--resume", type=Path, default=None,
                        help="continue from this checkpoint (its model: no --spec needed); Ctrl-C prints the "
                             "command that resumes an interrupted run")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling, dropout (default: 0)")
    parser.add_argument("--print-every", type=int, default=100, help="iterations between loss lines")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--fused", action="store_true", default=None,
                        help="train with the fast paths that are not student work (channel-major conv and "
                             "batch norm, ReLU in place; ConvNet(fused=True)): same numbers to rounding, faster "
                             "(with --resume: as the checkpoint says)")


def run(args) -> int:
    if args.epochs < 0:
        raise ValueError(f"--epochs must be >= 0, got {args.epochs}")
    # A --resume file is checked first: a typo costs a second, not the minutes of loading CIFAR-10.
    info = _resume_info(args.resume) if args.resume is not None else None
    settings = _model_settings(args, info)

    # Imported here so that `cs231n-cnn --help` stays fast.
    from ..data import get_CIFAR10_data
    from ..models import ConvNet
    from ..solver import Solver

    dtype = np.dtype(settings["dtype"])
    stream = sys.stderr if args.json else sys.stdout
    solver = None
    try:
        # Build the model first: a spec that does not fit fails before any data is read.
        model = ConvNet(settings["spec"], num_classes=NUM_CLASSES, weight_scale=args.weight_scale,
                        reg=settings["reg"], dtype=dtype, seed=args.seed, fused=settings["fused"])
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
    except KeyboardInterrupt:
        print(interrupted_message(args, solver, info), file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
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
        "dtype": dtype.name,
        "seed": args.seed,
    }
    if args.json:
        print(json.dumps(result))
    elif not args.quiet:
        test = "n/a" if test_acc is None else f"{test_acc:.4f}"
        print(f"done: {solver.epoch} epochs in {seconds:.1f} s; best val acc {solver.best_val_acc:.4f} "
              f"(parameters restored from it); test acc {test}", file=stream)
    return 0


def _resume_info(path: Path) -> dict:
    """What the ``--resume`` file holds besides its arrays; :class:`UsageError` if it is missing or no checkpoint."""
    if not path.exists():
        raise UsageError(f"--resume {path}: no such file")
    from ..solver import NotACheckpoint, checkpoint_info

    try:
        return checkpoint_info(path)
    except NotACheckpoint as exc:
        raise UsageError(f"--resume: {exc}") from None
    except OSError as exc:   # unreadable: permissions, I/O errors
        raise UsageError(f"--resume {path}: {exc.strerror or exc}") from None


def _model_settings(args, info: dict | None) -> dict:
    """``spec``, ``dtype``, ``reg``, ``fused`` of the model to build: the command line's, or the checkpoint's.

    An option given next to ``--resume`` must agree with the checkpoint
    (the spec compared in its written-out form, so a ZOO name matches its
    spec); a checkpoint from before checkpoints recorded the model needs
    ``--spec``.
    """
    given = {key: getattr(args, key) for key in MODEL_DEFAULTS}
    config = None if info is None else info["model_config"]
    if config is None:
        if info is not None and args.spec is None:
            raise UsageError(f"--resume {args.resume} does not record its model (it was written by an older "
                             f"cs231n-cnn): give the --spec it was trained with (and --dtype, --reg and --fused "
                             f"if that run had them)")
        return {key: MODEL_DEFAULTS[key] if value is None else value for key, value in given.items()}
    if not isinstance(config, dict) or config.get("model") != "ConvNet" or not set(MODEL_DEFAULTS) <= set(config):
        raise UsageError(f"--resume {args.resume} holds a model `cs231n-cnn train` does not build "
                         f"({config.get('model') if isinstance(config, dict) else config!r}); resume it "
                         f"with the Solver in Python")
    stored = {key: config[key] for key in MODEL_DEFAULTS}
    for key, value in given.items():
        if value is None:
            continue
        mine = _written_out(value) if key == "spec" else value
        if mine != stored[key]:
            shown = f"{value!r}" + (f" (= {mine!r})" if mine != value else "")
            raise UsageError(f"--{key} {shown} contradicts --resume {args.resume}, which holds a model with "
                             f"{key} {stored[key]!r}; leave --{key} out to resume it")
    return stored


def _written_out(spec: str) -> str:
    """``spec`` (a ZOO name or the course notation) as ``ConvNet.get_config`` writes it."""
    from ..architecture import ZOO, Architecture, lookup, parse

    name = lookup(spec)
    arch = ZOO[name] if name is not None else spec
    return str(arch if isinstance(arch, Architecture) else parse(arch, num_classes=NUM_CLASSES))


def _checkpoint_file(name) -> str:
    """The file the Solver writes for ``--checkpoint name`` (``.npz`` appended if missing)."""
    path = os.fspath(name)
    return path if path.endswith(".npz") else path + ".npz"


def interrupted_message(args, solver, info: dict | None) -> str:
    """What Ctrl-C left behind: the checkpoint kept and the command that resumes it, or that nothing was kept.

    ``solver`` is None if the run was interrupted before training started;
    ``info`` is :func:`~cs231n_cnn.solver.checkpoint_info` of ``--resume``.
    The resume command, when there is one, is the last line, indented.
    """
    head = "cs231n-cnn train: interrupted"
    if solver is None:
        head += " before training started"
    elif solver.epoch < solver.num_epochs:
        head += f" in iteration {solver.iteration + 1} of {solver.num_epochs * solver.iterations_per_epoch}"
    else:
        head += " after training, while testing"
    kept = solver.last_checkpoint if solver is not None else None
    if kept is not None:
        return (f"{head}; kept {kept['path']} (iteration {kept['iteration']}, {kept['epoch']} of "
                f"{args.epochs} epochs done). Resume with:\n  "
                + resume_command(args, kept["path"], model_in_checkpoint=True))
    if args.resume is not None:
        return (f"{head}; nothing new was kept: {args.resume} still holds iteration {info['iteration']}, where "
                f"this run started. Resume with:\n  "
                + resume_command(args, args.resume, model_in_checkpoint=info["model_config"] is not None))
    if args.checkpoint is None:
        return (f"{head}; nothing was kept: no --checkpoint was given "
                f"(with --checkpoint FILE, a run keeps its state after every epoch)")
    every = f" and every {args.checkpoint_every} iterations" if args.checkpoint_every else ""
    return (f"{head}; nothing of this run was kept: it stopped before its first checkpoint "
            f"({_checkpoint_file(args.checkpoint)} is written after every epoch{every})")


def resume_command(args, checkpoint, *, model_in_checkpoint: bool) -> str:
    """The shell command that continues this run from ``checkpoint``, quoted for a POSIX shell.

    It repeats every option given on the command line that a resumed run
    needs (data, epochs, batch size, ...), in the order of ``--help``, and
    leaves out what the checkpoint restores: the model's settings (when the
    checkpoint records them) and :data:`RESTORED_FROM_CHECKPOINT`.
    """
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    skip = {"resume", *RESTORED_FROM_CHECKPOINT, *(MODEL_DEFAULTS if model_in_checkpoint else ())}
    words = [*_program(), "train", "--resume", os.fspath(checkpoint)]
    for dest, value in vars(args).items():
        if dest in skip or dest.startswith("_") or value is None or value == parser.get_default(dest):
            continue
        flag = "--" + dest.replace("_", "-")
        if isinstance(value, bool):       # a store_true flag
            words.append(flag)
        else:
            words += [flag, os.fspath(value) if isinstance(value, Path) else str(value)]
    return " ".join(shlex.quote(word) for word in words)


def _program() -> list[str]:
    """How this command was started: ``python -m cs231n_cnn``, or else (console script, a test) ``cs231n-cnn``."""
    main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if getattr(main_spec, "name", None) == f"{__package__.rpartition('.')[0]}.__main__":
        return [sys.executable, "-m", main_spec.name.rpartition(".")[0]]
    return ["cs231n-cnn"]
