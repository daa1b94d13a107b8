"""tests/cluster runs only when asked for (make test-cluster sets CS231N_CLUSTER_TESTS=1), never in make test.

It starts Slurm daemons as root and grades a batch twice: minutes, not a unit test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if os.environ.get("CS231N_CLUSTER_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]

# The grader tests' fixture builders (reference, untouched release, zips) are shared, not copied.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional"))
