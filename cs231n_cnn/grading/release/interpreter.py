"""Fresh interpreters for the build: a probe module run with ``python -m`` on a chosen tree.

The probes (``probe_record``, ``probe_import``, ``probe_replay``) each print
one line of JSON, their report, as the last line of their output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["run_probe", "last_line", "report_of", "print_report"]


def run_probe(probe: str, args, *, pythonpath: Path, cwd: Path, hash_seed: str) -> subprocess.CompletedProcess:
    """Run ``python -m cs231n_cnn.grading.release.<probe> ARGS`` with ``cs231n_cnn`` imported from ``pythonpath``.

    It never writes bytecode: a ``__pycache__`` in the tree would ship, and
    one next to the real ``_reference.py`` would ship the reference code.
    Each caller passes its own hash seed, so a check whose inputs depend on
    the iteration order of a set of strings shows up as a missed lookup.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("CS231N_CHECKS_DIR", "PYTHONHOME", "PYTHONPATH")}
    env.update(PYTHONPATH=str(pythonpath), OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               PYTHONHASHSEED=hash_seed)
    return subprocess.run([sys.executable, "-m", f"{__package__}.{probe}", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def last_line(text: str, default: str = "no output") -> str:
    """The last line of a probe's output (its report, or the error that stopped it)."""
    return (text.strip().splitlines() or [default])[-1]


def report_of(proc: subprocess.CompletedProcess, default: str = "no output"):
    """The JSON report a probe printed last."""
    return json.loads(last_line(proc.stdout, default))


def print_report(report) -> None:
    """What a probe does last: print its report as one line of JSON."""
    print(json.dumps(report))
