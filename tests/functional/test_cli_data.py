"""`cs231n-cnn data` run in-process through cli.main, and data/get_datasets.sh as a script."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from cs231n_cnn import cli
from cs231n_cnn.data.fake import make_fake_archive

NAME = "cifar-10-python.tar.gz"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("CS231N_DATA_DIR", "CS231N_CIFAR10_URL", "CS231N_CIFAR10_MD5"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "mirror" / NAME
    path.parent.mkdir()
    md5, _ = make_fake_archive(path, images_per_batch=[3, 3, 3, 3, 2], num_test=4, seed=5)
    return path, md5


def run(capsys, *argv):
    code = cli.main(["data", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_data_is_registered(capsys):
    assert cli.main([]) == 0
    assert "data" in capsys.readouterr().out


def test_download_then_nothing_to_do(tmp_path, capsys, archive):
    dest = tmp_path / "d"
    code, out, err = run(capsys, "download", "--dest", str(dest), "--url", archive[0].as_uri(),
                         "--md5", archive[1], "--quiet")
    assert (code, err) == (0, "")
    assert out == f"CIFAR-10 installed in {dest / 'cifar-10-batches-py'}: 14 training and 4 test images.\n"
    code, out, err = run(capsys, "download", "--dest", str(dest), "--url", archive[0].as_uri(),
                         "--md5", archive[1])
    assert code == 0 and err == ""
    assert out == f"CIFAR-10 is already present and complete in {dest / 'cifar-10-batches-py'}: nothing to do.\n"


def test_env_vars_and_note_about_other_source(tmp_path, capsys, archive, monkeypatch):
    dest = tmp_path / "d"
    monkeypatch.setenv("CS231N_CIFAR10_URL", archive[0].as_uri())
    monkeypatch.setenv("CS231N_CIFAR10_MD5", archive[1])
    code, out, err = run(capsys, "download", "--dest", str(dest))
    assert code == 0 and "installed" in out and "extracting" in err
    monkeypatch.delenv("CS231N_CIFAR10_URL")
    monkeypatch.delenv("CS231N_CIFAR10_MD5")
    # The official source is requested now: nothing is downloaded, but the user is told.
    code, out, err = run(capsys, "download", "--dest", str(dest))
    assert code == 0 and "nothing to do" in out
    assert err.startswith("note: the dataset in") and "pass --force to replace it" in err


def test_checksum_mismatch_is_one_line_with_both_sums(tmp_path, capsys, archive):
    code, out, err = run(capsys, "download", "--dest", str(tmp_path / "d"), "--url", archive[0].as_uri(),
                         "--md5", "f" * 32)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("cs231n-cnn data: error: checksum mismatch")
    assert f"expected MD5 {'f' * 32}, got {archive[1]}" in err
    assert not (tmp_path / "d" / "cifar-10-batches-py").exists()


def test_offline_error_explains_the_mirror(tmp_path, capsys):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    code, out, err = run(capsys, "download", "--dest", str(tmp_path / "d"), "--quiet", "--timeout", "5",
                         "--url", f"http://127.0.0.1:{port}/{NAME}")
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "cs231n-cnn data: error: cannot download" in err
    assert "--url file:///path/to/cifar-10-python.tar.gz" in err and "CS231N_CIFAR10_URL" in err


@pytest.mark.parametrize("argv, message", [
    (["--md5", "xyz"], "an MD5 must be 32 hexadecimal digits"),
    (["--url", "gopher://x/y"], "unsupported URL"),
    (["--timeout", "0"], "--timeout must be positive"),
], ids=["bad-md5", "bad-scheme", "zero-timeout"])
def test_bad_arguments(tmp_path, capsys, argv, message):
    code, _, err = run(capsys, "download", "--dest", str(tmp_path / "d"), *argv)
    assert code == 1 and message in err and err.count("\n") == 1


def test_info_missing(tmp_path, capsys):
    code, out, err = run(capsys, "info", "--dest", str(tmp_path / "empty"))
    assert code == 1 and err == ""
    assert "missing" in out and "run `cs231n-cnn data download`" in out


def test_info_after_download_and_partial(tmp_path, capsys, archive):
    dest = tmp_path / "d"
    run(capsys, "download", "--dest", str(dest), "--url", archive[0].as_uri(), "--md5", archive[1], "-q")
    (dest / "other.tar.gz.part").write_bytes(b"x" * 2_500_000)
    code, out, _ = run(capsys, "info", "--dest", str(dest))
    assert code == 0
    assert "complete, 14 training images (5 batches, sizes 2, 3), 4 test images" in out
    assert f"source:           {archive[0].as_uri()} (MD5 {archive[1]})" in out
    assert "partial download: other.tar.gz.part (2.5 MB)" in out

    code, out, _ = run(capsys, "info", "--dest", str(dest), "--json")
    report = json.loads(out)
    assert code == 0 and report["valid"] is True
    assert (report["num_train"], report["num_test"]) == (14, 4)
    assert report["batches"]["data_batch_5"] == 2
    assert report["source"]["md5"] == archive[1]
    assert report["partial_downloads"] == [{"file": "other.tar.gz.part", "bytes": 2_500_000}]


def test_info_reports_invalid_batch(tmp_path, capsys, archive):
    dest = tmp_path / "d"
    run(capsys, "download", "--dest", str(dest), "--url", archive[0].as_uri(), "--md5", archive[1], "-q")
    (dest / "cifar-10-batches-py" / "data_batch_2").write_bytes(b"not a pickle")
    code, out, _ = run(capsys, "info", "--dest", str(dest), "--json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False and report["present"] is True
    assert any("data_batch_2 is not a readable batch pickle" in p for p in report["problems"])


def test_a_damaged_dataset_info_reports_and_download_repairs(tmp_path, capsys, archive):
    dest = tmp_path / "d"
    source = ("--dest", str(dest), "--url", archive[0].as_uri(), "--md5", archive[1])
    run(capsys, "download", *source, "-q")
    batch = dest / "cifar-10-batches-py" / "data_batch_2"
    batch.write_bytes(batch.read_bytes()[:100])
    code, out, _ = run(capsys, "info", "--dest", str(dest))
    assert code == 1 and "not usable" in out and "run `cs231n-cnn data download` to repair it" in out
    # What info sends the user to do now does it, without --force.
    code, out, err = run(capsys, "download", *source, "-q")
    assert (code, err) == (0, "")
    repaired, installed = out.splitlines()
    assert repaired.startswith(f"CIFAR-10 repaired: the dataset in {dest / 'cifar-10-batches-py'} was damaged (")
    assert "data_batch_2" in repaired and repaired.endswith("and has been replaced.")
    assert installed == f"CIFAR-10 installed in {dest / 'cifar-10-batches-py'}: 14 training and 4 test images."
    assert run(capsys, "info", "--dest", str(dest))[0] == 0


def test_missing_action_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["data"])
    assert info.value.code == 2
    assert "ACTION" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_get_datasets_sh_wrapper(tmp_path, repo_root, archive):
    # Run a copy of the script so it installs next to itself in tmp_path, not in the repo.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    script = data_dir / "get_datasets.sh"
    shutil.copy(repo_root / "data" / "get_datasets.sh", script)
    env = {**os.environ, "PYTHON": sys.executable,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(repo_root), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(["sh", str(script), "--url", archive[0].as_uri(), "--md5", archive[1], "--quiet"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"CIFAR-10 installed in {data_dir / 'cifar-10-batches-py'}")
    assert proc.stderr == ""
    assert sorted(p.name for p in data_dir.iterdir()) == ["cifar-10-batches-py", "get_datasets.sh"]


def test_repo_data_dir_ignores_downloads(repo_root):
    ignore = (repo_root / "data" / ".gitignore").read_text().splitlines()
    assert "/*" in ignore
    assert {"!/.gitignore", "!/README.md", "!/get_datasets.sh"} <= set(ignore)
    assert os.access(repo_root / "data" / "get_datasets.sh", os.X_OK)
