"""The Gradescope autograder bundle (``cs231n-cnn gradescope-bundle --out autograder.zip``).

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once
while building its image, and runs ``run_autograder`` for every submission,
which it places in ``/autograder/submission``; the report must end up in
``/autograder/results/results.json``. The bundle holds:

* ``setup.sh``: installs bubblewrap with apt-get and the package's Python
  dependencies with pip into ``/autograder/venv``. In Gradescope's Docker
  container bubblewrap cannot start (namespaces are refused there): the
  grader, root, uses the container mode, and the reports say so;
* ``run_autograder``: ``python -m cs231n_cnn grade /autograder/submission
  --out /autograder/results/results.json --checks /autograder/source/checks``,
  and a last-resort report if even that fails;
* the trusted ``cs231n_cnn`` package (reference solutions included: it never
  reaches the student's process) and ``checks/``, public and hidden;
* ``requirements.txt``: ``pyproject.toml``'s dependencies pinned as ``make test-matrix``
  tests them at its oldest end (``tests/matrix/oldest.txt``), and ``tested-python.txt``,
  that end's Python (the lowest ``requires-python`` allows): ``setup.sh`` installs the
  pins only on that Python, so what Gradescope runs is what the matrix tested.
  (Without that file, in a checkout that lacks it, the dependencies' ranges, untested.)

The two scripts are files shipped with this package
(``templates/setup.sh``, ``templates/run_autograder``).
``AUTOGRADER_ROOT`` (default ``/autograder``) moves every path, so that the
tests run ``run_autograder`` in a directory laid out like Gradescope's;
``CS231N_SKIP_INSTALL=1`` makes ``setup.sh`` skip its installs, and
``CS231N_PYTHON`` chooses the interpreter.
"""

from __future__ import annotations

import os
import re
import zipfile
from importlib import resources
from pathlib import Path

from ... import __version__
from ...fileio import atomic_path
from ...paths import PACKAGE, find_checkout, package_dir
from ..loader import find_checks_dir, load_checks

__all__ = ["build_bundle", "SETUP_SH", "RUN_AUTOGRADER", "requirements", "tested_requirements", "TESTED_PINS"]

#: The pins of the matrix's oldest end, relative to the checkout (see ``make test-matrix``).
TESTED_PINS = Path("tests", "matrix", "oldest.txt")


def _template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


#: ``setup.sh``: Gradescope runs it once, as root, while building the autograder image.
SETUP_SH = _template("setup.sh")
#: ``run_autograder``: Gradescope runs it for every submission; it always leaves a results.json.
RUN_AUTOGRADER = _template("run_autograder")

_IGNORE_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def requirements(pyproject: Path) -> list[str]:
    """The ``dependencies`` of ``pyproject.toml`` (read without a TOML library for Python 3.10)."""
    text = pyproject.read_text(encoding="utf-8")
    block = re.search(r"^dependencies\s*=\s*\[(.*?)\]", text, re.S | re.M)
    if block is None:
        raise ValueError(f"{pyproject} has no dependencies list")
    return re.findall(r'"([^"]+)"', block.group(1))


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def tested_requirements(checkout: Path) -> tuple[list[str], str]:
    """The dependencies of ``pyproject.toml`` pinned as :data:`TESTED_PINS` pins them, and the Python they ran on.

    That Python is the lowest ``requires-python`` allows (``">=3.10"``: ``"3.10"``), the
    matrix's oldest end. A dependency the pins file leaves out is a ``ValueError``.
    """
    pyproject = checkout / "pyproject.toml"
    names = [re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in requirements(pyproject)]
    pins = {}
    for line in (checkout / TESTED_PINS).read_text(encoding="utf-8").splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[_canonical(name)] = version.strip()
    missing = [n for n in names if _canonical(n) not in pins]
    if missing:
        raise ValueError(f"{TESTED_PINS} pins no version of {', '.join(missing)}, a dependency in {pyproject.name}; "
                         f"add the lower bound it declares")
    python = re.search(r'^requires-python\s*=\s*">=\s*(\d+\.\d+)', pyproject.read_text(encoding="utf-8"), re.M)
    if python is None:
        raise ValueError(f"{pyproject} has no requires-python of the form \">=3.X\"")
    return [f"{n}=={pins[_canonical(n)]}" for n in names], python.group(1)


def _files(directory: Path):
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORE_DIRS and not d.endswith(".egg-info"))
        for f in sorted(filenames):
            if not f.endswith((".pyc", ".pyo")):
                yield Path(dirpath, f)


def build_bundle(out, *, checks_dir=None) -> str:
    """Write the autograder zip to ``out`` (atomically); returns a one-line summary."""
    out = Path(out)
    package = package_dir()
    checks_dir = find_checks_dir(checks_dir)
    checks = load_checks(checks_dir)
    hidden = sum(c.hidden for c in checks.values())
    checkout = find_checkout()
    pyproject = checkout / "pyproject.toml" if checkout is not None else None
    tested_python = None
    if pyproject is not None and (checkout / TESTED_PINS).is_file():
        reqs, tested_python = tested_requirements(checkout)
    else:
        reqs = requirements(pyproject) if pyproject is not None else ["numpy>=1.26,<3", "scipy>=1.11.1"]
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        def add(name: str, data: bytes, mode: int = 0o644):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)

        add("setup.sh", SETUP_SH.encode(), 0o755)
        add("run_autograder", RUN_AUTOGRADER.encode(), 0o755)
        add("requirements.txt", ("\n".join(reqs) + "\n").encode())
        if tested_python is not None:
            add("tested-python.txt", f"{tested_python}\n".encode())
        if pyproject is not None:
            add("pyproject.toml", pyproject.read_bytes())
        for path in _files(package):
            add(f"{PACKAGE}/{path.relative_to(package).as_posix()}", path.read_bytes())
        for path in _files(checks_dir):
            add(f"checks/{path.relative_to(checks_dir).as_posix()}", path.read_bytes())
    return (f"wrote {out}: cs231n_cnn {__version__}, {len(checks)} checks ({hidden} hidden), "
            f"setup.sh and run_autograder")
