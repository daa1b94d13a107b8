"""``cs231n-cnn gradescope-bundle --out autograder.zip``: the zip Gradescope runs.

It holds ``setup.sh`` (installs Python's dependencies and bubblewrap),
``run_autograder`` (grades ``/autograder/submission`` into
``/autograder/results/results.json``), the trusted package and every check,
public and hidden. Upload it as the autograder of a programming assignment.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="ZIP", help="where to write the zip")
    parser.add_argument("--checks", type=Path, default=None, metavar="DIR",
                        help="checks directory to ship (default: the checks/ next to this package)")


def run(args) -> int:
    from ..grading.autograder.gradescope import build_bundle

    summary = build_bundle(args.out, checks_dir=args.checks)
    print(summary)
    return 0
