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


def library_tree(text: str) -> set[str]:
    """The paths the README's library tree lists: ``name.py`` lines and ``dir/`` lines (its ``__init__.py``)."""
    block = text.split("## The library", 1)[1].split("```", 2)[1]
    listed, stack = set(), []
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        del stack[depth:]
        if name.endswith("/"):
            stack.append(name.rstrip("/"))
            if stack[0] == "cs231n_cnn":
                listed.add("/".join(stack) + "/__init__.py")
        elif name.endswith(".py"):
            listed.add("/".join([*stack, name]))
    return listed


def test_the_library_tree_lists_every_module_once():
    # One line per module, so a new module is described where a new maintainer reads first.
    root = README.parent
    modules = {p.relative_to(root).as_posix() for p in (root / "cs231n_cnn").rglob("*.py")
               if "__pycache__" not in p.parts}
    listed = library_tree(README.read_text(encoding="utf-8"))
    assert sorted(modules - listed) == [], "modules the README's library tree does not list"
    assert sorted(listed - modules) == [], "the README's library tree lists files that do not exist"
