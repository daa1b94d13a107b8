"""What the worker's interpreter needs to see, and paths the sandbox binds, hides or samples.

The interpreter (the grader's own, or one given with ``python=...``) is
asked once where its prefixes and packages live; bubblewrap binds those
read-only, the user mode makes them reachable, and copies of the course
package on its path are hidden.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ...paths import PACKAGE
from .errors import SandboxUnavailable

# Helpers of the sandbox package only (spawn.py, modes.py).
__all__ = ["python_dirs", "installed_copies", "is_inside", "unique_paths", "sample_files"]


# Run by the worker's interpreter (the grader's own, or the one given with
# python=...) to say where it and its packages live.
_PATHS_SCRIPT = r"""
import json, os, site, sys
dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable)}
try:
    dirs.update(site.getsitepackages())
except AttributeError:
    pass
user = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
if user and os.path.isdir(user):
    dirs.add(user)
for name in ("numpy", "scipy", "matplotlib", "numexpr"):
    try:
        module = __import__(name)
    except Exception:
        continue
    dirs.add(os.path.dirname(os.path.dirname(os.path.realpath(module.__file__))))
print(json.dumps({"dirs": sorted(d for d in dirs if d), "path": [p for p in sys.path if p]}))
"""
_PATHS_CACHE: dict[str, dict] = {}


def _interpreter_paths(python: str) -> dict:
    """``dirs`` (prefixes, site-packages, numpy's and scipy's home) and ``path`` (sys.path) of ``python -I``."""
    if python not in _PATHS_CACHE:
        import json

        try:
            done = subprocess.run([python, "-I", "-c", _PATHS_SCRIPT], capture_output=True, text=True, timeout=120,
                                  cwd="/")
            _PATHS_CACHE[python] = json.loads(done.stdout)
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise SandboxUnavailable(f"cannot ask {python} where its packages are ({exc})") from None
    return _PATHS_CACHE[python]


def python_dirs(python: str) -> list[str]:
    """The directories the worker's interpreter needs, outermost first, none inside another."""
    dirs = set(_interpreter_paths(python)["dirs"]) | {str(Path(os.path.realpath(python)).parent.parent)}
    out = []
    for d in sorted(dirs, key=len):
        if d and os.path.isdir(d) and d != "/" and not any(is_inside(d, o) for o in out):
            out.append(os.path.abspath(d))
    return out


def installed_copies(python: str) -> list[str]:
    """Copies of the course package on the interpreter's path (e.g. installed in site-packages).

    They hold the reference solutions; the sandbox covers them with an empty tmpfs.
    """
    found = []
    for entry in _interpreter_paths(python)["path"]:
        candidate = os.path.join(entry, PACKAGE)
        if os.path.isdir(candidate):
            found.append(os.path.realpath(candidate))
    return found


def is_inside(path: str, parent: str) -> bool:
    path, parent = os.path.abspath(path), os.path.abspath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def unique_paths(paths) -> list[str]:
    out = []
    for p in paths:
        if p is None:
            continue
        p = os.path.realpath(str(p))
        if p not in out and p != "/":
            out.append(p)
    return out


def sample_files(paths: list[str], per_dir: int = 3) -> list[str]:
    """The protected paths and a few files inside each, for the trial run to try to read."""
    out = []
    for p in paths:
        out.append(p)
        if os.path.isdir(p):
            try:
                files = sorted(f for f in os.listdir(p) if os.path.isfile(os.path.join(p, f)))
            except OSError:
                continue
            out += [os.path.join(p, f) for f in files[:per_dir]]
    return out
