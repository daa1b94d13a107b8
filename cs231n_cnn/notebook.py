"""The notebooks' IPython extension: ``%load_ext cs231n_cnn.notebook`` (each notebook's first cell).

It makes the learner's loop work in a running kernel:

* **Edits reach the kernel.** Before every cell, a library module whose file changed is
  reloaded from its source and its functions and classes are updated in place
  (:mod:`cs231n_cnn.livesource`): after saving ``cs231n_cnn/layers/conv.py``, the next check
  cell and the next demo cell run the new code, through whatever names other modules and
  the notebook imported before, with or without ``%autoreload 2``. A file that cannot be
  loaded (a syntax error) is reported in one line and the kernel keeps the version saved
  before; :func:`cs231n_cnn.grading.run_check` says so on its line too.

* **Run All reaches the end.** A cell stopped by a piece of work that is not done yet prints
  one line instead of a traceback and completes without error: a library stub (a
  ``NotImplementedError`` raised inside this package), a notebook exercise
  (``raise NotImplementedError(...)`` in the cell itself), or CIFAR-10 not downloaded
  (:class:`cs231n_cnn.data.DatasetMissingError`). A later cell that reads a name such a cell
  would have set prints one line saying so instead of failing on it. Every other error is
  shown as usual.
"""

from __future__ import annotations

import ast
import os
import re
import sys

from . import livesource

