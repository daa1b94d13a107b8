"""Smoke test of training: the three-layer ConvNet and the Solver, built from the student's layers.

The model and the Solver run on the student's side, so every number they
report (a loss, an accuracy, a loss history) is the student's claim. This
check reads the model's parameters instead and recomputes the loss and the
accuracy with an independent forward pass on the grader's data, so a model
that only reports good numbers scores nothing.

That forward pass (``_reference._three_layer_convnet``) is private to the
course repository: the student release replays reference results recorded
on the grader's inputs and cannot replay a function of parameters the
student's training produced. Where it is absent (in the release) each part
falls back to the student's own numbers, which is all a local run can
check; the grader always has it.
"""

from __future__ import annotations

import math

import numpy as np

from cs231n_cnn.grading import CheckFailure, check
from cs231n_cnn.grading.framework import FollowOnFailure

from . import _helpers as h
from . import _reference as ref
from .models import blame_cnn, blame_first

NUM_CLASSES = 10
NUM_TRAIN = 30
INPUT_DIM, NUM_FILTERS, FILTER_SIZE, HIDDEN_DIM = (3, 16, 16), 8, 3, 32
# conv keeps 16x16, the 2x2 pool halves it: W2 sees 8 * 8 * 8 features.
PARAM_SHAPES = {"W1": (NUM_FILTERS, 3, FILTER_SIZE, FILTER_SIZE), "b1": (NUM_FILTERS,),
                "W2": (NUM_FILTERS * 8 * 8, HIDDEN_DIM), "b2": (HIDDEN_DIM,),
                "W3": (HIDDEN_DIM, NUM_CLASSES), "b3": (NUM_CLASSES,)}


FIRST_PART = (f"the forward pass of a batch of {NUM_TRAIN} against the reference; initial loss on 10 random "
              f"examples is about log(10), gradients against the reference")


def _params(t, model) -> dict:
    """The model's parameters as plain arrays, or a CheckFailure naming what is wrong."""
    params = t.get_attr(model, "params")
    if not isinstance(params, dict) or sorted(params) != sorted(PARAM_SHAPES):
        raise CheckFailure(f"model.params should be a dict with keys {sorted(PARAM_SHAPES)}")
    for k, shape in PARAM_SHAPES.items():
        t.assert_array(params[k], shape=shape, name=f"model.params[{k!r}]")
        if not np.all(np.isfinite(params[k])):
            raise CheckFailure(f"model.params[{k!r}] contains NaN or inf")
    return params


def _probe_params(t) -> dict:
    """Parameters the check chooses for the forward pass of a batch: He-scaled weights, biases N(0, 0.5^2)."""
    params = {}
    for k, shape in PARAM_SHAPES.items():
        fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
        params[k] = (math.sqrt(2.0 / fan_in) if k[0] == "W" else 0.5) * t.rng.standard_normal(shape)
    return params


def _forward_of_a_batch(t, X, y) -> tuple:
    """ThreeLayerConvNet.loss on all of X with parameters the check chose: loss and scores against the reference.

    What the Solver and ``check_accuracy`` see is this forward pass on batches of 30, where
    ``conv_forward_fast`` works on blocks of several images; a wrong result blames the first wrong layer
    (``blame_cnn``), else the model, never the Solver. Returns the parameters and the reference's trace.
    """
    fn = "ThreeLayerConvNet.loss"
    params = _probe_params(t)
    trace = ref.three_layer_convnet_trace(params, X, y)
    model = t.call("models.ThreeLayerConvNet", input_dim=INPUT_DIM, num_filters=NUM_FILTERS, filter_size=FILTER_SIZE,
                   hidden_dim=HIDDEN_DIM, dtype="float64", seed=0)
    for k in sorted(params):
        t.set_item(model, "params", k, params[k])
    mistakes = ref.three_layer_convnet_mistakes
    with blame_first(lambda: blame_cnn(t, params, X, y, trace, backward=False)):
        loss, grads = h.unpack(t.call_method(model, "loss", X, y), "loss, grads", fn)
        t.assert_close(loss, trace["loss"], tol=1e-8, factors={"N, the batch size": len(X)},
                       name=f"loss (against the reference forward pass of model.params) of a batch of {len(X)}",
                       mistakes=lambda: {k: v[0] for k, v in mistakes(params, X, y).items()})
        t.assert_close(t.call_method(model, "loss", X), trace["scores"], tol=1e-8,
                       name=f"{fn}(X) (the scores of a batch of {len(X)})",
                       mistakes=lambda: {k: v[1] for k, v in mistakes(params, X, y).items()})
    return params, trace, grads


