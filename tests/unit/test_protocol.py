"""The wire format between the grader and the worker: what crosses, exactly, and what is refused.

Moved from tests/functional/test_grader.py; frames on real pipes added.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from cs231n_cnn.grading.runtime.protocol import (
    FRAME_HEADER,
    EncodeError,
    ProtocolError,
    decode,
    encode,
    read_frame,
    write_frame,
)
from cs231n_cnn.grading.runtime.student import Handle


def roundtrip(value, **kwargs):
    return decode(encode(value, handle_type=Handle), handle_factory=Handle, **kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int8", "uint16", "bool", ">f8",
                                   ">i4"], ids=str)
def test_arrays_cross_exactly_as_native_endian_copies(dtype, rng):
    x = (rng.standard_normal((3, 4, 2)) * 100).astype(dtype)
    y = roundtrip(x)
    assert type(y) is np.ndarray and y.shape == x.shape and y.dtype == x.dtype.newbyteorder("=")
    assert y.dtype.isnative and y.flags.c_contiguous and y.flags.owndata and y.flags.writeable
    np.testing.assert_array_equal(y, x)


def test_plain_values_cross_unchanged():
    value = {"a": (None, True, 0, -2**80, 1.5, float("inf"), "é\n"), "empty": np.zeros((0, 3)),
             "handle": Handle(7, "Cache"), "nan": float("nan")}
    got = roundtrip(value)
    assert got["a"] == value["a"] and got["handle"] == Handle(7, "Cache") and math.isnan(got["nan"])
    assert got["empty"].shape == (0, 3)
    assert type(got["a"][3]) is int and type(got["a"][4]) is float


def test_arguments_may_hold_lists_numpy_scalars_and_dtypes():
    args = [[1, 2], np.float32(1.5), np.dtype("float32"), np.float64]
    got = decode(encode(args), untrusted=False)
    assert got[0] == [1, 2] and type(got[1]) is np.float32 and got[2] == np.dtype("float32")
    assert got[3] == np.dtype("float64")
    with pytest.raises(ProtocolError, match="not plain data"):          # but never in a response
        decode(encode(args))


@pytest.mark.parametrize("value, match", [
    (np.array([object()], dtype=object), "dtype object"),
    (np.array(["a"]), "dtype <U1"),
    (np.zeros(3).view(np.matrix), "type matrix"),
    (2.0 + 1j, "type complex"),
    (10 ** 5000, "too large"),
], ids=["object-array", "string-array", "array-subclass", "complex", "huge-int"])
def test_encoding_refuses_what_is_not_plain_data(value, match):
    with pytest.raises(EncodeError, match=match):
        encode(value)


def _payload(tree, blob=b""):
    header = json.dumps(tree).encode()
    return len(header).to_bytes(4, "big") + header + blob


@pytest.mark.parametrize("payload, match", [
    (b"\x00\x00", "too short"),
    (b"\x00\x00\x10\x00{}", "more than it holds"),
    (_payload({"t": "array", "dtype": "|O", "shape": [1], "offset": 0, "nbytes": 8}, b"\0" * 8),
     "not bool, int, uint or float"),
    (_payload({"t": "array", "dtype": "<f8", "shape": [4], "offset": 0, "nbytes": 32}, b"\0" * 8),
     "does not match"),
    (_payload({"t": "array", "dtype": "<f8", "shape": [-1], "offset": 0, "nbytes": 8}, b"\0" * 8),
     "malformed array shape"),
    (_payload({"t": "dict", "v": [[{"t": "int", "v": "1"}, {"t": "none"}]]}), "key that is not a string"),
    (_payload({"t": "pickle", "v": "gASVAAAA"}), "not plain data"),
    (_payload({"t": "int", "v": "9" * 5000}), "malformed integer"),
    (_payload({"t": "float", "v": 1.5}), "JSON number"),
    (_payload({"t": "none", "x": 10 ** 30}), "number in the frame is too long"),
    (_payload(json.loads('{"t":"tuple","v":[' * 20 + '{"t":"none"}' + "]}" * 20)), "nested more than"),
], ids=["short", "truncated-json", "object-dtype", "size-mismatch", "negative-shape", "int-key", "pickle",
        "huge-int", "json-float", "long-number", "too-deep"])
def test_decoding_a_response_refuses_malformed_frames(payload, match):
    with pytest.raises(ProtocolError, match=match):
        decode(payload)


@pytest.mark.parametrize("value", [None, True, False, 0, -1, 2**100, 0.1, -0.0, float("inf"), "", "é\x00\n",
                                   (), (1, ("a", None)), {}, {"k": {"j": (1.5,)}}],
                         ids=lambda v: repr(v)[:20])
def test_every_plain_type_roundtrips_with_its_type(value):
    got = roundtrip(value)
    assert got == value and type(got) is type(value)


def test_negative_zero_keeps_its_sign():
    assert math.copysign(1.0, roundtrip(-0.0)) == -1.0


def test_frames_cross_a_pipe_and_end_of_file_is_none():
    r, w = os.pipe()
    try:
        payload = encode({"x": np.arange(5)})
        write_frame(w, payload)
        write_frame(w, b"")
        os.close(w)
        w = None
        assert read_frame(r, 2**20) == payload
        assert read_frame(r, 2**20) == b""
        assert read_frame(r, 2**20) is None
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def test_a_frame_larger_than_the_limit_is_refused_before_it_is_read():
    r, w = os.pipe()
    try:
        os.write(w, FRAME_HEADER.pack(2**40))
        with pytest.raises(ProtocolError, match="larger than the limit"):
            read_frame(r, 2**20)
    finally:
        os.close(r)
        os.close(w)


def test_a_handle_in_a_response_needs_a_factory():
    with pytest.raises(ProtocolError, match="handle where none was expected"):
        decode(encode(Handle(1, "Cache"), handle_type=Handle))
