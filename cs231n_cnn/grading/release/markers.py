"""Solution and hidden-test markers: finding the regions they delimit, and replacing those regions.

nbgrader's solution markers are comment lines ``### BEGIN`` and ``### END``,
each followed by the word ``SOLUTION``; the hidden-test markers are the same
followed by ``HIDDEN`` and ``TESTS``. BEGIN and END must pair up at the same
indentation, without nesting. (This module never spells a marker out in
full, so that it can ship in the release it builds.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ReleaseError

__all__ = ["SOLUTION", "HIDDEN", "FORBIDDEN", "MarkerError", "Region", "find_regions", "has_markers",
           "hidden_region_count", "replace_regions"]

SOLUTION, HIDDEN = "SOLUTION", "HIDDEN" + " TESTS"
# Text that must not survive into a release, whatever file it is in.
FORBIDDEN = (f"BEGIN {SOLUTION}", f"END {SOLUTION}", HIDDEN)

_MARKER = re.compile(r"^(?P<indent>[ \t]*)### (?P<edge>BEGIN|END) (?P<kind>SOLUTION|HIDDEN[ ]TESTS)(?P<rest>.*?)\s*$")


class MarkerError(ReleaseError):
    """Solution or hidden-test markers that do not pair up; names the file and line."""


@dataclass(frozen=True)
class Region:
    """A marked region: lines ``begin`` to ``end`` (0-based, both marker lines included)."""

    kind: str
    begin: int
    end: int
    indent: str


def has_markers(lines: list[str]) -> bool:
    """Whether any of ``lines`` is a marker line (well-formed or not)."""
    return any(_MARKER.match(line.rstrip("\r\n")) for line in lines)


def hidden_region_count(source: str) -> int:
    """How many hidden-test regions ``source`` opens (its BEGIN markers of that kind)."""
    return sum(1 for line in source.splitlines()
               if (m := _MARKER.match(line)) and m["edge"] == "BEGIN" and m["kind"] == HIDDEN)


def find_regions(lines: list[str], where, marker_lines=None) -> list[Region]:
    """The marked regions of ``lines``, in order; raises :class:`MarkerError`.

    ``where(i)`` names line ``i`` (0-based) in messages, e.g. ``"conv.py:12"``.
    ``marker_lines``, if given, is the set of line indices on which a marker
    may stand (the comment lines of a Python file): a marker anywhere else is
    inside a string and is an error rather than silently ignored.
    """
    regions: list[Region] = []
    opened = None                      # (kind, line index, indent) of the open BEGIN
    for i, line in enumerate(lines):
        m = _MARKER.match(line.rstrip("\r\n"))
        if not m:
            continue
        edge, kind, indent = m["edge"], m["kind"], m["indent"]
        text = f"### {edge} {kind}"
        if marker_lines is not None and i not in marker_lines:
            raise MarkerError(f"{where(i)}: {text} inside a string; markers must be comment lines")
        if m["rest"]:
            raise MarkerError(f"{where(i)}: unexpected text after {text}: {line.strip()!r}")
        if edge == "BEGIN":
            if opened is not None:
                raise MarkerError(f"{where(i)}: {text} nested inside ### BEGIN {opened[0]} "
                                  f"opened at {where(opened[1])}")
            opened = (kind, i, indent)
            continue
        if opened is None:
            raise MarkerError(f"{where(i)}: {text} without a matching ### BEGIN {kind}")
        if opened[0] != kind:
            raise MarkerError(f"{where(i)}: {text} closes ### BEGIN {opened[0]} opened at {where(opened[1])}")
        if opened[2] != indent:
            raise MarkerError(f"{where(i)}: {text} is indented {len(indent)} columns but its BEGIN at "
                              f"{where(opened[1])} is indented {len(opened[2])}; they must match")
        regions.append(Region(kind, opened[1], i, indent))
        opened = None
    if opened is not None:
        raise MarkerError(f"{where(opened[1])}: ### BEGIN {opened[0]} is never closed by ### END {opened[0]}")
    return regions


def replace_regions(lines: list[str], regions: list[Region], stub) -> str:
    """``lines`` with each region replaced by ``stub(region)`` (text, possibly empty)."""
    out, prev = [], 0
    for r in regions:
        out.extend(lines[prev:r.begin])
        text = stub(r)
        if text and not lines[r.end].endswith("\n"):
            text = text.rstrip("\n")    # the END line was the last line: keep "no final newline"
        out.append(text)
        prev = r.end + 1
    out.extend(lines[prev:])
    return "".join(out)
