"""The zip a student uploads (``make submit``): what the grader reads, under its size limits.

The grader (:mod:`.autograder.staging`) looks for ``cs231n_cnn/__init__.py``
in the zip and refuses one that unpacks to more than
:data:`~.autograder.staging.MAX_SUBMISSION_BYTES` or holds more than
:data:`~.autograder.staging.MAX_SUBMISSION_FILES` entries; the same
constants are checked here, before anything is uploaded. The zip holds the
checkout's ``cs231n_cnn/`` and, when the course asks for them, its
``notebooks/*.ipynb``: nothing else of the working folder (``.venv``,
``data/``, caches, checkpoints) is ever walked.

What the course asks for is set when the release is built
(``cs231n-cnn release --submit-notebooks --upload-note TEXT``) and stored in
the release's manifest, read back by :func:`submission_settings`.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..fileio import atomic_path
from ..paths import PACKAGE
from .autograder.staging import MAX_SUBMISSION_BYTES, MAX_SUBMISSION_FILES, SUBMISSION_ZIP

__all__ = ["DEFAULT_UPLOAD_NOTE", "SUBMISSION_ZIP", "SubmitError", "SubmissionSettings", "SubmissionZip",
           "submission_settings", "submission_files", "write_submission"]

#: The instructor's note printed after the zip is written; ``{zip}`` becomes the zip's file name.
DEFAULT_UPLOAD_NOTE = "Upload {zip} to the assignment on Gradescope."
#: The manifest key holding :class:`SubmissionSettings` (the manifest is the release's own record).
MANIFEST_KEY = "submission"

# Never part of a submission, at any depth: caches, editor and notebook checkpoints, bytecode.
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git"}
# Data and model checkpoints (np.savez, pickles): the grader never reads them and they can be large.
_SKIP_SUFFIXES = (".pyc", ".pyo", ".npz", ".npy", ".pkl", ".pickle", ".tar.gz", ".zip", ".tmp")


class SubmitError(ValueError):
    """The zip cannot be written as asked (too large, nothing to submit); the message is one line."""


@dataclass(frozen=True)
class SubmissionSettings:
    """What the course asks students to upload: the notebooks too or not, and the note printed after."""

    notebooks: bool = False
    upload_note: str = DEFAULT_UPLOAD_NOTE

    def to_json(self) -> dict:
        return {"notebooks": self.notebooks, "upload_note": self.upload_note}

    @classmethod
    def from_json(cls, data) -> SubmissionSettings:
        if not isinstance(data, dict):
            return cls()
        note = data.get("upload_note")
        return cls(notebooks=data.get("notebooks") is True,
                   upload_note=note if isinstance(note, str) and note.strip() else DEFAULT_UPLOAD_NOTE)


@dataclass
class SubmissionZip:
    """What :func:`write_submission` wrote."""

    path: Path
    files: int
    unpacked_bytes: int
    zip_bytes: int
    folders: list[str]
    upload_note: str
    left_out: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        """The lines ``make submit`` prints: the path and sizes, what was left out, the upload note."""
        mib = 2**20
        lines = [f"wrote {self.path}: {self.zip_bytes / mib:.1f} MiB ({self.files} files from "
                 f"{' and '.join(f + '/' for f in self.folders)}; unpacks to {self.unpacked_bytes / mib:.1f} MiB, "
                 f"the grader's limit is {MAX_SUBMISSION_BYTES // mib} MiB)"]
        if self.left_out:
            shown = ", ".join(self.left_out[:5]) + (f" and {len(self.left_out) - 5} more"
                                                    if len(self.left_out) > 5 else "")
            lines.append(f"left out (data or checkpoints the grader does not read): {shown}")
        lines.append(self.upload_note.replace("{zip}", str(self.path.name)))
        return lines


def submission_settings(root: Path) -> SubmissionSettings:
    """The settings stored in the release manifest at ``root`` (the defaults in a course checkout)."""
    from .release.layout import MANIFEST

    try:
        manifest = json.loads((Path(root) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SubmissionSettings()
    return SubmissionSettings.from_json(manifest.get(MANIFEST_KEY) if isinstance(manifest, dict) else None)


def _walk(top: Path, root: Path, suffix: str | None, left_out: list[str]) -> list[Path]:
    """Regular files under ``top`` (no links, no caches), sorted; ``suffix`` keeps only those names."""
    found = []
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.endswith(".egg-info")
                             and not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_symlink() or not path.is_file():
                continue
            if suffix is not None and not name.endswith(suffix):
                continue
            if name.endswith(_SKIP_SUFFIXES):
                if not name.endswith((".pyc", ".pyo", ".tmp")):
                    left_out.append(path.relative_to(root).as_posix())
                continue
            found.append(path)
    return found


def submission_files(root: Path, settings: SubmissionSettings) -> tuple[list[Path], list[str]]:
    """The files the zip holds (under ``root``), and the data files left out of them (relative paths)."""
    root = Path(root)
    package = root / PACKAGE
    if not (package / "__init__.py").is_file():
        raise SubmitError(f"no {PACKAGE}/__init__.py in {root}: run this at the top of your checkout")
    left_out: list[str] = []
    files = _walk(package, root, None, left_out)
    if settings.notebooks and (root / "notebooks").is_dir():
        files += _walk(root / "notebooks", root, ".ipynb", left_out)
    return files, left_out


def _too_large(files: list[Path], root: Path, total: int) -> str:
    largest = sorted(files, key=lambda p: p.stat().st_size, reverse=True)[:3]
    names = ", ".join(f"{p.relative_to(root).as_posix()} ({p.stat().st_size / 2**20:.1f} MiB)" for p in largest)
    return (f"the submission would unpack to {total / 2**20:.1f} MiB, more than the grader's "
            f"{MAX_SUBMISSION_BYTES // 2**20} MiB; the largest files are {names}: move large files out of "
            f"{PACKAGE}/ and notebooks/ (or clear large notebook outputs) and run `make submit` again")


def write_submission(root: Path, out: Path | None = None, settings: SubmissionSettings | None = None) -> SubmissionZip:
    """Zip the checkout at ``root`` for the grader into ``out`` (default ``root/submission.zip``), atomically.

    Entries are ``cs231n_cnn/...`` (and ``notebooks/*.ipynb`` if
    ``settings.notebooks``), as in the release, which is what the grader
    looks for. Raises :class:`SubmitError` before writing anything when the
    files exceed the grader's limits.
    """
    root = Path(root).resolve()
    settings = settings or submission_settings(root)
    out = Path(out) if out is not None else root / SUBMISSION_ZIP
    files, left_out = submission_files(root, settings)
    total = sum(p.stat().st_size for p in files)
    if total > MAX_SUBMISSION_BYTES:
        raise SubmitError(_too_large(files, root, total))
    if len(files) > MAX_SUBMISSION_FILES:
        raise SubmitError(f"the submission would hold {len(files)} files, more than the grader's "
                          f"{MAX_SUBMISSION_FILES}; remove the extra files from {PACKAGE}/ and run `make submit` again")
    with atomic_path(out) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in files:
                zf.write(path, path.relative_to(root).as_posix())
    folders = [PACKAGE] + (["notebooks"] if any(p.parent == root / "notebooks" for p in files) else [])
    return SubmissionZip(out.resolve(), len(files), total, out.stat().st_size, folders, settings.upload_note,
                         left_out)
