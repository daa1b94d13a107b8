"""Getting the archive's bytes: where from (argument, environment, official URL) and a resumable download.

:func:`fetch_archive` writes ``<name>.part``, resuming with an HTTP ``Range``
request what an interrupted run left, restarting cleanly when the server ignores
it; ``file://`` mirrors are read in place (:func:`local_path`). Standard library only.
"""

from __future__ import annotations

import http.client
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .. import __version__
from .errors import DownloadError, one_line

__all__ = ["DEFAULT_URL", "DEFAULT_MD5", "URL_ENV", "MD5_ENV", "DEFAULT_TIMEOUT", "MIRROR_HINT", "resolve_source",
           # for download.py
           "archive_name", "local_path", "unreachable", "fetch_archive"]

DEFAULT_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
DEFAULT_MD5 = "c58f30108f718f92721af3b95e74349a"
URL_ENV = "CS231N_CIFAR10_URL"
MD5_ENV = "CS231N_CIFAR10_MD5"
DEFAULT_TIMEOUT = 30.0

_CHUNK = 1 << 20
_SCHEMES = ("http", "https", "ftp", "file")

MIRROR_HINT = (
    "to use a mirror pass --url file:///path/to/cifar-10-python.tar.gz (or an http(s) URL) "
    f"or set {URL_ENV}, and give its MD5 with --md5 or {MD5_ENV} if it is not the official archive")


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


def archive_name(url: str) -> str:
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path).rsplit("/", 1)[-1]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        return "cifar-10-python.tar.gz"
    return name


def local_path(url: str) -> Path:
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

def unreachable(url: str, reason) -> DownloadError:
    hint = MIRROR_HINT[0].upper() + MIRROR_HINT[1:]
    return DownloadError(one_line(f"cannot download {url}: {reason}. Offline or blocked? {hint}"))


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


def fetch_archive(url: str, part: Path, *, timeout: float, stream, quiet: bool) -> None:
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
            raise unreachable(url, _reason(exc, timeout)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            raise unreachable(url, _reason(exc, timeout)) from None

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
        raise DownloadError(one_line(
            f"download of {url} interrupted after {done:,}{of} bytes ({reason}); the partial file "
            f"{part} is kept: run the same command again to resume, or {MIRROR_HINT}"))
