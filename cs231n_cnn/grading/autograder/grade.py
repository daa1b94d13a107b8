"""Grading one submission: every trusted check run against its code in a sandbox, into a report.

:func:`grade` takes a submission (a directory or a zip laid out like the
student release), copies its ``cs231n_cnn`` package into a private staging
directory, and runs every check (public and hidden, loaded from the
grader's own trusted ``checks/``) against it through a
:class:`~..sandbox.SandboxStudent`. The references and the comparisons run
here, in the grader's process, on plain data; only the student's function
calls cross into the sandbox. :func:`grade_to_file` always writes a valid
report, atomically, even when the submission cannot be read or the grader
itself fails.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from pathlib import Path

from ... import __version__
from ...paths import PACKAGE, package_dir
from ..framework import CheckResult, format_points, run_check_def
from ..loader import find_checks_dir, load_checks
from ..sandbox import Limits, Sandbox, SandboxStudent, SandboxUnavailable, SubmissionImportError, clean_text
from .report import build_report, error_report, not_graded, number_checks, quote_log, test_entry, write_results
from .staging import SubmissionError, stage_submission

__all__ = ["grade", "grade_to_file", "PRELOAD", "protected_paths"]

# The submission's modules the checks call into, imported when the worker
# starts: a package that does not import is reported once, clearly.
PRELOAD = ("im2col", "layers", "optim", "models", "solver")


def protected_paths(checks_dir: Path, out) -> list[Path]:
    """The grader's own files: never visible to the student's process."""
    package = package_dir()
    paths = [package, checks_dir]
    if (checks_dir.parent / PACKAGE).is_dir() or (checks_dir.parent / "pyproject.toml").exists():
        paths.append(checks_dir.parent)      # the course repository or the Gradescope source/
    root = package.parent
    if (root / "pyproject.toml").exists() or (root / "checks").is_dir():
        paths.append(root)
    if out is not None:
        paths.append(Path(out).resolve().parent)
    return paths


def grade(submission, *, checks_dir=None, sandbox: str = "auto", limits: Limits | None = None, out=None,
          on_check=None, python: str | None = None) -> dict:
    """Grade ``submission`` (directory or zip); returns the results dict.

    ``checks_dir`` is the trusted checks directory (default: the one next to
    this package). ``sandbox`` is ``auto`` (bubblewrap, else a user id of its
    own in private namespaces, else one in a chroot; never unconfined),
    ``bwrap``, ``user``, ``container`` or ``none`` (unconfined, only when
    asked for). ``out`` is where the report will go (kept out of the
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
    numbered = number_checks(checks)
    box = Sandbox(sandbox, limits, protected=protected_paths(checks_dir, out), python=python)
    header = [f"cs231n_cnn autograder {__version__}",
              f"sandbox: {box.description} (seccomp filter: {box.seccomp}; limits: {limits.describe()})",
              *(clean_text(n, 600) for n in box.notes)]
    student = None

    def report(tests, output, status, elapsed=None):
        return build_report(tests, output, time.monotonic() - started if elapsed is None else elapsed, status=status,
                       sandbox=box.mode, lacks=box.lacks)

    try:
        scratch = Path(tempfile.mkdtemp(prefix="cs231n-submission-"))
        try:
            try:
                notes = stage_submission(submission, box.submission_dir, scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        except SubmissionError as exc:
            return report(*not_graded(numbered, header, f"the submission could not be read: {exc}", "", ""),
                          "unreadable")
        header += [f"note: {clean_text(n, 200)}" for n in notes[:10]]
        student = SandboxStudent(box, preload=PRELOAD)
        try:
            student.start()
        except SubmissionImportError as exc:
            return report(*not_graded(numbered, header, exc.message, exc.details, student.take_log()),
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
        tests = [test_entry(number, chk, *done[i]) for i, (number, chk) in enumerate(numbered)]
        public = [r for r in results if not r.hidden]
        header.append(f"graded {len(results)} checks: public checks {format_points(sum(r.score for r in public))}/"
                      f"{format_points(sum(r.max_score for r in public))} points; {len(results) - len(public)} hidden "
                      f"checks are shown when grades are published")
        if public_restarts:
            header.append(f"the student's process was restarted {public_restarts} time(s) during the public "
                          f"checks after a crash or a timeout (see the checks marked ERR)")
        if import_log:
            header += ["", "While importing the package:", quote_log(import_log)]
        # The report's time is the public checks' time: the hidden ones' would tell how long they took.
        return report(tests, header, "graded", elapsed=public_elapsed)
    finally:
        if student is not None:
            student.close()
        box.cleanup()



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
