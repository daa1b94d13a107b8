"""Softmax and SVM losses (checks/losses.py): the mistakes students make in cs231n_cnn/layers/losses.py."""

from . import Bug, Edit

M = "cs231n_cnn.layers.losses"


def _e(function, old, new, count=1):
    return Edit(M, function, old, new, count)


SOFTMAX = "log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))"

BUGS = [
    Bug("softmax-dx-not-over-n", "softmax_loss", (_e("softmax_loss", "    dx /= N\n", ""),),
        "softmax_loss: [dx against the numerical gradient] dx is 6x the expected values (an extra factor of 6 = N",
        why="forgot to average the gradient"),
    Bug("softmax-loss-summed", "softmax_loss",
        (_e("softmax_loss", "loss = float(-log_probs[rows, y].mean())", "loss = float(-log_probs[rows, y].sum())"),),
        "softmax_loss: [loss value] loss is 6x the expected value (an extra factor of 6 = N", why="sum for mean"),
    Bug("softmax-no-max-shift", "softmax_loss", (_e("softmax_loss", "shifted = x - x.max(axis=1, keepdims=True)",
                                                    "shifted = x"),),
        "the row's max is not subtracted before exp", why="no max subtraction: exp overflows"),
    Bug("softmax-log-of-p", "softmax_loss",
        (_e("softmax_loss", SOFTMAX, "probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)\n"
            "    log_probs = np.log(probs)"),),
        "the loss is log(p), and p underflows to 0", why="log of probabilities that underflow"),
    Bug("softmax-over-batch", "softmax_loss", (_e("softmax_loss", SOFTMAX, SOFTMAX.replace("axis=1", "axis=0")),),
        "the softmax is normalised over the batch", why="sum over axis 0"),
    Bug("softmax-dx-no-onehot", "softmax_loss", (_e("softmax_loss", "    dx[rows, y] -= 1\n", ""),),
        "dx does not subtract 1 at the correct class", why="forgot the one-hot term"),
    Bug("softmax-dx-columns", "softmax_loss", (_e("softmax_loss", "dx[rows, y] -= 1", "dx[:, y] -= 1"),),
        "dx[:, y] -= 1 subtracts 1 in the columns y of every row", why="fancy index on the columns only"),
    Bug("svm-no-delta", "svm_loss", (_e("svm_loss", "np.maximum(x - correct + 1, 0)", "np.maximum(x - correct, 0)"),),
        "the margin has no delta", why="forgot the + 1"),
    Bug("svm-delta-subtracted", "svm_loss",
        (_e("svm_loss", "np.maximum(x - correct + 1, 0)", "np.maximum(x - correct - 1, 0)"),),
        "delta is subtracted", why="- 1 for + 1"),
    Bug("svm-margins-swapped", "svm_loss",
        (_e("svm_loss", "np.maximum(x - correct + 1, 0)", "np.maximum(correct - x + 1, 0)"),),
        "the margins are x_y - x_j + 1", why="correct and wrong scores swapped"),
    Bug("svm-counts-correct-class", "svm_loss", (_e("svm_loss", "    margins[rows, y] = 0\n", ""),),
        "the correct class is counted in the sum", why="did not zero the correct class's margin"),
    Bug("svm-dx-no-correct-class", "svm_loss", (_e("svm_loss", "    dx[rows, y] -= positive.sum(axis=1)\n", ""),),
        "dx gets +1 for each positive margin but nothing at the correct class", why="forgot the -x_y term"),
    Bug("svm-dx-correct-once", "svm_loss",
        (_e("svm_loss", "dx[rows, y] -= positive.sum(axis=1)", "dx[rows, y] -= 1"),),
        "dx subtracts 1 at the correct class once", why="-1 instead of -count"),
    Bug("svm-dx-not-over-n", "svm_loss", (_e("svm_loss", "    dx /= N\n", ""),),
        "svm_loss: [dx against the numerical gradient] dx is 6x the expected values (an extra factor of 6 = N",
        why="forgot to average the gradient"),
]
