"""Does the running kernel run what the library's files say? (Edits made while a kernel runs.)

A learner edits ``cs231n_cnn/layers/conv.py`` in an editor and re-runs a check cell in a
notebook whose kernel imported the old file. A plain ``importlib.reload`` (what IPython's
``%autoreload`` uses) leaves the kernel on old code in three ways:

* **stale bytecode**: it reuses ``__pycache__/conv.*.pyc`` when the file's size and its
  modification time *in whole seconds* are unchanged, so a same-size edit saved within a
  second of the previous load runs the previous version;
* **names bound before**: ``from cs231n_cnn.layers import conv_forward_naive`` (in the
  notebook, in ``cs231n_cnn/layers/__init__.py``, in ``models.py``) keeps the old function;
* **a file that cannot be loaded**: a syntax error leaves the old module in place, and a
  renamed function leaves the old one wherever it was imported.

:func:`install` (called by the notebook extension, :mod:`cs231n_cnn.notebook`) loads this
package's modules straight from their source, never from bytecode, and remembers the exact
source each was compiled from. :func:`reload_changed` reloads a changed module and updates
every earlier version of its functions and classes in place (code, defaults, ``__dict__``;
class attributes), so names bound before run the new code. :func:`problems` says, in one line
each, what the kernel runs that the files no longer say and what to do about it;
:func:`cs231n_cnn.grading.run_check` appends that to its line.

Standard library only: it must not depend on IPython internals, which move between versions.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import linecache
import os
import sys
import types
import weakref

__all__ = ["install", "installed", "changed_modules", "reload_changed", "problems", "describe_problems"]

_PACKAGE = __name__.rpartition(".")[0]
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# module name -> sha256 of the source bytes it was last compiled from (by our loader)
_LOADED: dict[str, str] = {}
# module name -> (sha256 of the source that failed to reload, or that reloaded but could not
# update every earlier version of its functions, and one line saying so)
_FAILED: dict[str, tuple[str, str]] = {}
# (module name, attribute) -> weak references to every version of that function or class seen so far
_VERSIONS: dict[tuple[str, str], list[weakref.ref]] = {}
# What a module's namespace keeps across a reload (the rest is cleared, so a removed name is gone).
_MODULE_ATTRS = ("__name__", "__loader__", "__spec__", "__file__", "__path__", "__package__", "__builtins__",
                 "__cached__")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _SourceLoader(importlib.machinery.SourceFileLoader):
    """Compile from the source file every time, and remember which source that was.

    Never reading ``__pycache__`` costs a few milliseconds per module of this package (its
    other modules, NumPy and the rest still use their bytecode), and it makes a reload
    always run what the file says.
    """

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        data = self.get_data(path)
        code = self.source_to_code(data, path)
        _LOADED[fullname] = _digest(data)
        # Tracebacks quote the source that runs, not the file as it is now (after a save that did not
        # load, the two differ). An entry without a modification time is one linecache never re-reads.
        text = data.decode("utf-8", errors="replace")
        linecache.cache[path] = (len(data), None, text.splitlines(keepends=True), path)
        return code


class _Finder(importlib.abc.MetaPathFinder):
    """Finds this package's modules as usual, then gives them :class:`_SourceLoader`."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(_PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = _SourceLoader(fullname, spec.origin)
        return spec


def installed() -> bool:
    return any(isinstance(f, _Finder) for f in sys.meta_path)


def install() -> None:
    """From now on, load (and reload) this package's modules from source, remembering it."""
    if not installed():
        sys.meta_path.insert(0, _Finder())
    # Modules imported before: remember what their files say now (the best we know).
    for name, module in list(sys.modules.items()):
        if name.startswith(_PACKAGE + ".") and name not in _LOADED:
            data = _read(getattr(module, "__file__", None))
            if data is not None:
                _LOADED[name] = _digest(data)


def _read(path) -> bytes | None:
    if not path or not path.endswith(".py"):
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _shown(path: str) -> str:
    """``cs231n_cnn/layers/conv.py``, as the learner sees it."""
    return os.path.relpath(path, os.path.dirname(_PACKAGE_DIR)).replace(os.sep, "/")


def changed_modules() -> list[str]:
    """This package's loaded modules whose file no longer holds the source they were compiled from."""
    changed = []
    for name, module in sorted(sys.modules.items()):
        if name.startswith(_PACKAGE + ".") and name in _LOADED:
            data = _read(getattr(module, "__file__", None))
            if data is not None and _digest(data) != _LOADED[name]:
                changed.append(name)
    return changed


def reload_changed() -> list[str]:
    """Reload every changed module (:func:`reload_in_place`); one line per module that failed.

    A module that fails (a syntax error, an exception at import) keeps running its previous
    version; the failure is remembered for :func:`problems` until the file changes again.
    """
    failures = []
    for name in changed_modules():
        module = sys.modules[name]
        digest = _digest(_read(module.__file__))
        if _FAILED.get(name, ("",))[0] == digest:
            continue  # already reported for this very source
        try:
            stuck = reload_in_place(module)
        except BaseException as exc:  # the student's module may raise anything at import
            if isinstance(exc, KeyboardInterrupt):
                raise
            _FAILED[name] = (digest, _failure_line(module.__file__, exc))
            failures.append(_FAILED[name][1])
            continue
        _FAILED.pop(name, None)
        if stuck:
            _FAILED[name] = (digest, _stuck_line(module.__file__, stuck))
            failures.append(_FAILED[name][1])
    return failures


