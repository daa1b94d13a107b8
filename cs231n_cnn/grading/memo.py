"""Memoized reference results: record them when a release is built, replay them in the release.

The course repository's ``checks/_reference.py`` computes reference results
with independent code (loops, ``scipy.signal``, the update-rule formulas).
That code is a solution, so the student release does not ship it. Instead,
``cs231n-cnn release`` runs every public check against the repository's
solution with each reference function wrapped by a :class:`Recorder`, which
stores ``key -> result`` for every call, and ships the results
(``checks/_reference_data.npz``) with a generated ``_reference.py`` whose
functions look their result up with a :class:`Replay`. Both sides compute
the key with :func:`call_key`, defined only here.

The key is a SHA-256 of the function's name and its arguments:

* arrays: dtype (little-endian), shape and bytes; NumPy and Python scalars,
  strings, ``None``, tuples, lists, dicts, sets and ranges, recursively;
* a ``numpy.random.Generator``: its bit generator's state (a call that draws
  from it is replayed by restoring the state it left behind);
* a reference function passed as an argument: its name;
* a module-level function, a class or a ufunc: its qualified name;
* a lambda or nested function: its module, name, first line, parameters and
  the names it uses, plus the values of its closure cells, its defaults and
  the module-level data it reads. Not its bytecode, which differs between
  Python versions: a release built with one Python must replay under another.

Anything else (an object with arbitrary state) cannot be hashed
deterministically and raises :class:`MemoError`, which fails the release
build. Results must be plain data (arrays, numbers, strings, ``None``,
tuples, lists, dicts with string keys); they are stored as JSON plus array
members of one ``.npz`` that loads with ``allow_pickle=False``
(:mod:`cs231n_cnn.arraycodec`).
"""

from __future__ import annotations

import hashlib
import json
import platform
import types
from pathlib import Path

import numpy as np

from ..arraycodec import ArrayStore, UnsupportedValue, decode, encode, from_members, read_npz, to_members, write_npz

__all__ = ["MemoError", "ReferenceMiss", "call_key", "Recorder", "Replay", "FORMAT", "INDEX"]

FORMAT = "cs231n-reference-memo/1"        # part of every key: a new hashing scheme invalidates old data
INDEX = "index"                           # the npz member holding the JSON index
_MAX_DEPTH = 32
_NUMERIC = "biufc"


class MemoError(ValueError):
    """A reference call cannot be recorded (unhashable argument, result not plain data, ...)."""


class ReferenceMiss(LookupError):
    """A replayed reference function was called with inputs that were not recorded."""


# ---------------------------------------------------------------------------- keys

def call_key(name: str, args, kwargs) -> str:
    """The hex SHA-256 key of calling reference function ``name`` with ``args`` and ``kwargs``."""
    return _digest(name, args, kwargs, rng_state=True)


def _digest(name: str, args, kwargs, *, rng_state: bool) -> str:
    h = _Hasher(rng_state)
    h.token(b"K", FORMAT.encode())
    h.token(b"N", name.encode())
    h.token(b"n", str(len(args)).encode())
    for i, value in enumerate(args):
        h.feed(value, f"argument {i + 1}", 0)
    for key in sorted(kwargs):
        h.token(b"k", key.encode())
        h.feed(kwargs[key], f"keyword argument {key!r}", 0)
    return h.hexdigest()


