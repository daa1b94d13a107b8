"""Notebooks for the release: solution cells stubbed as nbgrader does, check cells cleared, teaching output kept.

A marked region in a code cell becomes nbgrader's stub (``# YOUR CODE HERE``
/ ``raise NotImplementedError('Your turn: write `x` in this cell ...')``, naming
what the solution sets) and the cell loses its outputs, execution count and
source hash. Check cells (cells calling ``run_check``) lose their
outputs too, so the student sees no PASS lines they did not earn. Every
other output stays: it is teaching material.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import textwrap
from dataclasses import dataclass, field

from .markers import HIDDEN, SOLUTION, find_regions, replace_regions

__all__ = ["NotebookReport", "release_notebook", "dump_notebook", "cell_source", "runs_a_check",
           "NOTEBOOK_STUB", "notebook_stub", "MARKDOWN_STUB", "MARKDOWN_REWRITES"]

# A call, not the import of the name: `run_check("x")`, `_ = run_check(name)`.
_RUN_CHECK = re.compile(r"(?<![\w.])run_check\s*\(")

# nbgrader's code stub; the exception names what the student writes, and the notebook extension
# (cs231n_cnn.notebook) prints that one line instead of a traceback, so Run All goes on.
NOTEBOOK_STUB = "# YOUR CODE HERE\nraise NotImplementedError({message!r})\n"
MARKDOWN_STUB = "YOUR ANSWER HERE\n"                                  # nbgrader's markdown stub

# Notebook prose that speaks about the markers, and what a student reads instead
# (applied to markdown cells only). Anything still mentioning them fails the build.
MARKDOWN_REWRITES = [
    (re.compile(r"between\s+the\s+`### BEGIN[ ]SOLUTION`\s+and\s+`### END[ ]SOLUTION`\s+markers"),
     "in place of its `raise NotImplementedError(...)` line"),
    (re.compile(r"above\s+the\s+markers"), "above that line"),
]


def notebook_stub(solution_lines: list[str], lines_before: list[str] = ()) -> str:
    """The stub that replaces a solution region of a code cell, naming what the solution sets.

    ``raise NotImplementedError('Your turn: write conv_out, pool_out and conv_params in this cell')``.
    When the cell sets placeholders above the region (``conv_out = pool_out = None``), those are
    what the student writes; otherwise every name the solution sets.
    """
    names = _assigned_names("".join(solution_lines))
    declared = _assigned_names("".join(lines_before))
    names = [n for n in names if n in declared] or names
    what = ("write " + (", ".join(f"`{n}`" for n in names[:-1]) + " and " if len(names) > 1 else "")
            + f"`{names[-1]}`" if names else "write your code")
    return NOTEBOOK_STUB.format(message=f"Your turn: {what} in this cell (not implemented yet)")


def _assigned_names(code: str) -> list[str]:
    """Top-level names ``code`` assigns, in order of first assignment (none if it does not parse)."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    names: list[str] = []
    for node in tree.body:
        for target in ast.walk(node):
            if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store) and target.id not in names \
                    and not target.id.startswith("_"):
                names.append(target.id)
    return names


def cell_source(cell) -> str:
    """A cell's source as one string (nbformat stores either a string or a list of lines)."""
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def runs_a_check(text: str) -> bool:
    """Whether code ``text`` calls ``run_check`` (not merely imports it)."""
    return bool(_RUN_CHECK.search(text))


def _set_source(cell, text: str) -> None:
    # nbformat stores source as a list of lines on disk; keep whichever form the cell had.
    cell["source"] = text if isinstance(cell.get("source"), str) else text.splitlines(keepends=True)


def _clear_outputs(cell) -> None:
    cell["outputs"] = []
    cell["execution_count"] = None
    cell.get("metadata", {}).pop("execution", None)     # timings of the run whose outputs are gone


@dataclass
class NotebookReport:
    """What :func:`release_notebook` changed: cell indices, and how many hidden regions it removed."""

    stubbed_cells: list[int] = field(default_factory=list)
    cleared_check_cells: list[int] = field(default_factory=list)
    hidden_regions: int = 0


def release_notebook(nb: dict, relpath: str) -> tuple[dict, NotebookReport]:
    """A student copy of the notebook dict ``nb`` (as read by ``json``); ``nb`` is not modified."""
    nb = copy.deepcopy(nb)
    report = NotebookReport()
    for index, cell in enumerate(nb.get("cells", [])):
        kind = cell.get("cell_type")
        text = cell_source(cell)
        lines = text.splitlines(keepends=True)
        regions = find_regions(lines, lambda i, c=index: f"{relpath}: cell {c}, line {i + 1}")
        report.hidden_regions += sum(r.kind == HIDDEN for r in regions)
        if kind == "code":
            if regions:
                def stub_text(r, lines=lines):
                    if r.kind == HIDDEN:
                        return ""
                    stub = notebook_stub(lines[r.begin + 1:r.end], lines[:r.begin])
                    return "".join(r.indent + line for line in stub.splitlines(keepends=True))
                _set_source(cell, replace_regions(lines, regions, stub_text))
                _clear_outputs(cell)
                cell.get("metadata", {}).pop("cs231n", None)     # its source hash no longer matches
                if any(r.kind == SOLUTION for r in regions):
                    report.stubbed_cells.append(index)
            elif runs_a_check(text):
                _clear_outputs(cell)
                report.cleared_check_cells.append(index)
        else:
            if regions:
                text = replace_regions(lines, regions,
                                       lambda r: "" if r.kind == HIDDEN else r.indent + MARKDOWN_STUB)
                if any(r.kind == SOLUTION for r in regions):
                    report.stubbed_cells.append(index)
            if kind == "markdown":
                for pattern, replacement in MARKDOWN_REWRITES:
                    text = pattern.sub(replacement, text)
            if text != cell_source(cell):
                _set_source(cell, text)
    return nb, report


def dump_notebook(nb: dict) -> str:
    """The notebook as nbformat.write writes it, so a released notebook diffs cleanly against the original."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
