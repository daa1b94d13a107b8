"""What a failing check tells the student.

Each pattern a comparison recognises is planted in an array and fed to
``Tester.assert_close`` (or ``assert_array``); the message must name the
pattern and the worst element. A few planted bugs go through real checks
end to end, the traceback of the student's own code is checked with a
throwaway package on ``sys.path``, and the report says which part failed
first and which parts only follow from it.
"""

from __future__ import annotations

import sys
import textwrap
import uuid

import numpy as np
import pytest

import cs231n_cnn.layers as L
from cs231n_cnn.grading import CheckFailure, InProcessStudent, StudentError, Tester, run_checks
from cs231n_cnn.grading.framework import CheckResult, PartResult

REAL = {name: getattr(L, name) for name in ("conv_forward_naive", "conv_backward_naive", "softmax_loss")}


def _failure(got, expected, *, tol=1e-7, name="out", atol=0.0) -> str:
    with pytest.raises(CheckFailure) as info:
        Tester(None, 0).assert_close(got, expected, tol=tol, name=name, atol=atol)
    return str(info.value)


@pytest.fixture
def expected(rng):
    return rng.standard_normal((2, 3, 4, 5))


# ------------------------------------------------------------------ patterns in a wrong array

@pytest.mark.parametrize("factor, words", [
    (0.5, "dw is 0.5x the expected values (a missing factor of 2?)"),
    (4.0, "dw is 4x the expected values (an extra factor of 4?)"),
    (-1.0, "dw is -1x the expected values: the sign is flipped"),
    (0.9, "dw is 0.9x the expected values"),
], ids=["half", "four-times", "sign", "0.9"])
def test_a_constant_factor_is_named_with_the_worst_element(expected, factor, words):
    msg = _failure(factor * expected, expected, name="dw")
    headline, *details = msg.split("\n")
    assert headline == words
    idx = np.unravel_index(np.argmax(np.abs(factor * expected - expected)
                                     / (np.abs(factor * expected) + np.abs(expected))), expected.shape)
    assert details[0].startswith(f"worst: dw[{', '.join(map(str, idx))}] = ")
    assert details[-1].startswith("dw: max relative error ")


def test_a_factor_equal_to_a_named_size_says_which_size(expected):
    with pytest.raises(CheckFailure) as info:
        Tester(None, 0).assert_close(expected / 6, expected, name="dx", factors={"N, the batch size": 6})
    assert str(info.value).split("\n")[0] == "dx is 0.1667x the expected values (a missing factor of 6 = N, the batch size?)"
    with pytest.raises(CheckFailure) as info:
        Tester(None, 0).assert_close(expected * 2.5, expected, name="dx", factors={"p, the keep probability": 2.5})
    assert str(info.value).split("\n")[0] == "dx is 2.5x the expected values (an extra factor of 2.5 = p, the keep probability?)"


def test_values_in_other_places_that_no_axis_swap_gives(expected):
    # NCHW reshaped to (-1, C) without moving C last: every value is there, most in the wrong place.
    got = expected.reshape(-1, 3).T.reshape(expected.shape)
    headline = _failure(got, expected).split("\n")[0]
    assert headline.startswith("out holds the expected values, but ")
    assert "a reshape where a transpose was needed" in headline


def test_one_offset_per_filter_is_a_missing_bias(expected, rng):
    b = rng.standard_normal(3)
    headline = _failure(expected - b[None, :, None, None], expected).split("\n")[0]
    assert headline.startswith("out - expected is one constant for each index i along axis 1 (")
    assert f"{-b[0]:.4g}" in headline and "a bias is left out or added along the wrong axis" in headline
    assert _failure(expected + 0.25, expected).split("\n")[0].startswith("out is the expected values plus 0.25 everywhere")


def test_the_step_of_an_update_is_tested_for_sign_and_factor(rng):
    w, step = rng.standard_normal((3, 4)), 0.01 * rng.standard_normal((3, 4))
    t = Tester(None, 0)
    for got, words in [(w - step, "the step next_w - w is -1x the expected step: the sign is flipped"),
                       (w + 2 * step, "the step next_w - w is 2x the expected step (an extra factor of 2?)"),
                       (w, "the step next_w - w is zero: next_w equals w (the update was not applied?)")]:
        with pytest.raises(CheckFailure) as info:
            t.assert_close(got, w + step, tol=1e-10, name="next_w", step_from=("w", w))
        assert str(info.value).split("\n")[0] == words


