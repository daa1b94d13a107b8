"""Python sources for the release: solution regions become helpful stubs, hidden-test regions are deleted.

Each region between solution markers (markers included) becomes one
``raise`` of ``NotImplementedError`` at the markers' indentation, whose
message reads "<function> is not implemented yet: write it in <file>
(<notebook>)"; each hidden-test region is deleted (see :mod:`.markers`).
"""

from __future__ import annotations

import ast
import io
import json
import tokenize

from .errors import ReleaseError
from .markers import HIDDEN, Region, find_regions, has_markers, replace_regions

__all__ = ["release_python", "replace_docstring"]


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
    ``notebook_for(qualified_name)`` names the notebook that teaches it (or
    None). Raises :class:`~.markers.MarkerError`, or :class:`~.errors.ReleaseError`
    if the result would not compile.
    """
    lines = source.splitlines(keepends=True)
    if not has_markers(lines):
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
        notebook = notebook_for(name) if notebook_for else None
        if notebook_for and not notebook:
            # No notebook teaches it: a fast path of the complete library, removed because its code
            # would give a solution away, not an exercise.
            message = (f"{name} is left out of the student release ({relpath}): its code would give away "
                       f"a solution; there is nothing to implement here")
        else:
            # One line that reads well both as the exception's text and as the line a notebook prints in
            # place of a traceback (cs231n_cnn.notebook): what to write, where, and which notebook asks.
            message = f"{name} is not implemented yet: write it in {relpath}" + (f" ({notebook})" if notebook else "")
        stubbed.append(name)
        return f"{r.indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)})\n"

    new = replace_regions(lines, regions, stub)
    try:
        compile(new, relpath, "exec")
    except SyntaxError as exc:
        raise ReleaseError(f"{relpath}:{exc.lineno}: the released file would not be valid Python ({exc.msg}); "
                           f"a marked region must not be the whole body of a block") from None
    return new, stubbed


def replace_docstring(source: str, docstring: str) -> str:
    """``source`` with its module docstring replaced (or added); ``docstring`` is the quoted literal."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    first = tree.body[0] if tree.body else None
    if first is not None and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        return "".join(lines[:first.lineno - 1]) + docstring + "\n" + "".join(lines[first.end_lineno:])
    return docstring + "\n" + source
