"""The solver package's surface: keyword-only options, old import paths, NonFiniteError as divergence."""

import inspect
import pydoc
import re

import numpy as np
import pytest

import cs231n_cnn.solver as solver_pkg
from cs231n_cnn.shapes import ArgumentTypeError, NonFiniteError, check_finite
from cs231n_cnn.solver import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    Solver,
    TrainingDiverged,
    load_checkpoint,
)

# Every option the course-style Solver(model, data, **kwargs) accepted, with its default.
OPTIONS = {
    "update_rule": "sgd", "optim_config": None, "lr_decay": 1.0, "batch_size": 100, "num_epochs": 10,
    "num_train_samples": 1000, "num_val_samples": None, "checkpoint_name": None, "checkpoint_every": None,
    "print_every": 10, "verbose": True, "progress": "auto", "stream": None, "restore_best": True,
    "seed": None, "augment": None, "resume": None,
}


class Linear:
    def __init__(self):
        self.params = {"W": np.zeros((2, 2))}

    def loss(self, X, y=None):
        s = X @ self.params["W"]
        return s if y is None else (float(np.sum(s ** 2)), {"W": 0.1 * np.ones((2, 2))})


DATA = {"X_train": np.eye(2), "y_train": np.array([0, 1]), "X_val": np.eye(2), "y_val": np.array([0, 1])}


def test_the_options_are_keyword_only_parameters_with_the_old_defaults():
    params = inspect.signature(Solver).parameters
    assert list(params)[:2] == ["model", "data"]
    assert {k: p.default for k, p in params.items() if p.kind is p.KEYWORD_ONLY} == OPTIONS
    # What help(Solver) shows. Python 3.13's pydoc puts a long signature one parameter per line
    # (between "|" margins): compare without the layout.
    shown = re.sub(r"[\s|]+", "", pydoc.render_doc(Solver, renderer=pydoc.plaintext))
    assert "Solver(model,data,*,update_rule='sgd',optim_config=None,lr_decay=1.0," in shown


def test_the_course_style_call_with_a_kwargs_dict_works():
    s = Solver(Linear(), DATA, **{"update_rule": "sgd", "optim_config": {"learning_rate": 1e-2},
                                  "num_epochs": 1, "batch_size": 2, "verbose": False, "seed": 0})
    s.train()
    assert s.iteration == 1 and s.optim_config == {"learning_rate": 1e-2}
    assert Solver(Linear(), DATA, verbose=False).optim_config == {}


@pytest.mark.parametrize("kwargs, hint", [
    ({"num_epoch": 2}, r"did you mean 'num_epochs' for 'num_epoch'\?"),
    ({"learning_rate": 1e-3}, r"learning_rate is a hyperparameter of the update rule: pass "
                              r"optim_config=\{'learning_rate': ...\}"),
], ids=["misspelt", "hyperparameter"])
def test_a_misspelt_option_is_pythons_type_error_with_a_hint(kwargs, hint):
    with pytest.raises(TypeError, match=hint) as e:
        Solver(Linear(), DATA, **kwargs)
    assert isinstance(e.value, ArgumentTypeError) and isinstance(e.value, ValueError)  # old callers
    assert str(e.value).startswith(f"Solver: unrecognized arguments {next(iter(kwargs))!r}")
    assert "the options are update_rule, optim_config, lr_decay" in str(e.value)
    assert isinstance(e.value.__cause__, TypeError)
    assert "unexpected keyword argument" in str(e.value.__cause__)      # Python's own error


def test_other_type_errors_pass_through_unchanged():
    with pytest.raises(TypeError, match="positional argument") as e:
        Solver(Linear(), DATA, "sgd")
    assert not isinstance(e.value, ArgumentTypeError)

    class Exploding(Linear):
        def loss(self, X, y=None):
            raise TypeError("a bug in the model")

    s = Solver(Exploding(), DATA, num_epochs=1, verbose=False)
    with pytest.raises(TypeError, match="a bug in the model") as e:
        s.train()
    assert not isinstance(e.value, ArgumentTypeError)


def test_a_subclass_with_its_own_options_is_checked_against_its_signature():
    class Tagged(Solver):
        def __init__(self, model, data, *, tag="", **options):
            super().__init__(model, data, **options)
            self.tag = tag

    assert Tagged(Linear(), DATA, tag="x", verbose=False).tag == "x"
    assert "tag" in inspect.signature(Tagged).parameters
    with pytest.raises(TypeError, match="num_epoch"):
        Tagged(Linear(), DATA, num_epoch=1)


def test_a_subclass_without_forwarded_options_names_its_own():
    class Fixed(Solver):
        def __init__(self, model, data, *, epochs=1):
            super().__init__(model, data, num_epochs=epochs, verbose=False)

    assert Fixed(Linear(), DATA, epochs=2).num_epochs == 2
    assert list(inspect.signature(Fixed).parameters) == ["model", "data", "epochs"]
    with pytest.raises(ArgumentTypeError, match=r"'epoch' \(did you mean 'epochs' for 'epoch'\?\); the options are "
                                                r"epochs$"):
        Fixed(Linear(), DATA, epoch=2)


def test_a_type_error_inside_the_constructor_is_not_taken_for_a_misspelt_option():
    # Every keyword is an option; the constructor itself raises TypeError (reading the model): unchanged.
    class Broken:
        loss = Linear.loss

        @property
        def params(self):
            raise TypeError("a bug in the model")

    with pytest.raises(TypeError, match="a bug in the model") as e:
        Solver(Broken(), DATA, verbose=False)
    assert not isinstance(e.value, ArgumentTypeError)


def test_the_old_import_paths_still_work():
    assert solver_pkg.__all__ == ["Solver", "TrainingDiverged", "load_checkpoint", "CHECKPOINT_FORMAT",
                                  "CHECKPOINT_VERSION", "checkpoint_info", "NotACheckpoint"]
    assert CHECKPOINT_FORMAT == "cs231n_cnn.solver.checkpoint" and CHECKPOINT_VERSION == 2
    assert callable(load_checkpoint) and issubclass(TrainingDiverged, ValueError)
    from cs231n_cnn.compat.solver import Solver as CompatSolver

    assert CompatSolver is Solver


def test_non_finite_error_is_a_value_error_with_the_old_message():
    with pytest.raises(NonFiniteError, match=r"softmax_loss: x contains 1 non-finite value\(s\) "
                                             r"\(first nan at index \(0, 1\)\); check the learning rate") as e:
        check_finite(np.array([[0.0, np.nan]]), "x", layer="softmax_loss")
    assert isinstance(e.value, ValueError)


def test_the_solver_stops_on_a_layers_non_finite_error_by_type():
    from cs231n_cnn.layers import softmax_loss

    class Overflowing(Linear):
        def loss(self, X, y=None):
            if y is None:
                return X @ self.params["W"]
            return softmax_loss(np.full((X.shape[0], 2), np.inf), y)

    s = Solver(Overflowing(), DATA, num_epochs=1, verbose=False)
    with pytest.raises(TrainingDiverged, match=r"iteration 1 .*a layer saw non-finite values \(softmax_loss: "
                                               r"x contains 4 non-finite") as e:
        s.train()
    assert isinstance(e.value.__cause__, NonFiniteError)


def test_a_plain_value_error_mentioning_non_finite_is_not_divergence():
    class Complaining(Linear):
        def loss(self, X, y=None):
            raise ValueError("my data has non-finite labels")

    with pytest.raises(ValueError, match="my data has") as e:
        Solver(Complaining(), DATA, num_epochs=1, verbose=False).train()
    assert not isinstance(e.value, TrainingDiverged)
