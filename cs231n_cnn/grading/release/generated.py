"""The files the release generates from templates shipped as package data (``templates/``).

The student README (what to implement, what is graded, what to upload),
Makefile (real tabs), ``.gitignore`` and ``test_public_checks.py``, the docstring of the released ``checks/__init__.py``
and the released ``checks/_reference.py`` (lookups of recorded results).
Templates ending in ``.tmpl`` are filled with :meth:`str.format`; the others
are copied as they are.
"""

from __future__ import annotations

import json
from importlib import resources

__all__ = ["read_template", "student_files", "checks_docstring", "generated_reference"]


def read_template(name: str) -> str:
    """The text of ``templates/<name>`` (UTF-8), from the installed package."""
    return resources.files(__package__).joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def _by_file(funcs: list[tuple[str, str]]) -> str:
    """``a``, ``b`` in ``file``; ... : the functions grouped by the file they are written in."""
    files: dict[str, list[str]] = {}
    for rel, name in funcs:
        files.setdefault(rel, []).append(name)
    return "; ".join(f"{', '.join(f'`{f}`' for f in names)} in `{rel}`" for rel, names in files.items())


def _readme(by_notebook: dict[str, list[tuple[str, str]]], n_public: int, submission) -> str:
    rows = "\n".join(f"| `notebooks/{nb}` | {_by_file(funcs)} |" for nb, funcs in sorted(by_notebook.items()) if nb)
    if by_notebook.get(""):
        # Solutions no notebook teaches (the complete library's fast paths): removed, not exercises.
        rows += ("\n\nLeft out of this release, with nothing for you to write: "
                 + _by_file(by_notebook[""])
                 + ". They are fast paths of the complete library whose code would give away "
                   "the solutions above; they raise `NotImplementedError`.")
    what = ("`cs231n_cnn/` (your library code) and `notebooks/` (your notebooks)" if submission.notebooks
            else "`cs231n_cnn/` (your library code; the notebooks are practice and are not uploaded)")
    note = submission.upload_note.replace("{zip}", "`submission.zip`")
    return read_template("README.md.tmpl").format(rows=rows, n_public=n_public, submit_what=what,
                                                  upload_note=note)


def student_files(by_notebook: dict[str, list[tuple[str, str]]], n_public: int,
                  submission=None) -> dict[str, bytes]:
    """Release path -> content of the generated student files.

    ``by_notebook`` maps a notebook's file name (``""`` for none) to the
    ``(file, function)`` of each function it teaches; ``n_public`` is the number of public checks;
    ``submission`` (a :class:`~cs231n_cnn.grading.submit.SubmissionSettings`,
    default the defaults) says what students upload.
    """
    from ..submit import SubmissionSettings

    submission = submission or SubmissionSettings()
    return {
        "README.md": _readme(by_notebook, n_public, submission).encode("utf-8"),
        "Makefile": read_template("Makefile").encode("utf-8"),
        "test_public_checks.py": read_template("test_public_checks.py.tmpl").encode("utf-8"),
        ".gitignore": read_template("gitignore").encode("utf-8"),
    }


def checks_docstring() -> str:
    """The module docstring of the released ``checks/__init__.py``, quoted, without a final newline."""
    return read_template("checks_docstring.py.tmpl").rstrip("\n")


def generated_reference(functions: list[str], constants: dict[str, str]) -> str:
    """The released ``_reference.py``: ``constants`` (name -> literal text) and a lookup per function."""
    consts = "".join(f"{name} = {text}\n" for name, text in constants.items())
    lookup = read_template("reference_lookup.py.tmpl")
    return read_template("reference.py.tmpl").format(
        constants="\n" + consts if consts else "",
        functions="".join(lookup.format(name=name, quoted=json.dumps(name)) for name in functions))
