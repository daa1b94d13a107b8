"""``cs231n-cnn check [NAME ...] [--verbose] [--strict]``: the public checks and a scoreboard (``make check``).

Runs every public check (or those named) against the package in use, in
notebook order, printing one line per check as it finishes, then one line
such as ``12/40 public checks pass (35/120 points); next:
conv_backward_naive (notebook 02)``. ``--verbose`` adds every part of the
checks that do not pass (what ``run_check(name, verbose=True)`` prints).
Exit status 0 whatever the checks say (a student part-way through is not
an error) unless ``--strict``, then 1 when one does not pass.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="checks to run (default: every public check)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also print every part of each check that does not pass")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 if a check does not pass")
    parser.add_argument("--checks", default=None, metavar="DIR",
                        help="the checks directory (default: the checkout's checks/)")


def run(args) -> int:
    import sys

    from ..grading import InProcessStudent, load_checks, run_check_def
    from ..grading.scoreboard import check_line, order_checks, scoreboard_line
    from ..paths import find_checkout

    checks = load_checks(args.checks)
    public = [n for n, c in checks.items() if not c.hidden]
    unknown = [n for n in args.names if n not in public]
    if unknown:
        raise ValueError(f"no public check named {', '.join(unknown)}; the public checks are: {', '.join(public)}")
    checkout = find_checkout()
    ordered = order_checks(args.names or public, checkout / "notebooks" if checkout else None)
    student = InProcessStudent()
    results = []
    for name, place in ordered:
        result = run_check_def(checks[name], student)
        results.append((result, place))
        print(check_line(result, place), flush=True)
        if args.verbose and not result.passed:
            print("\n".join("    " + line for line in result.report().splitlines()[1:]), flush=True)
    print(scoreboard_line(results))
    if not args.verbose and any(not r.passed for r, _ in results):
        print("details: `make check VERBOSE=1`, or run_check(\"NAME\", verbose=True) in the notebook",
              file=sys.stderr)
    return 1 if args.strict and any(not r.passed for r, _ in results) else 0
