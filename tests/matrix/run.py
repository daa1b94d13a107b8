"""``make test-matrix``: the supported range at its two ends, and the student release carried across them.

The ends (each a venv of its own in the checkout, rebuilt when ``pyproject.toml``
or its constraints file changes):

* **oldest**: Python 3.10 with every runtime dependency at exactly its declared
  lower bound, and the kernel stack (``ipython``, ``ipykernel``,
  ``jupyter_client``) and the notebook and test tools at theirs
  (``tests/matrix/oldest.txt``, as scikit-learn's minimum-dependencies job);
* **newest**: Python 3.13 with the newest releases, frozen in
  ``tests/matrix/newest.txt``, which ``make update-newest`` rewrites (commit it
  on its own, so an upstream release never turns CI red without a change here).

Interpreters are found by version (``pyenv versions``, then ``python3.X`` on
``PATH``), never by a path written here. A missing one is said; under CI
(``CI`` set) it fails the run.

At each end: the test subset :data:`TESTS` and the notebooks under nbval in
small mode (the flags of ``make test``). Then the student release is built at
each end and, with the other end's interpreter, its ``make check`` runs with
the reference solution restored and its notebooks run (``release_notebooks.py``):
every public check must pass, and a "was not recorded" (a reference input hashed
differently across versions) fails the run.

``python tests/matrix/run.py update-newest`` resolves ``.[dev]`` on Python 3.13
(``pip install --dry-run --report``) and writes ``newest.txt``.
The summary goes to stdout and to ``tests/matrix/results/matrix.md`` (git-ignored).
It runs in the checkout's ``.venv`` (``make test-matrix``); the ends never import it.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cs231n_cnn.fileio import atomic_write_text

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# What each end runs (besides the notebooks): the library, checks and grader tests, the grader's
# sandbox in the bubblewrap mode only, and the kernel tests of edits reaching a running kernel.
# Left to the main environment (make test and its own CI steps): the rest of tests/functional (the CLI,
# bench, data download, cluster files, shards, README and committed-notebook tests, and test_release.py,
# whose build-check-run the release step below does across versions), the learner walk, the container,
# cluster and browser suites, and lint.
TESTS = [
    "tests/unit",
    "tests/functional/test_grader.py",
    "tests/functional/test_adversarial.py",
    "tests/integration/test_notebook_extension.py",
]
NBVAL = ["--nbval-lax", "--nbval-sanitize-with", "notebooks/nbval_sanitize.cfg", "--nbval-current-env"]
TEST_ENV = {"CS231N_SMALL": "1", "CS231N_STRICT": "1", "CS231N_PROGRESS": "0", "MPLBACKEND": "Agg",
            # The grader's tests in the bubblewrap mode only (test_adversarial.py's parameters).
            "CS231N_SANDBOX_MODES": "bwrap"}
REPORTED = ("numpy", "scipy", "matplotlib", "tqdm", "ipython", "ipykernel", "jupyter-client", "nbval", "pytest")
RESULTS = HERE / "results"


@dataclass(frozen=True)
class End:
    name: str
    version: str            # "3.10": the interpreter is found by this
    constraints: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def _oldest_python() -> str:
    """The lowest Python ``requires-python`` allows (``">=3.10"``: ``"3.10"``); the Gradescope bundle reads it too."""
    found = re.search(r'^requires-python\s*=\s*">=\s*(\d+\.\d+)"', (REPO / "pyproject.toml").read_text(), re.M)
    return found.group(1)


# The newest Python these machines have; newest.txt was resolved on it (its header says so).
NEWEST_PYTHON = "3.13"
ENDS = (End("oldest", _oldest_python(), HERE / "oldest.txt", REPO / ".venv-oldest"),
        End("newest", NEWEST_PYTHON, HERE / "newest.txt", REPO / ".venv-newest"))


class MatrixError(RuntimeError):
    """A step of the matrix failed; ``str()`` says which and why, in one line."""


@dataclass
class Outcome:
    what: str
    ok: bool
    detail: str
    seconds: float
    lines: list[str] = field(default_factory=list)
    skipped: bool = False

    @property
    def status(self) -> str:
        return "FAILED" if not self.ok else "skipped" if self.skipped else "ok"


def say(message: str) -> None:
    print(f"matrix: {message}", flush=True)


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], text=True, **kw)


# --------------------------------------------------------------------------- interpreters and venvs

def _version_of(python: Path) -> str | None:
    try:
        proc = _run([python, "--version"], capture_output=True, timeout=30)
    except OSError:
        return None
    found = re.fullmatch(r"Python (\d+\.\d+\.\d+)\S*", (proc.stdout or proc.stderr).strip())
    return found.group(1) if proc.returncode == 0 and found else None


def find_python(version: str) -> tuple[Path, str] | None:
    """The newest ``version.*`` interpreter pyenv has, else ``python{version}`` on PATH: (path, full version)."""
    candidates: list[Path] = []
    if shutil.which("pyenv"):
        root = _run(["pyenv", "root"], capture_output=True).stdout.strip()
        names = _run(["pyenv", "versions", "--bare"], capture_output=True).stdout.split()
        matching = sorted((n for n in names if re.fullmatch(rf"{re.escape(version)}\.\d+", n)),
                          key=lambda n: [int(x) for x in n.split(".")], reverse=True)
        candidates += [Path(root, "versions", n, "bin", f"python{version}") for n in matching]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    for python in candidates:
        full = _version_of(python)        # a pyenv shim without that version selected fails here
        if full and full.rsplit(".", 1)[0] == version:
            return python, full
    return None


def _stamp(end: End, interpreter: str) -> str:
    digest = hashlib.sha256()
    for part in ((REPO / "pyproject.toml").read_bytes(), end.constraints.read_bytes(), interpreter.encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def ensure_venv(end: End, interpreter: Path, full_version: str) -> None:
    """``end.venv`` with ``.[dev]`` installed under ``end.constraints``; rebuilt from scratch when either changed."""
    stamp_file = end.venv / ".matrix-stamp"
    stamp = _stamp(end, f"{interpreter} {full_version}")
    if stamp_file.is_file() and stamp_file.read_text() == stamp and end.python.exists():
        return
    say(f"{end.name}: creating {end.venv.name} with Python {full_version} ({interpreter}), "
        f"constraints {end.constraints.relative_to(REPO)}")
    shutil.rmtree(end.venv, ignore_errors=True)      # a fresh venv: nothing left over from other versions
    steps = [[interpreter, "-m", "venv", end.venv],
             [end.python, "-m", "pip", "install", "--quiet", "-c", end.constraints, "-e", ".[dev]"],
             [end.python, "-m", "pip", "check"]]
    for cmd in steps:
        proc = _run(cmd, cwd=REPO, capture_output=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
            raise MatrixError(f"{end.name}: `{' '.join(map(str, cmd))}` failed:\n{tail}")
    _check_pins(end)
    stamp_file.write_text(stamp)


def installed(end: End) -> dict[str, str]:
    proc = _run([end.python, "-m", "pip", "list", "--format=json"], capture_output=True, check=True)
    return {_canonical(p["name"]): p["version"] for p in json.loads(proc.stdout)}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(constraints: Path) -> dict[str, str]:
    """``name==version`` lines of a constraints file (comments and blank lines ignored)."""
    found = {}
    for line in constraints.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            if not version:
                raise MatrixError(f"{constraints.name}: {line!r} is not a pin (name==version)")
            found[_canonical(name)] = version.strip()
    return found


def _check_pins(end: End) -> None:
    """Every pin of the constraints file is what got installed (pip ignores a pin of a package nothing needs)."""
    have = installed(end)
    wrong = [f"{name}=={want} (installed: {have.get(name, 'nothing')})"
             for name, want in pins(end.constraints).items() if have.get(name) != want]
    if wrong:
        raise MatrixError(f"{end.name}: pinned but not installed as pinned: {', '.join(wrong)}")


# --------------------------------------------------------------------------- tests and notebooks at one end

def run_tests(end: End, work: Path) -> Outcome:
    """The test subset and the notebooks at ``end``; pytest's output goes to ``results/<end>.log``."""
    junit = work / f"junit-{end.name}.xml"
    log = RESULTS / f"{end.name}.log"
    env = {**os.environ, **TEST_ENV}
    # A temporary directory of its own: the other end's session runs at the same time.
    cmd = [end.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE", f"--junitxml={junit}",
           f"--basetemp={work / ('pytest-' + end.name)}", *TESTS, "notebooks", *NBVAL]
    say(f"{end.name}: {' '.join(map(str, cmd[1:]))} > {log.relative_to(REPO)}")
    start = time.monotonic()
    with open(log, "w") as out:
        proc = _run(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - start
    tests, notebooks = _junit_counts(junit)
    detail = (f"tests {tests['passed']} passed, {tests['failed']} failed, {tests['skipped']} skipped; "
              f"notebooks {notebooks['passed']}/{notebooks['total']} passed ({notebooks['cells']} cells)")
    # pytest's short summary (-rfE): the failures, one line each.
    lines = [x for x in log.read_text().splitlines() if x.startswith(("FAILED", "ERROR"))]
    return Outcome(f"{end.name}: tests and notebooks", proc.returncode == 0, detail, seconds, lines)


def _junit_counts(junit: Path) -> tuple[dict, dict]:
    tests = {"passed": 0, "failed": 0, "skipped": 0}
    by_notebook: dict[str, bool] = {}
    cells = 0
    if not junit.is_file():
        return tests, {"passed": 0, "total": 0, "cells": 0}
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        where = case.get("file") or case.get("classname", "")
        if ".ipynb" in where or ".ipynb" in case.get("name", ""):
            notebook = re.search(r"[\w.-]+\.ipynb", where + " " + case.get("name", "")).group(0)
            by_notebook[notebook] = by_notebook.get(notebook, True) and not failed
            cells += 1
        else:
            tests["failed" if failed else "skipped" if skipped else "passed"] += 1
    return tests, {"passed": sum(by_notebook.values()), "total": len(by_notebook), "cells": cells}


# --------------------------------------------------------------------------- the release across the ends

def build_release(end: End, work: Path) -> Path:
    out = work / f"release-built-on-{end.name}"
    proc = _run([end.python, "-m", "cs231n_cnn", "release", "--out", out], cwd=REPO, capture_output=True)
    if proc.returncode != 0:
        raise MatrixError(f"release built on {end.name} failed:\n{proc.stdout}{proc.stderr}")
    return out


def _solved_copy(release: Path, dest: Path) -> Path:
    """A copy of ``release`` with the repository's reference solution restored (its whole package)."""
    shutil.copytree(release, dest, symlinks=True)
    shutil.rmtree(dest / "cs231n_cnn")
    shutil.copytree(REPO / "cs231n_cnn", dest / "cs231n_cnn",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest


def _stand_in_venv(end: End, where: Path) -> Path:
    """A ``VENV`` for the release's Makefile whose python is ``end``'s and whose install stamp is current.

    The release's ``make check`` would otherwise ``pip install -e`` the release
    into a venv of its own; here its checks run on the other end's interpreter
    and dependencies, as installed by the matrix, importing the release's package
    (``PYTHONPATH``), never the checkout's.
    """
    (where / "bin").mkdir(parents=True)
    python = where / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{end.python}" "$@"\n')
    python.chmod(0o755)
    (where / ".installed-stamp").touch()
    return where


def _release_env(solved: Path) -> dict[str, str]:
    # As a learner's shell has it: none of this run's settings, nor those of the make that started it.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CS231N_", "PYTHON", "JUPYTER", "IPYTHON", "MPL", "PYTEST", "MAKE", "MFLAGS"))}
    env.update(PYTHONPATH=str(solved), MPLBACKEND="Agg", CS231N_SMALL="1", CS231N_PROGRESS="0",
               CS231N_DATA_DIR=str(REPO / "data"), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return env


def check_release(release: Path, built: End, checked: End, work: Path) -> Outcome:
    """The release built at ``built``: ``make check`` (both forms) and its notebooks on ``checked``'s Python."""
    start = time.monotonic()
    tag = f"built on {built.name}, checked on {checked.name}"
    solved = _solved_copy(release, work / f"{built.name}-on-{checked.name}" / "student")
    venv = _stand_in_venv(checked, solved.parent / "venv")
    env = _release_env(solved)
    problems, lines = [], []

    proc = _run(["make", "-s", "-C", solved, "check", f"VENV={venv}"], capture_output=True, env=env, timeout=900)
    out = proc.stdout.strip().splitlines()
    failing = [line for line in out[:-1] if not re.match(r"\[(\d\d|--)\] PASS ", line)]
    summary = out[-1] if out else "(no output)"
    found = re.match(r"(\d+)/(\d+) public checks pass", summary)
    if proc.returncode != 0 or failing or not found or found.group(1) != found.group(2):
        problems.append(f"make check: {summary}")
        lines += failing[:20] + proc.stderr.strip().splitlines()[-10:]
    if "was not recorded" in proc.stdout + proc.stderr:
        problems.append("make check: a public check's inputs were not recorded in the release")
    checks = f"make check {summary}"

    proc = _run(["make", "-s", "-C", solved, "check", "VERBOSE=1", f"VENV={venv}"], capture_output=True, env=env,
                timeout=900)
    pytest_line = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    if proc.returncode != 0 or "was not recorded" in proc.stdout:
        problems.append(f"make check VERBOSE=1: {pytest_line}")
        lines += proc.stdout.strip().splitlines()[-30:]

    report = solved.parent / "notebooks.json"
    proc = _run([checked.python, HERE / "release_notebooks.py", solved, "--report", report],
                capture_output=True, env=env, timeout=1800)
    if proc.returncode != 0:
        problems.append("notebooks: " + (proc.stdout.strip().splitlines() or ["(no output)"])[-1])
        lines += (proc.stdout + proc.stderr).strip().splitlines()[-30:]
    notebooks = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "(no output)"
    detail = f"{checks}; make check VERBOSE=1: {pytest_line}; {notebooks}"
    if problems:
        detail += " -- FAILED: " + "; ".join(problems)
    return Outcome(f"release {tag}", not problems, detail, time.monotonic() - start, lines)


# --------------------------------------------------------------------------- the whole run

def versions_line(end: End, full_version: str) -> str:
    have = installed(end)
    return f"Python {full_version}, " + ", ".join(f"{n} {have[n]}" for n in REPORTED if n in have)


def _both(function, *arguments):
    """``function(*args)`` for each tuple of ``arguments`` at the same time (one core each on 2 cores)."""
    with ThreadPoolExecutor(max_workers=len(arguments) or 1) as pool:
        return list(pool.map(lambda args: function(*args), arguments))


def _report(outcome: Outcome) -> Outcome:
    say(f"{outcome.what}: {outcome.status}: {outcome.detail} ({outcome.seconds:.0f} s)")
    for line in outcome.lines:
        print("    " + line, flush=True)
    return outcome


def run_matrix(ends: list[str], release: bool) -> int:
    """Both ends' tests at once, then both releases, then each checked at the other end at once."""
    chosen = [e for e in ENDS if e.name in ends]
    under_ci = bool(os.environ.get("CI"))
    outcomes: list[Outcome] = []
    found: dict[str, tuple[Path, str]] = {}
    for end in chosen:
        python = find_python(end.version)
        if python is None:
            message = (f"{end.name}: no Python {end.version} here (looked in `pyenv versions` and for "
                       f"python{end.version} on PATH); install it, e.g. `pyenv install {end.version}`")
            outcomes.append(Outcome(end.name, not under_ci, message + (" (CI is set: this fails)" if under_ci
                                                                      else ""), 0.0, skipped=True))
            say(message)
            continue
        found[end.name] = python
    ready = [e for e in chosen if e.name in found]
    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="cs231n-matrix-"))
    header = []
    started = time.monotonic()
    try:
        for end in ready:                    # one pip at a time: they share the download cache
            start = time.monotonic()
            ensure_venv(end, *found[end.name])
            header.append(f"- {end.name}: {versions_line(end, found[end.name][1])} "
                          f"(venv ready in {time.monotonic() - start:.0f} s)")
            say(header[-1][2:])
        outcomes += [_report(o) for o in _both(run_tests, *[(e, work) for e in ready])]
        if release and len(ready) == 2:
            start = time.monotonic()
            built = dict(zip([e.name for e in ready], _both(build_release, *[(e, work) for e in ready])))
            say(f"releases built on {' and '.join(built)} in {time.monotonic() - start:.0f} s")
            pairs = [(built[a.name], a, b, work) for a, b in ((ready[0], ready[1]), (ready[1], ready[0]))]
            outcomes += [_report(o) for o in _both(check_release, *pairs)]
        elif release:
            outcomes.append(Outcome("release across the ends", not under_ci,
                                    "needs both ends (an interpreter is missing, or --end chose one)"
                                    + (" (CI is set: this fails)" if under_ci else ""), 0.0, skipped=True))
    except MatrixError as exc:
        outcomes.append(Outcome("setup", False, str(exc), 0.0))
    finally:
        code = _summarize(header, outcomes, time.monotonic() - started)
        # Tens of thousands of small files (two pytest sessions, four release copies): removed by a process of
        # their own, which the target does not wait for (on a loaded disk that took minutes).
        subprocess.Popen(["rm", "-rf", "--", str(work)], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return code


def _summarize(header: list[str], outcomes: list[Outcome], wall: float) -> int:
    rev = _run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True).stdout.strip() or "?"
    text = [f"# make test-matrix ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"commit {rev})", "", *header, "", "| step | result | s |", "|---|---|---|"]
    text += [f"| {o.what} | {o.status}: {o.detail} | {o.seconds:.0f} |" for o in outcomes]
    text += ["", f"{sum(o.status == 'ok' for o in outcomes)}/{len(outcomes)} steps ok; {wall:.0f} s from start to end "
             "(the two ends run at the same time).", ""]
    RESULTS.mkdir(exist_ok=True)
    atomic_write_text(RESULTS / "matrix.md", "\n".join(text))
    print("\n" + "\n".join(text))
    return 0 if outcomes and all(o.ok for o in outcomes) else 1


# --------------------------------------------------------------------------- make update-newest

def update_newest() -> int:
    end = next(e for e in ENDS if e.name == "newest")
    found = find_python(end.version)
    if found is None:
        say(f"no Python {end.version} here (pyenv versions, python{end.version} on PATH): cannot resolve")
        return 1
    python, full = found
    with tempfile.TemporaryDirectory(prefix="cs231n-newest-") as tmp:
        report = Path(tmp) / "report.json"
        # Resolution only: nothing is installed (--dry-run); --ignore-installed: what the interpreter already has
        # does not count.
        proc = _run([python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                     "--report", report, "-e", ".[dev]"], cwd=REPO, capture_output=True)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr, file=sys.stderr)
            return 1
        resolved = json.loads(report.read_text())["install"]
    lines = sorted(f"{_canonical(item['metadata']['name'])}=={item['metadata']['version']}" for item in resolved
                   if _canonical(item["metadata"]["name"]) != "cs231n-cnn")
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    head = [f"# The newest releases of everything `.[dev]` installs, resolved on Python {full} on {today} by",
            "# `make update-newest` (pip install --dry-run --report). The matrix's newest end installs exactly",
            "# these; refresh them in a commit of their own."]
    atomic_write_text(end.constraints, "\n".join(head + lines) + "\n")
    say(f"wrote {end.constraints.relative_to(REPO)}: {len(lines)} pins, Python {full}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tests/matrix/run.py", description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="test", choices=["test", "update-newest"])
    parser.add_argument("--end", action="append", choices=[e.name for e in ENDS],
                        help="run only this end (repeatable; default: both)")
    parser.add_argument("--no-release", action="store_true", help="leave out the release across the ends")
    args = parser.parse_args(argv)
    if args.command == "update-newest":
        return update_newest()
    return run_matrix(args.end or [e.name for e in ENDS], release=not args.no_release)


if __name__ == "__main__":
    sys.exit(main())
