"""No points for nothing: a check's expected values never come from the student's own numbers.

Each test runs checks in process against a submission that implements
nothing, or that only *reports* good numbers (a model whose loss is
log(10) with zero gradients, a model that computes with parameters of its
own whatever the check sets, a Solver that claims 95% accuracy, batch norm
whose running statistics stay at zero), and asserts that the check it
targets scores 0. The in-process student resolves ``cs231n_cnn.<module>.<name>``
at call time, so patching a module attribute is exactly what such a
submission looks like to it.
"""

from __future__ import annotations

import importlib
import math
import types
from pathlib import Path

import numpy as np
import pytest
from released_library import released_module

import cs231n_cnn
import cs231n_cnn.layers as L
import cs231n_cnn.models as models
import cs231n_cnn.optim as optim
import cs231n_cnn.solver as solver
from cs231n_cnn.grading import load_checks, run_checks
from cs231n_cnn.grading.release import release_python

CHECKS = load_checks()
# Captured before any test patches them.
REAL_BATCHNORM_FORWARD = L.batchnorm_forward
REAL_LOSS = models.ThreeLayerConvNet.loss
REAL_FC_LOSS = models.FullyConnectedNet.loss
PACKAGE_DIR = Path(cs231n_cnn.__file__).resolve().parent
# Every library module the student release stubs (the rest ships as it is).
RELEASED = sorted(p.relative_to(PACKAGE_DIR.parent).as_posix() for p in PACKAGE_DIR.rglob("*.py")
                  if "### BEGIN SOLUTION" in p.read_text(encoding="utf-8"))


def _stubbed_methods(relpath: str, cls: str) -> list[str]:
    """The methods of class ``cls`` in ``relpath`` that the release stubs."""
    _, names = release_python((PACKAGE_DIR.parent / relpath).read_text(encoding="utf-8"), relpath)
    return [n.split(".", 1)[1] for n in names if n.startswith(cls + ".")]


@pytest.fixture
def untouched_release(monkeypatch):
    """Every stubbed function of the release in place of the solution, wherever the package looks it up."""
    assert {"cs231n_cnn/optim.py", "cs231n_cnn/layers/conv.py", "cs231n_cnn/layers/norm.py",
            "cs231n_cnn/models.py"} <= set(RELEASED)
    for relpath in RELEASED:
        original = importlib.import_module(relpath[:-3].replace("/", "."))
        released = released_module(relpath, "released_for_trust_test")
        for name, stub in vars(released).items():
            real = getattr(original, name, None)
            if isinstance(stub, type) and stub.__module__ == released.__name__ and isinstance(real, type):
                # A class with exercises in its methods (ThreeLayerConvNet, FullyConnectedNet): the stubbed methods.
                for method in _stubbed_methods(relpath, name):
                    monkeypatch.setattr(real, method, vars(stub)[method])
                continue
            if not (isinstance(stub, types.FunctionType) and stub.__module__ == released.__name__
                    and isinstance(real, types.FunctionType)):
                continue
            monkeypatch.setattr(original, name, stub)
            if getattr(L, name, None) is real:
                monkeypatch.setattr(L, name, stub)
            for rule, fn in optim.UPDATE_RULES.items():
                if fn is real:
                    monkeypatch.setitem(optim.UPDATE_RULES, rule, stub)


def test_the_untouched_release_scores_zero_on_every_check(untouched_release):
    results = run_checks()
    assert {r.name for r in results} == set(CHECKS)
    scored = [r.report() for r in results if r.score != 0]
    assert not scored, "\n".join(scored)
    by_name = {r.name: r for r in results}
    for name in ("training_smoke", "batchnorm_running_stats", "dropout", "sgd", "three_layer_convnet",
                 "fully_connected_net"):
        assert "not implemented yet" in by_name[name].report(), by_name[name].report()


# ------------------------------------------------------------------ a model and a Solver that only report

class ReportingModel(models.ThreeLayerConvNet):
    """Loss log(10) and zero gradients, whatever the weights: what a stubbed net would like to claim."""

    def loss(self, X, y=None):
        if y is None:
            return np.zeros((len(X), self.num_classes))
        return math.log(10), {k: np.zeros_like(v) for k, v in self.params.items()}


class ReportingSolver:
    """Trains nothing; reports 95% accuracy and a loss history that halves."""

    def __init__(self, model, data, **kwargs):
        self.model = model
        self.loss_history = []

    def train(self):
        self.loss_history = [math.log(10) * 0.9 ** i for i in range(40)]

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        return 0.95