class _Hasher:
    """Feeds a canonical, type-tagged, length-prefixed encoding of values into SHA-256."""

    def __init__(self, rng_state: bool = True):
        self._h = hashlib.sha256()
        self._rng_state = rng_state
        self._active: set[int] = set()      # functions being hashed: a closure cycle ends in a name

    def hexdigest(self) -> str:
        return self._h.hexdigest()

    def token(self, tag: bytes, payload: bytes = b"") -> None:
        self._h.update(tag + len(payload).to_bytes(8, "little") + payload)

    def feed(self, obj, where: str, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise MemoError(f"{where} is nested more than {_MAX_DEPTH} levels deep")
        kind = type(obj)
        if obj is None:
            self.token(b"0")
        elif kind is bool:
            self.token(b"B", b"1" if obj else b"0")
        elif kind is int:
            self.token(b"I", str(obj).encode())
        elif kind is float:
            self.token(b"F", obj.hex().encode())
        elif kind is complex:
            self.token(b"C", f"{obj.real.hex()},{obj.imag.hex()}".encode())
        elif kind is str:
            self.token(b"S", obj.encode("utf-8"))
        elif kind is bytes:
            self.token(b"Y", obj)
        elif kind is np.ndarray:
            dtype = _canonical_dtype(obj.dtype, where)
            self.token(b"A", f"{dtype.str}{obj.shape}".encode())
            self.token(b"a", np.ascontiguousarray(obj, dtype=dtype).tobytes())
        elif isinstance(obj, np.generic) and type(obj).__module__ == "numpy":
            dtype = _canonical_dtype(obj.dtype, where)
            self.token(b"G", dtype.str.encode())
            self.token(b"g", np.asarray(obj, dtype=dtype).tobytes())
        elif kind in (tuple, list):
            self.token(b"T" if kind is tuple else b"L", str(len(obj)).encode())
            for i, value in enumerate(obj):
                self.feed(value, f"{where}[{i}]", depth + 1)
        elif kind is dict:
            self.token(b"M", str(len(obj)).encode())
            for key, value in obj.items():       # insertion order: the same code builds the same dict
                self.feed(key, f"a key of {where}", depth + 1)
                self.feed(value, f"{where}[{key!r}]", depth + 1)
        elif kind in (set, frozenset):
            # Iteration order depends on hash seeds: sort the members by their own digests.
            digests = []
            for value in obj:
                sub = _Hasher(self._rng_state)
                sub.feed(value, f"a member of {where}", depth + 1)
                digests.append(sub.hexdigest())
            self.token(b"E", ",".join(sorted(digests)).encode())
        elif kind is range or kind is slice:
            self.token(b"R" if kind is range else b"Z")
            for value in (obj.start, obj.stop, obj.step):
                self.feed(value, where, depth + 1)
        elif isinstance(obj, np.dtype):
            self.token(b"D", obj.str.encode())
        elif isinstance(obj, np.random.Generator):
            bitgen = obj.bit_generator
            state = json.dumps(bitgen.state, sort_keys=True) if self._rng_state else ""
            self.token(b"Q", f"{type(bitgen).__name__}:{state}".encode())
        elif isinstance(getattr(obj, "__memo_name__", None), str) and callable(obj):
            self.token(b"r", obj.__memo_name__.encode())       # a reference function: recorded or replayed
        elif isinstance(obj, types.ModuleType):
            self.token(b"m", obj.__name__.encode())
        elif isinstance(obj, (type, np.ufunc, types.BuiltinFunctionType)):
            self.token(b"q", _qualified(obj).encode())
        elif kind is types.FunctionType:
            self._function(obj, where, depth)
        else:
            raise MemoError(f"{where} is a {kind.__module__}.{kind.__qualname__}, which cannot be hashed "
                            f"deterministically; pass arrays, numbers, strings, tuples, lists, dicts or functions")

    def _function(self, fn, where: str, depth: int) -> None:
        code = fn.__code__
        if fn.__closure__ is None and "<" not in fn.__qualname__:
            self.token(b"q", _qualified(fn).encode())      # module level: its name says which code it is
            return
        label = f"{where} (function {fn.__qualname__} at {fn.__module__}:{code.co_firstlineno})"
        if id(fn) in self._active:
            self.token(b"c", f"{fn.__module__}:{fn.__qualname__}".encode())
            return
        self._active.add(id(fn))
        try:
            nargs = (code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x04)
                     + bool(code.co_flags & 0x08))
            names = sorted(_names(code))
            self.token(b"f", json.dumps([fn.__module__, code.co_name, code.co_firstlineno, code.co_argcount,
                                         code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags & 0x0C,
                                         list(code.co_varnames[:nargs]), names]).encode())
            for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
                self.token(b"v", name.encode())
                try:
                    value = cell.cell_contents
                except ValueError:                 # an empty cell: the variable was never assigned
                    self.token(b"0e")
                    continue
                self.feed(value, f"{label}, closure variable {name!r}", depth + 1)
            self.feed(fn.__defaults__, f"{label}, defaults", depth + 1)
            self.feed(fn.__kwdefaults__, f"{label}, keyword defaults", depth + 1)
            for name in names:                      # module-level data the function reads (EPS = 1e-5)
                if name in fn.__globals__:
                    self.token(b"w", name.encode())
                    self.feed(fn.__globals__[name], f"{label}, global {name!r}", depth + 1)
        finally:
            self._active.discard(id(fn))