def test_a_gradient_that_keeps_its_padding_says_so_instead_of_the_output_size_formula(rng):
    msg = _failure(rng.standard_normal((2, 3, 7, 9)), rng.standard_normal((2, 3, 5, 7)), name="dx")
    assert msg.split("\n") == ["dx has shape (2, 3, 7, 9), expected (2, 3, 5, 7): dx still has the padding "
                               "(2 = 2 * pad more rows and columns)",
                               "return the padded gradient without its border: dx_padded[:, :, 1:-1, 1:-1]"]


def test_a_known_mistake_is_named_only_when_it_is_told_apart(expected):
    wrong = expected * 1.5
    mistakes = {"multiplied by 1.5\nfix: do not": wrong, "the same values, give or take\nfix: x": wrong + 1e-12,
                "something else\nfix: y": expected + 1}
    t = Tester(None, 0)
    with pytest.raises(CheckFailure) as info:
        t.assert_close(wrong, expected, name="out", mistakes=lambda: {"multiplied by 1.5\nfix: do not": wrong,
                                                                     "something else\nfix: y": expected + 1})
    assert str(info.value).split("\n")[:2] == ["out: multiplied by 1.5", "fix: do not"]
    # Two variants within 100x the tolerance of each other: neither is named; the usual message stands.
    with pytest.raises(CheckFailure) as info:
        t.assert_close(wrong, expected, name="out", mistakes=lambda: mistakes)
    assert str(info.value).split("\n")[0] == "out is 1.5x the expected values"
    # Computed only for a failed comparison.
    t.assert_close(expected, expected, name="out", mistakes=lambda: 1 / 0)


def test_a_single_number_is_called_a_multiple_only_for_a_simple_factor():
    assert _failure(4 * 1.25, 1.25, name="loss").split("\n")[:2] == [
        "loss is 4x the expected value (an extra factor of 4?)", "loss = 5, expected 1.25"]
    assert _failure(1.3, 1.25, name="loss").split("\n")[0] == "loss = 1.3, expected 1.25"


def test_a_transposed_square_matrix(rng):
    e = rng.standard_normal((4, 4))
    msg = _failure(e.T.copy(), e, name="dw")
    assert msg.split("\n")[0] == "dw is transposed: it equals the expected dw.T"
    assert "worst: dw[" in msg


def test_swapped_axes_of_a_4d_array(rng):
    e = rng.standard_normal((2, 3, 4, 4))
    msg = _failure(np.swapaxes(e, 2, 3).copy(), e)
    assert msg.split("\n")[0] == "out has axes 2 and 3 swapped (compared with the expected values)"
    assert "worst: out[" in msg


def test_a_transposed_result_of_the_wrong_shape(rng):
    e = rng.standard_normal((3, 5))
    msg = _failure(e.T.copy(), e, name="dw")
    assert msg.split("\n") == ["dw has shape (5, 3), expected (3, 5)",
                               "it holds the expected values with the axes in the order (1, 0): transposed?"]


@pytest.mark.parametrize("shift", [1, -1])
def test_values_shifted_by_one_along_an_axis(expected, shift):
    got = np.zeros_like(expected)
    if shift > 0:
        got[:, :, :, 1:] = expected[:, :, :, :-1]
        where = "out[:, :, :, i + 1] holds the expected out[:, :, :, i]"
    else:
        got[:, :, :, :-1] = expected[:, :, :, 1:]
        where = "out[:, :, :, i] holds the expected out[:, :, :, i + 1]"
    headline, hint, *details = _failure(got, expected).split("\n")
    assert headline == f"out is shifted by 1 along axis 3: {where}"
    assert "off-by-one" in hint and details[0].startswith("worst: out[")


@pytest.mark.parametrize("bad, kind", [(np.nan, "NaN"), (np.inf, "inf")])
def test_nan_or_inf_says_how_many_and_where(expected, bad, kind):
    got = expected.copy()
    got[1, 2, 0, 3] = got[1, 2, 3, 4] = bad
    headline, first, hint = _failure(got, expected, name="dx").split("\n")
    assert headline == f"dx contains {kind} at 2 of 120 elements"
    assert first == f"first: dx[1, 2, 0, 3] = {bad}, expected {expected[1, 2, 0, 3]:.4g}"
    assert kind in hint


