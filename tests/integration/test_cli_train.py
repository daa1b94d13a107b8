"""`cs231n-cnn train` on a tiny fake CIFAR-10: JSON output, checkpoints, exact resume, errors, Ctrl-C.

Most tests call cli.main in-process; the Ctrl-C tests run the real console
script in a subprocess, send it SIGINT and run the resume command it printed.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cs231n_cnn.cli import main
from cs231n_cnn.data.fake import write_fake_cifar10
from cs231n_cnn.solver import checkpoint_info, load_checkpoint
from cs231n_cnn.solver.checkpoint import HISTORY_NAMES, save_checkpoint

SPEC = "INPUT[32x32x3] -> CONV4-4 S2 P1 -> RELU -> POOL4 -> FC-8 -> RELU -> DROPOUT0.8 -> FC"


@pytest.fixture
def data_dir(tmp_path):
    write_fake_cifar10(tmp_path / "data", images_per_batch=6, num_test=8, seed=0)
    return tmp_path / "data"


def run_json(capsys, *args):
    code = main(["train", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1, "stdout must hold exactly one JSON line"
    return json.loads(lines[0]), err


def test_json_result_has_the_documented_fields(data_dir, capsys):
    result, err = run_json(capsys, "--spec", SPEC, "--data", data_dir, "--epochs", 2, "--num-val", 6,
                           "--batch-size", 8)
    for key in ("train_acc", "val_acc", "test_acc", "epochs", "seconds", "images_per_second"):
        assert key in result
    assert result["epochs"] == 2 and result["num_train"] == 24 and result["iterations"] == 2 * 3
    assert 0 <= result["test_acc"] <= 1 and result["images_per_second"] > 0
    assert "model: INPUT[32x32x3] -> CONV4-4 S2 P1" in err  # progress went to stderr


def test_checkpoint_and_resume_reproduce_an_uninterrupted_run(data_dir, tmp_path, capsys):
    common = ["--spec", SPEC, "--data", data_dir, "--num-val", 6, "--batch-size", 8, "--seed", 3,
              "--augment", "flip-crop"]
    run_json(capsys, *common, "--epochs", 3, "--checkpoint", tmp_path / "full.npz")
    run_json(capsys, *common, "--epochs", 1, "--checkpoint", tmp_path / "part.npz")
    resumed, _ = run_json(capsys, *common, "--epochs", 3, "--resume", tmp_path / "part.npz",
                          "--checkpoint", tmp_path / "part.npz")
    assert resumed["epochs"] == 3
    full, part = load_checkpoint(tmp_path / "full.npz"), load_checkpoint(tmp_path / "part.npz")
    for k, v in full["params"].items():
        np.testing.assert_array_equal(part["params"][k], v, err_msg=k)


def test_fused_trains_to_the_same_weights(data_dir, tmp_path, capsys):
    """--fused (channel-major fast paths) follows the plain layers' run: same weights after 2 epochs, in float64."""
    common = ["--spec", "INPUT[32x32x3] -> CONV3-4 -> BN -> RELU -> POOL2 -> CONV4-4 S2 P1 -> RELU -> FC",
              "--data", data_dir, "--num-val", 6, "--batch-size", 8, "--seed", 1, "--epochs", 2,
              "--dtype", "float64"]
    plain, _ = run_json(capsys, *common, "--checkpoint", tmp_path / "plain.npz")
    fused, _ = run_json(capsys, *common, "--fused", "--checkpoint", tmp_path / "fused.npz")
    a, b = load_checkpoint(tmp_path / "plain.npz"), load_checkpoint(tmp_path / "fused.npz")
    assert a["params"].keys() == b["params"].keys()
    for k, v in a["params"].items():
        np.testing.assert_allclose(b["params"][k], v, rtol=0, atol=1e-8, err_msg=k)
    assert fused["train_acc"] == plain["train_acc"] and fused["test_acc"] == plain["test_acc"]


