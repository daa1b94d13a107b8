"""Solver: epochs, seeding, histories, divergence, checkpoints and exact resume.

The models are tiny and defined here (the Solver must not depend on the
library's layers): ``TinyNet`` is a 2-layer ReLU/softmax classifier with
hand-written gradients, plus a batch-norm-like running mean kept in
``bn_params`` (model state outside ``params``) that affects test-mode scores,
so checkpoints must carry it for resume to be exact.

The kill test runs training in a subprocess that imports this module, so
the module must stay importable without side effects.
"""

import io
import json
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import cs231n_cnn
from cs231n_cnn.shapes import NonFiniteError
from cs231n_cnn.solver import NotACheckpoint, Solver, TrainingDiverged, load_checkpoint
from cs231n_cnn.solver import checkpoint as solver_mod

REPO_ROOT = Path(cs231n_cnn.__file__).resolve().parent.parent
TESTS_DIR = Path(__file__).resolve().parent


class TinyNet:
    """Affine - ReLU - affine - softmax, with a running mean of the hidden layer."""

    def __init__(self, D=6, H=8, C=3, seed=0, dtype=np.float64):
        r = np.random.default_rng(seed)
        self.params = {
            "W1": (0.5 * r.standard_normal((D, H))).astype(dtype), "b1": np.zeros(H, dtype),
            "W2": (0.5 * r.standard_normal((H, C))).astype(dtype), "b2": np.zeros(C, dtype),
        }
        self.bn_params = [{"mode": "train", "running_mean": np.zeros(H, dtype)}]

    def loss(self, X, y=None):
        p, bn = self.params, self.bn_params[0]
        h = np.maximum(X @ p["W1"] + p["b1"], 0)
        if y is None:
            bn["mode"] = "test"
            return (h - 0.5 * bn["running_mean"]) @ p["W2"] + p["b2"]
        bn["mode"] = "train"
        bn["running_mean"] = 0.9 * bn["running_mean"] + 0.1 * h.mean(axis=0)
        s = h @ p["W2"] + p["b2"]
        s = s - s.max(axis=1, keepdims=True)
        prob = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(prob[np.arange(N), y]).mean()
        ds = prob.copy()
        ds[np.arange(N), y] -= 1
        ds /= N
        dh = ds @ p["W2"].T
        dh[h <= 0] = 0
        grads = {"W1": X.T @ dh, "b1": dh.sum(axis=0), "W2": h.T @ ds, "b2": ds.sum(axis=0)}
        return loss, grads


def make_data(n_train=57, n_val=31, D=6, C=3, seed=1, dtype=np.float64):
    r = np.random.default_rng(seed)
    centers = 2 * r.standard_normal((C, D))
    y_tr, y_va = r.integers(0, C, n_train), r.integers(0, C, n_val)
    return {
        "X_train": (centers[y_tr] + r.standard_normal((n_train, D))).astype(dtype), "y_train": y_tr,
        "X_val": (centers[y_va] + r.standard_normal((n_val, D))).astype(dtype), "y_val": y_va,
    }


# 57 examples in minibatches of 10: 6 iterations per epoch, the last one of 7.
SETTINGS = dict(update_rule="adam", optim_config={"learning_rate": 2e-2}, lr_decay=0.9,
                batch_size=10, num_train_samples=40, num_val_samples=20, verbose=False, seed=3)


def train(num_epochs=3, model_seed=0, **kwargs):
    settings = {**SETTINGS, "num_epochs": num_epochs, **kwargs}
    solver = Solver(TinyNet(seed=model_seed), make_data(), **settings)
    solver.train()
    return solver


