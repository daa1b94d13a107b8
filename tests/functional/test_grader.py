"""The grader end to end: reports for whole submissions, zips, the CLI, grade-batch and the Gradescope bundle.

Fixture submissions are built in tmp_path from this repository (see
``grading_fixtures.py``) and named for the expected outcome. The slow tests
grade against every check; the rest use a small trusted checks directory
(fully connected and loss checks). The wire format between grader and
worker is tested here too; the attacks are in ``test_adversarial.py``.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest
from grading_fixtures import (
    CHECKS,
    append,
    build_release,
    by_name,
    checks_subset,
    reference_submission,
    stub_submission,
    validate_report,
    zip_tree,
)

from cs231n_cnn.cli import main
from cs231n_cnn.grading import load_checks
from cs231n_cnn.grading.autograder import grade as grader_module
from cs231n_cnn.grading.autograder.batch import batch_summary, grade_batch
from cs231n_cnn.grading.autograder.grade import grade_to_file
from cs231n_cnn.grading.sandbox import ISOLATING, Limits, Sandbox, SandboxUnavailable

FAST_MODULES = ("fc", "losses")
LIMITS = dict(check_timeout=30.0, memory_mb=1024, startup_timeout=30.0, total_timeout=300.0)


@pytest.fixture(scope="module")
def trusted(tmp_path_factory):
    return checks_subset(tmp_path_factory.mktemp("trusted"), FAST_MODULES)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build_release(tmp_path_factory.mktemp("release"))


def grade(root, tmp_path, checks=None, **kwargs):
    out = tmp_path / "out" / "results.json"
    results = grade_to_file(root, out, checks_dir=checks, limits=Limits(**LIMITS), **kwargs)
    assert json.loads(out.read_text(encoding="utf-8")) == results
    assert [p.name for p in out.parent.iterdir()] == ["results.json"]     # no temporary file left
    validate_report(results)
    return results


def full_marks(checks_dir=None):
    return sum(c.points for c in load_checks(checks_dir or CHECKS).values())


# --------------------------------------------------------------------------- whole submissions

@pytest.mark.slow
def test_reference_solution_scores_full_marks_on_every_check(tmp_path):
    results = grade(reference_submission(tmp_path), tmp_path)
    checks = load_checks(CHECKS)
    assert results["score"] == full_marks() > 0
    assert [t["name"] for t in results["tests"]] == list(checks)
    for t in results["tests"]:
        chk = checks[t["name"]]
        assert t["status"] == "passed" and t["score"] == t["max_score"] == chk.points
        assert t["visibility"] == ("after_published" if chk.hidden else "visible")
        assert t["tags"] == [chk.module.rsplit(".", 1)[-1]]
        assert t["output"].splitlines()[1] == f"PASS {chk.name} {chk.points}/{chk.points}"
    assert any(t["visibility"] == "after_published" for t in results["tests"])
    assert results["tests"][0]["number"] == "1.1"
    assert "sandbox: " in results["output"] and "seccomp filter: on" in results["output"]


@pytest.mark.slow
def test_untouched_release_scores_zero_on_every_check(tmp_path, release):
    results = grade(stub_submission(tmp_path, release), tmp_path)
    assert results["score"] == 0
    assert len(results["tests"]) == len(load_checks(CHECKS))
    for t in results["tests"]:
        assert t["status"] == "failed" and t["score"] == 0
    conv = by_name(results)["conv_forward_naive"]["output"]
    assert "layers.conv_forward_naive is not implemented yet (NotImplementedError" in conv
    # Hidden checks are graded too, from the grader's own checks (the release has none).
    assert by_name(results)["conv_hidden_shapes"]["visibility"] == "after_published"


def test_one_wrong_function_loses_only_its_points(tmp_path, trusted):
    root = append(reference_submission(tmp_path, "submission-relu-wrong-partial"), "layers/fc.py", """
        def relu_forward(x):
            return np.abs(x), x
    """)
    results = grade(root, tmp_path, trusted)
    relu = by_name(results)["relu_forward"]
    assert relu["score"] == 0 and "out: max relative error" in relu["output"]
    assert by_name(results)["relu_backward"]["status"] == "passed"           # its own code is right
    assert results["score"] == full_marks(trusted) - relu["max_score"]


def test_the_submissions_own_checks_are_never_used(tmp_path, trusted, release):
    root = stub_submission(tmp_path, release, "submission-own-checks-zero")
    (root / "checks").mkdir()
    (root / "checks" / "fc.py").write_text(
        "from cs231n_cnn.grading import check\n\n"
        "@check('free_points', points=1000)\ndef free_points(t):\n    with t.part('free', 1000):\n        pass\n")
    results = grade(root, tmp_path, trusted)
    assert results["score"] == 0 and "free_points" not in json.dumps(results)


# --------------------------------------------------------------------------- zips and unreadable submissions

def test_zip_with_a_top_level_folder_is_graded(tmp_path, trusted):
    root = reference_submission(tmp_path, "submission-zip-full")
    zipped = zip_tree(root, tmp_path / "submission.zip", prefix="my-work/")
    results = grade(zipped, tmp_path, trusted)
    assert results["score"] == full_marks(trusted)


def test_zip_with_an_escaping_path_is_refused(tmp_path, trusted):
    zipped = zip_tree(reference_submission(tmp_path, "submission-zip-slip-zero"), tmp_path / "evil.zip")
    with zipfile.ZipFile(zipped, "a") as zf:
        zf.writestr("../../evil.py", "print('outside')\n")
    results = grade(zipped, tmp_path, trusted)
    assert results["score"] == 0 and "unsafe path '../../evil.py'" in results["output"]
    assert not (tmp_path.parent / "evil.py").exists()


def test_links_in_a_zip_are_skipped(tmp_path, trusted):
    zipped = zip_tree(reference_submission(tmp_path, "submission-zip-link-full"), tmp_path / "link.zip")
    with zipfile.ZipFile(zipped, "a") as zf:
        info = zipfile.ZipInfo("cs231n_cnn/secrets.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/shadow")
    results = grade(zipped, tmp_path, trusted)
    assert results["score"] == full_marks(trusted)
    assert "note: skipped the link cs231n_cnn/secrets.py" in results["output"]


UNREADABLE = {
    "missing": "does not exist",
    "not-a-zip": "must be a directory or a .zip file",
    "damaged.zip": "is not a readable zip file",
    "no-package": "no cs231n_cnn package found in the submission",
}


def _unreadable(tmp_path, kind):
    path = tmp_path / ("submission-damaged-zero.zip" if kind == "damaged.zip" else f"submission-{kind}-zero")
    if kind in ("not-a-zip", "damaged.zip"):
        path.write_bytes(b"PK\x03\x04 and then garbage" if kind == "damaged.zip" else b"hello")
    elif kind == "no-package":
        (path / "notebooks").mkdir(parents=True)
    return path


@pytest.mark.parametrize("kind", list(UNREADABLE))
def test_an_unreadable_submission_scores_zero_with_the_reason(kind, tmp_path, trusted):
    results = grade(_unreadable(tmp_path, kind), tmp_path, trusted)
    assert results["score"] == 0 and "NOT GRADED" in results["output"] and UNREADABLE[kind] in results["output"]
    assert len(results["tests"]) == len(load_checks(trusted))
    assert all("not graded: the submission could not be read" in t["output"] for t in results["tests"])
    assert results["extra_data"]["status"] == "unreadable"


@pytest.mark.parametrize("kind", list(UNREADABLE))
def test_cli_grade_exits_1_for_an_unreadable_submission(kind, tmp_path, trusted, capsys):
    out = tmp_path / "results.json"
    assert main(["grade", str(_unreadable(tmp_path, kind)), "--out", str(out), "--checks", str(trusted)]) == 1
    assert UNREADABLE[kind] in capsys.readouterr().err
    validate_report(json.loads(out.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- the command line

def test_cli_grade_writes_the_report_and_exits_0(tmp_path, trusted, capsys):
    root = reference_submission(tmp_path)
    out = tmp_path / "results.json"
    code = main(["grade", str(root), "--out", str(out), "--checks", str(trusted), "--timeout-per-check", "30",
                 "--memory-mb", "1024"])
    assert code == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    validate_report(results)
    assert results["score"] == full_marks(trusted)
    mode = results["extra_data"]["sandbox"]
    assert mode in ISOLATING
    assert capsys.readouterr().out.strip() == (f"{root}: {results['score']:g}/{full_marks(trusted):g} "
                                               f"(sandbox: {mode}) -> {out}")


def test_a_crash_of_the_grader_itself_still_writes_a_report(tmp_path, trusted, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(grader_module, "grade", broken)
    out = tmp_path / "results.json"
    assert main(["grade", str(tmp_path), "--out", str(out), "--checks", str(trusted)]) == 3
    results = json.loads(out.read_text(encoding="utf-8"))
    validate_report(results)
    assert results["score"] == 0 and "The grader itself failed" in results["output"]
    assert "RuntimeError: disk on fire" in results["output"]


@pytest.fixture
def no_isolation(monkeypatch):
    """A machine where neither bubblewrap nor the user mode can start (their trial runs fail)."""
    real = Sandbox._trial
    tried = []

    def trial(self, mode):
        tried.append(mode)
        if mode in ISOLATING:
            raise SandboxUnavailable(f"{mode} is switched off for this test")
        return real(self, mode)

    monkeypatch.setattr(Sandbox, "_trial", trial)
    return tried


def test_auto_never_falls_back_to_running_the_submission_unconfined(no_isolation):
    with pytest.raises(SandboxUnavailable, match="no isolating sandbox works here.*apt-get install bubblewrap"):
        Sandbox("auto")
    assert no_isolation == list(ISOLATING)        # "none" was never even tried


def test_without_a_sandbox_grade_refuses_and_exits_3(tmp_path, trusted, no_isolation, capsys):
    out = tmp_path / "results.json"
    code = main(["grade", str(reference_submission(tmp_path)), "--out", str(out), "--checks", str(trusted)])
    assert code == 3
    err = capsys.readouterr().err
    assert "could not start a sandbox" in err and "--sandbox none" in err
    results = json.loads(out.read_text(encoding="utf-8"))
    validate_report(results)
    assert results["score"] == 0 and results["tests"] == [] and results["extra_data"]["status"] == "grader_error"
    assert "not with the submission" in results["output"]


def test_without_a_sandbox_grade_batch_grades_nothing(tmp_path, trusted, no_isolation, capsys):
    subs = tmp_path / "submissions"
    reference_submission(subs, "alice")
    out = tmp_path / "grades.csv"
    assert main(["grade-batch", str(subs), "--out", str(out), "--checks", str(trusted)]) == 3
    assert "nothing was graded" in capsys.readouterr().err and not out.exists()


def test_none_runs_only_when_asked_for_and_says_so(tmp_path, trusted, capsys):
    out = tmp_path / "results.json"
    code = main(["grade", str(reference_submission(tmp_path)), "--out", str(out), "--checks", str(trusted),
                 "--sandbox", "none", "--memory-mb", "1024"])
    assert code == 0 and "(sandbox: none  NOT ISOLATED)" in capsys.readouterr().out
    results = json.loads(out.read_text(encoding="utf-8"))
    assert "sandbox: none (rlimits only (NOT isolated))" in results["output"]
    assert results["extra_data"]["isolated"] is False


def test_cli_rejects_bad_options(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["grade", str(tmp_path), "--out", str(tmp_path / "r.json"), "--sandbox", "docker"])
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "r.json"), "--memory-mb", "0"]) == 1
    assert "--memory-mb must be positive" in capsys.readouterr().err


# --------------------------------------------------------------------------- grade-batch

FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for python in grade-batch's grading processes: hangs or fails for some submissions.
case "$*" in
    *submission-grader-hangs*) exec sleep 600 ;;
    *submission-grader-fails*) echo "simulated failure" >&2; exit 3 ;;
esac
exec {python} "$@"
"""


