"""What a learner types into the release's library files, taken from the repository's solutions.

A solution is the text between one pair of solution markers in a library file
of this repository. The release turned each pair (markers included) into one
``raise NotImplementedError(...)`` statement; :func:`implement` puts the
solution back in place of that statement, in the release's file, and changes
nothing else of the file, as an editor would. Functions are named by their
qualified name (``conv_forward_naive``, ``ThreeLayerConvNet.loss``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from cs231n_cnn.grading.release.markers import SOLUTION, find_regions

__all__ = ["Solution", "reference_solutions", "stub_statements", "implemented_text", "NotAStub"]


class NotAStub(LookupError):
    """The release's file has no stub of the function (any more), or not as many as the repository has regions."""


@dataclass(frozen=True)
class Solution:
    """The solution regions of one function in one file: ``bodies[k]`` replaces the function's k-th stub."""

    qualname: str
    relpath: str                 # e.g. "cs231n_cnn/layers/conv.py", relative to the repository (and the release)
    bodies: tuple[str, ...]      # the lines between the markers, marker lines excluded, newline-terminated
    kept_raises: frozenset = frozenset()   # stripped `raise NotImplementedError` lines of the function outside regions

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


def _scopes(tree: ast.AST) -> list[tuple[int, int, str, ast.AST]]:
    """(first line, last line, qualified name, node) of every def and class, 1-based lines."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                found.append((child.lineno, child.end_lineno, name, child))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def _enclosing_function(scopes, line: int) -> str | None:
    inside = [s for s in scopes if s[0] <= line <= s[1] and not isinstance(s[3], ast.ClassDef)]
    return max(inside, key=lambda s: s[0])[2] if inside else None


def _own_raises(node: ast.AST) -> list[ast.Raise]:
    """The ``raise NotImplementedError...`` statements of a function's own body (not of nested defs), in order."""
    found = []

    def visit(n):
        for child in ast.iter_child_nodes(n):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Raise) and child.exc is not None:
                exc = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                    found.append(child)
            visit(child)

    visit(node)
    return sorted(found, key=lambda r: r.lineno)


def reference_solutions(repo: Path) -> dict[str, list[Solution]]:
    """Every function of the repository's package with solution regions, by qualified name."""
    found: dict[str, list[Solution]] = {}
    for path in sorted((repo / "cs231n_cnn").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if f"BEGIN {SOLUTION}" not in source:
            continue
        relpath = path.relative_to(repo).as_posix()
        lines = source.splitlines(keepends=True)
        regions = [r for r in find_regions(lines, lambda i, p=relpath: f"{p}:{i + 1}") if r.kind == SOLUTION]
        scopes = _scopes(ast.parse(source))
        by_function: dict[str, list[str]] = {}
        for r in regions:
            qualname = _enclosing_function(scopes, r.begin + 1)
            if qualname is None:
                continue            # a region outside any function is not something a learner implements
            by_function.setdefault(qualname, []).append("".join(lines[r.begin + 1:r.end]))
        for qualname, bodies in by_function.items():
            node = next(s[3] for s in scopes if s[2] == qualname)
            inside = {i for r in regions for i in range(r.begin, r.end + 1)}
            kept = frozenset(lines[x.lineno - 1].strip() for x in _own_raises(node) if x.lineno - 1 not in inside)
            found.setdefault(qualname, []).append(Solution(qualname, relpath, tuple(bodies), kept))
    return found


def stub_statements(source: str, solution: Solution) -> list[tuple[int, int]]:
    """(first, last) 0-based line ranges of the stubs of ``solution``'s function in the release's ``source``.

    Empty when the function has no stub left (already implemented). A
    ``raise NotImplementedError`` the repository's function has outside its
    regions is not a stub.
    """
    tree = ast.parse(source)
    node = next((s[3] for s in _scopes(tree) if s[2] == solution.qualname), None)
    if node is None:
        raise NotAStub(f"{solution.relpath} has no function {solution.qualname}")
    lines = source.splitlines()
    return [(r.lineno - 1, r.end_lineno - 1) for r in _own_raises(node)
            if lines[r.lineno - 1].strip() not in solution.kept_raises]


def implemented_text(source: str, solution: Solution, bodies: tuple[str, ...] | None = None) -> str | None:
    """``source`` with every stub of the function replaced by its body; None if it has no stub left.

    ``bodies`` (default: the repository's) must have one entry per region.
    """
    bodies = solution.bodies if bodies is None else bodies
    stubs = stub_statements(source, solution)
    if not stubs:
        return None
    if len(stubs) != len(bodies):
        raise NotAStub(f"{solution.relpath}: {solution.qualname} has {len(stubs)} stub(s) in the release but "
                       f"{len(bodies)} solution region(s) in the repository")
    lines = source.splitlines(keepends=True)
    for (first, last), body in sorted(zip(stubs, bodies), reverse=True):
        lines[first:last + 1] = [body]
    return "".join(lines)
