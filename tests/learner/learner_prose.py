"""Which library functions a notebook's markdown asks the learner to implement, read as a learner reads it.

A cell asks when one of its sentences starts with "Implement" (bold or not),
says "... and implement ...", or is a heading "Your implementation: ...".
The functions are the names in backticks in that sentence that the library
has solutions for: ``conv_forward_naive(x, w, b, conv_param)`` counts as
``conv_forward_naive``; a class name (``ThreeLayerConvNet``) means all its
methods with solutions, or only those the sentence names as well
(``ThreeLayerConvNet``'s ``loss``); a file in backticks
(``cs231n_cnn/layers/conv.py``) picks among functions of the same name.
A sentence that asks without naming anything ("Implement both with a loop")
refers to the cell's "Your implementation" heading, else to the markdown cell
just before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Request", "asked_functions", "ProseError"]

_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z*#`(\[])")
_ASKS = re.compile(r"^[\W_]*(?:\*\*)?Implement\b|\band implement\b|^#+\s*Your implementation\b")
_CODE = re.compile(r"`([^`]+)`")
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")
_IN_FILE = re.compile(r"\sin\s+`[^`]+\.py`")


class ProseError(ValueError):
    """A cell asks for something without saying what (no function name a learner could act on)."""


@dataclass
class Request:
    """What one markdown cell asks for: qualified names, and the sentences that asked."""

    names: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)


def _sentences(markdown: str) -> list[str]:
    out = []
    for paragraph in _PARAGRAPH.split(markdown):
        lines = paragraph.strip().splitlines()
        # A heading is a sentence of its own, even without a blank line after it.
        while lines and lines[0].lstrip().startswith("#"):
            out.append(lines.pop(0).strip())
        text = " ".join(line.strip() for line in lines)
        out.extend(s for s in _SENTENCE_END.split(text) if s)
    return out


def _resolve(sentence: str, qualnames: dict[str, list[str]]) -> list[str]:
    """Qualified names of library solutions the sentence names; ``qualnames`` maps each to its files.

    In "Implement `a` and `b` in `file.py`, using `c`" only the names before
    the file are asked for; the rest of the sentence refers to other functions.
    """
    files = [f.strip() for f in _CODE.findall(sentence) if f.strip().endswith(".py")]
    asked = _IN_FILE.split(sentence, maxsplit=1)[0]
    tokens = []
    for span in _CODE.findall(asked):
        span = span.strip()
        m = _IDENTIFIER.match(span)
        if m and (m.end() == len(span) or span[m.end()] == "("):
            tokens.append(m.group().removesuffix("."))
    classes = [t for t in tokens if any(q.startswith(t + ".") for q in qualnames)]
    methods = [t for t in tokens if "." not in t and t not in qualnames and t not in classes]
    found = []
    for t in tokens:
        if t in qualnames:
            found.append(t)
        elif t in classes:
            members = [q for q in qualnames if q.startswith(t + ".")]
            named = [q for q in members if q.rsplit(".", 1)[1] in methods]
            found.extend(named or members)
    if files:
        found = [q for q in found if any(f in files for f in qualnames[q])] or found
    return list(dict.fromkeys(found))


def asked_functions(markdown: str, qualnames: dict[str, list[str]], previous_markdown: str = "") -> Request:
    """The functions ``markdown`` asks the learner to implement (empty if it asks nothing).

    ``qualnames`` maps every function with a solution to the files defining
    it. Raises :class:`ProseError` when a sentence asks without naming, and
    neither the cell's heading nor ``previous_markdown`` names anything.
    """
    request = Request()
    sentences = _sentences(markdown)
    heading = next((s for s in sentences if s.startswith("#") and _ASKS.search(s)), "")
    for sentence in sentences:
        if not _ASKS.search(sentence):
            continue
        names = _resolve(sentence, qualnames)
        if not names and sentence.startswith("#"):
            continue                      # "### Your implementation: the forward passes": the sentences say what
        if not names:
            names = _resolve(heading, qualnames)
        if not names and previous_markdown:
            names = [n for s in _sentences(previous_markdown) for n in _resolve(s, qualnames)]
        if not names:
            raise ProseError(f"asks for something but names no library function: {sentence!r}")
        request.sentences.append(sentence)
        request.names.extend(n for n in names if n not in request.names)
    return request