__all__ = ["load_ipython_extension", "unload_ipython_extension", "stop_line"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_VALUE = "_cs231n_value"          # the cell's last expression, shown as usual


class _State:
    """Names that cells stopped above would have set, and why (name -> the stop's one line)."""

    def __init__(self, shell):
        self.shell = shell
        self.pending: dict[str, str] = {}


# --------------------------------------------------------------------------- a stop in one line

def _not_done_yet(exc: BaseException, shell) -> bool:
    """Is ``exc`` work not done yet: a stub of this package or of the cell, or missing data?"""
    # Looked up, not imported: if the data package was never imported, it raised nothing.
    data_missing = getattr(sys.modules.get(f"{__package__}.data"), "DatasetMissingError", None)
    if data_missing is not None and isinstance(exc, data_missing):
        return True
    if type(exc) is not NotImplementedError:
        return False
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    path = os.path.abspath(frame.f_code.co_filename)
    in_package = path.startswith(_PACKAGE_DIR + os.sep)
    in_cell = frame.f_globals is shell.user_ns and frame.f_code.co_name == "<module>"
    return in_package or in_cell


def stop_line(exc: BaseException) -> str:
    """The one line a cell stopped by ``exc`` prints."""
    text = str(exc).strip().split("\n", 1)[0]
    if isinstance(exc, NotImplementedError):
        if not text:
            return "Your turn: this cell is not implemented yet; write your code in it and run it again"
        return text if "not implemented yet" in text else f"{text} (not implemented yet)"
    return text


def _bound_names(tree: ast.AST) -> set[str]:
    """Names a cell sets anywhere in it (assignments, imports, defs, loops, with): the conservative side."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return names


def _read_before_set(tree: ast.Module) -> set[str]:
    """Names a cell reads before (or without) setting them itself."""
    first_store: dict[str, tuple[int, int]] = {}
    loads: list[tuple[str, tuple[int, int]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            where = (node.lineno, node.col_offset)
            if isinstance(node.ctx, ast.Store):
                first_store[node.id] = min(first_store.get(node.id, where), where)
            else:
                loads.append((node.id, where))
    return {name for name, where in loads if name not in first_store or where < first_store[name]}


class _Guard(ast.NodeTransformer):
    """Wraps each cell so that work not done yet stops it with one line (see the module docstring).

    ``a; b; expr`` becomes::

        try:
            a; b; _cs231n_value = expr
        except BaseException as e:
            _cs231n_value = None
            if not cs231n_cnn.notebook._stopped(e, names): raise
        else:
            cs231n_cnn.notebook._finished(names)
        _cs231n_value

    so the last expression is still displayed, and any other error is raised unchanged.
    """

    def __init__(self, state: _State):
        self.state = state

    def visit_Module(self, tree: ast.Module) -> ast.Module:
        if not tree.body or any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body):
            return tree
        bound = sorted(_bound_names(tree))
        needed = sorted(_read_before_set(tree) & self.state.pending.keys())
        if needed:
            return self._skipped(tree, needed, bound)
        body = list(tree.body)
        show = isinstance(body[-1], ast.Expr)
        if show:
            body[-1] = ast.Assign(targets=[ast.Name(_VALUE, ast.Store())], value=body[-1].value)
        names = ast.Constant(tuple(bound))
        guarded = ast.Try(
            body=body,
            handlers=[ast.ExceptHandler(
                type=ast.Name("BaseException", ast.Load()), name="_cs231n_exc",
                body=[ast.Assign(targets=[ast.Name(_VALUE, ast.Store())], value=ast.Constant(None)),
                      ast.If(test=ast.UnaryOp(ast.Not(), _call("_stopped", ast.Name("_cs231n_exc", ast.Load()), names)),
                             body=[ast.Raise(exc=None, cause=None)], orelse=[])])],
            orelse=[ast.Expr(_call("_finished", names))],
            finalbody=[])
        new = [guarded] + ([ast.Expr(ast.Name(_VALUE, ast.Load()))] if show else [])
        tree.body = new
        return ast.fix_missing_locations(tree)

    def _skipped(self, tree, needed, bound):
        why = self.state.pending[needed[0]]
        shown = ", ".join(f"`{n}`" for n in needed[:3]) + (", ..." if len(needed) > 3 else "")
        line = f"skipped: this cell needs {shown} from a cell above that stopped ({why})"
        tree.body = [ast.Expr(_call("_skip", ast.Constant(line), ast.Constant(tuple(bound)), ast.Constant(why)))]
        return ast.fix_missing_locations(tree)


def _call(name: str, *args) -> ast.Call:
    module = ast.Call(func=ast.Name("__import__", ast.Load()),
                      args=[ast.Constant(__name__)], keywords=[ast.keyword("fromlist", ast.Constant(("_",)))])
    return ast.Call(func=ast.Attribute(module, name, ast.Load()), args=list(args), keywords=[])


_STATE: _State | None = None


def _stopped(exc: BaseException, names) -> bool:
    """Called by a guarded cell that raised: print one line and report True if it is work not done yet."""
    state = _STATE
    if state is None or not _not_done_yet(exc, state.shell):
        return False
    line = stop_line(exc)
    print(line)
    # A "Your turn" cell whose whole body is the stub binds nothing; its message names what it would set.
    named = re.findall(r"`([A-Za-z_]\w*)`", line) if "in this cell" in line else []
    for name in (*names, *named):
        state.pending[name] = line
    return True


def _finished(names) -> None:
    if _STATE is not None:
        for name in names:
            _STATE.pending.pop(name, None)


def _skip(line: str, names, why: str) -> None:
    print(line)
    if _STATE is not None:
        for name in names:
            _STATE.pending[name] = why


# --------------------------------------------------------------------------- the extension

def _before_cell(*_info) -> None:
    _leave_our_modules_to_us()
    for line in livesource.reload_changed():
        print(line)


def _leave_our_modules_to_us() -> None:
    """Tell ``%autoreload`` to skip this package's modules: this extension reloads them.

    Otherwise each edit is reloaded twice, and a syntax error is reported by autoreload as two
    tracebacks after our one line. ``skip_modules`` is what ``%aimport -module`` sets; if a
    future IPython moves it, autoreload simply reloads our modules again (harmless).
    """
    magics = getattr(_STATE.shell, "magics_manager", None) if _STATE else None
    reloader = getattr((magics.registry if magics else {}).get("AutoreloadMagics"), "_reloader", None)
    skip = getattr(reloader, "skip_modules", None)
    if isinstance(skip, dict):
        for name in list(sys.modules):
            if name.startswith(__package__ + "."):
                skip[name] = True


def load_ipython_extension(shell) -> None:
    """``%load_ext cs231n_cnn.notebook``: see the module docstring. Loading it twice changes nothing."""
    global _STATE
    livesource.install()
    if _STATE is not None and _STATE.shell is shell:
        return
    _STATE = _State(shell)
    shell.ast_transformers.append(_Guard(_STATE))
    # Before autoreload's own check, so that a reload that fails is reported in one line here.
    shell.events.callbacks["pre_run_cell"].insert(0, _before_cell)


def unload_ipython_extension(shell) -> None:
    global _STATE
    shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, _Guard)]
    if _before_cell in shell.events.callbacks["pre_run_cell"]:
        shell.events.unregister("pre_run_cell", _before_cell)
    _STATE = None
