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

import json
from pathlib import Path

import coverage
import pytest

import cs231n_cnn
from cs231n_cnn.grading import load_checks, run_check_def
from cs231n_cnn.grading.student import InProcessStudent

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
