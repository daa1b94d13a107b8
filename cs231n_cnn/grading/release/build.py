"""Building the release: check where it goes, write the planned tree next to it, record, verify, swap into place."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ... import __version__
from ...paths import PACKAGE, checkout_root
from ..submit import MANIFEST_KEY as SUBMISSION_KEY
from ..submit import SubmissionSettings
from .errors import ReleaseError
from .generated import student_files
from .layout import MANIFEST, REFERENCE, REFERENCE_DATA
from .plan import plan_release
from .references import memoize_references
from .verify import verify_release

__all__ = ["ReleaseSummary", "repo_root", "build_release"]


@dataclass
class ReleaseSummary:
    """What :func:`build_release` did."""

    out: Path
    files: int
    stubbed_functions: list[str]          # "path/to/file.py:qualified.name"
    stubbed_cells: list[str]
    cleared_check_cells: int
    hidden_regions: int
    hidden_checks: list[str]
    public_checks: list[str]
    reference_calls: int = 0              # reference results recorded for the public checks

    def report(self) -> str:
        modules = len({f.split(":")[0] for f in self.stubbed_functions})
        return (f"student release written to {self.out}: {self.files} files; "
                f"{len(self.stubbed_functions)} functions stubbed in {modules} modules, "
                f"{len(self.stubbed_cells)} notebook cells stubbed, {self.cleared_check_cells} check cells cleared; "
                f"{len(self.public_checks)} public checks kept, {len(self.hidden_checks)} hidden checks "
                f"({self.hidden_regions} marked regions) left out; {self.reference_calls} reference results "
                f"recorded in {REFERENCE_DATA} instead of the reference code")


def repo_root(repo=None) -> Path:
    """The course repository: ``repo``, or the checkout this package is installed from.

    Raises :class:`~cs231n_cnn.paths.CheckoutRequired` if ``repo`` is None and
    the package is not installed from a checkout, and :class:`ReleaseError`
    if the directory is not the course repository or is a release itself.
    """
    root = Path(repo).resolve() if repo is not None else checkout_root("cs231n-cnn release")
    missing = [p for p in ("pyproject.toml", PACKAGE, "checks", "notebooks") if not (root / p).exists()]
    if missing:
        raise ReleaseError(f"{root} is not a checkout of the course repository (no {', '.join(missing)}); "
                           f"run the release from a checkout installed with `pip install -e`, or pass --repo")
    if (root / MANIFEST).exists():
        raise ReleaseError(f"{root} is itself a student release; build releases from the course repository")
    return root


def _check_out_dir(out: Path, root: Path, force: bool) -> None:
    if root.is_relative_to(out):
        raise ReleaseError(f"--out {out} contains the repository {root}; choose another directory")
    for src in (root / d for d in (PACKAGE, "checks", "notebooks", "data")):
        if out.is_relative_to(src):
            raise ReleaseError(f"--out {out} is inside the repository's {src.name}/, which the release copies; "
                               f"choose another directory")
    if not out.exists():
        return
    if not out.is_dir():
        raise ReleaseError(f"--out {out} exists and is not a directory")
    if any(out.iterdir()):
        if not force:
            raise ReleaseError(f"--out {out} exists and is not empty; pass --force to replace it")
        if not (out / MANIFEST).is_file():
            raise ReleaseError(f"refusing to replace {out}: it is not a student release (no {MANIFEST}); "
                               f"remove it yourself or choose another --out")


def _load_checks(checks_dir: Path) -> dict:
    from ..loader import load_checks

    try:
        return load_checks(checks_dir)
    except Exception as exc:   # noqa: BLE001 - the checks are the repository's code: any failure stops the build
        raise ReleaseError(f"the checks in {checks_dir} do not load ({type(exc).__name__}: {exc})") from exc


def _write(tree: Path, files: dict[str, bytes | Path]) -> None:
    # Into a fresh temporary tree that is renamed into place whole: no file needs writing atomically.
    for rel, content in files.items():
        dest = tree / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy2(content, dest)
        else:
            dest.write_bytes(content)


def _chmod_like_mkdir(path: Path) -> None:
    """Give ``path`` the mode ``mkdir`` would (0755 under the usual umask 022), not mkdtemp's private 0700."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o777 & ~umask)


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is moved aside first and deleted only after."""
    if out.exists() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def build_release(out, *, repo=None, force: bool = False, import_check: bool = True,
                  submission: SubmissionSettings | None = None) -> ReleaseSummary:
    """Build the student release of ``repo`` (default: this checkout) at ``out``.

    ``out`` must not exist, be empty, or (with ``force``) be an earlier
    release, which is then replaced. Nothing is written until every file has
    been transformed. The tree is built in a temporary directory next to
    ``out``; its reference results are recorded by running the public checks
    against the repository's solution (always: the release's checks cannot
    run without them); it is verified (``import_check=False`` skips the
    checks that start interpreters) and renamed into place. ``submission``
    says what students upload (the notebooks too or not, and the note
    ``make submit`` prints; default: the library, "Upload submission.zip to
    the assignment on Gradescope."): it goes into the manifest, where
    ``make submit`` reads it, and into the student README. Raises
    :class:`ReleaseError` (including :class:`~.markers.MarkerError`) with a
    one-line message.
    """
    root = repo_root(repo)
    out = Path(out).absolute()
    out = out.parent.resolve() / out.name
    _check_out_dir(out, root, force)

    checks = _load_checks(root / "checks")
    hidden = [n for n, c in checks.items() if c.hidden]
    public = [n for n, c in checks.items() if not c.hidden]
    plan = plan_release(root, checks)                  # marker errors surface here, before any write
    files = plan.files
    submission = submission or SubmissionSettings()
    files.update(student_files(plan.by_notebook, len(public), submission))
    reference = files.get(REFERENCE)
    reference_source = None
    if reference is not None:
        reference_source = (reference.read_bytes() if isinstance(reference, Path) else reference).decode("utf-8")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        _chmod_like_mkdir(tmp)     # mkdtemp's 0700 would become the release's own mode
        _write(tmp, files)
        memo = memoize_references(tmp, root, reference_source) if reference_source is not None else None
        if memo is not None:
            files[REFERENCE_DATA] = tmp / REFERENCE_DATA
        files[MANIFEST] = (json.dumps({
            "tool": "cs231n-cnn release", "version": __version__,
            "stubbed_functions": plan.stubbed_functions, "stubbed_cells": plan.stubbed_cells,
            "public_checks": public, "hidden_checks_left_out": len(hidden), "reference_results": memo,
            SUBMISSION_KEY: submission.to_json(),
        }, indent=1) + "\n").encode("utf-8")
        (tmp / MANIFEST).write_bytes(files[MANIFEST])
        verify_release(tmp, hidden, public, plan.stubbed_modules(), import_check=import_check,
                       reference_source=reference_source, solution=root)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ReleaseSummary(out, len(files), plan.stubbed_functions, plan.stubbed_cells, plan.cleared_check_cells,
                          plan.hidden_regions, hidden, public, memo["recorded_calls"] if memo else 0)
