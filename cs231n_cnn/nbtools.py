"""Executing the teaching notebooks and checking what is committed.

``python -m cs231n_cnn.nbtools run notebooks/*.ipynb`` (``make notebooks``)
executes each notebook top to bottom in a fresh kernel and writes it back in
place, atomically. For every code cell it records a hash of the cell's source
in ``cell.metadata['cs231n']['source_sha256']``, so a test can tell when a
cell was edited after the notebook was last executed (stale outputs).

``python -m cs231n_cnn.nbtools check notebooks/*.ipynb`` reports notebooks
that are unexecuted, stale, contain errors, or leak absolute paths of the
machine that ran them. The test suite runs the same checks.

A notebook whose cell fails is not written back; ``run`` prints one line
naming the notebook, the cell (numbered from 0, as ``check`` numbers them)
and the error, goes on with the next notebook and exits with status 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from .fileio import atomic_write_text

__all__ = ["NotebookRunError", "source_hash", "problems", "execute", "main"]

META_KEY = "cs231n"
KERNEL_NAME = "python3"
# Absolute paths that reveal the machine a notebook ran on.
_PATH_PATTERNS = [
    re.compile(r"(?<![\w.])/(?:home|root|Users|work|tmp|private|var/folders)/[^\s'\"]+"),
    re.compile(r"[A-Za-z]:\\\\?Users\\\\?"),
]


class NotebookRunError(RuntimeError):
    """A cell of a notebook failed while it was executed; ``str()`` is one line naming notebook, cell and error."""

    def __init__(self, path: Path, cell_index: int | None, error: str):
        where = f"cell {cell_index}" if cell_index is not None else "the kernel"
        super().__init__(f"{path}: {where} failed: {error}")
        self.path, self.cell_index, self.error = path, cell_index, error


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _output_texts(cell) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            texts.append(out["text"] if isinstance(out["text"], str) else "".join(out["text"]))
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/") or mime == "application/json":
                texts.append(value if isinstance(value, str) else json.dumps(value) if mime.endswith("json")
                             else "".join(value))
        if out.get("output_type") == "error":
            texts.append("\n".join(out.get("traceback", [])))
    return texts


def problems(nb, extra_paths=()) -> list[str]:
    """What is wrong with a committed notebook (empty list if nothing).

    ``nb`` is a notebook dict (as read by ``json`` or ``nbformat``);
    ``extra_paths`` are machine-specific strings (e.g. the repository's
    absolute path) that must not appear in outputs.
    """
    found = []
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    if kernel != KERNEL_NAME:
        found.append(f"kernelspec name is {kernel!r}, expected {KERNEL_NAME!r} (the .venv's own kernel)")
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        where = f"cell {i}"
        if not src.strip():
            continue
        if cell.get("execution_count") is None:
            found.append(f"{where} was not executed")
            continue
        recorded = cell.get("metadata", {}).get(META_KEY, {}).get("source_sha256")
        if recorded != source_hash(src):
            found.append(f"{where} changed after the notebook was executed (stale outputs); run `make notebooks`")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{where} has an error output: {out.get('ename')}: {out.get('evalue')}")
            if out.get("name") == "stderr":
                text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
                if "Traceback" in text or "Warning" in text:
                    found.append(f"{where} wrote a warning or traceback to stderr: {text.strip().splitlines()[0]}")
        for text in _output_texts(cell):
            for pattern in _PATH_PATTERNS:
                m = pattern.search(text)
                if m:
                    found.append(f"{where} output contains an absolute path: {m.group(0)[:80]}")
                    break
            for p in extra_paths:
                if p and p in text:
                    found.append(f"{where} output contains the machine's path {p}")
    return found


def execute(path: Path, *, timeout: int = 3600) -> float:
    """Execute a notebook in place (fresh kernel, its own directory as cwd); return seconds."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"}
    current: list[int | None] = [None]     # the cell being executed, for the error message

    def on_cell_start(cell, cell_index):
        current[0] = cell_index

    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL_NAME, on_cell_start=on_cell_start,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        # The kernel's own log (its start-up warnings, the traceback of the interrupt at a timeout) is not
        # shown: what a cell prints goes into the notebook, and a failure is reported below in one line.
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as exc:
        error = f"{exc.ename}: {_first_line(exc.evalue)}" if _first_line(exc.evalue) else exc.ename
        raise NotebookRunError(path, current[0], error) from None
    except CellTimeoutError:
        raise NotebookRunError(path, current[0], f"timed out after {timeout} s (--timeout)") from None
    except DeadKernelError as exc:
        raise NotebookRunError(path, current[0], f"the kernel died ({_first_line(exc) or 'no reason given'})") from None
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.setdefault(META_KEY, {})["source_sha256"] = source_hash(cell.source)
    text = nbformat.writes(nb)
    atomic_write_text(path, text if text.endswith("\n") else text + "\n",  # as nbformat.write ends a file
                      mode=path.stat().st_mode & 0o777)  # keep the notebook's mode
    return seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cs231n_cnn.nbtools", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="action", required=True)
    r = sub.add_parser("run", help="execute notebooks in place")
    r.add_argument("paths", nargs="+", type=Path)
    r.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    c = sub.add_parser("check", help="report unexecuted, stale or leaky notebooks")
    c.add_argument("paths", nargs="+", type=Path)
    args = ap.parse_args(argv)
    status = 0
    for path in args.paths:
        if args.action == "run":
            print(f"executing {path} ...", flush=True)
            try:
                print(f"  {execute(path, timeout=args.timeout):.1f} s", flush=True)
            except NotebookRunError as exc:
                print(f"error: {exc}; the notebook was not written", file=sys.stderr, flush=True)
                status = 1
        else:
            with open(path, encoding="utf-8") as f:
                found = problems(json.load(f), extra_paths=[str(Path.cwd().resolve())])
            for p in found:
                print(f"{path}: {p}")
            status |= bool(found)
    return status


if __name__ == "__main__":
    sys.exit(main())