def test_all_zeros_says_not_implemented_or_not_accumulated(expected):
    headline, *details = _failure(np.zeros_like(expected), expected).split("\n")
    assert headline == "out is all zeros (not implemented yet, or never written or accumulated?)"
    assert details[0].startswith("worst: out[")


def test_zeros_at_the_border_are_located(expected):
    got = expected.copy()
    got[..., 4] = 0
    headline, *details = _failure(got, expected, name="dx").split("\n")
    assert headline.startswith("dx[") and ", 4] = 0, expected " in headline
    assert headline.endswith(" (24 of 120 elements wrong)")
    assert "every wrong element of dx is 0: values never written there, or not accumulated?" in details
    assert "the wrong elements all have index 4 along axis 3 (of size 5) (at the border: padding?)" in details


def test_no_pattern_names_the_worst_element_and_the_count(expected):
    got = expected.copy()
    got[1, 0, 2, 3] += 5.0
    headline, *details = _failure(got, expected).split("\n")
    assert headline == f"out[1, 0, 2, 3] = {got[1, 0, 2, 3]:.4g}, expected {expected[1, 0, 2, 3]:.4g} " \
                       f"(1 of 120 elements wrong)"
    assert details[-1].startswith("out: max relative error ") and details[-1].endswith(" > 1e-07")


def test_close_numbers_get_enough_digits_to_differ():
    headline = _failure(np.array([0.0952640061]), np.array([0.0952640170]), tol=1e-10, name="next_w")
    assert headline.startswith("next_w[0] = 0.095264006, expected 0.095264017")


def test_the_tolerance_is_unchanged(expected):
    err = 1e-8
    got = expected * (1 + 2 * err)          # relative error ~ err
    assert Tester(None, 0).assert_close(got, expected, tol=1e-7) < 1e-7
    _failure(got, expected, tol=1e-9)


# ------------------------------------------------------------------ shape and dtype

def test_a_conv_like_shape_gets_the_output_size_formula(expected):
    msg = _failure(expected[:, :, :3, :4].copy(), expected)
    assert msg.split("\n") == ["out has shape (2, 3, 3, 4), expected (2, 3, 4, 5)",
                               "for a convolution or pooling layer the output size is "
                               "H_out = (H + 2*P - HH) // S + 1 and W_out = (W + 2*P - WW) // S + 1"]


def test_right_values_in_the_wrong_shape(expected):
    msg = _failure(expected.reshape(2, -1), expected, name="dx")
    assert msg.split("\n") == ["dx has shape (2, 60), expected (2, 3, 4, 5)", "dx is 2-D; expected 4-D",
                               "it holds the right values in the wrong shape: return dx.reshape((2, 3, 4, 5))"]


def test_a_float64_result_for_float32_inputs():
    with pytest.raises(CheckFailure) as info:
        Tester(None, 0).assert_array(np.zeros(3), dtype=np.float32, name="out")
    headline, hint = str(info.value).split("\n")
    assert headline == "out has dtype float64, expected float32"
    assert "dtype=x.dtype" in hint and "np.zeros_like(x)" in hint


def test_assert_equal_names_the_first_difference():
    with pytest.raises(CheckFailure) as info:
        Tester(None, 0).assert_equal(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 5]]), name="mask")
    assert str(info.value).split("\n") == ["mask differs from the expected values at 1 of 4 elements",
                                           "first: mask[1, 1] = 4, expected 5"]


# ------------------------------------------------------------------ parts: which failed first

class _Student:
    """Returns or raises whatever the test says, per function."""

    def __init__(self, **behaviour):
        self.behaviour = behaviour

    def call(self, name, *args, **kwargs):
        what = self.behaviour[name]
        if isinstance(what, Exception):
            raise what
        return what


def test_the_same_error_again_says_see_the_first_part():
    t = Tester(_Student(**{"layers.f": StudentError("layers.f raised ValueError: no\n  at x.py, line 3, in f")}), 0)
    for label in ("case 1", "case 2"):
        with t.part(label):
            t.call("layers.f")
    first, second = t.parts
    assert first.headline == "layers.f raised ValueError: no" and first.details == ["at x.py, line 3, in f"]
    assert second.message == "see [case 1]: layers.f raised the same error there" and second.follows == "case 1"


