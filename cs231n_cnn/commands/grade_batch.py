"""``cs231n-cnn grade-batch DIR --out grades.csv --jobs N``: grade every submission in DIR.

Each entry of DIR (a directory or a ``.zip``) is graded by its own
``python -m cs231n_cnn grade`` process under a wall-time limit, so a
submission that hangs or crashes the grader never stops the others. Each
report goes to ``<csv stem>-results/<name>.json`` next to the CSV, with the
grading process's log beside it; the CSV (written atomically) has one row per
submission: ``submission, score, max_score, status, sandbox``, then one column
per check with its points; status is one of ok, not_importable, unreadable,
timeout, refused, error (see
:data:`cs231n_cnn.grading.autograder.batch.BATCH_STATUSES`). A count per
status is printed, not written into the CSV. The sandbox mode is settled once
for the whole batch; with no isolating mode the command stops before grading
anything (exit status 3) unless ``--sandbox none`` is given.

``--shard I/N`` grades only the entries whose ``sha256(entry name) mod N`` is
``I`` (header-only CSV when there are none) and writes ``<CSV>.shard.json``
beside the CSV for ``cs231n-cnn grade-merge`` (see
:mod:`cs231n_cnn.grading.autograder.shards`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .grade import add_limit_arguments, limits_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR",
                        help="a directory whose entries (directories or .zip files) are submissions")
    parser.add_argument("--out", type=Path, required=True, metavar="CSV", help="where to write the grades")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="submissions graded at once (default 1)")
    parser.add_argument("--timeout", type=float, default=1500.0, metavar="S",
                        help="wall-time limit per submission, seconds: the grading process is killed after it "
                             "(default: %(default)g)")
    parser.add_argument("--shard", default=None, metavar="I/N",
                        help="grade only shard I of N (0 <= I < N): the entries whose sha256(name) mod N is I; "
                             "writes <CSV>.shard.json beside the CSV for `cs231n-cnn grade-merge`")
    add_limit_arguments(parser)


def _print_mode(mode: str) -> None:
    from ..grading.sandbox import MODE_CLASSES

    lacks = MODE_CLASSES[mode].lacks if MODE_CLASSES[mode].isolating else ""
    print(f"sandbox: {mode}" + (f" (lacks next to bubblewrap: {lacks})" if lacks else ""), flush=True)


def run(args) -> int:
    import sys

    from ..grading.autograder.batch import batch_summary, grade_batch, results_dir_for
    from ..grading.autograder.report import STATUS_EXIT
    from ..grading.autograder.shards import parse_shard, sidecar_for
    from ..grading.sandbox import SandboxUnavailable

    if args.jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {args.jobs}")
    if args.timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {args.timeout:g}")
    shard = parse_shard(args.shard) if args.shard is not None else None
    limits = limits_from_args(args)
    try:
        rows = grade_batch(args.submissions, args.out, jobs=args.jobs, timeout=args.timeout,
                           checks_dir=args.checks, sandbox=args.sandbox, limits=limits, worker_python=args.python,
                           on_mode=_print_mode, shard=shard)
    except SandboxUnavailable as exc:
        print(f"error: nothing was graded: {exc}", file=sys.stderr)
        return STATUS_EXIT["grader_error"]
    where = f" of shard {shard[0]}/{shard[1]}" if shard else ""
    if not rows:
        print(f"shard {shard[0]}/{shard[1]} owns no submission: header-only CSV")
    else:
        print(f"graded {len(rows)} submissions{where} in sandbox {rows[0]['sandbox']}: {batch_summary(rows)}")
    print(f"-> {args.out} (each report and grading log in {results_dir_for(args.out)}/)")
    if shard:
        print(f"-> {sidecar_for(args.out)} (shard {shard[0]}/{shard[1]} and the batch's entry list, "
              f"for cs231n-cnn grade-merge)")
    return 0
