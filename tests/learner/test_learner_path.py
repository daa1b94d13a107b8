"""The learner's loop, walked end to end: edit the release's library as each notebook asks, in a running kernel.

One walk through all student notebooks in order (see ``learner_walk.py``),
shared by the tests of this module; each notebook runs in one kernel, never
restarted. At its place every check cell must print PASS with only the
functions asked for so far; no cell may print the "not implemented yet"
placeholder (a cell that does runs before what it needs), and no cell errors.
The summary (per notebook, and the hard edits of notebook 02) is printed with
``-s`` and written to ``results/learner_path.md``.
"""

from __future__ import annotations

import datetime
import json
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, copy_release
from learner_walk import PLACEHOLDER, SAME_SIZE, SYNTAX_ERROR, WITH_HELPER, NotebookWalk, Walker
from nbkernel import TRACEBACK, kernel_env

NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
PROBE = Path(__file__).resolve().parent / "probe_import.py"


@pytest.fixture(scope="module")
def walk_env(pristine_release, cifar_dir, tmp_path_factory):
    work = tmp_path_factory.mktemp("walk")
    release = copy_release(pristine_release, work / "student")
    env = kernel_env(release, work / "kernel-dirs", CS231N_SMALL="1", CS231N_PROGRESS="0",
                     CS231N_DATA_DIR=str(cifar_dir))
    return release, work, env


@pytest.fixture(scope="module")
def walk(walk_env, learner_python, results_dir) -> dict[str, NotebookWalk]:
    release, work, env = walk_env
    walker = Walker(REPO, release, learner_python, work, env)
    records = {nb: walker.walk(nb) for nb in NOTEBOOKS}
    summary = summarize(records, walker)
    (results_dir / "learner_path.md").write_text(summary)
    print("\n" + summary)
    return records


