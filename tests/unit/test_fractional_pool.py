"""Fractional max pooling against loops over the regions, numerical gradients and cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.gradient_check import eval_numerical_gradient_array
from cs231n_cnn.layers import (
    fractional_max_pool_backward,
    fractional_max_pool_forward,
    fractional_pool_sequence,
    max_pool_forward_naive,
)

CASES = {
    "7x9 -> 4x6": ((2, 3, 7, 9), [0, 2, 3, 5, 7], [0, 1, 3, 5, 6, 8, 9]),
    "all steps 2 (2x2 pooling)": ((1, 2, 4, 6), [0, 2, 4], [0, 2, 4, 6]),
    "all steps 1 (identity)": ((1, 1, 3, 2), [0, 1, 2, 3], [0, 1, 2]),
}


def _loops(x, rows, cols):
    """out and the first-maximum dx of ones, region by region."""
    out = np.empty(x.shape[:2] + (len(rows) - 1, len(cols) - 1))
    for i in range(len(rows) - 1):
        for j in range(len(cols) - 1):
            out[:, :, i, j] = x[:, :, rows[i]:rows[i + 1], cols[j]:cols[j + 1]].max(axis=(2, 3))
    return out


@pytest.mark.parametrize("shape, rows, cols", CASES.values(), ids=CASES)
def test_forward_is_the_maximum_of_each_region(shape, rows, cols):
    x = np.random.default_rng(0).standard_normal(shape)
    out, _ = fractional_max_pool_forward(x, {"rows": rows, "cols": cols})
    np.testing.assert_array_equal(out, _loops(x, rows, cols))


def test_steps_of_two_are_2x2_max_pooling():
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 6))
    out, _ = fractional_max_pool_forward(x, {"rows": [0, 2, 4], "cols": [0, 2, 4, 6]})
    np.testing.assert_array_equal(out, max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})[0])


@pytest.mark.parametrize("shape, rows, cols", CASES.values(), ids=CASES)
def test_backward_matches_numerical_gradients(shape, rows, cols):
    rng = np.random.default_rng(2)
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.1   # no ties, kinks 0.1 apart
    pp = {"rows": rows, "cols": cols}
    out, cache = fractional_max_pool_forward(x, pp)
    dout = rng.standard_normal(out.shape)
    dx_num = eval_numerical_gradient_array(lambda v: fractional_max_pool_forward(v, pp)[0], x, dout)
    np.testing.assert_allclose(fractional_max_pool_backward(dout, cache), dx_num, rtol=1e-7, atol=1e-9)


def test_ties_go_to_the_first_maximum_in_row_major_order():
    # Regions [0:2, 0:2] (all 1s) and [0:2, 2:3] (1 column wide, tie in rows 0 and 1).
    x = np.array([[[[1.0, 1.0, 4.0],
                    [1.0, 1.0, 4.0]]]])
    _, cache = fractional_max_pool_forward(x, {"rows": [0, 2], "cols": [0, 2, 3]})
    dx = fractional_max_pool_backward(np.array([[[[10.0, 20.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[10.0, 0.0, 20.0], [0.0, 0.0, 0.0]])


def test_float32_stays_float32():
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 3)).astype(np.float32)
    out, cache = fractional_max_pool_forward(x, {"rows": [0, 2, 3], "cols": [0, 1, 3]})
    assert out.dtype == np.float32
    assert fractional_max_pool_backward(np.ones(out.shape, np.float32), cache).dtype == np.float32


@pytest.mark.parametrize("n_in, n_out", [(10, 7), (7, 4), (25, 18), (8, 4), (3, 2)])
@pytest.mark.parametrize("u", [0.0, 0.3, 0.5, 0.9999])
def test_the_sequence_rises_from_zero_to_n_in_in_steps_of_one_or_two(n_in, n_out, u):
    seq = fractional_pool_sequence(n_in, n_out, u)
    assert seq[0] == 0 and seq[-1] == n_in and len(seq) == n_out + 1
    assert set(np.diff(seq).tolist()) <= {1, 2}


def test_the_sequence_worked_by_hand():
    # alpha = 10/7, u = 1/2: ceil(10/7 * (i + 1/2)) - ceil(5/7) = ceil(5/7 + 10i/7) - 1
    assert fractional_pool_sequence(10, 7, 0.5).tolist() == [0, 2, 3, 4, 6, 7, 9, 10]


@pytest.mark.parametrize("pp, match", [
    ({"rows": [0, 3, 4], "cols": [0, 2]}, r"pool_param\['rows'\] must rise from 0 to H=4 in steps of 1 or 2"),
    ({"rows": [0, 2, 4], "cols": [0, 1]}, r"pool_param\['cols'\] must rise from 0 to W=2"),
    ({"rows": [0, 2, 4]}, r"keys 'rows' and 'cols'"),
    ({"rows": [0.0, 2.0, 4.0], "cols": [0, 2]}, r"1-D sequence of ints"),
])
def test_bad_regions_are_refused_with_the_rule(pp, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fractional_max_pool_forward(np.zeros((1, 1, 4, 2)), pp)


def test_a_ratio_outside_one_to_two_is_refused():
    with pytest.raises(ValueError, match=r"n_in / n_out must lie in \(1, 2\] .*, got 9 / 4 = 2.25"):
        fractional_pool_sequence(9, 4)
    with pytest.raises(ValueError, match=r"u must lie in \[0, 1\), got u=1.0"):
        fractional_pool_sequence(7, 4, u=1.0)
