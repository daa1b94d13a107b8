"""Tests of the CIFAR-10 loaders on small batch files written here by hand.

The expected layouts come from the format description of the official
release (a row is 1024 red, 1024 green, 1024 blue values, each plane row by
row), written out independently of the loader.
"""

import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from cs231n_cnn.data import DatasetMissingError, cifar10
from cs231n_cnn.data.cifar10 import class_names, find_dataset_dir, get_CIFAR10_data, load_CIFAR10, load_CIFAR_batch
from cs231n_cnn.data.fake import write_fake_cifar10

BATCHES = [f"data_batch_{i}" for i in range(1, 6)]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("CS231N_DATA_DIR", "CS231N_CIFAR10_URL", "CS231N_CIFAR10_MD5"):
        monkeypatch.delenv(var, raising=False)


def _write_batch(path, data, labels, *, bytes_keys=False, protocol=2):
    batch = {"batch_label": "test", "data": data, "labels": labels, "filenames": []}
    if bytes_keys:
        batch = {k.encode(): v for k, v in batch.items()}
    path.write_bytes(pickle.dumps(batch, protocol=protocol))


def _make_dataset(root, sizes=(3, 5, 2, 4, 1), n_test=3, seed=0):
    """Write batches of the given sizes; return the raw rows and labels."""
    rng = np.random.default_rng(seed)
    d = root / "cifar-10-batches-py"
    d.mkdir(parents=True)
    raw = {}
    for name, n in zip(BATCHES + ["test_batch"], list(sizes) + [n_test]):
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, size=n)]
        _write_batch(d / name, data, labels)
        raw[name] = (data, labels)
    (d / "batches.meta").write_bytes(pickle.dumps({"label_names": list(class_names)}, protocol=2))
    return d, raw


def _pixel(row, c, h, w):
    """Value of channel c at (h, w) in one official-format row, by the format's definition."""
    return row[c * 1024 + h * 32 + w]


def test_class_names():
    assert class_names == ("airplane", "automobile", "bird", "cat", "deer",
                           "dog", "frog", "horse", "ship", "truck")


def test_load_CIFAR10_course_layout_any_batch_size(tmp_path):
    d, raw = _make_dataset(tmp_path, sizes=(3, 5, 2, 4, 1), n_test=3)
    Xtr, Ytr, Xte, Yte = load_CIFAR10(d)
    assert Xtr.shape == (15, 32, 32, 3) and Xte.shape == (3, 32, 32, 3)
    assert Xtr.dtype == np.float64 and Xte.dtype == np.float64  # the course's dtype
    assert Ytr.dtype == np.int64 and Ytr.shape == (15,)
    rows = np.concatenate([raw[b][0] for b in BATCHES])
    labels = sum((raw[b][1] for b in BATCHES), [])
    np.testing.assert_array_equal(Ytr, labels)
    np.testing.assert_array_equal(Yte, raw["test_batch"][1])
    for i, (c, h, w) in enumerate([(0, 0, 0), (1, 5, 7), (2, 31, 30), (0, 31, 0), (2, 0, 31)]):
        n = (3 * i) % 15
        assert Xtr[n, h, w, c] == _pixel(rows[n], c, h, w)
    assert Xte[2, 4, 9, 1] == _pixel(raw["test_batch"][0][2], 1, 4, 9)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=["uint8", "float32"])
def test_load_CIFAR10_dtype(tmp_path, dtype):
    d, raw = _make_dataset(tmp_path)
    Xtr, _, Xte, _ = load_CIFAR10(d, dtype=dtype)
    assert Xtr.dtype == dtype and Xte.dtype == dtype
    assert Xtr.flags.c_contiguous
    assert Xtr[0, 3, 4, 2] == _pixel(raw["data_batch_1"][0][0], 2, 3, 4)


def test_load_CIFAR10_rejects_integer_dtype(tmp_path):
    d, _ = _make_dataset(tmp_path)
    with pytest.raises(ValueError, match="dtype must be a floating dtype or uint8, got int32"):
        load_CIFAR10(d, dtype=np.int32)