def _one(name):
    (result,) = run_checks([name])
    return result


class ZeroGradientModel(ReportingModel):
    """The true loss (the solution's layers), but gradients of zeros."""

    def loss(self, X, y=None):
        if y is None:
            return REAL_LOSS(self, X)
        loss, grads = REAL_LOSS(self, X, y)
        return loss, {k: np.zeros_like(v) for k, v in grads.items()}


@pytest.mark.parametrize("model, first_part_says", [
    (ReportingModel, "loss (against the reference forward pass of model.params)"),
    (ZeroGradientModel, "grads['W1'] projected on a random direction (against the reference loss)"),
], ids=["loss-log10", "true-loss-zero-grads"])
def test_a_model_and_solver_that_only_report_good_numbers_score_zero(monkeypatch, model, first_part_says):
    monkeypatch.setattr(models, "ThreeLayerConvNet", model)
    monkeypatch.setattr(solver, "Solver", ReportingSolver)
    result = _one("training_smoke")
    assert result.score == 0, result.report()
    initial, trained, history = result.parts
    assert first_part_says in initial.message
    assert "Solver.check_accuracy reports 0.950, but the reference forward pass" in trained.message
    assert "loss_history[0] (against the reference loss of the initial model.params)" in history.message


def test_a_solver_that_claims_accuracy_without_training_loses_the_training_parts(monkeypatch):
    # The real model (the solution's layers) earns the initial-loss part; the Solver's claims earn nothing.
    monkeypatch.setattr(solver, "Solver", ReportingSolver)
    result = _one("training_smoke")
    assert [p.passed for p in result.parts] == [True, False, False], result.report()
    assert "loss_history[0]" in result.parts[2].message


def test_the_training_check_falls_back_to_reported_numbers_only_where_the_reference_is_absent(monkeypatch):
    """The student release does not ship the private forward pass; the check still runs there."""
    ref = importlib.import_module("_cs231n_checks._reference")
    monkeypatch.delattr(ref, "_three_layer_convnet")
    result = _one("training_smoke")
    assert result.passed and "judged by their own numbers" in result.line(), result.line()
    monkeypatch.setattr(models, "ThreeLayerConvNet", ReportingModel)
    monkeypatch.setattr(solver, "Solver", ReportingSolver)
    # Without the private reference the Solver's claims pass locally, which is why the grader keeps it; the
    # model's forward pass on the check's own parameters is judged by public references even there.
    result = _one("training_smoke")
    assert not result.parts[0].passed and result.score > 0, result.report()


# ------------------------------------------------------------------ batch norm whose statistics never move

