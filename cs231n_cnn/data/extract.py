"""Unpacking a verified archive safely and moving the dataset into place only once it loads.

:func:`safe_extract` refuses any member but plain files and directories inside
the destination (and applies tarfile's ``'data'`` filter where Python has it);
:func:`install_dataset` unpacks into a temporary directory inside ``dest``,
validates every batch, records what it installed, and renames it into place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path, PureWindowsPath

from .cifar10 import DATASET_DIRNAME, TEST_BATCH, TRAIN_BATCHES, load_CIFAR_batch
from .errors import DownloadError, UnsafeArchiveError, one_line
from .verify import SOURCE_FILE, dataset_problems, file_records

__all__ = ["TEMP_PREFIX", "safe_extract",
           # for download.py
           "remove_stale_temp_dirs", "install_dataset"]

#: Prefix of the temporary extraction directories created inside ``dest``.
TEMP_PREFIX = ".cifar-10-extract-"

_CHUNK = 1 << 20
_HAS_DATA_FILTER = hasattr(tarfile, "data_filter")


def _check_member(member: tarfile.TarInfo, archive: Path, root: str) -> None:
    """Refuse anything but plain files and directories inside ``root``."""
    name = member.name

    def refuse(why: str):
        raise UnsafeArchiveError(one_line(
            f"refusing to extract {archive}: member {name!r} {why}; the CIFAR-10 archive holds only "
            "regular files and directories with relative paths. Nothing was installed"))

    if not name or "\x00" in name:
        refuse("has an empty or invalid name")
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        refuse("has an absolute path")
    if ".." in re.split(r"[\\/]+", name):
        refuse("has a '..' component (path traversal)")
    if member.issym():
        refuse(f"is a symbolic link (to {member.linkname!r})")
    if member.islnk():
        refuse(f"is a hard link (to {member.linkname!r})")
    if member.ischr() or member.isblk():
        refuse("is a device file")
    if member.isfifo():
        refuse("is a FIFO")
    if not (member.isreg() or member.isdir()):
        refuse(f"has unsupported type {member.type!r}")
    # Belt and braces: the final path must stay inside the destination.
    target = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([target, root]) != root:
        refuse("would be written outside the destination")


def _extract_plain(tar: tarfile.TarFile, members, root: Path) -> None:
    """Extraction for Pythons without tarfile's data filter (members pre-checked)."""
    for member in members:
        target = root / member.name
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        src = tar.extractfile(member)
        with src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK)


def safe_extract(archive: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Extract a tar archive into ``dest`` after checking every member.

    Parameters
    ----------
    archive : path-like
        A (possibly compressed) tar file.
    dest : path-like
        Existing directory to extract into.

    Raises
    ------
    UnsafeArchiveError
        If a member has an absolute path, a ``..`` component, is a link,
        a device file or FIFO; nothing is extracted in that case.
    DownloadError
        If the file is not a readable tar archive.
    """
    archive, root = Path(archive), os.path.realpath(dest)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member, archive, root)
            if _HAS_DATA_FILTER:
                try:
                    tar.extractall(root, members=members, filter="data")
                except tarfile.FilterError as exc:
                    raise UnsafeArchiveError(one_line(
                        f"refusing to extract {archive}: {exc}. Nothing was installed")) from None
            else:
                _extract_plain(tar, members, Path(root))
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise DownloadError(one_line(f"{archive} is not a valid .tar.gz archive ({exc})")) from None


def remove_stale_temp_dirs(dest: Path, say) -> None:
    for path in dest.glob(TEMP_PREFIX + "*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            say(f"removed {path.name}, left over from an interrupted run")


def install_dataset(archive: Path, dest: Path, url: str, md5: str, say) -> tuple[int, int]:
    """Unpack a verified archive and move the dataset into place atomically."""
    final = dest / DATASET_DIRNAME
    tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=dest))
    try:
        say(f"extracting {archive.name}")
        safe_extract(archive, tmp)
        extracted = tmp / DATASET_DIRNAME
        problems = dataset_problems(extracted)
        if problems:
            raise DownloadError(one_line(
                f"{archive} does not contain a complete CIFAR-10 dataset in {DATASET_DIRNAME}/: "
                f"{'; '.join(problems)}"))
        counts = []
        for names in (TRAIN_BATCHES, (TEST_BATCH,)):
            n = 0
            for name in names:
                try:
                    n += load_CIFAR_batch(extracted / name)[0].shape[0]
                except ValueError as exc:
                    raise DownloadError(one_line(f"{archive} holds an invalid batch: {exc}")) from None
            counts.append(n)
        (extracted / SOURCE_FILE).write_text(json.dumps(
            {"url": url, "md5": md5, "num_train": counts[0], "num_test": counts[1],
             "files": file_records(extracted)}, indent=1) + "\n",
            encoding="utf-8")
        previous = None
        if final.exists() or final.is_symlink():
            # os.rename cannot replace a non-empty directory: move the old one
            # aside into tmp (deleted below) and the new one in right after.
            previous = tmp / "previous"
            os.rename(final, previous)
        try:
            os.rename(extracted, final)
        except BaseException:
            if previous is not None:
                os.rename(previous, final)
            raise
        return counts[0], counts[1]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
