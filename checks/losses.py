"""Checks for the classification losses: softmax cross-entropy and multiclass SVM."""

from __future__ import annotations

import math

import numpy as np

from cs231n_cnn.grading import CheckFailure, check

from . import _helpers as h
from . import _reference as ref

N, C = 6, 5


def _scores_and_labels(t, loss):
    y = t.rng.integers(0, C, size=N)
    x = t.rng.standard_normal((N, C))
    # For the SVM, keep every margin x_j - x_y + 1 at least 1e-3 away from the
    # hinge's kink, so the numerical gradient (h = 1e-6) is the true one.
    while loss == "svm" and np.min(np.abs(x - x[np.arange(N), y][:, None] + 1)) < 1e-3:
        x = t.rng.standard_normal((N, C))
    return x, y


def _loss_check(t, loss, reference, at_zero, at_zero_text):
    fn = f"layers.{loss}_loss"
    x, y = _scores_and_labels(t, loss)
    result = None
    with t.part("loss value"):
        result = h.unpack(t.call(fn, x, y), "loss, dx", fn)
        t.assert_close(result[0], reference(x, y), tol=1e-10, name="loss")
    with t.part("dx against the numerical gradient"):
        if result is None:
            raise CheckFailure("the loss failed (see the loss value)")
        dx_num = ref.numerical_grad_scalar(lambda v: reference(v, y), x)
        t.assert_close(result[1], dx_num, tol=1e-7, name="dx")
    with t.part(f"zero scores give {at_zero_text}"):
        x0 = np.zeros((4, 10))
        value, _ = h.unpack(t.call(fn, x0, np.array([0, 3, 7, 9])), "loss, dx", fn)
        t.assert_close(value, at_zero, tol=1e-12, name=f"loss of zero scores ({at_zero_text} = {at_zero:.6f})")


@check("softmax_loss", points=4)
def softmax_loss(t):
    """Softmax loss: value and dx against references; zero scores give log C; scores ~1000 stay finite."""
    _loss_check(t, "softmax", ref.softmax_loss, math.log(10), "log C")
    with t.part("scores of order 1000 give a finite, correct loss and dx"):
        x = 1000 * t.rng.standard_normal((N, C))
        y = t.rng.integers(0, C, size=N)
        y[0] = int(np.argmin(x[0]))          # a correct class far below the maximum: its probability underflows
        loss, dx = h.unpack(t.call("layers.softmax_loss", x, y), "loss, dx", "layers.softmax_loss")
        finite_dx = isinstance(dx, np.ndarray) and bool(np.all(np.isfinite(dx)))
        if not (isinstance(loss, float) and math.isfinite(loss)) or not finite_dx:
            raise CheckFailure(f"softmax_loss of scores ~1000 gives loss {loss!r}"
                               f"{'' if finite_dx else ' and a dx with NaN or inf'}: subtract each row's max "
                               f"before exp (else exp overflows) and take log-probabilities as "
                               f"shifted - log(sum(exp(shifted))), not log(p) (p underflows to 0)")
        t.assert_close(loss, ref.softmax_loss(x, y), tol=1e-10, name="loss")
        t.assert_close(dx, ref.softmax_loss_grad(x, y), tol=1e-8, atol=1e-12, name="dx")


@check("svm_loss", points=3)
def svm_loss(t):
    """Multiclass SVM loss: value and dx against references; zero scores give C - 1."""
    _loss_check(t, "svm", ref.svm_loss, 9.0, "C - 1")


### BEGIN HIDDEN TESTS
@check("losses_large_scores", points=3, hidden=True)
def losses_large_scores(t):
    """Hidden: scores of order 1e4 give finite, correct losses (numerical stability)."""
    x = 1e4 * t.rng.standard_normal((N, C))
    y = t.rng.integers(0, C, size=N)
    result = None
    with t.part("softmax loss of scores ~1e4"):
        result = h.unpack(t.call("layers.softmax_loss", x, y), "loss, dx", "layers.softmax_loss")
        t.assert_close(result[0], ref.softmax_loss(x, y), tol=1e-10, name="loss")
    with t.part("softmax dx of scores ~1e4"):
        if result is None:
            raise CheckFailure("the loss failed")
        t.assert_close(result[1], ref.softmax_loss_grad(x, y), tol=1e-8, atol=1e-12, name="dx")
    with t.part("svm loss of scores ~1e4"):
        value, _ = h.unpack(t.call("layers.svm_loss", x, y), "loss, dx", "layers.svm_loss")
        t.assert_close(value, ref.svm_loss(x, y), tol=1e-10, name="loss")
### END HIDDEN TESTS
