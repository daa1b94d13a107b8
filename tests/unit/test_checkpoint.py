"""The checkpoint file: roundtrip, atomic replacement, version 1 files still read (and resumed exactly)."""

import json

import numpy as np
import pytest

from cs231n_cnn.solver import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    NotACheckpoint,
    Solver,
    checkpoint,
    checkpoint_info,
    load_checkpoint,
)
from cs231n_cnn.solver.checkpoint import generator_from_state, save_checkpoint, solver_state


class Softmax:
    """A linear softmax classifier with hand-written gradients (no library layers)."""

    def __init__(self, D=4, C=3):
        self.params = {"W": 0.1 * np.arange(D * C, dtype=float).reshape(D, C) / (D * C), "b": np.zeros(C)}

    def loss(self, X, y=None):
        s = X @ self.params["W"] + self.params["b"]
        if y is None:
            return s
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(p[np.arange(N), y]).mean()
        p[np.arange(N), y] -= 1
        p /= N
        return loss, {"W": X.T @ p, "b": p.sum(axis=0)}


def make_data(seed=0, N=23, D=4, C=3):
    r = np.random.default_rng(seed)
    y = r.integers(0, C, N)
    X = r.standard_normal((N, D)) + y[:, None]
    return {"X_train": X, "y_train": y, "X_val": X[:9], "y_val": y[:9]}


OPTIONS = dict(update_rule="adam", optim_config={"learning_rate": 0.05}, lr_decay=0.9, batch_size=5,
               seed=4, verbose=False)


STATE = {
    "params": {"W": np.arange(6.0).reshape(2, 3), "b": np.zeros(3, np.float32)},
    "perm": None, "pos": 0, "elapsed": 1.25, "best_iteration": None,
    "rng_state": np.random.default_rng(1).bit_generator.state,
    "optim_configs": {"W": {"learning_rate": np.float32(0.1), "t": 3, "m": np.ones((2, 3))}},
    "model_state": {"bn_params": [{"mode": "train", "running_mean": np.ones(3)}]},
    "history": {"loss_history": [2.5, 2.25]},
}


def test_a_checkpoint_roundtrips_its_state_with_types(tmp_path):
    path = tmp_path / "ck.npz"
    save_checkpoint(path, STATE)
    ck = load_checkpoint(path)
    assert (ck["format"], ck["version"]) == (CHECKPOINT_FORMAT, CHECKPOINT_VERSION) == (CHECKPOINT_FORMAT, 2)
    assert ck["params"]["b"].dtype == np.float32 and np.array_equal(ck["params"]["W"], STATE["params"]["W"])
    assert type(ck["optim_configs"]["W"]["learning_rate"]) is np.float32
    assert ck["rng_state"] == STATE["rng_state"]
    assert ck["model_state"]["bn_params"][0]["mode"] == "train"
    assert (ck["perm"], ck["best_iteration"], ck["elapsed"]) == (None, None, 1.25)
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes().decode())
    assert (meta["format"], meta["version"]) == (CHECKPOINT_FORMAT, 2)


def test_a_failed_write_leaves_the_old_checkpoint_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    save_checkpoint(path, STATE)
    before = path.read_bytes()

    def fails_halfway(fileobj, members):
        fileobj.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device (simulated)")

    monkeypatch.setattr(checkpoint, "_write_npz", fails_halfway)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(path, {**STATE, "pos": 3})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck.npz"]


def test_an_unstorable_value_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"cannot checkpoint checkpoint\['settings'\]\['f'\] of type function: "
                                         r"only arrays, numbers, strings, None"):
        save_checkpoint(tmp_path / "x.npz", {"settings": {"f": lambda: 0}})
    with pytest.raises(ValueError, match=r"cannot checkpoint checkpoint\['a'\]: object arrays would need pickle"):
        save_checkpoint(tmp_path / "x.npz", {"a": np.array([None], dtype=object)})
    assert not any(tmp_path.iterdir())


