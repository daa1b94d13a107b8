"""`cs231n-cnn release`: the student tree, what it leaves out, and that it scores zero.

One release is built per module (about 15 s: the public checks run once to
record their reference results and twice more to verify the replay) and
shared by the read-only tests; tests that build their own say so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import numpy as np
import pytest

import cs231n_cnn
from cs231n_cnn import cli
from cs231n_cnn.grading import load_checks
from cs231n_cnn.grading.memo import FORMAT, INDEX
from cs231n_cnn.grading.release import (
    MANIFEST,
    REFERENCE_MARKERS,
    MarkerError,
    ReleaseError,
    build_release,
    find_regions,
    release_notebook,
    release_python,
    repo_root,
    verify_release,
)

REPO = Path(__file__).resolve().parents[2]
CHECKS = load_checks(REPO / "checks")
HIDDEN = sorted(n for n, c in CHECKS.items() if c.hidden)
PUBLIC = sorted(n for n, c in CHECKS.items() if not c.hidden)
# The marker words, spelled in pieces as the release tool itself does.
MARKER_TEXT = ("BEGIN " + "SOLUTION", "END " + "SOLUTION", "HIDDEN " + "TESTS")
BEGIN, END = "### " + MARKER_TEXT[0], "### " + MARKER_TEXT[1]
BEGIN_H, END_H = "### BEGIN " + MARKER_TEXT[2], "### END " + MARKER_TEXT[2]


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "student"
    with pytest.MonkeyPatch.context() as mp:
        # As on an instructor's machine: the interpreters the build starts may write bytecode unless it says not to.
        mp.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
        summary = build_release(out)
    assert summary.out == out.resolve()
    assert summary.reference_calls > 100
    return out


def _files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*") if p.is_file())


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CS231N_CHECKS_DIR", "CS231N_STRICT")}
    env.update(OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg", **extra)
    return env


SCORE_ALL = """
import json, cs231n_cnn
from cs231n_cnn.grading import run_checks
results = run_checks(include_hidden={hidden})
print(json.dumps({{"file": cs231n_cnn.__file__,
                  "scores": {{r.name: [r.score, r.max_score, r.hidden, r.line()] for r in results}}}}))
"""


def _scores(python: str, cwd: Path, env: dict, hidden: bool) -> dict:
    proc = subprocess.run([python, "-c", SCORE_ALL.format(hidden=hidden)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _reference_names(source: str) -> tuple[list[str], list[str]]:
    """The public functions and constants a reference module defines (what the release must keep)."""
    import ast

    body = ast.parse(source).body
    functions = [n.name for n in body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    constants = [t.id for n in body if isinstance(n, ast.Assign) for t in n.targets
                 if isinstance(t, ast.Name) and not t.id.startswith("_")]
    return functions, constants


# --------------------------------------------------------------------------- the tree

def test_release_has_the_student_files_and_nothing_else(release):
    rel = {p.relative_to(release).as_posix() for p in _files(release)}
    for must in ("cs231n_cnn/__init__.py", "cs231n_cnn/layers/conv.py", "checks/conv.py", "checks/_reference.py",
                 "checks/_reference_data.npz", "cs231n_cnn/grading/memo.py", "notebooks/nbval_sanitize.cfg",
                 "data/get_datasets.sh", "data/README.md", "data/.gitignore",
                 "pyproject.toml", "README.md", "Makefile", "test_public_checks.py", MANIFEST):
        assert must in rel
    assert {f"notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb")} <= rel
    for absent in ("tests", "benchmarks", ".ci", ".git", ".venv", "data/cifar-10-batches-py", "cs231n_cnn.egg-info"):
        assert not (release / absent).exists(), absent
    assert not [r for r in rel if "__pycache__" in r or r.endswith(".pyc")]
    assert os.access(release / "data" / "get_datasets.sh", os.X_OK) == os.access(REPO / "data" / "get_datasets.sh",
                                                                                  os.X_OK)
    readme = (release / "README.md").read_text()
    assert "student release" in readme and "pip install -e" in readme and "make check" in readme
    assert "hidden checks" in readme
    # What is graded, what is practice, what to upload and how.
    for words in ("make lab", "make data", "make check VERBOSE=1", "make submit", "## What is graded, and what is "
                  "practice", "**Graded: the library.**", "Your turn", "`cs231n_cnn/` (your library code; the "
                  "notebooks are practice and are not uploaded)", "Upload `submission.zip` to the assignment on "
                  "Gradescope."):
        assert words in readme, words
    assert "submission.zip" in (release / ".gitignore").read_text().split()
    assert readme != (REPO / "README.md").read_text()


def _data_recipe(makefile: str) -> str:
    """The lines of a Makefile from the mirror's definition to the end of the `data` recipe."""
    start = makefile.index("MIRROR     :=")
    return makefile[start:makefile.index("--dest data", start)]


