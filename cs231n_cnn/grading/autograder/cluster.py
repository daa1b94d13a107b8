"""The files that spread a batch over a cluster (``cs231n-cnn cluster-files``): Slurm and Kubernetes.

For ``N`` shards it writes, from templates shipped with this package
(``templates/``):

* ``grade-array.sbatch``: a Slurm job array ``--array=0-(N-1)``, task ``I``
  running ``grade-batch --shard I/N`` into ``RESULTS/grades-I-of-N.csv``;
* ``merge.sbatch``: ``grade-merge`` of those CSVs into ``RESULTS/grades.csv``;
* ``submit.sh``: submits the array, then the merge with ``--dependency=afterok``
  (a failed shard stops the merge instead of merging an older CSV of it);
* ``grade-job.yaml``: a ReadWriteMany PersistentVolumeClaim and a Kubernetes
  Indexed Job (``completionMode: Indexed``, ``completions: N``, the shard
  from ``JOB_COMPLETION_INDEX``), its pods root with the runtime's default
  capabilities (what the grader's container mode needs);
* ``merge-job.yaml``: the Job that merges the shards on that volume.

Slurm paths are this machine's (absolute, the shared filesystem every node
sees); Kubernetes paths are the pod's (``/grading/submissions``,
``/grading/results`` on the volume). The image is the instructor's to build:
until ``image`` is given, the manifests name :data:`IMAGE_PLACEHOLDER`, which
no registry serves, so a Job applied unedited fails to pull instead of
running something else.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from importlib import resources
from pathlib import Path

from ...fileio import atomic_write_text
from .batch import batch_entries

__all__ = ["write_cluster_files", "IMAGE_PLACEHOLDER", "CLUSTER_FILES"]

#: The image name the manifests carry until the instructor names theirs (``--image``).
IMAGE_PLACEHOLDER = "REPLACE-ME.invalid/cs231n-grader-image:set-with--image"
#: file written -> (template, executable)
CLUSTER_FILES = {
    "grade-array.sbatch": ("grade-array.sbatch", True),
    "merge.sbatch": ("merge.sbatch", True),
    "submit.sh": ("submit.sh", True),
    "grade-job.yaml": ("grade-job.yaml", False),
    "merge-job.yaml": ("merge-job.yaml", False),
}
_JOB_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?")


def _template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    out = re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], text)
    return out


def write_cluster_files(out_dir, *, submissions, shards: int, results=None, python: str | None = None,
                        checks_dir=None, jobs: int = 1, timeout: float = 1500.0, memory_mb: int | None = None,
                        image: str | None = None, image_checks: str = "/opt/cs231n_cnn/checks",
                        job_name: str = "cs231n-grade",
                        storage: str = "20Gi") -> dict[str, Path]:
    """Write the Slurm script, its merge step and the Kubernetes Jobs for a batch of ``shards`` shards.

    ``submissions`` and ``results`` (default ``out_dir/results``) are the
    Slurm side's paths; ``python`` the interpreter with this package on the
    nodes (default: this one); ``checks_dir`` and ``memory_mb`` are passed
    on to ``grade-batch`` when given; ``image_checks`` is where the image
    holds the checks (the pods' ``CS231N_CHECKS_DIR``). Returns ``{file name: path}``; every
    file is written atomically.
    """
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError(f"--shards must be a whole number of at least 1, got {shards!r}")
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    if timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {timeout:g}")
    if not _JOB_NAME.fullmatch(job_name):
        raise ValueError(f"--job-name must be lowercase letters, digits and '-' (a Kubernetes name, at most "
                         f"42 characters), got {job_name!r}")
    if not image_checks.startswith("/") or any(c in image_checks for c in "\"'$`\\\n "):
        raise ValueError(f"--image-checks must be an absolute path in the image without quotes, spaces or $, "
                         f"got {image_checks!r}")
    submissions = Path(submissions).absolute()
    count = len(batch_entries(submissions))     # also: the folder must exist
    if not count:
        raise ValueError(f"no submissions (directories or .zip files) in {submissions}")
    out_dir = Path(out_dir)
    results = Path(results).absolute() if results is not None else (out_dir / "results").absolute()
    extra_slurm = extra_pod = ""
    if checks_dir is not None:
        extra_slurm += f" \\\n    --checks {shlex.quote(str(Path(checks_dir).absolute()))}"
    if memory_mb is not None:
        extra_slurm += f" --memory-mb {int(memory_mb)}"
        extra_pod += f" --memory-mb {int(memory_mb)}"
    # What a pod may use: each of its `jobs` grading processes at most memory_mb (default 2 GiB) plus the grader.
    pod_memory = jobs * int(memory_mb or 2048) + 512
    values = {
        "SHARDS": str(shards), "LAST": str(shards - 1), "JOBS": str(jobs), "TIMEOUT": f"{timeout:g}",
        "PYTHON": shlex.quote(python or sys.executable), "SUBMISSIONS": shlex.quote(str(submissions)),
        "RESULTS": shlex.quote(str(results)), "JOB_NAME": job_name, "IMAGE": image or IMAGE_PLACEHOLDER,
        "IMAGE_NOTE": (f"{image}" if image else f"{IMAGE_PLACEHOLDER} is a placeholder: replace it "
                       f"(cs231n-cnn cluster-files --image REGISTRY/NAME:TAG) with an image you build."),
        "PARALLELISM": str(shards), "BACKOFF": str(max(1, shards)), "MEMORY": str(pod_memory),
        "STORAGE": storage, "EXTRA": extra_slurm, "IMAGE_CHECKS": image_checks,
    }
    written = {}
    for name, (template, executable) in CLUSTER_FILES.items():
        vals = dict(values, EXTRA=extra_pod) if name.endswith(".yaml") else values
        path = out_dir / name
        atomic_write_text(path, _fill(_template(template), vals), mode=0o755 if executable else 0o644)
        written[name] = path
    os.makedirs(results, exist_ok=True)
    return written
