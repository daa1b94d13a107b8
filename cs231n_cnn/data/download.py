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
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from .. import __version__
from .cifar10 import (
    DATASET_DIRNAME,
    EXPECTED_FILES,
    META_FILE,
    TEST_BATCH,
    TRAIN_BATCHES,
    default_data_dir,
    load_CIFAR_batch,
)

__all__ = [
    "DEFAULT_URL",
    "DEFAULT_MD5",
    "URL_ENV",
    "MD5_ENV",
    "DownloadError",
    "ChecksumError",
    "UnsafeArchiveError",
    "DownloadResult",
    "resolve_source",
    "file_md5",
    "file_sha256",
    "dataset_problems",
    "verify_dataset",
    "read_source_info",
    "safe_extract",
    "download_cifar10",
]

DEFAULT_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
DEFAULT_MD5 = "c58f30108f718f92721af3b95e74349a"
URL_ENV = "CS231N_CIFAR10_URL"
MD5_ENV = "CS231N_CIFAR10_MD5"
DEFAULT_TIMEOUT = 30.0

#: Prefix of the temporary extraction directories created inside ``dest``.
TEMP_PREFIX = ".cifar-10-extract-"
#: Written into the dataset directory: where the data came from.
SOURCE_FILE = ".cs231n-source.json"

_CHUNK = 1 << 20
_SCHEMES = ("http", "https", "ftp", "file")
_HAS_DATA_FILTER = hasattr(tarfile, "data_filter")

MIRROR_HINT = (
    "to use a mirror pass --url file:///path/to/cifar-10-python.tar.gz (or an http(s) URL) "
    f"or set {URL_ENV}, and give its MD5 with --md5 or {MD5_ENV} if it is not the official archive")


class DownloadError(RuntimeError):
    """The dataset could not be downloaded or installed (message is one line)."""


class ChecksumError(DownloadError):
    """The archive's MD5 is not the expected one."""


class UnsafeArchiveError(DownloadError):
    """The archive has a member that could write outside the destination."""


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


# --------------------------------------------------------------------------- small helpers

def _one_line(text) -> str:
    return " ".join(str(text).split())


def resolve_source(url: str | None = None, md5: str | None = None) -> tuple[str, str]:
    """Pick the archive URL and MD5: argument, else environment, else official.

    Parameters
    ----------
    url : str or None
        ``http(s)://``, ``ftp://`` or ``file://`` URL; ``None`` falls back to
        ``$CS231N_CIFAR10_URL``, then :data:`DEFAULT_URL`.
    md5 : str or None
        32 hex digits; ``None`` falls back to ``$CS231N_CIFAR10_MD5``, then
        :data:`DEFAULT_MD5`.

    Returns
    -------
    (url, md5) : tuple of str
        The MD5 in lower case.

    Raises
    ------
    ValueError
        For an unsupported URL scheme or a malformed MD5.
    """
    url = url or os.environ.get(URL_ENV) or DEFAULT_URL
    md5 = (md5 or os.environ.get(MD5_ENV) or DEFAULT_MD5).strip().lower()
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"unsupported URL {url!r}: the scheme must be one of "
                         f"{', '.join(s + '://' for s in _SCHEMES)}")
    if not re.fullmatch(r"[0-9a-f]{32}", md5):
        raise ValueError(f"an MD5 must be 32 hexadecimal digits, got {md5!r}")
    return url, md5


def file_md5(path: str | os.PathLike) -> str:
    """Hex MD5 of a file, read in 1 MiB chunks."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def dataset_problems(directory: str | os.PathLike) -> list[str]:
    """What is missing from a ``cifar-10-batches-py`` directory.

    A cheap check (no unpickling): every file of :data:`EXPECTED_FILES`
    must be a non-empty regular file that can be opened for reading.

    Returns
    -------
    list of str
        Empty if the directory looks complete, else one entry per problem.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [f"{directory} does not exist"]
    problems = []
    for name in EXPECTED_FILES:
        path = directory / name
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        try:
            with open(path, "rb") as f:
                if not f.read(1):
                    problems.append(f"{name} is empty")
        except OSError as exc:
            problems.append(f"{name} is not readable ({exc.strerror or exc})")
    return problems


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_records(directory: Path) -> dict[str, dict]:
    """``{name: {"bytes": n, "sha256": hex}}`` of every expected file: what an installation records."""
    return {name: {"bytes": (directory / name).stat().st_size, "sha256": file_sha256(directory / name)}
            for name in EXPECTED_FILES}