def test_a_part_using_a_function_that_failed_earlier_says_see_that_part_first():
    t = Tester(_Student(**{"layers.fwd": np.ones(3), "layers.bwd": np.ones(3)}), 0)
    with t.part("forward"):
        t.assert_close(t.call("layers.fwd"), np.full(3, 2.0), name="out")
    with t.part("backward: dx"):
        t.call("layers.fwd")
        t.assert_close(t.call("layers.bwd"), np.zeros(3) + 3, name="dx")
    assert t.parts[1].follows == "forward"
    assert t.parts[1].headline == "see [forward] first: this part uses layers.fwd, which failed there"
    assert t.parts[1].details == ["this part's own result: dx is 0.3333x the expected values (a missing factor of 3?)"]


def test_needs_marks_a_follow_on_and_the_fail_line_names_the_first_real_failure():
    t = Tester(_Student(**{"layers.bwd": (np.ones(2), np.ones(2))}), 0)
    grads = None
    with t.part("ok part"):
        pass
    with t.part("dx"):
        raise StudentError("layers.bwd raised KeyError: 'x'")
    with t.part("dw"):
        t.needs(grads, "dx")
    result = CheckResult("affine_backward", 1, 3, False, t.parts)
    assert t.parts[2].follows == "dx" and t.parts[2].message == "see [dx]: not checked, because that part failed"
    assert result.line().split("\n") == ["FAIL affine_backward: [dx] layers.bwd raised KeyError (1/3)", "    KeyError: 'x'"]


@pytest.mark.parametrize("error, headline, detail", [
    ("layers.relu_forward is not implemented yet (NotImplementedError: relu_forward is not implemented yet: "
     "write it in cs231n_cnn/layers/fc.py (05_fc_losses_normalization.ipynb))",
     "FAIL relu_forward: [mixed signs] not implemented yet (0/3)",
     "NotImplementedError: relu_forward is not implemented yet: write it in cs231n_cnn/layers/fc.py "
     "(05_fc_losses_normalization.ipynb)"),
    ("layers.relu_forward raised ValueError: x must be an array, got list",
     "FAIL relu_forward: [mixed signs] raised ValueError (0/3)", "ValueError: x must be an array, got list"),
    ("relu_forward raised TypeError: f() takes 1 argument",
     "FAIL relu_forward: [mixed signs] raised TypeError (0/3)", "TypeError: f() takes 1 argument"),
], ids=["not-implemented", "raised", "unqualified"])
def test_the_fail_line_does_not_repeat_the_check_name(error, headline, detail):
    parts = [PartResult("mixed signs", 0, 3, error + "\nin cs231n_cnn/layers/fc.py, line 40: raise ...")]
    first, *details = CheckResult("relu_forward", 0, 3, False, parts).line().split("\n")
    assert first == headline and first.count("relu_forward") == 1
    assert details == [f"    {detail}", "    in cs231n_cnn/layers/fc.py, line 40: raise ..."]


def test_an_error_outside_any_part_is_shortened_the_same_way():
    result = CheckResult("sgd", 0, 2, False, [], error="optim.sgd is not implemented yet (NotImplementedError: sgd)")
    assert result.line().split("\n") == ["FAIL sgd: not implemented yet (0/2)", "    NotImplementedError: sgd"]


def test_the_fail_line_is_one_headline_and_details_follow():
    parts = [PartResult("p1", 0, 1, "dw is 2x the expected values (an extra factor of 2?)\nworst: dw[0] = 2, "
                                    "expected 1\ndw: max relative error 3.3e-01 > 1e-07"),
             PartResult("p2", 0, 1, "see [p1]: not checked, because that part failed", follows="p1")]
    result = CheckResult("c", 0, 2, False, parts)
    assert result.line().split("\n") == [
        "FAIL c: [p1] dw is 2x the expected values (an extra factor of 2?) (0/2)",
        "    worst: dw[0] = 2, expected 1", "    dw: max relative error 3.3e-01 > 1e-07"]
    assert result.report().split("\n") == [
        "FAIL c: [p1] dw is 2x the expected values (an extra factor of 2?) (0/2)",
        "  [ERR] p1 (0/1): dw is 2x the expected values (an extra factor of 2?)",
        "        worst: dw[0] = 2, expected 1", "        dw: max relative error 3.3e-01 > 1e-07",
        "  [ERR] p2 (0/1): see [p1]: not checked, because that part failed"]
    assert CheckResult("c", 2, 2, False, []).line() == "PASS c 2/2"


