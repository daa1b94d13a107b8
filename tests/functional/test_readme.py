"""The README's `cs231n-cnn` examples can be typed as written: the command lives in .venv."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
# Activating the environment: `source .venv/bin/activate` or `. .venv/bin/activate`.
ACTIVATE = re.compile(r"^(?:source|\.)\s+\.venv/bin/activate\b")
FENCE = re.compile(r"^\s*(```|~~~)")


def code_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of every line inside a fenced code block."""
    lines, inside = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
        elif inside:
            lines.append((number, line.strip()))
    return lines


def unreachable_examples(text: str) -> list[str]:
    """Example lines running `cs231n-cnn` with no activation of .venv above them and no `.venv/bin/` path."""
    activated, found = False, []
    for number, line in code_lines(text):
        if ACTIVATE.match(line):
            activated = True
        elif line.startswith("cs231n-cnn") and not activated:
            found.append(f"README.md:{number}: {line}")
    return found


def test_every_cs231n_cnn_example_follows_the_activation_of_venv():
    text = README.read_text(encoding="utf-8")
    assert any(line.startswith("cs231n-cnn") for _, line in code_lines(text)), "no example found: parser broken?"
    assert unreachable_examples(text) == []


def test_the_rule_itself():
    block = "```sh\n{}\n```\n"
    bare = block.format("cs231n-cnn data info")
    assert unreachable_examples(bare) == ["README.md:2: cs231n-cnn data info"]
    assert unreachable_examples(block.format(".venv/bin/cs231n-cnn data info")) == []
    assert unreachable_examples(block.format("source .venv/bin/activate") + bare) == []
    assert unreachable_examples(block.format(". .venv/bin/activate") + bare) == []
    assert unreachable_examples(bare + block.format("source .venv/bin/activate")) != []   # too late
    # Prose mentioning the activation does not count: it must be a line to type.
    assert unreachable_examples("Run `source .venv/bin/activate` first.\n" + bare) != []
