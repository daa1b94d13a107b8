"""Every branch of the fast layers' reference solutions is reached by some check.

The checks run (public and hidden) on the reference solution under
coverage.py with branch measurement; every line->line branch inside the
solution regions (between ``### BEGIN SOLUTION`` and ``### END SOLUTION``)
of the files below must be taken. A branch no check takes is a code path
where a student's bug can hide: the fast conv forward works on blocks of
N // 8 images, the backward on several blocks once the columns pass 1 MiB,
and computes dx either as a convolution or by col2im. One parametrized
test per file, so that each file's missing branches are reported on their own.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import coverage
import pytest

import cs231n_cnn
import cs231n_cnn.layers.conv as conv
from cs231n_cnn.grading import load_checks, run_check_def
from cs231n_cnn.grading.runtime.student import InProcessStudent

PACKAGE = Path(cs231n_cnn.__file__).resolve().parent
FILES = ["layers/conv.py", "im2col.py", "layers/pool.py"]


def solution_lines(path: Path) -> set[int]:
    """Line numbers strictly between each ``### BEGIN SOLUTION`` and its ``### END SOLUTION``."""
    inside, lines = False, set()
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        marker = text.strip()
        if marker == "### BEGIN SOLUTION":
            inside = True
        elif marker == "### END SOLUTION":
            inside = False
        elif inside:
            lines.add(number)
    return lines


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[str, dict]:
    """coverage.py's JSON report of every check run on the reference solution: {file: its entry}."""
    if coverage.Coverage.current() is not None:
        pytest.skip("already running under coverage (e.g. pytest-cov): a second measurement cannot start")
    paths = {rel: str(PACKAGE / rel) for rel in FILES}
    checks = load_checks()       # imported before the measurement: only what the checks run is measured
    student = InProcessStudent()
    cov = coverage.Coverage(branch=True, data_file=None, include=list(paths.values()))
    cov.start()
    try:
        results = [run_check_def(chk, student) for chk in checks.values()]
    finally:
        cov.stop()
    failed = [r.report() for r in results if not r.passed]
    assert not failed, "the reference solution fails a check:\n" + "\n".join(failed)
    out = tmp_path_factory.mktemp("coverage") / "coverage.json"
    cov.json_report(outfile=str(out))
    files = json.loads(out.read_text(encoding="utf-8"))["files"]
    by_path = {str(Path(name).resolve()): entry for name, entry in files.items()}
    return {rel: by_path.get(str(Path(path).resolve())) for rel, path in paths.items()}


@pytest.mark.parametrize("rel", FILES)
def test_every_branch_of_the_solution_is_taken_by_some_check(measured, rel):
    path = PACKAGE / rel
    region = solution_lines(path)
    assert region, f"{rel} has no solution region"
    entry = measured[rel]
    assert entry is not None, f"no check ran any code of {rel}"
    source = path.read_text(encoding="utf-8").splitlines()
    missing_lines = sorted(set(entry["missing_lines"]) & region)
    missing_arcs = sorted((a, b) for a, b in entry["missing_branches"] if a in region)
    taken = set(entry["executed_lines"]) & region
    assert taken, f"no line of {rel}'s solution regions ran"

    def show(a, b):
        to = "exit" if b < 0 else f"{b}"
        return f"  {rel}:{a} -> {to}    {source[a - 1].strip()}"

    problems = [f"  {rel}:{n} never runs    {source[n - 1].strip()}" for n in missing_lines]
    problems += [show(a, b) for a, b in missing_arcs]
    assert not problems, (f"{len(missing_arcs)} branch(es) and {len(missing_lines)} line(s) of the solution in "
                          f"{rel} are reached by no check (add a public or hidden case that takes them):\n"
                          + "\n".join(problems))


def _backward_path(xs, ws, s, p):
    """(number of image blocks, dx as a convolution?) of conv_backward_fast on float64 inputs of these shapes."""
    N, C, H, W = xs
    F, _, HH, WW = ws
    H_out, W_out = (H + 2 * p - HH) // s + 1, (W + 2 * p - WW) // s + 1
    cols_bytes = C * HH * WW * N * H_out * W_out * 8
    return len(conv._image_blocks(N, C * HH * WW, F, cols_bytes)), conv._dx_as_convolution(xs, ws, s, p)


def test_the_block_cases_take_the_paths_they_are_named_after():
    # Branch coverage alone would not notice a case that stopped reaching several blocks on the dx-as-convolution
    # path (no branch of its own), nor forward blocks of more than one image (a loop, not a branch).
    load_checks()
    cases = importlib.import_module("_cs231n_checks.conv")
    N = cases.BLOCKS_FORWARD_CASE[1][0]
    assert N // 8 >= 2 and N % (N // 8) == 0
    assert _backward_path(*cases.BLOCKS_BACKWARD_CASE[1:]) >= (2, False)
    (hidden,) = [c for c in cases.HIDDEN_CASES if "several blocks" in c[0]]
    assert _backward_path(*hidden[1:])[0] >= 2 and _backward_path(*hidden[1:])[1]
    assert hidden[1][0] // 8 >= 2
