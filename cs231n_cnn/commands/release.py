"""``cs231n-cnn release --out DIR [--force]``: build the student release.

Solutions in the library and the notebooks become ``NotImplementedError``
stubs, hidden checks are left out, and the tree is verified before it is
moved into place (see :mod:`cs231n_cnn.grading.release`).
``--submit-notebooks`` and ``--upload-note`` say what students upload: what
the release's ``make submit`` puts in its zip and prints after it.
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where to write the release (must not exist, be empty, or be a release with --force)")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing release at DIR (atomically: the old one stays until the new "
                             "one is verified)")
    parser.add_argument("--submit-notebooks", action="store_true",
                        help="students' `make submit` zips also hold their notebooks (default: the library only, "
                             "which is all the grader reads)")
    parser.add_argument("--upload-note", default=None, metavar="TEXT",
                        help="what `make submit` prints after writing the zip, {zip} standing for its name "
                             "(default: 'Upload {zip} to the assignment on Gradescope.')")
    parser.add_argument("--repo", type=Path, default=None, metavar="DIR",
                        help="the course repository to release (default: the checkout this package runs from)")


def run(args) -> int:
    from ..grading.release import build_release
    from ..grading.submit import DEFAULT_UPLOAD_NOTE, SubmissionSettings

    note = DEFAULT_UPLOAD_NOTE if args.upload_note is None else " ".join(args.upload_note.split())
    if not note:
        raise ValueError("--upload-note must say something, e.g. 'Upload {zip} to the assignment on Gradescope.'")
    summary = build_release(args.out, repo=args.repo, force=args.force,
                            submission=SubmissionSettings(notebooks=args.submit_notebooks, upload_note=note))
    print(summary.report())
    return 0