def test_other_versions_and_formats_are_refused(tmp_path):
    for name, meta in (("v9", {"format": CHECKPOINT_FORMAT, "version": 9}), ("other", {"format": "x"})):
        np.savez(tmp_path / f"{name}.npz", meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    with pytest.raises(ValueError, match=r"v9.npz has checkpoint version 9; this cs231n_cnn reads versions 1, 2"):
        load_checkpoint(tmp_path / "v9.npz")
    with pytest.raises(ValueError, match=r"other.npz is not a cs231n_cnn Solver checkpoint"):
        load_checkpoint(tmp_path / "other.npz")


def test_a_missing_array_is_damage(tmp_path):
    meta = {"format": CHECKPOINT_FORMAT, "version": 2, "state": {"$d": [["params", {"$a": "a7"}]]}}
    np.savez(tmp_path / "ck.npz", meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    with pytest.raises(ValueError, match=r"ck.npz is damaged: array 'a7' is missing"):
        load_checkpoint(tmp_path / "ck.npz")


@pytest.mark.parametrize("bit_generator", ["PCG64", "MT19937", "Philox"])
def test_generator_state_roundtrips(tmp_path, bit_generator):
    g = np.random.Generator(getattr(np.random, bit_generator)(5))
    g.standard_normal(3)
    save_checkpoint(tmp_path / "g.npz", {"rng_state": g.bit_generator.state})
    restored = generator_from_state(load_checkpoint(tmp_path / "g.npz")["rng_state"], "here")
    assert np.array_equal(restored.standard_normal(4), g.standard_normal(4))
    with pytest.raises(ValueError, match=r"here has an unknown random generator 'Nope'"):
        generator_from_state({"bit_generator": "Nope"}, "here")


# --------------------------------------------------------------- version 1 files

_V1_ARRAY = "__ndarray__"


def _encode_v1(obj, arrays):
    """The version 1 writer, as it was: plain JSON, arrays replaced by {"__ndarray__": name}."""
    if isinstance(obj, np.ndarray):
        arrays[f"a{len(arrays)}"] = obj
        return {_V1_ARRAY: f"a{len(arrays) - 1}"}
    if isinstance(obj, dict):
        return {k: _encode_v1(v, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode_v1(v, arrays) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def write_v1(path, state):
    arrays = {}
    meta = _encode_v1({"format": CHECKPOINT_FORMAT, "version": 1, **state}, arrays)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    np.savez(path, **arrays)


def test_a_version_1_checkpoint_is_read_and_resumes_exactly(tmp_path):
    reference = Solver(Softmax(), make_data(), num_epochs=3, **OPTIONS)
    reference.train()

    first = Solver(Softmax(), make_data(), num_epochs=1, **OPTIONS)
    first.train()                                   # one epoch: 5 minibatches of 23 examples
    v1 = tmp_path / "old.npz"
    write_v1(v1, solver_state(first))
    ck = load_checkpoint(v1)
    assert (ck["version"], ck["iteration"]) == (1, 5)

    resumed = Solver(Softmax(), make_data(), num_epochs=3, resume=v1, **OPTIONS)
    resumed.train()
    for k in reference.model.params:
        assert np.array_equal(resumed.model.params[k], reference.model.params[k])
    assert resumed.loss_history == reference.loss_history
    assert resumed.rng.bit_generator.state == reference.rng.bit_generator.state


def test_the_solver_writes_version_2_and_resumes_from_it_exactly(tmp_path):
    reference = Solver(Softmax(), make_data(), num_epochs=3, **OPTIONS)
    reference.train()
    Solver(Softmax(), make_data(), num_epochs=2, checkpoint_name=tmp_path / "run", **OPTIONS).train()
    assert load_checkpoint(tmp_path / "run.npz")["version"] == 2
    resumed = Solver(Softmax(), make_data(), num_epochs=3, resume=tmp_path / "run.npz", **OPTIONS)
    resumed.train()
    for k in reference.model.params:
        assert np.array_equal(resumed.model.params[k], reference.model.params[k])
    assert resumed.loss_history == reference.loss_history


# --------------------------------------------------------------- Ctrl-C while writing

def interrupted_halfway(fileobj, members):
    fileobj.write(b"PK\x03\x04 half a zip")
    raise KeyboardInterrupt


def test_ctrl_c_while_writing_leaves_the_old_checkpoint_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    save_checkpoint(path, STATE)
    before = path.read_bytes()
    monkeypatch.setattr(checkpoint, "_write_npz", interrupted_halfway)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {**STATE, "pos": 3})
    assert path.read_bytes() == before and load_checkpoint(path)["pos"] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["ck.npz"]


def test_the_solver_knows_which_checkpoint_a_ctrl_c_left(tmp_path, monkeypatch):
    """Before the rename the old file stays and is what last_checkpoint names; after it, the new one."""
    s = Solver(Softmax(), make_data(), num_epochs=1, checkpoint_name=tmp_path / "run", **OPTIONS)
    assert s.last_checkpoint is None
    s.train()                                     # one epoch: 5 iterations, one checkpoint
    first = {"path": str(tmp_path / "run.npz"), "epoch": 1, "iteration": 5}
    assert s.last_checkpoint == first
    s.num_epochs = 2
    s.checkpoint_every = 1
    with monkeypatch.context() as m:
        m.setattr(checkpoint, "_write_npz", interrupted_halfway)
        with pytest.raises(KeyboardInterrupt):
            s.train()
    assert s.iteration == 6                       # the update was made, its checkpoint not
    assert s.last_checkpoint == first and load_checkpoint(tmp_path / "run.npz")["iteration"] == 5

    import cs231n_cnn.fileio as fileio

    def interrupted_after_the_rename(directory):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(fileio, "_sync_directory", interrupted_after_the_rename)
        with pytest.raises(KeyboardInterrupt):
            s.train()
    assert s.last_checkpoint == {**first, "iteration": 7}
    assert load_checkpoint(tmp_path / "run.npz")["iteration"] == 7
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


# --------------------------------------------------------------- files that are not checkpoints

def not_checkpoints(tmp_path):
    """(file, what the error must say it is), one of each kind a --resume path may hold by mistake."""
    import pickle

    files = {}
    files["random.npz"] = np.random.default_rng(0).bytes(300)
    files["empty.npz"] = b""
    files["model.pkl"] = pickle.dumps({"W": np.ones(2)})
    for name, value in files.items():
        (tmp_path / name).write_bytes(value)
    np.save(tmp_path / "weights.npy", np.ones(3))
    np.savez(tmp_path / "weights.npz", W1=np.ones(3), b1=np.zeros(2))
    np.savez(tmp_path / "objects.npz", meta=np.array([{"format": CHECKPOINT_FORMAT}], dtype=object))
    (tmp_path / "a-directory").mkdir()
    return [
        ("random.npz", "it is not an .npz archive"),
        ("empty.npz", "it is an empty file"),
        ("model.pkl", "it is a Python pickle, which is never loaded"),
        ("weights.npy", r"it is a single NumPy array \(.npy\)"),
        ("weights.npz", r"it is an .npz archive without the checkpoint's 'meta' entry \(it holds 'W1', 'b1'\)"),
        ("objects.npz", r"its member 'meta' holds Python objects, which are never loaded"),
        ("a-directory", "it is a directory"),
    ]


def test_a_file_that_is_not_a_checkpoint_is_named_as_what_it_is(tmp_path):
    for name, what in not_checkpoints(tmp_path):
        for read in (load_checkpoint, checkpoint_info):
            with pytest.raises(NotACheckpoint, match=rf"{name} is not a cs231n_cnn checkpoint: {what}") as info:
                read(tmp_path / name)
            # NumPy says "If you trust the file you can load it unsafely using the `allow_pickle=` keyword
            # argument or `pickle.load()`" for all but the last two: never passed on.
            assert "allow_pickle" not in str(info.value) and "pickle.load" not in str(info.value), name


# --------------------------------------------------------------- the model in the checkpoint

def test_a_checkpoint_records_the_model_and_checkpoint_info_reads_it(tmp_path):
    from cs231n_cnn.models import ConvNet

    spec = "INPUT[8x8x3] -> CONV3-4 -> BN -> RELU -> POOL2 -> DROPOUT0.5 -> FC"
    model = ConvNet(spec, num_classes=3, reg=0.25, dtype=np.float64, seed=0)
    config = {"model": "ConvNet", "spec": "INPUT[8x8x3] -> CONV3-4 -> BN -> RELU -> POOL2 -> DROPOUT0.5 -> FC-3",
              "dtype": "float64", "reg": 0.25, "fused": False}
    assert model.get_config() == config
    r = np.random.default_rng(0)
    data = {"X_train": r.standard_normal((12, 3, 8, 8)), "y_train": r.integers(0, 3, 12)}
    data.update(X_val=data["X_train"][:4], y_val=data["y_train"][:4])
    s = Solver(model, data, num_epochs=1, batch_size=5, checkpoint_name=tmp_path / "ck", checkpoint_every=2,
               seed=0, verbose=False)
    s.train()
    ck = load_checkpoint(tmp_path / "ck.npz")
    assert ck["model_config"] == config
    info = checkpoint_info(tmp_path / "ck.npz")
    assert info == {"version": 2, "model_config": config, "epoch": 1, "iteration": 3, "elapsed": ck["elapsed"],
                    "settings": ck["settings"]}
    # The config rebuilds a model the checkpoint's parameters fit, names, shapes and dtypes alike.
    rebuilt = ConvNet(**{k: v for k, v in config.items() if k != "model"})
    assert {k: (v.shape, v.dtype) for k, v in rebuilt.params.items()} == \
        {k: (v.shape, v.dtype) for k, v in ck["params"].items()}


def test_files_without_the_model_still_load(tmp_path):
    """A model without get_config, a version 2 file from before model_config, a version 1 file: None."""
    Solver(Softmax(), make_data(), num_epochs=1, checkpoint_name=tmp_path / "softmax", **OPTIONS).train()
    assert load_checkpoint(tmp_path / "softmax.npz")["model_config"] is None
    save_checkpoint(tmp_path / "older.npz", STATE)
    write_v1(tmp_path / "v1.npz", {"epoch": 2, "iteration": 7, "params": STATE["params"]})
    for name in ("softmax.npz", "older.npz", "v1.npz"):
        assert load_checkpoint(tmp_path / name)["model_config"] is None
        assert checkpoint_info(tmp_path / name)["model_config"] is None
    assert checkpoint_info(tmp_path / "v1.npz")["iteration"] == 7