def _names(code: types.CodeType) -> set[str]:
    # Recursive: Python 3.12 inlines comprehensions, whose names moved from a nested code object.
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
    return found


def _qualified(obj) -> str:
    return f"{getattr(obj, '__module__', None) or ''}:{getattr(obj, '__qualname__', None) or obj.__name__}"


def _canonical_dtype(dtype: np.dtype, where: str) -> np.dtype:
    if dtype.kind not in _NUMERIC or dtype.fields is not None:
        raise MemoError(f"{where} has dtype {dtype}; only numeric arrays can be hashed")
    return dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype


def _generators(args, kwargs) -> dict[str, np.random.Generator]:
    """The Generator arguments of a call, by position (``"0"``) or keyword (``"kw:rng"``)."""
    found = {str(i): a for i, a in enumerate(args) if isinstance(a, np.random.Generator)}
    found.update({f"kw:{k}": v for k, v in kwargs.items() if isinstance(v, np.random.Generator)})
    return found


# ---------------------------------------------------------------------------- results as plain data

def _encode(obj, arrays: ArrayStore, where: str):
    """``obj`` as JSON-able data (:func:`cs231n_cnn.arraycodec.encode`); arrays go to ``arrays``."""
    try:
        return encode(obj, arrays, where)
    except UnsupportedValue as exc:
        if exc.reason == "type":
            kind = type(exc.value)
            message = (f"{exc.where} is a {kind.__module__}.{kind.__qualname__}; a reference result must be plain "
                       f"data (numeric arrays, numbers, strings, None, tuples, lists, dicts with string keys)")
        elif exc.reason == "dtype":
            message = f"{exc.where} has dtype {exc.value.dtype}; only numeric arrays can be hashed"
        else:
            message = str(exc)
        raise MemoError(message) from None


# ---------------------------------------------------------------------------- recording

class Recorder:
    """Wraps reference functions so that every outermost call is stored as ``key -> result``.

    Set :attr:`check` to the running check's name (it appears in error
    messages and in the index). Calls made from inside a recorded call (a
    numerical gradient evaluating the reference thousands of times) run
    unrecorded. A recorded call must leave its arguments unchanged (except
    for drawing from a ``Generator``) and give the same result each time its
    key recurs; otherwise :class:`MemoError`.
    """

    def __init__(self):
        self.check: str | None = None
        self.calls: dict[str, dict] = {}
        self.errors: list[str] = []
        self._arrays = ArrayStore()
        self._depth = 0

    def wrap(self, module, names) -> None:
        """Replace each function ``module.<name>`` by a recording wrapper."""
        for name in names:
            setattr(module, name, self._wrapper(name, getattr(module, name)))

    def _fail(self, message: str):
        self.errors.append(message)
        return MemoError(message)

    def _wrapper(self, name: str, fn):
        def recorded(*args, **kwargs):
            if self._depth:
                return fn(*args, **kwargs)
            where = f"check {self.check!r}: ref.{name}"
            try:
                key = call_key(name, args, kwargs)
                before = _digest(name, args, kwargs, rng_state=False)
            except MemoError as exc:
                raise self._fail(f"{where}: {exc}") from None
            self._depth += 1
            try:
                result = fn(*args, **kwargs)
            finally:
                self._depth -= 1
            if _digest(name, args, kwargs, rng_state=False) != before:
                raise self._fail(f"{where} modified its arguments; a replayed call could not do the same "
                                 f"(copy them inside the reference function)")
            try:
                entry = {"function": name, "check": self.check, "result": _encode(result, self._arrays, "result"),
                         "rng": {pos: g.bit_generator.state for pos, g in _generators(args, kwargs).items()}}
            except MemoError as exc:
                raise self._fail(f"{where}: {exc}") from None
            old = self.calls.get(key)
            if old is None:
                self.calls[key] = entry
            elif (old["result"], old["rng"]) != (entry["result"], entry["rng"]):
                raise self._fail(f"{where} gave two different results for the same key (first recorded in check "
                                 f"{old['check']!r}): it is not deterministic, or two different functions passed "
                                 f"to it hash alike (e.g. lambdas on one line differing only in a constant)")
            return result

        recorded.__memo_name__ = name
        recorded.__name__ = recorded.__qualname__ = name
        recorded.__doc__ = fn.__doc__
        return recorded

    def save(self, path) -> None:
        """Write the recorded calls to ``path`` (an npz without pickles)."""
        index = {"format": FORMAT, "built_with": {"python": platform.python_version(), "numpy": np.__version__},
                 "calls": self.calls}
        with open(path, "wb") as f:
            write_npz(f, to_members(index, self._arrays, member=INDEX, sort_keys=True), compress=True)


