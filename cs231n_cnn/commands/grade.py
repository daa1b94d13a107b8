"""``cs231n-cnn grade SUBMISSION --out results.json``: grade one submission in a sandbox.

SUBMISSION is a directory or a zip laid out like the student release. The
report follows the Gradescope ``results.json`` specification. A valid report
is always written (a submission that does not import scores 0 with the
reason), and the command then exits 0; see :mod:`cs231n_cnn.grading.grader`
and the README section "Grading and its threat model".
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "grade one submission (directory or zip) in a sandbox into a Gradescope results.json"


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with ``grade-batch``: where the checks are, the sandbox and its limits."""
    parser.add_argument("--checks", type=Path, default=None, metavar="DIR",
                        help="the trusted checks directory, public and hidden (default: the checks/ next to "
                             "this package); never taken from the submission")
    parser.add_argument("--sandbox", choices=("auto", "bwrap", "user", "none"), default="auto",
                        help="how to confine the student's code: auto picks bubblewrap, else an unprivileged "
                             "user, else resource limits only (default: %(default)s)")
    parser.add_argument("--timeout-per-check", type=float, default=60.0, metavar="S",
                        help="wall-time limit of one check, seconds (default: %(default)g)")
    parser.add_argument("--memory-mb", type=int, default=4096, metavar="M",
                        help="address-space limit of the student's process, MiB (default: %(default)s)")


def limits_from_args(args, total_timeout: float | None = None):
    from ..grading.sandbox import Limits

    if args.timeout_per_check <= 0 or args.memory_mb <= 0:
        raise ValueError("--timeout-per-check and --memory-mb must be positive")
    limits = Limits(memory_mb=args.memory_mb, check_timeout=args.timeout_per_check)
    if total_timeout is not None:
        if total_timeout <= 0:
            raise ValueError(f"the total time limit must be positive, got {total_timeout:g}")
        limits.total_timeout = total_timeout
    return limits


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submission", type=Path, help="the submission: a directory or a .zip")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="where to write results.json (atomically)")
    add_limit_arguments(parser)
    parser.add_argument("--total-timeout", type=float, default=1200.0, metavar="S",
                        help="wall-time limit of the whole submission, seconds; checks not started by then "
                             "score 0 (default: %(default)g)")


def run(args) -> int:
    from ..grading.grader import grade_to_file

    limits = limits_from_args(args, args.total_timeout)
    results = grade_to_file(args.submission, args.out, checks_dir=args.checks, sandbox=args.sandbox,
                            limits=limits)
    max_score = sum(t["max_score"] for t in results["tests"])
    print(f"{args.submission}: {results['score']:g}/{max_score:g} -> {args.out}")
    return 0