def test_the_kernel_imports_the_release_not_the_repository(walk_env, learner_python):
    # The same interpreter, environment and working directory as the walk's kernels, asked from outside them
    # (nothing of the test's own is sent to a kernel).
    release, _, env = walk_env
    proc = subprocess.run([str(learner_python), str(PROBE)], cwd=release / "notebooks", env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert Path(found["package"]).resolve().is_relative_to(release.resolve()), found
    assert not found["repository_on_path"] and not found["editable_finders"], found


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_check_passes_at_its_place(walk, notebook):
    record = walk[notebook]
    failed = [f"cell {c.cell}: {c.line}" for c in record.checks if not c.passed]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_cell_runs_before_what_it_needs(walk, notebook):
    record = walk[notebook]
    assert not record.out_of_order, "\n".join(f"cell {i}: {line}" for i, line in record.out_of_order)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_no_cell_errors(walk, notebook):
    record = walk[notebook]
    assert not record.errors, "\n".join(f"cell {i}: {e}" for i, e in record.errors)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_learner_can_tell_what_to_implement(walk, notebook):
    record = walk[notebook]
    assert not record.prose_problems, "\n".join(f"cell {i}: {p}" for i, p in record.prose_problems)


def _events(walk, name):
    found = [r.events[name] for r in walk.values() if name in r.events]
    assert found, f"the walk never made the {name} edit (no notebook asked for {name}?)"
    return found[0]


def test_a_same_size_edit_in_the_same_second_reaches_the_kernel(walk):
    ev = _events(walk, SAME_SIZE)
    assert ev["same_size"] and ev["same_second"], ev
    assert ev["before"].startswith(f"FAIL {SAME_SIZE}") and PLACEHOLDER in ev["before"], ev["before"]
    # The wrong body ran: the check fails on its numbers, not on the stub.
    assert ev["wrong"].startswith(f"FAIL {SAME_SIZE}") and PLACEHOLDER not in ev["wrong"], ev["wrong_output"]
    record = next(r for r in walk.values() if SAME_SIZE in r.events)
    at_place = [c for c in record.checks if c.name == SAME_SIZE]
    assert at_place and at_place[0].cell == ev["check_cell"] and at_place[0].passed, at_place


def test_a_syntax_error_is_reported_in_one_line_then_fixed(walk):
    ev = _events(walk, SYNTAX_ERROR)
    assert ev["status"] == "ok", ev["output"]
    assert TRACEBACK not in ev["output"], ev["output"]
    line = ev["line"]
    assert line.startswith(f"FAIL {SYNTAX_ERROR}"), ev["output"]
    assert "syntax" in line.lower() and Path(ev["file"]).name in line, line
    record = next(r for r in walk.values() if SYNTAX_ERROR in r.events)
    at_place = [c for c in record.checks if c.name == SYNTAX_ERROR]
    assert at_place and at_place[0].passed, at_place


def test_a_new_helper_and_import_reach_the_kernel(walk):
    _events(walk, WITH_HELPER)
    record = next(r for r in walk.values() if WITH_HELPER in r.events)
    # The avg_pool check runs the learner's avg_pool_forward, which calls the helper.
    at_place = [c for c in record.checks if c.name == "avg_pool"]
    assert at_place and all(c.passed for c in at_place), at_place


def summarize(records: dict[str, NotebookWalk], walker: Walker) -> str:
    rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip() or "?"
    out = [f"# Learner path ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {rev})", "",
           "One kernel per notebook, never restarted; library files edited as the notebooks ask.", "",
           "| notebook | checks passing at their place | out-of-order cells | errors | functions written | s |",
           "|---|---|---|---|---|---|"]
    for nb, r in records.items():
        names = sum(len(n) for _, n in r.implemented)
        out.append(f"| {nb} | {r.passed}/{len(r.checks)} | {len(r.out_of_order)} | {len(r.errors)} | {names} "
                   f"| {r.seconds:g} |")
    total = sum(len(r.checks) for r in records.values())
    out += ["", f"Total: {sum(r.passed for r in records.values())}/{total} checks pass at their place, "
            f"{sum(len(r.out_of_order) for r in records.values())} out-of-order cells, "
            f"{sum(len(r.errors) for r in records.values())} errors, "
            f"{sum(r.seconds for r in records.values()):.0f} s of kernels.", ""]
    for r in records.values():
        if SAME_SIZE in r.events:
            ev = r.events[SAME_SIZE]
            out += [f"## {r.notebook}: the same check cell (cell {ev['check_cell']}) before and after the edit, "
                    "one kernel", "",
                    f"1. stub: `{ev['before']}`",
                    f"2. a wrong body of the right body's size: `{ev['wrong']}`",
                    f"3. the right body saved {ev['seconds_after_import']} s after that check imported the file "
                    f"(same size: {ev['same_size']}; mtime in the same second: {ev['same_second']}"
                    + (", stamped so" if ev["mtime_forced_into_same_second"] else "") + "), at its place: "
                    f"`{next((c.line for c in r.checks if c.name == SAME_SIZE), '?')}`", ""]
        if SYNTAX_ERROR in r.events:
            ev = r.events[SYNTAX_ERROR]
            out += [f"## {r.notebook}: a syntax error saved in {ev['file']} (line {ev['error_line']})", "",
                    "```", ev["output"].strip() or "(no output)", "```", "",
                    f"then fixed, at its place: `{next((c.line for c in r.checks if c.name == SYNTAX_ERROR), '?')}`",
                    ""]
        if WITH_HELPER in r.events:
            ev = r.events[WITH_HELPER]
            out += [f"## {r.notebook}: {WITH_HELPER} with a new helper `{ev['helper']}` and `{ev['import']}` "
                    f"in {ev['file']}", "",
                    *(f"- `{c.line}`" for c in r.checks if c.name == "avg_pool"), ""]
    for r in records.values():
        problems = ([f"- cell {c.cell}: {c.line}" for c in r.checks if not c.passed]
                    + [f"- cell {i}, before what it needs: {line}" for i, line in r.out_of_order]
                    + [f"- cell {i}, error: {e}" for i, e in r.errors]
                    + [f"- cell {i}: {p}" for i, p in r.prose_problems])
        if problems:
            out += [f"## {r.notebook}: what went wrong", "", *problems, ""]
    asked = set(walker.done)
    never = sorted(q for q in walker.qualnames if q not in asked)
    out += ["## Library functions with solutions that no notebook asked for", "",
            ", ".join(f"`{q}`" for q in never) or "(none)", ""]
    return "\n".join(out)