# ---------------------------------------------------------------------------- replaying

class Replay:
    """Looks up recorded reference results (``_reference_data.npz``) by :func:`call_key`.

    The generated ``checks/_reference.py`` of a release defines each
    reference function as ``return _replay("<name>", args, kwargs)``, marked
    with :meth:`reference`. The data is loaded on the first call. Keys that
    were not recorded are collected in :attr:`misses` and raise
    :class:`ReferenceMiss`.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.misses: list[str] = []
        self._calls: dict[str, dict] | None = None
        self._arrays: dict[str, np.ndarray] = {}
        self._built_with: dict = {}

    @staticmethod
    def reference(fn):
        """Mark ``fn`` as the replayed reference function of its name (hashed by name, like the recorder's)."""
        fn.__memo_name__ = fn.__name__
        return fn

    def _load(self) -> dict[str, dict]:
        if self._calls is None:
            try:
                index, self._arrays = from_members(read_npz(self.path), member=INDEX)
            except FileNotFoundError:
                raise FileNotFoundError(f"{self.path} is missing: the public checks replay their reference "
                                        f"results from it (restore it from the release)") from None
            if index.get("format") != FORMAT:
                raise ReferenceMiss(f"{self.path} has format {index.get('format')!r}, this cs231n_cnn reads "
                                    f"{FORMAT!r}: rebuild the release with `cs231n-cnn release`")
            self._built_with = index.get("built_with", {})
            self._calls = index["calls"]
        return self._calls

    def __call__(self, name: str, args, kwargs):
        calls = self._load()
        entry = calls.get(call_key(name, args, kwargs))
        if entry is None or entry["function"] != name:
            self.misses.append(name)
            raise ReferenceMiss(f"ref.{name}{_summary(args, kwargs)} was not recorded: this check's inputs changed "
                                f"since the release was built; public checks can only replay the inputs they were "
                                f"built with (rebuild the release with `cs231n-cnn release`){self._hint()}")
        for pos, state in entry["rng"].items():
            g = kwargs[pos[3:]] if pos.startswith("kw:") else args[int(pos)]
            g.bit_generator.state = state            # the draws the reference made, without making them
        return decode(entry["result"], self._arrays)   # fresh copies: a check may modify them

    def _hint(self) -> str:
        built = self._built_with.get("numpy", "")
        if built.split(".")[:2] != np.__version__.split(".")[:2]:
            return (f" (the release was built with NumPy {built}, this is NumPy {np.__version__}: "
                    f"its random streams may differ)")
        return ""


def _summary(args, kwargs, limit: int = 160) -> str:
    def one(v):
        if type(v) is np.ndarray:
            return f"<{v.dtype} array {v.shape}>"
        if isinstance(v, np.random.Generator):
            return "<Generator>"
        if callable(v):
            return f"<function {getattr(v, '__qualname__', type(v).__name__)}>"
        if type(v) in (list, tuple) and len(v) > 4:
            return f"<{type(v).__name__} of {len(v)}>"
        text = repr(v)
        return text if len(text) <= 40 else text[:37] + "..."

    text = ", ".join([one(v) for v in args] + [f"{k}={one(v)}" for k, v in kwargs.items()])
    return f"({text if len(text) <= limit else text[:limit - 3] + '...'})"
