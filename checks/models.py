"""Checks for the models students assemble: ThreeLayerConvNet (``__init__`` and ``loss``) and FullyConnectedNet.loss.

Whose numbers the references use. A model is the student's object, and
everything it reports is the student's claim, its ``params`` included: a
model could report small, tidy parameters while its ``loss`` uses others, or
report all-zero weights, at which most gradients are trivially 0. So, apart
from the part that judges ``__init__`` itself (the statistics of the
parameters it draws), no check here reads ``model.params`` to compute an
expected value. Each part chooses every parameter itself (random weights and
non-zero biases, gammas and betas), writes them into the model with
``t.set_item(model, "params", name, value)`` (what the course's Solver and
gradient check do to ``model.params``), and compares ``model.loss`` with a
reference computed from those numbers and the grader's X and y:

* the loss and scores, from an independent forward pass (scipy's
  correlation, the norms by their definitions);
* the gradients, from centred differences of that forward pass, in float64;
* ``reg``: the reference loss plus ``0.5 * reg * sum(W**2)`` over the
  weights only, and the gradients plus ``reg * W``.

A model that ignores what was set, or keeps a private copy, computes the
loss of other parameters and fails; forging the ``params`` dict gains
nothing. Because these inputs are the grader's own, the student release
replays the references' results exactly (README, "Reference results, not
reference code").

What a failure names. A wrong loss, score or gradient is first looked for in
the layers the model chains: each is called on the reference's input for it
(``_reference.three_layer_convnet_trace`` / ``fully_connected_net_trace``),
and the first wrong one is named ("see layers.softmax_loss: its dx is wrong
on this input ..."). Only when every layer is right is the model blamed, and
then its result is matched against the known mistakes of assembling it (a
ReLU left out or added, the penalty without its 0.5 or over the biases,
``reg * W`` missing from the gradients, ...; ``_reference.*_mistakes``).

Two parts need more than the grader's numbers, and there the release can
only check the student's model against the student's own numbers:

* **overfitting**: the check trains the model itself (Adam on the gradients
  ``model.loss`` returns, the parameters kept by the check and set before
  every step), then judges the trained parameters, which depend on the
  student's gradients, with a private forward pass the release does not ship
  (``_reference._three_layer_convnet`` / ``_fully_connected_net``). The
  release judges them by the model's own test-mode scores;
* **dropout** in FullyConnectedNet: the expected loss uses the masks that
  the submission's ``layers.dropout_forward`` draws for the model's seed
  (0/1, checked to keep a plausible share of units), because any draw
  rule that passes the ``dropout`` check is correct. A model that ignores
  dropout, or draws other masks, does not match; a dropout layer that keeps
  every unit is refused. The release, lacking the private reference,
  checks that dropout changes the training loss and that the model's
  gradients agree with centred differences of its own loss.

Where a run falls back like this its PASS/FAIL line says so.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from cs231n_cnn.grading import CheckFailure, check
from cs231n_cnn.grading.mistakes import eager

from . import _helpers as h
from . import _reference as ref

NUM_CLASSES = 10
OWN_NUMBERS = ("in this release {what} is judged by your model's own numbers; the grader recomputes them "
               "with a reference")

# ------------------------------------------------------------------ shared


def _set_params(t, model, params: dict) -> None:
    """Write every array of ``params`` into ``model.params`` (on the student's side)."""
    for k in sorted(params):
        t.set_item(model, "params", k, params[k])


def _loss_and_grads(t, model, X, y, fn: str):
    """``model.loss(X, y)`` as ``(loss, grads)``, with a CheckFailure naming what is wrong."""
    loss, grads = h.unpack(t.call_method(model, "loss", X, y), "loss, grads", fn)
    if not isinstance(loss, float) or not isinstance(grads, dict):
        raise CheckFailure(f"{fn}(X, y) must return (loss as a float, grads as a dict), "
                           f"got ({type(loss).__name__}, {type(grads).__name__})")
    return loss, grads


def _compare_grads(t, grads: dict, expected: dict, what: str, n: int, changes=None) -> None:
    """Every ``grads[k]`` against ``expected[k]``; the keys must be the parameters' names.

    ``n``: the batch size (a factor of N is named); ``changes``: a callable returning ``{description: {k:
    change}}``, known wrong gradients as changes to the expected ones (``ref.regularization_grad_mistakes``).
    """
    if sorted(grads) != sorted(expected):
        raise CheckFailure(f"grads should have the keys {sorted(expected)} (one per parameter), got {sorted(grads)}")

    def mistakes(k):
        return lambda: {d: expected[k] + c[k] for d, c in changes().items() if k in c}
    for k in sorted(expected):
        # Centred differences of a float64 loss of ~2 with h = 1e-6 are good to ~1e-10 absolute.
        t.assert_close(grads[k], expected[k], tol=1e-5, atol=1e-8, name=f"grads[{k!r}] ({what})",
                       factors={"N, the batch size": n}, mistakes=None if changes is None else mistakes(k))


# ------------------------------------------------------------------ blaming a layer
#
# A model's loss is the student's layers chained. When a model's result is wrong, each layer is called on
# the reference's input for it (from ``ref.*_trace``, computed from the check's parameters and data), and the
# first layer whose result is wrong is named: "see layers.conv_forward_fast: its out is wrong ...". Only when
# every layer is right is the model itself blamed.

# The references and a right layer agree to ~1e-12 in float64; 1e-7 leaves room for any order of summation.
LAYER_TOL = 1e-7


def _layer_close(t, fn: str, got, expected, name: str, role: str, **kwargs) -> None:
    """``got`` against the reference's ``expected``; a failure says which layer and where in the model."""
    try:
        t.assert_close(got, expected, tol=LAYER_TOL, atol=1e-12, name=name, **kwargs)
    except CheckFailure as exc:
        head, _, rest = str(exc).partition("\n")
        raise CheckFailure(f"see {fn}: its {name} is wrong on this input ({role}): {head}"
                           + (f"\n{rest}" if rest else "")) from None


# The layers' own known mistakes (checks/fc.py), on the inputs the model check gives them: forward ones take
# the forward pass's inputs, backward ones those and dout. Each returns {description: [outputs]}.
_FORWARD_MISTAKES = {"layers.affine_forward": lambda args: ref.affine_forward_mistakes(*args),
                     "layers.relu_forward": lambda args: ref.relu_forward_mistakes(*args)}
_BACKWARD_MISTAKES = {"layers.affine_backward": lambda args, dout: ref.affine_backward_mistakes(*args, dout),
                      "layers.relu_backward": lambda args, dout: ref.relu_backward_mistakes(*args, dout)}


def _output(found, i: int):
    """Output ``i`` of the known mistakes ``found()``, None entries left out, computed when asked."""
    return lambda: {k: v[i] for k, v in found().items() if v[i] is not None}


def _layer_forward(t, fn: str, args, expected, role: str):
    """Call layer ``fn`` on ``args``; its out must be ``expected``; returns its cache."""
    out, cache = h.forward(t, fn, *args)
    known = _FORWARD_MISTAKES.get(fn)
    _layer_close(t, fn, out, expected, "out", role, mistakes=None if known is None else _output(lambda: known(args), 0))
    return cache


def _layer_backward(t, fn: str, dout, cache, expected: dict, role: str, *, n: int, inputs=()) -> None:
    """Call backward layer ``fn``; each output named in ``expected`` (dx, dw, db, ...) must match.

    ``inputs``: the forward pass's arguments, for the layer's known mistakes.
    """
    names = list(expected)
    result = t.call(fn, dout, cache)
    grads = (result,) if len(names) == 1 and not isinstance(result, tuple) else \
        h.unpack(result, ", ".join(names), fn)
    known = _BACKWARD_MISTAKES.get(fn)
    for i, (name, got, want) in enumerate(zip(names, grads, expected.values())):
        if want is not None:
            _layer_close(t, fn, got, want, name, role, factors={"N, the batch size": n},
                         mistakes=None if known is None else _output(lambda: known(inputs, dout), i))


def _softmax_layer(t, scores, y, tr, role: str) -> None:
    fn = "layers.softmax_loss"
    loss, dx = h.unpack(t.call(fn, scores, y), "loss, dx", fn)
    n = {"N, the batch size": len(y)}
    _layer_close(t, fn, loss, tr["loss"], "loss", role, factors=n,
                 mistakes=_output(lambda: ref.softmax_loss_mistakes(scores, y), 0))
    _layer_close(t, fn, dx, tr["dscores"], "dx", role, factors=n,
                 mistakes=_output(lambda: ref.softmax_loss_mistakes(scores, y), 1))


def blame_cnn(t, params, X, y, tr, *, backward: bool = True) -> None:
    """ThreeLayerConvNet.loss's layers, one at a time on the reference's inputs; CheckFailure at the first wrong one."""
    p, n = params, len(X)
    conv_param = {"stride": 1, "pad": (p["W1"].shape[2] - 1) // 2}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    fc1, fc2 = (tr["pool"], p["W2"], p["b2"]), (tr["relu2"], p["W3"], p["b3"])
    c_conv = _layer_forward(t, "layers.conv_forward_fast", (X, p["W1"], p["b1"], conv_param), tr["conv"],
                            "the model's conv layer on the check's images")
    c_relu1 = _layer_forward(t, "layers.relu_forward", (tr["conv"],), tr["relu1"], "the ReLU after the conv layer")
    c_pool = _layer_forward(t, "layers.max_pool_forward_fast", (tr["relu1"], pool_param), tr["pool"],
                            "the model's 2x2 max pool")
    c_fc1 = _layer_forward(t, "layers.affine_forward", fc1, tr["hidden"],
                           "the model's hidden affine layer, on the pooled volume")
    c_relu2 = _layer_forward(t, "layers.relu_forward", (tr["hidden"],), tr["relu2"], "the ReLU after the hidden layer")
    c_fc2 = _layer_forward(t, "layers.affine_forward", fc2, tr["scores"], "the model's last affine layer")
    _softmax_layer(t, tr["scores"], y, tr, "the model's scores")
    if not backward:
        return
    _layer_backward(t, "layers.affine_backward", tr["dscores"], c_fc2,
                    {"dx": tr["drelu2"], "dw": tr["dW3"], "db": tr["db3"]}, "the model's last affine layer", n=n,
                    inputs=fc2)
    _layer_backward(t, "layers.relu_backward", tr["drelu2"], c_relu2, {"dx": tr["dhidden"]},
                    "the ReLU after the hidden layer", n=n, inputs=(tr["hidden"],))
    _layer_backward(t, "layers.affine_backward", tr["dhidden"], c_fc1,
                    {"dx": tr["dpooled"], "dw": tr["dW2"], "db": tr["db2"]}, "the model's hidden affine layer", n=n,
                    inputs=fc1)
    dx = t.assert_array(t.call("layers.max_pool_backward_fast", tr["dpooled"], c_pool), shape=tr["relu1"].shape,
                        name="layers.max_pool_backward_fast's dx")
    # Where the pooled ReLU output is 0 a window may tie; the ReLU's backward pass zeroes those places anyway.
    alive = tr["relu1"] > 0
    _layer_close(t, "layers.max_pool_backward_fast", dx * alive, tr["drelu1"] * alive, "dx", "the model's max pool")
    _layer_backward(t, "layers.relu_backward", tr["drelu1"], c_relu1, {"dx": tr["dconv"]},
                    "the ReLU after the conv layer", n=n, inputs=(tr["conv"],))
    _layer_backward(t, "layers.conv_backward_fast", tr["dconv"], c_conv, {"dx": None, "dw": tr["dW1"], "db": tr["db1"]},
                    "the model's conv layer", n=n)


_NORM_LAYERS = {"batchnorm": ("layers.batchnorm_forward", "layers.batchnorm_backward", {"mode": "train"}),
                "layernorm": ("layers.layernorm_forward", "layers.layernorm_backward", {})}


def _blame_fc(t, params, y, tr, normalization, *, backward: bool = True) -> None:
    """FullyConnectedNet.loss's layers (no dropout), one at a time on the reference's inputs."""
    last = sum(1 for k in params if k[0] == "W")      # the number of affine layers
    n = len(y)
    caches, affine = {}, {i: (tr[f"x{i}"], params[f"W{i}"], params[f"b{i}"]) for i in range(1, last + 1)}
    for i in range(1, last):
        caches["affine", i] = _layer_forward(t, "layers.affine_forward", affine[i], tr[f"a{i}"],
                                             f"hidden layer {i}'s affine part")
        if normalization in _NORM_LAYERS:
            fwd, _, norm_param = _NORM_LAYERS[normalization]
            caches["norm", i] = _layer_forward(t, fwd, (tr[f"a{i}"], params[f"gamma{i}"], params[f"beta{i}"],
                                                        dict(norm_param)), tr[f"n{i}"], f"hidden layer {i}")
        caches["relu", i] = _layer_forward(t, "layers.relu_forward", (tr[f"n{i}"],), tr[f"r{i}"],
                                           f"hidden layer {i}'s ReLU")
    caches["affine", last] = _layer_forward(t, "layers.affine_forward", affine[last], tr["scores"],
                                            "the last affine layer")
    _softmax_layer(t, tr["scores"], y, tr, "the model's scores")
    if not backward:
        return
    _layer_backward(t, "layers.affine_backward", tr["dscores"], caches["affine", last],
                    {"dx": tr[f"dx{last}"], "dw": tr[f"dW{last}"], "db": tr[f"db{last}"]}, "the last affine layer",
                    n=n, inputs=affine[last])
    for i in range(last - 1, 0, -1):
        _layer_backward(t, "layers.relu_backward", tr[f"dr{i}"], caches["relu", i], {"dx": tr[f"dn{i}"]},
                        f"hidden layer {i}'s ReLU", n=n, inputs=(tr[f"n{i}"],))
        if normalization in _NORM_LAYERS:
            _layer_backward(t, _NORM_LAYERS[normalization][1], tr[f"dn{i}"], caches["norm", i],
                            {"dx": tr[f"da{i}"], "dgamma": tr[f"dgamma{i}"], "dbeta": tr[f"dbeta{i}"]},
                            f"hidden layer {i}", n=n)
        _layer_backward(t, "layers.affine_backward", tr[f"da{i}"], caches["affine", i],
                        {"dx": tr[f"dx{i}"], "dw": tr[f"dW{i}"], "db": tr[f"db{i}"]}, f"hidden layer {i}'s affine part",
                        n=n, inputs=affine[i])


@contextlib.contextmanager
def blame_first(blame):
    """Inside: a CheckFailure first runs ``blame()``, which raises its own failure if a layer is wrong.

    Under ``computing_every_variant`` (the release build records reference results; the tests check every
    known mistake) the layers are checked even when nothing failed, so the known mistakes of the layers
    on these inputs are computed, recorded and told apart like every other comparison's.
    """
    try:
        yield
    except CheckFailure:
        blame()
        raise
    else:
        if eager() is not None:
            blame()


def _adam(t, model, params: dict, X, y, steps: int, lr: float, fn: str) -> dict:
    """Train ``params`` (kept here, set into the model before each step) with Adam on ``model.loss``'s gradients."""
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    params = dict(params)
    for step in range(1, steps + 1):
        _set_params(t, model, params)
        _, grads = _loss_and_grads(t, model, X, y, fn)
        for k in params:
            g = t.assert_array(grads.get(k), shape=params[k].shape, name=f"grads[{k!r}]")
            if not np.all(np.isfinite(g)):
                raise CheckFailure(f"grads[{k!r}] contains NaN or inf at training step {step}")
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g ** 2
            params[k] = params[k] - lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)
    _set_params(t, model, params)
    return params


def _overfit(t, model, params, X, y, private, fn: str, steps: int, lr: float) -> None:
    """Train with :func:`_adam`; the trained parameters must classify every example of (X, y) correctly."""
    trained = _adam(t, model, params, X, y, steps, lr, fn)
    if private is not None:
        loss, scores = private(trained, X, y)
        judged = "the reference forward pass of the trained parameters"
    else:
        t.note(OWN_NUMBERS.format(what="overfitting"))
        scores = t.assert_array(t.call_method(model, "loss", X), shape=(len(X), NUM_CLASSES),
                                name=f"{fn}(X) (scores)")
        loss = None
        judged = "your model's scores for the trained parameters"
    acc = float(np.mean(np.argmax(scores, axis=1) == y))
    if acc < 1.0:
        raise CheckFailure(f"after {steps} Adam steps (learning rate {lr:g}) on the gradients {fn} returns, "
                           f"{judged} classify {acc:.2f} of the {len(X)} examples correctly; expected all"
                           + (f" (reference loss {loss:.3f})" if loss is not None else ""))


def _initial_loss(t, model, params, X, y, expected, fn: str, mistakes, blame) -> None:
    """``model.loss`` at the grader's small weights, reg 0: the reference loss, about log(10), and the scores.

    ``mistakes``: the model's known wrong versions (``{description: [loss, scores]}``) on these inputs;
    ``blame``: what checks the layers when a result is wrong (:func:`blame_first`).
    """
    _set_params(t, model, params)
    loss, _ = _loss_and_grads(t, model, X, y, fn)
    want_loss, want_scores = expected
    # Small weights give nearly equal scores, so each class has probability ~1/10.
    assert abs(want_loss - math.log(NUM_CLASSES)) < 0.01, "the grader's weights are not small"
    with blame_first(blame):
        # The scores first: at small weights every mistake moves the loss by little, the scores by much.
        scores = t.call_method(model, "loss", X)
        t.assert_close(scores, want_scores, tol=1e-7, name=f"{fn}(X) (scores, no labels: test mode)",
                       mistakes=_output(mistakes, 1))
        t.assert_close(loss, want_loss, tol=1e-7, name=f"loss (log(10) = {math.log(NUM_CLASSES):.4f})",
                       factors={"N, the batch size": len(X)})


# ------------------------------------------------------------------ ThreeLayerConvNet

CNN_DIMS = {"input_dim": (3, 8, 8), "num_filters": 4, "filter_size": 3, "hidden_dim": 8}
CNN_N = 4
# Overfitting: 10 examples of 10 classes, Adam, 100 steps of learning rate 3e-2. Measured with the solution on
# 40 seeds of data and initial weights: all 40 runs classify every example (with hidden_dim 8, 60 steps of 1e-2,
# 21 of 40 did not). A correct submission follows the same trajectory up to rounding.
OVERFIT_CNN = {**CNN_DIMS, "hidden_dim": 32}
OVERFIT_STEPS, OVERFIT_LR = 100, 3e-2
INIT_DIMS = {"input_dim": (3, 16, 16), "num_filters": 16, "filter_size": 5, "hidden_dim": 100}


def _cnn_shapes(input_dim, num_filters, filter_size, hidden_dim) -> dict:
    C, H, W = input_dim
    return {"W1": (num_filters, C, filter_size, filter_size), "b1": (num_filters,),
            "W2": (num_filters * (H // 2) * (W // 2), hidden_dim), "b2": (hidden_dim,),
            "W3": (hidden_dim, NUM_CLASSES), "b3": (NUM_CLASSES,)}


def _cnn_fan_in(k, input_dim, num_filters, filter_size, hidden_dim) -> int:
    C, H, W = input_dim
    return {"W1": C * filter_size ** 2, "W2": num_filters * (H // 2) * (W // 2), "W3": hidden_dim}[k]


def _random_params(t, shapes: dict, weight_std=None, bias_std: float = 0.5) -> dict:
    """Weights N(0, s^2) (s = weight_std, or He's sqrt(2/fan_in) where None), biases N(0, bias_std^2)."""
    params = {}
    for k, shape in shapes.items():
        if k[0] == "W":
            fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
            std = weight_std if weight_std is not None else math.sqrt(2.0 / fan_in)
            params[k] = std * t.rng.standard_normal(shape)
        elif k.startswith("gamma"):
            params[k] = 1 + 0.3 * t.rng.standard_normal(shape)
        else:
            params[k] = bias_std * t.rng.standard_normal(shape)
    return params


def _check_init(t, model, shapes: dict, dtype: str, std_of, wrong=None) -> dict:
    """The drawn parameters: names, shapes, dtype, zero biases, weight mean ~0 and std ``std_of(name)`` (within 15%).

    ``wrong(name)``: the draws students make by mistake, ``[(what, fix, mean, std)]``; a weight whose
    statistics fit exactly one of them (by the same margins) is said to be drawn that way.
    """
    params = t.get_attr(model, "params")
    if not isinstance(params, dict) or sorted(params) != sorted(shapes):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise CheckFailure(f"model.params should be a dict with keys {sorted(shapes)}, got {got}")

    def fits(mean, std, want_mean, want):
        # At least 1,000 draws per weight: the sample std is within 3% (one standard error) of the true one
        # and the mean within 3% of s, so 15% and 20% fail a correct draw almost never, a wrong scale always.
        return abs(mean - want_mean) <= 0.2 * want and abs(std - want) < 0.15 * want

    for k, shape in shapes.items():
        got = getattr(params[k], "shape", None)
        weight = shapes.get(f"W{k[1:]}") if k[0] == "b" else None
        if weight is not None and got != shape and got == (weight[1] if len(weight) == 4 else weight[0],):
            # The bias sized by the layer's input: C channels for a conv, D inputs for an affine layer.
            unit, per = (("input channel", "filter (F") if len(weight) == 4 else ("input", "output (M"))
            raise CheckFailure(f"model.params[{k!r}] has one entry per {unit} ({got[0]}), not one per {per} = "
                               f"{shape[0]})\nfix: {k} = np.zeros({shape[0]}): W{k[1:]} has shape {weight}")
        p = t.assert_array(params[k], shape=shape, dtype=dtype, name=f"model.params[{k!r}]")
        if k[0] == "b":
            if np.any(p != 0):
                raise CheckFailure(f"model.params[{k!r}] should start at 0 (biases are not drawn at random)")
            continue
        mean, std, want = float(p.mean()), float(p.std()), std_of(k)
        if not fits(mean, std, 0.0, want):
            found = [] if wrong is None else [(what, fix) for what, fix, m, s in wrong(k) if fits(mean, std, m, s)]
            stats = f"mean {mean:.3g} and std {std:.3g}; expected draws from N(0, s^2) with s = {want:.3g}"
            if len(found) == 1:         # several fitting would be a guess: then only the statistics
                raise CheckFailure(f"model.params[{k!r}]: {found[0][0]} ({stats})\nfix: {found[0][1]}")
            raise CheckFailure(f"model.params[{k!r}] has {stats}")
    return params


def _he_std(k) -> float:
    """He's std sqrt(2 / fan_in) of weight ``k`` of the model built with INIT_DIMS."""
    return math.sqrt(2.0 / _cnn_fan_in(k, **INIT_DIMS))


def _scale_mistakes(weight_scale: float, he):
    """Wrong draws for ``weight_scale`` given: ``[(what, fix, mean, std)]`` (``he(k)`` is He's std of weight k)."""
    fix = "W = weight_scale * rng.standard_normal(shape)"
    return lambda k: [
        ("the weights are uniform on [0, 1) times weight_scale (rng.random), not normal with mean 0", fix,
         weight_scale / 2, weight_scale / math.sqrt(12)),
        ("the std is weight_scale**2: weight_scale was taken as the variance", fix, 0.0, weight_scale ** 2),
        ("the weights have He's std sqrt(2 / fan_in): weight_scale is ignored",
         "std = weight_scale when it is given, He's sqrt(2 / fan_in) only when it is None", 0.0, he(k)),
    ]


def _he_mistakes(shapes: dict, he):
    """Wrong He draws: ``[(what, fix, mean, std)]`` for weight k (``he(k)``: the right std)."""
    def found(k):
        out = [("the weights have std sqrt(1 / fan_in) (Xavier's), not He's sqrt(2 / fan_in)",
                "std = np.sqrt(2.0 / fan_in)", 0.0, he(k) / math.sqrt(2))]
        if len(shapes[k]) == 4:
            out.append((f"std sqrt(2 / {shapes[k][0]}): the fan_in of {k} is taken as F = {shapes[k][0]}, the "
                        f"number of filters, not C*HH*WW", f"fan_in of {k} = C * HH * WW", 0.0,
                        math.sqrt(2.0 / shapes[k][0])))
        return out
    return found


@check("three_layer_convnet", points=6)
def three_layer_convnet(t):
    """ThreeLayerConvNet: initialisation, loss ~log(10) at small weights, gradients, reg, overfits 10 examples."""
    shapes_init = _cnn_shapes(**INIT_DIMS)
    with t.part("__init__: parameter names, shapes, dtype, zero biases, weights N(0, weight_scale^2), seeded"):
        model = t.call("models.ThreeLayerConvNet", **INIT_DIMS, weight_scale=2e-2, dtype="float32", seed=0)
        first = _check_init(t, model, shapes_init, "float32", lambda k: 2e-2, _scale_mistakes(2e-2, _he_std))
        again = t.get_attr(t.call("models.ThreeLayerConvNet", **INIT_DIMS, weight_scale=2e-2, dtype="float32",
                                  seed=0), "params")
        if not isinstance(again, dict) or any(not np.array_equal(first[k], again.get(k)) for k in first):
            raise CheckFailure("two models built with seed=0 have different parameters; draw them from "
                               "rng = _init_generator(seed), as the skeleton does")
    with t.part("__init__ with weight_scale=None: He initialisation, std sqrt(2 / fan_in)"):
        model = t.call("models.ThreeLayerConvNet", **INIT_DIMS, weight_scale=None, dtype="float64", seed=1)
        _check_init(t, model, shapes_init, "float64", _he_std, _he_mistakes(shapes_init, _he_std))
    _cnn_model_parts(t, "models.ThreeLayerConvNet")


def _cnn_model_parts(t, cls: str) -> None:
    """The parts of :func:`three_layer_convnet` that depend on the check's seed: loss, gradients, reg, overfitting."""
    fn = "ThreeLayerConvNet.loss"
    shapes = _cnn_shapes(**CNN_DIMS)
    X = t.rng.standard_normal((CNN_N, *CNN_DIMS["input_dim"]))
    y = t.rng.integers(0, NUM_CLASSES, size=CNN_N)
    with t.part("loss with small weights (std 1e-3), reg 0: about log(10), equal to the reference; test-mode scores"):
        small = _random_params(t, shapes, weight_std=1e-3, bias_std=1e-3)
        model = t.call(cls, **CNN_DIMS, weight_scale=1e-3, dtype="float64", seed=0)
        trace = ref.three_layer_convnet_trace(small, X, y)
        _initial_loss(t, model, small, X, y, ref.three_layer_convnet(small, X, y), fn,
                      lambda: ref.three_layer_convnet_mistakes(small, X, y),
                      lambda: blame_cnn(t, small, X, y, trace, backward=False))
    params = _random_params(t, shapes)
    trace = ref.three_layer_convnet_trace(params, X, y)
    expected_grads = None
    with t.part("gradients (float64, reg 0) against centred differences of the reference loss"), \
            blame_first(lambda: blame_cnn(t, params, X, y, trace)):
        model = t.call(cls, **CNN_DIMS, dtype="float64", seed=0)
        _set_params(t, model, params)
        loss, grads = _loss_and_grads(t, model, X, y, fn)
        t.assert_close(loss, ref.three_layer_convnet(params, X, y)[0], tol=1e-7, name="loss",
                       factors={"N, the batch size": CNN_N},
                       mistakes=_output(lambda: ref.three_layer_convnet_mistakes(params, X, y), 0))
        expected_grads = ref.three_layer_convnet_grads(params, X, y)
        _compare_grads(t, grads, expected_grads, "against centred differences", CNN_N)
    with t.part("reg=0.7 adds 0.5 * reg * sum(W**2) over W1, W2, W3 (not biases) and reg * W to their gradients"), \
            blame_first(lambda: blame_cnn(t, params, X, y, trace)):
        reg = 0.7
        model = t.call(cls, **CNN_DIMS, reg=reg, dtype="float64", seed=0)
        _set_params(t, model, params)
        loss, grads = _loss_and_grads(t, model, X, y, fn)
        t.assert_close(loss, ref.three_layer_convnet(params, X, y, reg)[0], tol=1e-9,
                       name="loss (reference loss + 0.5 * reg * sum of squares of the weights)",
                       mistakes=_output(lambda: ref.three_layer_convnet_mistakes(params, X, y, reg), 0))
        if expected_grads is None:
            expected_grads = ref.three_layer_convnet_grads(params, X, y)
        # The penalty's gradient, reg * W, added to the unregularized reference: biases get nothing.
        _compare_grads(t, grads, {k: g + reg * params[k] if k[0] == "W" else g for k, g in expected_grads.items()},
                       "reference + reg * W", CNN_N, lambda: ref.regularization_grad_mistakes(params, reg))
    with t.part("overfits 10 examples: Adam on the gradients of model.loss, then every example classified correctly"):
        Xo = t.rng.standard_normal((10, *CNN_DIMS["input_dim"]))
        yo = t.rng.permutation(NUM_CLASSES)       # one example per class: nothing to gain from guessing the majority
        model = t.call(cls, **OVERFIT_CNN, dtype="float64", seed=0)
        _overfit(t, model, _random_params(t, _cnn_shapes(**OVERFIT_CNN), bias_std=0.0), Xo, yo,
                 getattr(ref, "_three_layer_convnet", None), fn, steps=OVERFIT_STEPS, lr=OVERFIT_LR)


# ------------------------------------------------------------------ FullyConnectedNet

FC_IN = (3, 2, 2)           # flattened to 12 numbers per example
FC_HIDDEN = [7, 6]
FC_OVERFIT_HIDDEN = [16, 16]    # measured as OVERFIT_CNN: 40 of 40 seeds overfit ([6, 6], 60 steps: 12 of 40 failed)
FC_N = 6
FC_KEEP, FC_SEED = 0.5, 3


def _fc_shapes(normalization, hidden=FC_HIDDEN) -> dict:
    dims = [int(np.prod(FC_IN)), *hidden, NUM_CLASSES]
    shapes = {}
    for i in range(1, len(dims)):
        shapes[f"W{i}"], shapes[f"b{i}"] = (dims[i - 1], dims[i]), (dims[i],)
        if normalization is not None and i < len(dims) - 1:
            shapes[f"gamma{i}"], shapes[f"beta{i}"] = (dims[i],), (dims[i],)
    return shapes


def _fc_model(t, cls: str, hidden=FC_HIDDEN, **kwargs):
    kwargs = {"dtype": "float64", "seed": 0, **kwargs}
    return t.call(cls, list(hidden), input_dim=int(np.prod(FC_IN)), num_classes=NUM_CLASSES, **kwargs)


def _dropout_masks(t) -> list:
    """The 0/1 masks the submission's dropout layer draws for the model's seed, one per hidden layer.

    The model passes its ``dropout_param`` (keep ratio and seed) to
    ``layers.dropout_forward`` for every hidden layer, so a layer of width H
    drops what dropout_forward drops from an (N, H) array of ones. A mask
    that keeps far from half of the units is no dropout with p = 0.5.
    """
    masks = []
    for width in FC_HIDDEN:
        out, _ = h.forward(t, "layers.dropout_forward", np.ones((FC_N, width)),
                           {"mode": "train", "p": FC_KEEP, "seed": FC_SEED})
        out = t.assert_array(out, shape=(FC_N, width), name="layers.dropout_forward's out")
        mask = (out != 0).astype(np.float64)
        if not 0.2 <= mask.mean() <= 0.8:
            raise CheckFailure(f"layers.dropout_forward with p={FC_KEEP} kept {mask.mean():.2f} of {mask.size} "
                               f"units; the dropout check must pass first")
        masks.append(mask)
    return masks


def _own_directional_derivatives(t, model, params, grads, directions, X, y, fn: str) -> None:
    """The model's gradients projected on ``directions[k]``, against centred differences of its own loss."""
    step = 1e-5
    for k in sorted(params):
        d = directions[k]
        values = []
        for sign in (1, -1):
            t.set_item(model, "params", k, params[k] + sign * step * d)
            values.append(_loss_and_grads(t, model, X, y, fn)[0])
        t.set_item(model, "params", k, params[k])
        got = t.assert_array(grads.get(k), shape=params[k].shape, name=f"grads[{k!r}]")
        t.assert_close(float(np.sum(got * d)), (values[0] - values[1]) / (2 * step), tol=1e-5, atol=1e-9,
                       name=f"grads[{k!r}] projected on a random direction (against your loss's centred differences)")


@check("fully_connected_net", points=7)
def fully_connected_net(t):
    """FullyConnectedNet.loss: loss ~log(10) at small weights; gradients with no, batch and layer norm; reg;
    dropout; overfits 10 examples."""
    fn = "FullyConnectedNet.loss"
    cls = "models.FullyConnectedNet"        # named here, where the release tool sees which check calls it
    X = t.rng.standard_normal((FC_N, *FC_IN))
    y = t.rng.integers(0, NUM_CLASSES, size=FC_N)
    with t.part("loss with small weights (std 1e-3), reg 0: about log(10), equal to the reference; test-mode scores"):
        small = _random_params(t, _fc_shapes(None), weight_std=1e-3, bias_std=1e-3)
        trace = ref.fully_connected_net_trace(small, X, y)
        _initial_loss(t, _fc_model(t, cls), small, X, y, ref.fully_connected_net(small, X, y), fn,
                      lambda: ref.fully_connected_net_mistakes(small, X, y),
                      lambda: _blame_fc(t, small, y, trace, None, backward=False))
    for normalization, label in ((None, "no normalization"), ("batchnorm", "batch norm"),
                                 ("layernorm", "layer norm")):
        params = _random_params(t, _fc_shapes(normalization))
        trace = ref.fully_connected_net_trace(params, X, y, normalization)
        with t.part(f"{label}: loss and gradients (float64, reg 0) against the reference"), \
                blame_first(lambda: _blame_fc(t, params, y, trace, normalization)):
            model = _fc_model(t, cls, normalization=normalization)
            _set_params(t, model, params)
            loss, grads = _loss_and_grads(t, model, X, y, fn)
            t.assert_close(loss, ref.fully_connected_net(params, X, y, 0.0, normalization)[0], tol=1e-7, name="loss",
                           factors={"N, the batch size": FC_N},
                           mistakes=_output(lambda: ref.fully_connected_net_mistakes(params, X, y, 0.0,
                                                                                     normalization), 0))
            _compare_grads(t, grads, ref.fully_connected_net_grads(params, X, y, 0.0, normalization),
                           "against centred differences", FC_N)
    params = _random_params(t, _fc_shapes("batchnorm"))
    trace = ref.fully_connected_net_trace(params, X, y, "batchnorm")
    with t.part("reg=0.7 adds 0.5 * reg * sum(W**2) over the weights only (not b, gamma, beta), reg * W to their "
                "gradients"), blame_first(lambda: _blame_fc(t, params, y, trace, "batchnorm")):
        reg = 0.7
        model = _fc_model(t, cls, normalization="batchnorm", reg=reg)
        _set_params(t, model, params)
        loss, grads = _loss_and_grads(t, model, X, y, fn)
        t.assert_close(loss, ref.fully_connected_net(params, X, y, reg, "batchnorm")[0], tol=1e-9,
                       name="loss (reference loss + 0.5 * reg * sum of squares of the weights)",
                       mistakes=_output(lambda: ref.fully_connected_net_mistakes(params, X, y, reg, "batchnorm"), 0))
        expected = ref.fully_connected_net_grads(params, X, y, 0.0, "batchnorm")
        _compare_grads(t, grads, {k: g + reg * params[k] if k[0] == "W" else g for k, g in expected.items()},
                       "reference + reg * W", FC_N, lambda: ref.regularization_grad_mistakes(params, reg))
    with t.part(f"dropout (keep {FC_KEEP}, seeded): test mode leaves it out, train mode applies "
                f"layers.dropout_forward's masks"):
        params = _random_params(t, _fc_shapes(None))
        model = _fc_model(t, cls, dropout_keep_ratio=FC_KEEP, seed=FC_SEED)
        _set_params(t, model, params)
        t.assert_close(t.call_method(model, "loss", X), ref.fully_connected_net(params, X), tol=1e-7,
                       name=f"{fn}(X) (scores, test mode: no units dropped)")
        loss, grads = _loss_and_grads(t, model, X, y, fn)
        # Both branches below make the same draws and the same calls of public references, so the
        # release (which takes the second) replays exactly what the build (the first) recorded.
        directions = {k: t.rng.standard_normal(v.shape) for k, v in sorted(params.items())}
        plain = ref.fully_connected_net(params, X, y)[0]
        private = getattr(ref, "_fully_connected_net_dropout", None)      # None in the student release
        if private is not None:
            want_loss, want_grads = private(params, X, y, FC_KEEP, _dropout_masks(t))
            t.assert_close(loss, want_loss, tol=1e-7, name="loss (with the masks of layers.dropout_forward)",
                           mistakes=lambda: {"the training loss has no dropout: dropout_forward is not applied to the "
                                             "hidden layers\nfix: in train mode, out, cache = dropout_forward(out, "
                                             "self.dropout_param) after each hidden layer": plain})
            _compare_grads(t, grads, want_grads, "against centred differences, same masks", FC_N)
        else:
            t.note(OWN_NUMBERS.format(what="dropout's training loss"))
            if abs(loss - plain) < 1e-6:
                raise CheckFailure(f"the training loss with dropout ({loss:.6f}) equals the loss without it: "
                                   f"is dropout_forward called on the hidden layers in train mode?")
            _own_directional_derivatives(t, model, params, grads, directions, X, y, fn)
    with t.part("overfits 10 examples: Adam on the gradients of model.loss, then every example classified correctly"):
        Xo = t.rng.standard_normal((10, *FC_IN))
        yo = t.rng.permutation(NUM_CLASSES)
        model = _fc_model(t, cls, FC_OVERFIT_HIDDEN)
        _overfit(t, model, _random_params(t, _fc_shapes(None, FC_OVERFIT_HIDDEN), bias_std=0.0), Xo, yo,
                 getattr(ref, "_fully_connected_net", None), fn, steps=OVERFIT_STEPS, lr=OVERFIT_LR)


### BEGIN HIDDEN TESTS
@check("models_other_inputs", points=11, hidden=True)
def models_other_inputs(t):
    """Hidden: both models' loss, gradients, reg, dropout and overfitting on inputs the release never saw.

    The release ships the public checks' reference results, so a submission
    could look them up; these parts are the same, drawn from this check's seed.
    """
    _cnn_model_parts(t, "models.ThreeLayerConvNet")
    fully_connected_net(t)
### END HIDDEN TESTS