def _matches(path: Path, record: dict) -> bool:
    return path.stat().st_size == record.get("bytes") and file_sha256(path) == record.get("sha256")


def verify_dataset(directory: str | os.PathLike) -> list[str]:
    """What is wrong with a ``cifar-10-batches-py`` directory, reading every byte.

    :func:`dataset_problems` first (every file there and non-empty); then,
    when the installation recorded the size and SHA-256 of each file (in
    :data:`SOURCE_FILE`), every file must still match them; without that
    record (a dataset unpacked by hand or by an older version), every batch
    must load (:func:`~cs231n_cnn.data.cifar10.load_CIFAR_batch`).

    Returns
    -------
    list of str
        Empty if the dataset is intact, else one entry per problem.
    """
    directory = Path(directory)
    problems = dataset_problems(directory)
    if problems:
        return problems
    recorded = (read_source_info(directory) or {}).get("files")
    if not (isinstance(recorded, dict) and all(isinstance(recorded.get(n), dict) for n in EXPECTED_FILES)):
        recorded = None
    for name in EXPECTED_FILES:
        path = directory / name
        if recorded is not None:
            try:
                if _matches(path, recorded[name]):
                    continue
            except OSError as exc:
                problems.append(f"{name} is not readable ({exc.strerror or exc})")
                continue
        if name != META_FILE:            # a batch that does not load says why
            try:
                load_CIFAR_batch(path)
            except (ValueError, OSError) as exc:
                problems.append(_one_line(exc))
                continue
        if recorded is not None:
            problems.append(f"{name} changed since it was installed (its size or SHA-256 differs)")
    return problems


def read_source_info(directory: str | os.PathLike) -> dict | None:
    """The ``{url, md5, num_train, num_test, files}`` record written at install time, if any."""
    try:
        info = json.loads((Path(directory) / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _archive_name(url: str) -> str:
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path).rsplit("/", 1)[-1]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        return "cifar-10-python.tar.gz"
    return name


def _local_path(url: str) -> Path:
    parts = urllib.parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"file:// URLs must name a local path, got host {parts.netloc!r} in {url!r}")
    return Path(urllib.request.url2pathname(parts.path))


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


class _Progress:
    """Progress of one download on ``stream``.

    On a terminal a bar redrawn in place (at most 10 times a second);
    otherwise a line at each 10% (or each 10 MB when the size is unknown),
    so logs stay short. Disabled: prints nothing.
    """

    def __init__(self, label: str, total: int | None, stream, *, start: int = 0, enabled: bool = True):
        self.label, self.total, self.stream = label, total, stream
        self.enabled = enabled and stream is not None
        self.tty = self.enabled and _isatty(stream)
        self.start = self.done = start
        self.t0 = time.monotonic()
        self._last_draw = float("-inf")
        self._last_step = self._step(start)

    def _step(self, done: int) -> int:
        if self.total:
            return int(10 * done / self.total)
        return done // 10_000_000

    def _rate(self) -> str:
        elapsed = time.monotonic() - self.t0
        return f"{(self.done - self.start) / elapsed / 1e6:.1f} MB/s" if elapsed > 0 else ""

    def update(self, done: int) -> None:
        self.done = done
        if not self.enabled:
            return
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw >= 0.1:
                self._last_draw = now
                self._draw()
            return
        step = self._step(done)
        if step > self._last_step:
            self._last_step = step
            if self.total:
                line = f"{self.label}: {min(100, 10 * step)}% ({_mb(done)} of {_mb(self.total)})"
            else:
                line = f"{self.label}: {_mb(done)}"
            print(line, file=self.stream, flush=True)

    def _draw(self) -> None:
        if self.total:
            frac = min(1.0, self.done / self.total)
            bar = "#" * int(30 * frac)
            text = (f"{self.label} [{bar:<30}] {100 * frac:3.0f}% "
                    f"{_mb(self.done)}/{_mb(self.total)} {self._rate()}")
        else:
            text = f"{self.label} {_mb(self.done)} {self._rate()}"
        self.stream.write("\r" + text.ljust(79))
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()