def test_a_note_of_what_could_not_be_checked_goes_on_the_line_pass_or_fail():
    note = "in this release overfitting is judged by your model's own numbers"
    assert CheckResult("c", 2, 2, False, [], note=note).line() == f"PASS c 2/2 [{note}]"
    failed = CheckResult("c", 1, 2, False, [PartResult("p", 1, 1), PartResult("q", 0, 1, "wrong")], note=note)
    assert failed.line() == f"FAIL c: [q] wrong (1/2) [{note}]"


class _Model:
    def __init__(self):
        self.params = {"W1": np.zeros(2)}


def test_set_item_writes_a_copy_into_a_student_objects_dict_and_refuses_private_attributes():
    student = InProcessStudent()
    model = student._keep(_Model())
    t = Tester(student, 0)
    value = np.ones(2)
    t.set_item(model, "params", "W1", value)
    value[0] = 5                                   # the student holds a copy: the check's array stays its own
    np.testing.assert_array_equal(t.get_attr(model, "params")["W1"], np.ones(2))
    with pytest.raises(StudentError, match="attribute '_own' is private"):
        t.set_item(model, "_own", "W1", value)
    with pytest.raises(StudentError, match=r"_Model.bn_params\['W1'\] = \.\.\. raised AttributeError"):
        t.set_item(model, "bn_params", "W1", value)


# ------------------------------------------------------------------ real checks, planted bugs

def _run(monkeypatch, check, attr, fake):
    monkeypatch.setattr(L, attr, fake)
    (result,) = run_checks([check])
    assert not result.passed
    return result


def test_conv_backward_with_half_dw(monkeypatch):
    def half_dw(dout, cache):
        dx, dw, db = REAL["conv_backward_naive"](dout, cache)
        return dx, 0.5 * dw, db

    result = _run(monkeypatch, "conv_backward_naive", "conv_backward_naive", half_dw)
    head, worst, tolerance = result.line().split("\n")
    assert head == ("FAIL conv_backward_naive: [stride 2, pad 1: dw] dw is 0.5x the expected values "
                    "(a missing factor of 2?) (4/6)")
    assert worst.strip().startswith("worst: dw[") and tolerance.strip().startswith("dw: max relative error")


def test_conv_forward_with_height_and_width_swapped(monkeypatch):
    def swapped(x, w, b, conv_param):
        out, cache = REAL["conv_forward_naive"](x, w, b, conv_param)
        return (np.swapaxes(out, 2, 3).copy() if out.shape[2] == out.shape[3] else out), cache

    result = _run(monkeypatch, "conv_forward_naive", "conv_forward_naive", swapped)
    assert result.headline().startswith("FAIL conv_forward_naive: [3x3 filters, stride 1, pad 1] out has axes 2 "
                                        "and 3 swapped")
    assert "worst: out[" in result.line()


def test_softmax_dx_without_the_mean(monkeypatch):
    def no_mean(x, y):
        loss, dx = REAL["softmax_loss"](x, y)
        return loss, dx * x.shape[0]

    result = _run(monkeypatch, "softmax_loss", "softmax_loss", no_mean)
    assert "dx is 6x the expected values (an extra factor of 6 = N, the batch size?)" in result.headline()


def test_an_unimplemented_layer_says_so_once(monkeypatch):
    def stub(*args, **kwargs):
        raise NotImplementedError("implement conv_forward_naive")

    result = _run(monkeypatch, "conv_forward_naive", "conv_forward_naive", stub)
    first, *rest = [p for p in result.parts if not p.passed]
    assert "is not implemented yet (NotImplementedError: implement conv_forward_naive)" in first.message
    assert "student.py" not in result.report()               # never the grader's own frames
    assert rest and all(p.message.startswith(f"see [{first.label}]:") for p in rest)


# ------------------------------------------------------------------ the student's own file and line

@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throwaway student package ``stud_<hex>`` on sys.path: ``layers/conv.py`` as given."""
    name = f"stud_{uuid.uuid4().hex[:8]}"

    def make(source: str) -> str:
        root = tmp_path / name / "layers"
        root.mkdir(parents=True)
        (root.parent / "__init__.py").write_text("")
        (root / "__init__.py").write_text("from .conv import *\n")
        (root / "conv.py").write_text(textwrap.dedent(source))
        monkeypatch.syspath_prepend(str(tmp_path))
        return name

    yield make
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]


SOURCE = """\
import numpy as np