class ZeroWeightConvNet(models.ConvNet):
    """All weights 0, so any layer before batch norm feeds it zeros (and zero statistics)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for k in self.params:
            if k.startswith("W"):
                self.params[k][...] = 0


def batchnorm_forward_frozen_statistics(x, gamma, beta, bn_param):
    """Normalizes correctly but leaves the running statistics at zero."""
    out, cache = REAL_BATCHNORM_FORWARD(x, gamma, beta, dict(bn_param))
    bn_param["running_mean"], bn_param["running_var"] = np.zeros(x.shape[1]), np.zeros(x.shape[1])
    return out, cache


def test_batchnorm_with_zero_weights_and_frozen_statistics_scores_zero(monkeypatch):
    monkeypatch.setattr(models, "ConvNet", ZeroWeightConvNet)
    monkeypatch.setattr(L, "batchnorm_forward", batchnorm_forward_frozen_statistics)
    monkeypatch.setattr(L.norm, "batchnorm_forward", batchnorm_forward_frozen_statistics)
    result = _one("batchnorm_running_stats")
    assert result.score == 0, result.report()


# ------------------------------------------------------------------ layers that return zeros

def dropout_forward_zeros(x, dropout_param):
    """Every unit dropped, in both modes."""
    return np.zeros_like(x), (dropout_param, np.zeros_like(x))


def dropout_backward_zeros(dout, cache):
    return np.zeros_like(dout)


def test_dropout_that_drops_everything_scores_zero(monkeypatch):
    monkeypatch.setattr(L, "dropout_forward", dropout_forward_zeros)
    monkeypatch.setattr(L, "dropout_backward", dropout_backward_zeros)
    result = _one("dropout")
    assert result.score == 0, result.report()


def test_float32_conv_backward_of_zeros_fails_the_backward_part(monkeypatch):
    def conv_backward_zeros(dout, cache, compute_dx=True):
        x, w = cache[0], cache[1]
        return np.zeros_like(x), np.zeros_like(w), np.zeros(w.shape[0], w.dtype)

    real_forward = L.conv_forward_fast

    def conv_forward_keeping_inputs(x, w, b, conv_param):
        out, _ = real_forward(x, w, b, conv_param)
        return out, (x, w)

    monkeypatch.setattr(L, "conv_forward_fast", conv_forward_keeping_inputs)
    monkeypatch.setattr(L, "conv_backward_fast", conv_backward_zeros)
    result = _one("conv_fast_float32")
    parts = {p.label: p for p in result.parts}
    assert parts["forward float32"].passed
    assert not parts["backward float32"].passed, result.report()


# ------------------------------------------------------------------ the model exercises: forged params, lazy models

def private_copy(model_class, real_loss):
    """``model_class`` reporting ``params`` but computing with a copy taken at construction: what a check sets is ignored."""

    class PrivateCopy(model_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._own = {k: v.copy() for k, v in self.params.items()}

        def loss(self, X, y=None):
            shown, self.params = self.params, self._own
            try:
                return real_loss(self, X, y)
            finally:
                self.params = shown

    return PrivateCopy


PrivateCopyConvNet = private_copy(models.ThreeLayerConvNet, REAL_LOSS)


class Log10Net:
    """Any model that claims loss log(10), zero gradients and equal scores, whatever its parameters."""

    def __init__(self, *args, **kwargs):
        self.params = {}

    def loss(self, X, y=None):
        if y is None:
            return np.zeros((len(X), 10))
        return math.log(10), {k: np.zeros_like(v) for k, v in self.params.items()}


def test_a_convnet_that_ignores_the_parameters_it_is_given_earns_only_its_initialisation(monkeypatch):
    monkeypatch.setattr(models, "ThreeLayerConvNet", PrivateCopyConvNet)
    result = _one("three_layer_convnet")
    assert [p.passed for p in result.parts] == [True, True, False, False, False, False], result.report()


@pytest.mark.parametrize("name, cls", [("three_layer_convnet", "ThreeLayerConvNet"),
                                       ("fully_connected_net", "FullyConnectedNet")])
def test_a_model_that_reports_log10_and_zero_gradients_scores_zero(monkeypatch, name, cls):
    monkeypatch.setattr(models, cls, Log10Net)
    result = _one(name)
    assert result.score == 0, result.report()


PrivateCopyFCNet = private_copy(models.FullyConnectedNet, REAL_FC_LOSS)


def test_a_fully_connected_net_that_ignores_the_parameters_it_is_given_scores_zero(monkeypatch):
    monkeypatch.setattr(models, "FullyConnectedNet", PrivateCopyFCNet)
    result = _one("fully_connected_net")
    assert result.score == 0, result.report()


def test_the_model_checks_fall_back_to_the_models_own_numbers_only_without_the_private_references(monkeypatch):
    """As in the release: full marks for the solution, and the line says what was judged by the student's numbers."""
    ref = importlib.import_module("_cs231n_checks._reference")
    for private in ("_three_layer_convnet", "_fully_connected_net", "_fully_connected_net_dropout"):
        monkeypatch.delattr(ref, private)
    for name in ("three_layer_convnet", "fully_connected_net"):
        result = _one(name)
        assert result.passed, result.report()
        assert result.line().startswith(f"PASS {name} ") and "judged by your model's own numbers" in result.line()
    (grader_line,) = [r.line() for r in run_checks(["relu_forward"])]
    assert "[" not in grader_line


def test_without_the_private_reference_dropout_that_is_ignored_still_fails(monkeypatch):
    ref = importlib.import_module("_cs231n_checks._reference")
    monkeypatch.delattr(ref, "_fully_connected_net_dropout")
    real_dropout = L.dropout_forward
    monkeypatch.setattr(L, "dropout_forward", lambda x, p: real_dropout(x, {**p, "mode": "test"}))
    result = _one("fully_connected_net")
    dropout_part = next(p for p in result.parts if p.label.startswith("dropout"))
    assert not dropout_part.passed and "equals the loss without it" in dropout_part.message, result.report()
