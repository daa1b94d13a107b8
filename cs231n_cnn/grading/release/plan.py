"""Every file of the release, transformed in memory: nothing is written until all of them are.

A marker error (unbalanced, nested, mismatched) therefore names its file and
line before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ...paths import PACKAGE
from .errors import ReleaseError
from .generated import checks_docstring
from .layout import DATA_FILES, LICENSES, NOTEBOOK_FILES, ignored
from .mapping import notebook_finder
from .markers import hidden_region_count
from .notebooks import dump_notebook, release_notebook
from .pysource import release_python, replace_docstring

__all__ = ["Plan", "plan_release"]


@dataclass
class Plan:
    """The release's files (relative path -> new content, or the source file to copy) and what changed."""

    files: dict[str, bytes | Path] = field(default_factory=dict)
    stubbed_functions: list[str] = field(default_factory=list)     # "path/to/file.py:qualified.name"
    stubbed_cells: list[str] = field(default_factory=list)         # "notebooks/x.ipynb: cell 3"
    cleared_check_cells: int = 0
    hidden_regions: int = 0
    # notebook ("" for none) -> (file, function) of each function it teaches, in file order
    by_notebook: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def stubbed_modules(self) -> list[str]:
        """The library modules (dotted names) that have stubs: the release must import them."""
        return sorted({f.split(":")[0][:-3].replace("/", ".").removesuffix(".__init__")
                       for f in self.stubbed_functions if f.startswith(PACKAGE + "/")})


def _read_notebooks(root: Path) -> dict[str, dict]:
    notebooks = {}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        try:
            notebooks[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ReleaseError(f"notebooks/{path.name}: not a valid notebook ({exc})") from None
    return notebooks


def plan_release(root: Path, checks: dict) -> Plan:
    """Transform every file of the repository at ``root`` that the release ships.

    ``checks`` is what :func:`~cs231n_cnn.grading.load_checks` returns for
    ``root/checks``: which notebook teaches which function comes from them.
    """
    plan = Plan()
    files = plan.files
    notebooks = _read_notebooks(root)
    finder = notebook_finder(notebooks, checks)

    def python(path: Path, rel: str) -> None:
        source = path.read_text(encoding="utf-8")
        new, stubbed = release_python(source, rel, finder)
        plan.hidden_regions += hidden_region_count(source)
        if rel == "checks/__init__.py":
            new = replace_docstring(new, checks_docstring())
        for name in stubbed:
            plan.stubbed_functions.append(f"{rel}:{name}")
            plan.by_notebook.setdefault(finder(name) or "", []).append((rel, name))
        files[rel] = new.encode("utf-8") if new != source else path

    for path in sorted((root / PACKAGE).rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(ignored(part) for part in rel.parts):
            continue
        if path.suffix == ".py":
            python(path, rel.as_posix())
        else:
            files[rel.as_posix()] = path

    for path in sorted((root / "checks").iterdir()):
        if path.name == "__pycache__":
            continue
        if path.suffix != ".py" or not path.is_file():
            raise ReleaseError(f"checks/{path.name}: only .py files can be published from checks/ "
                               f"(a data file could belong to a hidden check); move it or teach the release tool")
        python(path, f"checks/{path.name}")

    for name, nb in notebooks.items():
        released, report = release_notebook(nb, f"notebooks/{name}")
        files[f"notebooks/{name}"] = dump_notebook(released).encode("utf-8")
        plan.stubbed_cells += [f"notebooks/{name}: cell {i}" for i in report.stubbed_cells]
        plan.cleared_check_cells += len(report.cleared_check_cells)
        plan.hidden_regions += report.hidden_regions
    for name in NOTEBOOK_FILES:
        if (root / "notebooks" / name).is_file():
            files[f"notebooks/{name}"] = root / "notebooks" / name
    for name in DATA_FILES:
        if (root / "data" / name).is_file():
            files[f"data/{name}"] = root / "data" / name
    for name in ("pyproject.toml", *LICENSES):
        if (root / name).is_file():
            files[name] = root / name
    return plan
