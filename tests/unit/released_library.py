"""The library's modules as the student release ships them, for tests that grade the stubs."""

from __future__ import annotations

import types
from pathlib import Path

import cs231n_cnn
from cs231n_cnn.grading.release import release_python

PACKAGE_DIR = Path(cs231n_cnn.__file__).resolve().parent


def released_module(relpath: str, tag: str = "released_for_test") -> types.ModuleType:
    """The module at ``relpath`` (e.g. ``cs231n_cnn/layers/fc.py``) with its solutions replaced by stubs.

    Made by the release tool itself from the source, and executed as a module of
    the same package, so its relative imports resolve to the real library.
    """
    source = (PACKAGE_DIR.parent / relpath).read_text(encoding="utf-8")
    stubbed, names = release_python(source, relpath)
    assert names, f"{relpath} has no solution regions"
    package = relpath[:-3].replace("/", ".").rsplit(".", 1)[0]
    module = types.ModuleType(f"{package}._{tag}", f"{relpath} as released")
    module.__package__ = package
    exec(compile(stubbed, relpath, "exec"), module.__dict__)
    return module
