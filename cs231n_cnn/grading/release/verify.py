"""Verification of a built release tree: nothing leaks, everything compiles, and the tree works.

Checks every file for marker text and hidden check names, compiles every
``.py``, parses every notebook, refuses compiled files, checks that the
released ``_reference.py`` holds lookups only and its data loads without
pickles, then (in fresh interpreters, :mod:`.probe_import` and
:mod:`.probe_replay`) that the package imports, its checks load with no
hidden check among them, and every public check scores full marks against
the repository's solution by replaying the recorded results alone.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .errors import ReleaseError
from .interpreter import last_line, report_of, run_probe
from .layout import REFERENCE, REFERENCE_DATA, ignored
from .markers import FORBIDDEN
from .references import leaked_reference_text, lookup_only_problems, reference_api, reference_code_lines

__all__ = ["verify_release"]


def _file_problems(tree: Path, hidden: list[str]) -> list[str]:
    problems = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        rel = path.relative_to(tree).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace")
        problems += [f"{rel} contains {s!r}" for s in FORBIDDEN if s in text]
        problems += [f"{rel} names the hidden check {name!r}" for name in hidden if name in text]
        if any(ignored(part) for part in path.relative_to(tree).parts):
            problems.append(f"{rel} is a compiled or generated file")
        if path.suffix == ".py":
            try:
                compile(text, rel, "exec")
            except SyntaxError as exc:
                problems.append(f"{rel}:{exc.lineno}: does not compile ({exc.msg})")
        elif path.suffix == ".ipynb":
            try:
                nb = json.loads(text)
                if nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
                    raise ValueError("not an nbformat 4 notebook")
            except ValueError as exc:
                problems.append(f"{rel}: invalid notebook ({exc})")
    return problems


def _static_reference_problems(tree: Path, reference_source: str) -> list[str]:
    """What leaks or is broken in the release's replayed references (no interpreter needed)."""
    import numpy as np

    from ..memo import FORMAT, INDEX

    path = tree / REFERENCE
    if not path.is_file():
        return [f"{REFERENCE} is missing"]
    text = path.read_text(encoding="utf-8")
    problems = lookup_only_problems(text)
    problems += [f"{REFERENCE} contains reference code ({m!r})" for m in leaked_reference_text(text, reference_source)]
    code_lines = reference_code_lines(reference_source)
    for other in sorted(p for p in (tree / "checks").rglob("*") if p.is_file() and p.suffix != ".npz"):
        other_text = other.read_bytes().decode("utf-8", errors="replace")
        problems += [f"{other.relative_to(tree).as_posix()} contains the reference code line {line!r}"
                     for line in sorted(code_lines) if line in other_text]
    try:
        with np.load(tree / REFERENCE_DATA, allow_pickle=False) as data:
            index = json.loads(data[INDEX].tobytes().decode("utf-8"))
            kinds = {data[k].dtype.kind for k in data.files}
    except Exception as exc:   # noqa: BLE001 - any failure to load is the problem to report
        return problems + [f"{REFERENCE_DATA} does not load with allow_pickle=False ({type(exc).__name__}: {exc})"]
    if index.get("format") != FORMAT:
        problems.append(f"{REFERENCE_DATA} has format {index.get('format')!r}, expected {FORMAT!r}")
    unknown = sorted({c["function"] for c in index.get("calls", {}).values()} - set(reference_api(text)[0]))
    if unknown:
        problems.append(f"{REFERENCE_DATA} records functions {unknown} that {REFERENCE} does not define")
    if not kinds <= set("biufc"):
        problems.append(f"{REFERENCE_DATA} has non-numeric members")
    return problems


