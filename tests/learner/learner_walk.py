"""A learner's walk through the student notebooks: one kernel per notebook, library files edited as asked.

For each notebook in order, one kernel receives the notebook's own code cells
and nothing else. When a markdown cell asks for functions (see
:mod:`learner_prose`), their reference bodies are written into the release's
library files (:mod:`library_edits`) before the walk goes on; a "Your turn"
cell is sent as the repository has it (the learner's answer). Edits persist
from one notebook to the next, as they do in a learner's copy.

Three edits are made the hard way, because they are the ones a reloading
mechanism gets wrong (see :class:`Walker`):

* ``conv_forward_naive`` (notebook 02): its check runs on the stub (FAIL), then
  on a wrong body of exactly the right body's size (FAIL), then the right body
  is saved within the same second as the wrong one (same size, same whole
  second of mtime: Python's bytecode cache cannot tell them apart) and the
  check runs at its place (PASS);
* ``conv_backward_naive`` (notebook 02): saved first with a syntax error, the
  check runs (its FAIL line must say so), then the file is fixed;
* ``avg_pool_forward`` (notebook 04): written with a new top-level helper and a
  new import at the top of ``pool.py``, which the body uses.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from learner_prose import ProseError, asked_functions
from library_edits import Solution, implemented_text, reference_solutions
from nbkernel import TRACEBACK, CellRun, Kernel

__all__ = ["Walker", "NotebookWalk", "check_names", "runs_a_check", "PLACEHOLDER", "SKIPPED", "classify_check"]

PLACEHOLDER = "not implemented yet"
SKIPPED = re.compile(r"^\s*skipped\b", re.IGNORECASE)
_RUN_CHECK = re.compile(r"(?<![\w.])run_check\s*\(\s*[\"'](?P<name>\w+)[\"']")
_SOLUTION_MARK = "### BEGIN " + "SOLUTION"

# The three hard edits: the function, and how each is made.
SAME_SIZE = "conv_forward_naive"
SAME_SIZE_WRONG = ("+ b[f]", "- b[f]")          # a wrong body of exactly the right one's length
SYNTAX_ERROR = "conv_backward_naive"
WITH_HELPER = "avg_pool_forward"
HELPER_IMPORT = "from numpy.lib.stride_tricks import sliding_window_view\n"
HELPER = '''def _window_means(x, PH, PW, S):
    """The mean of every PH x PW window of ``x`` (N, C, H, W) at stride S: shape (N, C, H_out, W_out)."""
    windows = sliding_window_view(x, (PH, PW), axis=(2, 3))[:, :, ::S, ::S]
    return windows.mean(axis=(-2, -1), dtype=x.dtype)


'''
HELPER_BODY = "    out = _window_means(x, PH, PW, S)\n"


def check_names(source: str) -> list[str]:
    """The checks a code cell runs, in order (``run_check("name")`` calls)."""
    return _RUN_CHECK.findall(source)


def runs_a_check(source: str) -> bool:
    return bool(check_names(source))


def classify_check(run: CellRun, name: str) -> tuple[bool, str]:
    """(passed, its line) for check ``name`` in a cell's output; the line is "" if the check printed none."""
    for line in run.lines:
        if line.startswith((f"PASS {name} ", f"FAIL {name}:", f"FAIL {name} ")):
            return line.startswith("PASS"), line
    return False, ""


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source_of(cell) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def tags_of(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


@dataclass
class CheckAtPlace:
    cell: int
    name: str
    passed: bool
    line: str


@dataclass
class NotebookWalk:
    """What the walk saw in one notebook."""

    notebook: str
    checks: list[CheckAtPlace] = field(default_factory=list)
    out_of_order: list[tuple[int, str]] = field(default_factory=list)     # (cell, the placeholder line)
    errors: list[tuple[int, str]] = field(default_factory=list)           # (cell, "ename: evalue")
    implemented: list[tuple[int, list[str]]] = field(default_factory=list)  # (markdown cell, names written)
    prose_problems: list[tuple[int, str]] = field(default_factory=list)
    events: dict[str, object] = field(default_factory=dict)               # the hard edits, step by step
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)

    @property
    def clean(self) -> bool:
        return all(c.passed for c in self.checks) and not (self.out_of_order or self.errors or self.prose_problems)


