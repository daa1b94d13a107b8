"""The student release: solutions stubbed, hidden checks left out, a tree to ``pip install -e``.

:func:`build_release` (``cs231n-cnn release --out DIR``) copies the parts of
the course repository a student needs and rewrites them on the way:

* **Python files** (the library and ``checks/``): each region between
  nbgrader's solution markers (comment lines ``### BEGIN`` and ``### END``,
  each followed by the word ``SOLUTION``; markers included) becomes one
  ``raise NotImplementedError("<function>: implement this in <file> (see
  notebook <notebook>)")`` at the markers' indentation. Each region between
  the hidden-test markers (``### BEGIN`` / ``### END`` followed by
  ``HIDDEN`` and ``TESTS``) is deleted. BEGIN and END must pair up at the
  same indentation, without nesting. (This module never spells a marker out
  in full, so that it can ship in the release it builds.)
* **Notebooks**: a marked region in a code cell becomes nbgrader's stub
  (``# YOUR CODE HERE`` / ``raise NotImplementedError()``) and the cell loses
  its outputs, execution count and source hash. Check cells (cells calling
  ``run_check``) lose their outputs too, so the student sees no PASS lines
  they did not earn. Every other output stays: it is teaching material.
* **Generated**: a student README, a student Makefile (``make lab``, ``make
  check``), ``test_public_checks.py`` (what ``make check`` runs) and a
  manifest, :data:`MANIFEST`.
* **Reference results, not reference code**: ``checks/_reference.py`` holds
  working implementations (loops, ``scipy.signal``, the update rules) that a
  student could copy. The release runs every public check against the
  repository's solution, in a fresh interpreter, with each public function
  of ``_reference.py`` wrapped by a :class:`~.memo.Recorder`, and ships the
  results (``checks/_reference_data.npz``) with a generated
  ``_reference.py`` of the same function names, each a lookup by a hash of
  its arguments (:mod:`.memo`). Public checks can then replay only the
  inputs they were built with; the grader keeps the real references.

Everything is transformed in memory first, so a marker error (unbalanced,
nested, mismatched) names its file and line before anything is written. The
tree is then written to a temporary directory next to ``--out``, verified
(no marker text, no hidden check name anywhere, every ``.py`` compiles, no
line of reference code and no compiled file in ``checks/``, the generated
``_reference.py`` holds lookups only, the recorded data loads without
pickles, the package imports and its checks load with no hidden check among
them, and every public check scores full marks against the repository's
solution by replaying the recorded results alone) and only then renamed into
place.
"""

from __future__ import annotations

import ast
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__

__all__ = [
    "ReleaseError", "MarkerError", "Region", "ReleaseSummary", "find_regions", "release_python",
    "release_notebook", "repo_root", "build_release", "verify_release", "MANIFEST", "FORBIDDEN",
]

PACKAGE = "cs231n_cnn"
# Written into every release: marks a directory that --force may replace.
MANIFEST = ".cs231n-release.json"
# Text that must not survive into a release, whatever file it is in.
SOLUTION, HIDDEN = "SOLUTION", "HIDDEN" + " TESTS"
FORBIDDEN = (f"BEGIN {SOLUTION}", f"END {SOLUTION}", HIDDEN)

DATA_FILES = ("get_datasets.sh", "README.md", ".gitignore")   # data/: the committed files only
LICENSES = ("LICENSE", "LICENSE.txt", "LICENSE.md")
NOTEBOOK_FILES = ("nbval_sanitize.cfg",)
# The reference implementations: replaced in the release by lookups of recorded results. (_helpers.py stays:
# its helpers call the student and unpack results, they compute no reference result.)
REFERENCE = "checks/_reference.py"
REFERENCE_DATA = "checks/_reference_data.npz"
# Code that must not appear in the released _reference.py, whatever its docstrings say. The real guarantee
# is structural (_lookup_only_problems); these catch a reference that slipped through in another form.
REFERENCE_MARKERS = ("signal.", "scipy", "sliding_window_view", "np.", "numpy", "tensordot", "sqrt",
                     "eval_numerical_gradient", "beta1", "decay_rate", "range(")
_IGNORE = ("__pycache__", ".ipynb_checkpoints", ".pytest_cache")   # and *.pyc, *.pyo, *.egg-info


def _ignored(name: str) -> bool:
    return name in _IGNORE or name.endswith((".pyc", ".pyo", ".egg-info"))

_MARKER = re.compile(r"^(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<kind>SOLUTION|HIDDEN[ ]TESTS)(?P<rest>.*?)\s*$")
# A call, not the import of the name: `run_check("x")`, `_ = run_check(name)`.
_RUN_CHECK = re.compile(r"(?<![\w.])run_check\s*\(")

NOTEBOOK_STUB = "# YOUR CODE HERE\nraise NotImplementedError()\n"     # nbgrader's code stub
MARKDOWN_STUB = "YOUR ANSWER HERE\n"                                  # nbgrader's markdown stub

# Notebook prose that speaks about the markers, and what a student reads instead
# (applied to markdown cells only). Anything still mentioning them fails the build.
MARKDOWN_REWRITES = [
    (re.compile(r"between\s+the\s+`### BEGIN[ ]SOLUTION`\s+and\s+`### END[ ]SOLUTION`\s+markers"),
     "in place of its `raise NotImplementedError(...)` line"),
    (re.compile(r"above\s+the\s+markers"), "above that line"),
]

