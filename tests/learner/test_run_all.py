"""Run All on an untouched student release, as JupyterLab runs it, with and without CIFAR-10.

Cells run in order in one kernel per notebook; the first error stops the run
unless the cell is tagged ``raises-exception`` (JupyterLab's rule). Nothing
is implemented, so every check must print its FAIL line, every exercise one
line saying what to write and where, and the run must still reach the end
with no traceback anywhere. With CIFAR-10 missing (``CS231N_DATA_DIR`` names
an empty directory) the cell that loads it says `make data` in one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, copy_release
from learner_walk import PLACEHOLDER, SKIPPED, check_names, classify_check, read_notebook, source_of, tags_of
from nbkernel import TRACEBACK, CellRun, Kernel, kernel_env

NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
_SOLUTION_MARK = "### BEGIN " + "SOLUTION"
_LOADS_DATA = re.compile(r"\b(load_CIFAR10|get_CIFAR10_data)\s*\(")
_PY_FILE = re.compile(r"[\w/]+\.py\b")


@dataclass
class RunAll:
    notebook: str
    data: bool
    runs: dict[int, CellRun] = field(default_factory=dict)     # cell index -> what it printed
    stopped_at: int | None = None                              # the cell whose error stopped Run All
    cells: list = field(default_factory=list)
    exercises: list[int] = field(default_factory=list)


@pytest.fixture(scope="module")
def untouched(pristine_release, tmp_path_factory) -> Path:
    return copy_release(pristine_release, tmp_path_factory.mktemp("run-all") / "student")


@pytest.fixture(scope="module")
def run_all(untouched, learner_python, cifar_dir, tmp_path_factory, results_dir):
    """Run All of one notebook in one data mode, memoised for the module; a summary file at the end."""
    done: dict[tuple[str, bool], RunAll] = {}
    empty = tmp_path_factory.mktemp("no-data")

    def get(notebook: str, data: bool) -> RunAll:
        if (notebook, data) not in done:
            work = tmp_path_factory.mktemp(f"run-all-{notebook[:2]}-{'data' if data else 'nodata'}")
            env = kernel_env(untouched, work / "dirs", CS231N_SMALL="1", CS231N_PROGRESS="0",
                             CS231N_DATA_DIR=str(cifar_dir if data else empty))
            done[(notebook, data)] = _run_all(untouched, notebook, learner_python, env, work, data)
        return done[(notebook, data)]

    yield get
    (results_dir / "run_all.md").write_text(_summary(done))


def _run_all(release: Path, notebook: str, python: Path, env: dict, work: Path, data: bool) -> RunAll:
    record = RunAll(notebook, data)
    record.cells = read_notebook(release / "notebooks" / notebook)["cells"]
    repo_ids = {c.get("id") for c in read_notebook(REPO / "notebooks" / notebook)["cells"]
                if _SOLUTION_MARK in source_of(c)}
    with Kernel(python, release / "notebooks", env, work) as kernel:
        for index, cell in enumerate(record.cells):
            if cell["cell_type"] != "code" or not source_of(cell).strip():
                continue
            if cell.get("id") in repo_ids:
                record.exercises.append(index)
            run = record.runs[index] = kernel.run(source_of(cell))
            if run.status != "ok" and "raises-exception" not in tags_of(cell):
                record.stopped_at = index
                break
    return record


def _where(record: RunAll, index: int) -> str:
    return f"{record.notebook} cell {index} ({'with' if record.data else 'without'} CIFAR-10)"


CASES = [pytest.param(nb, data, id=f"{nb[:2]}-{'data' if data else 'nodata'}") for nb in NOTEBOOKS
         for data in (True, False)]


@pytest.mark.parametrize("notebook, data", CASES)
def test_run_all_reaches_the_end_without_a_traceback(run_all, notebook, data):
    record = run_all(notebook, data)
    if record.stopped_at is not None:
        run = record.runs[record.stopped_at]
        pytest.fail(f"Run All stops at {_where(record, record.stopped_at)}: {run.error}\n{run.all_text()[-2000:]}")
    with_traceback = [i for i, run in record.runs.items() if TRACEBACK in run.all_text() or run.traceback]
    assert not with_traceback, "\n\n".join(f"{_where(record, i)}:\n{record.runs[i].all_text()[-1500:]}"
                                           for i in with_traceback)


@pytest.mark.parametrize("notebook, data", CASES)
def test_every_check_cell_prints_its_fail_line(run_all, notebook, data):
    record = run_all(notebook, data)
    bad = []
    for i, run in record.runs.items():
        for name in check_names(source_of(record.cells[i])):
            passed, line = classify_check(run, name)
            # Nothing is implemented: each check fails on a stub, and its line with the details printed under it
            # says which function and which file to write.
            block = _with_details(run, line)
            if passed or not line or PLACEHOLDER not in line or not _PY_FILE.search(block):
                bad.append(f"{_where(record, i)}, {name}: {block or run.text.strip() or '(nothing printed)'}")
    assert not bad, "\n".join(bad)


def _with_details(run: CellRun, line: str) -> str:
    """A check's line and the indented detail lines printed right under it."""
    if not line:
        return ""
    lines = run.text.splitlines()
    start = next(k for k, text in enumerate(lines) if text.strip() == line.strip())
    block = [lines[start]]
    for text in lines[start + 1:]:
        if not text.startswith((" ", "\t")):
            break
        block.append(text)
    return "\n".join(block)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_exercise_says_what_to_write_and_where_in_one_line(run_all, notebook):
    record = run_all(notebook, True)
    bad = []
    for i in record.exercises:
        run = record.runs.get(i)
        lines = run.lines if run else []
        if len(lines) != 1 or PLACEHOLDER not in lines[0] or "this cell" not in lines[0]:
            bad.append(f"{_where(record, i)}: {lines}")
    # Any other cell that needs something unwritten stops with one line, its last, naming the function and its
    # file (a cell may print before it gets there); a cell that needs a name such a cell did not set says so in
    # one line and runs nothing.
    for i, run in record.runs.items():
        if i in record.exercises or check_names(source_of(record.cells[i])):
            continue
        if any(SKIPPED.match(line) for line in run.lines):
            if len(run.lines) != 1:
                bad.append(f"{_where(record, i)}: a skipped cell printed more than its one line: {run.lines}")
            continue
        placeholders = [line for line in run.lines if PLACEHOLDER in line]
        if placeholders and (placeholders != run.lines[-1:] or not _PY_FILE.search(placeholders[0])):
            bad.append(f"{_where(record, i)}: {run.lines}")
    assert not bad, "\n".join(bad)


