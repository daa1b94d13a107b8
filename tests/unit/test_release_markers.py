"""Units of the release builder: marker parsing, stubbing Python sources, the templates it ships."""

from __future__ import annotations

import ast

import pytest

from cs231n_cnn.grading.release.errors import ReleaseError
from cs231n_cnn.grading.release.generated import checks_docstring, generated_reference, read_template, student_files
from cs231n_cnn.grading.release.markers import (
    FORBIDDEN,
    HIDDEN,
    SOLUTION,
    MarkerError,
    Region,
    find_regions,
    hidden_region_count,
    replace_regions,
)
from cs231n_cnn.grading.release.pysource import release_python, replace_docstring
from cs231n_cnn.grading.release.references import (
    leaked_reference_text,
    lookup_only_problems,
    reference_api,
    reference_identifiers,
)

# The marker words, spelled in pieces as the release tool itself does.
BEGIN, END = "### BEGIN " + SOLUTION, "### END " + SOLUTION
BEGIN_H, END_H = "### BEGIN " + HIDDEN, "### END " + HIDDEN


def _where(i):
    return f"f.py:{i + 1}"


# --------------------------------------------------------------------------- markers

def test_regions_pair_up_in_order_with_their_indentation():
    lines = ["a\n", f"  {BEGIN}\n", "  b\n", f"  {END}\n", f"{BEGIN_H}\n", "c\n", f"{END_H}\n"]
    assert find_regions(lines, _where) == [Region(SOLUTION, 1, 3, "  "), Region(HIDDEN, 4, 6, "")]
    assert find_regions(["no markers\n"], _where) == []


@pytest.mark.parametrize("lines, message", [
    ([f"{BEGIN}\n"], r"f\.py:1: ### BEGIN SOLUTION is never closed by ### END SOLUTION"),
    ([f"{END}\n"], r"f\.py:1: ### END SOLUTION without a matching ### BEGIN SOLUTION"),
    ([f"{BEGIN}\n", f"{BEGIN_H}\n"], r"f\.py:2: ### BEGIN HIDDEN TESTS nested inside ### BEGIN SOLUTION opened at "
                                     r"f\.py:1"),
    ([f"{BEGIN}\n", f"{END_H}\n"], r"f\.py:2: ### END HIDDEN TESTS closes ### BEGIN SOLUTION opened at f\.py:1"),
    ([f"  {BEGIN}\n", f"{END}\n"], r"f\.py:2: ### END SOLUTION is indented 0 columns but its BEGIN at f\.py:1 is "
                                   r"indented 2"),
    ([f"{BEGIN} now\n", f"{END}\n"], r"f\.py:1: unexpected text after ### BEGIN SOLUTION"),
], ids=["never-closed", "unopened", "nested", "mismatched-kind", "indentation", "trailing-text"])
def test_marker_errors_name_the_line(lines, message):
    with pytest.raises(MarkerError, match=message):
        find_regions(lines, _where)


def test_a_marker_outside_the_allowed_lines_is_inside_a_string():
    with pytest.raises(MarkerError, match=r"f\.py:2: ### BEGIN SOLUTION inside a string"):
        find_regions(["s = '''\n", f"{BEGIN}\n", "'''\n"], _where, marker_lines={0})


def test_marker_error_is_a_release_error_and_a_value_error():
    assert issubclass(MarkerError, ReleaseError) and issubclass(ReleaseError, ValueError)


def test_replace_regions_keeps_a_missing_final_newline():
    lines = ["a\n", f"{BEGIN}\n", "b\n", END]
    regions = find_regions(lines, _where)
    assert replace_regions(lines, regions, lambda r: "STUB\n") == "a\nSTUB"
    assert replace_regions(lines, regions, lambda r: "") == "a\n"


def test_hidden_region_count_counts_openings_of_hidden_regions_only():
    assert hidden_region_count(f"{BEGIN}\n{END}\n{BEGIN_H}\n{END_H}\n  {BEGIN_H}\n  {END_H}\n") == 2


def test_forbidden_text_is_the_marker_words():
    assert FORBIDDEN == ("BEGIN " + SOLUTION, "END " + SOLUTION, HIDDEN)


# --------------------------------------------------------------------------- Python sources

def test_a_solution_region_becomes_a_stub_naming_function_file_and_notebook():
    src = f"def relu(x):\n    x = check(x)\n    {BEGIN}\n    return x * (x > 0)\n    {END}\n"
    new, names = release_python(src, "pkg/layers.py", {"relu": "01_fc.ipynb"}.get)
    assert names == ["relu"]
    assert new == ('def relu(x):\n    x = check(x)\n    raise NotImplementedError("relu is not implemented yet: write it in '
                   'pkg/layers.py (01_fc.ipynb)")\n')


def test_a_function_no_notebook_teaches_gets_no_notebook_in_its_message():
    src = f"class Net:\n    def loss(self):\n        {BEGIN}\n        return 0\n        {END}\n"
    new, names = release_python(src, "pkg/models.py")
    assert names == ["Net.loss"]
    assert 'raise NotImplementedError("Net.loss is not implemented yet: write it in pkg/models.py")' in new


