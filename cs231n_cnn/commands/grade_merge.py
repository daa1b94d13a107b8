"""``cs231n-cnn grade-merge CSV...|DIR --out grades.csv``: the shards of a batch, merged into one grades.csv.

The inputs are the CSVs ``grade-batch --shard I/N`` wrote (or directories
holding them), each with its ``<csv>.shard.json``. The result is the
grades.csv one ``grade-batch`` of the whole folder writes (same columns,
rows in its order). Shards that do not make one batch (one missing or given
twice, another N, another list of submissions, other check columns, a CSV
changed since it was written) stop the merge with exit status 1, naming them;
nothing is written then.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards", type=Path, nargs="+", metavar="CSV_OR_DIR",
                        help="the shards' CSVs, or directories holding them (with their .csv.shard.json)")
    parser.add_argument("--out", type=Path, required=True, metavar="CSV", help="where to write the merged grades")


def run(args) -> int:
    from ..grading.autograder.batch import batch_summary
    from ..grading.autograder.shards import merge_shards

    out = args.out.absolute()
    shards = [p for p in args.shards if p.absolute() != out]   # `grade-merge results/ --out results/grades.csv`
    rows = merge_shards(shards, out)
    print(f"merged {len(rows)} submissions: {batch_summary(rows)}")
    modes = sorted({r["sandbox"] for r in rows})
    if len(modes) > 1:
        # Shards on different machines may settle different modes; one grade-batch never mixes them.
        print(f"note: the shards were graded in different sandbox modes: {', '.join(modes)} (the sandbox column "
              f"says which, per submission)")
    print(f"-> {args.out}")
    return 0