def _gradients_of_a_batch(t, probe, X, y) -> None:
    """The gradients ThreeLayerConvNet.loss returned in :func:`_forward_of_a_batch`, against the reference's.

    The reference's backward pass is closed-form (``three_layer_convnet_trace``), so this holds in the student
    release too, where the directional derivatives of the private forward pass are not available.
    """
    params, trace, grads = probe
    if not isinstance(grads, dict) or sorted(grads) != sorted(PARAM_SHAPES):
        raise CheckFailure(f"ThreeLayerConvNet.loss(X, y) must return (loss, grads) with grads a dict with the keys "
                           f"{sorted(PARAM_SHAPES)}")
    with blame_first(lambda: blame_cnn(t, params, X, y, trace)):
        for k in sorted(PARAM_SHAPES):
            t.assert_close(grads.get(k), trace[f"d{k}"], tol=1e-7, atol=1e-12, factors={"N, the batch size": len(X)},
                           name=f"grads[{k!r}] (against the reference gradients of a batch of {len(X)})")


def _directional_derivatives(t, trusted, params, grads, X, y):
    """Each ``grads[k]`` against a centered difference of the reference loss along a random direction.

    One direction per parameter costs two forward passes, not two per
    entry; a wrong or zero gradient still shows, because its projection on
    a random direction is wrong.
    """
    step = 1e-6
    for k in sorted(PARAM_SHAPES):
        d = t.rng.standard_normal(PARAM_SHAPES[k])
        plus, minus = dict(params), dict(params)
        plus[k], minus[k] = params[k] + step * d, params[k] - step * d
        expected = (trusted(plus, X, y)[0] - trusted(minus, X, y)[0]) / (2 * step)
        got = t.assert_array(grads.get(k), shape=PARAM_SHAPES[k], name=f"grads[{k!r}]")
        # Kinks of ReLU and max pooling crossed by the tiny step cost ~1e-7 relative at most.
        t.assert_close(float(np.sum(got * d)), expected, tol=1e-4, atol=1e-10,
                       name=f"grads[{k!r}] projected on a random direction (against the reference loss)")