def reload_in_place(module: types.ModuleType) -> list[str]:
    """Re-execute ``module`` from its file and update its earlier functions and classes in place.

    Returns the names whose earlier versions could not be updated (a function that gained or
    lost a closure, e.g. a decorator added or removed): where those were imported by name, the
    old version still runs. Raises what the module raises; its namespace is then restored.
    """
    name = module.__name__
    for attr, obj in module.__dict__.items():
        _remember(name, attr, obj)
    saved = dict(module.__dict__)
    module.__dict__.clear()
    module.__dict__.update({k: saved[k] for k in _MODULE_ATTRS if k in saved})
    try:
        importlib.reload(module)
    except BaseException:
        module.__dict__.clear()
        module.__dict__.update(saved)
        raise
    stuck = []
    for attr, new in list(module.__dict__.items()):
        if not _remember(name, attr, new):
            continue
        for ref in _VERSIONS[(name, attr)]:
            old = ref()
            if old is not None and old is not new and not _update(old, new):
                stuck.append(attr)
                break
    return stuck


def _remember(module_name: str, attr: str, obj) -> bool:
    """Track ``obj`` if it is a function or class defined in that module; whether it is."""
    if not isinstance(obj, (types.FunctionType, type)) or getattr(obj, "__module__", None) != module_name:
        return False
    refs = _VERSIONS.setdefault((module_name, attr), [])
    refs[:] = [r for r in refs if r() is not None]
    if not any(r() is obj for r in refs):
        refs.append(weakref.ref(obj))
    return True


_FUNCTION_ATTRS = ("__code__", "__defaults__", "__kwdefaults__", "__doc__", "__dict__", "__annotations__")


def _update(old, new) -> bool:
    """Make ``old`` behave as ``new`` (functions: code and the rest; classes: their attributes)."""
    if isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType):
        if len(old.__code__.co_freevars) != len(new.__code__.co_freevars):
            return False  # a code object must match its closure, which cannot be replaced
        for attr in _FUNCTION_ATTRS:
            setattr(old, attr, getattr(new, attr))
        return True
    if isinstance(old, type) and isinstance(new, type):
        ok = True
        for key, value in new.__dict__.items():
            if key in ("__dict__", "__weakref__"):
                continue
            current = old.__dict__.get(key)
            if isinstance(current, types.FunctionType) and isinstance(value, types.FunctionType):
                ok &= _update(current, value)
                continue
            try:
                setattr(old, key, value)
            except (AttributeError, TypeError):
                pass
        return ok
    return True  # a function became a class or the reverse: only the module's own name changes


def _stuck_line(path: str, names: list[str]) -> str:
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return (f"{_shown(path)}: {shown} changed in a way a running kernel cannot follow (a decorator added or "
            f"removed?), so where it was imported before the old version still runs; restart the kernel "
            f"and run the notebook from the top")


def _failure_line(path: str, exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        what = f"line {exc.lineno}: {type(exc).__name__}: {exc.msg}"
    else:
        text = str(exc).strip().split("\n", 1)[0][:200]
        what = f"raised {type(exc).__name__} when loaded: {text}"
    return (f"{_shown(path)} {what}, so the kernel still runs the version saved before; "
            f"fix the file, save it and run the cell again")


def problems(names=()) -> list[str]:
    """One line per module whose running code differs from its file, and why.

    ``names`` are functions a check called (``"layers.conv_forward_naive"``); a module
    that still has one of them although its file no longer defines it is reported too
    (a renamed function: the old one stays in the running module).
    """
    found = []
    changed = changed_modules()
    for name, (digest, line) in sorted(_FAILED.items()):
        data = _read(getattr(sys.modules.get(name), "__file__", None))
        if name not in changed and data is not None and _digest(data) == digest:
            found.append(line)  # reloaded, but earlier versions of some functions could not follow
    for name in changed:
        path = sys.modules[name].__file__
        data = _read(path)
        failed = _FAILED.get(name)
        found.append(failed[1] if failed and failed[0] == _digest(data) else _why_stale(path, data))
    for qualified in names:
        line = _missing_definition(qualified)
        if line and line not in found:
            found.append(line)
    return found


def _why_stale(path: str, data: bytes) -> str:
    try:
        compile(data, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return _failure_line(path, exc)
    return f"{_shown(path)} changed while this cell ran, so the cell ran the version saved before; run it again"


def _missing_definition(qualified: str) -> str | None:
    """A function the kernel still has although its file no longer defines it (renamed)."""
    module_name, _, attr = qualified.rpartition(".")
    module = sys.modules.get(f"{_PACKAGE}.{module_name}" if module_name else _PACKAGE)
    fn = getattr(module, attr, None)
    code = getattr(getattr(fn, "__wrapped__", fn), "__code__", None)
    if code is None:
        return None
    data = _read(code.co_filename)
    if data is None:
        return None
    try:
        tree = ast.parse(data)
    except SyntaxError:
        return None  # reported as stale, with its line
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if attr in defined or fn.__name__ in defined:
        return None
    return (f"{_shown(code.co_filename)} no longer defines {attr} (renamed?): the checks call it by that name, "
            f"and the kernel still has the old one; give it its name back and save")


def describe_problems(names=()) -> str:
    """:func:`problems` as one ``"; "``-joined line (empty if none)."""
    return "; ".join(problems(names))