def test_student_data_target_is_the_courses(release):
    # The same mirror logic (../shared/data, CS231N_CIFAR10_URL / _MD5) as the course checkout's `make data`.
    assert _data_recipe((release / "Makefile").read_text()) == _data_recipe((REPO / "Makefile").read_text())


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_student_makefile_has_lab_data_check_and_submit(release):
    def dry_run(*args):
        proc = subprocess.run(["make", "-n", "-C", str(release), *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    out = dry_run("lab", "check", "submit")
    assert "pip install --quiet -e '.[dev]'" in out
    assert "jupyter lab --notebook-dir=notebooks" in out and "make --no-print-directory data" in out
    assert "-m cs231n_cnn check" in out and "-m pytest" not in out
    assert "-m cs231n_cnn submit" in out
    assert "-m pytest -q -rN test_public_checks.py" in dry_run("check", "VERBOSE=1")
    assert "-m cs231n_cnn data download --dest data" in dry_run("data")


def _stand_in_venv(tmp_path, python: str | None = None) -> Path:
    """A .venv whose jupyter prints its arguments and whose python is ``python`` (else prints them too)."""
    venv_dir = tmp_path / "venv"
    (venv_dir / "bin").mkdir(parents=True)
    for name in ("jupyter", "python"):
        script = venv_dir / "bin" / name
        if name == "python" and python is not None:
            # A script, not a symlink: Python 3.10 follows a symlink to the interpreter it names and, finding
            # no pyvenv.cfg there, leaves the venv of `python` (and its NumPy) behind.
            script.write_text(f'#!/bin/sh\nexec "{python}" "$@"\n')
            script.chmod(0o755)
            continue
        script.write_text(f'#!/bin/sh\necho "{name} $* ${{CS231N_CIFAR10_URL:-}}"\n')
        script.chmod(0o755)
    (venv_dir / ".installed-stamp").touch()           # newer than pyproject.toml: nothing to install
    return venv_dir


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_student_make_lab_fetches_the_data_then_opens_jupyter(release, tmp_path):
    # A working folder next to a ../shared/data mirror (as in CI); the recipes' shell code runs for real.
    student = tmp_path / "work" / "student"
    student.mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(release / name, student / name)
    mirror = tmp_path / "work" / "shared" / "data" / "cifar-10-mini-python.tar.gz"
    mirror.parent.mkdir(parents=True)
    mirror.write_bytes(b"")
    venv_dir = _stand_in_venv(tmp_path)
    proc = subprocess.run(["make", "-s", "-C", str(student), "lab", f"VENV={venv_dir}"], capture_output=True,
                          text=True, timeout=60, env=_env())
    assert proc.returncode == 0, proc.stderr
    root = " --allow-root" if os.getuid() == 0 else ""
    assert [line.rstrip() for line in proc.stdout.strip().splitlines()] == [
        f"python -m cs231n_cnn data download --dest data file://{mirror}",
        f"jupyter lab --notebook-dir=notebooks{root}"]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_student_make_lab_opens_jupyter_even_when_the_data_cannot_be_fetched(release, tmp_path):
    venv_dir = _stand_in_venv(tmp_path)
    (venv_dir / "bin" / "python").write_text("#!/bin/sh\necho 'no network' >&2\nexit 1\n")
    proc = subprocess.run(["make", "-s", "-C", str(release), "lab", f"VENV={venv_dir}"], capture_output=True,
                          text=True, timeout=60, env=_env())
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "warning: CIFAR-10 could not be fetched (see above); run `make data` again later"
    assert lines[-1].startswith("jupyter lab --notebook-dir=notebooks")
    assert "no network" in proc.stderr


def _first_check_in_the_notebooks(notebooks: Path) -> str:
    """The check the first check cell of the first notebook runs, read from the notebook files."""
    for path in sorted(notebooks.glob("*.ipynb")):
        for cell in _cells(path):
            found = re.search(r"run_check\(\s*\"(\w+)\"", _src(cell)) if cell["cell_type"] == "code" else None
            if found:
                return path.name, found.group(1)
    raise AssertionError("no check cell in the notebooks")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_student_make_check_prints_one_line_per_check_and_a_scoreboard(release, tmp_path):
    venv_dir = _stand_in_venv(tmp_path, python=sys.executable)
    proc = subprocess.run(["make", "-s", "-C", str(release), "check", f"VENV={venv_dir}"], capture_output=True,
                          text=True, timeout=300, env=_env())
    assert proc.returncode == 0, proc.stderr         # a student part-way through is not an error
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(PUBLIC) + 1, proc.stdout
    # One line per check, each the check's whole headline after its notebook's number.
    names = []
    for line in lines[:-1]:
        found = re.fullmatch(r"\[(\d\d|--)\] FAIL (\w+): .+ \(0/\d+\)", line)
        assert found, line
        names.append(found.group(2))
    assert sorted(names) == PUBLIC
    notebook, first = _first_check_in_the_notebooks(release / "notebooks")
    assert lines[0].startswith(f"[{notebook[:2]}] FAIL {first}: ")
    top = sum(CHECKS[n].points for n in PUBLIC)
    assert lines[-1] == f"0/{len(PUBLIC)} public checks pass (0/{top} points); next: {first} (notebook {notebook[:2]})"
    assert proc.stderr.strip() == 'details: `make check VERBOSE=1`, or run_check("NAME", verbose=True) in the notebook'


def _solved(release: Path, tmp_path: Path) -> Path:
    """A copy of the release with the repository's solutions restored (its whole package)."""
    student = tmp_path / "student"
    shutil.copytree(release, student)
    shutil.rmtree(student / "cs231n_cnn")
    shutil.copytree(REPO / "cs231n_cnn", student / "cs231n_cnn", ignore=shutil.ignore_patterns("__pycache__"))
    return student


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_submit_of_a_solved_release_is_graded_full_marks(release, tmp_path, capsys):
    student = _solved(release, tmp_path)
    (student / "data" / "cifar-10-batches-py").mkdir()
    (student / "data" / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"\0" * 2**20)
    (student / "notebooks" / ".ipynb_checkpoints").mkdir()
    (student / "notebooks" / ".ipynb_checkpoints" / "02-checkpoint.ipynb").write_text("{}")
    venv_dir = _stand_in_venv(tmp_path, python=sys.executable)
    (venv_dir / ".venv-marker").write_text("a student's .venv is never zipped")
    proc = subprocess.run(["make", "-s", "-C", str(student), "submit", f"VENV={venv_dir}"], capture_output=True,
                          text=True, timeout=300, env=_env())
    assert proc.returncode == 0, proc.stderr
    zipped = student / "submission.zip"
    lines = proc.stdout.strip().splitlines()
    assert re.fullmatch(rf"wrote {re.escape(str(zipped))}: \d+\.\d MiB \(\d+ files from cs231n_cnn/; unpacks to "
                        r"\d+\.\d MiB, the grader's limit is 100 MiB\)", lines[0]), lines[0]
    assert lines[-1] == "Upload submission.zip to the assignment on Gradescope."
    with zipfile.ZipFile(zipped) as zf:
        names = zf.namelist()
    assert names and all(n.startswith("cs231n_cnn/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    out = tmp_path / "results.json"
    assert cli.main(["grade", str(zipped), "--out", str(out), "--checks", str(REPO / "checks")]) == 0
    results = json.loads(out.read_text())
    top = sum(c.points for c in CHECKS.values())
    assert results["score"] == top, [t["output"] for t in results["tests"] if t["score"] != t["max_score"]]
    assert len(results["tests"]) == len(CHECKS) and capsys.readouterr().out.startswith(f"{zipped}: {top:g}/{top:g}")


def _zip_folder(folder: Path, out: Path, extra: dict[str, int]) -> Path:
    """Zip a whole working folder as a student might, plus ``extra`` entries (name -> bytes of zeros)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, size in extra.items():
            with zf.open(f"student/{name}", "w") as f:
                for _ in range(size // 2**20):
                    f.write(b"\0" * 2**20)
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, "student/" + path.relative_to(folder).as_posix())
    return out


@pytest.mark.parametrize("extra, why", [
    ({"data/cifar-10-python.tar.gz": 101 * 2**20}, "the zip unpacks to more than 100 MiB"),
    ({f".venv/lib/python3.11/site-packages/numpy/f{i}.py": 0 for i in range(5001)},
     "the zip holds more than 5000 files and folders"),
], ids=["data", "venv"])
def test_a_zipped_working_folder_is_refused_with_what_to_zip(release, tmp_path, extra, why):
    zipped = _zip_folder(release, tmp_path / "everything.zip", extra)
    out = tmp_path / "results.json"
    assert cli.main(["grade", str(zipped), "--out", str(out), "--checks", str(REPO / "checks")]) == 1
    results = json.loads(out.read_text())
    assert results["score"] == 0 and results["extra_data"]["status"] == "unreadable"
    assert (f"NOT GRADED, every check scores 0: the submission could not be read: {why}; upload the zip that "
            f"`make submit` writes in your checkout (submission.zip: the cs231n_cnn folder, not the whole working "
            f"folder with .venv and data/)") in results["output"]


def test_release_options_say_what_students_upload(tmp_path, capsys):
    out = tmp_path / "student"
    assert cli.main(["release", "--out", str(out), "--submit-notebooks",
                     "--upload-note", "Upload {zip} to Moodle,\n  assignment 2."]) == 0
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["submission"] == {"notebooks": True, "upload_note": "Upload {zip} to Moodle, assignment 2."}
    readme = (out / "README.md").read_text()
    assert "`cs231n_cnn/` (your library code) and `notebooks/` (your notebooks)" in readme
    assert "Upload `submission.zip` to Moodle, assignment 2." in readme
    proc = subprocess.run([sys.executable, "-m", "cs231n_cnn", "submit"], cwd=out, env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "files from cs231n_cnn/ and notebooks/" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "Upload submission.zip to Moodle, assignment 2."


def test_release_directory_has_the_mode_mkdir_gives(release):
    umask = os.umask(0)
    os.umask(umask)
    assert oct(release.stat().st_mode & 0o777) == oct(0o777 & ~umask)      # 0o755 under umask 022, not 0o700


def test_bench_in_the_release_says_the_suite_is_not_part_of_it(release):
    proc = subprocess.run([sys.executable, "-m", "cs231n_cnn", "bench", "--tiny"], cwd=release, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("cs231n-cnn bench: error: the benchmark suite (benchmarks/) is not part of the "
                                  "student release")


def test_every_python_file_compiles(release):
    for path in release.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_no_marker_text_or_hidden_check_name_anywhere(release):
    assert HIDDEN, "the repository should have hidden checks for this test to mean something"
    for path in _files(release):
        text = path.read_bytes().decode("utf-8", errors="replace")
        for needle in (*MARKER_TEXT, *HIDDEN):
            assert needle not in text, f"{path.relative_to(release)} contains {needle!r}"


def test_every_solution_region_became_a_helpful_stub(release):
    repo_regions = sum(p.read_text().count(BEGIN) for p in (REPO / "cs231n_cnn").rglob("*.py"))
    stubs = sum(p.read_text().count("raise NotImplementedError(\"") for p in (release / "cs231n_cnn").rglob("*.py")
                if p.name != "release.py")
    assert stubs == repo_regions > 30
    conv = (release / "cs231n_cnn/layers/conv.py").read_text()
    # Validation (above the marker) is kept; the stub names the function, the file and the notebook.
    assert ('    stride, pad, (N, F, H_out, W_out) = check_conv_inputs(x, w, b, conv_param, '
            'layer="conv_forward_naive")\n    out = None\n    raise NotImplementedError("conv_forward_naive is not '
            'implemented yet: write it in cs231n_cnn/layers/conv.py (02_conv_layer.ipynb)")\n') in conv
    assert "write it in cs231n_cnn/im2col.py (03_im2col.ipynb)" in (release / "cs231n_cnn/im2col.py").read_text()


def test_hidden_checks_are_gone_and_public_ones_remain(release):
    conv = (release / "checks/conv.py").read_text()
    assert "hidden=True" not in conv and '@check("conv_fast_float32"' in conv
    for path in (release / "checks").glob("*.py"):
        assert "hidden=True" not in path.read_text(), path.name
    manifest = json.loads((release / MANIFEST).read_text())
    assert sorted(manifest["public_checks"]) == PUBLIC
    assert manifest["hidden_checks_left_out"] == len(HIDDEN)


# --------------------------------------------------------------------------- scores

def test_untouched_release_scores_zero_on_every_check(release, tmp_path):
    # The repository's checks (public and hidden) against the release's code, in a fresh interpreter.
    got = _scores(sys.executable, tmp_path, _env(PYTHONPATH=str(release), CS231N_CHECKS_DIR=str(REPO / "checks")),
                  hidden=True)
    assert Path(got["file"]).resolve() == (release / "cs231n_cnn" / "__init__.py").resolve()
    assert sorted(got["scores"]) == sorted(CHECKS)
    scored = {name: line for name, (score, max_score, _, line) in got["scores"].items() if score != 0}
    assert not scored, "\n".join(scored.values())
    assert all(m > 0 for _, m, _, _ in got["scores"].values())


def test_generated_public_checks_test_runs_and_fails_everything(release):
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_public_checks.py"],
                          cwd=release, env=_env(PYTHONPATH=str(release)), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert f"{len(PUBLIC)} failed" in proc.stdout
    assert "NotImplementedError" in proc.stdout


def _base_python() -> str:
    """The interpreter this test run's venv was made from, as its distribution ships it."""
    return getattr(sys, "_base_executable", None) or sys.executable


def test_the_distributions_own_setuptools_reads_the_release_metadata(release, tmp_path):
    # A fresh machine's Python (Debian 12: setuptools 66; pyenv 3.11: 65) must read the
    # release's pyproject.toml: no SPDX `license = "..."` string, which needs setuptools >= 77.
    base = _base_python()
    probe = subprocess.run([base, "-I", "-c", "import setuptools; print(setuptools.__version__)"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"{base} has no setuptools (pip's build isolation installs one)")
    student = tmp_path / "student"
    shutil.copytree(release, student)
    # setup() reads and validates [project] exactly as a build would (this is where the
    # SPDX license string failed), without needing the wheel package of old setuptools.
    meta = subprocess.run([base, "-I", "-c", "import sys; sys.argv = ['setup.py', '--name', '--version']; "
                           "from setuptools import setup; setup()"],
                          cwd=student, capture_output=True, text=True, timeout=300)
    assert meta.returncode == 0, f"setuptools {probe.stdout.strip()}: {meta.stderr[-2000:]}"
    assert meta.stdout.split()[-2:] == ["cs231n_cnn", cs231n_cnn.__version__], meta.stdout


@pytest.mark.slow
def test_pip_install_editable_then_public_checks_score_zero(release, tmp_path):
    student = tmp_path / "student"
    shutil.copytree(release, student)        # pip writes egg-info into the tree: keep the shared one clean
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=False).create(env_dir)
    python = str(env_dir / "bin" / "python")
    # Offline: pip, setuptools, numpy etc. come from the project's own .venv (installed by `make`),
    # seen through a .pth path line (which, unlike a site dir, runs none of .venv's own .pth files,
    # so the course package's editable install stays invisible).
    site_dir = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    project_site = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip()
    Path(site_dir, "_project_venv.pth").write_text(project_site + "\n")
    pip = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                          "--no-build-isolation", "-e", str(student)],
                         env=_env(), capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr
    got = _scores(python, tmp_path, _env(), hidden=False)
    assert Path(got["file"]).resolve() == (student / "cs231n_cnn" / "__init__.py").resolve()
    assert sorted(got["scores"]) == PUBLIC
    assert all(score == 0 for score, *_ in got["scores"].values())
    cli_run = subprocess.run([str(env_dir / "bin" / "cs231n-cnn"), "--help"], env=_env(), capture_output=True,
                             text=True, timeout=120)
    assert cli_run.returncode == 0 and "release" in cli_run.stdout


# --------------------------------------------------------------------------- reference results, not reference code

def test_released_reference_module_holds_lookups_only(release):
    source = (release / "checks/_reference.py").read_text()
    repo_source = (REPO / "checks/_reference.py").read_text()
    # The same public names, so the checks' `ref.<name>` calls resolve; nothing of the implementations.
    assert _reference_names(source) == _reference_names(repo_source)
    assert len(_reference_names(source)[0]) >= 10
    for marker in (*REFERENCE_MARKERS, "signal.correlate", "sliding_window_view", "np.sqrt(", "import numpy",
                   "from scipy", "(1 - beta", "dw ** 2", "mu * v"):
        assert marker not in source, marker
    for name in _reference_names(source)[0]:
        assert (f'@_replay.reference\ndef {name}(*args, **kwargs):\n    """The recorded result of the reference '
                f'``{name}``."""\n    return _replay("{name}", args, kwargs)\n') in source
    # No line of any reference body anywhere in the released checks (or compiled next to them).
    checks_text = "\n".join(p.read_text() for p in (release / "checks").glob("*.py"))
    for line in {ln.strip() for ln in repo_source.splitlines()}:
        if len(line) >= 24 and not line.startswith(("#", '"""', "def ")) and "(" in line and '"""' not in line:
            assert line not in checks_text, line
    assert not list(release.rglob("__pycache__")) and not list(release.rglob("*.pyc"))


def test_reference_data_loads_without_pickles(release):
    with np.load(release / "checks/_reference_data.npz", allow_pickle=False) as data:
        index = json.loads(data[INDEX].tobytes().decode("utf-8"))
        assert all(data[k].dtype.kind in "biufc" for k in data.files)
    assert index["format"] == FORMAT
    recorded = {c["function"] for c in index["calls"].values()}
    assert {"conv", "im2col", "pool", "numerical_grads", "adam_step", "distinct"} <= recorded
    assert {c["check"] for c in index["calls"].values()} <= set(PUBLIC)
    manifest = json.loads((release / MANIFEST).read_text())["reference_results"]
    assert manifest["file"] == "checks/_reference_data.npz" and manifest["recorded_calls"] == len(index["calls"])


def test_public_checks_replay_to_full_marks_on_the_repository_solution(release, tmp_path):
    # The release's checks (replayed references) against the repository's solution, in a fresh interpreter:
    # every lookup hits, so the reference solution scores what it scores with the real references.
    got = _scores(sys.executable, tmp_path,
                  _env(PYTHONPATH=str(REPO), CS231N_CHECKS_DIR=str(release / "checks"), PYTHONHASHSEED="7"),
                  hidden=True)
    assert Path(got["file"]).resolve() == (REPO / "cs231n_cnn" / "__init__.py").resolve()
    assert sorted(got["scores"]) == PUBLIC
    failed = [line for score, max_score, _, line in got["scores"].values() if score != max_score]
    assert not failed, "\n".join(failed)
    # Where the release can only judge the student's own numbers (trained weights, dropout masks), the line says so.
    for name in ("three_layer_convnet", "fully_connected_net", "training_smoke"):
        assert "judged by" in got["scores"][name][3] and "the grader recomputes" in got["scores"][name][3]
    assert "[" not in got["scores"]["conv_forward_naive"][3]


def test_untouched_release_scores_zero_on_its_own_public_checks_without_a_missed_lookup(release, tmp_path):
    got = _scores(sys.executable, tmp_path, _env(PYTHONPATH=str(release)), hidden=False)
    assert sorted(got["scores"]) == PUBLIC
    assert all(score == 0 for score, *_ in got["scores"].values())
    lines = [line for *_, line in got["scores"].values()]
    assert not [line for line in lines if "not recorded" in line or "internal error" in line]
    assert all("NotImplementedError" in line for line in lines)


def test_a_check_whose_inputs_changed_says_the_release_must_be_rebuilt(release, tmp_path):
    checks = tmp_path / "checks"
    shutil.copytree(release / "checks", checks)
    conv = checks / "conv.py"
    text = conv.read_text()
    case = '("3x3 filters, stride 1, pad 1", (2, 3, 5, 5), (4, 3, 3, 3), 1, 1)'
    assert case in text
    conv.write_text(text.replace(case, case.replace("(2, 3, 5, 5)", "(2, 3, 6, 6)")))
    got = _scores(sys.executable, tmp_path, _env(PYTHONPATH=str(REPO), CS231N_CHECKS_DIR=str(checks)), hidden=False)
    line = got["scores"]["conv_forward_naive"][3]
    assert line.startswith("FAIL conv_forward_naive: ") and "ref.conv(<float64 array (2, 3, 6, 6)>" in line
    assert ("was not recorded: this check's inputs changed since the release was built; public checks can only "
            "replay the inputs they were built with") in line
    assert got["scores"]["conv_backward_naive"][0] == 6           # other checks still replay


def test_verification_refuses_reference_code_pickles_and_bytecode(release, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(release, tree)
    repo_source = (REPO / "checks/_reference.py").read_text()

    def refused(match):
        with pytest.raises(ReleaseError, match=match):
            verify_release(tree, HIDDEN, PUBLIC, import_check=False, reference_source=repo_source)

    verify_release(tree, HIDDEN, PUBLIC, import_check=False, reference_source=repo_source)     # as built: fine
    generated = (tree / "checks/_reference.py").read_text()
    (tree / "checks/_reference.py").write_text(repo_source)
    refused(r"checks/_reference\.py:\d+: function conv computes something, not a lookup")
    (tree / "checks/_reference.py").write_text(generated + "\ndef extra(x):\n    return x\n")
    refused(r"function extra computes something")
    (tree / "checks/_reference.py").write_text(generated)
    (tree / "checks/notes.py").write_text("# copied: " + [ln for ln in repo_source.splitlines()
                                                           if "signal.correlate" in ln][0].strip() + "\n")
    refused(r"checks/notes\.py contains the reference code line")
    (tree / "checks/notes.py").unlink()
    (tree / "checks/__pycache__").mkdir()
    (tree / "checks/__pycache__/_reference.cpython-311.pyc").write_bytes(b"\0")
    refused(r"checks/__pycache__/_reference\.cpython-311\.pyc is a compiled or generated file")
    shutil.rmtree(tree / "checks/__pycache__")
    np.savez(tree / "checks/_reference_data.npz", index=np.array([{"calls": {}}], dtype=object))
    refused(r"_reference_data\.npz does not load with allow_pickle=False")


def _add_check_module(repo: Path, name: str, body: str) -> None:
    (repo / "checks" / name).write_text(
        "import numpy as np\n\nfrom cs231n_cnn.grading import check\n\nfrom . import _reference as ref\n\n\n" + body)


def test_build_names_the_check_and_function_whose_argument_cannot_be_hashed(small_repo, tmp_path):
    # Loaded first (file names sort), so the recording stops early.
    _add_check_module(small_repo, "aa_unhashable.py", """
class Box:
    pass


@check("grad_through_a_box", points=1)
def grad_through_a_box(t):
    box = Box()
    with t.part("dx"):
        x = t.rng.standard_normal(3)
        (dx,) = ref.numerical_grads(lambda v: v * box.scale, [x], x, [0])
""")
    out = tmp_path / "student"
    with pytest.raises(ReleaseError, match=r"cannot record the reference results: check 'grad_through_a_box': "
                                           r"ref\.numerical_grads: argument 1 \(function grad_through_a_box\."
                                           r"<locals>\.<lambda> at _cs231n_checks\.aa_unhashable:18\), closure "
                                           r"variable 'box' is a _cs231n_checks\.aa_unhashable\.Box"):
        build_release(out, repo=small_repo)
    assert not out.exists() and not list(tmp_path.glob(".student.*"))


def test_build_refuses_a_check_whose_reference_inputs_depend_on_the_student(small_repo, tmp_path):
    # Builds (and records) a whole release: about 15 s.
    _add_check_module(small_repo, "zz_dependent.py", """
@check("relu_twice", points=1)
def relu_twice(t):
    with t.part("relu(relu(x))"):
        x = t.rng.standard_normal((3, 4))
        out, _ = t.call("layers.relu_forward", x)
        t.assert_close(out, ref.relu(ref.relu(out)), tol=1e-12)       # a reference of the student's result
""")
    with pytest.raises(ReleaseError, match=r"public check 'relu_twice' misses the recorded results of ref\.relu when "
                                           r"the student's results differ slightly from the solution's"):
        build_release(tmp_path / "student", repo=small_repo)
    assert not (tmp_path / "student").exists()


# --------------------------------------------------------------------------- notebooks

def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _src(cell) -> str:
    return "".join(cell["source"])


def test_notebooks_stub_solutions_clear_checks_and_keep_other_outputs(release):
    stubbed = cleared = kept = 0
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        before, after = _cells(path), _cells(release / "notebooks" / path.name)
        assert len(before) == len(after)
        for old, new in zip(before, after):
            if old["cell_type"] != "code":
                continue
            if BEGIN in _src(old):
                stubbed += 1
                assert "# YOUR CODE HERE\nraise NotImplementedError('Your turn: write " in _src(new)
                assert "in this cell (not implemented yet)')" in _src(new)
                assert new["outputs"] == [] and new["execution_count"] is None
                assert "cs231n" not in new["metadata"] and "execution" not in new["metadata"]
            elif "run_check(" in _src(old):
                cleared += bool(old["outputs"])
                assert new["outputs"] == [] and new["execution_count"] is None
                assert _src(new) == _src(old)
            else:
                kept += bool(old["outputs"])
                assert new == old
    assert stubbed >= 5 and cleared >= 5 and kept >= 20
    outputs = json.dumps([c.get("outputs") for p in (release / "notebooks").glob("*.ipynb") for c in _cells(p)])
    assert not re.search(r"PASS \w+ \d+/\d+", outputs), "a check line survived in the outputs"


def test_notebook_prose_about_the_markers_is_rewritten(release):
    cells = [c for c in _cells(release / "notebooks/02_conv_layer.ipynb") if c["cell_type"] == "markdown"]
    assert any("implement `conv_forward_naive(x, w, b, conv_param)` in place of its `raise NotImplementedError(...)`"
               in _src(c) for c in cells)


def test_release_notebook_handles_hidden_regions_and_markdown_solutions():
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [{"output_type": "stream"}],
         "source": ["x = 1\n", f"    {BEGIN}\n", "    y = 2\n", f"    {END}"]},
        {"cell_type": "code", "execution_count": 4, "metadata": {}, "outputs": [],
         "source": ["assert f(1) == 2\n", f"{BEGIN_H}\n", "assert f(5) == 6\n", f"{END_H}\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": f"Why?\n{BEGIN}\nBecause.\n{END}\n"},
    ]}
    out, report = release_notebook(nb, "nb.ipynb")
    assert _src(out["cells"][0]) == ("x = 1\n    # YOUR CODE HERE\n    raise NotImplementedError("
                                     "'Your turn: write `y` in this cell (not implemented yet)')")
    assert _src(out["cells"][1]) == "assert f(1) == 2\n"
    assert out["cells"][2]["source"] == "Why?\nYOUR ANSWER HERE\n"
    assert report.stubbed_cells == [0, 2] and report.hidden_regions == 1
    assert nb["cells"][0]["outputs"], "the input notebook must not be modified"


# --------------------------------------------------------------------------- markers

@pytest.mark.parametrize("lines, message", [
    (["def f():\n", f"    {BEGIN}\n", "    return 1\n"], r"x\.py:2: ### BEGIN SOLUTION is never closed"),
    (["def f():\n", "    return 1\n", f"    {END}\n"], r"x\.py:3: ### END SOLUTION without a matching ### BEGIN"),
    (["def f():\n", f"    {BEGIN}\n", f"    {BEGIN}\n", f"    {END}\n", f"    {END}\n"],
     r"x\.py:3: ### BEGIN SOLUTION nested inside ### BEGIN SOLUTION opened at x\.py:2"),
    ([f"{BEGIN_H}\n", "x = 1\n", f"{END}\n"],
     r"x\.py:3: ### END SOLUTION closes ### BEGIN HIDDEN TESTS opened at x\.py:1"),
    (["def f():\n", f"    {BEGIN}\n", "    return 1\n", f"{END}\n"],
     r"x\.py:4: .*indented 0 columns.*x\.py:2.*indented 4"),
    (["def f():\n", f"    {BEGIN} here\n", "    return 1\n", f"    {END}\n"], r"x\.py:2: unexpected text after"),
    (['s = """\n', f"{BEGIN}\n", '"""\n'], r"x\.py:2: ### BEGIN SOLUTION inside a string"),
], ids=["begin-without-end", "end-without-begin", "nested", "mismatched-kind", "indentation", "trailing-text",
        "inside-a-string"])
def test_marker_errors_name_file_and_line(lines, message):
    with pytest.raises(MarkerError, match=message):
        release_python("".join(lines), "x.py")


def test_find_regions_pairs_markers():
    lines = ["a\n", f"  {BEGIN}\n", "  b\n", f"  {END}\n", f"{BEGIN_H}\n", f"{END_H}\n"]
    regions = find_regions(lines, lambda i: f"f:{i + 1}")
    assert [(r.kind, r.begin, r.end, r.indent) for r in regions] == [("SOLUTION", 1, 3, "  "),
                                                                        ("HIDDEN TESTS", 4, 5, "")]


def test_release_python_names_methods_and_deletes_hidden_tests():
    src = (f"class Net:\n    def loss(self):\n        {BEGIN}\n        return 0\n        {END}\n\n"
           f"{BEGIN_H}\nSECRET = 1\n{END_H}\n")
    new, names = release_python(src, "pkg/models.py", lambda name: "07_x.ipynb" if name == "Net.loss" else None)
    assert names == ["Net.loss"]
    assert new == ('class Net:\n    def loss(self):\n        raise NotImplementedError("Net.loss is not implemented yet: '
                   'write it in pkg/models.py (07_x.ipynb)")\n\n')


def test_a_method_is_taught_in_the_notebook_that_checks_its_class(release):
    # "loss" and "__init__" are in every notebook; the class names the notebook.
    models = (release / "cs231n_cnn/models.py").read_text()
    for method, notebook in (("ThreeLayerConvNet.__init__", "07_training_cifar10"),
                             ("ThreeLayerConvNet.loss", "07_training_cifar10"),
                             ("FullyConnectedNet.loss", "08_fully_connected_nets")):
        assert (f'raise NotImplementedError("{method} is not implemented yet: write it in cs231n_cnn/models.py '
                f'({notebook}.ipynb)")') in models
    readme = (release / "README.md").read_text()
    assert "ThreeLayerConvNet.__init__" in readme and "FullyConnectedNet.loss" in readme
    # The student README names the file each function is written in, as its stub does (LRN has its own).
    assert "`lrn_forward`, `lrn_backward` in `cs231n_cnn/layers/lrn.py`" in readme
    assert "write it in cs231n_cnn/layers/lrn.py (05_fc_losses_normalization.ipynb)" in (
        release / "cs231n_cnn" / "layers" / "lrn.py").read_text()


def test_convnet_and_train_are_library_code_before_the_model_exercises(release, tmp_path):
    """A student who has written every layer but not the two models: ConvNet and `train` already work."""
    student = tmp_path / "student"
    shutil.copytree(release / "cs231n_cnn", student / "cs231n_cnn")
    for path in (REPO / "cs231n_cnn").rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        # The models stay stubbed; the fast paths left out of the release stay out.
        if BEGIN in path.read_text() and rel not in ("cs231n_cnn/models.py", "cs231n_cnn/layers/channel_major.py"):
            shutil.copyfile(path, student / rel)
    assert "raise NotImplementedError" in (student / "cs231n_cnn/models.py").read_text()
    from cs231n_cnn.data.fake import write_fake_cifar10

    write_fake_cifar10(tmp_path / "data", images_per_batch=6, num_test=8, seed=0)
    script = f"""
import json, numpy as np, cs231n_cnn
from cs231n_cnn.cli import main
from cs231n_cnn.models import ConvNet, FullyConnectedNet, ThreeLayerConvNet
X, y = np.random.default_rng(0).standard_normal((2, 3, 32, 32)), np.array([1, 2])
loss, grads = ConvNet("three_layer_convnet", weight_scale=1e-3, dtype=np.float64, seed=0).loss(X, y)
assert abs(loss - np.log(10)) < 0.01 and sorted(grads) == ["W1", "W2", "W3", "b1", "b2", "b3"], loss
for build in (ThreeLayerConvNet, lambda: FullyConnectedNet([4]).loss(X, y)):
    try:
        build()
    except NotImplementedError as exc:
        assert "is not implemented yet: write it in cs231n_cnn/models.py" in str(exc), exc
    else:
        raise AssertionError("the model exercises should be stubbed")
print(cs231n_cnn.__file__)
raise SystemExit(main(["train", "--spec", "three_layer_convnet", "--data", {str(tmp_path / "data")!r},
                       "--epochs", "1", "--num-val", "6", "--quiet", "--json"]))
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_env(PYTHONPATH=str(student)),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    where, result = proc.stdout.strip().splitlines()[-2:]
    assert Path(where).resolve() == (student / "cs231n_cnn/__init__.py").resolve()
    assert json.loads(result)["epochs"] == 1


def test_a_region_that_is_a_whole_block_body_is_reported():
    src = f"if True:\n    {BEGIN_H}\n    x = 1\n    {END_H}\n"
    with pytest.raises(ReleaseError, match=r"x\.py:\d+: the released file would not be valid Python"):
        release_python(src, "x.py")


@pytest.fixture
def small_repo(tmp_path) -> Path:
    """A copy of the repository's released parts, to break on purpose."""
    root = tmp_path / "repo"
    for name in ("cs231n_cnn", "checks", "notebooks"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "pyproject.toml", root)
    return root


def test_marker_error_in_the_library_stops_the_build_before_writing(small_repo, tmp_path):
    fc = small_repo / "cs231n_cnn/layers/fc.py"
    lines = fc.read_text().splitlines(keepends=True)
    first_end = next(i for i, line in enumerate(lines) if line.strip() == END)
    del lines[first_end]
    fc.write_text("".join(lines))
    out = tmp_path / "out" / "student"
    with pytest.raises(MarkerError, match=r"cs231n_cnn/layers/fc\.py:\d+: ### BEGIN SOLUTION nested inside"):
        build_release(out, repo=small_repo)
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_marker_error_in_a_notebook_names_cell_and_line(small_repo, tmp_path):
    path = small_repo / "notebooks/02_conv_layer.ipynb"
    nb = json.loads(path.read_text())
    index = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and END in _src(c))
    nb["cells"][index]["source"] = [line for line in nb["cells"][index]["source"] if END not in line]
    path.write_text(json.dumps(nb))
    with pytest.raises(MarkerError, match=rf"notebooks/02_conv_layer\.ipynb: cell {index}, line \d+: "
                                          r"### BEGIN SOLUTION is never closed"):
        build_release(tmp_path / "student", repo=small_repo)
    assert not (tmp_path / "student").exists()


# --------------------------------------------------------------------------- --out and --force

def test_nonempty_out_without_force_is_refused_and_untouched(tmp_path, capsys):
    out = tmp_path / "student"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert cli.main(["release", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cs231n-cnn release: error: ") and "is not empty; pass --force" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student"]


def test_force_replaces_only_an_earlier_release(tmp_path, capsys):
    out = tmp_path / "student"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert cli.main(["release", "--out", str(out), "--force"]) == 1
    assert "not a student release" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"

    (out / MANIFEST).write_text("{}")          # now it looks like an earlier release
    assert cli.main(["release", "--out", str(out), "--force"]) == 0
    assert "student release written to" in capsys.readouterr().out
    assert not (out / "notes.txt").exists() and (out / "cs231n_cnn" / "layers" / "conv.py").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student"]       # no temporary or old trees left


def test_out_must_not_overlap_the_repository(tmp_path):
    with pytest.raises(ReleaseError, match="contains the repository"):
        build_release(REPO.parent, force=True)
    with pytest.raises(ReleaseError, match="inside the repository's notebooks/"):
        build_release(REPO / "notebooks" / "student")


def test_release_needs_a_checkout(tmp_path, release):
    with pytest.raises(ReleaseError, match="is not a checkout of the course repository"):
        repo_root(tmp_path)
    with pytest.raises(ReleaseError, match="is itself a student release"):
        repo_root(release)


# --------------------------------------------------------------------------- known mistakes in the release

FIRST_LINES = """
import json, sys
import pytest
sys.path.insert(0, {bugs_dir!r})
from named_bugs import all_bugs, patches
from cs231n_cnn.grading import run_checks
wanted = set({ids!r})
out = {{}}
for bug in all_bugs():
    if bug.id not in wanted:
        continue
    mp = pytest.MonkeyPatch()
    if {plant!r}:
        for owner, name, fake in patches(bug.edits):
            mp.setattr(owner, name, fake)
    (result,) = run_checks([bug.check])
    mp.undo()
    out[bug.id] = result.line()
print(json.dumps(out))
"""


def _first_lines(cwd: Path, env: dict, ids: list[str], plant: bool) -> dict[str, str]:
    """``bug id -> result.line()`` of each bug's check, run in a fresh interpreter (planted in process if ``plant``)."""
    script = FIRST_LINES.format(bugs_dir=str(REPO / "tests" / "unit"), ids=sorted(ids), plant=plant)
    proc = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _named_bugs():
    """The module ``tests/unit/named_bugs`` (the catalogue of planted bugs)."""
    import importlib

    sys.path.insert(0, str(REPO / "tests" / "unit"))
    try:
        return importlib.import_module("named_bugs")
    finally:
        sys.path.remove(str(REPO / "tests" / "unit"))


# Where the release judges a model and the Solver by the student's own numbers (see
# test_public_checks_replay_to_full_marks_on_the_repository_solution), its line says so in a note and may score
# the parts it cannot recompute differently: for these checks the score and the note are left out of a comparison.
OWN_NUMBERS = ("three_layer_convnet", "fully_connected_net", "training_smoke")
_SCORE = re.compile(r" \(\d+(?:\.\d+)?/\d+\)( \[in this release [^\]]*\])?$", re.MULTILINE)


def _comparable(check: str, line: str) -> str:
    return _SCORE.sub("", line, count=1) if check in OWN_NUMBERS else line


def _public_bugs():
    return [b for b in _named_bugs().all_bugs() if b.check in PUBLIC]


@pytest.mark.slow
def test_every_planted_bug_of_a_public_check_gets_the_graders_first_message_from_the_release(release, tmp_path):
    # The release's checks replay recorded reference results, known mistakes included: every planted bug of a
    # public check gets, word for word, the message the grader (the repository's checks) gives it.
    bugs = _public_bugs()
    assert len(bugs) >= 20
    ids = [b.id for b in bugs]
    check = {b.id: b.check for b in bugs}
    grader = _first_lines(tmp_path, _env(PYTHONPATH=str(REPO)), ids, plant=True)
    student = _first_lines(tmp_path, _env(PYTHONPATH=str(REPO), CS231N_CHECKS_DIR=str(release / "checks")), ids,
                           plant=True)
    student = {i: _comparable(check[i], line) for i, line in student.items()}
    grader = {i: _comparable(check[i], line) for i, line in grader.items()}
    # The dropout masks of a model are the student's own draws: the release has no reference for them and
    # says what it can see instead (the loss with dropout equals the loss without).
    assert "equals the loss without it: is dropout_forward called" in student.pop("fc-dropout-ignored")
    differ = {i: (grader[i], student[i]) for i in student if grader[i] != student[i]}
    # A bug that draws unseeded random numbers (a redrawn dropout mask) gets another count on every run, from
    # the grader too: for those, the text naming the bug must agree.
    again = _first_lines(tmp_path, _env(PYTHONPATH=str(REPO)), sorted(differ), plant=True) if differ else {}
    says = {b.id: b.says for b in bugs}
    differ = {i: pair for i, pair in differ.items()
              if again[i] == grader[i] or not all(says[i] in line for line in (*pair, again[i]))}
    assert not differ, "\n\n".join(f"{i}:\n  grader:  {g}\n  release: {s}" for i, (g, s) in differ.items())
    assert not [line for line in student.values() if "not recorded" in line or "internal error" in line]


@pytest.mark.slow
def test_bugs_planted_into_the_files_of_a_solved_release_get_the_graders_first_messages(release, tmp_path):
    # Literally as a student would: the released files with the solution written in, one mistake made in the
    # source, the release's own checks run. One bug per topic, and the four examples.
    plant_in_files = _named_bugs().plant_in_files
    bugs = _public_bugs()
    chosen, topics = [], set()
    for bug in bugs:
        topic = bug.edits[0].module
        if bug.id in FILE_PLANTED or topic not in topics:
            chosen.append(bug)
            topics.add(topic)
    student = _solved(release, tmp_path)
    grader = _first_lines(tmp_path, _env(PYTHONPATH=str(REPO)), [b.id for b in chosen], plant=True)
    for bug in chosen:
        originals = {path: path.read_text(encoding="utf-8") for path in
                     {student / Path(*e.module.split(".")).with_suffix(".py") for e in bug.edits}}
        plant_in_files(student, list(bug.edits))
        try:
            got = _first_lines(student, _env(PYTHONPATH=str(student)), [bug.id], plant=False)[bug.id]
        finally:
            for path, text in originals.items():
                path.write_text(text, encoding="utf-8")
        got, want = _comparable(bug.check, got), _comparable(bug.check, grader[bug.id])
        assert got == want, f"{bug.id}:\n  grader:  {want}\n  release: {got}"
        assert bug.says in got.split("\n", 1)[0]


# The four examples (named in tests/unit/named_bugs), planted into the released files.
FILE_PLANTED = ("momentum-sign", "adam-no-bias-correction")
