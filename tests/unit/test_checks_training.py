"""checks/training.py (a short training run): its checks fail on plausible wrong code, unwritten functions.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

import pytest
from check_cases import REAL, REAL_OPTIM, check_tests

import cs231n_cnn.layers as L
import cs231n_cnn.optim as optim

# ------------------------------------------------------------------ wrong implementations

def softmax_loss_summed(x, y):
    """The loss is summed over the batch, not averaged."""
    loss, dx = REAL["softmax_loss"](x, y)
    return loss * x.shape[0], dx * x.shape[0]


def adam_ascent(w, dw, config=None):
    """A sign error: the update climbs the loss."""
    return REAL_OPTIM["adam"](w, -dw, config)


WRONG = [
    # Each of these trains the net (seconds; far more when BLAS threads compete for the cores).
    pytest.param("training_smoke", [(L, "softmax_loss", softmax_loss_summed)], "loss summed, not averaged",
                 marks=pytest.mark.slow),
    pytest.param("training_smoke", [(optim.UPDATE_RULES, "adam", adam_ascent)], "gradient ascent",
                 marks=pytest.mark.slow),
]

STUBS = [
    ("training_smoke", (L, "conv_forward_fast")),
]


globals().update(check_tests("training", wrong=WRONG, stubs=STUBS))
