"""`python -m cs231n_cnn.nbtools run`: a failing notebook is one line of error, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest


def _notebook(path, *sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("A markdown cell counts too.")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, path)
    return path


def _run(*argv: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cs231n_cnn.nbtools", "run", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _our_lines(stderr: str) -> list[str]:
    return stderr.splitlines()     # the kernel's own log ("[IPKernelApp] WARNING ...") is not shown


@pytest.mark.parametrize("sources, options, error", [
    (("x = 1", "raise ValueError('boom\\nmore text')"), (), "cell 2 failed: ValueError: boom"),
    (("import time", "time.sleep(60)"), ("--timeout", "2"), "cell 2 failed: timed out after 2 s (--timeout)"),
], ids=["error", "timeout"])
def test_a_failing_cell_is_one_line_naming_notebook_and_cell(tmp_path, sources, options, error):
    path = _notebook(tmp_path / "broken.ipynb", *sources)
    before = path.read_bytes()
    proc = _run("broken.ipynb", *options, cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert _our_lines(proc.stderr) == [f"error: broken.ipynb: {error}; the notebook was not written"]
    assert path.read_bytes() == before


def test_the_other_notebooks_still_run(tmp_path):
    _notebook(tmp_path / "a_broken.ipynb", "1 / 0")
    good = _notebook(tmp_path / "b_good.ipynb", "print('ok')")
    proc = _run("a_broken.ipynb", "b_good.ipynb", cwd=tmp_path)
    assert proc.returncode == 1
    assert _our_lines(proc.stderr) == ["error: a_broken.ipynb: cell 1 failed: ZeroDivisionError: division by zero; "
                                       "the notebook was not written"]
    assert nbformat.read(good, as_version=4).cells[1].outputs[0]["text"] == "ok\n"
