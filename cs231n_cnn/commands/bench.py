"""``cs231n-cnn bench``: run the benchmark suite in ``benchmarks/suite.py``.

The suite lives in the repository's ``benchmarks/`` folder (next to the
package), not in the package: it compares with baselines and optional
libraries that the package itself never imports. Arguments are passed on.
A package installed on its own has no suite: the command then says that it
needs a checkout (:func:`cs231n_cnn.paths.checkout_root`). The student
release does not ship ``benchmarks/`` either (it measures the reference
solution, which students write themselves): there the command says so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..grading.release.layout import MANIFEST
from ..paths import checkout_root
from .errors import CommandError

SUITE = Path("benchmarks", "suite.py")  # in the checkout


def add_arguments(parser) -> None:
    parser.add_argument("--quick", action="store_true", help="a one-minute run (2 rounds of 1 call)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds")
    parser.add_argument("--repeats", type=int, default=None, help="calls per task per round")
    parser.add_argument("--no-torch", action="store_true", help="do not compare with PyTorch")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes, to check that it runs")


def run(args) -> int:
    root = checkout_root(f"the benchmark suite ({SUITE.as_posix()})")
    suite = root / SUITE
    if (root / MANIFEST).is_file() and not suite.is_file():
        raise CommandError(f"the benchmark suite ({SUITE.parent.as_posix()}/) is not part of the student release "
                           f"in {root}; it is run in a checkout of the course repository")
    if not suite.is_file():
        raise CommandError(f"benchmark suite not found at {suite}: this checkout has no {SUITE.as_posix()}")
    cmd = [sys.executable, str(suite)]
    for flag in ("quick", "no_torch", "tiny"):
        if getattr(args, flag):
            cmd.append("--" + flag.replace("_", "-"))
    for opt in ("rounds", "repeats"):
        if getattr(args, opt) is not None:
            cmd += [f"--{opt}", str(getattr(args, opt))]
    return subprocess.call(cmd)
