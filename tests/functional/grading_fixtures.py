"""Submissions for the grader's tests, built in tmp_path from this repository.

A fixture is the repository's ``cs231n_cnn`` package (the reference
solution) or the student release's (stubs), copied into a directory named
for the expected outcome, e.g. ``submission-hang-partial``, with code
appended to one of its modules. Appending a ``def`` replaces the function of
that name (``layers/__init__.py`` imports the module's final binding), so
every fixture is the real package with exactly one thing changed.
"""

from __future__ import annotations

import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "cs231n_cnn"
CHECKS = REPO / "checks"
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc")


def reference_submission(parent: Path, name: str = "submission-reference-full") -> Path:
    """A copy of the repository's package: the reference solution."""
    root = parent / name
    shutil.copytree(PACKAGE, root / "cs231n_cnn", ignore=SKIP)
    return root


def stub_submission(parent: Path, release: Path, name: str = "submission-stubs-zero") -> Path:
    """A copy of the release's (stubbed) package, as a student receives it."""
    root = parent / name
    shutil.copytree(release / "cs231n_cnn", root / "cs231n_cnn", ignore=SKIP)
    return root


def append(root: Path, module: str, code: str) -> Path:
    """Append ``code`` to ``cs231n_cnn/<module>`` of the submission at ``root``."""
    path = root / "cs231n_cnn" / module
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + textwrap.dedent(code).strip() + "\n",
                    encoding="utf-8")
    return root


def zip_tree(root: Path, out: Path, *, prefix: str = "") -> Path:
    """Zip the directory ``root`` (entries under ``prefix``)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(root).as_posix())
    return out


def checks_subset(parent: Path, modules: tuple[str, ...]) -> Path:
    """A trusted checks directory holding only ``modules`` (and the shared helpers), to keep tests short."""
    dest = parent / "checks"
    dest.mkdir()
    for path in CHECKS.glob("*.py"):
        if path.name.startswith("_") or path.stem in modules:
            shutil.copyfile(path, dest / path.name)
    return dest


def build_release(parent: Path) -> Path:
    """The student release of this repository (the release tool's own output)."""
    release = pytest.importorskip("cs231n_cnn.grading.release")
    out = parent / "release"
    release.build_release(out, import_check=False)
    return out


def validate_report(results: dict) -> None:
    """Assert that ``results`` follows the Gradescope results.json specification as the grader uses it."""
    assert set(results) >= {"score", "execution_time", "output", "stdout_visibility", "tests"}
    assert isinstance(results["score"], (int, float)) and results["score"] >= 0
    assert isinstance(results["execution_time"], int) and results["execution_time"] >= 0
    assert isinstance(results["output"], str) and results["stdout_visibility"] == "hidden"
    numbers = [t["number"] for t in results["tests"]]
    assert len(set(numbers)) == len(numbers)
    for t in results["tests"]:
        assert set(t) == {"name", "number", "score", "max_score", "status", "output", "tags", "visibility"}
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] == ("passed" if t["score"] == t["max_score"] else "failed")
        assert t["visibility"] in ("visible", "after_published")
        assert isinstance(t["tags"], list) and len(t["tags"]) == 1
        major, minor = t["number"].split(".")
        assert major.isdigit() and minor.isdigit()
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-9


def by_name(results: dict) -> dict:
    return {t["name"]: t for t in results["tests"]}