CHECKS_DOCSTRING = '''"""Graded check definitions, loaded by ``cs231n_cnn.grading`` (not an installed package).

One module per topic. The checks compare with independent reference
implementations, which are not part of this release: ``_reference.py``
replays their results, recorded on the public checks' inputs when the release
was built (``_reference_data.npz``), so a check whose inputs are changed
cannot run. These are the public checks: the grader runs them, with the real
references, and hidden checks that are not part of this release.
"""'''


class ReleaseError(ValueError):
    """The release cannot be built; the message is one line for the user."""


class MarkerError(ReleaseError):
    """Solution or hidden-test markers that do not pair up; names the file and line."""


@dataclass(frozen=True)
class Region:
    """A marked region: lines ``begin`` to ``end`` (0-based, both marker lines included)."""

    kind: str
    begin: int
    end: int
    indent: str


# ---------------------------------------------------------------------------- markers

def find_regions(lines: list[str], where, marker_lines=None) -> list[Region]:
    """The marked regions of ``lines``, in order; raises :class:`MarkerError`.

    ``where(i)`` names line ``i`` (0-based) in messages, e.g. ``"conv.py:12"``.
    ``marker_lines``, if given, is the set of line indices on which a marker
    may stand (the comment lines of a Python file): a marker anywhere else is
    inside a string and is an error rather than silently ignored.
    """
    regions: list[Region] = []
    opened = None                      # (kind, line index, indent) of the open BEGIN
    for i, line in enumerate(lines):
        m = _MARKER.match(line.rstrip("\r\n"))
        if not m:
            continue
        edge, kind, indent = m["edge"], m["kind"], m["indent"]
        text = f"### {edge} {kind}"
        if marker_lines is not None and i not in marker_lines:
            raise MarkerError(f"{where(i)}: {text} inside a string; markers must be comment lines")
        if m["rest"]:
            raise MarkerError(f"{where(i)}: unexpected text after {text}: {line.strip()!r}")
        if edge == "BEGIN":
            if opened is not None:
                raise MarkerError(f"{where(i)}: {text} nested inside ### BEGIN {opened[0]} "
                                  f"opened at {where(opened[1])}")
            opened = (kind, i, indent)
            continue
        if opened is None:
            raise MarkerError(f"{where(i)}: {text} without a matching ### BEGIN {kind}")
        if opened[0] != kind:
            raise MarkerError(f"{where(i)}: {text} closes ### BEGIN {opened[0]} opened at {where(opened[1])}")
        if opened[2] != indent:
            raise MarkerError(f"{where(i)}: {text} is indented {len(indent)} columns but its BEGIN at "
                              f"{where(opened[1])} is indented {len(opened[2])}; they must match")
        regions.append(Region(kind, opened[1], i, indent))
        opened = None
    if opened is not None:
        raise MarkerError(f"{where(opened[1])}: ### BEGIN {opened[0]} is never closed by ### END {opened[0]}")
    return regions


def _replace(lines: list[str], regions: list[Region], stub) -> str:
    """``lines`` with each region replaced by ``stub(region)`` (text, possibly empty)."""
    out, prev = [], 0
    for r in regions:
        out.extend(lines[prev:r.begin])
        text = stub(r)
        if text and not lines[r.end].endswith("\n"):
            text = text.rstrip("\n")    # the END line was the last line: keep "no final newline"
        out.append(text)
        prev = r.end + 1
    out.extend(lines[prev:])
    return "".join(out)


# ---------------------------------------------------------------------------- Python files

def _comment_lines(source: str, relpath: str) -> set[int]:
    """0-based indices of lines that begin with a comment (after indentation)."""
    found = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and not tok.line[:tok.start[1]].strip():
                found.add(tok.start[0] - 1)
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ReleaseError(f"{relpath}: cannot be tokenized ({exc})") from None
    return found


def _scopes(tree: ast.AST) -> list[tuple[int, int, str, str]]:
    """(first line, last line, qualified name, kind) of every def and class."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                kind = "class" if isinstance(child, ast.ClassDef) else "function"
                found.append((child.lineno, child.end_lineno, name, kind))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _enclosing(scopes, line: int) -> str | None:
    """The innermost function (else class) around 1-based ``line``."""
    inside = [s for s in scopes if s[0] <= line <= s[1]]
    functions = [s for s in inside if s[3] == "function"] or inside
    return max(functions, key=lambda s: s[0])[2] if functions else None


def release_python(source: str, relpath: str, notebook_for=None) -> tuple[str, list[str]]:
    """Stub the solution regions and delete the hidden-test regions of one Python file.

    Returns the new source and the qualified names of the stubbed functions.
    ``notebook_for(function_name)`` names the notebook that teaches it (or
    None). Raises :class:`MarkerError`, or :class:`ReleaseError` if the result
    would not compile.
    """
    lines = source.splitlines(keepends=True)
    if not any(_MARKER.match(line.rstrip("\r\n")) for line in lines):
        return source, []
    regions = find_regions(lines, lambda i: f"{relpath}:{i + 1}", _comment_lines(source, relpath))
    try:
        scopes = _scopes(ast.parse(source, relpath))
    except SyntaxError as exc:
        raise ReleaseError(f"{relpath}:{exc.lineno}: not valid Python ({exc.msg})") from None
    module = relpath[:-3].replace("/", ".").removesuffix(".__init__")
    stubbed: list[str] = []

    def stub(r: Region) -> str:
        if r.kind == HIDDEN:
            return ""
        name = _enclosing(scopes, r.begin + 1) or module
        notebook = notebook_for(name.rsplit(".", 1)[-1]) if notebook_for else None
        message = f"{name}: implement this in {relpath}" + (f" (see notebook {notebook})" if notebook else "")
        stubbed.append(name)
        return f"{r.indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)})\n"

    new = _replace(lines, regions, stub)
    try:
        compile(new, relpath, "exec")
    except SyntaxError as exc:
        raise ReleaseError(f"{relpath}:{exc.lineno}: the released file would not be valid Python ({exc.msg}); "
                           f"a marked region must not be the whole body of a block") from None
    return new, stubbed


def _replace_docstring(source: str, docstring: str) -> str:
    """``source`` with its module docstring replaced (or added)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    first = tree.body[0] if tree.body else None
    if first is not None and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        return "".join(lines[:first.lineno - 1]) + docstring + "\n" + "".join(lines[first.end_lineno:])
    return docstring + "\n" + source


