"""What needs a checkout of the repository, and what an installed package does without one.

A non-editable install is simulated by pointing ``paths.package_dir`` at a
``cs231n_cnn`` folder in a fake ``site-packages`` (no ``pyproject.toml``
beside it); a checkout by a folder that has one.
"""

from __future__ import annotations

import sys

import pytest

from cs231n_cnn import cli, paths
from cs231n_cnn.data import cifar10
from cs231n_cnn.grading import loader


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """The package as installed on its own, in site-packages."""
    package = tmp_path / "site-packages" / paths.PACKAGE
    package.mkdir(parents=True)
    monkeypatch.setattr(paths, "package_dir", lambda: package)
    return package


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A bare checkout: pyproject.toml and the package, nothing else yet."""
    root = tmp_path / "repo"
    (root / paths.PACKAGE).mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'cs231n-cnn'\n")
    monkeypatch.setattr(paths, "package_dir", lambda: root / paths.PACKAGE)
    return root


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in (cifar10.DATA_DIR_ENV, loader.CHECKS_ENV):
        monkeypatch.delenv(var, raising=False)


# --------------------------------------------------------------------------- data
def test_installed_package_keeps_data_in_the_cache_dir(installed, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cifar10.default_data_dir() == tmp_path / "cache" / "cs231n_cnn" / "data"


def test_checkout_keeps_data_in_its_data_folder(checkout, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (checkout / "data").mkdir()
    (checkout / "data" / "get_datasets.sh").write_text("#!/bin/sh\n")
    assert cifar10.default_data_dir() == checkout / "data"


def test_checkout_without_data_script_falls_back_to_the_cache(checkout, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cifar10.default_data_dir() == tmp_path / "cache" / "cs231n_cnn" / "data"


# --------------------------------------------------------------------------- checks
def test_installed_package_says_checks_need_a_checkout_or_the_variable(installed):
    with pytest.raises(paths.CheckoutRequired) as info:
        loader.find_checks_dir()
    assert isinstance(info.value, FileNotFoundError)  # what callers caught before
    message = str(info.value)
    assert "the graded checks (checks/): needs a checkout of the cs231n_cnn repository" in message
    assert "or set CS231N_CHECKS_DIR to the checks/ folder" in message


def test_installed_package_uses_the_checks_variable(installed, tmp_path, monkeypatch):
    (tmp_path / "mychecks").mkdir()
    monkeypatch.setenv(loader.CHECKS_ENV, str(tmp_path / "mychecks"))
    assert loader.find_checks_dir() == (tmp_path / "mychecks").resolve()
    assert loader.find_checks_dir(tmp_path / "mychecks") == (tmp_path / "mychecks").resolve()


def test_checkout_checks_folder_is_found(checkout):
    (checkout / "checks").mkdir()
    assert loader.find_checks_dir() == (checkout / "checks").resolve()


def test_checkout_without_checks_says_where_it_looked(checkout):
    with pytest.raises(FileNotFoundError, match=r"no checks directory found \(looked in .*checks\)") as info:
        loader.find_checks_dir()
    assert not isinstance(info.value, paths.CheckoutRequired)


# --------------------------------------------------------------------------- bench
def test_bench_outside_a_checkout_is_one_line_saying_a_checkout_is_needed(installed, capsys):
    assert cli.main(["bench", "--tiny"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("cs231n-cnn bench: error: the benchmark suite (benchmarks/suite.py): needs a checkout "
                          "of the cs231n_cnn repository")


def test_bench_runs_the_checkouts_suite_with_the_options(checkout, capfd):
    (checkout / "benchmarks").mkdir()
    (checkout / "benchmarks" / "suite.py").write_text("import sys\nprint(sys.argv[1:])\nsys.exit(3)\n")
    assert cli.main(["bench", "--tiny", "--no-torch", "--rounds", "2"]) == 3
    assert capfd.readouterr().out.strip() == "['--no-torch', '--tiny', '--rounds', '2']"


def test_bench_in_a_checkout_without_the_suite(checkout, capsys):
    assert cli.main(["bench"]) == 1
    assert "benchmark suite not found at" in capsys.readouterr().err


def test_the_real_checkout_is_found():
    root = paths.find_checkout()
    assert root is not None and (root / "benchmarks" / "suite.py").is_file(), sys.prefix
