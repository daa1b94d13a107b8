"""``make submit``'s zip: exactly the package (and notebooks when asked), within the grader's limits, atomically."""

import json
import zipfile

import pytest

from cs231n_cnn.grading.autograder.staging import MAX_SUBMISSION_BYTES
from cs231n_cnn.grading.submit import (
    DEFAULT_UPLOAD_NOTE,
    SubmissionSettings,
    SubmitError,
    submission_settings,
    write_submission,
)


@pytest.fixture
def checkout(tmp_path):
    """A working folder as a student has it: the package, notebooks, and everything that must stay out."""
    root = tmp_path / "student"
    files = {
        "cs231n_cnn/__init__.py": "", "cs231n_cnn/layers/conv.py": "def f():\n    return 1\n",
        "cs231n_cnn/grading/release/templates/Makefile": "all:\n",
        "cs231n_cnn/__pycache__/conv.cpython-311.pyc": "bytecode", "cs231n_cnn/layers/conv.pyc": "bytecode",
        "cs231n_cnn/.ipynb_checkpoints/conv-checkpoint.py": "old", "cs231n_cnn/best.npz": "weights",
        "notebooks/02_conv_layer.ipynb": "{}", "notebooks/.ipynb_checkpoints/02_conv_layer-checkpoint.ipynb": "{}",
        "notebooks/nbval_sanitize.cfg": "", ".venv/lib/site.py": "x", "data/cifar-10-batches-py/data_batch_1": "x",
        "checks/conv.py": "", "README.md": "", "cs231n_cnn.egg-info/PKG-INFO": "",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "cs231n_cnn" / "secrets.py").symlink_to("/etc/hostname")
    return root


def _names(path):
    with zipfile.ZipFile(path) as zf:
        return sorted(zf.namelist())


def test_the_zip_holds_the_package_and_nothing_else(checkout):
    written = write_submission(checkout)
    assert written.path == checkout / "submission.zip"
    assert _names(written.path) == ["cs231n_cnn/__init__.py", "cs231n_cnn/grading/release/templates/Makefile",
                                    "cs231n_cnn/layers/conv.py"]
    assert written.left_out == ["cs231n_cnn/best.npz"]
    assert written.files == 3 and written.unpacked_bytes == len("def f():\n    return 1\n") + len("all:\n")
    assert sorted(p.name for p in checkout.iterdir() if p.name.startswith(".submission")) == []   # no temporary file
    lines = written.report()
    assert lines[0].startswith(f"wrote {checkout / 'submission.zip'}: 0.0 MiB (3 files from cs231n_cnn/; ")
    assert lines[0].endswith(f"the grader's limit is {MAX_SUBMISSION_BYTES // 2**20} MiB)")
    assert lines[1] == "left out (data or checkpoints the grader does not read): cs231n_cnn/best.npz"
    assert lines[2] == "Upload submission.zip to the assignment on Gradescope."


def test_notebooks_and_the_note_come_from_the_release_manifest(checkout, tmp_path):
    (checkout / ".cs231n-release.json").write_text(json.dumps(
        {"tool": "cs231n-cnn release", "submission": {"notebooks": True, "upload_note": "Email {zip} to the TA."}}))
    assert submission_settings(checkout) == SubmissionSettings(True, "Email {zip} to the TA.")
    out = tmp_path / "elsewhere" / "mine.zip"
    written = write_submission(checkout, out)
    assert _names(out) == ["cs231n_cnn/__init__.py", "cs231n_cnn/grading/release/templates/Makefile",
                           "cs231n_cnn/layers/conv.py", "notebooks/02_conv_layer.ipynb"]
    assert written.folders == ["cs231n_cnn", "notebooks"] and written.report()[-1] == "Email mine.zip to the TA."


@pytest.mark.parametrize("manifest", ["not json", json.dumps({"submission": "yes"}), json.dumps([1]),
                                      json.dumps({"submission": {"notebooks": "yes", "upload_note": "  "}})],
                         ids=["damaged", "not-a-dict", "a-list", "wrong-types"])
def test_a_damaged_manifest_gives_the_defaults(checkout, manifest):
    (checkout / ".cs231n-release.json").write_text(manifest)
    assert submission_settings(checkout) == SubmissionSettings(False, DEFAULT_UPLOAD_NOTE)


def test_too_large_is_refused_before_anything_is_written(checkout):
    big = checkout / "cs231n_cnn" / "layers" / "weights.bin"
    with open(big, "wb") as f:
        f.truncate(MAX_SUBMISSION_BYTES + 1)          # sparse: no 100 MiB written to the disk
    with pytest.raises(SubmitError, match=r"would unpack to 100\.0 MiB, more than the grader's 100 MiB; the largest "
                                          r"files are cs231n_cnn/layers/weights\.bin \(100\.0 MiB\).*`make submit`"):
        write_submission(checkout)
    assert not (checkout / "submission.zip").exists()


def test_an_earlier_zip_is_replaced_whole(checkout):
    (checkout / "submission.zip").write_bytes(b"old and broken")
    write_submission(checkout)
    assert zipfile.is_zipfile(checkout / "submission.zip")


def test_no_package_is_one_clear_error(tmp_path):
    with pytest.raises(SubmitError, match=r"no cs231n_cnn/__init__\.py in .*: run this at the top of your checkout"):
        write_submission(tmp_path)
