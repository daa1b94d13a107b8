"""Realistic student bugs, planted into the reference solution, and the first message each must get.

Each topic module (``optim.py``, ``norm.py``, ...) holds a list ``BUGS`` of
:class:`Bug`: a one-line-ish edit of the reference solution (``old`` source
text replaced by ``new`` inside one function or method), the check it must
lose points in, and a piece of text that the check's first message (the
``FAIL ...`` headline a student reads) must contain and that no other bug's
message contains. ``names`` says whether that message names the bug (states
what the code did and the fix) or only points at it.

The same edit is planted two ways: in process, by re-running the edited
source of the function in its module's namespace (:func:`planted`), and in
a built student release, by editing the released file's text
(:func:`plant_in_files`), so tests can compare what the grader and the
release say.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Edit", "Bug", "planted", "patches", "plant_in_files", "all_bugs", "TOPICS"]

TOPICS = ("optim", "losses", "fc", "dropout", "norm", "conv", "local", "pool", "fractional_pool", "models", "training")


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (found ``count`` times) by ``new`` in ``function`` (``name`` or ``Class.method``) of ``module``."""

    module: str
    function: str
    old: str
    new: str
    count: int = 1


@dataclass(frozen=True)
class Bug:
    id: str
    check: str
    edits: tuple[Edit, ...]
    says: str
    names: bool = True
    why: str = ""           # what a student did, in a few words (for the report)
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def _owner_and_name(edit: Edit):
    module = importlib.import_module(edit.module)
    if "." in edit.function:
        cls_name, name = edit.function.split(".")
        return module, getattr(module, cls_name), name
    return module, module, edit.function


def planted(edits: tuple[Edit, ...] | list[Edit]) -> list[tuple[object, str, object]]:
    """``(owner, attribute, replacement, original)`` for each function the edits touch (combined per function)."""
    by_function: dict[tuple[str, str], list[Edit]] = {}
    for e in edits:
        by_function.setdefault((e.module, e.function), []).append(e)
    out = []
    for (_, function), group in by_function.items():
        module, owner, name = _owner_and_name(group[0])
        obj = vars(owner)[name] if isinstance(owner, type) else getattr(owner, name)
        source = textwrap.dedent(inspect.getsource(obj))
        for e in group:
            assert source.count(e.old) == e.count, f"{e.old!r} is not {e.count} time(s) in {e.module}.{function}"
            source = source.replace(e.old, e.new)
        namespace = dict(vars(module))
        exec(compile(source, f"<{function} with a planted bug>", "exec"), namespace)
        out.append((owner, name, namespace[name], obj))
    return out


def patches(edits) -> list[tuple[object, str, object]]:
    """Every place to patch: the defining module or class, and each ``cs231n_cnn`` module re-exporting the function."""
    found = []
    for owner, name, fake, original in planted(edits):
        found.append((owner, name, fake))
        if isinstance(owner, type):
            continue
        for mod_name, mod in list(sys.modules.items()):
            if (mod_name == "cs231n_cnn" or mod_name.startswith("cs231n_cnn.")) and mod is not owner \
                    and getattr(mod, name, None) is original:
                found.append((mod, name, fake))
    return found


def plant_in_files(root: Path, edits) -> list[Path]:
    """Make ``edits`` in the copies of their modules under ``root`` (a solved release); return the files changed."""
    changed = []
    for edit in edits:
        path = root / Path(*edit.module.split(".")).with_suffix(".py")
        text = path.read_text(encoding="utf-8")
        module, owner, name = _owner_and_name(edit)
        obj = vars(owner)[name] if isinstance(owner, type) else getattr(owner, name)
        original = inspect.getsource(obj)
        # An earlier edit of this bug may have changed the function already: find it by its edited text.
        for done in edits[:edits.index(edit)]:
            if (done.module, done.function) == (edit.module, edit.function):
                original = original.replace(done.old, done.new)
        assert text.count(original) == 1, f"{edit.function} is not verbatim in {path}"
        assert original.count(edit.old) == edit.count, f"{edit.old!r} is not {edit.count} time(s) in {edit.function}"
        path.write_text(text.replace(original, original.replace(edit.old, edit.new)), encoding="utf-8")
        changed.append(path)
    return changed


def all_bugs() -> list[Bug]:
    """Every topic's bugs, in topic order."""
    bugs = []
    for topic in TOPICS:
        try:
            module = importlib.import_module(f"{__name__}.{topic}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{topic}":
                raise
            continue
        bugs += module.BUGS
    return bugs
