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


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: shapes.output_size(10, 3, 1.0, 0), r"stride S must be an integer, got 1\.0 \(float\)"),
        (lambda: shapes.conv_params({"stride": "2", "pad": 1}), r"stride S must be an integer, got '2' \(str\)"),
        (lambda: shapes.check_array([[1.0, 2.0]], "x"), r"x must be a numpy array, got list"),
        (lambda: shapes.check_array(np.zeros(3, dtype=np.int64), "x"), r"x must be a floating-point array"),
        (lambda: shapes.conv_params((1, 1)), r"conv_param must be a dict"),
        (lambda: shapes.pool_params([2, 2, 2]), r"pool_param must be a dict"),
        (lambda: shapes.check_param_dict(None, "bn_param"), r"bn_param must be a dict, got NoneType"),
        (lambda: shapes.check_real("0.5", "p"), r"p must be a real number, got '0\.5' \(str\)"),
        (lambda: shapes.check_choice(1, "mode", ["train", "test"]), r"mode must be one of .*got 1 \(int\)"),
        (lambda: shapes.check_labels([0, 1], 2, 3), r"y must be a numpy array of integer class labels, got list"),
        (lambda: shapes.check_labels(np.zeros(2), 2, 3), r"y must hold integer class labels, got dtype float64"),
    ],
    ids=["float-stride", "str-stride", "list-not-array", "int-array", "tuple-conv-param", "list-pool-param",
         "none-param-dict", "str-real", "int-choice", "list-labels", "float-labels"],
)
def test_wrong_types_raise_an_error_that_is_both_type_and_value_error(call, pattern):
    with pytest.raises(shapes.ArgumentTypeError, match=pattern) as info:
        call()
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: shapes.output_size(10, 3, 0, 0),
        lambda: shapes.output_size(10, 3, 2, 0),
        lambda: shapes.check_array(np.zeros((2, 4)), "x", 3),
        lambda: shapes.check_choice("eval", "mode", ["train", "test"]),
        lambda: shapes.check_real(2.0, "p", low=0, high=1),
        lambda: shapes.check_labels(np.array([0, 5]), 2, 3),
    ],
    ids=["zero-stride", "does-not-fit", "wrong-ndim", "unknown-choice", "out-of-interval", "label-out-of-range"],
)
def test_wrong_values_stay_plain_value_errors(call):
    with pytest.raises(ValueError) as info:
        call()
    assert not isinstance(info.value, TypeError)
