"""Grading one submission: a Gradescope ``results.json`` from untrusted code.

:func:`grade` takes a submission (a directory or a zip laid out like the
student release), copies its ``cs231n_cnn`` package into a private staging
directory, and runs every check (public and hidden, loaded from the
grader's own trusted ``checks/``) against it through a
:class:`~.sandbox.SandboxStudent`. The references and the comparisons run
here, in the grader's process, on plain data; only the student's function
calls cross into the sandbox. :func:`grade_to_file` always writes a valid
report, atomically, even when the submission cannot be read or the grader
itself fails.

The report follows the Gradescope autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level
``score``, ``execution_time``, ``output``, ``stdout_visibility`` and one
entry per check in ``tests``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path, PurePosixPath

from .. import __version__
from .framework import Check, CheckResult, run_check_def
from .loader import find_checks_dir, load_checks
from .sandbox import (ISOLATING, Limits, Sandbox, SandboxStudent, SandboxUnavailable, SubmissionImportError,
                      clean_text)

__all__ = ["grade", "grade_to_file", "grade_batch", "write_results", "error_report", "SubmissionError",
           "stage_submission", "extract_zip", "find_package_root", "PRELOAD", "PACKAGE"]

PACKAGE = "cs231n_cnn"
# The submission's modules the checks call into, imported when the worker
# starts: a package that does not import is reported once, clearly.
PRELOAD = ("im2col", "layers", "optim", "models", "solver")
MAX_SUBMISSION_BYTES = 100 * 2**20
MAX_SUBMISSION_FILES = 5000
_SKIP = ("__pycache__", "__MACOSX", ".ipynb_checkpoints", ".git")
LOG_HEADER = "--- printed by the submission's code (untrusted text, truncated) ---"
LOG_FOOTER = "--- end of the submission's output ---"


class SubmissionError(Exception):
    """The submission cannot be graded as it is (not a zip, no package, too large...)."""


# --------------------------------------------------------------------------- the submission's files

def extract_zip(path: Path, dest: Path, *, max_bytes: int = MAX_SUBMISSION_BYTES,
                max_files: int = MAX_SUBMISSION_FILES) -> list[str]:
    """Extract a zip safely into ``dest``; returns notes on entries that were skipped.

    Absolute paths and ``..`` are refused (the whole zip), links are
    skipped, and the number of files and the bytes actually written are
    capped (declared sizes can lie).
    """
    notes = []
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"the submission is not a readable zip file ({exc})") from None
    written = files = 0
    with zf:
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
                raise SubmissionError(f"the zip holds an unsafe path {clean_text(name, 100)!r}")
            if not parts or parts[0] in _SKIP or any(p in _SKIP for p in parts):
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                notes.append(f"skipped the link {clean_text(name, 200)}")
                continue
            target = dest.joinpath(*parts)
            files += 1          # directories too: each is an inode and a mkdir
            if files > max_files:
                raise SubmissionError(f"the zip holds more than {max_files} files and folders")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    while True:
                        chunk = src.read(2**20)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > max_bytes:
                            raise SubmissionError(f"the zip unpacks to more than {max_bytes // 2**20} MiB")
                        dst.write(chunk)
            except (OSError, ValueError, zipfile.BadZipFile, NotImplementedError) as exc:  # bad names, CRCs, methods
                raise SubmissionError(f"cannot extract {clean_text(name, 100)!r} from the zip ({exc})") from None
    return notes


def find_package_root(tree: Path, max_depth: int = 2) -> Path:
    """The directory holding ``cs231n_cnn/__init__.py``: ``tree`` itself or a folder up to ``max_depth`` below."""
    found = []
    level = [tree]
    for _ in range(max_depth + 1):
        found = [d for d in level if (d / PACKAGE / "__init__.py").is_file()
                 and not (d / PACKAGE).is_symlink()]
        if found:
            break
        nxt = []
        for d in level:
            try:
                nxt += sorted(c for c in d.iterdir()
                              if c.is_dir() and not c.is_symlink() and c.name not in _SKIP
                              and not c.name.startswith(".") and c.name != PACKAGE)
            except OSError:
                continue
        level = nxt[:200]
    if not found:
        raise SubmissionError(f"no {PACKAGE} package found in the submission (expected {PACKAGE}/__init__.py "
                              f"at its top level, as in the release)")
    if len(found) > 1:
        raise SubmissionError("the submission holds several cs231n_cnn packages: "
                              + ", ".join(str(f.relative_to(tree)) for f in found[:3]))
    return found[0]


def _copy_package(src: Path, dest: Path) -> list[str]:
    """Copy the package tree without links, bytecode or caches, within the size caps."""
    notes, total, count = [], 0, 0
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        dirnames[:] = [d for d in dirnames if d not in _SKIP]
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                notes.append(f"skipped the link {PACKAGE}/{rel / d}")
                dirnames.remove(d)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for f in filenames:
            path = Path(dirpath, f)
            if f.endswith((".pyc", ".pyo")):
                continue
            if path.is_symlink() or not path.is_file():
                notes.append(f"skipped the link or special file {PACKAGE}/{rel / f}")
                continue
            count += 1
            total += path.stat().st_size
            if count > MAX_SUBMISSION_FILES or total > MAX_SUBMISSION_BYTES:
                raise SubmissionError(f"the {PACKAGE} package is larger than {MAX_SUBMISSION_FILES} files or "
                                      f"{MAX_SUBMISSION_BYTES // 2**20} MiB")
            shutil.copyfile(path, dest / rel / f)
    return notes


def _starts_like_a_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


def stage_submission(submission, dest: Path, scratch: Path) -> list[str]:
    """Copy the submission's package to ``dest/cs231n_cnn``; ``scratch`` receives an unpacked zip.

    Returns notes for the report; raises SubmissionError.
    """
    submission = Path(submission)
    if not submission.exists():
        raise SubmissionError(f"the submission {submission} does not exist")
    notes = []
    if submission.is_dir():
        tree = submission
    elif submission.suffix.lower() == ".zip" or _starts_like_a_zip(submission) or zipfile.is_zipfile(submission):
        tree = scratch / "unpacked"
        tree.mkdir()
        notes += extract_zip(submission, tree)      # a damaged zip says so here
    else:
        raise SubmissionError(f"the submission must be a directory or a .zip file, got {submission.name}")
    root = find_package_root(tree)
    notes += _copy_package(root / PACKAGE, dest / PACKAGE)
    return notes


# --------------------------------------------------------------------------- the report

def _protected_paths(checks_dir: Path, out) -> list[Path]:
    """The grader's own files: never visible to the student's process."""
    package = Path(__file__).resolve().parents[1]
    paths = [package, checks_dir]
    if (checks_dir.parent / PACKAGE).is_dir() or (checks_dir.parent / "pyproject.toml").exists():
        paths.append(checks_dir.parent)      # the course repository or the Gradescope source/
    root = package.parent
    if (root / "pyproject.toml").exists() or (root / "checks").is_dir():
        paths.append(root)
    if out is not None:
        paths.append(Path(out).resolve().parent)
    return paths


def _module_tag(chk: Check) -> str:
    return chk.module.rsplit(".", 1)[-1]


def _numbered(checks: list[Check]) -> list[tuple[str, Check]]:
    """Gradescope numbers: ``module.check``, modules in the order their checks were loaded."""
    modules: dict[str, int] = {}
    counts: dict[str, int] = {}
    out = []
    for chk in checks:
        tag = _module_tag(chk)
        modules.setdefault(tag, len(modules) + 1)
        counts[tag] = counts.get(tag, 0) + 1
        out.append((f"{modules[tag]}.{counts[tag]}", chk))
    return out


def _quote_log(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    return "\n".join([LOG_HEADER, *("| " + line for line in lines), LOG_FOOTER])


def _test_entry(number: str, chk: Check, result: CheckResult, log: str = "") -> dict:
    output = result.report()
    if chk.description:
        output = f"{chk.description}\n{output}"
    if log:
        output += "\n\n" + _quote_log(log)
    return {
        "name": chk.name,
        "number": number,
        "score": round(float(result.score), 4),
        "max_score": chk.points,
        "status": "passed" if result.passed else "failed",
        "output": output,
        "tags": [_module_tag(chk)],
        "visibility": chk.visibility,
    }


def _report(tests: list[dict], output: list[str], elapsed: float, *, status: str, sandbox: str | None) -> dict:
    """The Gradescope report. ``extra_data`` says how it was graded, for scripts (``grade-batch``)."""
    return {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": max(0, round(elapsed)),
        "output": "\n".join(output).rstrip() + "\n",
        "output_format": "text",
        "test_output_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"status": status, "sandbox": sandbox, "isolated": sandbox in ISOLATING,
                       "grader_version": __version__},
    }


# What ``extra_data.status`` holds, and the exit status of ``cs231n-cnn grade`` for it.
STATUS_EXIT = {"graded": 0, "not_importable": 0, "unreadable": 1, "grader_error": 3}


def error_report(message: str, started: float | None = None, tests: list[dict] | None = None, *,
                 status: str = "grader_error", sandbox: str | None = None) -> dict:
    """A valid report for a submission (or a grader run) that could not be graded."""
    started = time.monotonic() if started is None else started
    return _report(tests or [], [f"cs231n_cnn autograder {__version__}", message], time.monotonic() - started,
                   status=status, sandbox=sandbox)


def grade(submission, *, checks_dir=None, sandbox: str = "auto", limits: Limits | None = None, out=None,
          on_check=None, python: str | None = None) -> dict:
    """Grade ``submission`` (directory or zip); returns the results dict.

    ``checks_dir`` is the trusted checks directory (default: the one next to
    this package). ``sandbox`` is ``auto`` (bubblewrap, else a user id of its
    own; never unconfined), ``bwrap``, ``user`` or ``none`` (unconfined, only
    when asked for). ``out`` is where the report will go (kept out of the
    sandbox's view). ``on_check(result)`` is called after each check.
    ``python`` is the interpreter for the student's process (default: this
    one; it needs numpy and scipy). Problems with the submission become a
    report; a failure of the grader's own setup (no checks, no usable
    sandbox) raises.

    Nothing the visible part of the report says depends on the hidden
    checks: they run last, and the header's time and restart count stop
    where they begin.
    """
    started = time.monotonic()
    limits = limits or Limits()
    checks_dir = find_checks_dir(checks_dir)
    checks = list(load_checks(checks_dir).values())
    numbered = _numbered(checks)
    box = Sandbox(sandbox, limits, protected=_protected_paths(checks_dir, out), python=python)
    header = [f"cs231n_cnn autograder {__version__}",
              f"sandbox: {box.description} (seccomp filter: {box.seccomp}; limits: {limits.describe()})",
              *(clean_text(n, 300) for n in box.notes)]
    student = None

    def report(tests, output, status, elapsed=None):
        return _report(tests, output, time.monotonic() - started if elapsed is None else elapsed, status=status,
                       sandbox=box.mode)

    try:
        scratch = Path(tempfile.mkdtemp(prefix="cs231n-submission-"))
        try:
            try:
                notes = stage_submission(submission, box.submission_dir, scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        except SubmissionError as exc:
            return report(*_not_graded(numbered, header, f"the submission could not be read: {exc}", "", ""),
                          "unreadable")
        header += [f"note: {clean_text(n, 200)}" for n in notes[:10]]
        student = SandboxStudent(box, preload=PRELOAD)
        try:
            student.start()
        except SubmissionImportError as exc:
            return report(*_not_graded(numbered, header, exc.message, exc.details, student.take_log()),
                          "not_importable")
        import_log = student.take_log()
        # Hidden checks run last: whatever the student's code keeps from their
        # inputs can then only be printed into their own (after_published) output.
        order = [i for i, (_, c) in enumerate(numbered) if not c.hidden] + \
                [i for i, (_, c) in enumerate(numbered) if c.hidden]
        done: dict[int, tuple[CheckResult, str]] = {}
        public_elapsed, public_restarts = None, None
        for i in order:
            chk = numbered[i][1]
            if chk.hidden and public_elapsed is None:
                public_elapsed, public_restarts = time.monotonic() - started, student.starts - 1
            if student.time_left() <= 0:
                result = CheckResult(chk.name, 0.0, chk.points, chk.hidden,
                                     error=f"not run: the submission's time limit of {limits.total_timeout:g} s "
                                           f"was used up")
                log = ""
            else:
                student.begin_check(chk.name)
                result = run_check_def(chk, student)
                log = student.take_log()
            done[i] = (result, log)
            if on_check is not None:
                on_check(result)
        if public_elapsed is None:
            public_elapsed, public_restarts = time.monotonic() - started, student.starts - 1
        results = [done[i][0] for i in range(len(numbered))]
        tests = [_test_entry(number, chk, *done[i]) for i, (number, chk) in enumerate(numbered)]
        public = [r for r in results if not r.hidden]
        header.append(f"graded {len(results)} checks: public checks {_fmt(sum(r.score for r in public))}/"
                      f"{_fmt(sum(r.max_score for r in public))} points; {len(results) - len(public)} hidden "
                      f"checks are shown when grades are published")
        if public_restarts:
            header.append(f"the student's process was restarted {public_restarts} time(s) during the public "
                          f"checks after a crash or a timeout (see the checks marked ERR)")
        if import_log:
            header += ["", "While importing the package:", _quote_log(import_log)]
        # The report's time is the public checks' time: the hidden ones' would tell how long they took.
        return report(tests, header, "graded", elapsed=public_elapsed)
    finally:
        if student is not None:
            student.close()
        box.cleanup()


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def _not_graded(numbered, header: list[str], reason: str, details: str, log: str) -> tuple[list[dict], list[str]]:
    """Every check scores 0 with the reason; the details and the import-time output go in the report."""
    short = clean_text(reason, 300)
    tests = []
    for number, chk in numbered:
        result = CheckResult(chk.name, 0.0, chk.points, chk.hidden, error=f"not graded: {short}")
        tests.append(_test_entry(number, chk, result))
    out = [*header, "", f"NOT GRADED, every check scores 0: {short}"]
    if details.strip():
        # Quoted line by line: a file name in the traceback may hold a newline and a fake score.
        details = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "?", details)
        out += ["", "Traceback (through the submission's files):",
                *("  | " + line for line in details.rstrip().split("\n"))]
    if log:
        out += ["", _quote_log(log)]
    return tests, out


def write_results(results: dict, out) -> None:
    """Write ``results`` to ``out`` atomically (temporary file in the same directory, then rename)."""
    _atomic_text(Path(out), json.dumps(results, indent=1, ensure_ascii=False) + "\n")


def _atomic_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def grade_to_file(submission, out, **kwargs) -> dict:
    """Grade and write the report; any failure of the grader itself still writes a (score 0) report.

    ``extra_data.status`` of the result says which: ``graded``,
    ``not_importable``, ``unreadable`` or ``grader_error`` (no sandbox
    could start, or the grader failed); :data:`STATUS_EXIT` maps it to the
    command's exit status.
    """
    started = time.monotonic()
    try:
        results = grade(submission, out=out, **kwargs)
    except SandboxUnavailable as exc:
        results = error_report(f"NOT GRADED: the grader could not start a sandbox for the submission's code: {exc}. "
                               f"This is a problem with the autograder, not with the submission.", started)
    except Exception as exc:  # noqa: BLE001 - the report must be written whatever happened
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:]
        results = error_report("The grader itself failed (this is not a problem with the submission; please "
                               "tell the course staff):\n" + tb, started)
    write_results(results, out)
    return results


# --------------------------------------------------------------------------- many submissions

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
    package_parent = str(Path(__file__).resolve().parents[2])
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
        cmd = [python or sys.executable, "-m", PACKAGE, "grade", str(path.absolute()), "--out", str(res.resolve()),
               "--checks", str(checks_dir), "--sandbox", mode, "--timeout-per-check", str(limits.check_timeout),
               "--memory-mb", str(limits.memory_mb), "--total-timeout", str(inner_total)]
        if worker_python:
            cmd += ["--python", worker_python]
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
    _atomic_text(out_csv, buf.getvalue())
    return rows
