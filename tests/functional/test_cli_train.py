"""`cs231n-cnn train` in-process on a tiny fake CIFAR-10: JSON output, checkpoints, exact resume, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cs231n_cnn.cli import main
from cs231n_cnn.data.fake import write_fake_cifar10
from cs231n_cnn.solver import load_checkpoint

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