class ShapeError(ValueError):
    pass


def _check(x):
    raise ShapeError(f"x has {x.ndim} dimensions")


def conv_forward_naive(x, w):
    out = np.zeros(3)
    out[:] = x @ w
    return out


def validated(x):
    _check(x)


def relu_in_place(x):
    x[x < 0] = 0
    return x


def wrong_type(x):
    raise TypeError("expected a ValueError here, but this is a TypeError")


def both(x):
    class ArgumentTypeError(TypeError, ValueError):
        pass
    raise ArgumentTypeError("x must be an array")
"""


def test_an_error_in_student_code_names_its_file_and_line(package):
    student = InProcessStudent(package(SOURCE))
    with pytest.raises(StudentError) as info:
        student.call("layers.conv_forward_naive", np.ones((2, 2)), np.ones((3, 3)))
    headline, where, source = info.value.message.split("\n")
    assert headline.startswith("layers.conv_forward_naive raised ValueError: matmul")
    assert where == f"  at {student.package}/layers/conv.py, line 14, in conv_forward_naive"
    assert source.strip() == "out[:] = x @ w"
    assert info.value.raised.startswith("ValueError: matmul")


def test_a_helper_error_names_the_helper_and_its_caller(package):
    student = InProcessStudent(package(SOURCE))
    with pytest.raises(StudentError) as info:
        student.call("layers.validated", np.ones(2))
    lines = info.value.message.split("\n")
    assert lines[0] == "layers.validated raised ShapeError (a ValueError): x has 1 dimensions"
    assert lines[1] == f"  at {student.package}/layers/conv.py, line 9, in _check"
    assert lines[3] == f"  called from {student.package}/layers/conv.py, line 19, in validated"


def test_assert_raises_accepts_a_subclass_of_value_error(package):
    t = Tester(InProcessStudent(package(SOURCE)), 0)
    t.assert_raises("layers.validated", np.ones(2), match="1 dimensions")
    with pytest.raises(CheckFailure, match="expected ValueError mentioning 'x @ w'"):
        t.assert_raises("layers.conv_forward_naive", np.ones((2, 2)), np.ones((3, 3)), match="x @ w")


def test_assert_raises_decides_by_type_not_by_the_words_of_the_message(package):
    t = Tester(InProcessStudent(package(SOURCE)), 0)
    with pytest.raises(CheckFailure, match="expected ValueError"):
        t.assert_raises("layers.wrong_type", np.ones(2), match="ValueError")
    t.assert_raises("layers.both", np.ones(2), match="must be an array")       # TypeError and ValueError


def test_the_type_of_a_students_error_crosses_from_the_sandbox_as_data():
    from cs231n_cnn.grading.runtime.protocol import decode, encode
    from cs231n_cnn.grading.runtime.student import builtin_kinds

    class ShapeError(ValueError):
        pass

    kinds = builtin_kinds(ShapeError("bad"))
    assert kinds == ("ValueError", "Exception", "BaseException")
    reply = decode(encode({"id": 1, "ok": False, "error": "x", "kinds": kinds}), untrusted=True)
    assert reply["kinds"] == kinds


def test_check_unmodified_catches_an_input_changed_in_place(package):
    t = Tester(InProcessStudent(package(SOURCE)), 0)
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    assert np.array_equal(t.call("layers.relu_in_place", x), [[1, 0], [0, 4]])      # not asked: not checked
    with t.part("x is not modified"):
        t.call("layers.relu_in_place", x, check_unmodified=True)
    part = t.parts[0]
    assert part.headline == "layers.relu_in_place changed its argument x in place"
    assert part.details[0] == "x[0, 1] was -2, now 0 (2 of 4 elements changed)"
    assert np.array_equal(x, [[1, -2], [-3, 4]])           # the check's own array is untouched
    with t.part("positive input"):
        t.call("layers.relu_in_place", np.abs(x), check_unmodified=True)
    assert t.parts[1].passed


def test_the_decorator_that_promotes_integer_arrays_is_not_shown_as_where_it_happened():
    student = InProcessStudent()
    with pytest.raises(StudentError) as info:
        student.call("layers.relu_forward", np.array([1, -1], dtype=object))
    lines = info.value.message.split("\n")
    assert "in wrapper" not in info.value.message, info.value.message
    assert lines[1].endswith("in check_array") and lines[3].endswith("in relu_forward"), info.value.message
