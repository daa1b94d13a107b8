"""``cs231n-cnn grade SUBMISSION --out results.json``: grade one submission in a sandbox.

SUBMISSION is a directory or a zip laid out like the student release. The
report follows the Gradescope ``results.json`` specification. A valid report
is always written (a submission that does not import scores 0 with the
reason). Exit status: 0 graded (a package that does not import is graded:
0 points), 1 the submission could not be read (missing, a damaged zip, no
package), 3 not graded because no sandbox could start or the grader
failed. See :mod:`cs231n_cnn.grading.autograder` and the README section
"Grading and its threat model".
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with ``grade-batch``: where the checks are, the sandbox and its limits.

    :func:`cs231n_cnn.grading.autograder.command.grade_argv` writes them (and
    the rest of this command's options) for ``grade-batch``: keep the two in step.
    """
    parser.add_argument("--checks", type=Path, default=None, metavar="DIR",
                        help="the trusted checks directory, public and hidden (default: the checks/ next to "
                             "this package); never taken from the submission")
    parser.add_argument("--sandbox", choices=("auto", "bwrap", "user", "container", "none"), default="auto",
                        help="how to confine the student's code: auto picks bubblewrap, else (as root) a user id "
                             "of its own in private mounts, else (as root, where namespaces are refused: a "
                             "container) a user id of its own in a chroot, and refuses to grade if none works; "
                             "none runs the code unconfined and must be asked for (default: %(default)s)")
    parser.add_argument("--python", default=None, metavar="PYTHON",
                        help="interpreter for the student's process, with numpy and scipy (default: this one)")
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
    import sys

    from ..grading.autograder.grade import grade_to_file
    from ..grading.autograder.report import STATUS_EXIT

    limits = limits_from_args(args, args.total_timeout)
    results = grade_to_file(args.submission, args.out, checks_dir=args.checks, sandbox=args.sandbox,
                            limits=limits, python=args.python)
    extra = results.get("extra_data", {})
    status = extra.get("status", "grader_error")
    if status in ("unreadable", "grader_error"):
        # The report says why in its first lines after the version.
        reason = results["output"].strip().splitlines()[-1] if status == "grader_error" else next(
            (line for line in results["output"].splitlines() if line.startswith("NOT GRADED")), "not graded")
        print(f"error: {args.submission} was not graded: {reason} (report: {args.out})", file=sys.stderr)
        return STATUS_EXIT[status]
    max_score = sum(t["max_score"] for t in results["tests"])
    mode = extra.get("sandbox")
    warning = "" if extra.get("isolated") else "  NOT ISOLATED"
    lacks = extra.get("sandbox_lacks") if extra.get("isolated") else ""
    if lacks:
        warning += f"; lacks next to bubblewrap: {lacks}"
    print(f"{args.submission}: {results['score']:g}/{max_score:g} (sandbox: {mode}{warning}) -> {args.out}")
    return STATUS_EXIT[status]