class Walker:
    """Walks notebooks of the release at ``release`` in order, editing its library as each asks."""

    def __init__(self, repo: Path, release: Path, python: Path, work: Path, env: dict[str, str]):
        self.repo, self.release, self.python, self.work, self.env = repo, release, python, work, env
        self.solutions: dict[str, list[Solution]] = reference_solutions(repo)
        self.qualnames = {q: [s.relpath for s in sols] for q, sols in self.solutions.items()}
        self.done: list[str] = []          # functions written so far, in order

    # ------------------------------------------------------------------ edits

    def _solution(self, qualname: str) -> Solution:
        sols = self.solutions[qualname]
        if len(sols) != 1:
            raise LookupError(f"{qualname} has solutions in several files: {[s.relpath for s in sols]}")
        return sols[0]

    def _save(self, relpath: str, text: str) -> Path:
        # As an editor saves: the whole file, in place.
        path = self.release / relpath
        path.write_text(text, encoding="utf-8")
        return path

    def implement(self, qualname: str) -> bool:
        """Write the reference body of ``qualname`` into the release; False if it had no stub left."""
        sol = self._solution(qualname)
        text = implemented_text((self.release / sol.relpath).read_text(encoding="utf-8"), sol)
        if text is None:
            return False
        self._save(sol.relpath, text)
        self.done.append(qualname)
        return True

    def _next_check_cell(self, cells, start: int, check: str) -> int:
        for i in range(start, len(cells)):
            if cells[i]["cell_type"] == "code" and check in check_names(source_of(cells[i])):
                return i
        raise LookupError(f"no cell after cell {start} runs the check {check!r}")

    def same_size_edit(self, kernel: Kernel, cells, at: int, record: NotebookWalk) -> None:
        """Stub, then a wrong body, then the right body of the same size saved in the same second."""
        sol = self._solution(SAME_SIZE)
        check_cell = self._next_check_cell(cells, at, SAME_SIZE)
        check_src = source_of(cells[check_cell])
        path = self.release / sol.relpath
        original = path.read_text(encoding="utf-8")
        wrong_body = sol.bodies[0].replace(*SAME_SIZE_WRONG, 1)
        if wrong_body == sol.bodies[0]:
            raise LookupError(f"{SAME_SIZE}'s reference body has no {SAME_SIZE_WRONG[0]!r} to change")
        right, wrong = implemented_text(original, sol), implemented_text(original, sol, (wrong_body,))
        events = {"check_cell": check_cell, "sizes": (len(wrong.encode()), len(right.encode()))}
        events["before"] = classify_check(kernel.run(check_src), SAME_SIZE)[1]
        # Start early in a second, so that the check and the second save fit in it.
        time.sleep((1.15 - time.time() % 1.0) % 1.0)
        self._save(sol.relpath, wrong)
        wrong_stat = path.stat()
        run = kernel.run(check_src)
        imported = time.time()
        self._save(sol.relpath, right)
        saved = time.time()
        right_stat = path.stat()
        forced = int(right_stat.st_mtime) != int(wrong_stat.st_mtime)
        if forced:
            # The machine was slower than a learner's keyboard: stamp the second save as one made in the same
            # second as the first (1 ms later), which is what a coarse-grained filesystem clock records.
            os.utime(path, ns=(right_stat.st_atime_ns, wrong_stat.st_mtime_ns + 1_000_000))
        events.update(wrong=classify_check(run, SAME_SIZE)[1], wrong_output=run.all_text(),
                      seconds_after_import=round(saved - imported, 3), mtime_forced_into_same_second=forced,
                      same_size=path.stat().st_size == wrong_stat.st_size,
                      same_second=int(path.stat().st_mtime) == int(wrong_stat.st_mtime))
        record.events[SAME_SIZE] = events
        self.done.append(SAME_SIZE)

    def syntax_error_edit(self, kernel: Kernel, cells, at: int, record: NotebookWalk) -> None:
        """Save the body with a syntax error, run the check, then save it fixed."""
        sol = self._solution(SYNTAX_ERROR)
        check_cell = self._next_check_cell(cells, at, SYNTAX_ERROR)
        original = (self.release / sol.relpath).read_text(encoding="utf-8")
        lines = sol.bodies[0].splitlines(keepends=True)
        first = next(i for i, line in enumerate(lines) if line.strip())
        lines[first] = lines[first].rstrip("\n") + " (\n"          # an opening parenthesis never closed
        broken = implemented_text(original, sol, ("".join(lines),))
        try:
            ast.parse(broken)
        except SyntaxError as exc:
            lineno = exc.lineno
        else:
            raise AssertionError("the broken body parses; it should not")
        self._save(sol.relpath, broken)
        run = kernel.run(source_of(cells[check_cell]))
        self._save(sol.relpath, implemented_text(original, sol))
        record.events[SYNTAX_ERROR] = {"check_cell": check_cell, "line": classify_check(run, SYNTAX_ERROR)[1],
                                       "output": run.all_text(), "status": run.status, "error_line": lineno,
                                       "file": sol.relpath}
        self.done.append(SYNTAX_ERROR)

    def helper_edit(self, record: NotebookWalk) -> None:
        """The body calls a new top-level helper, which uses a new import at the top of the file."""
        sol = self._solution(WITH_HELPER)
        original = (self.release / sol.relpath).read_text(encoding="utf-8")
        text = implemented_text(original, sol, (HELPER_BODY,))
        tree = ast.parse(text)
        node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == sol.qualname)
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        lines = text.splitlines(keepends=True)
        lines.insert(first, HELPER)
        anchor = lines.index("import numpy as np\n")
        lines.insert(anchor + 1, HELPER_IMPORT)
        self._save(sol.relpath, "".join(lines))
        record.events[WITH_HELPER] = {"file": sol.relpath, "import": HELPER_IMPORT.strip(), "helper": "_window_means"}
        self.done.append(WITH_HELPER)

    # ------------------------------------------------------------------ the walk

    def walk(self, notebook: str) -> NotebookWalk:
        record = NotebookWalk(notebook)
        started = time.perf_counter()
        cells = read_notebook(self.release / "notebooks" / notebook)["cells"]
        repo_notebook = self.repo / "notebooks" / notebook
        repo_cells = {c.get("id"): c for c in read_notebook(repo_notebook)["cells"]} if repo_notebook.exists() else {}
        work = self.work / notebook.removesuffix(".ipynb")
        with Kernel(self.python, self.release / "notebooks", self.env, work) as kernel:
            previous_markdown = ""
            for index, cell in enumerate(cells):
                source = source_of(cell)
                if cell["cell_type"] == "markdown":
                    self._markdown(kernel, cells, index, source, previous_markdown, record)
                    previous_markdown = source
                    continue
                previous_markdown = ""
                if cell["cell_type"] != "code" or not source.strip():
                    continue
                repo_cell = repo_cells.get(cell.get("id"))
                if repo_cell is not None and _SOLUTION_MARK in source_of(repo_cell):
                    source = source_of(repo_cell)          # "Your turn": the learner's answer
                self._record(index, kernel.run(source), cell, record)
        record.seconds = round(time.perf_counter() - started, 1)
        return record

    def _markdown(self, kernel, cells, index, source, previous, record: NotebookWalk) -> None:
        try:
            request = asked_functions(source, self.qualnames, previous)
        except ProseError as exc:
            record.prose_problems.append((index, str(exc)))
            return
        written = []
        for name in request.names:
            if name in self.done:
                continue
            if name == SAME_SIZE:
                self.same_size_edit(kernel, cells, index + 1, record)
            elif name == SYNTAX_ERROR:
                self.syntax_error_edit(kernel, cells, index + 1, record)
            elif name == WITH_HELPER:
                self.helper_edit(record)
            elif not self.implement(name):
                continue
            written.append(name)
        if written:
            record.implemented.append((index, written))

    def _record(self, index: int, run: CellRun, cell, record: NotebookWalk) -> None:
        source = source_of(cell)
        if run.status != "ok" and "raises-exception" not in tags_of(cell):
            record.errors.append((index, run.error or run.status))
        names = check_names(source)
        for name in names:
            passed, line = classify_check(run, name)
            record.checks.append(CheckAtPlace(index, name, passed, line or "(no line printed)"))
        for line in run.lines:
            if line.startswith(("FAIL ", " ", "\t")):
                continue                # a check's line and its details: a check failure, counted above
            if PLACEHOLDER in line or SKIPPED.match(line):
                record.out_of_order.append((index, line.strip()))
        if TRACEBACK in run.text and run.status == "ok":
            record.errors.append((index, "a traceback in the output"))
