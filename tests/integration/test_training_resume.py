"""ConvNet + Solver together: exact resume with batch norm and dropout state."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.models import ConvNet
from cs231n_cnn.solver import Solver

SPEC = "INPUT[6x6x2] -> CONV3-4 -> BN -> RELU -> POOL2 -> FC-8 -> RELU -> DROPOUT0.6 -> FC"


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((50, 2, 6, 6))
    y = rng.integers(3, size=50)
    return {"X_train": X[:40], "y_train": y[:40], "X_val": X[40:], "y_val": y[40:]}


SETTINGS = dict(update_rule="adam", optim_config={"learning_rate": 1e-2}, batch_size=8, seed=7,
                verbose=False, restore_best=False, num_train_samples=None)


@pytest.mark.parametrize("augment", [None, "flip-crop"])
def test_convnet_with_bn_and_dropout_resumes_bit_identically(tmp_path, augment):
    settings = {**SETTINGS, "augment": augment}
    reference = ConvNet(SPEC, num_classes=3, dtype=np.float64, seed=1)
    Solver(reference, make_data(), num_epochs=3, **settings).train()

    first = ConvNet(SPEC, num_classes=3, dtype=np.float64, seed=1)
    Solver(first, make_data(), num_epochs=2, checkpoint_name=tmp_path / "ck", **settings).train()
    # A fresh process builds a differently initialised model; resume must overwrite all of it.
    fresh = ConvNet(SPEC, num_classes=3, dtype=np.float64, seed=2)
    resumed = Solver(fresh, make_data(), num_epochs=3, resume=tmp_path / "ck.npz", **settings)
    resumed.train()

    assert set(fresh.params) == set(reference.params)
    for k in reference.params:
        np.testing.assert_array_equal(fresh.params[k], reference.params[k], err_msg=k)
    for k, bn in reference.bn_params.items():
        np.testing.assert_array_equal(fresh.bn_params[k]["running_mean"], bn["running_mean"])
    assert fresh.dropout_state == reference.dropout_state
