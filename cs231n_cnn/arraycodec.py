"""Plain values and NumPy arrays to and from one file (JSON plus ``.npy`` members of an ``.npz``).

A value made of ``None``, ``bool``, ``int``, ``float``, ``str``, numeric
NumPy arrays and scalars, tuples, lists and dicts with string keys is
stored as JSON in which every array is replaced by a reference to an array
member of the same ``.npz``. Loading it needs ``allow_pickle=False`` only,
so reading a file never runs code. Types come back as they went in: a tuple
as a tuple, a ``np.float32`` scalar as a ``np.float32`` scalar, an array
with its dtype and shape.

The JSON tags (stable: files written by older versions must stay readable)::

    {"$a": "a3"}                  array member a3 (a fresh copy on decoding)
    {"$s": "a3"}                  a NumPy scalar, stored as the 0-d array a3
    {"$t": [v0, v1, ...]}         a tuple
    {"$d": [["k", v], ...]}       a dict, in insertion order
    [v0, v1, ...]                 a list; None/bool/int/float/str as themselves

Used by the reference-result memo (:mod:`cs231n_cnn.grading.memo`) and the
Solver's checkpoints (:mod:`cs231n_cnn.solver.checkpoint`).

Examples
--------
>>> store = ArrayStore()
>>> data = encode({"w": np.zeros(2), "step": (1, 2.5)}, store)
>>> data
{'$d': [['w', {'$a': 'a0'}], ['step', {'$t': [1, 2.5]}]]}
>>> decode(data, store.members)["step"]
(1, 2.5)
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

__all__ = [
    "UnsupportedValue",
    "ArrayStore",
    "encode",
    "decode",
    "to_members",
    "from_members",
    "write_npz",
    "read_npz",
    "MAX_DEPTH",
    "NUMERIC_KINDS",
]

MAX_DEPTH = 32            # deeper nesting is refused (a cycle would otherwise recurse forever)
NUMERIC_KINDS = "biufc"   # dtype kinds an array may have: bool, int, uint, float, complex


class UnsupportedValue(ValueError):
    """A value cannot be stored as plain data.

    Attributes
    ----------
    where : str
        Where in the value it is, e.g. ``"result[2]['mean']"``.
    value : object
        The offending value.
    reason : {'type', 'dtype', 'depth'}
        Not a storable type; an array of a non-numeric dtype; nested more
        than :data:`MAX_DEPTH` levels.
    """

    def __init__(self, message: str, *, where: str, value, reason: str):
        super().__init__(message)
        self.where = where
        self.value = value
        self.reason = reason


class ArrayStore:
    """The array members of one file, deduplicated by content (dtype, shape and bytes).

    Attributes
    ----------
    members : dict of str to ndarray
        ``"a0"``, ``"a1"``, ... in the order first added; C-contiguous copies.
    """

    def __init__(self):
        self.members: dict[str, np.ndarray] = {}
        self._by_digest: dict[str, str] = {}

    def add(self, array: np.ndarray) -> str:
        """Store ``array`` (or find an equal one stored before); return its member name."""
        digest = _content_digest(array)
        if digest not in self._by_digest:
            name = f"a{len(self.members)}"
            self.members[name] = np.array(array, copy=True, order="C")
            self._by_digest[digest] = name
        return self._by_digest[digest]


def _content_digest(array: np.ndarray) -> str:
    # Byte order is not content: a big-endian array equals its little-endian twin.
    dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    h = hashlib.sha256(f"{dtype.str}{array.shape}".encode())
    h.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    return h.hexdigest()


def _check_dtype(dtype: np.dtype, obj, where: str) -> None:
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None:
        raise UnsupportedValue(f"{where} has dtype {dtype}; only numeric arrays can be stored",
                               where=where, value=obj, reason="dtype")


def encode(obj, arrays: ArrayStore, where: str = "value", depth: int = 0):
    """``obj`` as JSON-able data; its arrays go to ``arrays``.

    Parameters
    ----------
    obj : plain data
        See the module docstring for what is accepted (exact types: a
        subclass of ``int`` or ``dict`` is refused rather than changed).
    arrays : ArrayStore
        Receives the arrays and NumPy scalars.
    where : str
        Name of ``obj`` in error messages.

    Returns
    -------
    object
        JSON-able data (``json.dumps`` accepts it).

    Raises
    ------
    UnsupportedValue
        If some part of ``obj`` cannot be stored; ``where`` says which.
    """
    if depth > MAX_DEPTH:
        raise UnsupportedValue(f"{where} is nested more than {MAX_DEPTH} levels deep",
                               where=where, value=obj, reason="depth")
    kind = type(obj)
    if obj is None or kind in (bool, int, float, str):
        return obj
    if kind is np.ndarray:
        _check_dtype(obj.dtype, obj, where)
        return {"$a": arrays.add(obj)}
    if isinstance(obj, np.generic) and type(obj).__module__ == "numpy":
        _check_dtype(obj.dtype, obj, where)
        return {"$s": arrays.add(np.asarray(obj))}
    if kind is tuple:
        return {"$t": [encode(v, arrays, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]}
    if kind is list:
        return [encode(v, arrays, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
    if kind is dict and all(type(k) is str for k in obj):
        return {"$d": [[k, encode(v, arrays, f"{where}[{k!r}]", depth + 1)] for k, v in obj.items()]}
    raise UnsupportedValue(f"{where} is a {kind.__module__}.{kind.__qualname__}; only plain data can be stored "
                           f"(numeric arrays, numbers, strings, None, tuples, lists, dicts with string keys)",
                           where=where, value=obj, reason="type")


def decode(data, arrays: dict[str, np.ndarray]):
    """The value :func:`encode` turned into ``data``; arrays are fresh copies.

    Raises
    ------
    KeyError
        If ``data`` refers to an array missing from ``arrays``.
    """
    if isinstance(data, list):
        return [decode(v, arrays) for v in data]
    if isinstance(data, dict):
        if "$a" in data:
            return arrays[data["$a"]].copy()
        if "$s" in data:
            return arrays[data["$s"]][()]
        if "$t" in data:
            return tuple(decode(v, arrays) for v in data["$t"])
        return {k: decode(v, arrays) for k, v in data["$d"]}
    return data


def to_members(header: dict, arrays: ArrayStore, *, member: str, sort_keys: bool = False) -> dict[str, np.ndarray]:
    """The members of the file: ``header`` as UTF-8 JSON bytes in ``member`` (first), then the arrays.

    ``header`` is JSON-able data, typically a small dict (format, version)
    holding values made by :func:`encode` with ``arrays``.
    """
    if member in arrays.members:
        raise ValueError(f"member name {member!r} is taken by an array")
    blob = np.frombuffer(json.dumps(header, sort_keys=sort_keys).encode("utf-8"), dtype=np.uint8)
    return {member: blob, **arrays.members}


def from_members(members: dict[str, np.ndarray], *, member: str) -> tuple[object, dict[str, np.ndarray]]:
    """Split what :func:`read_npz` returned into the decoded JSON ``member`` and the other arrays.

    Raises
    ------
    KeyError
        If there is no ``member``.
    ValueError
        If it is not UTF-8 JSON (``json.JSONDecodeError``, ``UnicodeDecodeError``).
    """
    header = json.loads(members[member].tobytes().decode("utf-8"))
    return header, {k: v for k, v in members.items() if k != member}


def write_npz(file, members: dict[str, np.ndarray], *, compress: bool) -> None:
    """Write ``members`` as an ``.npz`` to ``file`` (a path or an open binary file)."""
    (np.savez_compressed if compress else np.savez)(file, **members)


def read_npz(file) -> dict[str, np.ndarray]:
    """Every member of the ``.npz`` ``file``, loaded with ``allow_pickle=False``.

    Raises whatever ``np.load`` raises for a missing or unreadable file
    (``FileNotFoundError``, ``zipfile.BadZipFile``, ``ValueError`` for a
    pickled member, ...).
    """
    with np.load(file, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
