"""Probe: record the reference results of every public check (``python -m`` this with CHECKS_DIR OUT_NPZ).

Run by :func:`~.references.memoize_references` in a fresh interpreter whose
``cs231n_cnn`` is the repository's solution. It loads the checks at
CHECKS_DIR (the release's, still with the real ``_reference.py``), wraps the
public functions of ``_reference.py`` (read from its source) with a
:class:`~cs231n_cnn.grading.memo.Recorder`, runs each public check in
process (computing the known mistakes of every comparison, passed or not:
:mod:`~cs231n_cnn.grading.mistakes`), saves the recorded results to OUT_NPZ if nothing went wrong, and
prints its report as one line of JSON.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

__all__ = ["record_references", "main"]


def _literal_text(value) -> str | None:
    """``repr(value)`` if it reads back (``ast.literal_eval``) as an equal value of the same type, else None."""
    text = repr(value)
    try:
        copy_ = ast.literal_eval(text)
        return text if type(copy_) is type(value) and bool(copy_ == value) else None
    except Exception:   # noqa: BLE001 - not a literal, or a comparison that is not a bool
        return None


def record_references(checks_dir, out) -> dict:
    """Record the reference results of the public checks at ``checks_dir`` into ``out``; return the report.

    The report is JSON-able: ``problems`` (a check that does not score full
    marks, a call that cannot be recorded, a constant that is not a
    literal), ``calls`` (how many were recorded), ``constants`` (name ->
    repr) and ``package`` (where ``cs231n_cnn`` was imported from).
    """
    import cs231n_cnn

    from .. import InProcessStudent, load_checks, run_check_def
    from ..loader import PRIVATE_PACKAGE
    from ..memo import Recorder
    from ..mistakes import computing_every_variant
    from .layout import REFERENCE
    from .references import reference_api

    functions, constants = reference_api((Path(checks_dir) / Path(REFERENCE).name).read_text(encoding="utf-8"))
    checks = load_checks(checks_dir)
    module = importlib.import_module(f"{PRIVATE_PACKAGE}.{Path(REFERENCE).stem}")
    recorder = Recorder()
    recorder.wrap(module, functions)
    problems = []
    for name, chk in checks.items():
        if chk.hidden:
            continue
        recorder.check = name
        # Every comparison's known mistakes too, so that the release names them as the grader does.
        with computing_every_variant():
            result = run_check_def(chk, InProcessStudent())
        if recorder.errors:
            problems.append(f"cannot record the reference results: {recorder.errors[0]}")
            break
        if not result.passed:
            problems.append(f"public check {name!r} does not score full marks on the repository's solution, so "
                            f"its reference results cannot be recorded: {result.line()}")
    values = {}
    for name in constants:
        value = getattr(module, name)
        text = _literal_text(value)
        if text is None:
            problems.append(f"{REFERENCE}: the constant {name} = {repr(value)[:40]} cannot be copied into the "
                            f"release as a literal (numbers, strings, tuples, lists, dicts)")
        values[name] = text if text is not None else repr(value)
    if not problems:
        recorder.save(out)
    return {"package": cs231n_cnn.__file__, "calls": len(recorder.calls), "problems": problems,
            "constants": values}


def main(argv=None) -> int:
    from .interpreter import print_report

    checks_dir, out = sys.argv[1:] if argv is None else argv
    print_report(record_references(checks_dir, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
