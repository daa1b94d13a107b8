"""A submission's files, copied safely: a zip unpacked within caps, its ``cs231n_cnn`` found and staged."""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from ...paths import PACKAGE
from ..sandbox.text import clean_text

__all__ = ["SubmissionError", "extract_zip", "find_package_root", "stage_submission", "MAX_SUBMISSION_BYTES",
           "MAX_SUBMISSION_FILES", "SUBMISSION_ZIP", "WHAT_TO_ZIP"]

MAX_SUBMISSION_BYTES = 100 * 2**20
MAX_SUBMISSION_FILES = 5000
_SKIP = ("__pycache__", "__MACOSX", ".ipynb_checkpoints", ".git")


class SubmissionError(Exception):
    """The submission cannot be graded as it is (not a zip, no package, too large...)."""


#: The zip the student release's `make submit` writes (cs231n_cnn.grading.submit), at the top of the checkout.
SUBMISSION_ZIP = "submission.zip"
# What a refusal for size says to do: `make submit` zips exactly what is graded, within these limits.
WHAT_TO_ZIP = (f"upload the zip that `make submit` writes in your checkout ({SUBMISSION_ZIP}: the {PACKAGE} "
               f"folder, not the whole working folder with .venv and data/)")


def extract_zip(path: Path, dest: Path, *, max_bytes: int = MAX_SUBMISSION_BYTES,
                max_files: int = MAX_SUBMISSION_FILES) -> list[str]:
    """Extract a zip safely into ``dest``; returns notes on entries that were skipped.

    Absolute paths and ``..`` are refused (the whole zip), links are
    skipped, and the number of files and the bytes actually written are
    capped (declared sizes can lie).
    """
    notes = []
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"the submission is not a readable zip file ({exc})") from None
    written = files = 0
    with zf:
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
                raise SubmissionError(f"the zip holds an unsafe path {clean_text(name, 100)!r}")
            if not parts or parts[0] in _SKIP or any(p in _SKIP for p in parts):
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                notes.append(f"skipped the link {clean_text(name, 200)}")
                continue
            target = dest.joinpath(*parts)
            files += 1          # directories too: each is an inode and a mkdir
            if files > max_files:
                raise SubmissionError(f"the zip holds more than {max_files} files and folders; {WHAT_TO_ZIP}")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    while True:
                        chunk = src.read(2**20)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > max_bytes:
                            raise SubmissionError(f"the zip unpacks to more than {max_bytes // 2**20} MiB; "
                                                  f"{WHAT_TO_ZIP}")
                        dst.write(chunk)
            except (OSError, ValueError, zipfile.BadZipFile, NotImplementedError) as exc:  # bad names, CRCs, methods
                raise SubmissionError(f"cannot extract {clean_text(name, 100)!r} from the zip ({exc})") from None
    return notes


def find_package_root(tree: Path, max_depth: int = 2) -> Path:
    """The directory holding ``cs231n_cnn/__init__.py``: ``tree`` itself or a folder up to ``max_depth`` below."""
    found = []
    level = [tree]
    for _ in range(max_depth + 1):
        found = [d for d in level if (d / PACKAGE / "__init__.py").is_file()
                 and not (d / PACKAGE).is_symlink()]
        if found:
            break
        nxt = []
        for d in level:
            try:
                nxt += sorted(c for c in d.iterdir()
                              if c.is_dir() and not c.is_symlink() and c.name not in _SKIP
                              and not c.name.startswith(".") and c.name != PACKAGE)
            except OSError:
                continue
        level = nxt[:200]
    if not found:
        raise SubmissionError(f"no {PACKAGE} package found in the submission (expected {PACKAGE}/__init__.py "
                              f"at its top level, as in the release)")
    if len(found) > 1:
        raise SubmissionError("the submission holds several cs231n_cnn packages: "
                              + ", ".join(str(f.relative_to(tree)) for f in found[:3]))
    return found[0]


def _copy_package(src: Path, dest: Path) -> list[str]:
    """Copy the package tree without links, bytecode or caches, within the size caps."""
    notes, total, count = [], 0, 0
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        rel = Path(dirpath).relative_to(src)
        dirnames[:] = [d for d in dirnames if d not in _SKIP]
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                notes.append(f"skipped the link {PACKAGE}/{rel / d}")
                dirnames.remove(d)
        (dest / rel).mkdir(parents=True, exist_ok=True)
        for f in filenames:
            path = Path(dirpath, f)
            if f.endswith((".pyc", ".pyo")):
                continue
            if path.is_symlink() or not path.is_file():
                notes.append(f"skipped the link or special file {PACKAGE}/{rel / f}")
                continue
            count += 1
            total += path.stat().st_size
            if count > MAX_SUBMISSION_FILES or total > MAX_SUBMISSION_BYTES:
                raise SubmissionError(f"the {PACKAGE} package is larger than {MAX_SUBMISSION_FILES} files or "
                                      f"{MAX_SUBMISSION_BYTES // 2**20} MiB: remove data or checkpoint files from it; "
                                      f"`make submit` in your checkout writes the zip to upload")
            shutil.copyfile(path, dest / rel / f)
    return notes


def _starts_like_a_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


def stage_submission(submission, dest: Path, scratch: Path) -> list[str]:
    """Copy the submission's package to ``dest/cs231n_cnn``; ``scratch`` receives an unpacked zip.

    Returns notes for the report; raises SubmissionError.
    """
    submission = Path(submission)
    if not submission.exists():
        raise SubmissionError(f"the submission {submission} does not exist")
    notes = []
    if submission.is_dir():
        tree = submission
    elif submission.suffix.lower() == ".zip" or _starts_like_a_zip(submission) or zipfile.is_zipfile(submission):
        tree = scratch / "unpacked"
        tree.mkdir()
        notes += extract_zip(submission, tree)      # a damaged zip says so here
    else:
        raise SubmissionError(f"the submission must be a directory or a .zip file, got {submission.name}")
    root = find_package_root(tree)
    notes += _copy_package(root / PACKAGE, dest / PACKAGE)
    return notes