def test_root_may_be_parent_or_batches_dir(tmp_path):
    d, _ = _make_dataset(tmp_path)
    assert find_dataset_dir(tmp_path) == d
    assert find_dataset_dir(d) == d
    a = load_CIFAR10(tmp_path, dtype=np.uint8)
    b = load_CIFAR10(d, dtype=np.uint8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_default_root_from_env(tmp_path, monkeypatch):
    d, _ = _make_dataset(tmp_path / "elsewhere")
    monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path / "elsewhere"))
    assert find_dataset_dir() == d
    assert get_CIFAR10_data(5, 2, 1)["X_train"].shape == (5, 3, 32, 32)


def test_default_data_dir_is_repo_data_not_cwd(tmp_path, monkeypatch):
    from pathlib import Path
    monkeypatch.chdir(tmp_path)
    repo_data = Path(cifar10.__file__).resolve().parents[2] / "data"
    assert (repo_data / "get_datasets.sh").is_file()
    assert cifar10.default_data_dir() == repo_data


@pytest.mark.parametrize("env", [False, True], ids=["explicit-root", "default-root"])
def test_missing_data_is_one_line_that_says_make_data(tmp_path, monkeypatch, env):
    if env:
        monkeypatch.setenv("CS231N_DATA_DIR", str(tmp_path / "nothing"))
        call = lambda: get_CIFAR10_data()  # noqa: E731
    else:
        call = lambda: load_CIFAR10(tmp_path / "nothing")  # noqa: E731
    with pytest.raises(DatasetMissingError) as info:
        call()
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert message.startswith(f"CIFAR-10 is not in {tmp_path / 'nothing'}: ") and "\n" not in message
    assert "`make data`" in message and "CS231N_DATA_DIR" in message
    # `cs231n-cnn` is on the PATH only inside an activated .venv: never advised bare.
    assert not re.search(r"(?<![/\w])cs231n-cnn ", message), message


def test_missing_data_in_the_checkouts_data_dir_names_make_data_first(monkeypatch):
    # The student's case: nothing set, the checkout's data/ empty (here: made to look empty).
    monkeypatch.delenv("CS231N_DATA_DIR", raising=False)
    monkeypatch.setattr(cifar10, "TRAIN_BATCHES", ("no_such_batch",))
    monkeypatch.setattr(cifar10, "TEST_BATCH", "no_such_test_batch")
    monkeypatch.setattr(cifar10, "DATASET_DIRNAME", "no-such-dir")
    with pytest.raises(DatasetMissingError) as info:
        cifar10.find_dataset_dir()
    checkout = Path(cifar10.__file__).resolve().parents[2]
    assert str(info.value) == (
        f"CIFAR-10 is not in {checkout / 'data'}: run `make data` in a terminal at the top of your checkout "
        f"({checkout}), or `.venv/bin/cs231n-cnn data download` there (or set CS231N_DATA_DIR to where the "
        f"data is)")


def test_missing_batch_file_is_named(tmp_path):
    d, _ = _make_dataset(tmp_path)
    (d / "data_batch_4").unlink()
    with pytest.raises(DatasetMissingError, match=r"CIFAR-10 is incomplete: .*data_batch_4 is missing; .*make data"):
        load_CIFAR10(d)


def test_bytes_keys_are_accepted(tmp_path):
    data = np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(2, 3072)
    _write_batch(tmp_path / "b", data, [3, 9], bytes_keys=True, protocol=4)
    got, labels = load_CIFAR_batch(tmp_path / "b")
    np.testing.assert_array_equal(got, data)
    np.testing.assert_array_equal(labels, [3, 9])
    assert labels.dtype == np.int64


GOOD = np.zeros((4, 3072), np.uint8)


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("payload, message", [
    ({"labels": [0, 1, 2, 3]}, r"missing key 'data' \(found keys: 'labels'\)"),
    ({"data": GOOD}, r"missing key 'labels' \(found keys: 'data'\)"),
    ({"data": GOOD.astype(np.float32), "labels": [0] * 4},
     r"'data' must be a uint8 array of shape \(n, 3072\).*got float32 array of shape \(4, 3072\)"),
    ({"data": np.zeros((4, 3071), np.uint8), "labels": [0] * 4}, r"got uint8 array of shape \(4, 3071\)"),
    ({"data": np.zeros(3072, np.uint8), "labels": [0]}, r"got uint8 array of shape \(3072,\)"),
    ({"data": np.zeros((0, 3072), np.uint8), "labels": []}, r"n >= 1.*shape \(0, 3072\)"),
    ({"data": [[0] * 3072], "labels": [0]}, r"'data' must be a uint8 array.*got list"),
    ({"data": GOOD, "labels": [0, 1, 2]}, r"'labels' has 3 entries but 'data' has 4 images"),
    ({"data": GOOD, "labels": [0, 1, 10, 3]}, r"labels must be in 0\.\.9, got 10 at index 2"),
    ({"data": GOOD, "labels": [0, -1, 2, 3]}, r"labels must be in 0\.\.9, got -1 at index 1"),
    ({"data": GOOD, "labels": [0.0, 1.0, 2.0, 3.0]}, r"'labels' must be a flat list of integers, got float64"),
    ([GOOD, [0] * 4], r"expected a dict with 'data' and 'labels', got list"),
], ids=["no-data-key", "no-labels-key", "float-data", "3071-columns", "1d-data", "empty-batch",
        "data-is-list", "label-count-mismatch", "label-10", "label-negative", "float-labels", "not-a-dict"])
