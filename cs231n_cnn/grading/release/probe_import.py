"""Probe: the release imports and its checks load (``python -m`` this with TREE [MODULE ...]).

Run by :func:`~.verify.verify_release` in a fresh interpreter whose
``cs231n_cnn`` must come from TREE, the release. It imports the MODULEs (the
ones with stubs), loads TREE's checks and runs them against the untouched
release: its stubs fail, and every reference lookup its checks still make
must hit. Prints ``{"hidden": {check: is_hidden}, "misses": {check: [...]}}``
as one line of JSON; exits with a message if ``cs231n_cnn`` is not TREE's.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

__all__ = ["probe", "main"]


def probe(root: Path, modules) -> dict:
    """The report for the release at ``root``; ``cs231n_cnn`` is already imported from it."""
    from .. import InProcessStudent, load_checks, run_check_def
    from ..loader import PRIVATE_PACKAGE
    from .layout import REFERENCE

    for name in modules:
        importlib.import_module(name)
    checks = load_checks(root / "checks")
    misses = {}
    replay = getattr(sys.modules.get(f"{PRIVATE_PACKAGE}.{Path(REFERENCE).stem}"), "_replay", None)
    if replay is not None:
        for name, chk in checks.items():
            seen = len(replay.misses)
            run_check_def(chk, InProcessStudent())
            if replay.misses[seen:]:
                misses[name] = replay.misses[seen:]
    return {"hidden": {name: chk.hidden for name, chk in checks.items()}, "misses": misses}


def main(argv=None) -> int:
    import cs231n_cnn

    from .interpreter import print_report

    root, *modules = sys.argv[1:] if argv is None else argv
    root = Path(root).resolve()
    if not Path(cs231n_cnn.__file__).resolve().is_relative_to(root):
        sys.exit(f"imported cs231n_cnn from {cs231n_cnn.__file__}, not from the release")
    print_report(probe(root, modules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