def _loads_data(notebook: str) -> bool:
    return any(c["cell_type"] == "code" and _LOADS_DATA.search(source_of(c))
               for c in read_notebook(REPO / "notebooks" / notebook)["cells"])


@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS if _loads_data(nb)])
def test_without_cifar10_the_data_cell_says_make_data(run_all, notebook):
    record = run_all(notebook, False)
    loading = [i for i in record.runs if _LOADS_DATA.search(source_of(record.cells[i]))]
    assert loading, f"Run All of {notebook} never reached the cell that loads CIFAR-10"
    first = record.runs[loading[0]]
    assert len(first.lines) == 1 and "make data" in first.lines[0], f"{_where(record, loading[0])}: {first.lines}"


def _summary(done: dict[tuple[str, bool], RunAll]) -> str:
    out = ["# Run All on an untouched release", "",
           "| notebook | CIFAR-10 | reached the end | check lines | exercises | placeholder lines | skipped cells |",
           "|---|---|---|---|---|---|---|"]
    for (nb, data), r in sorted(done.items()):
        checks = sum(len(check_names(source_of(r.cells[i]))) for i in r.runs)
        placeholders = sum(any(PLACEHOLDER in line for line in run.lines) for run in r.runs.values())
        skipped = sum(any(SKIPPED.match(line) for line in run.lines) for run in r.runs.values())
        end = "yes" if r.stopped_at is None else f"no, stopped at cell {r.stopped_at}: {r.runs[r.stopped_at].error}"
        out.append(f"| {nb} | {'present' if data else 'missing'} | {end} | {checks} | {len(r.exercises)} "
                   f"| {placeholders} | {skipped} |")
    out += ["", "First lines printed by exercise, data and check cells:", ""]
    for (nb, data), r in sorted(done.items()):
        for i, run in r.runs.items():
            src = source_of(r.cells[i])
            if i in r.exercises or check_names(src) or (not data and _LOADS_DATA.search(src)):
                first = run.lines[0] if run.lines else run.error or "(nothing)"
                out.append(f"- {nb} cell {i} ({'data' if data else 'no data'}): `{first}`")
    return "\n".join(out) + "\n"
