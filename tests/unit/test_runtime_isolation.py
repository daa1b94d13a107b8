"""The runtime copied into the sandbox needs nothing but the standard library and NumPy.

In the sandbox the worker runs from a copy of ``cs231n_cnn/grading/runtime``
with no grader package on its path. Two checks of that rule: every import
statement of every runtime file names the standard library, NumPy or a
sibling (statically, with ``ast``), and every file imports in a fresh
``python -I -S`` whose path holds only the copied runtime and NumPy's
site-packages (with the course package unimportable).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cs231n_cnn.grading import runtime

SIBLINGS = {Path(name).stem for name in runtime.FILES}
THIRD_PARTY = {"numpy"}
# The worker's trial run imports SciPy to show the interpreter has it (the checks' student code may use it).
EXCEPTIONS = {("worker.py", "scipy")}


def _imports(path: Path):
    """``(top-level module, line)`` of every import in ``path``; a relative import is ``"."``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield ("." if node.level else node.module.split(".")[0]), node.lineno


@pytest.mark.parametrize("name", runtime.FILES)
def test_runtime_files_import_only_the_standard_library_numpy_and_each_other(name):
    path = runtime.directory() / name
    allowed = set(sys.stdlib_module_names) | THIRD_PARTY | SIBLINGS | {"__future__"}
    bad = [f"{name}:{line}: {module}" for module, line in _imports(path)
           if module not in allowed and (name, module) not in EXCEPTIONS
           # The package-relative form of a sibling import, used when imported as part of the package.
           and not (module == "." and name == "worker.py")]
    assert not bad, "runtime files may import only the standard library, NumPy and each other: " + ", ".join(bad)


def test_every_runtime_file_is_listed():
    on_disk = {p.name for p in runtime.directory().glob("*.py")} - {"__init__.py"}
    assert on_disk == set(runtime.FILES)


@pytest.mark.parametrize("name", runtime.FILES)
def test_a_copied_runtime_file_imports_without_the_package(name, tmp_path):
    for f in runtime.FILES:
        shutil.copyfile(runtime.directory() / f, tmp_path / f)
    numpy_site = str(Path(np.__file__).resolve().parents[1])
    code = textwrap.dedent(f"""
        import importlib, sys

        class NoCoursePackage:
            def find_spec(self, fullname, path=None, target=None):
                if fullname.split(".")[0] == "cs231n_cnn":
                    raise ImportError("the runtime imported the course package")
                return None

        sys.meta_path.insert(0, NoCoursePackage())
        sys.path[:] = [{str(tmp_path)!r}, {numpy_site!r}] + [p for p in sys.path if "python3" in p
                                                              and "site-packages" not in p]
        module = importlib.import_module({Path(name).stem!r})
        assert module.__file__.startswith({str(tmp_path)!r}), module.__file__
        print(sorted(m for m in sys.modules if m.split(".")[0] == "cs231n_cnn"))
    """)
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
