"""``cs231n-cnn bench``: run the benchmark suite in ``benchmarks/suite.py``.

The suite lives in the repository's ``benchmarks/`` folder (next to the
package), not in the package: it compares with baselines and optional
libraries that the package itself never imports. Arguments are passed on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..cli import CommandError

SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "suite.py"


def add_arguments(parser) -> None:
    parser.add_argument("--quick", action="store_true", help="a one-minute run (2 rounds of 1 call)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds")
    parser.add_argument("--repeats", type=int, default=None, help="calls per task per round")
    parser.add_argument("--no-torch", action="store_true", help="do not compare with PyTorch")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes, to check that it runs")


def run(args) -> int:
    if not SUITE.exists():
        raise CommandError(f"benchmark suite not found at {SUITE.name}: run from a checkout of the repository")
    cmd = [sys.executable, str(SUITE)]
    for flag in ("quick", "no_torch", "tiny"):
        if getattr(args, flag):
            cmd.append("--" + flag.replace("_", "-"))
    for opt in ("rounds", "repeats"):
        if getattr(args, opt) is not None:
            cmd += [f"--{opt}", str(getattr(args, opt))]
    return subprocess.call(cmd)
