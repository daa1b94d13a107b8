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
from .grade import _protected_paths
from .report import STATUS_EXIT, error_report, write_results

__all__ = ["grade_batch", "csv_safe", "BATCH_COLUMNS"]

BATCH_COLUMNS = ("submission", "score", "max_score", "status", "sandbox", "results")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading ``= + - @`` would make it a formula (``=2+5``)."""
    text = str(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _batch_entries(directory: Path) -> list[tuple[str, Path]]:
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
                worker_python: str | None = None, on_mode=None) -> list[dict]:
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
    so is written for it and the other submissions go on. Returns the CSV
    rows, which are written atomically, with cells a spreadsheet cannot
    take for formulas.
    """
    from concurrent.futures import ThreadPoolExecutor

    submissions_dir, out_csv = Path(submissions_dir), Path(out_csv)
    limits = limits or Limits()
    checks_dir = find_checks_dir(checks_dir)
    max_score = sum(c.points for c in load_checks(checks_dir).values())
    entries = _batch_entries(submissions_dir)
    if not entries:
        raise ValueError(f"no submissions (directories or .zip files) in {submissions_dir}")
    probe = Sandbox(sandbox, limits, protected=_protected_paths(checks_dir, out_csv), python=worker_python)
    mode = probe.mode
    probe.cleanup()
    if on_mode is not None:
        on_mode(mode)
    results_dir = out_csv.parent / f"{out_csv.stem}-results"
    results_dir.mkdir(parents=True, exist_ok=True)
    package_parent = str(package_dir().parent)
    # Leave the grading process time to write its own partial report before it is killed.
    inner_total = max(1.0, min(limits.total_timeout, timeout - max(2.0, 0.1 * timeout)))

    def one(name: str, path: Path) -> dict:
        stem = _report_name(name)
        res, log = results_dir / f"{stem}.json", results_dir / f"{stem}.log"
        res.unlink(missing_ok=True)
        row = {"submission": csv_safe(name), "max_score": max_score, "sandbox": mode,
               "results": csv_safe(os.path.relpath(res, out_csv.parent))}
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
                status = "ok" if rc in (0, STATUS_EXIT["unreadable"]) else "error"
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
                rc, status = None, "timeout"
        why = None
        if status == "ok":
            try:
                data = json.loads(res.read_text(encoding="utf-8"))
                score = float(data["score"])
                graded_in = data.get("extra_data", {}).get("sandbox")
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                status, why = "error", f"the grading process wrote no readable report; see {log.name}"
            else:
                if graded_in != mode:
                    status, why = "error", f"graded in sandbox mode {graded_in!r}, not the batch's {mode!r}"
        if status != "ok":
            why = why or (f"grading timed out after {timeout:g} s" if status == "timeout"
                          else f"the grading process failed (exit status {rc}); see {log.name}")
            write_results(error_report(f"Not graded: {why}.", started, sandbox=mode), res)
            score = 0.0
        return {**row, "score": round(score, 4), "status": status}

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = list(pool.map(lambda e: one(*e), entries))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=BATCH_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out_csv, buf.getvalue())
    return rows
