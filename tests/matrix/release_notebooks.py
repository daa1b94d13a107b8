"""Run a student release's notebooks, its reference solution restored, on this interpreter (``make test-matrix``).

``python tests/matrix/release_notebooks.py RELEASE [--report FILE]``, started by
``run.py`` with the Python of one end of the matrix on a release built at the
other. Each notebook runs top to bottom in a fresh kernel of this interpreter
(nbclient, small mode as the environment says), importing the release's package
(``PYTHONPATH``), never the checkout's. It fails when a cell errors (other than
one tagged ``raises-exception``), when a check a cell runs prints anything but
PASS, or when any output says a check's inputs "was not recorded" (the release's
recorded references do not replay on this interpreter). The notebook exercises
stay stubbed ("Your turn" cells print their one line): the reference solution
restored is the library's.

The last line printed is the summary ``run.py`` reports.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

_RUN_CHECK = re.compile(r"(?<![\w.])run_check\s*\(\s*[\"'](?P<name>\w+)[\"']")
NOT_RECORDED = "was not recorded"


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", "") + "\n")
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
    return "".join(parts)


def run_notebook(path: Path, workdir: Path) -> dict:
    """Execute ``path`` (not written back); what its checks printed and what went wrong."""
    nb = nbformat.read(path, as_version=4)
    start = time.monotonic()
    client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    checks, problems = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = _text(cell)
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors and "raises-exception" not in tags:
            problems.append(f"cell {index}: {errors[0].get('ename')}: {errors[0].get('evalue')}")
        if NOT_RECORDED in text:
            problems.append(f"cell {index}: {next(x for x in text.splitlines() if NOT_RECORDED in x)}")
        for name in _RUN_CHECK.findall(cell.source):
            line = next((x for x in text.splitlines()
                         if x.startswith((f"PASS {name} ", f"FAIL {name}:", f"FAIL {name} "))), "")
            checks.append((name, line.startswith("PASS")))
            if not line.startswith("PASS"):
                problems.append(f"cell {index}: {line or f'check {name} printed no PASS/FAIL line: {text.strip()!r}'}")
    return {"notebook": path.name, "cells": sum(c.cell_type == "code" for c in nb.cells),
            "checks": len(checks), "passed": sum(ok for _, ok in checks), "problems": problems,
            "seconds": round(time.monotonic() - start, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--report", type=Path, default=None, help="write the per-notebook results here (JSON)")
    args = parser.parse_args(argv)
    release = args.release.resolve()

    import cs231n_cnn  # resolved as the kernels resolve it: the same interpreter, environment and path

    if not Path(cs231n_cnn.__file__).resolve().is_relative_to(release):
        print(f"the release's package is not what imports: cs231n_cnn is {cs231n_cnn.__file__}")
        return 1
    with tempfile.TemporaryDirectory(prefix="release-notebooks-") as tmp:
        # No startup file or configuration of the machine runs in the kernels.
        for name in ("IPYTHONDIR", "MPLCONFIGDIR", "JUPYTER_RUNTIME_DIR"):
            os.environ[name] = str(Path(tmp, name.lower()))
            Path(os.environ[name]).mkdir()
        results = [run_notebook(p, Path(tmp)) for p in sorted((release / "notebooks").glob("*.ipynb"))]
    if args.report:
        args.report.write_text(json.dumps(results, indent=1))
    for r in results:
        print(f"{r['notebook']}: {r['passed']}/{r['checks']} checks PASS, {r['cells']} code cells, "
              f"{r['seconds']:g} s" + "".join(f"\n    {p}" for p in r["problems"]))
    clean = [r for r in results if not r["problems"]]
    print(f"notebooks {len(clean)}/{len(results)} ran clean on Python {sys.version.split()[0]}, "
          f"{sum(r['passed'] for r in results)}/{sum(r['checks'] for r in results)} checks PASS")
    return 0 if results and len(clean) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
