"""The output-size formula and the validators every layer shares."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn import shapes


@pytest.mark.parametrize(
    "W, F, S, P, expected",
    [
        (5, 3, 1, 1, 5),     # course 1-D illustration, stride 1
        (5, 3, 2, 1, 3),     # ... stride 2
        (227, 11, 4, 0, 55),  # AlexNet conv1
        (224, 3, 1, 1, 224),  # VGG "same" conv
        (224, 2, 2, 0, 112),  # 2x2 pooling
        (13, 3, 2, 0, 6),     # overlapping pooling F=3 S=2
        (7, 7, 1, 0, 1),      # kernel as large as the input
        (1, 1, 1, 0, 1),
    ],
)
def test_output_size_follows_the_course_formula(W, F, S, P, expected):
    assert shapes.output_size(W, F, S, P) == expected
    assert (W - F + 2 * P) / S + 1 == expected  # independent arithmetic


def test_stride_3_does_not_fit_the_1d_example():
    """The notes' example W=5, F=3, P=1 with S=3 gives 2.333: an error showing the numbers."""
    with pytest.raises(ValueError, match=r"\(5 - 3 \+ 2\*1\)/3 \+ 1 = 2\.333 is not an integer \(W=5, F=3, P=1, S=3\)"):
        shapes.output_size(5, 3, 3, 1, layer="conv")


@pytest.mark.parametrize(
    "args, pattern",
    [
        ((10, 3, 0, 0), r"stride S must be positive, got .*S=0"),
        ((10, 3, 1, -2), r"pad P must be >= 0, got .*P=-2"),
        ((10, 0, 1, 0), r"filter F must be positive"),
        ((0, 1, 1, 0), r"input width W must be positive"),
        ((10, 3, True, 0), r"stride S must be an integer, got True \(bool\)"),
        ((10, 3.0, 1, 0), r"filter F must be an integer, got 3\.0 \(float\)"),
        ((4, 7, 1, 1), r"filter is larger than the padded input along the width: F=7 > W \+ 2P = 4 \+ 2\*1 = 6"),
    ],
)
def test_output_size_rejects_bad_hyperparameters(args, pattern):
    with pytest.raises(ValueError, match=pattern):
        shapes.output_size(*args)


def test_numpy_integers_are_accepted():
    assert shapes.output_size(np.int64(32), np.int32(3), np.int8(1), np.uint8(1)) == 32


def test_pool_and_conv_params():
    assert shapes.conv_params({"stride": 2, "pad": 1}) == (2, 1)
    assert shapes.pool_params({"pool_height": 3, "pool_width": 2, "stride": 2}) == (3, 2, 2)
    with pytest.raises(ValueError, match=r"pool_param is missing \['pool_width'\]"):
        shapes.pool_params({"pool_height": 2, "stride": 2})
    with pytest.raises(ValueError, match=r"conv_param must be a dict"):
        shapes.conv_params((1, 1))


def test_pool_output_shape_is_checked_on_both_axes():
    assert shapes.pool_output_shape((2, 3, 8, 6), 2, 2, 2) == (2, 3, 4, 3)
    with pytest.raises(ValueError, match=r"pool: height does not fit: .*\(7 - 2 \+ 2\*0\)/2 \+ 1 = 3\.5"):
        shapes.pool_output_shape((2, 3, 7, 6), 2, 2, 2)


def test_check_array_messages():
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 3\), got \(2, 4\)"):
        shapes.check_array(np.zeros((2, 4)), "x", shape=(None, 3))
    with pytest.raises(ValueError, match=r"got dtype bool"):
        shapes.check_array(np.zeros(3, dtype=bool), "x")
    with pytest.raises(ValueError, match=r"got dtype complex128"):
        shapes.check_array(np.zeros(3, dtype=complex), "x")


def test_check_finite():
    shapes.check_finite(np.ones(5), "x")
    a = np.ones((2, 3))
    a[1, 2] = -np.inf
    with pytest.raises(ValueError, match=r"x contains 1 non-finite value\(s\) \(first -inf at index \(1, 2\)\)"):
        shapes.check_finite(a, "x")


def test_pooling_errors_do_not_suggest_padding():
    with pytest.raises(ValueError, match=r"change the window size or the stride \(or the input size\)"):
        shapes.pool_output_shape((1, 1, 7, 7), 2, 2, 2)
    with pytest.raises(ValueError, match=r"change the stride or the zero-padding"):
        shapes.output_size(7, 2, 2, 0)
