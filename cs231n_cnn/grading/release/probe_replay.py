"""Probe: the release's public checks replay against the solution (``python -m`` this with CHECKS_DIR).

Run by :func:`~.verify.verify_release` in a fresh interpreter whose
``cs231n_cnn`` is the repository's: once with the solution (every check must
pass, every lookup hit) and once with the solution's results nudged by one
unit in the last place (every lookup must still hit). Prints
``{"package": ..., "solution": {check: run}, "nudged": {check: run}}`` as one
line of JSON.
"""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

__all__ = ["nudged_student", "replay_probe", "main"]


def _nudge(value):
    import numpy as np

    if type(value) is np.ndarray and value.dtype.kind == "f":
        return np.where(value != 0, np.nextafter(value, value.dtype.type(np.inf)), value)
    if type(value) is float:
        return math.nextafter(value, math.inf) if value else value
    if type(value) is tuple:
        return tuple(_nudge(v) for v in value)
    if type(value) is dict:
        return {k: _nudge(v) for k, v in value.items()}
    return value


def nudged_student():
    """The solution, with every float it returns moved by one unit in the last place.

    Replaying against it finds checks whose reference inputs depend on what
    the student returned, or on which parts failed (the nudge fails parts
    compared exactly): such a check would miss its recorded results for
    every student whose results differ from the solution's.
    """
    from .. import InProcessStudent

    class NudgedStudent(InProcessStudent):
        def _run(self, fn, args, kwargs, label):
            return _nudge(super()._run(fn, args, kwargs, label))

        def get_attr(self, handle, attr):
            return _nudge(super().get_attr(handle, attr))

    return NudgedStudent()


def replay_probe(checks_dir) -> dict:
    """Replay the public checks at ``checks_dir`` against this interpreter's solution, then nudged."""
    import cs231n_cnn

    from .. import InProcessStudent, load_checks, run_check_def
    from ..loader import PRIVATE_PACKAGE
    from .layout import REFERENCE

    checks = load_checks(checks_dir)
    replay = importlib.import_module(f"{PRIVATE_PACKAGE}.{Path(REFERENCE).stem}")._replay
    report = {"package": cs231n_cnn.__file__}
    for label, student in (("solution", InProcessStudent), ("nudged", nudged_student)):
        report[label] = {}
        for name, chk in checks.items():
            seen = len(replay.misses)
            result = run_check_def(chk, student())
            report[label][name] = {"passed": result.passed, "line": result.line(), "misses": replay.misses[seen:]}
    return report


def main(argv=None) -> int:
    from .interpreter import print_report

    (checks_dir,) = sys.argv[1:] if argv is None else argv
    print_report(replay_probe(checks_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
