"""Reference results, not reference code: the released ``checks/_reference.py`` and how it is made and judged.

``checks/_reference.py`` holds working implementations (loops,
``scipy.signal``, the update rules) that a student could copy. The release
runs every public check against the repository's solution, in a fresh
interpreter (:mod:`.probe_record`), with each public function of
``_reference.py`` wrapped by a :class:`~cs231n_cnn.grading.memo.Recorder`, and
ships the results (``checks/_reference_data.npz``) with a generated
``_reference.py`` of the same function names, each a lookup by a hash of its
arguments. The names come from the reference module itself (its top-level
definitions), never from a list kept here.
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import tokenize
from pathlib import Path

from .errors import ReleaseError
from .generated import generated_reference
from .interpreter import last_line, report_of, run_probe
from .layout import REFERENCE, REFERENCE_DATA

__all__ = ["REFERENCE_MARKERS", "reference_api", "reference_identifiers", "lookup_only_problems",
           "reference_code_lines", "leaked_reference_text", "memoize_references"]

# Text of numerical code, whatever the reference module holds: none of it belongs in a module of lookups.
# The names particular to the reference module come from its own source (reference_identifiers).
REFERENCE_MARKERS = ("np.", "numpy", "scipy", "range(")

_WORD = re.compile(r"[A-Za-z_]\w*")


def reference_api(source: str, relpath: str = REFERENCE) -> tuple[list[str], list[str]]:
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


def reference_identifiers(source: str) -> set[str]:
    """The names the reference implementation uses that a module of its lookups has no reason to contain.

    Every module it imports and name it imports (``scipy``, ``signal``,
    ``sliding_window_view``), and every name, attribute and parameter of its
    functions (``tensordot``, ``beta1``), less the words of the lookups the
    release generates for it (its public names, ``args``, ``Path``, ...).
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= {*alias.name.split("."), alias.asname or ""}
        elif isinstance(node, ast.ImportFrom):
            found |= {*(node.module or "").split("."), *(a.asname or a.name for a in node.names)}
        elif isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
    functions, constants = reference_api(source)
    skeleton = generated_reference(functions, {name: "None" for name in constants})
    return found - set(_WORD.findall(skeleton)) - {""}


def _code_words(source: str) -> set[str]:
    """The names in the code and the words of the comments of ``source`` (not its strings: constants' values)."""
    words = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.NAME:
                words.add(tok.string)
            elif tok.type == tokenize.COMMENT:
                words |= set(_WORD.findall(tok.string))
    except (tokenize.TokenError, SyntaxError):
        words |= set(_WORD.findall(source))      # not Python: every word counts
    return words


def leaked_reference_text(released: str, reference_source: str) -> list[str]:
    """The generic markers (anywhere) and the reference's own identifiers (in code) found in the released text."""
    return ([m for m in REFERENCE_MARKERS if m in released]
            + sorted(_code_words(released) & reference_identifiers(reference_source)))


def lookup_only_problems(source: str) -> list[str]:
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


def reference_code_lines(source: str) -> set[str]:
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


def memoize_references(tree: Path, root: Path, source: str) -> dict:
    """Record the reference results into ``tree``, then replace its ``_reference.py`` by lookups.

    ``source`` is the released text of the real ``_reference.py`` (in
    ``tree`` until this returns); ``root`` is the repository, whose solution
    the public checks run against (:mod:`.probe_record`). Returns what the
    manifest says about it.
    """
    functions, constants = reference_api(source, REFERENCE)
    proc = run_probe("probe_record", [tree / "checks", tree / REFERENCE_DATA], pythonpath=root, cwd=root,
                     hash_seed="1")
    shutil.rmtree(tree / "checks" / "__pycache__", ignore_errors=True)
    if proc.returncode != 0:
        raise ReleaseError(f"recording the reference results of the public checks failed: {last_line(proc.stderr)}")
    report = report_of(proc, "{}")
    if not Path(report["package"]).resolve().is_relative_to(root):
        raise ReleaseError(f"recording ran the solution from {report['package']}, not from {root}")
    if report["problems"]:
        more = f" (and {len(report['problems']) - 3} more)" if len(report["problems"]) > 3 else ""
        raise ReleaseError("; ".join(report["problems"][:3]) + more)
    (tree / REFERENCE).write_text(generated_reference(functions, report["constants"]), encoding="utf-8")
    return {"file": REFERENCE_DATA, "functions": functions, "recorded_calls": report["calls"]}
