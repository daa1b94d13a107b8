"""Calling a student's functions and bringing back only plain data: see :mod:`.runtime.student`.

Kept so that ``cs231n_cnn.grading.student`` stays importable.
"""

from __future__ import annotations

from .runtime.student import CHECK_UNMODIFIED, Handle, InProcessStudent, StudentError, to_plain

__all__ = ["Handle", "StudentError", "InProcessStudent", "to_plain", "CHECK_UNMODIFIED"]
