"""Grading a directory of submissions, each by its own ``cs231n-cnn grade`` process, into a CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from ...fileio import atomic_write_text
from ...paths import PACKAGE, package_dir
from ..loader import find_checks_dir, load_checks
from ..sandbox import Limits, Sandbox
from .command import grade_argv
from .grade import protected_paths
from .report import STATUS_EXIT, error_report, write_results
from .shards import shard_of, write_sidecar

__all__ = ["grade_batch", "csv_safe", "batch_columns", "batch_summary", "BATCH_COLUMNS", "BATCH_STATUSES",
           "batch_entries"]

#: The first columns of grades.csv; one column per check (its points) follows, named by the check.
BATCH_COLUMNS = ("submission", "score", "max_score", "status", "sandbox")
#: What a row's ``status`` can be: graded (``ok``), graded 0 because the package does not import
#: (``not_importable``), the submission cannot be read (``unreadable``: no package, a damaged zip, too
#: large), killed after ``--timeout`` (``timeout``), a symbolic link never followed (``refused``), or the
#: grading process failed (``error``).
BATCH_STATUSES = ("ok", "not_importable", "unreadable", "timeout", "refused", "error")
# extra_data.status of a report written by `cs231n-cnn grade` -> the row's status.
_REPORT_STATUS = {"graded": "ok", "not_importable": "not_importable", "unreadable": "unreadable",
                  "grader_error": "error"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading ``= + - @`` would make it a formula (``=2+5``)."""
    text = str(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def batch_columns(check_names) -> tuple[str, ...]:
    """The header of grades.csv: :data:`BATCH_COLUMNS`, then the check names in the order they load."""
    names = tuple(check_names)
    clash = sorted(set(names) & set(BATCH_COLUMNS))
    if clash:
        raise ValueError(f"a check may not be named like a column of grades.csv: {', '.join(clash)}")
    return BATCH_COLUMNS + names


def batch_summary(rows: list[dict]) -> str:
    """A count per status, every status named (``ok 3, not_importable 1, unreadable 0, ...``)."""
    return ", ".join(f"{s} {sum(r['status'] == s for r in rows)}" for s in BATCH_STATUSES)


def batch_entries(directory: Path) -> list[tuple[str, Path]]:
    """(name, path) of each entry of ``directory`` that is not hidden: folders, zips and links (refused later)."""
    if not directory.is_dir():
        raise FileNotFoundError(f"no directory {directory}")
    entries = sorted(p for p in directory.iterdir() if not p.name.startswith(".")
                     and (p.is_symlink() or p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip")))
    names: dict[str, Path] = {}
    out = []
    for p in entries:
        name = p.name[:-4] if p.suffix.lower() == ".zip" and not p.is_dir() else p.name
        if name in names:  # "alice" and "alice.zip"
            name = p.name
        names[name] = p
        out.append((name, p))
    return out


def _report_name(name: str) -> str:
    """A file name for a submission's report: no path separators, no control characters."""
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", name)[:120] or "_"


def grade_batch(submissions_dir, out_csv, *, jobs: int = 1, timeout: float = 1500.0, checks_dir=None,
                sandbox: str = "auto", limits: Limits | None = None, python: str | None = None,
                worker_python: str | None = None, on_mode=None, shard: tuple[int, int] | None = None) -> list[dict]:
    """Grade every entry of ``submissions_dir``, each by its own ``cs231n-cnn grade`` process.

    The sandbox mode is settled once, before any submission runs (``auto``
    becomes the mode its trial run picks, and no usable mode raises
    :class:`SandboxUnavailable`); every process is then told that mode, and
    a report graded any other way is an ``error`` row, so a batch never
    mixes modes. ``on_mode(mode)`` is called with it. Each concurrent
    process gets a user id and a staging directory of its own. A process
    that exceeds ``timeout`` seconds is killed (with everything it started)
    and its row says ``timeout``; one that fails says ``error``; a symbolic
    link is never followed (``refused``). Either way a results.json saying
    so is written for it (``<csv stem>-results/<name>.json``, the grading
    log beside it) and the other submissions go on.

    Returns the rows of the CSV, which is written atomically: the columns of
    :func:`batch_columns` (``submission, score, max_score, status,
    sandbox``, then each check's points, by check name, in the order the
    checks load), ``status`` one of :data:`BATCH_STATUSES`. A check's cell
    is empty when no report scored it (``timeout``, ``refused``, ``error``).
    Cells a spreadsheet could take for formulas are quoted as text.

    ``shard=(I, N)`` grades only the entries whose shard
    (:func:`~.shards.shard_of` of the entry name) is ``I``: the CSV has their
    rows, in the same format (header-only when the shard owns none, and then
    no sandbox is started), and ``<csv>.shard.json`` beside it records
    ``I/N`` and the whole entry list, for ``grade-merge``.
    """
    from concurrent.futures import ThreadPoolExecutor

    submissions_dir, out_csv = Path(submissions_dir), Path(out_csv)
    limits = limits or Limits()
    checks_dir = find_checks_dir(checks_dir)
    checks = load_checks(checks_dir)
    columns = batch_columns(checks)
    max_score = sum(c.points for c in checks.values())
    entries = batch_entries(submissions_dir)
    if not entries:
        raise ValueError(f"no submissions (directories or .zip files) in {submissions_dir}")
    every_entry = [(path.name, csv_safe(name)) for name, path in entries]
    if shard is not None:
        index, count = shard
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"shard must be I/N with 0 <= I < N, got {index}/{count}")
        entries = [(name, path) for name, path in entries if shard_of(path.name, count) == index]
        if not entries:   # nothing to grade here: a header, and no sandbox started for nothing
            _write_csv(out_csv, columns, [], shard, every_entry, None)
            return []
    probe = Sandbox(sandbox, limits, protected=protected_paths(checks_dir, out_csv), python=worker_python)
    mode = probe.mode
    probe.cleanup()
    if on_mode is not None:
        on_mode(mode)
    results_dir = results_dir_for(out_csv)
    results_dir.mkdir(parents=True, exist_ok=True)
    package_parent = str(package_dir().parent)
    # Leave the grading process time to write its own partial report before it is killed.
    inner_total = max(1.0, min(limits.total_timeout, timeout - max(2.0, 0.1 * timeout)))

    def one(name: str, path: Path) -> dict:
        stem = _report_name(name)
        res, log = results_dir / f"{stem}.json", results_dir / f"{stem}.log"
        res.unlink(missing_ok=True)
        row = {"submission": csv_safe(name), "max_score": max_score, "sandbox": mode}
        started = time.monotonic()
        if path.is_symlink():
            write_results(error_report("Not graded: the submission is a symbolic link, which the grader never "
                                       "follows.", started, status="unreadable", sandbox=mode), res)
            return {**row, "score": 0.0, "status": "refused"}
        cmd = [python or sys.executable, "-m", PACKAGE, "grade",
               *grade_argv(path.absolute(), res.resolve(), checks_dir=checks_dir, sandbox=mode,
                           limits=replace(limits, total_timeout=inner_total), python=worker_python)]
        env = dict(os.environ)
        env["PYTHONPATH"] = package_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        with open(log, "wb") as log_file:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                    env=env, cwd=package_parent, start_new_session=True)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
                rc = None
        status, why, score, scores = _read_report(res, rc, mode, log.name)
        if status in ("timeout", "error"):
            why = why or f"grading timed out after {timeout:g} s"
            write_results(error_report(f"Not graded: {why}.", started, sandbox=mode), res)
            return {**row, "score": 0.0, "status": status}
        per_check = {n: round(scores[n], 4) if n in scores else "" for n in checks}
        return {**row, "score": score, "status": status, **per_check}

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = list(pool.map(lambda e: one(*e), entries))
    _write_csv(out_csv, columns, rows, shard, every_entry, mode)
    return rows


def _write_csv(out_csv: Path, columns, rows: list[dict], shard, every_entry, mode) -> None:
    """grades.csv, atomically; for a shard, then its sidecar (which pins the CSV's sha256)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out_csv, buf.getvalue())
    if shard is not None:
        write_sidecar(out_csv, index=shard[0], count=shard[1], entries=every_entry, columns=columns,
                      csv_text=buf.getvalue(), sandbox=mode)


def results_dir_for(out_csv) -> Path:
    """Where :func:`grade_batch` puts each submission's report and log: ``<csv stem>-results/`` beside the CSV."""
    out_csv = Path(out_csv)
    return out_csv.parent / f"{out_csv.stem}-results"


def _read_report(res: Path, rc: int | None, mode: str, log_name: str) -> tuple[str, str | None, float, dict]:
    """``(status, why, score, {check: score})`` of one grading process: its exit status and its report.

    The status comes from the report's ``extra_data.status`` (what the
    grader decided), checked against the exit status (what the process
    said); anything that does not add up is an ``error``, never ``ok``.
    """
    if rc is None:
        return "timeout", None, 0.0, {}
    if rc not in (STATUS_EXIT["graded"], STATUS_EXIT["unreadable"]):
        return "error", f"the grading process failed (exit status {rc}); see {log_name}", 0.0, {}
    try:
        data = json.loads(res.read_text(encoding="utf-8"))
        extra = data.get("extra_data", {})
        status = _REPORT_STATUS[extra["status"]]
        graded_in = extra.get("sandbox")
        score = round(float(data["score"]), 4)
        scores = {t["name"]: float(t["score"]) for t in data["tests"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "error", f"the grading process wrote no readable report; see {log_name}", 0.0, {}
    if STATUS_EXIT[extra["status"]] != rc:
        why = f"the report says {extra['status']!r} but the process exited with {rc}; see {log_name}"
        return "error", why, 0.0, {}
    if status == "error":
        return "error", f"the grader failed on this submission; see {log_name}", 0.0, {}
    if graded_in != mode:
        return "error", f"graded in sandbox mode {graded_in!r}, not the batch's {mode!r}", 0.0, {}
    return status, None, score, scores
