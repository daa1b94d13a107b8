"""arraycodec: plain values and NumPy arrays to and from one npz, types kept, no pickles."""

import json

import numpy as np
import pytest

from cs231n_cnn import arraycodec
from cs231n_cnn.arraycodec import ArrayStore, UnsupportedValue, decode, encode


def roundtrip(value):
    store = ArrayStore()
    return decode(json.loads(json.dumps(encode(value, store))), store.members)


def assert_same(a, b):
    """Equal values of identical types, recursively (arrays: dtype, shape and bytes)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, float) and a != a:
        assert b != b
    else:
        assert a == b


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2**100, 1.5, float("inf"), float("nan"), "é ok",
    np.arange(6.0).reshape(2, 3), np.zeros((0, 4), np.float32), np.array(3, np.int8),
    np.array([1 + 2j]), np.array([True, False]), np.arange(4)[::2],
    np.float32(0.1), np.int64(-3), np.bool_(True),
    (1, (2.0, None)), [1, [2, ()]], {"b": 1, "a": [np.ones(2)], "": {}},
], ids=["none", "bool", "zero", "int", "bigint", "float", "inf", "nan", "str",
        "array", "empty-float32", "0d-int8", "complex", "bool-array", "strided",
        "np-float32", "np-int64", "np-bool", "tuple", "list", "dict"])
def test_values_come_back_with_their_types(value):
    assert_same(roundtrip(value), value)


def test_decoded_arrays_are_fresh_copies():
    store = ArrayStore()
    data = encode([np.ones(3)], store)
    first = decode(data, store.members)
    first[0][:] = 0
    assert np.array_equal(decode(data, store.members)[0], np.ones(3))


def test_equal_arrays_are_stored_once():
    store = ArrayStore()
    x = np.arange(3.0)
    data = encode({"x": x, "same": x.copy(), "big_endian": x.astype(">f8"), "other": x + 1}, store)
    assert [v for _, v in data["$d"]] == [{"$a": "a0"}, {"$a": "a0"}, {"$a": "a0"}, {"$a": "a1"}]
    assert list(store.members) == ["a0", "a1"]


def test_the_json_tags_are_stable():
    # Files written by earlier versions (memo data shipped in releases, checkpoints) must stay readable.
    store = ArrayStore()
    data = encode({"w": np.zeros(2), "s": np.float64(1.0), "t": (1, "x"), "l": [None, True]}, store)
    assert data == {"$d": [["w", {"$a": "a0"}], ["s", {"$s": "a1"}], ["t", {"$t": [1, "x"]}],
                           ["l", [None, True]]]}


def test_a_file_roundtrip_loads_without_pickles(tmp_path):
    store = ArrayStore()
    value = {"params": {"W": np.ones((2, 2), np.float32)}, "step": (3, np.int64(4))}
    header = {"format": "demo", "value": encode(value, store)}
    path = tmp_path / "demo.npz"
    for compress in (False, True):
        arraycodec.write_npz(path, arraycodec.to_members(header, store, member="meta"), compress=compress)
        with np.load(path, allow_pickle=False) as z:
            assert z.files[0] == "meta" and all(z[k].dtype.kind in "biufc" for k in z.files)
        got_header, arrays = arraycodec.from_members(arraycodec.read_npz(path), member="meta")
        assert got_header["format"] == "demo"
        assert_same(decode(got_header["value"], arrays), value)


def test_the_header_member_may_not_shadow_an_array():
    store = ArrayStore()
    encode(np.ones(1), store)
    with pytest.raises(ValueError, match="member name 'a0' is taken"):
        arraycodec.to_members({}, store, member="a0")


def nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("value, where, reason, match", [
    ({"k": object()}, "v['k']", "type", r"v\['k'\] is a builtins.object; only plain data can be stored"),
    ([np.array(["a"])], "v[0]", "dtype", r"v\[0\] has dtype <U1; only numeric arrays can be stored"),
    ((np.array([None], dtype=object),), "v[0]", "dtype", "has dtype object"),
    ({1: "int key"}, "v", "type", r"v is a builtins.dict"),
    ({"s": {1, 2}}, "v['s']", "type", r"is a builtins.set"),
    (nested(arraycodec.MAX_DEPTH + 1), "v" + "[0]" * (arraycodec.MAX_DEPTH + 1), "depth", "nested more than 32"),
], ids=["object", "string-array", "object-array", "int-key", "set", "too-deep"])
def test_what_cannot_be_stored_is_an_error_saying_where(value, where, reason, match):
    with pytest.raises(UnsupportedValue, match=match) as e:
        encode(value, ArrayStore(), "v")
    assert isinstance(e.value, ValueError)
    assert (e.value.where, e.value.reason) == (where, reason)


def test_int_and_dict_subclasses_are_refused_not_changed():
    class Flag(int):
        pass

    with pytest.raises(UnsupportedValue, match="Flag"):
        encode(Flag(1), ArrayStore())
