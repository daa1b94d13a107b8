"""``cs231n-cnn release --out DIR [--force]``: build the student release.

Solutions in the library and the notebooks become ``NotImplementedError``
stubs, hidden checks are left out, and the tree is verified before it is
moved into place (see :mod:`cs231n_cnn.grading.release`).
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where to write the release (must not exist, be empty, or be a release with --force)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing release at DIR (atomically: the old one stays until the new "
                             "one is verified)")
    parser.add_argument("--repo", type=Path, default=None, metavar="DIR",
                        help="the course repository to release (default: the checkout this package runs from)")


def run(args) -> int:
    from ..grading.release import build_release

    summary = build_release(args.out, repo=args.repo, force=args.force)
    print(summary.report())
    return 0
