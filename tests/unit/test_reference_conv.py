"""The analytic conv gradients the checks use for their large cases agree with numerical gradients."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from cs231n_cnn.grading import load_checks


@pytest.fixture(scope="module")
def ref():
    load_checks()
    return importlib.import_module("_cs231n_checks._reference")


@pytest.mark.parametrize("xs, ws, stride, pad", [((2, 3, 5, 5), (2, 3, 3, 3), 1, 1),
                                                 ((2, 2, 7, 8), (3, 2, 3, 2), 2, 1),
                                                 ((1, 2, 6, 5), (2, 2, 2, 3), 3, 0)],
                         ids=["square-padded", "rectangular-strided-padded", "stride-3-unpadded"])
def test_conv_grads_match_numerical_gradients(ref, xs, ws, stride, pad):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    dout = rng.standard_normal(ref.conv(x, w, b, stride, pad).shape)
    nums = ref.numerical_grads(lambda *a: ref.conv(*a, stride, pad), [x, w, b], dout, [0, 1, 2])
    for name, got, num in zip(("dx", "dw", "db"), ref.conv_grads(x, w, dout, stride, pad), nums):
        np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-8, err_msg=name)
