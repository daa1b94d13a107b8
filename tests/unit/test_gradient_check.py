"""The gradient checker itself: it must pass correct gradients and catch wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.gradient_check import (
    GradientCheckError,
    check_gradient,
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)


def test_rel_error_basics():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0  # no 0/0
    assert rel_error(np.array([1.0]), np.array([1.0 + 1e-6])) == pytest.approx(5e-7, rel=1e-3)
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, -2.0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(2), np.zeros(3))


def test_numerical_gradient_of_a_known_function(rng):
    x = rng.standard_normal((3, 4))
    x0 = x.copy()
    grad = eval_numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    np.testing.assert_allclose(grad, np.cos(x0) * x0 + np.sin(x0), rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(x, x0)  # restored exactly


def test_numerical_gradient_array_is_a_vector_jacobian_product(rng):
    x = rng.standard_normal(5)
    A = rng.standard_normal((3, 5))
    df = rng.standard_normal(3)
    grad = eval_numerical_gradient_array(lambda v: A @ v, x, df)
    np.testing.assert_allclose(grad, A.T @ df, rtol=1e-8)


def test_x_is_restored_even_if_f_raises():
    x = np.array([1.0, 2.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return v.sum()

    with pytest.raises(RuntimeError):
        eval_numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_grad_check_sparse_passes_correct_and_flags_wrong(rng):
    x = rng.standard_normal((10, 10))
    f = lambda v: np.sum(v ** 3)  # noqa: E731
    good = grad_check_sparse(f, x, 3 * x ** 2, num_checks=8, verbose=False)
    assert max(good) < 1e-7
    bad = grad_check_sparse(f, x, 2 * x ** 2, num_checks=8, verbose=False)
    assert min(bad) > 0.1


def test_grad_check_sparse_handles_zero_gradients():
    x = np.zeros((4, 4))
    errs = grad_check_sparse(lambda v: 0.0, x, np.zeros_like(x), num_checks=5, verbose=False)
    assert errs == [0.0] * 5


def test_check_gradient_reports_the_worst_element():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    n = a.copy()
    n[1, 0] = 3.3
    with pytest.raises(GradientCheckError, match=r"dw: max relative error 4\.762e-02 > 1e-07 at index \(1, 0\): analytic 3, numeric 3\.3"):
        check_gradient(a, n, name="dw")
    assert check_gradient(a, a + 1e-12) < 1e-7


def test_check_gradient_rejects_nan_and_shape_mismatch():
    with pytest.raises(GradientCheckError, match="not finite at index"):
        check_gradient(np.array([np.nan]), np.array([1.0]))
    with pytest.raises(GradientCheckError, match="analytic shape"):
        check_gradient(np.zeros(2), np.zeros(3))


def test_check_gradient_atol_excuses_rounding_noise_around_zero():
    analytic, numeric = np.array([4e-16, 1.0]), np.array([-2e-10, 1.0])
    with pytest.raises(GradientCheckError, match=r"at index \(0,\)"):
        check_gradient(analytic, numeric)
    assert check_gradient(analytic, numeric, atol=1e-8) == 0.0
    with pytest.raises(GradientCheckError):  # atol does not excuse real differences
        check_gradient(np.array([0.0, 1.0]), np.array([0.0, 1.1]), atol=1e-8)
