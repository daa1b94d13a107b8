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

When the student's code raises, the :class:`StudentError` message names the
function and the exception on its first line, and on the next lines the
student's own file and line (the innermost traceback frame inside the
submission's package, with its source), never the grader's frames::

    layers.conv_forward_naive raised ValueError: operands could not be broadcast ...
      at cs231n_cnn/layers/conv.py, line 42, in conv_forward_naive
          out[n, f] = np.sum(window * w) + b

The message is built here because in the grader this module runs in the
student's process, and only the message crosses to the grader.

A call made with the keyword ``_check_unmodified=True`` (see
:data:`CHECK_UNMODIFIED`) also fails if the student's function changed any
array it was given, in place.

Part of the runtime copied into the sandbox, where the worker imports it as a
top-level module: only the standard library and NumPy.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import linecache
import os
import sys
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = ["Handle", "StudentError", "InProcessStudent", "to_plain", "CHECK_UNMODIFIED"]

# A constant here, not cs231n_cnn.paths.PACKAGE: in the sandbox this file runs without the package.
PACKAGE = "cs231n_cnn"
_MAX_DEPTH = 8
_MAX_LINE = 300          # characters of an exception's text on the headline

#: Keyword argument of :meth:`InProcessStudent.call` / ``call_method``: fail if
#: the function changed an array argument in place. A keyword (not a method)
#: so that it passes unchanged through the grader's process boundary.
CHECK_UNMODIFIED = "_check_unmodified"
_GRADER_DIR = os.path.dirname(os.path.realpath(__file__))


@dataclass(frozen=True)
class Handle:
    """An object that stays on the student's side, named by a number."""

    id: int
    type_name: str

    def __repr__(self) -> str:
        return f"<student {self.type_name} #{self.id}>"


