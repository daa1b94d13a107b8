"""Calling a student's functions and bringing back only plain data.

A check never touches objects the student's code made. Every call goes
through a *student* object that runs the function and converts what it
returns into plain data:

* a real ``numpy.ndarray`` (exact type, no subclass) of a numeric dtype
  becomes a fresh copy with its own memory;
* Python/NumPy numbers become ``int`` / ``float`` / ``bool``;
* ``None`` and ``str`` stay as they are;
* tuples and lists become tuples, and dicts with string keys become dicts,
  converted recursively;
* anything else (a cache, a model, a Solver) stays with the student and is
  represented by an opaque :class:`Handle`, which can be passed back as an
  argument or have its methods called.

So a crafted object (say, an array subclass whose ``__eq__`` always says
True, or a float subclass) can never reach the comparison code.
:class:`InProcessStudent` does this in the current process, for notebooks
and tests; the grader uses the same interface across a process boundary.
"""

from __future__ import annotations

import importlib
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["Handle", "StudentError", "InProcessStudent", "to_plain"]

PACKAGE = "cs231n_cnn"
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Handle:
    """An object that stays on the student's side, named by a number."""

    id: int
    type_name: str

    def __repr__(self) -> str:
        return f"<student {self.type_name} #{self.id}>"


class StudentError(Exception):
    """The student's code raised, or returned something that cannot be brought back.

    ``message`` is one line for the check output, e.g.
    ``"NotImplementedError: implement conv_forward_naive"``.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def to_plain(obj, keep, depth: int = 0):
    """Convert a student's return value to plain data; ``keep(obj) -> Handle`` stores the rest."""
    if depth > _MAX_DEPTH:
        raise StudentError(f"returned a structure nested more than {_MAX_DEPTH} levels deep")
    if type(obj) is np.ndarray:
        if obj.dtype.kind not in "biuf":
            raise StudentError(f"returned an array of dtype {obj.dtype}; expected numbers")
        return np.array(obj, copy=True, order="C")
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if isinstance(obj, (np.bool_, np.integer, np.floating)) and type(obj).__module__ == "numpy":
        return obj.item()
    if type(obj) in (tuple, list):
        return tuple(to_plain(v, keep, depth + 1) for v in obj)
    if type(obj) is dict and all(type(k) is str for k in obj):
        return {k: to_plain(v, keep, depth + 1) for k, v in obj.items()}
    return keep(obj)


class InProcessStudent:
    """Run the student's functions in this process (notebooks, tests).

    Functions are named relative to the package, e.g.
    ``"layers.conv_forward_naive"`` or ``"optim.adam"``.
    """

    mode = "in-process"

    def __init__(self, package: str = PACKAGE):
        self.package = package
        self._objects: dict[int, object] = {}

    def _keep(self, obj) -> Handle:
        handle = Handle(len(self._objects) + 1, type(obj).__name__)
        self._objects[handle.id] = obj
        return handle

    def _unwrap(self, value):
        if isinstance(value, Handle):
            return self._objects[value.id]
        if type(value) in (tuple, list):
            return type(value)(self._unwrap(v) for v in value)
        if type(value) is dict:
            return {k: self._unwrap(v) for k, v in value.items()}
        if type(value) is np.ndarray:
            return value.copy()  # the student may modify its inputs; our copies stay intact
        return value

    def _resolve(self, name: str):
        module_name, _, attr = name.rpartition(".")
        module = importlib.import_module(f"{self.package}.{module_name}" if module_name else self.package)
        try:
            return getattr(module, attr)
        except AttributeError:
            raise StudentError(f"{name} is missing from {module.__name__}") from None

    def _run(self, fn, args, kwargs, label):
        args = self._unwrap(tuple(args))
        kwargs = self._unwrap(dict(kwargs))
        try:
            result = fn(*args, **kwargs)
        except NotImplementedError as exc:
            raise StudentError(f"{label} is not implemented yet (NotImplementedError: {exc})") from None
        except Exception as exc:  # any error in student code is a failed part, not a crash
            raise StudentError(f"{label} raised {type(exc).__name__}: {exc}") from None
        return to_plain(result, self._keep)

    def call(self, name: str, *args, **kwargs):
        """Call ``cs231n_cnn.<name>(*args, **kwargs)`` and return plain data."""
        return self._run(self._resolve(name), args, kwargs, name)

    def call_method(self, handle: Handle, method: str, *args, **kwargs):
        """Call ``method`` on the student object behind ``handle``."""
        obj = self._objects[handle.id]
        fn = getattr(obj, method, None)
        if fn is None or method.startswith("_"):
            raise StudentError(f"{handle.type_name} has no method {method!r}")
        return self._run(fn, args, kwargs, f"{handle.type_name}.{method}")

    def get_attr(self, handle: Handle, attr: str):
        """Read a (public) attribute of the student object behind ``handle``, as plain data."""
        if attr.startswith("_"):
            raise StudentError(f"attribute {attr!r} is private")
        obj = self._objects[handle.id]
        try:
            value = getattr(obj, attr)
        except Exception as exc:
            raise StudentError(f"{handle.type_name}.{attr}: {type(exc).__name__}: {exc}") from None
        return to_plain(value, self._keep)

    def close(self) -> None:
        self._objects.clear()


def is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)