def assert_same_params(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype
        assert np.array_equal(a[k], b[k]), k


def assert_same_run(a: Solver, b: Solver):
    """Everything but wall times is bit-identical."""
    assert_same_params(a.model.params, b.model.params)
    assert_same_params(a.best_params, b.best_params)
    assert np.array_equal(a.model.bn_params[0]["running_mean"], b.model.bn_params[0]["running_mean"])
    for name in ("loss_history", "train_acc_history", "val_acc_history", "acc_iteration_history"):
        assert getattr(a, name) == getattr(b, name), name
    assert (a.epoch, a.iteration, a.best_val_acc, a.best_iteration) == \
        (b.epoch, b.iteration, b.best_val_acc, b.best_iteration)
    for p in a.optim_configs:
        assert a.optim_configs[p]["t"] == b.optim_configs[p]["t"]
        assert a.optim_configs[p]["learning_rate"] == b.optim_configs[p]["learning_rate"]
        assert np.array_equal(a.optim_configs[p]["m"], b.optim_configs[p]["m"])
        assert np.array_equal(a.optim_configs[p]["v"], b.optim_configs[p]["v"])
    assert a.rng.bit_generator.state == b.rng.bit_generator.state


class Recorder(TinyNet):
    """Records the training rows it is given (column 0 of X holds the row id)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.train_batches, self.eval_calls = [], []

    def loss(self, X, y=None):
        if y is None:
            self.eval_calls.append(X[:, 0].astype(int))
        else:
            self.train_batches.append(X[:, 0].astype(int))
        return super().loss(X, y)


def id_data(n_train=23, n_val=250):
    data = make_data(n_train, n_val)
    data["X_train"][:, 0] = np.arange(n_train)
    data["X_val"][:, 0] = np.arange(n_val)
    return data


# --------------------------------------------------------------- epochs

def test_every_training_example_is_visited_once_per_epoch():
    model = Recorder()
    solver = Solver(model, id_data(23), batch_size=5, num_epochs=4, seed=0, verbose=False)
    assert solver.iterations_per_epoch == 5  # ceil(23 / 5): 5, 5, 5, 5, 3
    solver.train()
    batches = model.train_batches
    assert len(batches) == 20 == len(solver.loss_history)
    orders = []
    for e in range(4):
        epoch = batches[5 * e:5 * e + 5]
        assert [len(b) for b in epoch] == [5, 5, 5, 5, 3]
        seen = np.concatenate(epoch)
        assert np.array_equal(np.sort(seen), np.arange(23))
        orders.append(seen)
    assert not all(np.array_equal(orders[0], o) for o in orders[1:]), "every epoch has the same order"


def test_batch_larger_than_training_set_is_one_iteration_per_epoch():
    model = Recorder()
    solver = Solver(model, id_data(7), batch_size=100, num_epochs=2, seed=0, verbose=False)
    solver.train()
    assert solver.iterations_per_epoch == 1
    assert [len(b) for b in model.train_batches] == [7, 7]


def test_histories_and_counters():
    s = train(num_epochs=3)
    ipe = s.iterations_per_epoch
    assert ipe == 6
    assert (s.epoch, s.iteration) == (3, 18)
    assert len(s.loss_history) == len(s.loss_time_history) == 18
    # After the first iteration (as in the course) and after every epoch.
    assert s.acc_iteration_history == [1, 6, 12, 18]
    assert len(s.train_acc_history) == len(s.val_acc_history) == len(s.acc_time_history) == 4
    assert all(isinstance(a, float) and 0 <= a <= 1 for a in s.train_acc_history + s.val_acc_history)
    assert np.all(np.diff(s.loss_time_history) >= 0) and np.all(np.diff(s.acc_time_history) >= 0)
    assert s.loss_history[-1] < s.loss_history[0]  # it learns the separable blobs


def test_train_again_after_completion_does_nothing():
    s = train(num_epochs=2, restore_best=False)
    before = {k: v.copy() for k, v in s.model.params.items()}
    s.train()
    assert s.iteration == 12
    assert_same_params(s.model.params, before)


def test_lr_decay_is_applied_once_per_epoch():
    seen = []

    def recording_sgd(w, dw, config):
        seen.append(config["learning_rate"])
        return w - config["learning_rate"] * dw, config

    s = Solver(TinyNet(), make_data(), update_rule=recording_sgd, optim_config={"learning_rate": 0.5},
               lr_decay=0.5, batch_size=10, num_epochs=3, seed=0, verbose=False)
    s.train()
    per_iteration = seen[::4]  # one call per parameter, 4 parameters
    assert per_iteration == [0.5] * 6 + [0.25] * 6 + [0.125] * 6
    assert all(c["learning_rate"] == 0.0625 for c in s.optim_configs.values())
    assert s.update_rule_name == "recording_sgd"


def test_optimizer_configs_are_not_shared_between_params():
    template = {"learning_rate": 1e-2, "velocity_hint": [1, 2]}
    s = Solver(TinyNet(), make_data(), update_rule="sgd_momentum", optim_config=template,
               num_epochs=1, batch_size=10, seed=0, verbose=False)
    configs = list(s.optim_configs.values())
    assert len({id(c) for c in configs}) == 4 and len({id(c["velocity_hint"]) for c in configs}) == 4
    s.train()
    for p, w in s.model.params.items():
        assert s.optim_configs[p]["velocity"].shape == w.shape
    assert template == {"learning_rate": 1e-2, "velocity_hint": [1, 2]}


def test_float32_training_stays_float32(tmp_path):
    model = TinyNet(dtype=np.float32)
    s = Solver(model, make_data(dtype=np.float32), update_rule="rmsprop", num_epochs=1, batch_size=10,
               seed=0, verbose=False, checkpoint_name=tmp_path / "f32")
    s.train()
    assert all(v.dtype == np.float32 for v in s.model.params.values())
    assert all(c["cache"].dtype == np.float32 for c in s.optim_configs.values())
    assert all(v.dtype == np.float32 for v in load_checkpoint(tmp_path / "f32.npz")["params"].values())


# ------------------------------------------------------------ randomness

def test_same_seed_same_run_and_global_state_untouched():
    np.random.seed(123)
    global_state = np.random.get_state()
    a, b = train(seed=7), train(seed=7)
    after = np.random.get_state()
    assert global_state[0] == after[0] and np.array_equal(global_state[1], after[1])
    assert global_state[2:] == after[2:]
    assert_same_run(a, b)
    c = train(seed=8)
    assert not np.array_equal(a.model.params["W1"], c.model.params["W1"])


def test_seed_accepts_a_generator():
    rng = np.random.default_rng(7)
    s = Solver(TinyNet(), make_data(), seed=rng, verbose=False)
    assert s.rng is rng


# -------------------------------------------------------- check_accuracy

class FirstFeatureIsTheClass:
    """Predicts class X[:, 1] (an integer stored as float), for exact accuracies."""

    def __init__(self):
        self.params = {"w": np.zeros(1)}
        self.calls = []

    def loss(self, X, y=None):
        self.calls.append(X[:, 0].astype(int))
        return np.eye(3)[X[:, 1].astype(int)]


def accuracy_data():
    # 250 rows: column 0 is the row id, column 1 the predicted class, y the truth.
    # The prediction is right exactly for rows whose id is a multiple of 5: 50/250.
    ids = np.arange(250)
    y = ids % 3
    pred = np.where(ids % 5 == 0, y, (y + 1) % 3)
    X = np.stack([ids, pred], axis=1).astype(float)
    return {"X_train": X, "y_train": y, "X_val": X, "y_val": y}


def test_check_accuracy_exact_in_batches():
    model = FirstFeatureIsTheClass()
    data = accuracy_data()
    s = Solver(model, data, verbose=False, seed=0)
    assert s.check_accuracy(data["X_val"], data["y_val"]) == 50 / 250
    assert [len(c) for c in model.calls] == [100, 100, 50]
    model.calls.clear()
    assert s.check_accuracy(data["X_val"], data["y_val"], batch_size=64) == 0.2
    assert [len(c) for c in model.calls] == [64, 64, 64, 58]


def test_check_accuracy_subsample_is_seeded_and_without_replacement():
    data = accuracy_data()
    results = []
    for _ in range(2):
        model = FirstFeatureIsTheClass()
        s = Solver(model, data, verbose=False, seed=11)
        acc = s.check_accuracy(data["X_val"], data["y_val"], num_samples=120)
        rows = np.concatenate(model.calls)
        assert len(rows) == 120 == len(np.unique(rows))
        # The accuracy is that of the rows actually drawn.
        assert acc == np.mean(rows % 5 == 0)
        results.append(rows)
    assert np.array_equal(results[0], results[1])


# ------------------------------------------------------------ divergence

class NaNAt(TinyNet):
    """Training loss becomes ``bad`` at a given (1-based) training call."""

    def __init__(self, at, bad, **kw):
        super().__init__(**kw)
        self.at, self.bad, self.calls = at, bad, 0
        self.seen = []

    def loss(self, X, y=None):
        out = super().loss(X, y)
        if y is None:
            return out
        self.calls += 1
        self.seen.append({k: v.copy() for k, v in self.params.items()})
        return (self.bad, out[1]) if self.calls == self.at else out


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.float64("-inf")], ids=["nan", "inf", "-inf"])
def test_non_finite_loss_stops_with_iteration_and_epoch(bad):
    model = NaNAt(at=9, bad=bad)
    s = Solver(model, make_data(), update_rule="sgd", optim_config={"learning_rate": 0.05},
               batch_size=10, num_epochs=5, seed=0, verbose=False)
    # Iteration 9 is the 3rd minibatch of epoch 2 (6 minibatches per epoch).
    with pytest.raises(TrainingDiverged, match=r"training diverged at iteration 9 \(epoch 2 of 5, "
                       r"minibatch 3 of 6\): the loss is -?(nan|inf); lower the learning rate \(it is 0.05\)") as e:
        s.train()
    assert isinstance(e.value, ValueError)
    assert (e.value.iteration, e.value.epoch) == (9, 2)
    assert s.iteration == 8 and len(s.loss_history) == 8
    # The best parameters so far (from the checks after iterations 1 and 6) are put back.
    assert s.best_iteration in (1, 6)
    assert "model.params now hold the best parameters so far" in str(e.value)
    assert_same_params(s.model.params, s.best_params)
    assert_same_params(s.best_params, model.seen[s.best_iteration])  # params after that iteration


def test_non_finite_loss_without_restore_keeps_last_good_params():
    model = NaNAt(at=4, bad=float("nan"))
    s = Solver(model, make_data(), update_rule="sgd", batch_size=10, num_epochs=2, seed=0,
               verbose=False, restore_best=False)
    with pytest.raises(TrainingDiverged, match="iteration 4 .*the best parameters so far are in solver.best_params"):
        s.train()
    assert_same_params(s.model.params, model.seen[3])  # as they were when iteration 4 started


class HugeGradient:
    """Finite loss, gradient 1e10: with learning rate 1e300 the step overflows to inf."""

    def __init__(self):
        self.params = {"w": np.zeros(3), "b": np.zeros(3)}

    def loss(self, X, y=None):
        if y is None:
            return np.zeros((X.shape[0], 3))
        return 1.0, {"w": np.ones(3), "b": np.full(3, 1e10)}


def test_parameters_overflowing_stop_training():
    s = Solver(HugeGradient(), make_data(), update_rule="sgd", optim_config={"learning_rate": 1e300},
               batch_size=10, num_epochs=2, seed=0, verbose=False)
    with pytest.raises(TrainingDiverged, match=r"at iteration 1 \(epoch 1 of 2, minibatch 1 of 6\): "
                       r"parameter 'b' became non-finite after the update; lower the learning rate \(it is 1e\+300\)"):
        s.train()
    # No parameter is half-updated: w's (finite) update was not committed either.
    assert s.iteration == 0 and s.loss_history == []
    assert all(np.array_equal(v, np.zeros(3)) for v in s.model.params.values())


def test_layer_reporting_non_finite_scores_is_divergence():
    class Overflowing(TinyNet):
        calls = 0

        def loss(self, X, y=None):
            if y is not None:
                Overflowing.calls += 1
                if Overflowing.calls == 3:
                    raise NonFiniteError("softmax: x contains 4 non-finite value(s) (first inf at index (0, 1)); "
                                         "check the learning rate and the input data")
            return super().loss(X, y)

    s = Solver(Overflowing(), make_data(), batch_size=10, num_epochs=1, seed=0, verbose=False)
    with pytest.raises(TrainingDiverged, match=r"iteration 3 .*a layer saw non-finite values \(softmax: x contains"):
        s.train()


def test_other_model_errors_propagate_unchanged():
    class Broken(TinyNet):
        def loss(self, X, y=None):
            raise ValueError("affine: x has D = 5 values per example")

    s = Solver(Broken(), make_data(), batch_size=10, num_epochs=1, seed=0, verbose=False)
    with pytest.raises(ValueError, match="affine: x has D = 5") as e:
        s.train()
    assert not isinstance(e.value, TrainingDiverged)


# ----------------------------------------------------- best parameters

def test_best_validation_params_restored_only_when_asked():
    a = train(num_epochs=4, restore_best=True)
    b = train(num_epochs=4, restore_best=False)
    first_best = int(np.argmax(a.val_acc_history))  # first maximum, as ties keep the earlier
    assert a.best_val_acc == max(a.val_acc_history)
    assert a.best_iteration == a.acc_iteration_history[first_best]
    assert_same_params(a.best_params, b.best_params)
    assert_same_params(a.model.params, a.best_params)
    assert a.model.params["W1"] is not a.best_params["W1"]
    if a.best_iteration != b.iteration:
        assert not np.array_equal(b.model.params["W1"], b.best_params["W1"])


# ------------------------------------------------------------ checkpoints

def test_checkpoint_contents_and_no_pickle(tmp_path):
    s = train(num_epochs=2, checkpoint_name=tmp_path / "run", restore_best=False)
    path = tmp_path / "run.npz"
    assert s.checkpoint_path == str(path) and path.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]  # no temporary files left
    with np.load(path, allow_pickle=False) as z:  # every member loads without pickle
        assert all(z[k].dtype != object for k in z.files)
        meta = json.loads(z["meta"].tobytes().decode())
    assert meta["format"] == "cs231n_cnn.solver.checkpoint"
    ck = load_checkpoint(path)
    assert (ck["epoch"], ck["iteration"], ck["pos"], ck["perm"]) == (2, 12, 0, None)
    assert_same_params(ck["params"], s.model.params)
    assert_same_params(ck["best_params"], s.best_params)
    for p, config in s.optim_configs.items():
        assert ck["optim_configs"][p]["t"] == config["t"] == 12
        assert np.array_equal(ck["optim_configs"][p]["m"], config["m"])
        assert np.array_equal(ck["optim_configs"][p]["v"], config["v"])
        assert ck["optim_configs"][p]["learning_rate"] == config["learning_rate"] == 2e-2 * 0.9 * 0.9
    assert ck["rng_state"] == s.rng.bit_generator.state
    assert ck["history"]["loss_history"] == s.loss_history
    assert ck["settings"]["batch_size"] == 10 and ck["settings"]["update_rule"] == "adam"
    assert np.array_equal(ck["model_state"]["bn_params"][0]["running_mean"],
                          s.model.bn_params[0]["running_mean"])


def test_checkpoint_every_writes_mid_epoch(tmp_path):
    class StopAt(TinyNet):
        def loss(self, X, y=None):
            if y is not None and len(self.calls) == 10:
                raise KeyboardInterrupt
            if y is not None:
                self.calls.append(1)
            return super().loss(X, y)

    model = StopAt()
    model.calls = []
    s = Solver(model, make_data(), **{**SETTINGS, "num_epochs": 3, "checkpoint_name": tmp_path / "c",
                                      "checkpoint_every": 4})
    with pytest.raises(KeyboardInterrupt):
        s.train()
    ck = load_checkpoint(tmp_path / "c.npz")
    assert ck["iteration"] == 8 and ck["epoch"] == 1 and ck["pos"] == 20
    assert np.array_equal(np.sort(ck["perm"]), np.arange(57))


def test_resume_between_epochs_is_exact(tmp_path):
    reference = train(num_epochs=4, restore_best=False)
    first = train(num_epochs=2, checkpoint_name=tmp_path / "ck", restore_best=False)
    assert first.iteration == 12
    # A new process would build the model from scratch: different initial weights.
    resumed = Solver(TinyNet(seed=99), make_data(), **{**SETTINGS, "num_epochs": 4, "restore_best": False},
                     resume=tmp_path / "ck.npz")
    assert (resumed.epoch, resumed.iteration) == (2, 12)
    resumed.train()
    assert_same_run(resumed, reference)


def test_resume_mid_epoch_after_a_crash_is_exact(tmp_path):
    reference = train(num_epochs=3)

    class CrashAt(TinyNet):
        calls = 0

        def loss(self, X, y=None):
            if y is not None:
                CrashAt.calls += 1
                if CrashAt.calls == 11:
                    raise MemoryError("simulated crash")
            return super().loss(X, y)

    s = Solver(CrashAt(), make_data(), **{**SETTINGS, "num_epochs": 3, "checkpoint_name": tmp_path / "ck",
                                          "checkpoint_every": 3})
    with pytest.raises(MemoryError):
        s.train()
    assert load_checkpoint(tmp_path / "ck.npz")["iteration"] == 9  # mid-epoch 2
    resumed = Solver(TinyNet(seed=5), make_data(), **{**SETTINGS, "num_epochs": 3})
    resumed.resume(tmp_path / "ck.npz").train()
    assert_same_run(resumed, reference)  # including the restored best parameters


KILLED_RUN = """
import sys, time
sys.path[:0] = [{repo!r}, {tests!r}]
from test_solver import TinyNet, make_data, SETTINGS
from cs231n_cnn.solver import Solver

class BlockAt(TinyNet):
    calls = 0
    def loss(self, X, y=None):
        if y is not None:
            BlockAt.calls += 1
            if BlockAt.calls == 10:  # iteration 10: the last checkpoint is iteration 8
                print("READY", flush=True)
                time.sleep(120)
        return super().loss(X, y)

Solver(BlockAt(), make_data(), **{{**SETTINGS, "num_epochs": 3, "checkpoint_name": {ck!r},
                                   "checkpoint_every": 4}}).train()
print("FINISHED", flush=True)
"""


def test_killed_run_resumes_to_bit_identical_parameters(tmp_path):
    ck = str(tmp_path / "killed")
    code = KILLED_RUN.format(repo=str(REPO_ROOT), tests=str(TESTS_DIR), ck=ck)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                line = proc.stdout.readline()
                break
            if proc.poll() is not None:
                break
        assert line.strip() == "READY", f"training subprocess did not get going: {proc.stderr.read()}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert load_checkpoint(ck + ".npz")["iteration"] == 8
    resumed = Solver(TinyNet(seed=42), make_data(), **{**SETTINGS, "num_epochs": 3}, resume=ck + ".npz")
    resumed.train()
    reference = train(num_epochs=3)
    assert_same_run(resumed, reference)


def half_written_npz(fileobj, arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    fileobj.write(data[:len(data) // 2])
    raise OSError(28, "No space left on device (simulated)")


def failing_os(name):
    def fail(*args, **kwargs):
        raise OSError(5, f"simulated failure in os.{name}")
    return fail


@pytest.mark.parametrize("fault", ["writer-halfway", "fsync", "replace"])
def test_interrupted_checkpoint_write_leaves_the_previous_one(tmp_path, monkeypatch, fault):
    s = train(num_epochs=1, checkpoint_name=tmp_path / "ck")
    path = tmp_path / "ck.npz"
    before = path.read_bytes()
    if fault == "writer-halfway":
        monkeypatch.setattr(solver_mod, "_write_npz", half_written_npz)
    else:
        monkeypatch.setattr(solver_mod.os, fault, failing_os(fault))
    s.num_epochs = 2
    with pytest.raises(OSError, match="simulated"):
        s.train()
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_checkpoint(path)["iteration"] == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]


def test_resume_refuses_a_different_setup(tmp_path):
    train(num_epochs=1, checkpoint_name=tmp_path / "ck")
    path = tmp_path / "ck.npz"
    with pytest.raises(ValueError, match=r"was written with batch_size=10 but this solver has batch_size=8"):
        Solver(TinyNet(), make_data(), **{**SETTINGS, "batch_size": 8}, resume=path)
    with pytest.raises(ValueError, match=r"was written with num_train=57 but this solver has num_train=50"):
        Solver(TinyNet(), make_data(n_train=50), **SETTINGS, resume=path)
    with pytest.raises(ValueError, match=r"was written with update_rule='adam' but this solver has "
                                         r"update_rule='sgd'"):
        Solver(TinyNet(), make_data(), **{**SETTINGS, "update_rule": "sgd"}, resume=path)
    with pytest.raises(ValueError, match=r"holds parameters .*'W1': \(\(6, 8\), '<f8'\).* but the model has "
                                         r".*'W1': \(\(6, 5\), '<f8'\)"):
        Solver(TinyNet(H=5), make_data(), **SETTINGS, resume=path)


def test_load_checkpoint_rejects_what_it_cannot_trust(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file at all")
    with pytest.raises(NotACheckpoint, match=r"junk.npz is not a cs231n_cnn checkpoint: it is not an .npz archive"):
        load_checkpoint(junk)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, meta=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(NotACheckpoint, match=r"pickled.npz is not a cs231n_cnn checkpoint: its member 'meta' holds "
                                             r"Python objects, which are never loaded") as info:
        load_checkpoint(pickled)
    assert "allow_pickle" not in str(info.value)   # NumPy's advice to unpickle it is not passed on
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.ones(3))
    with pytest.raises(NotACheckpoint, match=r"other.npz is not a cs231n_cnn checkpoint: it is an .npz archive "
                                             r"without the checkpoint's 'meta' entry \(it holds 'weights'\)"):
        load_checkpoint(other)


def test_unsaveable_optim_config_is_reported(tmp_path):
    s = Solver(TinyNet(), make_data(), optim_config={"learning_rate": 0.1, "schedule": object()},
               batch_size=10, num_epochs=1, seed=0, verbose=False, checkpoint_name=tmp_path / "x")
    with pytest.raises(ValueError, match=r"cannot checkpoint checkpoint\['settings'\]\['optim_config'\]"
                                         r"\['schedule'\] of type object"):
        s.save_checkpoint()


# --------------------------------------------------------------- output

def expected_lines(s: Solver, print_every: int):
    total = s.num_epochs * s.iterations_per_epoch
    lines = []
    for it in range(1, total + 1):
        if (it - 1) % print_every == 0:
            lines.append(f"(Iteration {it} / {total}) loss: {s.loss_history[it - 1]:f}")
        if it in s.acc_iteration_history:
            k = s.acc_iteration_history.index(it)
            epoch = it // s.iterations_per_epoch
            lines.append(f"(Epoch {epoch} / {s.num_epochs}) train acc: {s.train_acc_history[k]:f}; "
                         f"val_acc: {s.val_acc_history[k]:f}")
    return lines


def test_non_tty_output_is_line_oriented(capsys, monkeypatch):
    monkeypatch.delenv("CS231N_PROGRESS", raising=False)
    s = train(num_epochs=2, verbose=True, print_every=4)
    out = capsys.readouterr().out
    assert "\r" not in out
    assert out.splitlines() == expected_lines(s, 4)


def test_verbose_false_prints_nothing(capsys):
    train(num_epochs=1, verbose=False, progress=True)
    assert capsys.readouterr().out == ""


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("progress, env, live", [
    (True, {}, True),
    (False, {}, False),
    ("auto", {}, True),
    ("auto", {"CI": "true"}, False),
    ("auto", {"CS231N_PROGRESS": "0"}, False),
    ("auto", {"CI": "true", "CS231N_PROGRESS": "1"}, True),
], ids=["forced-on", "forced-off", "auto-tty", "auto-tty-in-CI", "env-off", "env-on-beats-CI"])
def test_live_progress_line(monkeypatch, progress, env, live):
    for var in ("CI", "CS231N_PROGRESS"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    stream = FakeTTY()
    s = train(num_epochs=2, verbose=True, progress=progress, stream=stream)
    out = stream.getvalue()
    assert ("\r" in out) == live
    final = [line for line in out.replace("\r", "\n").splitlines() if line.strip()]
    epoch_lines = [line for line in final if line.startswith("(Epoch")]
    assert len(epoch_lines) == 3
    if live:
        assert any(line.startswith(f"epoch 2/2 [====================] it 12/12 loss {s.loss_history[-1]:.4f}")
                   for line in final)
        assert not any(line.startswith("(Iteration") for line in final)
        assert out.endswith("\n") or out.endswith("\r")
    else:
        assert out.splitlines() == expected_lines(s, 10)


def test_resume_prints_where_it_continues(tmp_path, capsys):
    train(num_epochs=1, checkpoint_name=tmp_path / "ck")
    Solver(TinyNet(), make_data(), **{**SETTINGS, "verbose": True}, resume=tmp_path / "ck.npz")
    assert capsys.readouterr().out == "Resumed from ck.npz: 1 epochs, 6 iterations done\n"


# ----------------------------------------------------------- bad inputs

@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": 1e-3}, r"Solver: unrecognized arguments 'learning_rate'"),
    ({"update_rule": "adagrad"}, r"unknown update_rule 'adagrad'; choose one of"),
    ({"batch_size": 0}, r"Solver: batch_size must be positive, got .*batch_size=0"),
    ({"num_epochs": -1}, r"Solver: num_epochs must be >= 0"),
    ({"lr_decay": 0}, r"Solver: lr_decay must lie in \(0, inf\), got lr_decay=0"),
    ({"num_train_samples": 0}, r"Solver: num_train_samples must be positive"),
    ({"checkpoint_every": 2.5}, r"Solver: checkpoint_every must be an integer, got 2.5"),
    ({"progress": "yes"}, r"Solver: progress must be 'auto', True or False, got 'yes'"),
    ({"optim_config": [("learning_rate", 1)]}, r"Solver: optim_config must be a dict, got list"),
], ids=["unknown-kwarg", "unknown-rule", "batch-size", "epochs", "lr-decay", "train-samples",
        "checkpoint-every", "progress", "optim-config"])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Solver(TinyNet(), make_data(), **kwargs)


def test_bad_data_and_model():
    data = make_data()
    with pytest.raises(ValueError, match=r"Solver: data is missing \['y_val'\]"):
        Solver(TinyNet(), {k: v for k, v in data.items() if k != "y_val"})
    with pytest.raises(ValueError, match=r"Solver: y_train must be a 1-D array of integer labels, got shape "
                                         r"\(57,\), dtype float64"):
        Solver(TinyNet(), {**data, "y_train": data["y_train"].astype(float)})
    with pytest.raises(ValueError, match=r"Solver: X_val has 31 examples and y_val 30 labels"):
        Solver(TinyNet(), {**data, "y_val": data["y_val"][:30]})
    model = TinyNet()
    model.params["W1"] = model.params["W1"].astype(int)
    with pytest.raises(ValueError, match=r"Solver: model.params\['W1'\] must be a floating-point array, got int64"):
        Solver(model, data)


def test_missing_gradient_is_named():
    class NoB2(TinyNet):
        def loss(self, X, y=None):
            out = super().loss(X, y)
            if y is None:
                return out
            del out[1]["b2"]
            return out

    with pytest.raises(ValueError, match=r"Solver: model.loss returned no gradient for parameter 'b2'"):
        Solver(NoB2(), make_data(), num_epochs=1, verbose=False, seed=0).train()
