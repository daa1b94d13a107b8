"""grade-batch --shard I/N and grade-merge: one batch spread over machines, merged back into one grades.csv.

The reference for "the same grades.csv" is a single ``grade-batch`` of the
same folder on this machine: equal rows on submission, score, max_score,
status and every check's column (times and paths are not in the CSV).
"""

from __future__ import annotations

import csv
import hashlib
import json

import pytest
from grading_fixtures import append, checks_subset, reference_submission, zip_tree

from cs231n_cnn.cli import main
from cs231n_cnn.grading.autograder.batch import grade_batch
from cs231n_cnn.grading.autograder.shards import ShardError, merge_shards, parse_shard, shard_of, sidecar_for
from cs231n_cnn.grading.sandbox import Limits

LIMITS = Limits(memory_mb=1024)
COMPARED = ("submission", "score", "max_score", "status")


@pytest.fixture(scope="module")
def trusted(tmp_path_factory):
    return checks_subset(tmp_path_factory.mktemp("trusted"), ("fc", "losses"))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A folder of five submissions, one of each kind the shards must carry through, and its single-run CSV."""
    root = tmp_path_factory.mktemp("batch")
    subs = root / "submissions"
    subs.mkdir()
    reference_submission(subs, "alice")
    zip_tree(reference_submission(root, "bob"), subs / "bob.zip")
    append(reference_submission(subs, "carol"), "layers/__init__.py", "raise ImportError('planted')")
    (subs / "dave.zip").write_bytes(b"PK\x03\x04 and then garbage")
    (subs / "=erin").mkdir()
    return subs


@pytest.fixture(scope="module")
def single(batch, trusted, tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "grades.csv"
    grade_batch(batch, out, jobs=2, timeout=120, checks_dir=trusted, limits=LIMITS)
    return out


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def compared(path):
    header, rows = read(path)
    keep = [c for c in header if c != "sandbox"]
    assert keep[:4] == list(COMPARED)
    return header, [{c: r[c] for c in keep} for r in rows]


# --------------------------------------------------------------------------- which shard

@pytest.mark.parametrize("text", ["4/4", "-1/4", "0/0", "1", "a/b", "1/2/3", "1.0/2", ""])
def test_a_bad_shard_is_refused_naming_the_rule(text):
    with pytest.raises(ValueError, match=r"0 <= I < N"):
        parse_shard(text)


def test_the_cli_refuses_a_bad_shard_before_grading(tmp_path, capsys):
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    out = tmp_path / "g.csv"
    assert main(["grade-batch", str(tmp_path / "subs"), "--out", str(out), "--shard", "3/3"]) == 1
    assert "--shard must be I/N with 0 <= I < N, got '3/3'" in capsys.readouterr().err and not out.exists()


def test_the_shard_is_sha256_of_the_entry_name_and_adding_an_entry_moves_no_other():
    names = [f"student-{i:03d}.zip" for i in range(200)]
    # Independent reference: the first 8 bytes of sha256, big-endian, mod N (the documented rule).
    for n in (1, 3, 4, 7):
        want = [int(hashlib.sha256(s.encode()).hexdigest()[:16], 16) % n for s in names]
        assert [shard_of(s, n) for s in names] == want
    before = {s: shard_of(s, 4) for s in names}
    after = {s: shard_of(s, 4) for s in [*names, "late-submission.zip"]}
    assert all(after[s] == before[s] for s in names)
    assert {shard_of(s, 4) for s in names} == {0, 1, 2, 3}        # 200 names reach every shard


# --------------------------------------------------------------------------- shards and merge

def test_merged_shards_equal_a_single_grade_batch(tmp_path, batch, single, trusted, capsys):
    count = 3
    entries = sorted(p.name for p in batch.iterdir())
    shards_dir = tmp_path / "shards"
    for i in range(count):
        out = shards_dir / f"grades-{i}-of-{count}.csv"
        assert main(["grade-batch", str(batch), "--out", str(out), "--shard", f"{i}/{count}",
                     "--checks", str(trusted), "--memory-mb", "1024", "--jobs", "2"]) == 0
        header, rows = read(out)
        assert header == read(single)[0]                                      # exactly grades.csv's format
        own = {e for e in entries if shard_of(e, count) == i}
        meta = json.loads(sidecar_for(out).read_text(encoding="utf-8"))
        assert (meta["shard"], meta["count"]) == (f"{i}/{count}", count)
        assert [e["entry"] for e in meta["entries"]] == entries                  # the whole list, every shard
        # Only its own entries were graded: its rows and its reports.
        results = shards_dir / f"grades-{i}-of-{count}-results"
        graded = {p.stem for p in results.glob("*.json")} if results.exists() else set()
        assert len(rows) == len(own) == len(graded)
    merged = tmp_path / "grades.csv"
    capsys.readouterr()
    assert main(["grade-merge", str(shards_dir), "--out", str(merged)]) == 0
    assert "merged 5 submissions: ok 2, not_importable 1, unreadable 2" in capsys.readouterr().out
    assert compared(merged) == compared(single)
    assert [r["submission"] for r in read(merged)[1]] == ["'=erin", "alice", "bob", "carol", "dave"]
    # The same CSVs given one by one, in any order, merge the same way.
    files = sorted(shards_dir.glob("*.csv"), reverse=True)
    merge_shards(files, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == merged.read_bytes()


def test_an_empty_shard_is_header_only_and_starts_nothing(tmp_path, batch, trusted):
    entries = [p.name for p in batch.iterdir()]
    count = 16
    empty = next(i for i in range(count) if all(shard_of(e, count) != i for e in entries))
    out = tmp_path / "g.csv"
    assert grade_batch(batch, out, checks_dir=trusted, shard=(empty, count)) == []
    header, rows = read(out)
    assert rows == [] and header[:5] == ["submission", "score", "max_score", "status", "sandbox"]
    assert json.loads(sidecar_for(out).read_text())["sandbox"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv", "g.csv.shard.json"]


def test_a_rerun_shard_regrades_only_its_own_entries(tmp_path, batch, trusted):
    entries = sorted(p.name for p in batch.iterdir())
    index = shard_of("dave.zip", 2)                          # a quick one: an unreadable zip
    own = sorted(e for e in entries if shard_of(e, 2) == index)
    out = tmp_path / "shard.csv"
    for _ in range(2):
        rows = grade_batch(batch, out, jobs=2, timeout=120, checks_dir=trusted, limits=LIMITS, shard=(index, 2))
        assert len(rows) == len(own)
        results = sorted(p.name for p in (tmp_path / "shard-results").iterdir())
        # Report files are named for the submission, "=" made "_" (batch._report_name).
        stems = (e.removesuffix(".zip").replace("=", "_") for e in own)
        assert results == sorted(f"{n}.{x}" for n in stems for x in ("json", "log"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard-results", "shard.csv", "shard.csv.shard.json"]


# Mismatches are made with shards that own nothing: they cost no grading and carry every fact a merge checks.

def empty_shard(batch, checks, out, count=16, entries=None):
    names = entries or [p.name for p in batch.iterdir()]
    index = next(i for i in range(count) if all(shard_of(e, count) != i for e in names))
    grade_batch(batch, out, checks_dir=checks, shard=(index, count))
    return index


def full_set(tmp_path, batch, checks, count=16):
    """Every shard of ``count`` for ``batch``, each header-only but the owned ones faked by copying real rows."""
    names = [p.name for p in batch.iterdir()]
    owned = {shard_of(e, count) for e in names}
    out = []
    for i in range(count):
        path = tmp_path / f"s{i}.csv"
        if i in owned:
            continue
        grade_batch(batch, path, checks_dir=checks, shard=(i, count))
        out.append(path)
    return out, sorted(owned)


def test_merge_names_missing_duplicated_and_mismatched_shards(tmp_path, batch, trusted, capsys):
    empties, owned = full_set(tmp_path, batch, trusted)
    with pytest.raises(ShardError, match="missing shards? " + f"{owned[0]}/16"):
        merge_shards(empties, tmp_path / "m.csv")
    assert main(["grade-merge", *map(str, empties), "--out", str(tmp_path / "m.csv")]) == 1
    assert "missing shard" in capsys.readouterr().err and not (tmp_path / "m.csv").exists()
    # The same shard twice.
    twin = tmp_path / "twin" / "s0.csv"
    grade_batch(batch, twin, checks_dir=trusted, shard=(json.loads(sidecar_for(empties[0]).read_text())["index"], 16))
    with pytest.raises(ShardError, match=r"shard \d+/16 given twice"):
        merge_shards([*empties, twin], tmp_path / "m.csv")
    # Another N.
    other_n = tmp_path / "n" / "g.csv"
    empty_shard(batch, trusted, other_n, count=17)
    with pytest.raises(ShardError, match="different N"):
        merge_shards([empties[0], other_n], tmp_path / "m.csv")
    # Another list of submissions (one more student since the other shards ran).
    late = tmp_path / "late"
    late.mkdir()
    for p in batch.iterdir():
        (late / p.name).symlink_to(p)
    index = json.loads(sidecar_for(empties[0]).read_text())["index"]
    newcomer = next(n for n in ("zoe", "yann", "xia", "will") if shard_of(n, 16) != index)   # still header-only
    (late / newcomer).mkdir()
    grade_batch(late, tmp_path / "late.csv", checks_dir=trusted, shard=(index, 16))
    with pytest.raises(ShardError, match="different list of submissions"):
        merge_shards([empties[1], tmp_path / "late.csv"], tmp_path / "m.csv")
    # Other check columns.
    (tmp_path / "other").mkdir()
    other_checks = checks_subset(tmp_path / "other", ("fc",))
    grade_batch(batch, tmp_path / "cols.csv", checks_dir=other_checks, shard=(index, 16))
    with pytest.raises(ShardError, match="other check columns"):
        merge_shards([empties[1], tmp_path / "cols.csv"], tmp_path / "m.csv")
    # A CSV edited after it was written, and a CSV with no sidecar.
    edited = empties[1]
    edited.write_text(edited.read_text() + "mallory,10,10,ok,none\n")
    with pytest.raises(ShardError, match="changed after grade-batch wrote it"):
        merge_shards([edited], tmp_path / "m.csv")
    plain = tmp_path / "plain.csv"
    plain.write_text("submission,score\n")
    with pytest.raises(ShardError, match="not a shard written by grade-batch --shard"):
        merge_shards([plain], tmp_path / "m.csv")
    assert not (tmp_path / "m.csv").exists()


def test_merge_says_when_shards_settled_different_sandbox_modes(tmp_path, trusted, capsys):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "dave.zip").write_bytes(b"PK\x03\x04 and then garbage")     # unreadable: no worker starts
    (subs / "erin").mkdir()
    count = next(n for n in range(2, 20) if shard_of("dave.zip", n) != shard_of("erin", n))
    for entry, sandbox in (("dave.zip", "none"), ("erin", "auto")):
        i = shard_of(entry, count)
        grade_batch(subs, tmp_path / "shards" / f"g-{i}.csv", checks_dir=trusted, sandbox=sandbox, shard=(i, count))
    for i in set(range(count)) - {shard_of("dave.zip", count), shard_of("erin", count)}:
        grade_batch(subs, tmp_path / "shards" / f"g-{i}.csv", checks_dir=trusted, shard=(i, count))
    capsys.readouterr()
    assert main(["grade-merge", str(tmp_path / "shards"), "--out", str(tmp_path / "grades.csv")]) == 0
    out = capsys.readouterr().out
    assert "merged 2 submissions: ok 0, not_importable 0, unreadable 2" in out
    assert "note: the shards were graded in different sandbox modes: " in out and "none" in out
