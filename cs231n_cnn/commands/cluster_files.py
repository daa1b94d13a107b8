"""``cs231n-cnn cluster-files --submissions DIR --shards N --out DIR``: Slurm and Kubernetes files for a batch.

Writes, into ``--out``: ``grade-array.sbatch`` (a job array of N tasks, each
``grade-batch --shard I/N``), ``merge.sbatch`` (``grade-merge`` into
``grades.csv``), ``submit.sh`` (the array, then the merge once every task
succeeded), ``grade-job.yaml`` (a Kubernetes Indexed Job of N completions and
its ReadWriteMany volume) and ``merge-job.yaml``. See
:mod:`cs231n_cnn.grading.autograder.cluster`.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--submissions", type=Path, required=True, metavar="DIR",
                        help="the submissions folder, as every Slurm node sees it (a shared filesystem)")
    parser.add_argument("--shards", type=int, required=True, metavar="N", help="how many shards (array tasks, pods)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write the files")
    parser.add_argument("--results", type=Path, default=None, metavar="DIR",
                        help="where the Slurm tasks write their CSVs and logs (default: OUT/results)")
    parser.add_argument("--jobs", type=int, default=1, metavar="J",
                        help="submissions graded at once in each shard (its CPUs; default 1)")
    parser.add_argument("--timeout", type=float, default=1500.0, metavar="S",
                        help="wall-time limit per submission, seconds (default: %(default)g)")
    parser.add_argument("--memory-mb", type=int, default=None, metavar="MB",
                        help="memory limit per submission, passed to grade-batch")
    parser.add_argument("--checks", type=Path, default=None, metavar="DIR",
                        help="checks directory for the Slurm tasks (default: the one next to the package)")
    parser.add_argument("--python", default=None, metavar="PATH",
                        help="the Python with this package on the Slurm nodes (default: this one)")
    parser.add_argument("--image", default=None, metavar="IMAGE",
                        help="the grader image the Kubernetes pods run (default: a placeholder to replace)")
    parser.add_argument("--image-checks", default="/opt/cs231n_cnn/checks", metavar="PATH",
                        help="where the image holds the course's checks/, hidden ones included "
                             "(default: %(default)s)")
    parser.add_argument("--job-name", default="cs231n-grade", metavar="NAME",
                        help="Slurm job and Kubernetes object name (default: %(default)s)")


def run(args) -> int:
    from ..grading.autograder.cluster import IMAGE_PLACEHOLDER, write_cluster_files

    written = write_cluster_files(args.out, submissions=args.submissions, shards=args.shards, results=args.results,
                                  python=args.python, checks_dir=args.checks, jobs=args.jobs, timeout=args.timeout,
                                  memory_mb=args.memory_mb, image=args.image, image_checks=args.image_checks,
                                  job_name=args.job_name)
    for path in written.values():
        print(f"-> {path}")
    print(f"Slurm: {written['submit.sh']} (an array of {args.shards} tasks, then the merge into grades.csv)")
    print(f"Kubernetes: kubectl apply -f {written['grade-job.yaml']}, then, once complete, "
          f"kubectl apply -f {written['merge-job.yaml']}")
    if args.image is None:
        print(f"the manifests name the image {IMAGE_PLACEHOLDER}: replace it with your grader image (--image)")
    return 0
