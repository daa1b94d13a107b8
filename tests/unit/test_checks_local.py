"""checks/local.py (the locally connected layer): its checks fail on plausible wrong code, unwritten functions.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

import numpy as np
from check_cases import REAL, check_tests

import cs231n_cnn.layers as L

# ------------------------------------------------------------------ wrong implementations

def local_forward_no_bias(x, w, b, conv_param):
    """The bias is never added."""
    return REAL["locally_connected_forward"](x, w, np.zeros_like(b), conv_param)


def local_backward_mean_db(dout, cache):
    """db averaged over the batch instead of summed."""
    dx, dw, db = REAL["locally_connected_backward"](dout, cache)
    return dx, dw, db / dout.shape[0]


WRONG = [
    ("locally_connected_forward", [(L, "locally_connected_forward", local_forward_no_bias)], "bias dropped"),
    ("locally_connected_backward", [(L, "locally_connected_backward", local_backward_mean_db)], "db averaged"),
]

STUBS = [
    ("locally_connected_forward", (L, "locally_connected_forward")),
]


globals().update(check_tests("local", wrong=WRONG, stubs=STUBS))
