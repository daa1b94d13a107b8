"""`cs231n-cnn describe`, run in-process through cli.main (and in a subprocess whose stdout reader is gone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cs231n_cnn import cli


def run(capsys, *argv):
    code = cli.main(["describe", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_describe_is_registered(capsys):
    assert cli.main([]) == 0
    assert "describe" in capsys.readouterr().out


def test_vgg16_by_name(capsys):
    code, out, err = run(capsys, "vgg16")
    assert code == 0 and err == ""
    assert out.startswith("vgg16: INPUT[224x224x3] -> [CONV3-64 -> RELU]*2")
    assert "parameters:    138,357,544" in out
    assert "15,237,608 if ReLU and dropout work in place" in out
    assert "1x1x1000" in out


def test_alexnet_first_layer_without_sharing(capsys):
    code, out, _ = run(capsys, "INPUT[227x227x3] -> CONV11-96 S4 P0", "--no-sharing")
    assert code == 0
    row = next(line for line in out.splitlines() if line.split()[:2] == ["1", "CONV11-96"])
    assert "55x55x96" in row and "290,400" in row and "34,944" in row and "105,705,600" in row
    assert "without parameter sharing in CONV layers: 105,705,600" in out


def test_json_output(capsys):
    code, out, _ = run(capsys, "INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC", "--json", "--batch", "4",
                       "--classes", "7")
    assert code == 0
    data = json.loads(out)
    assert [layer["name"] for layer in data["layers"]] == ["INPUT[32x32x3]", "CONV3-12", "RELU", "POOL2", "FC-7"]
    assert data["layers"][3]["output"] == [16, 16, 12]
    assert data["layers"][1]["params"] == 3 * 3 * 3 * 12 + 12
    assert data["total_params"] == 3 * 3 * 3 * 12 + 12 + 16 * 16 * 12 * 7 + 7
    acts = 32 * 32 * 3 + 2 * 32 * 32 * 12 + 16 * 16 * 12 + 7
    assert data["total_activations"] == acts
    mem = data["memory"]
    assert mem["batch"] == 4
    assert mem["float32"]["forward"] == 4 * 4 * acts
    assert mem["float64"]["forward_backward"] == 2 * 4 * 8 * acts
    assert mem["float32"]["parameters_x3"] == 3 * 4 * data["total_params"]


def test_batch_changes_the_memory_table(capsys):
    _, one, _ = run(capsys, "cifar10_simple")
    _, many, _ = run(capsys, "cifar10_simple", "--batch", "128")
    assert "memory for 1 image" in one and "memory for a batch of 128 images" in many


def test_list(capsys):
    code, out, _ = run(capsys, "--list")
    assert code == 0
    for name in ("alexnet", "zfnet", "vgg16", "cifar10_simple", "three_layer_convnet"):
        assert name in out


@pytest.mark.parametrize(
    "argv, pattern",
    [
        (["INPUT[10x10x1] -> CONV3-4 S2 P0"], "(10 - 3 + 2*0)/2 + 1 = 4.5 is not an integer"),
        (["INPUT[32x32x3] -> [[CONV -> RELU]*N -> POOL?]*M -> FC"], "'CONV' (token 5, column 21): CONV needs"),
        (["vgg19"], "'vgg19' is neither a ZOO name (alexnet, zfnet, vgg16"),
        ([], "give a spec in quotes"),
        (["vgg16", "--batch", "0"], "batch must be a positive integer, got 0"),
        (["vgg16", "--classes", "0"], "--classes must be a positive integer, got 0"),
    ],
    ids=["does-not-fit", "abstract-pattern", "unknown-name", "no-spec", "batch-0", "classes-0"],
)
def test_user_errors_are_one_line_exit_1(capsys, argv, pattern):
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("cs231n-cnn describe: error: ") and pattern in err
    assert err.count("\n") == 1 and "Traceback" not in err


# --------------------------------------------------------------------------- a reader that goes away

def _run_into_closed_pipe(*argv: str) -> subprocess.CompletedProcess:
    """Run the CLI with a stdout whose reader is already gone (as after `| head -1` has read its line)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "cs231n_cnn", *argv], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("argv", [("describe", "vgg16"), ("describe", "alexnet", "--json"), ("data", "info")],
                         ids=["describe-vgg16", "describe-json", "data-info"])
def test_a_closed_stdout_ends_quietly_with_status_141(argv):
    proc = _run_into_closed_pipe(*argv)
    assert proc.stderr == ""                                  # no BrokenPipeError traceback
    assert proc.returncode == cli.EXIT_BROKEN_PIPE == 141


def test_head_reading_one_line_then_closing():
    proc = subprocess.Popen([sys.executable, "-m", "cs231n_cnn", "describe", "vgg16"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) in (0, cli.EXIT_BROKEN_PIPE)   # 0 if it wrote everything before the close
    assert first.startswith(b"vgg16: INPUT[224x224x3]") and err == b""
