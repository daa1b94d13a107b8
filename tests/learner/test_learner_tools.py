"""The walk's own tools: the edits it makes to the release, how it reads what the prose asks for, and what it catches.

One release build and one short kernel: a few seconds.
"""

from __future__ import annotations

import json

import pytest
from conftest import REPO
from learner_prose import ProseError, asked_functions
from library_edits import implemented_text, reference_solutions

SOLUTIONS = reference_solutions(REPO)
QUALNAMES = {q: [s.relpath for s in sols] for q, sols in SOLUTIONS.items()}
MARKERS = ("### BEGIN " + "SOLUTION", "### END " + "SOLUTION")


def test_writing_every_solution_into_the_release_gives_the_repository_file_without_its_markers(pristine_release):
    files = sorted({s.relpath for sols in SOLUTIONS.values() for s in sols})
    assert len(files) >= 8
    for relpath in files:
        text = (pristine_release / relpath).read_text(encoding="utf-8")
        for sol in (s for sols in SOLUTIONS.values() for s in sols if s.relpath == relpath):
            text = implemented_text(text, sol)
            assert text is not None, f"{relpath}: {sol.qualname} has no stub in the release"
        expected = "".join(line for line in (REPO / relpath).read_text(encoding="utf-8").splitlines(keepends=True)
                           if line.strip() not in MARKERS)
        assert text == expected, relpath


def test_a_function_already_written_is_left_alone(pristine_release):
    sol = SOLUTIONS["relu_forward"][0]
    once = implemented_text((pristine_release / sol.relpath).read_text(encoding="utf-8"), sol)
    assert implemented_text(once, sol) is None


@pytest.mark.parametrize("markdown, previous, expected", [
    ("**Implement** `affine_forward(x, w, b)` in `cs231n_cnn/layers/fc.py`: flatten, multiply.", "",
     ["affine_forward"]),
    ("Open `cs231n_cnn/layers/conv.py` and implement `conv_forward_naive(x, w, b, conv_param)` in place of its stub.",
     "", ["conv_forward_naive"]),
    ("Implement `max_pool_forward_naive` (loops over images, like the naive conv),\n`avg_pool_forward` and "
     "`l2_pool_forward` in `cs231n_cnn/layers/pool.py`. The first check:", "",
     ["max_pool_forward_naive", "avg_pool_forward", "l2_pool_forward"]),
    # Names after the file are what the function uses, not what is asked for.
    ("**Implement** `batchnorm_backward_alt(dout, cache)` in `cs231n_cnn/layers/norm.py` with this formula, from "
     "the cache of `batchnorm_forward`.", "", ["batchnorm_backward_alt"]),
    ("### Your implementation: `conv_forward_fast` and `conv_backward_fast`\n\nImplement both in "
     "`cs231n_cnn/layers/conv.py` using `im2col` and `col2im`.", "", ["conv_forward_fast", "conv_backward_fast"]),
    ("Implement both functions (the input checks are done for you) and run their checks:",
     "The implementation is `locally_connected_forward` / `locally_connected_backward` in `cs231n_cnn/layers/local.py`",
     ["locally_connected_forward", "locally_connected_backward"]),
    ("**What you implement**, in this order: `affine_forward`, `affine_backward`.", "", []),
    ("Then: **your implementation** of the forward pass (`conv_forward_naive`).", "", []),
    ("### Your implementation: the forward passes", "", []),
], ids=["bold", "open-and-implement", "list", "names-after-the-file", "both-heading", "both-previous-cell",
        "intro", "intro-2", "heading-without-names"])
def test_what_the_prose_asks_for(markdown, previous, expected):
    assert asked_functions(markdown, QUALNAMES, previous).names == expected


def test_methods_and_classes_are_read_too():
    qualnames = {"ThreeLayerConvNet.__init__": ["m.py"], "ThreeLayerConvNet.loss": ["m.py"],
                 "FullyConnectedNet.loss": ["m.py"]}
    ask = lambda text: asked_functions(text, qualnames).names   # noqa: E731
    assert ask("**Implement** `ThreeLayerConvNet.__init__` and `ThreeLayerConvNet.loss(X, y=None)` in `m.py`.") == [
        "ThreeLayerConvNet.__init__", "ThreeLayerConvNet.loss"]
    assert ask("**Implement** `ThreeLayerConvNet` in `m.py`.") == ["ThreeLayerConvNet.__init__",
                                                                  "ThreeLayerConvNet.loss"]
    assert ask("Implement the `loss` of `FullyConnectedNet`.") == ["FullyConnectedNet.loss"]


def test_asking_without_naming_anything_is_an_error():
    with pytest.raises(ProseError, match="names no library function"):
        asked_functions("Implement both with a loop over the offsets.", QUALNAMES)


def test_the_walk_sees_a_cell_before_what_it_needs_a_failing_check_and_an_error(pristine_release, learner_python,
                                                                                tmp_path):
    # A notebook of six cells, in a copy of the release: what the walk must catch, and what it must not.
    from conftest import copy_release
    from learner_walk import Walker
    from nbkernel import kernel_env

    release = copy_release(pristine_release, tmp_path / "student")
    code = lambda i, src: {"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": src,   # noqa: E731
                           "outputs": [], "execution_count": None}
    cells = [
        code(0, "%load_ext cs231n_cnn.notebook\nimport numpy as np\nfrom cs231n_cnn.grading import run_check\n"
                "from cs231n_cnn.layers import relu_forward"),
        code(1, "print(relu_forward(np.array([-1.0, 2.0]))[0])"),                    # before what it needs
        code(2, 'run_check("relu_forward")'),                                          # a check before it, too
        {"cell_type": "markdown", "id": "m3", "metadata": {},
         "source": "**Implement** `relu_forward(x)` in `cs231n_cnn/layers/fc.py`."},
        code(4, 'run_check("relu_forward")'),
        code(5, "print(relu_forward(np.array([-1.0, 2.0]))[0])"),
        code(6, "1 / 0"),
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (release / "notebooks" / "99_planted.ipynb").write_text(json.dumps(nb))
    env = kernel_env(release, tmp_path / "dirs", CS231N_SMALL="1", CS231N_PROGRESS="0")
    record = Walker(REPO, release, learner_python, tmp_path, env).walk("99_planted.ipynb")
    assert [(c.cell, c.passed) for c in record.checks] == [(2, False), (4, True)], record.checks
    assert [i for i, _ in record.out_of_order] == [1], record.out_of_order
    assert [i for i, _ in record.errors] == [6] and "ZeroDivisionError" in record.errors[0][1], record.errors
    assert record.implemented == [(3, ["relu_forward"])]
