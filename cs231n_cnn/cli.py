"""The ``cs231n-cnn`` command line.

Each subcommand lives in ``cs231n_cnn/commands/<name>.py`` and provides
``add_arguments(parser)`` and ``run(args) -> int``; its one-line help is in
:data:`COMMANDS` here, the only place it is written. Modules are imported
only when their subcommand runs, so ``--help`` stays fast and a broken
optional dependency of one command cannot break the rest.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .commands.errors import EXIT_INTERRUPTED, EXIT_USAGE, CommandError, UsageError

# name -> (module in commands/, one-line help). The help lives here, not in the modules, so `--help` imports none.
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("data", "download CIFAR-10 (verified, resumable) and show what is present"),
    "describe": ("describe", "sizes, parameters, memory and receptive fields of an architecture spec or a ZOO name"),
    "bench": ("bench", "benchmark the fast layers against baselines and PyTorch (benchmarks/suite.py)"),
    "train": ("train", "train a ConvNet from a spec on CIFAR-10, with checkpoints and exact resume"),
    "check": ("check", "run the public checks against your code: one line each, in notebook order, and a scoreboard"),
    "submit": ("submit", "write the zip to upload (the library, and the notebooks if the course asks), size-checked"),
    "release": ("release", "build the student release: solutions stubbed, hidden checks left out, verified"),
    "grade": ("grade", "grade one submission (directory or zip) in a sandbox into a Gradescope results.json"),
    "grade-batch": ("grade_batch", "grade every submission in a directory, in parallel, into a CSV"),
    "grade-merge": ("grade_merge", "merge the CSVs of grade-batch --shard I/N into one grades.csv, checked"),
    "cluster-files": ("cluster_files", "write a Slurm job-array script and a Kubernetes Indexed Job for a batch"),
    "gradescope-bundle": ("gradescope_bundle", "build the Gradescope autograder zip (setup.sh, run_autograder)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cs231n-cnn",
        description="ConvNets in NumPy for teaching: layers, architecture calculator, training and grading.",
    )
    parser.add_argument("--version", action="version", version=f"cs231n-cnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, add_help=False)
        p.set_defaults(_module=module)
        # Arguments are added lazily in main() for the chosen command only.
    return parser


#: Exit status when the reader of stdout went away (``cs231n-cnn describe vgg16 | head -5``): 128 + SIGPIPE,
#: what a shell reports for a command killed by the broken pipe.
EXIT_BROKEN_PIPE = 141


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Every command is covered for a closed stdout: its output is cut short
    silently (no BrokenPipeError traceback) and the status is
    :data:`EXIT_BROKEN_PIPE`.
    """
    try:
        code = _main(argv)
        sys.stdout.flush()          # inside the try: what is still buffered may hit the closed pipe too
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at interpreter exit cannot fail again (the Python docs' recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):   # stdout without a file descriptor (captured by a test)
        pass


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # First pass: find the subcommand without failing on its (not yet known) options.
    args, _ = parser.parse_known_args(argv)
    if getattr(args, "command", None) is None:
        parser.print_help()
        return 0
    module = importlib.import_module(f".commands.{COMMANDS[args.command][0]}", __package__)
    sub = argparse.ArgumentParser(prog=f"cs231n-cnn {args.command}", description=COMMANDS[args.command][1])
    module.add_arguments(sub)
    sub_args = sub.parse_args(argv[argv.index(args.command) + 1:])
    try:
        return int(module.run(sub_args) or 0)
    except UsageError as exc:
        print(f"cs231n-cnn {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (CommandError, ValueError, FileNotFoundError) as exc:
        print(f"cs231n-cnn {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"cs231n-cnn {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
