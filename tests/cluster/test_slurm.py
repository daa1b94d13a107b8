"""The real engine: a batch graded as a Slurm job array of 4 shards, merged, equals one grade-batch.

A one-node Slurm cluster (munged, slurmctld, slurmd from Debian, as root) is
started in tmp_path (``slurm_cluster.py``); ``cs231n-cnn cluster-files``
writes the job-array script, its merge step and ``submit.sh``, which are
submitted unchanged. The reference is a single-machine ``grade-batch`` of the
same folder: equal rows on submission, score, max_score, status and every
check's column.
"""

from __future__ import annotations

import csv
import os
import subprocess

import pytest
from grading_fixtures import append, build_release, checks_subset, reference_submission, stub_submission, zip_tree
from slurm_cluster import missing_tools, one_node_slurm, wait_for_jobs

from cs231n_cnn.cli import main
from cs231n_cnn.grading.autograder.shards import shard_of

SHARDS = 4
TIMEOUT = 40            # grade-batch --timeout: the hanging submission runs past it
GUARD = 900             # the whole array and its merge, at most (the step's budget is 15 minutes)


@pytest.fixture(scope="module")
def tools():
    missing = missing_tools()
    if missing or os.geteuid() != 0:
        why = (f"missing {', '.join(missing)} (apt-get install slurmctld slurmd munge)" if missing
               else "the one-node Slurm cluster runs its daemons as root")
        if os.environ.get("CI"):
            pytest.fail(f"the Slurm test cannot run: {why}")
        pytest.skip(why)


def batch_folder(root):
    """Nine submissions: full marks, partial, untouched release, empty, raising, hanging, damaged, zip, link."""
    subs = root / "submissions"
    subs.mkdir()
    reference_submission(subs, "submission-reference-full")
    zip_tree(reference_submission(root, "zipped"), subs / "submission-reference-zip.zip")
    append(reference_submission(subs, "submission-relu-wrong-partial"), "layers/fc.py", """
        def relu_forward(x):
            return np.abs(x), x
    """)
    stub_submission(subs, build_release(root), "submission-untouched-zero")
    (subs / "submission-empty").mkdir()
    append(reference_submission(subs, "submission-import-raises"), "layers/__init__.py",
           "raise RuntimeError('planted: raising at import')")
    append(reference_submission(subs, "submission-import-hangs"), "layers/__init__.py",
           "import time\nwhile True:\n    time.sleep(1)")
    (subs / "submission-damaged.zip").write_bytes(b"PK\x03\x04 and then garbage")
    (subs / "submission-link").symlink_to(subs / "submission-reference-full")
    return subs


def table(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    keep = [c for c in reader.fieldnames if c != "sandbox"]
    return keep, [{c: r[c] for c in keep} for r in rows]


def test_a_slurm_job_array_of_four_shards_merges_to_a_single_grade_batch(tmp_path, tools, capsys):
    trusted = checks_subset(tmp_path, ("fc", "losses"))
    subs = batch_folder(tmp_path)
    entries = sorted(p.name for p in subs.iterdir())
    assert len(entries) >= 8 and len({shard_of(e, SHARDS) for e in entries}) >= 2   # the shards share the work
    limits = ["--memory-mb", "1024"]
    single = tmp_path / "single" / "grades.csv"
    assert main(["grade-batch", str(subs), "--out", str(single), "--jobs", "2", "--timeout", str(TIMEOUT),
                 "--checks", str(trusted), *limits]) == 0
    files, results = tmp_path / "cluster", tmp_path / "results"
    assert main(["cluster-files", "--submissions", str(subs), "--shards", str(SHARDS), "--out", str(files),
                 "--results", str(results), "--timeout", str(TIMEOUT), "--checks", str(trusted), *limits]) == 0
    capsys.readouterr()
    with one_node_slurm(tmp_path / "slurm") as env:
        run = subprocess.run([str(files / "submit.sh")], env=env, capture_output=True, text=True, check=True)
        words = run.stdout.split()
        array, merge = words[words.index("array") + 2], words[words.index("merge") + 2].rstrip(",")
        states = wait_for_jobs([array, merge], env, GUARD)
    logs = "\n".join(p.read_text(errors="replace") for p in sorted(results.glob("slurm-*.out")))
    assert states == {**{f"{array}_{i}": "COMPLETED 0:0" for i in range(SHARDS)}, merge: "COMPLETED 0:0"}, logs
    for i in range(SHARDS):
        assert (results / f"grades-{i}-of-{SHARDS}.csv").is_file() and (
            results / f"grades-{i}-of-{SHARDS}.csv.shard.json").is_file()
    merged_columns, merged = table(results / "grades.csv")
    single_columns, single_rows = table(single)
    assert merged_columns == single_columns and merged == single_rows, logs
    status = {r["submission"]: (r["status"], float(r["score"])) for r in single_rows}
    top = float(single_rows[0]["max_score"])
    assert status["submission-reference-full"] == status["submission-reference-zip"] == ("ok", top)
    assert status["submission-relu-wrong-partial"][0] == "ok" and 0 < status["submission-relu-wrong-partial"][1] < top
    assert status["submission-untouched-zero"] == ("ok", 0)
    assert status["submission-empty"] == status["submission-damaged"] == ("unreadable", 0)
    assert status["submission-import-raises"] == ("not_importable", 0)
    # Hanging at import past --timeout: the grading process's own limit (36 s of the 40, kept so that it
    # writes its report before grade-batch would kill it) stops the import; a `timeout` row is for a
    # grading process that itself hangs (tests/functional/test_grader.py fakes one).
    assert status["submission-import-hangs"] == ("not_importable", 0)
    hang = next(results.glob("grades-*-results/submission-import-hangs.json")).read_text()
    assert "importing the submission's cs231n_cnn timed out after 36 s" in hang
    assert status["submission-link"] == ("refused", 0)
