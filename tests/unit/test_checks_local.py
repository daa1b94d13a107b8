"""checks/local.py, the locally connected layer: its checks fail where they should.

Each wrong implementation below is a mistake students make (its docstring says
which); the check that covers it must not pass.

A function that is not written yet scores 0 with NotImplementedError in the line.

The shared machinery is in ``check_cases.py``.
"""

from __future__ import annotations

import numpy as np
from check_cases import REAL, every_check_has_a_wrong_implementation, not_implemented_tests, wrong_implementation_tests

import cs231n_cnn.layers as L

# ------------------------------------------------------------------ wrong implementations

def local_forward_no_bias(x, w, b, conv_param):
    """The bias is never added."""
    return REAL["locally_connected_forward"](x, w, np.zeros_like(b), conv_param)


def local_backward_mean_db(dout, cache):
    """db averaged over the batch instead of summed."""
    dx, dw, db = REAL["locally_connected_backward"](dout, cache)
    return dx, dw, db / dout.shape[0]


# (check, [(module, attribute, replacement)], why)
WRONG = [
    ("locally_connected_forward", [(L, "locally_connected_forward", local_forward_no_bias)], "bias dropped"),
    ("locally_connected_backward", [(L, "locally_connected_backward", local_backward_mean_db)], "db averaged"),
]

# (check, (module, attribute)): that attribute raising NotImplementedError
STUBS = [
    ("locally_connected_forward", (L, "locally_connected_forward")),
]


test_check_fails_on_a_subtly_wrong_implementation = wrong_implementation_tests(WRONG)
test_every_check_has_a_wrong_implementation_below = every_check_has_a_wrong_implementation("local", WRONG)
test_not_implemented_scores_zero = not_implemented_tests("local", STUBS)
