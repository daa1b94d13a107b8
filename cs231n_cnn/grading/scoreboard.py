"""``make check`` for a student: one line per public check, in notebook order, and a scoreboard.

Which notebook a check belongs to is read from the notebooks themselves:
the first code cell that runs it (``run_check("conv_forward_naive")``), in
the notebooks' file-name order. No table is written by hand, so a check
cell moved to another notebook moves its line too. Checks no notebook runs
come last, in the order they load.

The output ends with one line such as ``12/40 public checks pass (35/120
points); next: conv_backward_naive (notebook 02)``: the next check is the
first failing one in notebook order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .framework import CheckResult, format_points

__all__ = ["CheckPlace", "notebook_order", "order_checks", "check_line", "scoreboard_line"]

# A check cell's call with the name written out: run_check("conv_forward_naive"), run_check('x', verbose=True).
_RUN_CHECK_CALL = re.compile(r"(?<![\w.])run_check\s*\(\s*[\"'](\w+)[\"']")


@dataclass(frozen=True)
class CheckPlace:
    """Where a check is run: the notebook's file name and its short label (``02``), or none."""

    notebook: str | None
    label: str

    @classmethod
    def of(cls, notebook: str | None) -> CheckPlace:
        if notebook is None:
            return cls(None, "--")
        digits = re.match(r"\d+", notebook)
        return cls(notebook, digits.group() if digits else Path(notebook).stem)

    def describe(self) -> str:
        """``notebook 02`` (or ``no notebook``) for the scoreboard."""
        return "no notebook" if self.notebook is None else f"notebook {self.label}"


def _code_sources(path: Path) -> list[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []          # a notebook being saved or damaged: its checks fall back to "no notebook"
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out.append(src if isinstance(src, str) else "".join(src))
    return out


def notebook_order(notebooks_dir: Path | None) -> dict[str, str]:
    """Check name -> the notebook (file name) whose code cells run it first, in notebook then cell order.

    The dict's order is that order. ``notebooks_dir`` None or missing gives ``{}``.
    """
    found: dict[str, str] = {}
    if notebooks_dir is None or not Path(notebooks_dir).is_dir():
        return found
    for path in sorted(Path(notebooks_dir).glob("*.ipynb")):
        for src in _code_sources(path):
            for name in _RUN_CHECK_CALL.findall(src):
                found.setdefault(name, path.name)
    return found


def order_checks(names, notebooks_dir: Path | None) -> list[tuple[str, CheckPlace]]:
    """``names`` in notebook order, each with its place; checks no notebook runs last, in their given order."""
    names = list(names)
    where = notebook_order(notebooks_dir)
    first = [n for n in where if n in names]
    rest = [n for n in names if n not in where]
    return [(n, CheckPlace.of(where.get(n))) for n in first + rest]


def check_line(result: CheckResult, place: CheckPlace) -> str:
    """``[02] PASS conv_forward_naive 4/4``: the check's own headline (never cut), after its notebook's label."""
    return f"[{place.label}] {result.headline()}"


def scoreboard_line(results: list[tuple[CheckResult, CheckPlace]]) -> str:
    """``12/40 public checks pass (35/120 points); next: conv_backward_naive (notebook 02)``.

    ``results`` in notebook order: "next" is the first that does not pass.
    """
    passed = sum(r.passed for r, _ in results)
    score = sum(r.score for r, _ in results)
    top = sum(r.max_score for r, _ in results)
    head = f"{passed}/{len(results)} public checks pass ({format_points(score)}/{format_points(top)} points)"
    failing = next(((r, p) for r, p in results if not r.passed), None)
    if failing is None:
        return f"{head}; all pass: `make submit` writes the zip to upload"
    r, p = failing
    return f"{head}; next: {r.name} ({p.describe()})"
