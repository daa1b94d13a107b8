"""Edits of the library reach a running kernel; work not done yet stops a cell with one line.

A real kernel (jupyter_client) imports a copy of the package from a temporary directory,
and the test edits that copy's files between cells, as a learner's editor does. Nothing
here restarts a kernel. (The learner-path test walks every notebook of a student release
this way; these tests pin down the mechanism, :mod:`cs231n_cnn.notebook`.)
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
from kernel_session import KernelSession

pytestmark = pytest.mark.slow

FIRST_CELL = "%load_ext autoreload\n%autoreload 2\n%load_ext cs231n_cnn.notebook\n"
STUB = 'raise NotImplementedError("relu_forward is not implemented yet: write it in cs231n_cnn/layers/fc.py")'
RIGHT = "out = np.maximum(x, 0)"
WRONG = "out = np.maximum(x, 1)"       # the same length: a same-size edit


@pytest.fixture
def copy(tmp_path, repo_root):
    """The package and checks, copied; relu_forward's solution replaced by a stub, as the release has it."""
    shutil.copytree(repo_root / "cs231n_cnn", tmp_path / "cs231n_cnn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo_root / "checks", tmp_path / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(repo_root / "pyproject.toml", tmp_path)     # what makes the copy a checkout
    fc = tmp_path / "cs231n_cnn" / "layers" / "fc.py"
    text = fc.read_text()
    solution = re.search(r"def relu_forward\(.*?(### BEGIN SOLUTION\n.*?### END SOLUTION\n)", text, re.S)
    body = solution.group(1)
    assert RIGHT in body, "relu_forward's reference changed: update this test"
    fc.write_text(text.replace(body, "### BEGIN SOLUTION\n    " + STUB + "\n    ### END SOLUTION\n", 1))
    return tmp_path


def _kernel(copy, first_cell=FIRST_CELL):
    session = KernelSession(copy, env={"PYTHONPATH": str(copy), "CS231N_STRICT": "0", "MPLBACKEND": "Agg"})
    run = session.run(first_cell + "import numpy as np\nimport cs231n_cnn\nfrom cs231n_cnn.grading import run_check\n"
                      "from cs231n_cnn.layers import conv_forward_naive, relu_forward\nprint(cs231n_cnn.__file__)")
    assert run.status == "ok", run.text
    assert run.text.strip() == str(copy / "cs231n_cnn" / "__init__.py"), "the kernel must import the copy"
    return session


def _set_relu(copy, line: str) -> None:
    fc = copy / "cs231n_cnn" / "layers" / "fc.py"
    text = fc.read_text()
    current = next(c for c in (STUB, RIGHT, WRONG) if c in text)
    fc.write_text(text.replace(current, line, 1))


def test_a_same_size_edit_within_a_second_reaches_the_check_and_the_names_imported_before(copy):
    with _kernel(copy) as k:
        assert k.run('run_check("relu_forward")').text.startswith("FAIL relu_forward: [mixed signs")
        _set_relu(copy, WRONG)
        assert "expected 0" in k.run('run_check("relu_forward")').text
        size = (copy / "cs231n_cnn" / "layers" / "fc.py").stat().st_size
        _set_relu(copy, RIGHT)   # same size, same second: a reload from bytecode would run WRONG again
        assert (copy / "cs231n_cnn" / "layers" / "fc.py").stat().st_size == size
        assert k.run('run_check("relu_forward")').text == "PASS relu_forward 3/3\n"
        # `relu_forward` was imported by name in the first cell, before any edit.
        assert k.run("print(relu_forward(np.array([-1.0, 2.0]))[0])").text == "[0. 2.]\n"


def test_a_stub_stops_its_cell_with_one_line_and_later_cells_that_need_it_say_so(copy):
    with _kernel(copy) as k:
        run = k.run("out, cache = relu_forward(np.ones(3))\nprint('never printed')")
        assert run.status == "ok" and not run.has_traceback
        assert run.text == ("relu_forward is not implemented yet: write it in cs231n_cnn/layers/fc.py\n")
        run = k.run("print(out.sum())")
        assert run.status == "ok"
        assert run.text.startswith("skipped: this cell needs `out` from a cell above that stopped "
                                   "(relu_forward is not implemented yet")
        # A cell that does not need what stopped runs as usual, and shows its last expression.
        assert k.run("x = 2\nx * 21").text == "42\n"
        assert k.run("x * 2;").text == ""
        # Once the function is written, the same cells run.
        _set_relu(copy, RIGHT)
        assert k.run("out, cache = relu_forward(np.ones(3))").status == "ok"
        assert k.run("print(out.sum())").text == "3.0\n"


def test_a_notebook_exercise_stub_prints_what_to_write_and_other_errors_stay_errors(copy):
    with _kernel(copy) as k:
        run = k.run("answer = None\n# YOUR CODE HERE\n"
                    "raise NotImplementedError('Your turn: write `answer` in this cell (not implemented yet)')")
        assert (run.status, run.text) == ("ok", "Your turn: write `answer` in this cell (not implemented yet)\n")
        assert k.run("print(answer + 1)").text.startswith("skipped: this cell needs `answer`")
        # A cell that is nothing but the stub binds nothing: the names its message gives are what later cells miss.
        run = k.run("# YOUR CODE HERE\nraise NotImplementedError('Your turn: write `total` and `count` in this cell "
                    "(not implemented yet)')")
        assert run.status == "ok"
        assert k.run("print(total / count)").text.startswith("skipped: this cell needs `count`, `total`")
        # A real mistake is shown as usual: a traceback, and Run All stops there.
        run = k.run("np.zeros(2) + np.zeros(3)")
        assert run.status == "error" and run.has_traceback and "ValueError" in run.text
        # NotImplementedError raised by the learner's own function in a cell is theirs to see too.
        run = k.run("def f():\n    raise NotImplementedError('mine')\nf()")
        assert run.status == "error" and "NotImplementedError: mine" in run.text


def test_a_syntax_error_is_reported_in_one_line_and_a_fix_is_picked_up(copy):
    fc = copy / "cs231n_cnn" / "layers" / "fc.py"
    with _kernel(copy) as k:
        good = fc.read_text()
        fc.write_text(good.replace("def relu_forward(", "def relu_forward(:", 1))
        run = k.run('run_check("relu_forward")')
        lines = run.text.splitlines()
        line_no = next(i + 1 for i, t in enumerate(good.splitlines()) if t.startswith("def relu_forward("))
        said = (f"cs231n_cnn/layers/fc.py line {line_no}: SyntaxError: invalid syntax, so the kernel still runs the "
                f"version saved before; fix the file, save it and run the cell again")
        assert lines[0] == said, run.text                    # before the cell, in one line
        assert lines[1].startswith("FAIL relu_forward: ") and lines[1].endswith("; " + said)
        assert not run.has_traceback
        fc.write_text(good)
        _set_relu(copy, RIGHT)
        assert k.run('run_check("relu_forward")').text == "PASS relu_forward 3/3\n"


def test_the_line_quoted_under_a_fail_is_the_one_that_ran(copy):
    """After a save that did not load, the file has other lines where the running version raised."""
    fc = copy / "cs231n_cnn" / "layers" / "fc.py"
    with _kernel(copy) as k:
        fc.write_text(fc.read_text().replace("import numpy as np\n", "import numpy as np\n\n\nbroken = (\n", 1))
        lines = k.run('run_check("relu_forward")').text.splitlines()
        assert "SyntaxError" in lines[0]
        assert lines[-2].strip().startswith("at cs231n_cnn/layers/fc.py, line ") and lines[-1].strip() == STUB, lines


def test_a_new_helper_and_import_are_picked_up_and_a_renamed_function_is_named(copy):
    fc = copy / "cs231n_cnn" / "layers" / "fc.py"
    with _kernel(copy) as k:
        text = fc.read_text().replace("import numpy as np\n", "import math\n\nimport numpy as np\n", 1)
        text = text.replace("\n@promote_integer_arrays\ndef relu_forward(",
                            "\ndef _zero():\n    return math.floor(0.5)\n\n\n@promote_integer_arrays\ndef relu_forward(", 1)
        assert "def _zero" in text
        fc.write_text(text.replace(STUB, "out = np.maximum(x, _zero())", 1))
        assert k.run('run_check("relu_forward")').text == "PASS relu_forward 3/3\n"
        fc.write_text(fc.read_text().replace("def relu_forward(", "def relu_fwd(", 1))
        run = k.run('run_check("relu_forward")')
        assert run.text.startswith("PASS relu_forward 3/3; cs231n_cnn/layers/fc.py no longer defines relu_forward "
                                   "(renamed?)"), run.text


def test_an_edit_a_running_kernel_cannot_follow_says_to_restart(copy):
    fc = copy / "cs231n_cnn" / "layers" / "fc.py"
    with _kernel(copy) as k:
        _set_relu(copy, RIGHT)
        text = fc.read_text()
        assert "@promote_integer_arrays\ndef relu_forward(" in text
        fc.write_text(text.replace("@promote_integer_arrays\ndef relu_forward(", "def relu_forward(", 1))
        run = k.run('run_check("relu_forward")')
        said = ("cs231n_cnn/layers/fc.py: relu_forward changed in a way a running kernel cannot follow (a decorator "
                "added or removed?), so where it was imported before the old version still runs; restart the kernel "
                "and run the notebook from the top")
        assert run.text.splitlines()[0] == said
        # cs231n_cnn.layers.relu_forward is still the stub it was when the kernel imported it
        assert run.text.splitlines()[1].startswith("FAIL relu_forward: [mixed signs, shape (N, C, H, W)] not "
                                                   "implemented yet (0/3); " + said)


def test_autoreload_alone_updates_decorated_layers_imported_by_name(copy):
    """A course notebook with only `%autoreload 2`: edits of a decorated layer reach names imported before."""
    conv = copy / "cs231n_cnn" / "layers" / "conv.py"
    text = conv.read_text()
    body = re.search(r"def conv_forward_naive\(.*?### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", text, re.S).group(1)
    indent = body[:len(body) - len(body.lstrip())]
    conv.write_text(text.replace(body, indent + 'raise NotImplementedError("stub")', 1))
    with _kernel(copy, first_cell="%load_ext autoreload\n%autoreload 2\n") as k:
        demo = ("out, _ = conv_forward_naive(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.zeros(1),"
                " {'stride': 1, 'pad': 1})\nprint(out.sum())")
        assert "NotImplementedError: stub" in k.run(demo).text
        time.sleep(1.1)   # autoreload alone reloads through bytecode: a same-second edit is ours to fix
        conv.write_text(text)
        assert k.run(demo).text == "49.0\n"
