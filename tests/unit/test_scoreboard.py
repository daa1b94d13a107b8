"""``make check``'s lines and scoreboard: check order from the notebooks, the "next" check, whole lines."""

import json

from cs231n_cnn.grading import CheckResult
from cs231n_cnn.grading.scoreboard import CheckPlace, check_line, notebook_order, order_checks, scoreboard_line


def _notebook(path, *cells):
    """A notebook whose cells are ("code" | "markdown", source)."""
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": src.splitlines(keepends=True),
         **({"outputs": [], "execution_count": None} if kind == "code" else {})} for kind, src in cells]}))


def _result(name, score, max_score):
    return CheckResult(name, score, max_score, hidden=False)


def test_order_comes_from_the_notebooks_check_cells(tmp_path):
    _notebook(tmp_path / "03_b.ipynb", ("code", 'run_check("im2col")\nrun_check( "col2im" , verbose=True)'))
    _notebook(tmp_path / "02_a.ipynb",
              ("markdown", 'Run `run_check("relu_forward")` later.'),         # prose: not a check cell
              ("code", "from cs231n_cnn.grading import run_check"),          # an import, not a call
              ("code", "run_check('conv_forward_naive')"),
              ("code", 'x = 1\nrun_check("im2col")'))                        # first run here, in 02
    (tmp_path / "notes.txt").write_text('run_check("sgd")')
    assert notebook_order(tmp_path) == {"conv_forward_naive": "02_a.ipynb", "im2col": "02_a.ipynb",
                                        "col2im": "03_b.ipynb"}
    got = order_checks(["sgd", "col2im", "im2col", "conv_forward_naive", "adam"], tmp_path)
    assert [(n, p.label) for n, p in got] == [("conv_forward_naive", "02"), ("im2col", "02"), ("col2im", "03"),
                                              ("sgd", "--"), ("adam", "--")]


def test_a_damaged_or_missing_notebook_folder_leaves_the_load_order(tmp_path):
    (tmp_path / "01_x.ipynb").write_text("{ half a notebook")
    assert order_checks(["b", "a"], tmp_path) == [("b", CheckPlace(None, "--")), ("a", CheckPlace(None, "--"))]
    assert order_checks(["b", "a"], None) == order_checks(["b", "a"], tmp_path / "nowhere")


def test_scoreboard_names_the_first_failing_check_in_notebook_order():
    nb02, nb05 = CheckPlace.of("02_conv_layer.ipynb"), CheckPlace.of("05_fc.ipynb")
    results = [(_result("conv_forward_naive", 4, 4), nb02), (_result("conv_backward_naive", 2, 6), nb02),
               (_result("relu_forward", 0, 3), nb05), (_result("sgd", 2, 2), CheckPlace.of(None))]
    assert scoreboard_line(results) == ("2/4 public checks pass (8/15 points); "
                                        "next: conv_backward_naive (notebook 02)")
    assert scoreboard_line([(_result("relu_forward", 0, 3), nb05)]) == \
        "0/1 public checks pass (0/3 points); next: relu_forward (notebook 05)"
    assert scoreboard_line([(_result("sgd", 0, 2), CheckPlace.of(None))]).endswith("next: sgd (no notebook)")
    done = scoreboard_line([(_result("a", 4, 4), nb02), (_result("b", 1.5, 1.5), nb05)])
    assert done == "2/2 public checks pass (5.50/5.50 points); all pass: `make submit` writes the zip to upload"


def test_a_check_line_is_the_whole_headline_never_cut():
    long_reason = "x" * 300
    failed = CheckResult("l2_pool", 0, 5, hidden=False, error=f"{long_reason}\ndetail")
    line = check_line(failed, CheckPlace.of("04_pooling.ipynb"))
    assert line == f"[04] FAIL l2_pool: {long_reason} (0/5)"
    assert check_line(_result("adam", 2, 2), CheckPlace.of("07_training.ipynb")) == "[07] PASS adam 2/2"


def test_cli_check_on_the_repository_solution(capsys):
    from pathlib import Path

    from cs231n_cnn import cli

    notebooks = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))

    def label(name):
        # The first notebook file whose text holds the check cell's call (as JSON stores it).
        return next((p.name[:2] for p in notebooks if f'run_check(\\"{name}\\"' in p.read_text()), "--")

    assert cli.main(["check", "sgd", "relu_forward", "--strict"]) == 0
    out, err = capsys.readouterr()
    expected = sorted([(label("relu_forward"), "PASS relu_forward 3/3"), (label("sgd"), "PASS sgd 2/2")],
                      key=lambda x: (x[0] == "--", x[0]))
    assert out.splitlines() == [f"[{nb}] {line}" for nb, line in expected] + [
        "2/2 public checks pass (5/5 points); all pass: `make submit` writes the zip to upload"]
    assert err == ""
    assert cli.main(["check", "no_such_check"]) == 1
    assert "no public check named no_such_check" in capsys.readouterr().err
