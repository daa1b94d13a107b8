"""Untrusted text (the student's messages, output and file names) made safe to show in a report.

One rule, :func:`scrub`: control characters other than tab and newline
become ``?``, so the student's text cannot move the cursor, clear a line or
hide itself in a terminal or a report viewer.
"""

from __future__ import annotations

import re

__all__ = ["scrub", "clean_text", "clean_lines"]

_MAX_MESSAGE = 400
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def scrub(text: str) -> str:
    """``text`` with every control character except tab and newline replaced by ``?``."""
    return _CONTROL.sub("?", text)


def clean_text(text: str, limit: int = _MAX_MESSAGE) -> str:
    """One line of untrusted text: control characters and newlines replaced, length capped."""
    text = scrub(text)
    text = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def clean_lines(text: str, max_lines: int = 12, limit: int = 2000) -> str:
    """Untrusted text kept as a few lines: a headline, then details such as the student's file and line.

    Control characters other than newline are replaced and blank lines
    dropped. The reports indent every line after the first, so a line of
    the student's cannot pose as one of the grader's (a fake ``PASS``).
    """
    text = scrub(text[:limit])
    lines = [line.rstrip() for line in text.split("\n") if line.strip()]
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [f"[... {len(lines) - max_lines + 1} more lines]"]
    return "\n".join(lines) or "failed"
