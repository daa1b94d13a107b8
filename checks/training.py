"""Smoke test of training: the three-layer ConvNet and the Solver, built from the student's layers."""

from __future__ import annotations

import math

import numpy as np

from cs231n_cnn.grading import CheckFailure, check

from . import _helpers as h

NUM_CLASSES = 10
NUM_TRAIN = 30


@check("training_smoke", points=3)
def training_smoke(t):
    """ThreeLayerConvNet starts at loss ~log(10) and, trained by the Solver with Adam, overfits 30 examples."""
    X = t.rng.standard_normal((NUM_TRAIN, 3, 16, 16))
    y = t.rng.integers(0, NUM_CLASSES, size=NUM_TRAIN)
    model = solver = None
    with t.part("initial loss on 10 random examples is about log(10)"):
        model = t.call("models.ThreeLayerConvNet", input_dim=(3, 16, 16), num_filters=8, filter_size=3,
                       hidden_dim=32, weight_scale=1e-2, dtype="float64", seed=0)
        loss, grads = h.unpack(t.call_method(model, "loss", X[:10], y[:10]), "loss, grads", "ThreeLayerConvNet.loss")
        if not isinstance(loss, float) or not isinstance(grads, dict):
            raise CheckFailure("ThreeLayerConvNet.loss(X, y) must return (loss as a float, grads as a dict)")
        # Small random weights give nearly equal scores, so every class has probability ~1/10.
        if not abs(loss - math.log(NUM_CLASSES)) < 0.05:
            raise CheckFailure(f"initial loss is {loss:.4f}; with small random weights it should be about "
                               f"log(10) = {math.log(NUM_CLASSES):.4f}")
    with t.part(f"the Solver (adam) overfits {NUM_TRAIN} examples: training accuracy >= 0.9"):
        if model is None:
            raise CheckFailure("the model could not be built (see the initial loss)")
        # Validation = training data: the parameters the Solver keeps as "best" are then the ones that fit.
        data = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
        solver = t.call("solver.Solver", model, data, update_rule="adam", optim_config={"learning_rate": 5e-3},
                        num_epochs=40, batch_size=NUM_TRAIN, verbose=False, seed=0)
        t.call_method(solver, "train")
        acc = t.call_method(solver, "check_accuracy", X, y)
        if not isinstance(acc, float) or not acc >= 0.9:
            raise CheckFailure(f"training accuracy after 40 epochs is {acc}; expected >= 0.9 when overfitting "
                               f"{NUM_TRAIN} examples")
    with t.part("the loss history decreases"):
        if solver is None:
            raise CheckFailure("training failed (see the overfitting part)")
        history = t.get_attr(solver, "loss_history")
        if not isinstance(history, tuple) or len(history) < 10 or not all(isinstance(v, float) for v in history):
            raise CheckFailure("solver.loss_history should be a list of at least 10 losses (one per iteration)")
        first, last = float(np.mean(history[:5])), float(np.mean(history[-5:]))
        if not last < 0.5 * first:
            raise CheckFailure(f"the mean loss of the last 5 iterations ({last:.3f}) is not below half that of "
                               f"the first 5 ({first:.3f})")
