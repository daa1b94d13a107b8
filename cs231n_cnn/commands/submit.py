"""``cs231n-cnn submit [--out ZIP]``: write the zip to upload (``make submit`` in the student release).

The zip holds the checkout's ``cs231n_cnn/`` (and ``notebooks/*.ipynb`` when
the course asks for them), is checked against the grader's size limits and
written atomically; the command prints its path, its size and the course's
upload note. See :mod:`cs231n_cnn.grading.submit`.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, metavar="ZIP",
                        help="where to write the zip (default: submission.zip at the top of the checkout)")


def run(args) -> int:
    from ..grading.submit import write_submission
    from ..paths import checkout_root

    written = write_submission(checkout_root("cs231n-cnn submit"), args.out)
    print("\n".join(written.report()))
    return 0
