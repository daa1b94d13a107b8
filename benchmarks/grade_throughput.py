"""Submissions per minute per core for ``cs231n-cnn grade-batch`` (a benchmark, not a test).

Builds ``--submissions`` copies of this checkout's package (the reference
solution: every check runs to the end, the slowest case; an untouched
release fails its checks fast) in a temporary directory and grades them with
``grade-batch --jobs 1`` against every check (or ``--checks DIR``), in the
sandbox mode ``auto`` picks. One grading process at a time uses one core, so
``submissions / minutes`` is the rate per core; a shard of a Slurm array (or
``--jobs J`` on J free cores) scales it. Prints one line, with the commit.

    .venv/bin/python benchmarks/grade_throughput.py --submissions 4
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=4)
    parser.add_argument("--checks", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.submissions < 1:
        parser.error(f"--submissions must be at least 1, got {args.submissions}")
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    with tempfile.TemporaryDirectory(prefix="grade-throughput-") as tmp:
        subs = Path(tmp) / "submissions"
        for i in range(args.submissions):
            shutil.copytree(REPO / "cs231n_cnn", subs / f"student-{i:03d}" / "cs231n_cnn",
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        out = Path(tmp) / "grades.csv"
        cmd = [sys.executable, "-m", "cs231n_cnn", "grade-batch", str(subs), "--out", str(out), "--jobs", "1"]
        if args.checks:
            cmd += ["--checks", str(args.checks)]
        started = time.monotonic()
        run = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
        minutes = (time.monotonic() - started) / 60
        if run.returncode != 0:
            print(run.stdout + run.stderr, file=sys.stderr)
            return run.returncode
    summary = next(line for line in run.stdout.splitlines() if line.startswith("graded "))
    rate = args.submissions / minutes
    print(f"grade-batch --jobs 1: {args.submissions} reference submissions in {minutes * 60:.0f} s = "
          f"{rate:.2f} submissions per minute per core (commit {commit}, {os.cpu_count()} cores, {summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