# ---------------------------------------------------------------------------- notebooks

def _source(cell) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def _set_source(cell, text: str) -> None:
    # nbformat stores source as a list of lines on disk; keep whichever form the cell had.
    cell["source"] = text if isinstance(cell.get("source"), str) else text.splitlines(keepends=True)


def _clear_outputs(cell) -> None:
    cell["outputs"] = []
    cell["execution_count"] = None
    cell.get("metadata", {}).pop("execution", None)     # timings of the run whose outputs are gone


@dataclass
class NotebookReport:
    stubbed_cells: list[int] = field(default_factory=list)
    cleared_check_cells: list[int] = field(default_factory=list)
    hidden_regions: int = 0


def release_notebook(nb: dict, relpath: str) -> tuple[dict, NotebookReport]:
    """A student copy of the notebook dict ``nb`` (as read by ``json``); ``nb`` is not modified."""
    nb = copy.deepcopy(nb)
    report = NotebookReport()
    for index, cell in enumerate(nb.get("cells", [])):
        kind = cell.get("cell_type")
        text = _source(cell)
        lines = text.splitlines(keepends=True)
        regions = find_regions(lines, lambda i, c=index: f"{relpath}: cell {c}, line {i + 1}")
        report.hidden_regions += sum(r.kind == HIDDEN for r in regions)
        if kind == "code":
            if regions:
                stub_text = lambda r: "" if r.kind == HIDDEN else "".join(   # noqa: E731
                    r.indent + line for line in NOTEBOOK_STUB.splitlines(keepends=True))
                _set_source(cell, _replace(lines, regions, stub_text))
                _clear_outputs(cell)
                cell.get("metadata", {}).pop("cs231n", None)     # its source hash no longer matches
                if any(r.kind == SOLUTION for r in regions):
                    report.stubbed_cells.append(index)
            elif _RUN_CHECK.search(text):
                _clear_outputs(cell)
                report.cleared_check_cells.append(index)
        else:
            if regions:
                text = _replace(lines, regions, lambda r: "" if r.kind == HIDDEN else r.indent + MARKDOWN_STUB)
                if any(r.kind == SOLUTION for r in regions):
                    report.stubbed_cells.append(index)
            if kind == "markdown":
                for pattern, replacement in MARKDOWN_REWRITES:
                    text = pattern.sub(replacement, text)
            if text != _source(cell):
                _set_source(cell, text)
    return nb, report


