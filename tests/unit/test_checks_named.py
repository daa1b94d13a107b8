"""Checks that name the bug: realistic student bugs each get a first message saying what the code did.

The bugs are the catalogues in ``named_bugs/`` (one module per topic of
``checks/``). Each is planted into the reference solution in process; its
check must lose points, and the check's first message (the ``FAIL`` headline
a student reads first) must contain the bug's text, which no other bug's
message contains. The known mistakes a check names must be told apart on
its inputs: every variant is more than ``SEPARATION`` times the tolerance
away from the right result and from every other variant.
"""

from __future__ import annotations

import pytest
from named_bugs import all_bugs, patches

from cs231n_cnn.grading import load_checks, run_check_def, run_checks
from cs231n_cnn.grading.mistakes import SEPARATION, computing_every_variant, separated, showing
from cs231n_cnn.grading.runtime.student import InProcessStudent

BUGS = all_bugs()
_FIRST: dict[str, str] = {}


def _first_message(monkeypatch, bug) -> str:
    for owner, name, fake in patches(bug.edits):
        monkeypatch.setattr(owner, name, fake)
    (result,) = run_checks([bug.check], include_hidden=True)
    assert result.score < result.max_score, f"{bug.id} is not caught:\n{result.report()}"
    assert "internal error" not in result.line(), result.report()
    return result.headline()


@pytest.mark.parametrize("bug", BUGS, ids=[b.id for b in BUGS])
def test_the_first_message_says_what_the_bug_is(monkeypatch, bug):
    first = _first_message(monkeypatch, bug)
    _FIRST[bug.id] = first
    assert bug.says in first, f"{bug.id}: the first message does not contain {bug.says!r}:\n{first}"


def test_each_bugs_text_is_in_no_other_bugs_message(monkeypatch):
    ids = [b.id for b in BUGS]
    assert len(set(ids)) == len(ids), "two bugs share an id"
    messages = {}
    for bug in BUGS:
        with monkeypatch.context() as mp:
            messages[bug.id] = _FIRST.get(bug.id) or _first_message(mp, bug)
    shared = [(bug.id, other) for bug in BUGS for other, text in messages.items()
              if other != bug.id and bug.says in text]
    assert not shared, f"these bugs' texts are also in another bug's first message: {shared}"


def test_at_least_120_bugs_across_every_graded_function_and_80_percent_named():
    checks = load_checks()
    assert len(BUGS) >= 120, len(BUGS)
    unknown = {b.check for b in BUGS} - set(checks)
    assert not unknown, unknown
    # Every public check grades a function a student writes; each has at least one planted bug.
    untried = {name for name, c in checks.items() if not c.hidden} - {b.check for b in BUGS}
    assert not untried, f"public checks with no planted bug: {sorted(untried)}"
    named = sum(b.names for b in BUGS)
    assert named / len(BUGS) >= 0.8, f"{named} of {len(BUGS)} bugs are named"


def test_every_known_mistake_is_told_apart_from_the_right_result_and_the_others():
    # On the reference solution, under computing_every_variant every comparison with known mistakes
    # computes them; none may be dropped for lying within SEPARATION x the tolerance of another.
    sites = []
    student = InProcessStudent()
    for chk in load_checks().values():
        with computing_every_variant(sites.append):
            result = run_check_def(chk, student)
        assert result.passed, result.report()
    assert sites, "no check names a known mistake"
    close = [f"{s.name} ({v.what})" for s in sites for v in showing(list(s.variants), s.expected, s.tol, s.atol)
             if v not in separated(list(s.variants), s.expected, s.tol, s.atol)]
    assert not close, f"variants within {SEPARATION:g}x the tolerance of another result: {close}"


def test_the_readmes_example_is_what_the_check_prints(monkeypatch):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (bug,) = [b for b in BUGS if b.id == "momentum-sign"]
    for owner, name, fake in patches(bug.edits):
        monkeypatch.setattr(owner, name, fake)
    (result,) = run_checks([bug.check])
    assert f"```text\n{result.line()}\n```" in readme
