"""The error every part of the release build raises: one line for the user."""

from __future__ import annotations

__all__ = ["ReleaseError"]


class ReleaseError(ValueError):
    """The release cannot be built; the message is one line for the user."""