@pytest.mark.slow
def test_grades_csv_has_a_row_of_each_status(tmp_path, trusted, release):
    """One submission per status of grades.csv; a hanging or failing grader never stops the others."""
    subs = tmp_path / "submissions"
    subs.mkdir()
    reference_submission(subs, "submission-reference-full")                           # ok, full marks
    zip_tree(stub_submission(tmp_path, release), subs / "submission-stubs-zero.zip")  # ok, 0 points
    append(reference_submission(subs, "submission-import-fails"), "layers/__init__.py",
           "raise ImportError('planted: this package does not import')")              # not_importable
    (subs / "submission-damaged.zip").write_bytes(b"PK\x03\x04 and then garbage")    # unreadable
    (subs / "submission-no-package").mkdir()                                          # unreadable
    (subs / "submission-no-package" / "notes.txt").write_text("no cs231n_cnn here")
    reference_submission(subs, "submission-grader-hangs")                             # timeout
    (subs / "submission-link").symlink_to(subs / "submission-reference-full")         # refused
    reference_submission(subs, "submission-grader-fails")                             # error
    (subs / ".DS_Store").write_text("ignored")
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON.format(python=sys.executable))
    fake.chmod(0o755)
    out = tmp_path / "grades" / "grades.csv"
    rows = grade_batch(subs, out, jobs=4, timeout=15, checks_dir=trusted, limits=Limits(memory_mb=1024),
                       python=str(fake))
    with open(out, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        table = list(reader)
    checks = load_checks(trusted)
    assert reader.fieldnames == ["submission", "score", "max_score", "status", "sandbox", *checks]
    assert len(checks) >= 5 and len(table) == len(rows) == 8
    mode = rows[0]["sandbox"]
    assert {r["sandbox"] for r in table} == {mode} and mode in ISOLATING
    top = full_marks(trusted)
    got = {r["submission"]: (float(r["score"]), float(r["max_score"]), r["status"]) for r in table}
    assert got == {
        "submission-damaged": (0, top, "unreadable"),
        "submission-grader-fails": (0, top, "error"),
        "submission-grader-hangs": (0, top, "timeout"),
        "submission-import-fails": (0, top, "not_importable"),
        "submission-link": (0, top, "refused"),
        "submission-no-package": (0, top, "unreadable"),
        "submission-reference-full": (top, top, "ok"),
        "submission-stubs-zero": (0, top, "ok"),
    }
    by_row = {r["submission"]: r for r in table}
    # Each check's column holds its points: all of them for the solution, 0 where a report scored it 0,
    # empty where no check ran.
    assert [float(by_row["submission-reference-full"][n]) for n in checks] == [c.points for c in checks.values()]
    for name in ("submission-stubs-zero", "submission-import-fails", "submission-damaged"):
        assert [by_row[name][n] for n in checks] == ["0.0"] * len(checks), name
    for name in ("submission-grader-hangs", "submission-link", "submission-grader-fails"):
        assert [by_row[name][n] for n in checks] == [""] * len(checks), name
    # No summary row in the CSV: the command prints the counts (test_cli_grade_batch).
    assert batch_summary(rows) == "ok 2, not_importable 1, unreadable 2, timeout 1, refused 1, error 1"
    results_dir = out.parent / "grades-results"
    for r in table:
        results = json.loads((results_dir / f"{r['submission']}.json").read_text(encoding="utf-8"))
        assert set(results) >= {"score", "execution_time", "output", "tests"}
        assert results["score"] == float(r["score"])
    hang = json.loads((results_dir / "submission-grader-hangs.json").read_text())
    assert "grading timed out after 15 s" in hang["output"]
    assert "simulated failure" in (results_dir / "submission-grader-fails.log").read_text()
    assert "planted: this package does not import" in (results_dir / "submission-import-fails.json").read_text()
    assert sorted(p.name for p in out.parent.iterdir()) == ["grades-results", "grades.csv"]


def test_cli_grade_batch(tmp_path, trusted, capsys):
    subs = tmp_path / "submissions"
    subs.mkdir()
    zip_tree(reference_submission(tmp_path), subs / "alice.zip")
    zip_tree(reference_submission(tmp_path, "=cmd"), subs / "=cmd.zip")
    out = tmp_path / "grades.csv"
    assert main(["grade-batch", str(subs), "--out", str(out), "--jobs", "2", "--checks", str(trusted),
                 "--memory-mb", "1024"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["submission"], float(r["score"]), r["status"]) for r in rows] == [
        ("'=cmd", full_marks(trusted), "ok"), ("alice", full_marks(trusted), "ok")]
    mode = rows[0]["sandbox"]
    assert mode in ISOLATING
    assert capsys.readouterr().out.splitlines() == [
        f"sandbox: {mode}",
        f"graded 2 submissions in sandbox {mode}: ok 2, not_importable 0, unreadable 0, timeout 0, refused 0, "
        f"error 0",
        f"-> {out} (each report and grading log in {tmp_path / 'grades-results'}/)"]
    assert main(["grade-batch", str(tmp_path / "nothing"), "--out", str(out)]) == 1


# --------------------------------------------------------------------------- the Gradescope bundle

@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert main(["gradescope-bundle", "--out", str(out)]) == 0
    return out


def test_bundle_holds_the_scripts_the_package_and_every_check(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        conv_checks = zf.read("checks/conv.py").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", "cs231n_cnn/__init__.py",
            "cs231n_cnn/grading/runtime/worker.py", "checks/_reference.py"} <= names
    assert {f"checks/{p.name}" for p in CHECKS.glob("*.py")} <= names
    assert "BEGIN HIDDEN TESTS" in conv_checks                                  # hidden checks included
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def _autograder_tree(tmp_path, bundle, submission):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    submission.rename(root / "submission")
    return root


def _run(script, root, **env):
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "CS231N_PYTHON": sys.executable, **env}
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=600)


def test_setup_script_is_valid_bash_and_can_skip_installs(tmp_path, bundle):
    root = _autograder_tree(tmp_path, bundle, reference_submission(tmp_path))
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(root / "source" / script)]).returncode == 0
    done = _run(root / "source" / "setup.sh", root, CS231N_SKIP_INSTALL="1")
    assert done.returncode == 0 and "not installing anything" in done.stdout


@pytest.mark.slow
def test_run_autograder_grades_a_submission_like_gradescope(tmp_path, bundle):
    root = _autograder_tree(tmp_path, bundle, reference_submission(tmp_path))
    done = _run(root / "source" / "run_autograder", root, CS231N_GRADE_OPTIONS="--memory-mb 1024")
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    validate_report(results)
    assert results["score"] == full_marks() and len(results["tests"]) == len(load_checks(CHECKS))


def test_run_autograder_reports_even_when_python_is_broken(tmp_path, bundle):
    root = _autograder_tree(tmp_path, bundle, reference_submission(tmp_path))
    done = _run(root / "source" / "run_autograder", root, CS231N_PYTHON="/bin/false")
    assert done.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 0 and "could not run (exit status 1)" in results["output"]
