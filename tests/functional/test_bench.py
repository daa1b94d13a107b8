"""The benchmark suite runs end to end on tiny shapes (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "suite.py"


def test_suite_runs_on_tiny_shapes_and_prints_every_section():
    proc = subprocess.run([sys.executable, str(SUITE), "--tiny", "--quick", "--no-torch"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for heading in ("## Convolution", "## im2col and col2im alone", "## Pooling", "## Training step",
                    "## Memory of one conv", "## Targets"):
        assert heading in out
    assert "GEMM throughput: float32" in out
    assert "| tiny x(2, 3, 8, 8) w(4, 3, 3, 3) S1 P1 | float32 | fwdbwd |" in out
