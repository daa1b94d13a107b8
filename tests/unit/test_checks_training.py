"""checks/training.py, a short training run: its checks fail where they should.

Each wrong implementation below is a mistake students make (its docstring says
which); the check that covers it must not pass.

A function that is not written yet scores 0 with NotImplementedError in the line.

The shared machinery is in ``check_cases.py``.
"""

from __future__ import annotations

import pytest
from check_cases import (
    REAL,
    REAL_OPTIM,
    every_check_has_a_wrong_implementation,
    not_implemented_tests,
    wrong_implementation_tests,
)

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


# (check, [(module, attribute, replacement)], why)
WRONG = [
    # Each of these trains the net (seconds; far more when BLAS threads compete for the cores).
    pytest.param("training_smoke", [(L, "softmax_loss", softmax_loss_summed)], "loss summed, not averaged",
                 marks=pytest.mark.slow),
    pytest.param("training_smoke", [(optim.UPDATE_RULES, "adam", adam_ascent)], "gradient ascent",
                 marks=pytest.mark.slow),
]

# (check, (module, attribute)): that attribute raising NotImplementedError
STUBS = [
    ("training_smoke", (L, "conv_forward_fast")),
]


test_check_fails_on_a_subtly_wrong_implementation = wrong_implementation_tests(WRONG)
test_every_check_has_a_wrong_implementation_below = every_check_has_a_wrong_implementation("training", WRONG)
test_not_implemented_scores_zero = not_implemented_tests("training", STUBS)
