"""How starting or talking to a worker can fail."""

from __future__ import annotations

__all__ = ["SandboxUnavailable", "SubmissionImportError", "WorkerTimeout", "WorkerDied"]


class SandboxUnavailable(RuntimeError):
    """The requested sandbox mode cannot run here (the message says why)."""


class SubmissionImportError(Exception):
    """The submission's package could not be imported.

    ``message`` is one line; ``details`` the traceback through the
    submission's files, if any (both hold untrusted text).
    """

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.message = message
        self.details = details



class WorkerTimeout(Exception):
    pass


class WorkerDied(Exception):
    pass
