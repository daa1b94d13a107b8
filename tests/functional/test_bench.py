"""The benchmarks run end to end on tiny shapes and compute what they claim (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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


def _train_nets():
    import importlib.util
    spec = importlib.util.spec_from_file_location("train_nets", SUITE.parent / "train_nets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_nets_lists_the_products_of_a_step():
    """The GEMM-floor column times exactly the products a training step computes (shapes worked out by hand)."""
    tn = _train_nets()
    # CONV3-4 on 8x8x3 (same padding): K = 3*3*3 = 27, L = 2 images * 8*8 = 128; no dx for the first layer.
    # CONV4-6 S2 P1 on 4x4x4 after POOL2: K = 4*4*4 = 64, L = 2 * 2*2 = 8; stride 2, so dx = w_rows.T @ dout_rows.
    # FC on 2x2x6 = 24 inputs, 10 outputs.
    got = tn.products("INPUT[8x8x3] -> CONV3-4 -> RELU -> POOL2 -> CONV4-6 S2 P1 -> FC", 2)
    assert [(a, b) for _name, a, b in got] == [
        ((4, 27), (27, 128)), ((27, 128), (128, 4)),
        ((6, 64), (64, 8)), ((64, 8), (8, 6)), ((64, 6), (6, 8)),
        ((2, 24), (24, 10)), ((24, 2), (2, 10)), ((2, 10), (10, 24)),
    ]
    # Stride 1 inside a net: dx as a transposed convolution, (C, F*3*3) @ (F*3*3, N*H*W).
    inner = tn.products("INPUT[4x4x4] -> CONV3-4", 2, input_gradient=True)
    assert inner[-1][1:] == ((4, 36), (36, 32))
    step, flops = tn.gemm_step("INPUT[8x8x3] -> CONV3-4 -> RELU -> POOL2 -> CONV4-6 S2 P1 -> FC", 2)
    step()
    assert flops == 2 * sum(a[0] * a[1] * b[1] for _n, a, b in got)


def test_bench_nets_runs_and_reports_every_section(tmp_path):
    tn = _train_nets()
    nets = {"T": ("INPUT[8x8x3] -> CONV3-4 -> BN -> RELU -> POOL2 -> FC", 4)}
    timings, parts, kernels, numexpr_rows, torch_version = tn.run(1, 1, use_torch=False, nets=nets,
                                                                  breakdown_steps=1)
    text = tn.report(timings, parts, kernels, numexpr_rows, torch_version, 1, 1, nets=nets)
    assert "| T | 4 |" in text and "## Where our float32 step goes" in text
    assert "PyTorch not installed" in text
    if numexpr_rows is not None:
        assert "## numexpr inside a training step" in text


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_the_winograd_experiment_computes_the_convolution(rng, pad):
    """benchmarks/winograd.py's negative result is about speed: its F(2x2, 3x3) equals the loop version."""
    import importlib.util

    from cs231n_cnn.layers import conv_forward_naive
    spec = importlib.util.spec_from_file_location("winograd", SUITE.parent / "winograd.py")
    winograd = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(winograd)
    x = rng.standard_normal((2, 3, 7, 6))        # odd height: a last, partial row of output tiles
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    ref, _ = conv_forward_naive(x, w, b, {"stride": 1, "pad": pad})
    out, _ = winograd.winograd_forward(np.ascontiguousarray(x.transpose(1, 0, 2, 3)), w, b, pad)
    assert np.max(np.abs(out.transpose(1, 0, 2, 3) - ref)) < 1e-10
