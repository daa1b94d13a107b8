"""Finding and loading the check definitions in ``checks/``.

``checks/`` is not an installed package: installing a top-level package named
``checks`` would clash with anything else of that name. It is loaded from
its directory by file path, under the private package name
``_cs231n_checks``, so ``import checks`` never finds it by accident.

Where it is looked for, in order: the ``dirs`` argument, the environment
variable ``CS231N_CHECKS_DIR``, and the ``checks/`` directory of the checkout
that holds the ``cs231n_cnn`` package in use (the repository or the student
release, installed with ``pip install -e``; see :mod:`cs231n_cnn.paths`).
A package installed on its own has no ``checks/``: then one of the first two
is needed, and the error says so.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from ..paths import CheckoutRequired, checkout_root
from . import framework

__all__ = ["find_checks_dir", "load_checks", "CHECKS_ENV"]

CHECKS_ENV = "CS231N_CHECKS_DIR"
PRIVATE_PACKAGE = "_cs231n_checks"


def find_checks_dir(directory=None) -> Path:
    """The checks directory to use; raises FileNotFoundError saying where it looked.

    Outside a checkout, without ``directory`` or ``$CS231N_CHECKS_DIR``, the
    error is :class:`cs231n_cnn.paths.CheckoutRequired` (a
    ``FileNotFoundError``) saying that a checkout or the variable is needed.
    """
    if directory is not None:
        candidate = Path(directory)
    elif os.environ.get(CHECKS_ENV):
        candidate = Path(os.environ[CHECKS_ENV])
    else:
        try:
            candidate = checkout_root("the graded checks (checks/)") / "checks"
        except CheckoutRequired as exc:
            raise CheckoutRequired(f"{exc}; or set {CHECKS_ENV} to the checks/ folder of the course repository") \
                from None
    if candidate.is_dir():
        return candidate.resolve()
    raise FileNotFoundError(
        f"no checks directory found (looked in {candidate}); "
        f"set {CHECKS_ENV} to the checks/ folder of the course repository"
    )


def load_checks(directory=None) -> dict[str, framework.Check]:
    """Import every ``*.py`` in the checks directory and return the registered checks.

    Modules whose names start with ``_`` are helpers (e.g. ``_reference.py``)
    and are imported only by the check modules that use them. Loading twice
    from the same directory returns the same checks.
    """
    root = find_checks_dir(directory)
    pkg = sys.modules.get(PRIVATE_PACKAGE)
    if pkg is None or getattr(pkg, "__path__", [None])[0] != str(root):
        for name in [m for m in sys.modules if m == PRIVATE_PACKAGE or m.startswith(PRIVATE_PACKAGE + ".")]:
            del sys.modules[name]
        framework.REGISTRY.clear()
        spec = importlib.util.spec_from_file_location(
            PRIVATE_PACKAGE, root / "__init__.py", submodule_search_locations=[str(root)])
        pkg = importlib.util.module_from_spec(spec)
        sys.modules[PRIVATE_PACKAGE] = pkg
        if (root / "__init__.py").exists():
            spec.loader.exec_module(pkg)
    for path in sorted(root.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"{PRIVATE_PACKAGE}.{path.stem}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return dict(framework.REGISTRY)
