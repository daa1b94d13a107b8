"""Checks for the classification losses: softmax cross-entropy and multiclass SVM."""

from __future__ import annotations

import math

import numpy as np

from cs231n_cnn.grading import CheckFailure, StudentError, check

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


def _mistakes(loss, x, y, i):
    """The known mistakes of ``loss`` ('softmax' or 'svm') at output ``i`` (0: the loss, 1: dx), computed when asked."""
    def found():
        variants = (ref.softmax_loss_mistakes if loss == "softmax" else ref.svm_loss_mistakes)(x, y)
        return {k: v[i] for k, v in variants.items() if v[i] is not None}
    return found


def _loss_check(t, loss, reference, at_zero, at_zero_text):
    fn = f"layers.{loss}_loss"
    x, y = _scores_and_labels(t, loss)
    by_n = {"N, the batch size": len(y)}
    result = None
    with t.part("loss value"):
        result = h.unpack(t.call(fn, x, y), "loss, dx", fn)
        t.assert_close(result[0], reference(x, y), tol=1e-10, name="loss", factors=by_n,
                       mistakes=_mistakes(loss, x, y, 0))
    with t.part("dx against the numerical gradient"):
        if result is None:
            raise CheckFailure("the loss failed (see the loss value)")
        dx_num = ref.numerical_grad_scalar(lambda v: reference(v, y), x)
        t.assert_close(result[1], dx_num, tol=1e-7, name="dx", factors=by_n, mistakes=_mistakes(loss, x, y, 1))
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
        overflow = ("softmax_loss of scores ~1000 overflows in exp{}: the row's max is not subtracted before exp"
                    "\nfix: subtract each row's max before exp (x minus x.max(axis=1, keepdims=True))")
        underflow = ("softmax_loss of scores ~1000 takes log(0){}: the loss is log(p), and p underflows to 0 for a "
                     "correct class far below the maximum\nfix: log-probabilities as shifted - "
                     "log(sum(exp(shifted))), not log(p) (p underflows to 0)")

        def finite_call(labels, bad: str):
            """The student's (loss, dx) on x and ``labels``; ``bad`` (a message) if either is not finite."""
            try:
                loss, dx = h.unpack(t.call("layers.softmax_loss", x, labels), "loss, dx", "layers.softmax_loss")
            except StudentError as exc:
                # Where warnings are errors (pytest's settings, a student's np.seterr), the warning shows.
                text = exc.raised or exc.message
                if "RuntimeWarning" in exc.kinds and "overflow" in text:
                    raise CheckFailure(overflow.format(" (RuntimeWarning: overflow)")) from None
                if "RuntimeWarning" in exc.kinds and "divide by zero" in text:
                    raise CheckFailure(underflow.format(" (RuntimeWarning: divide by zero)")) from None
                raise
            finite_dx = isinstance(dx, np.ndarray) and bool(np.all(np.isfinite(dx)))
            if not (isinstance(loss, float) and math.isfinite(loss)) or not finite_dx:
                raise CheckFailure(bad.format(f" (loss {loss!r}{'' if finite_dx else ', dx with NaN or inf'})"))
            return loss, dx

        # With the correct class at each row's maximum no probability underflows: only an unshifted exp fails.
        finite_call(np.argmax(x, axis=1), overflow)
        loss, dx = finite_call(y, underflow)
        by_n = {"N, the batch size": N}
        t.assert_close(loss, ref.softmax_loss(x, y), tol=1e-10, name="loss", factors=by_n,
                       mistakes=_mistakes("softmax", x, y, 0))
        t.assert_close(dx, ref.softmax_loss_grad(x, y), tol=1e-8, atol=1e-12, name="dx", factors=by_n,
                       mistakes=_mistakes("softmax", x, y, 1))


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
    by_n = {"N, the batch size": N}
    result = None
    with t.part("softmax loss of scores ~1e4"):
        result = h.unpack(t.call("layers.softmax_loss", x, y), "loss, dx", "layers.softmax_loss")
        t.assert_close(result[0], ref.softmax_loss(x, y), tol=1e-10, name="loss", factors=by_n,
                       mistakes=_mistakes("softmax", x, y, 0))
    with t.part("softmax dx of scores ~1e4"):
        if result is None:
            raise CheckFailure("the loss failed")
        t.assert_close(result[1], ref.softmax_loss_grad(x, y), tol=1e-8, atol=1e-12, name="dx", factors=by_n,
                       mistakes=_mistakes("softmax", x, y, 1))
    with t.part("svm loss of scores ~1e4"):
        value, _ = h.unpack(t.call("layers.svm_loss", x, y), "loss, dx", "layers.svm_loss")
        t.assert_close(value, ref.svm_loss(x, y), tol=1e-10, name="loss", factors=by_n,
                       mistakes=_mistakes("svm", x, y, 0))
### END HIDDEN TESTS
