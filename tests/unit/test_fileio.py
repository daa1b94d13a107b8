"""Atomic writes and the checkout lookup."""

from __future__ import annotations

import os

import pytest

from cs231n_cnn import paths
from cs231n_cnn.fileio import atomic_path, atomic_write_bytes, atomic_write_text


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "sub" / "report.json"
    atomic_write_text(target, "old\n")
    atomic_write_bytes(target, b"new\n", mode=0o600)
    assert target.read_bytes() == b"new\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)
    assert os.listdir(target.parent) == ["report.json"]        # no temporary file left


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "grades.csv"
    atomic_write_text(target, "kept")
    with pytest.raises(RuntimeError, match="killed"):
        with atomic_path(target) as tmp:
            tmp.write_text("half of it")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "kept" and os.listdir(tmp_path) == ["grades.csv"]


def test_checkout_root_is_this_repository_and_says_when_one_is_needed(monkeypatch, tmp_path):
    assert (paths.checkout_root() / "pyproject.toml").is_file()
    monkeypatch.setattr(paths, "package_dir", lambda: tmp_path / "site-packages" / "cs231n_cnn")
    with pytest.raises(paths.CheckoutRequired, match="the benchmarks: needs a checkout of the cs231n_cnn repository"):
        paths.checkout_root("the benchmarks")
    assert issubclass(paths.CheckoutRequired, FileNotFoundError)
