"""checks/models.py (ThreeLayerConvNet and FullyConnectedNet): its checks fail on unwritten functions.

The lists' formats and the tests built from them: ``check_cases.py``.
"""

from __future__ import annotations

from check_cases import check_tests

import cs231n_cnn.layers as L
import cs231n_cnn.models as models

STUBS = [
    ("three_layer_convnet", (models, "ThreeLayerConvNet")),
    ("fully_connected_net", (L, "softmax_loss")),
]


globals().update(check_tests("models", stubs=STUBS))