def test_missing_data_is_one_clear_line(tmp_path, capsys):
    code = main(["train", "--data", str(tmp_path / "nowhere"), "--epochs", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1 and "CIFAR-10 is not in" in err and "`make data`" in err


def test_bad_spec_is_one_clear_line(data_dir, capsys):
    code = main(["train", "--spec", "INPUT[32x32x3] -> CONV3-4 S2 P0 -> FC", "--data", str(data_dir)])
    err = capsys.readouterr().err
    assert code == 1
    assert "(32 - 3 + 2*0)/2 + 1 = 15.5 is not an integer" in err and "Traceback" not in err


def test_resume_needs_no_spec_and_keeps_the_checkpoints_model(data_dir, tmp_path, capsys):
    spec = "INPUT[32x32x3] -> CONV4-4 S2 P1 -> BN -> RELU -> POOL4 -> FC"
    common = ["--data", data_dir, "--num-val", 6, "--batch-size", 8]
    first, _ = run_json(capsys, *common, "--spec", spec, "--dtype", "float64", "--reg", 0.5, "--epochs", 1,
                        "--checkpoint", tmp_path / "ck.npz")
    resumed, err = run_json(capsys, *common, "--epochs", 2, "--resume", tmp_path / "ck.npz")
    assert (resumed["spec"], resumed["dtype"], resumed["epochs"]) == (first["spec"], "float64", 2)
    assert "Resumed from ck.npz: 1 epochs, 3 iterations done" in err
    # Saying what the checkpoint says is no contradiction; a ZOO name or a spec is compared written out.
    resumed, _ = run_json(capsys, *common, "--epochs", 2, "--resume", tmp_path / "ck.npz", "--dtype", "float64",
                          "--spec", spec.replace("FC", "FC-10"), "--reg", 0.5)
    assert resumed["epochs"] == 2


@pytest.mark.parametrize("option, value, stored", [
    ("--spec", "three_layer_convnet", "'INPUT[32x32x3] -> CONV4-4 S2 P1 -> RELU -> POOL4 -> FC-10'"),
    ("--dtype", "float64", "'float32'"),
    ("--reg", "0.1", "0.0"),
], ids=["spec", "dtype", "reg"])
def test_an_option_contradicting_the_checkpoints_model_is_refused(data_dir, tmp_path, capsys, option, value,
                                                                   stored):
    ck = tmp_path / "ck.npz"
    run_json(capsys, "--spec", "INPUT[32x32x3] -> CONV4-4 S2 P1 -> RELU -> POOL4 -> FC", "--data", data_dir,
             "--num-val", 6, "--batch-size", 8, "--checkpoint", ck)
    code = main(["train", "--resume", str(ck), option, value, "--data", str(data_dir), "--epochs", "2"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"cs231n-cnn train: error: {option} {value!r}" if option != "--reg"
                          else f"cs231n-cnn train: error: --reg {float(value)!r}")
    assert f"contradicts --resume {ck}, which holds a model with {option[2:]} {stored}; leave {option} out" in err
    if option == "--spec":   # a ZOO name is shown written out too
        assert "(= 'INPUT[32x32x3] -> CONV7-32 -> RELU -> POOL2 -> FC-100 -> RELU -> FC-10')" in err


def test_a_checkpoint_from_before_the_model_was_recorded_needs_spec(data_dir, tmp_path, capsys):
    spec = "INPUT[32x32x3] -> CONV4-4 S2 P1 -> RELU -> POOL4 -> FC"
    common = ["--data", data_dir, "--num-val", 6, "--batch-size", 8]
    run_json(capsys, *common, "--spec", spec, "--epochs", 1, "--checkpoint", tmp_path / "new.npz")
    state = load_checkpoint(tmp_path / "new.npz")
    for key in ("format", "version", "model_config"):
        del state[key]
    save_checkpoint(tmp_path / "old.npz", state)          # what the Solver wrote before model_config
    assert checkpoint_info(tmp_path / "old.npz")["model_config"] is None
    code = main(["train", *map(str, common), "--epochs", "2", "--resume", str(tmp_path / "old.npz")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"cs231n-cnn train: error: --resume {tmp_path / 'old.npz'} does not record its model "
                          f"(it was written by an older cs231n-cnn): give the --spec it was trained with")
    resumed, _ = run_json(capsys, *common, "--spec", spec, "--epochs", 2, "--resume", tmp_path / "old.npz")
    assert resumed["epochs"] == 2


@pytest.fixture
def no_data_load(monkeypatch):
    """Loading the data fails the test: what is refused must be refused before."""
    import cs231n_cnn.data

    def load(*args, **kwargs):
        raise AssertionError("the data was loaded")

    monkeypatch.setattr(cs231n_cnn.data, "get_CIFAR10_data", load)


def test_a_missing_resume_file_is_refused_before_the_data_loads(tmp_path, capsys, no_data_load):
    missing = tmp_path / "runs" / "a.npz"
    code = main(["train", "--resume", str(missing), "--data", str(tmp_path / "nowhere"), "--epochs", "3"])
    err = capsys.readouterr().err
    assert code == 2   # as for the command lines argparse refuses
    assert err == f"cs231n-cnn train: error: --resume {missing}: no such file\n"


def write_not_checkpoints(tmp_path) -> dict[str, str]:
    """Files a --resume path may hold by mistake -> what the error must say they are."""
    import pickle

    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"W1": np.ones(3)}))
    (tmp_path / "random.npz").write_bytes(np.random.default_rng(0).bytes(1000))
    np.savez(tmp_path / "weights.npz", W1=np.ones(3))
    np.savez(tmp_path / "objects.npz", W1=np.array([None], dtype=object))
    np.save(tmp_path / "weights.npy", np.ones(3))
    return {"model.pkl": "it is a Python pickle, which is never loaded (unpickling a file can run any code in it)",
            "random.npz": "it is not an .npz archive",
            "weights.npz": "it is an .npz archive without the checkpoint's 'meta' entry (it holds 'W1')",
            "objects.npz": "it is an .npz archive without the checkpoint's 'meta' entry (it holds 'W1')",
            "weights.npy": "it is a single NumPy array (.npy), not an .npz archive"}


def test_a_file_that_is_not_a_checkpoint_is_refused_without_numpys_advice(tmp_path, capsys, no_data_load):
    for name, what in write_not_checkpoints(tmp_path).items():
        code = main(["train", "--resume", str(tmp_path / name), "--data", str(tmp_path / "nowhere")])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1, err
        assert err.startswith(f"cs231n-cnn train: error: --resume: {tmp_path / name} is not a cs231n_cnn "
                              f"checkpoint: {what}; a checkpoint is the .npz file a Solver writes"), err
        # np.load's own message for all but the .npz files: "This file contains pickled (object) data. If you
        # trust the file you can load it unsafely using the `allow_pickle=` keyword argument or `pickle.load()`."
        assert "allow_pickle" not in err and "pickle.load" not in err and "trust" not in err, err


# --------------------------------------------------------------- Ctrl-C, in-process

def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_while_loading_the_data_keeps_nothing(tmp_path, capsys, monkeypatch):
    import cs231n_cnn.data

    monkeypatch.setattr(cs231n_cnn.data, "get_CIFAR10_data", interrupt)
    code = main(["train", "--data", str(tmp_path), "--epochs", "3"])
    captured = capsys.readouterr()
    assert code == 130 and captured.out == ""
    assert captured.err == ("cs231n-cnn train: interrupted before training started; nothing was kept: "
                            "no --checkpoint was given (with --checkpoint FILE, a run keeps its state after "
                            "every epoch)\n")


def test_ctrl_c_after_resuming_names_the_checkpoint_it_resumed_from(data_dir, tmp_path, capsys, monkeypatch):
    from cs231n_cnn.solver import Solver

    ck = tmp_path / "my run" / "ck.npz"
    common = ["--data", data_dir, "--num-val", 6, "--batch-size", 8]
    run_json(capsys, *common, "--spec", SPEC, "--epochs", 1, "--checkpoint", ck, "--lr", 0.01)
    monkeypatch.setattr(Solver, "train", interrupt)
    code = main(["train", *map(str, common), "--epochs", "4", "--resume", str(ck), "--checkpoint", str(ck),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 130
    head, command = err.splitlines()
    assert head == (f"cs231n-cnn train: interrupted in iteration 4 of 12; nothing new was kept: {ck} still holds "
                    f"iteration 3, "
                    f"where this run started. Resume with:")
    assert shlex.split(command) == ["cs231n-cnn", "train", "--resume", str(ck), "--data", str(data_dir),
                                    "--epochs", "4", "--batch-size", "8", "--num-val", "6", "--checkpoint", str(ck),
                                    "--quiet"]


# --------------------------------------------------------------- Ctrl-C, a real process

CLI = Path(sys.executable).with_name("cs231n-cnn")     # this environment's console script

# Each "(Iteration i / n) loss: x.xxxxxx" line is at least this long, newline included.
MIN_LINE = len("(Iteration 1 / 1) loss: 0.000000\n")


def child_env() -> dict:
    env = {**os.environ, "CS231N_PROGRESS": "0"}     # plain lines, never the live one
    # One BLAS thread in every run compared, so their floating-point sums are the same.
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PATH"] = os.pathsep.join([str(CLI.parent), env.get("PATH", "")])
    return env


def default_sigint():   # pragma: no cover - runs in the child
    # A shell without job control starts background jobs with SIGINT ignored, and Python keeps that;
    # the child must react to SIGINT as a foreground command does.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Interruptible:
    """`cs231n-cnn train ARGS` whose stdout is a one-page pipe the test does not read while it runs.

    Once the child has printed a page it waits for the reader, so however
    fast it trains it cannot finish before the test sends SIGINT: what the
    test checks does not depend on timing. ``capacity`` is the pipe's size.
    """

    def __init__(self, args):
        import fcntl

        if not hasattr(fcntl, "F_SETPIPE_SZ") or not CLI.exists():
            pytest.skip("needs Linux pipes (F_SETPIPE_SZ) and the cs231n-cnn console script")
        self.read_end, write_end = os.pipe()
        self.capacity = fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)   # the kernel may round it up
        self.proc = subprocess.Popen([str(CLI), "train", *map(str, args)], stdout=write_end,
                                     stderr=subprocess.PIPE, env=child_env(), preexec_fn=default_sigint)
        os.close(write_end)

    def read_until(self, text: bytes, timeout: float = 300) -> bytes:
        """Read stdout byte by byte up to ``text`` (so that no more than that is taken from the pipe)."""
        out = b""
        deadline = time.monotonic() + timeout     # a guard against a hang, not a measurement
        while not out.endswith(text):
            byte = os.read(self.read_end, 1)
            assert byte and time.monotonic() < deadline, f"no {text!r} in {out[-500:]!r}"
            out += byte
        return out

    def wait_for(self, path: Path, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout     # a guard against a hang, not a measurement
        while not path.exists():
            assert self.proc.poll() is None, self.proc.stderr.read().decode()
            assert time.monotonic() < deadline, f"{path} never appeared"
            time.sleep(0.01)

    def interrupt(self) -> tuple[int, bytes, str]:
        """Send SIGINT, then read everything; return (exit status, rest of stdout, stderr)."""
        self.proc.send_signal(signal.SIGINT)
        chunks = []
        while chunk := os.read(self.read_end, 65536):
            chunks.append(chunk)
        os.close(self.read_end)
        err = self.proc.stderr.read().decode()
        return self.proc.wait(timeout=300), b"".join(chunks), err


@pytest.fixture
def bigger_data(tmp_path):
    """250 training images (240 after 10 are held out), in a directory whose name needs quoting."""
    root = tmp_path / "cifar 'data'"
    write_fake_cifar10(root, images_per_batch=50, num_test=8, seed=0)
    return root


def final_state(path):
    ck = load_checkpoint(path)
    history = {k: v for k, v in ck["history"].items() if "time" not in k}    # seconds differ, the rest not
    return ck, history


def test_ctrl_c_says_what_was_kept_and_its_resume_command_continues_exactly(bigger_data, tmp_path):
    epochs, batch = 10, 8                      # 30 iterations an epoch
    common = ["--spec", SPEC, "--data", bigger_data, "--num-val", 10, "--batch-size", batch,
              "--epochs", epochs, "--seed", 3, "--lr", 0.01, "--augment", "flip-crop", "--print-every", 1]
    ck = tmp_path / "my runs" / "it's.npz"
    child = Interruptible([*common, "--checkpoint", ck, "--checkpoint-every", 7])
    lines = epochs * 240 // batch
    assert lines * MIN_LINE > child.capacity, "the run must print more than the pipe holds"
    child.wait_for(ck)
    code, _, err = child.interrupt()

    assert code == 130 and "Traceback" not in err, err
    head, command = err.splitlines()
    kept = checkpoint_info(ck)
    assert head.startswith("cs231n-cnn train: interrupted in iteration ")
    assert head.endswith(f"; kept {ck} (iteration {kept['iteration']}, {kept['epoch']} of {epochs} epochs done). "
                         f"Resume with:")
    assert 0 < kept["iteration"] < lines
    assert sorted(p.name for p in ck.parent.iterdir()) == [ck.name]    # no temporary file left
    argv = shlex.split(command)
    # What the checkpoint holds is left out: the model (spec), the learning rate, the seed.
    assert argv == ["cs231n-cnn", "train", "--resume", str(ck), "--data", str(bigger_data), "--epochs", str(epochs),
                    "--batch-size", str(batch), "--augment", "flip-crop", "--num-val", "10",
                    "--checkpoint", str(ck), "--checkpoint-every", "7", "--print-every", "1"]

    resumed = subprocess.run(argv, capture_output=True, text=True, env=child_env(), timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resumed from {ck.name}: {kept['epoch']} epochs, {kept['iteration']} iterations done" in resumed.stdout
    full = tmp_path / "full.npz"
    reference = subprocess.run([str(CLI), "train", *map(str, common), "--checkpoint", full, "--quiet"],
                               capture_output=True, text=True, env=child_env(), timeout=600)
    assert reference.returncode == 0, reference.stderr
    (a, history_a), (b, history_b) = final_state(ck), final_state(full)
    assert (a["epoch"], a["iteration"]) == (b["epoch"], b["iteration"]) == (epochs, lines)
    assert set(history_a) == {n for n in HISTORY_NAMES if "time" not in n} and history_a == history_b
    for k, v in b["params"].items():
        np.testing.assert_array_equal(a["params"][k], v, err_msg=k)
        np.testing.assert_array_equal(a["best_params"][k], b["best_params"][k], err_msg=k)
    assert a["rng_state"] == b["rng_state"] and a["model_state"] == b["model_state"]


@pytest.mark.parametrize("checkpoint", [False, True], ids=["no-checkpoint", "before-the-first-checkpoint"])
def test_ctrl_c_before_any_checkpoint_says_nothing_was_kept(bigger_data, tmp_path, checkpoint):
    ck = tmp_path / "ck.npz"
    stale = b"a file from some other run"
    ck.write_bytes(stale)
    # Batches of one: the rest of epoch 1 prints more than the pipe holds, so it cannot end (and write its
    # checkpoint) before the SIGINT sent once the test has read the first loss line.
    child = Interruptible(["--spec", SPEC, "--data", bigger_data, "--num-val", 10, "--batch-size", 1,
                           "--print-every", 1, *(["--checkpoint", ck] if checkpoint else [])])
    assert 239 * MIN_LINE > child.capacity, "epoch 1 must print more than the pipe holds"
    child.read_until(b"(Iteration 1 / 240) loss: ")   # printed once iteration 1 is done
    code, _, err = child.interrupt()
    assert code == 130 and "Traceback" not in err, err
    assert err.startswith("cs231n-cnn train: interrupted in iteration ") and err.count("\n") == 1, err
    assert 2 <= int(err.split()[5]) <= 240, err
    if checkpoint:
        assert err.endswith(f"; nothing of this run was kept: it stopped before its first checkpoint "
                            f"({ck} is written after every epoch)\n")
    else:
        assert err.endswith("; nothing was kept: no --checkpoint was given (with --checkpoint FILE, a run keeps "
                            "its state after every epoch)\n")
    assert ck.read_bytes() == stale