def _import_problems(proc: subprocess.CompletedProcess, public: list[str]) -> list[str]:
    if proc.returncode != 0:
        return [f"the released package does not import or its checks do not load: {last_line(proc.stderr)}"]
    report = report_of(proc)
    problems = []
    still_hidden = sorted(n for n, is_hidden in report["hidden"].items() if is_hidden)
    if still_hidden:
        problems.append(f"the released checks still define hidden checks: {still_hidden}")
    if sorted(report["hidden"]) != sorted(public):
        problems.append(f"the released checks are {sorted(report['hidden'])}, expected the public ones "
                        f"{sorted(public)}")
    problems += [f"public check {name!r} misses the recorded results of ref.{', ref.'.join(sorted(set(missed)))} "
                 f"against the release's stubs: its reference inputs depend on the student's results"
                 for name, missed in report["misses"].items()]
    return problems


def _replay_problems(proc: subprocess.CompletedProcess, solution: Path) -> list[str]:
    if proc.returncode != 0:
        return [f"replaying the public checks against the repository's solution failed: {last_line(proc.stderr)}"]
    report = report_of(proc)
    if not Path(report["package"]).resolve().is_relative_to(solution):
        return [f"replaying ran the solution from {report['package']}, not from {solution}"]
    problems = []
    for name, run in report["solution"].items():
        if run["misses"]:
            problems.append(f"public check {name!r} misses the recorded results of "
                            f"ref.{', ref.'.join(sorted(set(run['misses'])))} in a second run of the same solution: "
                            f"its inputs are not determined by its seed (draw them from t.rng; no set order, "
                            f"time or global state)")
        elif not run["passed"]:
            problems.append(f"public check {name!r} fails against the repository's solution when replaying the "
                            f"recorded references: {run['line']}")
    for name, run in report["nudged"].items():
        if run["misses"] and not report["solution"][name]["misses"]:
            problems.append(f"public check {name!r} misses the recorded results of "
                            f"ref.{', ref.'.join(sorted(set(run['misses'])))} when the student's results differ "
                            f"slightly from the solution's: compute every reference input from t.rng, before "
                            f"calling the student, never from the student's results")
    return problems


def verify_release(tree: Path, hidden: list[str], public: list[str], modules=(), import_check: bool = True, *,
                   reference_source: str | None = None, solution: Path | None = None) -> None:
    """Raise :class:`~.errors.ReleaseError` if the release at ``tree`` leaks anything or does not work.

    Checks every file for marker text and hidden check names, compiles every
    ``.py``, parses every notebook, and refuses compiled files (a
    ``__pycache__`` could hold the real references). With
    ``reference_source`` (the real ``_reference.py``), the released one must
    be lookups only, no line of the reference code may appear in
    ``checks/``, and the recorded data must load without pickles. With
    ``import_check``, in fresh interpreters: the package and ``modules``
    import from ``tree`` and its checks load (exactly the ``public`` ones)
    and, run against its stubs, never miss a recorded result; and with
    ``solution`` (the repository) too, every public check of ``tree`` scores
    full marks against the solution by replaying alone, and never misses a
    recorded result when the solution's results are nudged
    (:func:`.probe_replay.nudged_student`).
    """
    problems = _file_problems(tree, hidden)
    if reference_source is not None:
        problems += _static_reference_problems(tree, reference_source)
    if not problems and import_check:
        jobs = {"import": lambda: run_probe("probe_import", [tree, *modules], pythonpath=tree, cwd=tree,
                                            hash_seed="2")}
        if solution is not None and reference_source is not None:
            jobs["replay"] = lambda: run_probe("probe_replay", [tree / "checks"], pythonpath=solution, cwd=solution,
                                               hash_seed="3")
        with ThreadPoolExecutor(len(jobs)) as pool:      # independent interpreters: use both cores
            futures = {name: pool.submit(job) for name, job in jobs.items()}
        procs = {name: future.result() for name, future in futures.items()}
        problems += _import_problems(procs["import"], public)
        if "replay" in procs:
            problems += _replay_problems(procs["replay"], solution)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ReleaseError("the release failed verification: " + "; ".join(problems[:5]) + more)