def _dump_notebook(nb: dict) -> str:
    # What nbformat.write produces, so a released notebook diffs cleanly against the original.
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _functions_checked(checks_dir: Path) -> dict[str, set[str]]:
    """Check name -> short names of the library functions it calls (``t.call("layers.relu_forward")``)."""
    found: dict[str, set[str]] = {}
    for path in sorted(checks_dir.glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue                       # reported when the file itself is released
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "check" and deco.args \
                        and isinstance(deco.args[0], ast.Constant) and isinstance(deco.args[0].value, str):
                    found[deco.args[0].value] = {
                        c.value.rsplit(".", 1)[-1] for c in ast.walk(node)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                        and re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", c.value)}
    return found


def _notebook_finder(notebooks: dict[str, dict], checks_dir: Path):
    """``find(function_name)``: the notebook that teaches a library function, or None.

    From the notebooks' check cells and what each check calls: first the
    notebook running the function's own check (``conv_forward_fast``, or
    ``avg_pool`` for ``avg_pool_forward``), else the one running the most
    checks that call it, else the earliest notebook that mentions its name
    (a function is taught where it first appears). Ties go to the earlier
    notebook.
    """
    calls = _functions_checked(checks_dir)
    texts, runs = {}, {}
    for nb_name, nb in sorted(notebooks.items()):
        cells = nb.get("cells", [])
        texts[nb_name] = "\n".join(_source(c) for c in cells)
        runs[nb_name] = set()
        for cell in cells:
            src = _source(cell)
            if cell.get("cell_type") == "code" and _RUN_CHECK.search(src):
                runs[nb_name] |= {w for w in re.findall(r"[\"'](\w+)[\"']", src) if w in calls}

    def find(name: str) -> str | None:
        own = [nb for nb, checks in runs.items()
               if any(name in calls[c] and (name == c or name.startswith(c + "_")) for c in checks)]
        if own:
            return own[0]
        counts = [(sum(name in calls[c] for c in checks), -i, nb) for i, (nb, checks) in enumerate(runs.items())]
        best = max(counts, default=(0, 0, None))
        if best[0]:
            return best[2]
        pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
        return next((nb for nb, text in texts.items() if pattern.search(text)), None)
    return find


# ---------------------------------------------------------------------------- generated files

def _student_readme(by_notebook: dict[str, list[str]], n_public: int) -> str:
    rows = "\n".join(f"| {f'`notebooks/{nb}`' if nb else '(no notebook)'} | {', '.join(f'`{f}`' for f in funcs)} |"
                     for nb, funcs in sorted(by_notebook.items(), key=lambda item: item[0] or "~"))
    return f"""# cs231n_cnn: convolutional networks in NumPy (student release)

Teaching notebooks about ConvNets (after the CS231n course notes) and the
NumPy library you complete while working through them.

## Setup

```sh
make lab                    # creates .venv, installs this package, opens JupyterLab on notebooks/
```

or by hand (Python >= 3.10):

```sh
python3 -m venv .venv && . .venv/bin/activate
pip install -e '.[dev]'     # `pip install -e .` is enough for the library and the checks
jupyter lab --notebook-dir=notebooks
```

The install is editable (`-e`): the notebooks import the code you edit in
`cs231n_cnn/`. Restart the notebook kernel after changing a library file.
CIFAR-10 (needed by some notebooks): `make data`, or see `data/README.md`.

## What you implement

Each function you write currently raises `NotImplementedError` with a message
naming the function and the notebook that explains it. The input validation
above that line is already written: replace the `raise` line with your code,
keeping the names the lines after it return. Some notebook cells contain
`# YOUR CODE HERE` / `raise NotImplementedError()`: replace those two lines.

| Notebook | Library functions to implement |
|---|---|
{rows}

## Checks

A check cell such as `run_check("conv_forward_naive")` compares your function
with an independent reference on fixed and random inputs (numerical gradients
for backward passes) and prints one line: `PASS conv_forward_naive 4/4`, or
`FAIL conv_forward_naive: <what went wrong> (1/4)`. Parts score separately
(e.g. `dx` right, `dw` wrong), so partial credit is possible;
`run_check("conv_forward_naive", verbose=True)` shows every part. Check cells
start without output: run them once your code is in place.

The reference implementations are not part of this release: the checks
replay their results, recorded for each check's inputs when the release was
built (`checks/_reference_data.npz`). The inputs come from a fixed seed per
check, so they are the same every time you run it; a check whose inputs have
been edited stops with "was not recorded".

`make check` runs all {n_public} public checks at once (`python -m pytest
test_public_checks.py -k conv` runs a subset).

## Grading

The grader runs the same public checks **and hidden checks** that are not part
of this release (other shapes and edge cases) on your submitted code, in a
separate process with time and memory limits. Passing every public check is
necessary, not sufficient: write code that is correct in general, not code
that fits the public inputs. Keep function names and signatures as they are,
and do not edit `checks/`: the grader uses its own copy, with the real
reference implementations.
"""


STUDENT_MAKEFILE = """\
# cs231n_cnn (student release): everything runs inside ./.venv, created on first use.
#   make lab     set up .venv and open JupyterLab on notebooks/
#   make check   run every public check against your code (test_public_checks.py)
#   make data    download CIFAR-10 into data/

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: help venv lab check data clean

help:
\t@echo "make lab     set up .venv and open JupyterLab on notebooks/"
\t@echo "make check   run every public check against your code"
\t@echo "make data    download CIFAR-10 into data/"
\t@echo "make clean   remove .venv and caches"

# Re-install whenever the dependency list changes.
$(STAMP): pyproject.toml
\t@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \\
\t\t{ echo "error: cs231n_cnn needs Python >= 3.10 (found $$($(PYTHON) --version 2>&1)); set PYTHON=python3.x"; exit 1; }
\t@test -x $(PY) || $(PYTHON) -m venv $(VENV) || \\
\t\t{ echo "error: could not create $(VENV); on Debian/Ubuntu install the python3-venv package"; exit 1; }
\t$(PY) -m pip install --quiet --upgrade pip
\t$(PY) -m pip install --quiet -e '.[dev]'
\t@touch $@

venv: $(STAMP)

lab: $(STAMP)
\t$(VENV)/bin/jupyter lab --notebook-dir=notebooks

check: $(STAMP)
\tMPLBACKEND=Agg $(PY) -m pytest -q test_public_checks.py

data: $(STAMP)
\t$(PY) -m cs231n_cnn data download --dest data

clean:
\trm -rf $(VENV) .pytest_cache build *.egg-info
"""

PUBLIC_CHECKS_TEST = '''"""Every public check as one test: ``make check``.

``python -m pytest test_public_checks.py -k NAME`` runs some of them; the
notebooks' check cells run the same checks one at a time.
"""

import pytest

from cs231n_cnn.grading import load_checks, run_checks

PUBLIC = [name for name, chk in load_checks().items() if not chk.hidden]


@pytest.mark.parametrize("name", PUBLIC)
def test_check(name):
    (result,) = run_checks([name])
    assert result.passed, result.report()
'''

STUDENT_GITIGNORE = """\
.venv/
__pycache__/
*.egg-info/
build/
.pytest_cache/
.ipynb_checkpoints/
"""


# ---------------------------------------------------------------------------- building

@dataclass
class ReleaseSummary:
    """What :func:`build_release` did."""

    out: Path
    files: int
    stubbed_functions: list[str]          # "path/to/file.py:qualified.name"
    stubbed_cells: list[str]
    cleared_check_cells: int
    hidden_regions: int
    hidden_checks: list[str]
    public_checks: list[str]
    reference_calls: int = 0              # reference results recorded for the public checks

    def report(self) -> str:
        modules = len({f.split(":")[0] for f in self.stubbed_functions})
        return (f"student release written to {self.out}: {self.files} files; "
                f"{len(self.stubbed_functions)} functions stubbed in {modules} modules, "
                f"{len(self.stubbed_cells)} notebook cells stubbed, {self.cleared_check_cells} check cells cleared; "
                f"{len(self.public_checks)} public checks kept, {len(self.hidden_checks)} hidden checks "
                f"({self.hidden_regions} marked regions) left out; {self.reference_calls} reference results "
                f"recorded in {REFERENCE_DATA} instead of the reference code")


def repo_root(repo=None) -> Path:
    """The course repository: ``repo``, or the checkout this package is installed from."""
    root = Path(repo).resolve() if repo is not None else Path(__file__).resolve().parents[2]
    missing = [p for p in ("pyproject.toml", PACKAGE, "checks", "notebooks") if not (root / p).exists()]
    if missing:
        raise ReleaseError(f"{root} is not a checkout of the course repository (no {', '.join(missing)}); "
                           f"run the release from a checkout installed with `pip install -e`, or pass --repo")
    if (root / MANIFEST).exists():
        raise ReleaseError(f"{root} is itself a student release; build releases from the course repository")
    return root


def _check_out_dir(out: Path, root: Path, force: bool) -> None:
    if root.is_relative_to(out):
        raise ReleaseError(f"--out {out} contains the repository {root}; choose another directory")
    for src in (root / d for d in (PACKAGE, "checks", "notebooks", "data")):
        if out.is_relative_to(src):
            raise ReleaseError(f"--out {out} is inside the repository's {src.name}/, which the release copies; "
                               f"choose another directory")
    if not out.exists():
        return
    if not out.is_dir():
        raise ReleaseError(f"--out {out} exists and is not a directory")
    if any(out.iterdir()):
        if not force:
            raise ReleaseError(f"--out {out} exists and is not empty; pass --force to replace it")
        if not (out / MANIFEST).is_file():
            raise ReleaseError(f"refusing to replace {out}: it is not a student release (no {MANIFEST}); "
                               f"remove it yourself or choose another --out")


def _hidden_and_public(checks_dir: Path) -> tuple[list[str], list[str]]:
    from .loader import load_checks

    checks = load_checks(checks_dir)
    return ([n for n, c in checks.items() if c.hidden], [n for n, c in checks.items() if not c.hidden])


def _plan(root: Path) -> tuple[dict[str, bytes | Path], dict]:
    """Every file of the release: relative path -> new content (bytes) or the source file to copy."""
    files: dict[str, bytes | Path] = {}
    stats = {"stubbed_functions": [], "stubbed_cells": [], "cleared": 0, "hidden_regions": 0,
             "by_notebook": {}}

    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    raw_nbs = {}
    for path in notebooks:
        try:
            raw_nbs[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ReleaseError(f"notebooks/{path.name}: not a valid notebook ({exc})") from None
    finder = _notebook_finder(raw_nbs, root / "checks")

    def python(path: Path, rel: str) -> None:
        source = path.read_text(encoding="utf-8")
        new, stubbed = release_python(source, rel, finder)
        stats["hidden_regions"] += sum(1 for line in source.splitlines()
                                       if (m := _MARKER.match(line)) and m["edge"] == "BEGIN" and m["kind"] == HIDDEN)
        if rel == "checks/__init__.py":
            new = _replace_docstring(new, CHECKS_DOCSTRING)
        for name in stubbed:
            stats["stubbed_functions"].append(f"{rel}:{name}")
            stats["by_notebook"].setdefault(finder(name.rsplit(".", 1)[-1]) or "", []).append(name)
        files[rel] = new.encode("utf-8") if new != source else path

    for path in sorted((root / PACKAGE).rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(_ignored(part) for part in rel.parts):
            continue
        if path.suffix == ".py":
            python(path, rel.as_posix())
        else:
            files[rel.as_posix()] = path

    for path in sorted((root / "checks").iterdir()):
        if path.name == "__pycache__":
            continue
        if path.suffix != ".py" or not path.is_file():
            raise ReleaseError(f"checks/{path.name}: only .py files can be published from checks/ "
                               f"(a data file could belong to a hidden check); move it or teach the release tool")
        python(path, f"checks/{path.name}")

    for path in notebooks:
        nb, report = release_notebook(raw_nbs[path.name], f"notebooks/{path.name}")
        files[f"notebooks/{path.name}"] = _dump_notebook(nb).encode("utf-8")
        stats["stubbed_cells"] += [f"notebooks/{path.name}: cell {i}" for i in report.stubbed_cells]
        stats["cleared"] += len(report.cleared_check_cells)
        stats["hidden_regions"] += report.hidden_regions
    for name in NOTEBOOK_FILES:
        if (root / "notebooks" / name).is_file():
            files[f"notebooks/{name}"] = root / "notebooks" / name
    for name in DATA_FILES:
        if (root / "data" / name).is_file():
            files[f"data/{name}"] = root / "data" / name
    for name in ("pyproject.toml", *LICENSES):
        if (root / name).is_file():
            files[name] = root / name
    return files, stats


def _write(tree: Path, files: dict[str, bytes | Path]) -> None:
    for rel, content in files.items():
        dest = tree / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy2(content, dest)
        else:
            dest.write_bytes(content)


# ---------------------------------------------------------------------------- memoized references

GENERATED_REFERENCE = '''"""Recorded reference results of the public checks (generated by ``cs231n-cnn release``).

The course repository computes these results with independent implementations,
which are not part of this release. This module ships only their results on
the public checks' inputs, recorded when the release was built and stored in
``_reference_data.npz`` next to it: each function below looks its result up
by a hash of its arguments (``cs231n_cnn.grading.memo``). So a public check
runs only with the inputs it was built with; change them and its reference
results are missing. Do not edit: the grader uses its own copy of the checks.
"""

from pathlib import Path

from cs231n_cnn.grading.memo import Replay

_replay = Replay(Path(__file__).with_name("_reference_data.npz"))
{constants}{functions}'''

GENERATED_LOOKUP = '''

@_replay.reference
def {name}(*args, **kwargs):
    """The recorded result of the reference ``{name}``."""
    return _replay({quoted}, args, kwargs)
'''


def _reference_api(source: str, relpath: str) -> tuple[list[str], list[str]]:
    """The public functions and the public constants that ``source`` defines at its top level."""
    functions, constants = [], []
    for node in ast.parse(source, relpath).body:
        if isinstance(node, ast.FunctionDef):
            if not node.name.startswith("_"):
                functions.append(node.name)
        elif isinstance(node, (ast.AsyncFunctionDef, ast.ClassDef)):
            if not node.name.startswith("_"):
                raise ReleaseError(f"{relpath}:{node.lineno}: {node.name} is not a function; the release replaces "
                                   f"the reference module's functions by lookups of their recorded results and "
                                   f"copies its constants, nothing else (make it private or a function)")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                constants += [n.id for n in ast.walk(target) if isinstance(n, ast.Name) and not n.id.startswith("_")]
    return functions, [c for c in dict.fromkeys(constants) if c not in functions]


def _generated_reference(functions: list[str], constants: dict[str, str]) -> str:
    consts = "".join(f"{name} = {text}\n" for name, text in constants.items())
    return GENERATED_REFERENCE.format(
        constants="\n" + consts if consts else "",
        functions="".join(GENERATED_LOOKUP.format(name=name, quoted=json.dumps(name)) for name in functions))


def _lookup_only_problems(source: str) -> list[str]:
    """Why the released ``_reference.py`` is not made of lookups only (empty if it is)."""
    def problem(node, why):
        return f"{REFERENCE}:{node.lineno}: {why}, not a lookup of a recorded result"

    def is_name(node, name):
        return isinstance(node, ast.Name) and node.id == name

    def is_docstring(node):
        return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)

    def is_lookup(node: ast.FunctionDef) -> bool:
        a, deco = node.args, node.decorator_list
        body = node.body[1:] if node.body and is_docstring(node.body[0]) else node.body
        ret = body[0].value if len(body) == 1 and isinstance(body[0], ast.Return) else None
        return (len(deco) == 1 and isinstance(deco[0], ast.Attribute) and is_name(deco[0].value, "_replay")
                and deco[0].attr == "reference"
                and not (a.posonlyargs or a.args or a.kwonlyargs or a.defaults)
                and getattr(a.vararg, "arg", None) == "args" and getattr(a.kwarg, "arg", None) == "kwargs"
                and isinstance(ret, ast.Call) and is_name(ret.func, "_replay") and not ret.keywords
                and len(ret.args) == 3 and isinstance(ret.args[0], ast.Constant) and ret.args[0].value == node.name
                and is_name(ret.args[1], "args") and is_name(ret.args[2], "kwargs"))

    problems = []
    for i, node in enumerate(ast.parse(source).body):
        if (i == 0 and is_docstring(node)) or (isinstance(node, ast.ImportFrom) and node.module in
                                              ("__future__", "pathlib", "cs231n_cnn.grading.memo")):
            continue
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id == "_replay" and isinstance(node.value, ast.Call) \
                    and is_name(node.value.func, "Replay"):
                continue
            try:
                ast.literal_eval(node.value)
            except ValueError:
                problems.append(problem(node, f"{node.targets[0].id} is computed"))
            continue
        if isinstance(node, ast.FunctionDef):
            if not is_lookup(node):
                problems.append(problem(node, f"function {node.name} computes something"))
            continue
        problems.append(problem(node, f"a {type(node).__name__} statement"))
    return problems


def _reference_code_lines(source: str) -> set[str]:
    """The substantial lines of the reference functions' bodies (no docstrings, no comments)."""
    lines = source.splitlines()
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        for stmt in body:
            found |= {s for s in (line.strip() for line in lines[stmt.lineno - 1:stmt.end_lineno])
                      if len(s) >= 20 and not s.startswith("#")}
    return found


def _record_references(checks_dir: str, out: str, functions: list[str], constants: list[str]) -> dict:
    """Record the reference results of every public check into ``out`` (run by :func:`build_release`).

    Runs in a fresh interpreter whose ``cs231n_cnn`` is the repository's
    solution: loads the checks at ``checks_dir`` (the release's, still with
    the real ``_reference.py``), wraps its public ``functions`` with a
    :class:`~.memo.Recorder` and runs each public check in process. Returns
    a JSON-able report: problems (a check that does not score full marks, a
    call that cannot be recorded), the number of calls, the constants' reprs.
    """
    import importlib

    import cs231n_cnn

    from .framework import run_check_def
    from .loader import PRIVATE_PACKAGE, load_checks
    from .memo import Recorder
    from .student import InProcessStudent

    checks = load_checks(checks_dir)
    module = importlib.import_module(f"{PRIVATE_PACKAGE}._reference")
    recorder = Recorder()
    recorder.wrap(module, functions)
    problems = []
    for name, chk in checks.items():
        if chk.hidden:
            continue
        recorder.check = name
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
        text = repr(value)
        try:
            copy_ = ast.literal_eval(text)
            literal = type(copy_) is type(value) and bool(copy_ == value)
        except Exception:   # noqa: BLE001 - not a literal, or a comparison that is not a bool
            literal = False
        if not literal:
            problems.append(f"{REFERENCE}: the constant {name} = {text[:40]} cannot be copied into the release "
                            f"as a literal (numbers, strings, tuples, lists, dicts)")
        values[name] = text
    if not problems:
        recorder.save(out)
    return {"package": cs231n_cnn.__file__, "calls": len(recorder.calls), "problems": problems,
            "constants": values}


def _nudged_student():
    """The solution, with every float it returns moved by one unit in the last place.

    Replaying against it finds checks whose reference inputs depend on what
    the student returned, or on which parts failed (the nudge fails parts
    compared exactly): such a check would miss its recorded results for
    every student whose results differ from the solution's.
    """
    from .student import InProcessStudent

    class NudgedStudent(InProcessStudent):
        def _run(self, fn, args, kwargs, label):
            return _nudge(super()._run(fn, args, kwargs, label))

        def get_attr(self, handle, attr):
            return _nudge(super().get_attr(handle, attr))

    return NudgedStudent()


def _nudge(value):
    import math

    import numpy as np

    if type(value) is np.ndarray and value.dtype.kind == "f":
        return np.where(value != 0, np.nextafter(value, value.dtype.type(np.inf)), value)
    if type(value) is float:
        return math.nextafter(value, math.inf) if value else value
    if type(value) is tuple:
        return tuple(_nudge(v) for v in value)
    if type(value) is dict:
        return {k: _nudge(v) for k, v in value.items()}
    return value


def _replay_probe(checks_dir: str) -> dict:
    """Replay the public checks at ``checks_dir`` against this interpreter's solution (run by :func:`verify_release`).

    Runs in a fresh interpreter whose ``cs231n_cnn`` is the repository's:
    once with the solution (every check must pass, every lookup hit) and
    once with :func:`_nudged_student` (every lookup must still hit).
    """
    import importlib

    import cs231n_cnn

    from .framework import run_check_def
    from .loader import PRIVATE_PACKAGE, load_checks
    from .student import InProcessStudent

    checks = load_checks(checks_dir)
    replay = importlib.import_module(f"{PRIVATE_PACKAGE}._reference")._replay
    report = {"package": cs231n_cnn.__file__}
    for label, student in (("solution", InProcessStudent), ("nudged", _nudged_student)):
        report[label] = {}
        for name, chk in checks.items():
            seen = len(replay.misses)
            result = run_check_def(chk, student())
            report[label][name] = {"passed": result.passed, "line": result.line(), "misses": replay.misses[seen:]}
    return report


def _python(code: str, args, pythonpath: Path, cwd: Path, hash_seed: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter that imports ``cs231n_cnn`` from ``pythonpath``.

    It never writes bytecode: a ``__pycache__`` in the tree would ship, and
    one next to the real ``_reference.py`` would ship the reference code.
    Each caller passes its own hash seed, so a check whose inputs depend on
    the iteration order of a set of strings shows up as a missed lookup.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("CS231N_CHECKS_DIR", "PYTHONHOME", "PYTHONPATH")}
    env.update(PYTHONPATH=str(pythonpath), OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               PYTHONHASHSEED=hash_seed)
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _last_line(text: str, default: str = "no output") -> str:
    return (text.strip().splitlines() or [default])[-1]


_RECORD = """
import json, sys
from cs231n_cnn.grading.release import _record_references
print(json.dumps(_record_references(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]))))
"""


def _memoize_references(tree: Path, root: Path, source: str) -> dict:
    """Record the reference results into ``tree``, then replace its ``_reference.py`` by lookups.

    ``source`` is the released text of the real ``_reference.py`` (in
    ``tree`` until this returns). Returns what the manifest says about it.
    """
    functions, constants = _reference_api(source, REFERENCE)
    proc = _python(_RECORD, [tree / "checks", tree / REFERENCE_DATA, json.dumps(functions), json.dumps(constants)],
                   pythonpath=root, cwd=root, hash_seed="1")
    shutil.rmtree(tree / "checks" / "__pycache__", ignore_errors=True)
    if proc.returncode != 0:
        raise ReleaseError(f"recording the reference results of the public checks failed: {_last_line(proc.stderr)}")
    report = json.loads(_last_line(proc.stdout, "{}"))
    if not Path(report["package"]).resolve().is_relative_to(root):
        raise ReleaseError(f"recording ran the solution from {report['package']}, not from {root}")
    if report["problems"]:
        more = f" (and {len(report['problems']) - 3} more)" if len(report["problems"]) > 3 else ""
        raise ReleaseError("; ".join(report["problems"][:3]) + more)
    (tree / REFERENCE).write_text(_generated_reference(functions, report["constants"]), encoding="utf-8")
    return {"file": REFERENCE_DATA, "functions": functions, "recorded_calls": report["calls"]}


_IMPORT_PROBE = """
import importlib, json, sys
from pathlib import Path
root = Path(sys.argv[1]).resolve()
import cs231n_cnn
if not Path(cs231n_cnn.__file__).resolve().is_relative_to(root):
    sys.exit(f"imported cs231n_cnn from {cs231n_cnn.__file__}, not from the release")
for name in sys.argv[2:]:
    importlib.import_module(name)
from cs231n_cnn.grading import InProcessStudent, load_checks, run_check_def
checks = load_checks(root / "checks")
# The untouched release: its stubs fail, and every reference lookup its checks still make must hit.
misses = {}
replay = getattr(sys.modules.get("_cs231n_checks._reference"), "_replay", None)
if replay is not None:
    for name, chk in checks.items():
        seen = len(replay.misses)
        run_check_def(chk, InProcessStudent())
        if replay.misses[seen:]:
            misses[name] = replay.misses[seen:]
print(json.dumps({"hidden": {name: chk.hidden for name, chk in checks.items()}, "misses": misses}))
"""

_REPLAY_PROBE = """
import json, sys
from cs231n_cnn.grading.release import _replay_probe
print(json.dumps(_replay_probe(sys.argv[1])))
"""


def _static_reference_problems(tree: Path, reference_source: str) -> list[str]:
    """What leaks or is broken in the release's replayed references (no interpreter needed)."""
    import numpy as np

    from .memo import FORMAT, INDEX

    path = tree / REFERENCE
    if not path.is_file():
        return [f"{REFERENCE} is missing"]
    text = path.read_text(encoding="utf-8")
    problems = _lookup_only_problems(text)
    problems += [f"{REFERENCE} contains reference code ({m!r})" for m in REFERENCE_MARKERS if m in text]
    code_lines = _reference_code_lines(reference_source)
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
    unknown = sorted({c["function"] for c in index.get("calls", {}).values()} - set(_reference_api(text, REFERENCE)[0]))
    if unknown:
        problems.append(f"{REFERENCE_DATA} records functions {unknown} that {REFERENCE} does not define")
    if not kinds <= set("biufc"):
        problems.append(f"{REFERENCE_DATA} has non-numeric members")
    return problems


def verify_release(tree: Path, hidden: list[str], public: list[str], modules=(), import_check: bool = True, *,
                   reference_source: str | None = None, solution: Path | None = None) -> None:
    """Raise :class:`ReleaseError` if the release at ``tree`` leaks anything or does not work.

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
    (:func:`_nudged_student`).
    """
    problems = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        rel = path.relative_to(tree).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace")
        problems += [f"{rel} contains {s!r}" for s in FORBIDDEN if s in text]
        problems += [f"{rel} names the hidden check {name!r}" for name in hidden if name in text]
        if any(_ignored(part) for part in path.relative_to(tree).parts):
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
    if reference_source is not None:
        problems += _static_reference_problems(tree, reference_source)
    if not problems and import_check:
        jobs = {"import": lambda: _python(_IMPORT_PROBE, [tree, *modules], pythonpath=tree, cwd=tree, hash_seed="2")}
        if solution is not None and reference_source is not None:
            jobs["replay"] = lambda: _python(_REPLAY_PROBE, [tree / "checks"], pythonpath=solution, cwd=solution,
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


def _import_problems(proc: subprocess.CompletedProcess, public: list[str]) -> list[str]:
    if proc.returncode != 0:
        return [f"the released package does not import or its checks do not load: {_last_line(proc.stderr)}"]
    report = json.loads(_last_line(proc.stdout))
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
        return [f"replaying the public checks against the repository's solution failed: {_last_line(proc.stderr)}"]
    report = json.loads(_last_line(proc.stdout))
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


def build_release(out, *, repo=None, force: bool = False, import_check: bool = True) -> ReleaseSummary:
    """Build the student release of ``repo`` (default: this checkout) at ``out``.

    ``out`` must not exist, be empty, or (with ``force``) be an earlier
    release, which is then replaced. Nothing is written until every file has
    been transformed. The tree is built in a temporary directory next to
    ``out``; its reference results are recorded by running the public checks
    against the repository's solution (always: the release's checks cannot
    run without them); it is verified (``import_check=False`` skips the
    checks that start interpreters) and renamed into place. Raises
    :class:`ReleaseError` (including :class:`MarkerError`) with a one-line
    message.
    """
    root = repo_root(repo)
    out = Path(out).absolute()
    out = out.parent.resolve() / out.name
    _check_out_dir(out, root, force)

    files, stats = _plan(root)                       # marker errors surface here, before any write
    hidden, public = _hidden_and_public(root / "checks")
    files["README.md"] = _student_readme(stats["by_notebook"], len(public)).encode("utf-8")
    files["Makefile"] = STUDENT_MAKEFILE.encode("utf-8")
    files["test_public_checks.py"] = PUBLIC_CHECKS_TEST.encode("utf-8")
    files[".gitignore"] = STUDENT_GITIGNORE.encode("utf-8")
    reference = files.get(REFERENCE)
    reference_source = None
    if reference is not None:
        reference_source = (reference.read_bytes() if isinstance(reference, Path) else reference).decode("utf-8")

    stubbed_modules = sorted({f.split(":")[0][:-3].replace("/", ".").removesuffix(".__init__")
                              for f in stats["stubbed_functions"] if f.startswith(PACKAGE + "/")})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        _write(tmp, files)
        memo = _memoize_references(tmp, root, reference_source) if reference_source is not None else None
        if memo is not None:
            files[REFERENCE_DATA] = tmp / REFERENCE_DATA
        files[MANIFEST] = (json.dumps({
            "tool": "cs231n-cnn release", "version": __version__,
            "stubbed_functions": stats["stubbed_functions"], "stubbed_cells": stats["stubbed_cells"],
            "public_checks": public, "hidden_checks_left_out": len(hidden), "reference_results": memo,
        }, indent=1) + "\n").encode("utf-8")
        (tmp / MANIFEST).write_bytes(files[MANIFEST])
        verify_release(tmp, hidden, public, stubbed_modules, import_check=import_check,
                       reference_source=reference_source, solution=root)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ReleaseSummary(out, len(files), stats["stubbed_functions"], stats["stubbed_cells"], stats["cleared"],
                          stats["hidden_regions"], hidden, public, memo["recorded_calls"] if memo else 0)


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is moved aside first and deleted only after."""
    if out.exists() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
