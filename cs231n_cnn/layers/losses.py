"""Classification losses on class scores: softmax cross-entropy and multiclass SVM.

Both take scores ``x`` of shape (N, C) (N examples, C classes) and integer
labels ``y`` of shape (N,) with ``0 <= y[i] < C``, and return the loss
averaged over the N examples together with its gradient ``dx`` (N, C).
Regularization is not included: models add it themselves.

Input checks
------------
Shapes, dtypes and label ranges are checked, and ``x`` is scanned for
NaN/inf: the scan is small next to the loss itself, and non-finite scores
are the first visible sign of a diverging training run.
"""

from __future__ import annotations

import numpy as np

from ..shapes import check_array, check_finite, check_labels, promote_integer_arrays

__all__ = [
    "softmax_loss",
    "svm_loss",
]


def _check_loss_inputs(x, y, *, layer: str) -> None:
    check_array(x, "x", 2, layer=layer)
    N, C = x.shape
    if N == 0 or C == 0:
        raise ValueError(f"{layer}: x must have at least one example and one class, got shape {x.shape}")
    check_labels(y, N, C, layer=layer)
    check_finite(x, "x", layer=layer)


@promote_integer_arrays
def softmax_loss(x, y):
    """Softmax (cross-entropy) loss and its gradient.

    ``L = -(1/N) * sum_i log(exp(x[i, y[i]]) / sum_j exp(x[i, j]))``

    Parameters
    ----------
    x : ndarray, shape (N, C)
        Class scores; ``x[i, j]`` is the score of class j for example i.
    y : ndarray of int, shape (N,)
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
        The average loss over the N examples, as a Python float.
    dx : ndarray, shape (N, C), dtype of x
        Gradient of ``loss`` with respect to ``x``:
        ``(softmax(x) - onehot(y)) / N``.

    Raises
    ------
    ValueError
        If x is not a 2-D floating array with at least one row and column,
        contains NaN/inf, or y is not an integer array of N valid labels.

    Notes
    -----
    Numerical stability: softmax is unchanged by subtracting a constant from
    each row, so the row maximum is subtracted first. Every exponent is then
    ``<= 0`` (no overflow) and at least one term of the row sum is 1 (so its
    logarithm is finite). The log-probabilities are computed as
    ``shifted - log(sum(exp(shifted)))`` (log-sum-exp) rather than as
    ``log(probabilities)``, which would give ``log(0) = -inf`` for a
    very unlikely correct class.

    Examples
    --------
    With all scores equal every class has probability 1/C, so the loss is log C:

    >>> loss, dx = softmax_loss(np.zeros((2, 10)), np.array([3, 7]))
    >>> round(loss, 6) == round(float(np.log(10)), 6)
    True
    """
    _check_loss_inputs(x, y, layer="softmax_loss")
    loss, dx = None, None
    ### BEGIN SOLUTION
    N = x.shape[0]
    rows = np.arange(N)
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_probs[rows, y].mean())
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= N
    ### END SOLUTION
    return loss, dx


@promote_integer_arrays
def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1, and its gradient.

    ``L = (1/N) * sum_i sum_{j != y[i]} max(0, x[i, j] - x[i, y[i]] + 1)``

    Parameters
    ----------
    x : ndarray, shape (N, C)
        Class scores.
    y : ndarray of int, shape (N,)
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
        The average loss over the N examples, as a Python float.
    dx : ndarray, shape (N, C), dtype of x
        Gradient of ``loss`` with respect to ``x``.

    Raises
    ------
    ValueError
        As for :func:`softmax_loss`.

    Notes
    -----
    The correct class is excluded from the sum; including it would add the
    constant ``max(0, 1) = 1`` per example. Each wrong class j with a
    positive margin adds ``1/N`` to ``dx[i, j]`` and ``-1/N`` to
    ``dx[i, y[i]]``. At a margin of exactly 0 the hinge has a kink; the
    gradient there is taken as 0 (the margin counts only when ``> 0``).

    Examples
    --------
    With all scores equal every wrong class has margin 1, so the loss is C - 1:

    >>> svm_loss(np.zeros((2, 10)), np.array([3, 7]))[0]
    9.0
    """
    _check_loss_inputs(x, y, layer="svm_loss")
    loss, dx = None, None
    ### BEGIN SOLUTION
    N = x.shape[0]
    rows = np.arange(N)
    correct = x[rows, y][:, None]                          # (N, 1)
    margins = np.maximum(x - correct + 1, 0)               # (N, C)
    margins[rows, y] = 0
    loss = float(margins.sum() / N)
    positive = margins > 0
    dx = positive.astype(x.dtype)
    dx[rows, y] -= positive.sum(axis=1)
    dx /= N
    ### END SOLUTION
    return loss, dx
