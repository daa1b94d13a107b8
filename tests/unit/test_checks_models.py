"""checks/models.py, ThreeLayerConvNet and FullyConnectedNet: its checks fail where they should.

A function that is not written yet scores 0 with NotImplementedError in the line.

The shared machinery is in ``check_cases.py``.
"""

from __future__ import annotations

from check_cases import not_implemented_tests

import cs231n_cnn.layers as L
import cs231n_cnn.models as models

# (check, (module, attribute)): that attribute raising NotImplementedError
STUBS = [
    ("three_layer_convnet", (models, "ThreeLayerConvNet")),
    ("fully_connected_net", (L, "softmax_loss")),
]


test_not_implemented_scores_zero = not_implemented_tests("models", STUBS)
