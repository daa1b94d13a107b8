"""The Gradescope autograder bundle (``cs231n-cnn gradescope-bundle --out autograder.zip``).

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once
while building its image, and runs ``run_autograder`` for every submission,
which it places in ``/autograder/submission``; the report must end up in
``/autograder/results/results.json``. The bundle holds:

* ``setup.sh``: installs bubblewrap with apt-get and the package's Python
  dependencies with pip into ``/autograder/venv``;
* ``run_autograder``: ``python -m cs231n_cnn grade /autograder/submission
  --out /autograder/results/results.json --checks /autograder/source/checks``,
  and a last-resort report if even that fails;
* the trusted ``cs231n_cnn`` package (reference solutions included: it never
  reaches the student's process) and ``checks/``, public and hidden;
* ``requirements.txt`` (from ``pyproject.toml``'s dependencies).

``AUTOGRADER_ROOT`` (default ``/autograder``) moves every path, so that the
tests run ``run_autograder`` in a directory laid out like Gradescope's;
``CS231N_SKIP_INSTALL=1`` makes ``setup.sh`` skip its installs, and
``CS231N_PYTHON`` chooses the interpreter.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

from .. import __version__
from .loader import find_checks_dir, load_checks

__all__ = ["build_bundle", "SETUP_SH", "RUN_AUTOGRADER", "requirements"]

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while building the autograder image.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
if [ "${CS231N_SKIP_INSTALL:-0}" = "1" ]; then
    echo "setup.sh: CS231N_SKIP_INSTALL=1, not installing anything"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# bubblewrap is the sandbox for the students' code; without it the grader falls
# back to an unprivileged user (and says so in every report).
apt-get install -y --no-install-recommends bubblewrap python3 python3-venv python3-pip
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" -m pip install -r "$SOURCE/requirements.txt"
# A smoke test of the image: the package imports and the checks load.
cd "$SOURCE"
"$ROOT/venv/bin/python" -c "from cs231n_cnn.grading import load_checks; print(len(load_checks('checks')))"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission. It always leaves a results.json.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
RESULTS="$ROOT/results/results.json"
PY="${CS231N_PYTHON:-$ROOT/venv/bin/python}"
if [ ! -x "$PY" ]; then PY="$(command -v python3)"; fi
mkdir -p "$ROOT/results"
# Should the grader fall back to running the students' code as an unprivileged
# user, the solutions and hidden checks must not be readable by that user.
chmod -R go-rwx "$SOURCE" 2>/dev/null || true
cd "$SOURCE"
# shellcheck disable=SC2086 # CS231N_GRADE_OPTIONS is a list of options
"$PY" -m cs231n_cnn grade "$ROOT/submission" --out "$RESULTS" --checks "$SOURCE/checks" ${CS231N_GRADE_OPTIONS:-}
status=$?
if [ ! -s "$RESULTS" ]; then
    cat > "$RESULTS" <<EOF
{"score": 0, "stdout_visibility": "hidden", "tests": [],
 "output": "The autograder could not run (exit status $status). This is not a problem with your submission; please tell the course staff."}
EOF
fi
exit 0
"""

_IGNORE_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def requirements(pyproject: Path) -> list[str]:
    """The ``dependencies`` of ``pyproject.toml`` (read without a TOML library for Python 3.10)."""
    text = pyproject.read_text(encoding="utf-8")
    block = re.search(r"^dependencies\s*=\s*\[(.*?)\]", text, re.S | re.M)
    if block is None:
        raise ValueError(f"{pyproject} has no dependencies list")
    return re.findall(r'"([^"]+)"', block.group(1))


def _files(directory: Path):
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORE_DIRS and not d.endswith(".egg-info"))
        for f in sorted(filenames):
            if not f.endswith((".pyc", ".pyo")):
                yield Path(dirpath, f)


def build_bundle(out, *, checks_dir=None) -> str:
    """Write the autograder zip to ``out`` (atomically); returns a one-line summary."""
    out = Path(out)
    package = Path(__file__).resolve().parents[1]
    root = package.parent
    checks_dir = find_checks_dir(checks_dir)
    checks = load_checks(checks_dir)
    hidden = sum(c.hidden for c in checks.values())
    pyproject = root / "pyproject.toml"
    reqs = requirements(pyproject) if pyproject.exists() else ["numpy>=1.26,<3", "scipy>=1.11"]
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            def add(name: str, data: bytes, mode: int = 0o644):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)

            add("setup.sh", SETUP_SH.encode(), 0o755)
            add("run_autograder", RUN_AUTOGRADER.encode(), 0o755)
            add("requirements.txt", ("\n".join(reqs) + "\n").encode())
            if pyproject.exists():
                add("pyproject.toml", pyproject.read_bytes())
            for path in _files(package):
                add(f"cs231n_cnn/{path.relative_to(package).as_posix()}", path.read_bytes())
            for path in _files(checks_dir):
                add(f"checks/{path.relative_to(checks_dir).as_posix()}", path.read_bytes())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return (f"wrote {out}: cs231n_cnn {__version__}, {len(checks)} checks ({hidden} hidden), "
            f"setup.sh and run_autograder")