# --------------------------------------------------------------------------- fetching

def _unreachable(url: str, reason) -> DownloadError:
    hint = MIRROR_HINT[0].upper() + MIRROR_HINT[1:]
    return DownloadError(_one_line(f"cannot download {url}: {reason}. Offline or blocked? {hint}"))


def _reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
        if not isinstance(exc, BaseException):  # pragma: no cover
            return str(exc)
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, http.client.IncompleteRead):
        return "connection closed early"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``'bytes 100-199/300'`` -> (100, 300); ``'bytes */300'`` -> (None, 300)."""
    m = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not m:
        return None, None
    start = int(m.group(1)) if m.group(1) is not None else None
    total = int(m.group(2)) if m.group(2) != "*" else None
    return start, total


def _fetch(url: str, part: Path, *, timeout: float, stream, quiet: bool) -> None:
    """Download ``url`` into ``part``, resuming what ``part`` already holds.

    On return ``part`` holds as many bytes as the server announced. On an
    interruption ``part`` is kept (so the next run resumes) and a
    :class:`DownloadError` is raised.
    """
    say = (lambda msg: None) if quiet else (lambda msg: print(msg, file=stream, flush=True))
    for _attempt in range(3):
        offset = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"User-Agent": f"cs231n-cnn/{__version__}"})
        if offset:
            request.add_header("Range", f"bytes={offset}-")
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            with exc:
                if exc.code == 416 and offset:
                    _, total = _content_range(exc.headers.get("Content-Range"))
                    if total == offset:
                        return  # an earlier run got every byte
                    say(f"note: the partial download {part.name} ({offset:,} bytes) is larger than "
                        f"the file on the server ({'unknown size' if total is None else f'{total:,} bytes'}); "
                        "deleted it, starting again")
                    part.unlink()
                    continue
            raise _unreachable(url, _reason(exc, timeout)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            raise _unreachable(url, _reason(exc, timeout)) from None

        with response:
            status = response.status
            if offset and status == 206:
                start, total = _content_range(response.headers.get("Content-Range"))
                if start != offset:
                    say(f"note: the server answered the resume request with the wrong range "
                        f"({response.headers.get('Content-Range')!r}); starting again")
                    part.unlink()
                    continue
                mode = "ab"
                say(f"resuming {part.name} at {_mb(offset)}")
            else:
                if offset:
                    say("note: the server does not support resuming (HTTP 200 to a Range request); "
                        "starting again from the beginning")
                offset, mode = 0, "wb"
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
            _copy(response, part, mode, offset, total, url=url, timeout=timeout, stream=stream, quiet=quiet)
        return
    raise DownloadError(f"cannot download {url}: the server keeps answering resume requests "  # pragma: no cover
                        f"inconsistently; delete {part} and try again")


def _copy(response, part: Path, mode: str, offset: int, total: int | None, *,
          url: str, timeout: float, stream, quiet: bool) -> None:
    progress = _Progress(f"downloading {part.name[:-len('.part')]}", total, stream,
                         start=offset, enabled=not quiet)
    done = offset
    error = None
    try:
        with open(part, mode) as f:
            try:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    done += len(chunk)
                    progress.update(done)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                error = exc
            f.flush()
            os.fsync(f.fileno())
    finally:
        progress.close()
    if error is not None or (total is not None and done != total):
        reason = _reason(error, timeout) if error is not None else "connection closed early"
        of = f" of {total:,}" if total is not None else ""
        raise DownloadError(_one_line(
            f"download of {url} interrupted after {done:,}{of} bytes ({reason}); the partial file "
            f"{part} is kept: run the same command again to resume, or {MIRROR_HINT}"))


# --------------------------------------------------------------------------- extraction

def _check_member(member: tarfile.TarInfo, archive: Path, root: str) -> None:
    """Refuse anything but plain files and directories inside ``root``."""
    name = member.name

    def refuse(why: str):
        raise UnsafeArchiveError(_one_line(
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
                    raise UnsafeArchiveError(_one_line(
                        f"refusing to extract {archive}: {exc}. Nothing was installed")) from None
            else:
                _extract_plain(tar, members, Path(root))
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise DownloadError(_one_line(f"{archive} is not a valid .tar.gz archive ({exc})")) from None


def _remove_stale_temp_dirs(dest: Path, say) -> None:
    for path in dest.glob(TEMP_PREFIX + "*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            say(f"removed {path.name}, left over from an interrupted run")


def _install(archive: Path, dest: Path, url: str, md5: str, say) -> tuple[int, int]:
    """Unpack a verified archive and move the dataset into place atomically."""
    final = dest / DATASET_DIRNAME
    tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=dest))
    try:
        say(f"extracting {archive.name}")
        safe_extract(archive, tmp)
        extracted = tmp / DATASET_DIRNAME
        problems = dataset_problems(extracted)
        if problems:
            raise DownloadError(_one_line(
                f"{archive} does not contain a complete CIFAR-10 dataset in {DATASET_DIRNAME}/: "
                f"{'; '.join(problems)}"))
        counts = []
        for names in (TRAIN_BATCHES, (TEST_BATCH,)):
            n = 0
            for name in names:
                try:
                    n += load_CIFAR_batch(extracted / name)[0].shape[0]
                except ValueError as exc:
                    raise DownloadError(_one_line(f"{archive} holds an invalid batch: {exc}")) from None
            counts.append(n)
        (extracted / SOURCE_FILE).write_text(json.dumps(
            {"url": url, "md5": md5, "num_train": counts[0], "num_test": counts[1],
             "files": _file_records(extracted)}, indent=1) + "\n",
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


# --------------------------------------------------------------------------- entry point

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
        Archive source and checksum; see :func:`resolve_source`.
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
    _remove_stale_temp_dirs(dest, say)

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
        damage = _one_line(f"the dataset in {final} was damaged ({'; '.join(problems)}) and has been replaced")
        say(f"the dataset in {final} is damaged ({'; '.join(problems)}): installing it again")

    if urllib.parse.urlsplit(url).scheme.lower() == "file":
        archive = _local_path(url)
        if not archive.is_file():
            raise _unreachable(url, f"{archive} does not exist")
        downloaded = False
    else:
        archive = dest / _archive_name(url)
        part = archive.with_name(archive.name + ".part")
        downloaded = True
        if archive.is_file() and file_md5(archive) == md5:
            say(f"using {archive}, downloaded earlier")
        else:
            if archive.exists():
                archive.unlink()
            say(f"downloading {url}")
            _fetch(url, part, timeout=timeout, stream=stream, quiet=quiet)
            got = file_md5(part)
            if got != md5:
                part.unlink()
                raise ChecksumError(_one_line(
                    f"checksum mismatch for {url}: expected MD5 {md5}, got {got}; the download was "
                    "deleted. If the mirror serves a different archive on purpose, pass its MD5 with "
                    f"--md5 or {MD5_ENV}"))
            os.replace(part, archive)

    if not downloaded:
        got = file_md5(archive)
        if got != md5:
            raise ChecksumError(_one_line(
                f"checksum mismatch for {archive}: expected MD5 {md5}, got {got}; pass the right MD5 "
                f"with --md5 or {MD5_ENV} if this is not the official archive"))
    try:
        num_train, num_test = _install(archive, dest, url, md5, say)
    except DownloadError:
        if downloaded:
            archive.unlink()  # verified but unusable: nothing to reuse
        raise
    # On an interruption (Ctrl-C) the verified archive stays for the next run.
    if downloaded and not keep_archive:
        archive.unlink()
    return DownloadResult(final, "installed" if damage is None else "repaired", url, md5, note=damage,
                          num_train=num_train, num_test=num_test)
