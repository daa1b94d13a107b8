"""What the Solver accepts: its keyword options (a misspelt one is named), the model and the data.

:func:`names_unknown_options` decorates the Solver's ``__init__``, an
ordinary method whose options are keyword-only parameters (so ``help()``
and :func:`inspect.signature` show them on every Python): Python rejects
an option that ``__init__`` does not have, and this turns that
``TypeError`` into the course's message with a suggestion.
:func:`check_model` and :func:`check_data` validate the constructor's
inputs; :func:`all_finite` is the divergence test on parameters.
"""

from __future__ import annotations

import difflib
import functools
import inspect

import numpy as np

from ..shapes import ArgumentTypeError

__all__ = ["names_unknown_options", "check_model", "check_data", "all_finite"]

# Update-rule hyperparameters: passed to the Solver itself, they belong in optim_config.
_HYPERPARAMETERS = ("learning_rate", "momentum", "decay_rate", "epsilon", "beta1", "beta2")


def names_unknown_options(init):
    """Decorate a keyword-only ``__init__``: a misspelt option names the options there are.

    Python itself rejects a keyword argument ``init`` does not have
    (``TypeError``). The wrapper re-raises that error as an
    :class:`~cs231n_cnn.shapes.ArgumentTypeError` (a ``TypeError`` and a
    ``ValueError``, as the course-style ``**kwargs`` Solver raised), chained
    to Python's, with the course's message and a suggestion. A ``TypeError``
    raised inside ``init`` (its traceback entered ``init``) passes through
    unchanged. ``functools.wraps`` sets ``__wrapped__``, which is what
    :func:`inspect.signature` and ``help()`` follow to ``init``'s parameters.
    (A metaclass with a ``__signature__`` did this before; Python 3.13's
    ``help()`` no longer showed the options through it.)
    """
    signature = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        try:
            return init(self, *args, **kwargs)
        except TypeError as exc:
            # Raised by the call itself, before init ran: the traceback holds this frame only.
            unknown = _unknown_options(signature, kwargs) if exc.__traceback__.tb_next is None else []
            if not unknown:
                raise
            raise ArgumentTypeError(_unknown_options_message(signature, unknown)) from exc

    return __init__


def _unknown_options(signature: inspect.Signature, kwargs) -> list[str]:
    params = signature.parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return []
    return [k for k in kwargs if k not in params or params[k].kind is inspect.Parameter.POSITIONAL_ONLY]


def _unknown_options_message(signature: inspect.Signature, unknown: list[str]) -> str:
    options = [name for name, p in signature.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    hints = []
    for name in unknown:
        if name in _HYPERPARAMETERS:
            hints.append(f"{name} is a hyperparameter of the update rule: pass optim_config={{{name!r}: ...}}")
        else:
            close = difflib.get_close_matches(name, options, n=1)
            if close:
                hints.append(f"did you mean {close[0]!r} for {name!r}?")
    extra = ", ".join(repr(k) for k in unknown)
    hint = f" ({'; '.join(hints)})" if hints else ""
    return f"Solver: unrecognized arguments {extra}{hint}; the options are {', '.join(options)}"


def check_model(model) -> None:
    params = getattr(model, "params", None)
    if not isinstance(params, dict):
        raise ValueError(f"Solver: model.params must be a dict of arrays, got {type(params).__name__}")
    if not callable(getattr(model, "loss", None)):
        raise ValueError("Solver: model must have a method loss(X, y=None)")
    for k, v in params.items():
        if not isinstance(v, np.ndarray) or v.dtype.kind != "f":
            what = v.dtype if isinstance(v, np.ndarray) else type(v).__name__
            raise ValueError(f"Solver: model.params[{k!r}] must be a floating-point array, got {what}")


def check_data(data):
    if not isinstance(data, dict):
        raise ValueError(f"Solver: data must be a dict, got {type(data).__name__}")
    keys = ("X_train", "y_train", "X_val", "y_val")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"Solver: data is missing {missing}; it needs the keys {list(keys)}")
    out = []
    for split in ("train", "val"):
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        if not isinstance(X, np.ndarray) or not isinstance(y, np.ndarray):
            raise ValueError(f"Solver: X_{split} and y_{split} must be numpy arrays")
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise ValueError(f"Solver: y_{split} must be a 1-D array of integer labels, "
                             f"got shape {y.shape}, dtype {y.dtype}")
        if X.shape[0] != y.shape[0] or X.shape[0] == 0:
            raise ValueError(f"Solver: X_{split} has {X.shape[0]} examples and y_{split} {y.shape[0]} labels; "
                             f"they must agree and be at least 1")
        out += [X, y]
    return tuple(out)


def all_finite(a: np.ndarray) -> bool:
    """True if ``a`` has no NaN/inf; one reduction in the common case (as shapes.check_finite)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(a, axis=None)):
            return True
    return bool(np.isfinite(a).all())
