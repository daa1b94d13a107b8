"""checks/losses.py (softmax and SVM losses): its checks fail on plausible wrong code, planted bugs, unwritten functions.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

import numpy as np
from check_cases import REAL, check_tests

import cs231n_cnn.layers as L

# ------------------------------------------------------------------ wrong implementations

def softmax_loss_no_mean_in_dx(x, y):
    """The loss is averaged but dx is not divided by N."""
    loss, dx = REAL["softmax_loss"](x, y)
    return loss, dx * x.shape[0]


def svm_loss_with_correct_class(x, y):
    """The correct class is included in the sum: every example adds max(0, 1) = 1."""
    loss, dx = REAL["svm_loss"](x, y)
    return loss + 1.0, dx


# ------------------------------------------------------------------ planted bugs

def softmax_loss_no_max_subtraction(x, y):
    """exp of the raw scores: overflows for scores ~1000."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        loss = float(-np.log(p[np.arange(len(y)), y]).mean())
    dx = p.copy()
    dx[np.arange(len(y)), y] -= 1
    return loss, dx / len(y)


def softmax_loss_log_of_probabilities(x, y):
    """Max subtracted, but the loss is log(p): p underflows to 0 and its log is -inf."""
    shifted = x - x.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        loss = float(-np.log(p[np.arange(len(y)), y]).mean())
    dx = p.copy()
    dx[np.arange(len(y)), y] -= 1
    return loss, dx / len(y)


WRONG = [
    ("softmax_loss", [(L, "softmax_loss", softmax_loss_no_mean_in_dx)], "dx missing 1/N"),
    ("svm_loss", [(L, "svm_loss", svm_loss_with_correct_class)], "correct class counted"),
    ("losses_large_scores", [(L, "softmax_loss", softmax_loss_no_max_subtraction)], "no max subtraction"),
]

PLANTED = [
    ("softmax-overflow", "softmax_loss", "scores of order 1000 give a finite, correct loss and dx",
     [(L, "softmax_loss", softmax_loss_no_max_subtraction)], "subtract each row's max before exp"),
    ("softmax-log-of-p", "softmax_loss", "scores of order 1000 give a finite, correct loss and dx",
     [(L, "softmax_loss", softmax_loss_log_of_probabilities)], "not log(p) (p underflows to 0)"),
]

STUBS = [
    ("softmax_loss", (L, "softmax_loss")),
]


globals().update(check_tests("losses", wrong=WRONG, planted=PLANTED, stubs=STUBS))
