"""The container mode's root (cs231n_cnn/grading/sandbox/rootfs.py): what goes in, and how."""

from __future__ import annotations

import os
import stat

import pytest

from cs231n_cnn.grading.sandbox import rootfs


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    return rootfs._Builder(str(root))


def test_symbolic_links_on_the_way_are_mirrored_and_followed(tmp_path, tree):
    real = tmp_path / "real" / "bin"
    real.mkdir(parents=True)
    (real / "python3.11").write_text("interpreter")
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python3").symlink_to(real / "python3.11")
    (venv / "python").symlink_to("python3")
    tree.put(str(venv / "python"))
    inside = tree.dest(str(venv / "python"))
    assert os.readlink(inside) == "python3" and os.readlink(tree.dest(str(venv / "python3"))) == \
        str(real / "python3.11")
    assert open(tree.dest(str(real / "python3.11"))).read() == "interpreter"


def test_skipped_directories_stay_out_at_any_depth(tmp_path, tree):
    lib = tmp_path / "lib"
    for d in ("os", "site-packages/cs231n_cnn", "pkg/tests", "test"):
        (lib / d).mkdir(parents=True)
        (lib / d / "x.py").write_text("x")
    tree.put(str(lib), skip=("site-packages", "test", "tests"))
    assert os.path.exists(tree.dest(str(lib / "os" / "x.py")))
    for d in ("site-packages", "pkg/tests", "test"):
        assert not os.path.exists(tree.dest(str(lib / d))), d


@pytest.mark.skipif(os.geteuid() != 0, reason="copies are chowned to root")
def test_a_file_any_user_may_write_is_copied_read_only_not_linked(tmp_path, tree):
    src = tmp_path / "shared.py"
    src.write_text("x = 1")
    src.chmod(0o666)
    tree.put(str(src))
    dst = tree.dest(str(src))
    assert os.stat(dst).st_ino != os.stat(src).st_ino
    assert stat.S_IMODE(os.stat(dst).st_mode) == 0o644
    plain = tmp_path / "plain.py"
    plain.write_text("y = 2")
    plain.chmod(0o644)
    tree.put(str(plain))
    assert os.stat(tree.dest(str(plain))).st_ino == os.stat(plain).st_ino     # linked: same file system


def test_an_unsafe_cache_directory_is_refused(tmp_path):
    unsafe = tmp_path / "cache"
    unsafe.mkdir()
    unsafe.chmod(0o777)
    with pytest.raises(rootfs.SandboxUnavailable, match="unsafe"):
        rootfs._check_owned_by_root(str(unsafe))
