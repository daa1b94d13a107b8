"""The committed notebooks: executed, current, clean, and wired to the graded checks.

nbval (run by `make test` after this file) re-executes them; these tests
check what is committed, which nbval cannot see.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cs231n_cnn.grading import load_checks
from cs231n_cnn.nbtools import problems, source_hash

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REPO = str(Path(__file__).resolve().parents[2])


def _load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _code(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _text(value):
    # nbformat stores multi-line strings either whole or as a list of lines
    return value if isinstance(value, str) else "".join(value)


def _src(cell):
    return _text(cell["source"])


NBVAL_TAG = "nbval-check-output"   # nbval compares the outputs of cells tagged so, even under --nbval-lax


def _compared_by_nbval(cell) -> bool:
    # The tag; nbval also honours a first-line `# NBVAL_CHECK_OUTPUT` comment, which the notebooks no longer use.
    return NBVAL_TAG in cell.get("metadata", {}).get("tags", []) or _src(cell).lstrip().startswith(
        "# NBVAL_CHECK_OUTPUT")


def test_the_notebooks_are_numbered_in_reading_order():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07", "08"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_executed_current_and_clean(path):
    assert problems(_load(path), extra_paths=[REPO]) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_check_cells_use_the_shared_checks_and_are_compared_by_nbval(path):
    known = load_checks()
    check_cells = [c for c in _code(_load(path)) if "run_check(" in _src(c)]
    if path.name.startswith("01"):
        pytest.skip("the first notebook has nothing to implement")
    assert check_cells, "every notebook after the first has graded check cells"
    for cell in check_cells:
        src = _src(cell)
        assert _compared_by_nbval(cell), f"check cell not compared by nbval (no {NBVAL_TAG!r} tag):\n{src}"
        for line in src.splitlines():
            if "run_check(" in line:
                name = line.split("run_check(")[1].split(")")[0].strip("'\" ")
                assert name in known, f"unknown check {name!r}"
        printed = "".join(_text(o.get("text", "")) for o in cell.get("outputs", []))
        assert printed.startswith(("PASS ", "FAIL ")), f"check cell output is not a check line: {printed!r}"
        assert "FAIL" not in printed, f"the committed notebook fails a check: {printed}"


def test_problems_detects_stale_unexecuted_error_and_path():
    cell = {"cell_type": "code", "source": "print(1)", "execution_count": 1, "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "saved to /home/alice/x.png\n"}]}
    nb = {"metadata": {"kernelspec": {"name": "python3"}}, "cells": [cell]}
    found = problems(nb)
    assert any("stale" in p for p in found) and any("absolute path: /home/alice/x.png" in p for p in found)
    # The checkout's own path is caught wherever the clone lives (CI may use a
    # directory the generic patterns do not know).
    cell["outputs"][0]["text"] = f"saved to {REPO}/x.png\n"
    assert any(f"machine's path {REPO}" in p for p in problems(nb, extra_paths=[REPO]))
    cell["outputs"][0]["text"] = "saved to /srv/ci/build/x.png\n"
    assert any("machine's path /srv/ci/build" in p for p in problems(nb, extra_paths=["/srv/ci/build"]))
    cell["metadata"] = {"cs231n": {"source_sha256": source_hash("print(1)")}}
    cell["outputs"] = [{"output_type": "error", "ename": "ValueError", "evalue": "boom", "traceback": []}]
    assert problems(nb) == ["cell 0 has an error output: ValueError: boom"]
    cell["execution_count"] = None
    assert problems(nb) == ["cell 0 was not executed"]
    nb["metadata"]["kernelspec"]["name"] = "myenv"
    assert "kernelspec name is 'myenv'" in problems(nb)[0]
