"""The Gradescope ``results.json``: one entry per check, the header, and the report written atomically.

The report follows the Gradescope autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level
``score``, ``execution_time``, ``output``, ``stdout_visibility`` and one
entry per check in ``tests``; ``extra_data`` says how it was graded.
"""

from __future__ import annotations

import json
import time

from ... import __version__
from ...fileio import atomic_write_text
from ..framework import Check, CheckResult
from ..sandbox import ISOLATING
from ..sandbox.text import clean_text, scrub

__all__ = ["LOG_HEADER", "LOG_FOOTER", "STATUS_EXIT", "error_report", "write_results",
           # for grade.py: the report's parts
           "number_checks", "quote_log", "test_entry", "build_report", "not_graded"]

LOG_HEADER = "--- printed by the submission's code (untrusted text, truncated) ---"
LOG_FOOTER = "--- end of the submission's output ---"


def _module_tag(chk: Check) -> str:
    return chk.module.rsplit(".", 1)[-1]


def number_checks(checks: list[Check]) -> list[tuple[str, Check]]:
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


def quote_log(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    return "\n".join([LOG_HEADER, *("| " + line for line in lines), LOG_FOOTER])


def test_entry(number: str, chk: Check, result: CheckResult, log: str = "") -> dict:
    output = result.report()
    if chk.description:
        output = f"{chk.description}\n{output}"
    if log:
        output += "\n\n" + quote_log(log)
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


def build_report(tests: list[dict], output: list[str], elapsed: float, *, status: str, sandbox: str | None,
            lacks: str = "") -> dict:
    """The Gradescope report. ``extra_data`` says how it was graded, for scripts (``grade-batch``):
    ``sandbox`` the mode, ``sandbox_lacks`` what it lacks next to bubblewrap ("" for nothing)."""
    return {
        "score": round(sum(t["score"] for t in tests), 4),
        "execution_time": max(0, round(elapsed)),
        "output": "\n".join(output).rstrip() + "\n",
        "output_format": "text",
        "test_output_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"status": status, "sandbox": sandbox, "isolated": sandbox in ISOLATING,
                       "sandbox_lacks": lacks,
                       "grader_version": __version__},
    }


# What ``extra_data.status`` holds, and the exit status of ``cs231n-cnn grade`` for it.
STATUS_EXIT = {"graded": 0, "not_importable": 0, "unreadable": 1, "grader_error": 3}


def error_report(message: str, started: float | None = None, tests: list[dict] | None = None, *,
                 status: str = "grader_error", sandbox: str | None = None) -> dict:
    """A valid report for a submission (or a grader run) that could not be graded."""
    started = time.monotonic() if started is None else started
    return build_report(tests or [], [f"cs231n_cnn autograder {__version__}", message], time.monotonic() - started,
                   status=status, sandbox=sandbox)



def not_graded(numbered, header: list[str], reason: str, details: str, log: str) -> tuple[list[dict], list[str]]:
    """Every check scores 0 with the reason; the details and the import-time output go in the report."""
    short = clean_text(reason, 300)
    tests = []
    for number, chk in numbered:
        result = CheckResult(chk.name, 0.0, chk.points, chk.hidden, error=f"not graded: {short}")
        tests.append(test_entry(number, chk, result))
    out = [*header, "", f"NOT GRADED, every check scores 0: {short}"]
    if details.strip():
        # Quoted line by line: a file name in the traceback may hold a newline and a fake score.
        details = scrub(details)
        out += ["", "Traceback (through the submission's files):",
                *("  | " + line for line in details.rstrip().split("\n"))]
    if log:
        out += ["", quote_log(log)]
    return tests, out


def write_results(results: dict, out) -> None:
    """Write ``results`` to ``out`` atomically (temporary file in the same directory, then rename)."""
    atomic_write_text(out, json.dumps(results, indent=1, ensure_ascii=False) + "\n")