def test_a_solution_no_notebook_teaches_is_left_out_not_set_as_an_exercise():
    """A marked fast path of the complete library (layers/channel_major.py): its stub says there is nothing to do."""
    src = f"def conv_cm(x):\n    {BEGIN}\n    return x\n    {END}\n"
    new, names = release_python(src, "pkg/layers/cm.py", {"relu": "01_fc.ipynb"}.get)
    assert names == ["conv_cm"]
    assert ('raise NotImplementedError("conv_cm is left out of the student release (pkg/layers/cm.py): its code '
            'would give away a solution; there is nothing to implement here")') in new


def test_hidden_regions_are_deleted_and_unmarked_sources_are_returned_unchanged():
    src = f"x = 1\n{BEGIN_H}\nassert x == 1\n{END_H}\ny = 2\n"
    assert release_python(src, "t.py") == ("x = 1\ny = 2\n", [])
    assert release_python("x = 1\n", "t.py") == ("x = 1\n", [])


def test_a_marker_in_a_string_or_a_release_that_does_not_compile_is_refused():
    with pytest.raises(MarkerError, match=r"t\.py:2: ### BEGIN SOLUTION inside a string"):
        release_python(f's = """\n{BEGIN}\n"""\n', "t.py")
    with pytest.raises(ReleaseError, match=r"t\.py:\d+: the released file would not be valid Python"):
        release_python(f"if True:\n    {BEGIN_H}\n    x = 1\n    {END_H}\n", "t.py")


def test_replace_docstring_replaces_or_adds_the_module_docstring():
    assert replace_docstring('"""Old."""\n\nx = 1\n', '"""New."""') == '"""New."""\n\nx = 1\n'
    assert replace_docstring("x = 1\n", '"""New."""') == '"""New."""\nx = 1\n'


# --------------------------------------------------------------------------- templates

def test_the_student_makefile_is_indented_with_tabs():
    makefile = read_template("Makefile")
    recipes = [line for line in makefile.splitlines() if line.startswith(("\t", " "))]
    assert recipes and all(line.startswith("\t") for line in recipes)
    assert ("check: $(STAMP)\nifeq ($(VERBOSE),)\n\t@MPLBACKEND=Agg $(PY) -m cs231n_cnn check\nelse\n"
            "\tMPLBACKEND=Agg $(PY) -m pytest -q -rN test_public_checks.py\nendif\n") in makefile


def test_student_files_fill_in_the_readme_and_copy_the_rest():
    files = student_files({"02_conv.ipynb": [("cs231n_cnn/layers/conv.py", "conv_forward_naive"),
                                             ("cs231n_cnn/layers/conv.py", "conv_backward_naive"),
                                             ("cs231n_cnn/im2col.py", "im2col")],
                           "": [("cs231n_cnn/layers/channel_major.py", "helper")]}, 7)
    assert sorted(files) == [".gitignore", "Makefile", "README.md", "test_public_checks.py"]
    readme = files["README.md"].decode("utf-8")
    # Each notebook's functions, grouped by the file the student writes them in.
    assert ("| `notebooks/02_conv.ipynb` | `conv_forward_naive`, `conv_backward_naive` in `cs231n_cnn/layers/conv.py`; "
            "`im2col` in `cs231n_cnn/im2col.py` |\n\nLeft out of this release, with nothing ") in readme
    assert ("to write: `helper` in `cs231n_cnn/layers/channel_major.py`. They are fast paths of the complete "
            "library") in readme
    assert "(no notebook)" not in readme
    assert "`make check` runs all 7 public checks" in readme and "{" not in readme
    compile(files["test_public_checks.py"], "test_public_checks.py", "exec")
    assert files[".gitignore"].decode().splitlines()[0] == ".venv/"


def test_checks_docstring_is_one_string_literal():
    (node,) = ast.parse(checks_docstring()).body
    assert isinstance(node.value, ast.Constant) and "public checks" in node.value.value


def test_generated_reference_is_lookups_of_the_reference_api():
    real = "import numpy as np\n\nSCALE = 2\n\n\ndef double(x, beta1):\n    return np.multiply(x, SCALE)\n"
    functions, constants = reference_api(real)
    assert (functions, constants) == (["double"], ["SCALE"])
    released = generated_reference(functions, {"SCALE": "2"})
    compile(released, "_reference.py", "exec")
    assert lookup_only_problems(released) == []
    assert reference_api(released) == (functions, constants)
    assert leaked_reference_text(released, real) == []
    assert {"np", "numpy", "multiply", "beta1", "x"} <= reference_identifiers(real)
    assert not {"double", "SCALE", "args", "kwargs"} & reference_identifiers(real)
    leaked = released + "\n# computes np.multiply(x, SCALE)\n"
    assert leaked_reference_text(leaked, real) == ["np.", "multiply", "np", "x"]
