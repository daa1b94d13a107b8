"""The wire format between the grader and the worker: length-prefixed frames of plain data.

Every message, in both directions, is a frame: an 8-byte big-endian length,
then a payload holding a JSON tree plus the raw bytes of the arrays it
mentions (:func:`encode`, :func:`decode`, :func:`read_frame`,
:func:`write_frame`); nothing is ever unpickled. A response from the worker
is decoded with ``untrusted=True``: only plain values (``None``, ``bool``,
``int``, ``float``, ``str``, tuples, dicts with string keys, numeric arrays)
and opaque handles are accepted, with sizes, dtypes, shapes and nesting
checked before any array is built.

Nothing the worker sends is trusted by the grader: student code runs in the
same process and can write anything to the protocol pipe. The grader only
ever takes plain data out of a frame, so a forged frame is no better than a
wrong return value.

Part of the runtime copied into the sandbox: only the standard library and NumPy.
"""

from __future__ import annotations

import json
import os
import re
import struct

import numpy as np

__all__ = ["encode", "decode", "read_frame", "write_frame", "ProtocolError", "EncodeError",
           "FRAME_HEADER", "MAX_JSON_BYTES"]

FRAME_HEADER = struct.Struct(">Q")     # payload length, then the payload
_JSON_LEN = struct.Struct(">I")        # inside a payload: JSON length, JSON, then array bytes
MAX_JSON_BYTES = 64 * 2**20
MAX_DEPTH = 12
MAX_NODES = 1_000_000
MAX_NDIM = 32
# Array dtypes that may cross: booleans, integers and floats, in the exact spellings numpy uses.
_DTYPE_RE = re.compile(r"^(\|b1|\|i1|\|u1|[<>](?:i2|i4|i8|u2|u4|u8|f2|f4|f8))$")
_INT_RE = re.compile(r"^-?[0-9]{1,4300}$")


class ProtocolError(Exception):
    """A frame that is malformed, too large or holds something other than plain data."""


class EncodeError(TypeError):
    """A value that cannot be put on the wire."""