class StudentError(Exception):
    """The student's code raised, or returned something that cannot be brought back.

    ``message`` is a one-line headline for the check output, e.g.
    ``"layers.relu_forward raised TypeError: ..."``, optionally followed by
    detail lines (where in the student's code it happened). ``raised`` is
    ``"ValueError: <text>"`` when the student's code raised and this process
    saw it, else None (a message that crossed from the grader's worker).
    ``kinds`` names the built-in exception classes the raised exception is
    an instance of (``("ValueError", "Exception", "BaseException")`` for a
    student's own subclass of ValueError), so a check can decide by type;
    it crosses from the worker as data.
    """

    def __init__(self, message: str, *, raised: str | None = None, kinds: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.raised = raised
        self.kinds = tuple(kinds)


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

    def _package_dir(self) -> str | None:
        module = sys.modules.get(self.package)
        where = getattr(module, "__file__", None)
        return os.path.dirname(os.path.realpath(where)) if where else None

    def _run(self, fn, args, kwargs, label):
        args = self._unwrap(tuple(args))
        kwargs = self._unwrap(dict(kwargs))
        try:
            result = fn(*args, **kwargs)
        except StudentError:  # from _watch_inputs: already says what went wrong
            raise
        except NotImplementedError as exc:
            raise StudentError(f"{label} is not implemented yet (NotImplementedError: {_one_line(exc)})"
                               + _where(exc, self._package_dir()),
                               raised=_raised(exc), kinds=builtin_kinds(exc)) from None
        except Exception as exc:  # any error in student code is a failed part, not a crash
            raise StudentError(f"{label} raised {_exception_name(type(exc))}: {_one_line(exc)}"
                               + _more_text(exc) + _where(exc, self._package_dir()),
                               raised=_raised(exc), kinds=builtin_kinds(exc)) from None
        return to_plain(result, self._keep)

    def call(self, name: str, *args, _check_unmodified: bool = False, **kwargs):
        """Call ``cs231n_cnn.<name>(*args, **kwargs)`` and return plain data.

        With ``_check_unmodified=True`` the call fails (:class:`StudentError`)
        if the function changed any array argument in place.
        """
        fn = self._resolve(name)
        if _check_unmodified:
            fn = _watch_inputs(fn, name)
        return self._run(fn, args, kwargs, name)

    def call_method(self, handle: Handle, method: str, *args, _check_unmodified: bool = False, **kwargs):
        """Call ``method`` on the student object behind ``handle`` (``_check_unmodified`` as in :meth:`call`)."""
        obj = self._objects[handle.id]
        fn = getattr(obj, method, None)
        if fn is None or method.startswith("_"):
            raise StudentError(f"{handle.type_name} has no method {method!r}")
        label = f"{handle.type_name}.{method}"
        if _check_unmodified:
            fn = _watch_inputs(fn, label)
        return self._run(fn, args, kwargs, label)

    def get_attr(self, handle: Handle, attr: str):
        """Read a (public) attribute of the student object behind ``handle``, as plain data."""
        if attr.startswith("_"):
            raise StudentError(f"attribute {attr!r} is private")
        obj = self._objects[handle.id]
        try:
            value = getattr(obj, attr)
        except Exception as exc:
            raise StudentError(f"{handle.type_name}.{attr} raised {_exception_name(type(exc))}: {_one_line(exc)}"
                               + _where(exc, self._package_dir()),
                               raised=_raised(exc), kinds=builtin_kinds(exc)) from None
        return to_plain(value, self._keep)

    def set_item(self, handle: Handle, attr: str, key: str, value) -> None:
        """``obj.<attr>[key] = value`` on the student object behind ``handle``; ``value`` is plain data.

        What the course's Solver and gradient check do to ``model.params``: a
        check sets parameters it chose, so its reference never depends on
        parameters the student's code reports.
        """
        if attr.startswith("_"):
            raise StudentError(f"attribute {attr!r} is private")
        if type(key) is not str:
            raise StudentError(f"set_item: the key must be a str, got {type(key).__name__}")
        obj = self._objects[handle.id]
        label = f"{handle.type_name}.{attr}[{key!r}] = ..."
        try:
            getattr(obj, attr)[key] = self._unwrap(value)
        except Exception as exc:
            raise StudentError(f"{label} raised {_exception_name(type(exc))}: {_one_line(exc)}"
                               + _where(exc, self._package_dir()),
                               raised=_raised(exc), kinds=builtin_kinds(exc)) from None

    def close(self) -> None:
        self._objects.clear()


# --------------------------------------------------------------------------- what the student's code raised

def _exception_name(cls: type) -> str:
    """``ValueError``, or ``ShapeError (a ValueError)`` for a class of the student's own."""
    if getattr(builtins, cls.__name__, None) is cls:
        return cls.__name__
    base = next((b for b in cls.__mro__[1:] if getattr(builtins, b.__name__, None) is b
                 and b not in (Exception, BaseException, object)), None)
    return f"{cls.__name__} (a {base.__name__})" if base else cls.__name__


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a student's exception whose __str__ fails
        return "<the exception's message could not be read>"


def _one_line(exc: BaseException) -> str:
    """The exception's text, first line only, capped."""
    first = _text(exc).strip().split("\n", 1)[0]
    return first if len(first) <= _MAX_LINE else first[:_MAX_LINE - 3] + "..."


def _more_text(exc: BaseException) -> str:
    """Lines of a multi-line exception text after the first, as detail lines."""
    rest = _text(exc).strip().split("\n")[1:6]
    return "".join(f"\n    {line.rstrip()}" for line in rest if line.strip())


def builtin_kinds(exc: BaseException) -> tuple[str, ...]:
    """Names of the built-in exception classes ``exc`` is an instance of, most specific first."""
    return tuple(c.__name__ for c in type(exc).__mro__
                 if issubclass(c, BaseException) and getattr(builtins, c.__name__, None) is c)


def _raised(exc: BaseException) -> str:
    return f"{_exception_name(type(exc))}: {_text(exc)}"


def _where(exc: BaseException, package_dir: str | None) -> str:
    """Detail lines naming the student's innermost file and line (and its caller), or ``""``.

    Only frames inside the submission's package count: the grader's frames
    and NumPy's internals say nothing to the student. Paths are shown from
    the package's parent, as the student sees them (``cs231n_cnn/layers/conv.py``).
    """
    if not package_dir:
        return ""
    prefix = package_dir + os.sep
    # In this repository (notebooks, tests) the grader sits inside the package it grades: skip its frames.
    grader = _GRADER_DIR + os.sep if (_GRADER_DIR + os.sep).startswith(prefix) else "\0"
    frames = []
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        # Plumbing that marks itself (pytest's convention), such as the decorator that promotes
        # integer arrays, is not where the student's mistake is.
        if frame.f_locals.get("__tracebackhide__"):
            continue
        filename = frame.f_code.co_filename
        path = os.path.realpath(filename)
        if path.startswith(prefix) and not path.startswith(grader):
            frames.append((os.path.relpath(path, os.path.dirname(package_dir)), filename, lineno,
                           frame.f_code.co_name))
    if not frames:
        return ""
    lines = []
    for word, (shown, filename, lineno, name) in zip(("at", "called from"), reversed(frames[-2:])):
        lines.append(f"\n  {word} {shown}, line {lineno}, in {name}")
        source = linecache.getline(filename, lineno or 0).strip()
        if source:
            lines.append(f"\n      {source[:_MAX_LINE]}")
    return "".join(lines)


# --------------------------------------------------------------------------- inputs changed in place

def _arrays(value, path: str):
    """``(path, array)`` for every ndarray in an argument (inside tuples, lists and dicts)."""
    if type(value) is np.ndarray:
        yield path, value
    elif type(value) in (tuple, list):
        for i, v in enumerate(value):
            yield from _arrays(v, f"{path}[{i}]")
    elif type(value) is dict:
        for k, v in value.items():
            yield from _arrays(v, f"{path}[{k!r}]")


def _argument_names(fn, args, kwargs) -> list[tuple[str, object]]:
    """``(name, value)`` of each argument, named as in the function's signature when it has one."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return [(f"argument {i + 1}", v) for i, v in enumerate(args)] + list(kwargs.items())
    named = []
    for name, value in bound.arguments.items():
        kind = inspect.signature(fn).parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            named += [(f"{name}[{i}]", v) for i, v in enumerate(value)]
        elif kind is inspect.Parameter.VAR_KEYWORD:
            named += list(value.items())
        else:
            named.append((name, value))
    return named


def _number(x) -> str:
    return f"{x:.4g}" if isinstance(x, (float, np.floating)) else str(x)


def _watch_inputs(fn, label: str):
    """``fn``, failing with a :class:`StudentError` if it changes an array argument in place."""

    def watched(*args, **kwargs):
        given = [(path, a, a.copy()) for name, value in _argument_names(fn, args, kwargs)
                 for path, a in _arrays(value, name)]
        result = fn(*args, **kwargs)
        for path, now, before in given:
            if now.shape != before.shape or now.dtype != before.dtype:
                raise StudentError(f"{label} changed its argument {path} in place: it was {before.dtype} "
                                   f"{before.shape}, it is now {now.dtype} {now.shape}")
            changed = now != before
            if now.dtype.kind == "f":
                changed &= ~(np.isnan(now) & np.isnan(before))
            if changed.any():
                idx = tuple(int(i) for i in np.argwhere(changed)[0])
                at = f"{path}[{', '.join(map(str, idx))}]" if idx else path
                raise StudentError(
                    f"{label} changed its argument {path} in place"
                    f"\n  {at} was {_number(before[idx])}, now {_number(now[idx])} "
                    f"({int(changed.sum())} of {changed.size} elements changed)"
                    f"\n  the caller's {path} must stay as it was: write the result into a new array "
                    f"(or work on {path.split('[')[0]}.copy())")
        return result

    return watched
