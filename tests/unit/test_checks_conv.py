"""checks/conv.py (conv layers (naive, im2col/col2im, fast)): its checks fail on planted bugs.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

import importlib

from check_cases import check_tests, planted

import cs231n_cnn.layers as L
import cs231n_cnn.layers.conv as conv
from cs231n_cnn.grading import load_checks, run_checks

PLANTED = [
    ("conv-dx-unflipped", "conv_backward_fast",
     "stride 1, pad 1, more channels than filters (dx as a transposed convolution): dx",
     [(L, "conv_backward_fast", planted(conv, "conv_backward_fast", "w[:, :, ::-1, ::-1]", "w"))], "dx"),
]


globals().update(check_tests("conv", planted=PLANTED))


def test_only_the_new_conv_case_takes_the_transposed_convolution_path(monkeypatch):
    load_checks()
    checks_conv = importlib.import_module("_cs231n_checks.conv")
    _, xs, ws, s, p = checks_conv.DX_AS_CONVOLUTION_CASE
    assert conv._dx_as_convolution(xs, ws, s, p)
    assert not any(conv._dx_as_convolution(xs, ws, s, p) for _, xs, ws, s, p in checks_conv.BACKWARD_CASES)
    # So unflipped filters on that path lose exactly that case's dx.
    monkeypatch.setattr(L, "conv_backward_fast", planted(conv, "conv_backward_fast", "w[:, :, ::-1, ::-1]", "w"))
    (result,) = run_checks(["conv_backward_fast"])
    assert [p.label for p in result.parts if not p.passed] == [checks_conv.DX_AS_CONVOLUTION_CASE[0] + ": dx"]
