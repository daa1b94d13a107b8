"""Download, verify and safely unpack the CIFAR-10 python archive.

:func:`download_cifar10` is what ``cs231n-cnn data download`` and
``data/get_datasets.sh`` run. It never leaves a half-valid dataset behind:

1. If ``<dest>/cifar-10-batches-py`` already holds a verified dataset
   (:func:`verify_dataset`: every file as it was unpacked, by the SHA-256
   recorded at installation; without that record, every batch loads),
   there is nothing to do. A damaged one is reinstalled (``"repaired"``).
2. Otherwise the archive is fetched into ``<name>.part`` (standard library
   only). A ``.part`` left by an interrupted run is resumed with an HTTP
   ``Range`` request; if the server ignores it (200 instead of 206) the
   download restarts cleanly from byte 0, and a ``.part`` larger than the
   server's file is discarded. ``file://`` mirrors are read in place.
3. The MD5 is checked *before* anything is unpacked. On a mismatch the
   download is deleted and the error shows the expected and actual sums.
4. Every archive member is checked before extraction: only regular files
   and directories with relative paths and no ``..`` component are
   accepted (no absolute paths, no links, no device files). Where Python
   provides it (3.12, and 3.8.17+/3.9.17+/3.10.12+/3.11.4+) tarfile's
   ``'data'`` extraction filter is applied as well.
5. The archive is unpacked into a temporary directory inside ``dest``; the
   batches are loaded and validated, the size and SHA-256 of every file
   are recorded in ``.cs231n-source.json``; only then is the directory
   renamed to ``cifar-10-batches-py``. A temporary directory left by a killed run is
   removed the next time.

Do not run two downloads into the same ``dest`` at the same time.

The parts live in :mod:`.fetch` (step 2), :mod:`.verify` (steps 1 and 3's
checksums), :mod:`.extract` (steps 4 and 5) and :mod:`.errors`.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .cifar10 import DATASET_DIRNAME, default_data_dir
from .errors import ChecksumError, DownloadError, one_line
from .extract import install_dataset, remove_stale_temp_dirs
from .fetch import DEFAULT_TIMEOUT, MD5_ENV, archive_name, fetch_archive, local_path, resolve_source, unreachable
from .verify import file_md5, read_source_info, verify_dataset

__all__ = ["DownloadResult", "download_cifar10"]


@dataclass(frozen=True)
class DownloadResult:
    """What :func:`download_cifar10` did.

    Attributes
    ----------
    path : pathlib.Path
        The ``cifar-10-batches-py`` directory.
    status : str
        ``"present"`` (already there and verified, nothing done),
        ``"installed"``, or ``"repaired"`` (a damaged dataset was there and
        has been replaced; ``note`` says what was wrong).
    url, md5 : str
        The source that was requested.
    note : str or None
        E.g. that the present dataset came from a different archive.
    num_train, num_test : int or None
        Image counts, known when the dataset was just installed.
    """

    path: Path
    status: str
    url: str
    md5: str
    note: str | None = None
    num_train: int | None = None
    num_test: int | None = None


def _obtain_archive(url: str, md5: str, dest: Path, *, timeout: float, stream, quiet: bool, say) -> tuple[Path, bool]:
    """The archive with the right MD5: a ``file://`` mirror read in place, or downloaded into ``dest``.

    Returns ``(archive, downloaded)``; a downloaded archive is the caller's to delete.
    A download whose MD5 differs is deleted before :class:`ChecksumError` is raised.
    """
    if urllib.parse.urlsplit(url).scheme.lower() == "file":
        archive = local_path(url)
        if not archive.is_file():
            raise unreachable(url, f"{archive} does not exist")
        downloaded = False
    else:
        archive = dest / archive_name(url)
        part = archive.with_name(archive.name + ".part")
        downloaded = True
        if archive.is_file() and file_md5(archive) == md5:
            say(f"using {archive}, downloaded earlier")
        else:
            if archive.exists():
                archive.unlink()
            say(f"downloading {url}")
            fetch_archive(url, part, timeout=timeout, stream=stream, quiet=quiet)
            got = file_md5(part)
            if got != md5:
                part.unlink()
                raise ChecksumError(one_line(
                    f"checksum mismatch for {url}: expected MD5 {md5}, got {got}; the download was "
                    "deleted. If the mirror serves a different archive on purpose, pass its MD5 with "
                    f"--md5 or {MD5_ENV}"))
            os.replace(part, archive)

    if not downloaded:
        got = file_md5(archive)
        if got != md5:
            raise ChecksumError(one_line(
                f"checksum mismatch for {archive}: expected MD5 {md5}, got {got}; pass the right MD5 "
                f"with --md5 or {MD5_ENV} if this is not the official archive"))
    return archive, downloaded


def download_cifar10(dest: str | os.PathLike | None = None, url: str | None = None,
                     md5: str | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                     quiet: bool = False, force: bool = False, keep_archive: bool = False,
                     stream=None) -> DownloadResult:
    """Make sure ``<dest>/cifar-10-batches-py`` holds a verified CIFAR-10.

    Parameters
    ----------
    dest : path-like or None
        Directory to install into (created if needed); ``None`` means
        :func:`~cs231n_cnn.data.cifar10.default_data_dir`.
    url, md5 : str or None
        Archive source and checksum; see :func:`~.fetch.resolve_source`.
    timeout : float
        Seconds to wait for the connection and for each read.
    quiet : bool
        Print no progress or notes.
    force : bool
        Reinstall even if a complete dataset is present (it is replaced
        only once the new one is verified).
    keep_archive : bool
        Keep the downloaded ``.tar.gz`` in ``dest`` (deleted by default;
        a kept archive is reused by the next install if its MD5 matches).
    stream : file-like or None
        Where progress and notes go (default ``sys.stderr``).

    Returns
    -------
    DownloadResult

    Raises
    ------
    ValueError
        For a malformed URL or MD5.
    DownloadError
        If the archive cannot be fetched (the message says how to use a
        mirror), is incomplete, fails its checksum (:class:`ChecksumError`,
        showing both sums), is unsafe (:class:`UnsafeArchiveError`) or does
        not hold a valid dataset. ``dest/cifar-10-batches-py`` is then left
        as it was.
    """
    url, md5 = resolve_source(url, md5)
    dest = Path(dest).expanduser() if dest is not None else default_data_dir()
    stream = sys.stderr if stream is None else stream
    say = (lambda msg: None) if quiet else (lambda msg: print(msg, file=stream, flush=True))
    final = dest / DATASET_DIRNAME

    if dest.exists() and not dest.is_dir():
        raise DownloadError(f"cannot install into {dest}: it is not a directory")
    dest.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_dirs(dest, say)

    damage = None
    if not force and (final.exists() or final.is_symlink()):
        problems = verify_dataset(final)
        if not problems:
            info = read_source_info(final) or {}
            note = None
            if info.get("md5") and info["md5"] != md5:
                note = (f"the dataset in {final} came from {info.get('url')} (MD5 {info['md5']}), not from "
                        f"the requested archive (MD5 {md5}); pass --force to replace it")
            return DownloadResult(final, "present", url, md5, note=note)
        damage = one_line(f"the dataset in {final} was damaged ({'; '.join(problems)}) and has been replaced")
        say(f"the dataset in {final} is damaged ({'; '.join(problems)}): installing it again")

    archive, downloaded = _obtain_archive(url, md5, dest, timeout=timeout, stream=stream, quiet=quiet, say=say)

    try:
        num_train, num_test = install_dataset(archive, dest, url, md5, say)
    except DownloadError:
        if downloaded:
            archive.unlink()  # verified but unusable: nothing to reuse
        raise
    # On an interruption (Ctrl-C) the verified archive stays for the next run.
    if downloaded and not keep_archive:
        archive.unlink()
    return DownloadResult(final, "installed" if damage is None else "repaired", url, md5, note=damage,
                          num_train=num_train, num_test=num_test)