def test_invalid_batch_is_rejected_naming_the_file(tmp_path, payload, message):
    path = tmp_path / "data_batch_3"
    path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(ValueError, match=message) as info:
        load_CIFAR_batch(path)
    assert str(path) in str(info.value)


def test_truncated_pickle_is_rejected(tmp_path):
    path = tmp_path / "data_batch_1"
    _write_batch(path, GOOD, [0] * 4)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match=r"data_batch_1 is not a readable batch pickle \(truncated or corrupt"):
        load_CIFAR_batch(path)


def test_pickle_cannot_run_code(tmp_path, capfd):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({"data": _Evil(), "labels": [0]}, protocol=2))
    with pytest.raises(ValueError, match=r"refusing to load (posix|nt|os)\.system"):
        load_CIFAR_batch(path)
    assert "pwned" not in capfd.readouterr().out


def test_load_CIFAR10_reports_bad_batch_by_name(tmp_path):
    d, _ = _make_dataset(tmp_path)
    _write_batch(d / "test_batch", GOOD, [0, 1, 2, 11])
    with pytest.raises(ValueError, match=re.escape(str(d / "test_batch")) + r".*got 11 at index 3"):
        load_CIFAR10(d)


# --------------------------------------------------------------------------- get_CIFAR10_data

def test_get_CIFAR10_data_split_layout_and_mean(tmp_path):
    d, raw = _make_dataset(tmp_path, sizes=(4, 4, 4, 4, 4), n_test=6)
    out = get_CIFAR10_data(num_training=13, num_validation=5, num_test=4, root=tmp_path)
    assert list(out) == ["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"]
    shapes = {k: v.shape for k, v in out.items()}
    assert shapes == {"X_train": (13, 3, 32, 32), "y_train": (13,), "X_val": (5, 3, 32, 32),
                      "y_val": (5,), "X_test": (4, 3, 32, 32), "y_test": (4,)}
    for k in ("X_train", "X_val", "X_test"):
        assert out[k].dtype == np.float32
    for k in ("y_train", "y_val", "y_test"):
        assert out[k].dtype == np.int64

    # Independent reference: NCHW by the format definition, float64 mean of the training part.
    rows = np.concatenate([raw[b][0] for b in BATCHES]).astype(np.float64)
    labels = np.array(sum((raw[b][1] for b in BATCHES), []))
    ref = np.empty((20, 3, 32, 32))
    for n in range(20):
        for c in range(3):
            for h in range(32):
                ref[n, c, h] = [_pixel(rows[n], c, h, w) for w in range(32)]
    mean = ref[:13].sum(axis=0) / 13
    test_ref = raw["test_batch"][0][:4].astype(np.float64).reshape(4, 3, 32, 32)
    np.testing.assert_allclose(out["X_train"], ref[:13] - mean, atol=1e-4)
    np.testing.assert_allclose(out["X_val"], ref[13:18] - mean, atol=1e-4)
    np.testing.assert_allclose(out["X_test"], test_ref - mean, atol=1e-4)
    np.testing.assert_array_equal(out["y_train"], labels[:13])
    np.testing.assert_array_equal(out["y_val"], labels[13:18])
    np.testing.assert_array_equal(out["y_test"], raw["test_batch"][1][:4])
    # The mean is the training mean only, so the training set is centred and validation is not.
    np.testing.assert_allclose(out["X_train"].astype(np.float64).mean(axis=0), 0, atol=1e-4)