def encode(obj, *, handle_type=None, handle_id=None) -> bytes:
    """Encode plain data as a payload: 4-byte JSON length, JSON tree, array bytes.

    ``handle_type`` is the class standing for objects that stay with the
    student; ``handle_id(h)`` gives the number to send for one (default
    ``h.id``). Lists, NumPy scalars and dtypes are allowed here (the grader
    sends them as arguments); :func:`decode` with ``untrusted=True`` refuses
    them in a response.
    """
    blobs: list[bytes] = []
    offset = 0

    def add_blob(data: bytes) -> int:
        nonlocal offset
        start = offset
        blobs.append(data)
        offset += len(data)
        return start

    def enc(x, depth):
        if depth > MAX_DEPTH:
            raise EncodeError(f"nested more than {MAX_DEPTH} levels deep")
        t = type(x)
        if x is None:
            return {"t": "none"}
        if t is bool:
            return {"t": "bool", "v": x}
        if t is int:
            try:
                digits = str(x)
            except ValueError:  # Python >= 3.11 refuses very long conversions
                digits = ""
            if not _INT_RE.match(digits):
                raise EncodeError("an integer too large to send")
            return {"t": "int", "v": digits}
        if t is float:
            return {"t": "float", "v": x.hex()}
        if t is str:
            return {"t": "str", "v": x}
        if t is tuple or t is list:
            return {"t": t.__name__, "v": [enc(v, depth + 1) for v in x]}
        if t is dict:
            return {"t": "dict", "v": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in x.items()]}
        if t is np.ndarray:
            if x.dtype.kind not in "biuf" or not _DTYPE_RE.match(x.dtype.str):
                raise EncodeError(f"an array of dtype {x.dtype}")
            data = np.ascontiguousarray(x).tobytes()
            return {"t": "array", "dtype": x.dtype.str, "shape": list(x.shape),
                    "offset": add_blob(data), "nbytes": len(data)}
        if isinstance(x, np.generic) and t.__module__ == "numpy" and x.dtype.kind in "biuf" \
                and _DTYPE_RE.match(x.dtype.str):
            data = x.tobytes()
            return {"t": "scalar", "dtype": x.dtype.str, "offset": add_blob(data), "nbytes": len(data)}
        if isinstance(x, np.dtype) or (t is type and issubclass(x, np.generic)):
            return {"t": "dtype", "v": np.dtype(x).str}
        if handle_type is not None and t is handle_type:
            return {"t": "handle", "id": handle_id(x) if handle_id else x.id, "type": str(x.type_name)}
        raise EncodeError(f"a value of type {t.__name__}")

    tree = enc(obj, 0)
    header = json.dumps(tree, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii")
    if len(header) > MAX_JSON_BYTES:
        raise EncodeError(f"a structure of {len(header)} bytes of JSON (limit {MAX_JSON_BYTES})")
    return _JSON_LEN.pack(len(header)) + header + b"".join(blobs)



def _small_int(s: str) -> int:
    # Only offsets, sizes, ids and shapes are JSON numbers; a long digit string is an attack on int().
    if len(s) > 20:
        raise ProtocolError("a number in the frame is too long")
    return int(s)


def _no_floats(s: str):
    raise ProtocolError(f"unexpected JSON number {s[:20]!r}")


def decode(payload, *, untrusted: bool = True, handle_factory=None):
    """Decode a payload made by :func:`encode` into fresh plain objects.

    With ``untrusted=True`` (a worker's response) only ``None``, ``bool``,
    ``int``, ``float``, ``str``, tuples, dicts with string keys, arrays of
    bool/int/uint/float dtype and handles are accepted. Arrays come back as
    native-endian, C-ordered ``numpy.ndarray`` copies that own their memory.
    ``handle_factory(id, type_name)`` makes the local stand-in for a handle.
    Raises :class:`ProtocolError` on anything else.
    """
    try:
        return _decode(memoryview(payload), untrusted, handle_factory)
    except ProtocolError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError, MemoryError,
            UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed frame ({type(exc).__name__}: {str(exc)[:200]})") from None


def _decode(view: memoryview, untrusted: bool, handle_factory):
    if len(view) < _JSON_LEN.size:
        raise ProtocolError("frame too short")
    (hlen,) = _JSON_LEN.unpack(view[:_JSON_LEN.size])
    if hlen > MAX_JSON_BYTES or _JSON_LEN.size + hlen > len(view):
        raise ProtocolError(f"frame declares {hlen} bytes of JSON, more than it holds")
    header = bytes(view[_JSON_LEN.size:_JSON_LEN.size + hlen]).decode("ascii")
    blob = view[_JSON_LEN.size + hlen:]
    tree = json.loads(header, parse_int=_small_int, parse_float=_no_floats, parse_constant=_no_floats)
    allowed = {"none", "bool", "int", "float", "str", "tuple", "dict", "array", "handle"}
    if not untrusted:
        allowed |= {"list", "scalar", "dtype"}
    nodes = 0

    def fail(msg):
        raise ProtocolError(msg)

    def field(node, key, typ):
        v = node.get(key)
        if type(v) is not typ:
            fail(f"field {key!r} of a {node.get('t')!r} node should be {typ.__name__}")
        return v

    def array_from(node, shape):
        dt_str = field(node, "dtype", str)
        if not _DTYPE_RE.match(dt_str):
            fail(f"array dtype {dt_str[:20]!r} is not bool, int, uint or float")
        dt = np.dtype(dt_str)
        off, nbytes = field(node, "offset", int), field(node, "nbytes", int)
        count = 1
        for d in shape:
            count *= d
        if off < 0 or nbytes != count * dt.itemsize or off + nbytes > len(blob):
            fail(f"array of shape {tuple(shape)} and dtype {dt} does not match its {nbytes} bytes")
        native = dt.newbyteorder("=")
        if count == 0:
            return np.zeros(shape, dtype=native)
        raw = np.frombuffer(blob[off:off + nbytes], dtype=dt, count=count)
        return raw.reshape(shape).astype(native, order="C", copy=True)

    def dec(node, depth):
        nonlocal nodes
        nodes += 1
        if nodes > MAX_NODES:
            fail(f"more than {MAX_NODES} values in one frame")
        if depth > MAX_DEPTH:
            fail(f"values nested more than {MAX_DEPTH} levels deep")
        if type(node) is not dict or type(node.get("t")) is not str:
            fail("a value without a type tag")
        t = node["t"]
        if t not in allowed:
            fail(f"a value of kind {t[:20]!r}, which is not plain data")
        if t == "none":
            return None
        if t == "bool":
            return field(node, "v", bool)
        if t == "int":
            s = field(node, "v", str)
            if not _INT_RE.match(s):
                fail("a malformed integer")
            return int(s)
        if t == "float":
            s = field(node, "v", str)
            if len(s) > 40:
                fail("a malformed float")
            return float.fromhex(s)
        if t == "str":
            return field(node, "v", str)
        if t in ("tuple", "list"):
            items = [dec(v, depth + 1) for v in field(node, "v", list)]
            return tuple(items) if t == "tuple" else items
        if t == "dict":
            out = {}
            for pair in field(node, "v", list):
                if type(pair) is not list or len(pair) != 2:
                    fail("a malformed dict entry")
                k = dec(pair[0], depth + 1)
                if untrusted and type(k) is not str:
                    fail("a dict key that is not a string")
                if not untrusted and type(k) not in (str, int, bool, float, tuple) and k is not None:
                    fail("an unhashable dict key")
                out[k] = dec(pair[1], depth + 1)
            return out
        if t == "array":
            shape = field(node, "shape", list)
            if len(shape) > MAX_NDIM or any(type(d) is not int or d < 0 for d in shape):
                fail("a malformed array shape")
            return array_from(node, tuple(shape))
        if t == "scalar":
            return array_from(node, ())[()]
        if t == "dtype":
            s = field(node, "v", str)
            if not _DTYPE_RE.match(s):
                fail("a malformed dtype")
            return np.dtype(s)
        # handle
        hid, type_name = field(node, "id", int), field(node, "type", str)
        if handle_factory is None:
            fail("a handle where none was expected")
        return handle_factory(hid, type_name[:100])

    return dec(tree, 0)


def write_frame(fd: int, payload: bytes) -> None:
    """Write one frame (8-byte big-endian length, then the payload) to a blocking fd."""
    data = memoryview(FRAME_HEADER.pack(len(payload)) + payload)
    while data:
        n = os.write(fd, data)
        data = data[n:]


def read_exact(fd: int, n: int) -> bytes | None:
    """``n`` bytes from a blocking fd, or None at end of file."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            return None
        got += k
    return bytes(buf)


def read_frame(fd: int, max_bytes: int) -> bytes | None:
    """One frame's payload from a blocking fd (the worker reading requests); None at end of file."""
    head = read_exact(fd, FRAME_HEADER.size)
    if head is None:
        return None
    (n,) = FRAME_HEADER.unpack(head)
    if n > max_bytes:
        raise ProtocolError(f"a frame of {n} bytes is larger than the limit of {max_bytes}")
    return read_exact(fd, n)