@check("training_smoke", points=3)
def training_smoke(t):
    """ThreeLayerConvNet starts at loss ~log(10) with right gradients; trained with Adam, it overfits 30 examples."""
    X = t.rng.standard_normal((NUM_TRAIN, *INPUT_DIM))
    y = t.rng.integers(0, NUM_CLASSES, size=NUM_TRAIN)
    trusted = getattr(ref, "_three_layer_convnet", None)       # None in the student release
    model = solver = initial = None
    forward_ok, probe = False, None
    with t.part(FIRST_PART):
        model = t.call("models.ThreeLayerConvNet", input_dim=INPUT_DIM, num_filters=NUM_FILTERS,
                       filter_size=FILTER_SIZE, hidden_dim=HIDDEN_DIM, weight_scale=1e-2, dtype="float64", seed=0)
        initial = _params(t, model)
        probe = _forward_of_a_batch(t, X, y)
        forward_ok = True
        loss, grads = h.unpack(t.call_method(model, "loss", X[:10], y[:10]), "loss, grads", "ThreeLayerConvNet.loss")
        if not isinstance(loss, float) or not isinstance(grads, dict):
            raise CheckFailure("ThreeLayerConvNet.loss(X, y) must return (loss as a float, grads as a dict)")
        if trusted is None:
            t.note("in this release the model and the Solver are judged by their own numbers; the grader "
                   "recomputes them with a reference")
        if trusted is not None:
            expected = trusted(initial, X[:10], y[:10])[0]
            t.assert_close(loss, expected, tol=1e-8, name="loss (against the reference forward pass of model.params)")
            loss = expected
        # Small random weights give nearly equal scores, so every class has probability ~1/10.
        if not abs(loss - math.log(NUM_CLASSES)) < 0.05:
            raise CheckFailure(f"initial loss is {loss:.4f}; with small random weights it should be about "
                               f"log(10) = {math.log(NUM_CLASSES):.4f}")
        if trusted is not None:
            # A wrong gradient is first looked for in the layers' backward passes, on the check's own inputs.
            with blame_first(lambda: blame_cnn(t, probe[0], X, y, probe[1])):
                _directional_derivatives(t, trusted, initial, grads, X[:10], y[:10])
        _gradients_of_a_batch(t, probe, X, y)
    trained = None
    with t.part(f"the Solver (adam) overfits {NUM_TRAIN} examples: training accuracy >= 0.9"):
        if model is None:
            raise CheckFailure("the model could not be built (see the initial loss)")
        # Validation = training data: the parameters the Solver keeps as "best" are then the ones that fit.
        data = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
        solver = t.call("solver.Solver", model, data, update_rule="adam", optim_config={"learning_rate": 5e-3},
                        num_epochs=40, batch_size=NUM_TRAIN, verbose=False, seed=0)
        t.call_method(solver, "train")
        reported = t.call_method(solver, "check_accuracy", X, y)
        if not isinstance(reported, float):
            raise CheckFailure(f"Solver.check_accuracy should return a float, got {type(reported).__name__}")
        acc = reported
        if trusted is not None:
            trained = _params(t, model)
            acc = float(np.mean(np.argmax(trusted(trained, X, y)[1], axis=1) == y))
            if abs(reported - acc) > 1e-9:
                claim = (f"Solver.check_accuracy reports {reported:.3f}, but the reference forward pass of the trained "
                         f"model.params classifies {acc:.3f} of the examples correctly")
                # check_accuracy classifies with the model's own forward pass: unless that pass is known to be
                # right, a disagreement is the model's, not the Solver's.
                if not forward_ok:
                    raise FollowOnFailure(f"see [{FIRST_PART}] first: the model failed there, so its forward pass "
                                          f"cannot be trusted here\nthis part's own result: {claim}", FIRST_PART)
                scores = t.assert_array(t.call_method(model, "loss", X), shape=(len(X), NUM_CLASSES),
                                        name="ThreeLayerConvNet.loss(X) (scores of the trained model)")
                own = float(np.mean(np.argmax(scores, axis=1) == y))
                if own != acc:
                    raise CheckFailure(f"ThreeLayerConvNet.loss(X) with the trained model.params classifies {own:.3f} "
                                       f"of the examples correctly, the reference forward pass {acc:.3f}: the "
                                       f"model's forward pass is wrong for these parameters\n{claim}")
                raise CheckFailure(claim)
        if not acc >= 0.9:
            raise CheckFailure(f"training accuracy after 40 epochs is {acc:.3f}; expected >= 0.9 when overfitting "
                               f"{NUM_TRAIN} examples")
    with t.part("the loss history decreases"):
        if solver is None or initial is None:
            raise CheckFailure("training failed (see the overfitting part)")
        history = t.get_attr(solver, "loss_history")
        if not isinstance(history, tuple) or len(history) < 10 or not all(isinstance(v, float) for v in history):
            raise CheckFailure("solver.loss_history should be a list of at least 10 losses (one per iteration)")
        first, last = float(np.mean(history[:5])), float(np.mean(history[-5:]))
        if trusted is not None:
            # One batch is the whole (shuffled) training set, so the first entry is the loss at the initial parameters.
            start = trusted(initial, X, y)[0]
            t.assert_close(history[0], start, tol=1e-8,
                           name="loss_history[0] (against the reference loss of the initial model.params)")
            if trained is None:
                raise CheckFailure("training failed (see the overfitting part)")
            end = trusted(trained, X, y)[0]
            if not end < 0.5 * start:
                raise CheckFailure(f"the reference loss of the trained model.params ({end:.3f}) is not below half "
                                   f"that of the initial ones ({start:.3f})")
        if not last < 0.5 * first:
            raise CheckFailure(f"the mean loss of the last 5 iterations ({last:.3f}) is not below half that of "
                               f"the first 5 ({first:.3f})")