def test_get_CIFAR10_data_without_mean_float64(tmp_path):
    _, raw = _make_dataset(tmp_path)
    out = get_CIFAR10_data(2, 1, 2, subtract_mean=False, dtype=np.float64, root=tmp_path)
    assert out["X_train"].dtype == np.float64
    np.testing.assert_array_equal(out["X_train"][1].reshape(-1), raw["data_batch_1"][0][1])
    np.testing.assert_array_equal(out["X_val"][0].reshape(-1), raw["data_batch_1"][0][2])
    assert out["X_train"].min() >= 0 and out["X_train"].max() <= 255


def test_get_CIFAR10_data_zero_validation(tmp_path):
    _make_dataset(tmp_path)
    out = get_CIFAR10_data(15, 0, 0, root=tmp_path)
    assert out["X_val"].shape == (0, 3, 32, 32) and out["y_val"].shape == (0,)
    assert out["X_test"].shape == (0, 3, 32, 32)


def test_get_CIFAR10_data_too_many_training_images(tmp_path):
    _make_dataset(tmp_path, sizes=(3, 5, 2, 4, 1))
    with pytest.raises(ValueError, match=r"num_training \+ num_validation = 14 \+ 2 = 16 training images, "
                                         r"but .* has only 15"):
        get_CIFAR10_data(14, 2, 1, root=tmp_path)


def test_get_CIFAR10_data_too_many_test_images(tmp_path):
    _make_dataset(tmp_path, n_test=3)
    with pytest.raises(ValueError, match=r"num_test = 4 test images, but .* has only 3"):
        get_CIFAR10_data(5, 1, 4, root=tmp_path)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_training": 0}, r"num_training must be >= 1, got num_training=0"),
    ({"num_validation": -1}, r"num_validation must be >= 0, got num_validation=-1"),
    ({"num_test": 2.0}, r"num_test must be an integer, got 2.0 \(float\)"),
    ({"num_training": True}, r"num_training must be an integer, got True \(bool\)"),
    ({"dtype": np.uint8}, r"dtype must be a floating dtype, got uint8"),
], ids=["zero-training", "negative-validation", "float-count", "bool-count", "uint8-dtype"])
def test_get_CIFAR10_data_bad_arguments(tmp_path, kwargs, message):
    _make_dataset(tmp_path)
    args = {"num_training": 5, "num_validation": 1, "num_test": 1, "root": tmp_path, **kwargs}
    with pytest.raises(ValueError, match=message):
        get_CIFAR10_data(**args)


def test_fake_dataset_writer_round_trips(tmp_path):
    d, batches = write_fake_cifar10(tmp_path, images_per_batch=[1, 2, 3, 4, 5], num_test=2, seed=3)
    Xtr, Ytr, Xte, Yte = load_CIFAR10(d, dtype=np.uint8)
    assert Xtr.shape == (15, 32, 32, 3) and Xte.shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(Xte[1, 7, 8], [_pixel(batches["test_batch"][0][1], c, 7, 8) for c in range(3)])
    np.testing.assert_array_equal(Yte, batches["test_batch"][1])
    meta = pickle.loads((d / "batches.meta").read_bytes(), encoding="latin1")
    assert meta["label_names"] == list(class_names)


def test_get_CIFAR10_data_none_means_everything_available(tmp_path):
    _make_dataset(tmp_path, sizes=(3, 5, 2, 4, 1), n_test=6)
    out = get_CIFAR10_data(num_training=None, num_validation=4, num_test=None, root=tmp_path)
    assert out["X_train"].shape[0] == 15 - 4 and out["X_val"].shape[0] == 4 and out["X_test"].shape[0] == 6


def test_get_CIFAR10_data_normalize_gives_unit_channel_std(tmp_path):
    _make_dataset(tmp_path, sizes=(4, 4, 4, 4, 4), n_test=6)
    raw = get_CIFAR10_data(num_training=16, num_validation=2, num_test=3, dtype=np.float64, root=tmp_path)
    out = get_CIFAR10_data(num_training=16, num_validation=2, num_test=3, dtype=np.float64, root=tmp_path,
                           normalize=True)
    std = raw["X_train"].std(axis=(0, 2, 3))  # independent: per-channel std of the centred training set
    np.testing.assert_allclose(out["X_train"].std(axis=(0, 2, 3)), 1.0, rtol=1e-10)
    np.testing.assert_allclose(out["X_test"], raw["X_test"] / std[None, :, None, None], rtol=1e-10)
