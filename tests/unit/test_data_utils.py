"""cs231n_cnn.data.utils.load_pickle: the course's data_utils.load_pickle."""

import pickle

import numpy as np
import pytest

from cs231n_cnn.data import load_pickle

# A dict {'data': array([[1, 200]], dtype=uint8), 'labels': [3]} pickled by Python 2 (protocol 2):
# its byte strings are str (the array's bytes include 200), which Python 3 decodes only with
# encoding='latin1' (or 'bytes').
PY2_PICKLE = (
    b"\x80\x02}q\x00(U\x04dataq\x01cnumpy.core.multiarray\n_reconstruct\nq\x02cnumpy\nndarray\nq\x03"
    b"K\x00\x85q\x04U\x01b\x87q\x05Rq\x06(K\x01K\x01K\x02\x86q\x07cnumpy\ndtype\nq\x08U\x02u1\x89"
    b"\x88\x87q\tRq\n(K\x03U\x01|q\x0bNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0cb\x89U\x02"
    b"\x01\xc8tq\rbU\x06labelsq\x0e]q\x0fK\x03au."
)


def test_reads_a_python2_pickle_from_an_open_file(tmp_path):
    path = tmp_path / "batch"
    path.write_bytes(PY2_PICKLE)
    with open(path, "rb") as f:       # the course passes an open file
        d = load_pickle(f)
    assert d["labels"] == [3]
    np.testing.assert_array_equal(d["data"], np.array([[1, 200]], dtype=np.uint8))
    # plain pickle.load (ASCII) cannot decode it: that is why latin1 is needed
    with open(path, "rb") as f, pytest.raises(UnicodeDecodeError):
        pickle.load(f)


def test_accepts_a_path_and_python3_pickles(tmp_path):
    path = tmp_path / "model.pkl"
    obj = {"W1": np.arange(6.0).reshape(2, 3), "name": "tiny"}
    path.write_bytes(pickle.dumps(obj))
    for source in (path, str(path)):
        got = load_pickle(source)
        assert got["name"] == "tiny"
        np.testing.assert_array_equal(got["W1"], obj["W1"])
