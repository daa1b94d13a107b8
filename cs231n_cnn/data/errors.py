"""The errors of fetching, verifying and installing CIFAR-10, each a one-line message.

:class:`DownloadError` is what the command line reports; the two subclasses say
which rule the archive broke.
"""

from __future__ import annotations

__all__ = ["DownloadError", "ChecksumError", "UnsafeArchiveError", "one_line"]


class DownloadError(RuntimeError):
    """The dataset could not be downloaded or installed (message is one line)."""


class ChecksumError(DownloadError):
    """The archive's MD5 is not the expected one."""


class UnsafeArchiveError(DownloadError):
    """The archive has a member that could write outside the destination."""


def one_line(text) -> str:
    return " ".join(str(text).split())
