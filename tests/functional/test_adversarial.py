"""Adversarial submissions: each fixture attacks the grader one way and the test shows the defence holds.

Every fixture is the reference solution (or the untouched release) with one
thing changed, graded against a small trusted checks directory (the fully
connected and loss checks: 7 checks, one hidden) with short time limits and
1 GiB of memory. The defences are in ``cs231n_cnn/grading/sandbox.py`` and
``worker.py``; the README's "Grading and its threat model" lists them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from grading_fixtures import (
    append,
    build_release,
    by_name,
    checks_subset,
    reference_submission,
    stub_submission,
    validate_report,
)

from cs231n_cnn.grading import load_checks
from cs231n_cnn.grading.autograder.batch import grade_batch
from cs231n_cnn.grading.autograder.grade import grade_to_file
from cs231n_cnn.grading.autograder.report import LOG_FOOTER, LOG_HEADER
from cs231n_cnn.grading.sandbox import ISOLATING, MODES, Limits, Sandbox, SandboxUnavailable
from cs231n_cnn.grading.sandbox.isolation import UID_BASE

pytestmark = pytest.mark.slow

FAST_MODULES = ("fc", "losses")


@pytest.fixture(scope="module")
def trusted(tmp_path_factory):
    """The grader's checks for these tests: fc and losses, public and hidden."""
    return checks_subset(tmp_path_factory.mktemp("trusted"), FAST_MODULES)


@pytest.fixture(scope="module")
def full_marks(trusted):
    return sum(c.points for c in load_checks(trusted).values())


def points(checks, *names) -> float:
    """The points of the named checks in the trusted checks directory ``checks``."""
    found = load_checks(checks)
    return sum(found[n].points for n in names)


RELU = ("relu_forward", "relu_backward")


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build_release(tmp_path_factory.mktemp("release"))


def _worker_python(mode: str):
    """An interpreter that can run the student's process in ``mode`` here, or None (and why)."""
    reasons = []
    for python in dict.fromkeys((sys.executable, "/usr/bin/python3")):
        try:
            Sandbox(mode, python=python).cleanup()
        except SandboxUnavailable as exc:
            reasons.append(f"{python}: {exc}")
            continue
        return python, ""
    return None, "; ".join(reasons)


# The modes under test: all of them, or those CS231N_SANDBOX_MODES names (comma-separated). Inside
# a container, where bubblewrap and the user mode cannot start, .ci/run names "container,none": every
# attack then runs in the container mode and nothing is skipped.
_NAMED = [m.strip() for m in os.environ.get("CS231N_SANDBOX_MODES", "").split(",") if m.strip()]
if any(m not in MODES for m in _NAMED):
    raise ValueError(f"CS231N_SANDBOX_MODES names a mode that does not exist: {_NAMED}; modes: {list(MODES)}")
AVAILABLE = _NAMED or list(MODES)
ISOLATING_HERE = [m for m in AVAILABLE if m in ISOLATING]
DEFAULT_MODE = ISOLATING_HERE[0]          # for tests of one defence: bubblewrap where it is tested
_PROBED = {mode: _worker_python(mode) for mode in AVAILABLE}
SANDBOXES = {mode: python for mode, (python, _) in _PROBED.items() if python}
# Every mode is a test parameter: one the machine cannot offer skips, and fails
# where CS231N_REQUIRE_SANDBOX=1 (CI: .ci/run installs bubblewrap and runs as root).
REQUIRE_SANDBOX = os.environ.get("CS231N_REQUIRE_SANDBOX", "") not in ("", "0")


def require(mode: str) -> str:
    """``mode`` if this machine can run it; else skip, or fail where every mode is required."""
    if mode not in SANDBOXES:
        message = f"the {mode} sandbox cannot run here: {_PROBED[mode][1]}"
        if REQUIRE_SANDBOX and mode in ISOLATING:
            pytest.fail(message + " (CS231N_REQUIRE_SANDBOX=1: an isolation test may not skip)")
        pytest.skip(message)
    return mode


def grade(root, checks, tmp_path, sandbox=DEFAULT_MODE, **limits):
    """Grade in ``sandbox`` (the first isolating mode under test unless said otherwise: bubblewrap)."""
    require(sandbox)
    limits = {"check_timeout": 20.0, "memory_mb": 1024, "startup_timeout": 20.0, "total_timeout": 120.0, **limits}
    out = tmp_path / "results" / "results.json"
    results = grade_to_file(root, out, checks_dir=checks, sandbox=sandbox, limits=Limits(**limits),
                            python=SANDBOXES[sandbox])
    assert json.loads(out.read_text(encoding="utf-8")) == results
    validate_report(results)
    assert f"sandbox: {sandbox} ({MODES[sandbox]})" in results["output"]
    assert results["extra_data"]["sandbox"] == sandbox
    return results


# --------------------------------------------------------------------------- crashes at import

IMPORT_CRASHES = {
    "sys-exit": ("import sys\nsys.exit(3)", "SystemExit: 3"),
    "os-exit": ("import os\nos._exit(7)", "exited with code 7"),
    "raise": ("raise RuntimeError('the package refuses to load')", "RuntimeError: the package refuses to load"),
}


@pytest.mark.parametrize("mode", AVAILABLE)
@pytest.mark.parametrize("how", list(IMPORT_CRASHES))
def test_crash_at_import_scores_zero_with_the_reason(how, mode, tmp_path, trusted):
    code, reason = IMPORT_CRASHES[how]
    root = append(reference_submission(tmp_path, f"submission-import-{how}-zero"), "__init__.py", code)
    results = grade(root, trusted, tmp_path, sandbox=mode)
    assert results["score"] == 0
    assert "NOT GRADED" in results["output"] and reason in results["output"]
    for t in results["tests"]:
        assert t["status"] == "failed" and "not graded" in t["output"]


def test_hang_at_import_times_out(tmp_path, trusted):
    root = append(reference_submission(tmp_path, "submission-import-hang-zero"), "layers/fc.py", "while True: pass")
    results = grade(root, trusted, tmp_path, startup_timeout=3.0)
    assert results["score"] == 0 and "timed out after 3 s" in results["output"]


# --------------------------------------------------------------------------- hangs, memory, processes

@pytest.mark.parametrize("mode", AVAILABLE)
def test_infinite_loop_times_out_and_the_rest_is_graded(mode, tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-hang-partial"), "layers/fc.py", """
        def relu_forward(x):
            while True:
                pass
    """)
    results = grade(root, trusted, tmp_path, sandbox=mode, check_timeout=2.0)
    tests = by_name(results)
    # relu_forward and relu_backward (which calls it) lose their 4 points, nothing else.
    assert results["score"] == full_marks - points(trusted, *RELU)
    assert "timed out after 2 s (the check's time limit of 2 s)" in tests["relu_forward"]["output"]
    assert "was not run: the check's time limit of 2 s was used up" in tests["relu_forward"]["output"]
    assert "timed out" in tests["relu_backward"]["output"]
    assert tests["softmax_loss"]["status"] == "passed"
    assert "restarted" in results["output"]


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_spinning_past_the_cpu_time_limit_is_stopped_by_it(mode, tmp_path, trusted, full_marks):
    """RLIMIT_CPU, not the wall clock: the check's time limit (20 s) is far away when it strikes."""
    root = append(reference_submission(tmp_path, "submission-spin-partial"), "layers/fc.py", """
        def relu_forward(x):
            while True:
                pass
    """)
    results = grade(root, trusted, tmp_path, sandbox=mode, cpu_seconds=2)
    relu = by_name(results)["relu_forward"]["output"]
    assert "used up its CPU-time limit of 2 s" in relu, relu
    assert results["score"] == full_marks - points(trusted, *RELU)


def test_huge_allocation_hits_the_memory_limit(tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-huge-allocation-partial"), "layers/fc.py", """
        def relu_forward(x):
            hog = np.ones((1 << 40,), dtype=np.uint8)      # 1 TiB at once
            return hog, x

        def affine_forward(x, w, b):
            hog = []
            while True:                                    # and a slow leak, 64 MiB at a time
                hog.append(np.ones(1 << 26, dtype=np.uint8))
    """)
    results = grade(root, trusted, tmp_path, memory_mb=768)
    tests = by_name(results)
    # relu_forward, relu_backward, affine_forward, affine_backward lose everything; the losses stay.
    assert results["score"] == full_marks - points(trusted, *RELU, "affine_forward", "affine_backward")
    assert "ran out of memory (768 MiB limit)" in tests["relu_forward"]["output"]
    assert "ran out of memory (768 MiB limit)" in tests["affine_forward"]["output"]
    assert tests["svm_loss"]["status"] == "passed"


FORK = """
    def relu_forward(x):
        import subprocess, os
        children = []
        for _ in range(5):                # bounded: 2**5 processes at most if fork were allowed
            pid = os.fork()
            if pid == 0:
                children.clear()
            else:
                children.append(pid)
        subprocess.Popen(["sleep", "60"])
        return np.maximum(x, 0), x
"""


@pytest.mark.parametrize("mode", AVAILABLE)
def test_fork_bomb_is_stopped_at_the_first_fork(mode, tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-fork-bomb-partial"), "layers/fc.py", FORK)
    results = grade(root, trusted, tmp_path, sandbox=mode)
    tests = by_name(results)
    assert "raised PermissionError: [Errno 1] Operation not permitted" in tests["relu_forward"]["output"]
    assert results["score"] == full_marks - points(trusted, *RELU)


def test_killing_the_grader_fails_only_that_part(tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-kill-parent-partial"), "layers/fc.py", """
        def relu_forward(x):
            import os, signal
            os.kill(os.getppid(), signal.SIGKILL)
            return np.maximum(x, 0), x
    """)
    for mode in SANDBOXES:
        results = grade(root, trusted, tmp_path, sandbox=mode)
        assert "relu_forward raised PermissionError" in by_name(results)["relu_forward"]["output"]
        assert results["score"] == full_marks - points(trusted, *RELU)
    # Still here: the grader (this process) survived.


def test_killing_its_own_process_group_is_a_crash(tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-kill-self-partial"), "layers/fc.py", """
        def relu_forward(x):
            import os, signal
            os.killpg(0, signal.SIGKILL)
    """)
    results = grade(root, trusted, tmp_path)
    assert "was killed (SIGKILL)" in by_name(results)["relu_forward"]["output"]
    assert results["score"] == full_marks - points(trusted, *RELU)


def test_the_seccomp_filter_blocks_processes_signals_and_network():
    """The filter alone, in a plain child process: what stays allowed and what does not."""
    from cs231n_cnn.grading.runtime import worker

    code = textwrap.dedent(f"""
        import os, socket, subprocess, sys, threading
        sys.path.insert(0, {os.path.dirname(worker.__file__)!r})
        import worker
        assert worker.install_seccomp() == "on"
        def blocked(fn):
            try:
                fn()
            except PermissionError:
                return True
            return False
        t = threading.Thread(target=lambda: None); t.start(); t.join()   # threads still work
        os.kill(os.getpid(), 0)                                           # signals to itself too
        print(blocked(os.fork), blocked(lambda: subprocess.run(["true"])), blocked(lambda: os.kill(-1, 0)),
              blocked(lambda: os.kill(os.getppid(), 0)), blocked(socket.socket),
              blocked(lambda: socket.socket(socket.AF_UNIX)), blocked(lambda: os.execv("/bin/true", ["true"])))
    """)
    if sys.platform != "linux" or os.uname().machine not in ("x86_64", "aarch64"):
        pytest.skip("the seccomp filter is built for Linux on x86_64 and aarch64")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True"] * 7


ABI_ESCAPES = {
    # io_uring does file and network I/O without the system calls the filter looks at.
    "io_uring_setup": "libc.syscall(425, 8, ctypes.create_string_buffer(120))",
    "io_uring_enter": "libc.syscall(426, 0, 1, 0, 0, None, 0)",
    "io_uring_register": "libc.syscall(427, 0, 0, None, 0)",
    # x32: the same calls under numbers + 0x40000000 (socket is 41).
    "x32-socket": "libc.syscall(0x40000000 + 41, 2, 1, 0)",
}


@pytest.mark.parametrize("call", list(ABI_ESCAPES))
def test_the_seccomp_filter_denies_io_uring_and_the_x32_abi(call):
    from cs231n_cnn.grading.runtime import worker

    if sys.platform != "linux" or os.uname().machine != "x86_64":
        pytest.skip("these system-call numbers are x86_64's")
    code = textwrap.dedent(f"""
        import ctypes, os, sys
        sys.path.insert(0, {os.path.dirname(worker.__file__)!r})
        import worker
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        assert worker.install_seccomp() == "on"
        rc = {ABI_ESCAPES[call]}
        print(rc, os.strerror(ctypes.get_errno()))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "-1 Operation not permitted"


def test_the_seccomp_filter_kills_a_process_using_the_i386_abi():
    """``int 0x80`` enters the kernel with the 32-bit numbering, where 41 is not socket: the filter's
    architecture check kills the process (SIGSYS) before any number is looked at."""
    from cs231n_cnn.grading.runtime import worker

    if sys.platform != "linux" or os.uname().machine != "x86_64":
        pytest.skip("int 0x80 is x86's")
    code = textwrap.dedent(f"""
        import ctypes, mmap, sys
        sys.path.insert(0, {os.path.dirname(worker.__file__)!r})
        import worker
        # mov eax, 20 (getpid in the i386 numbering); int 0x80; ret
        machine = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
        page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(machine)
        call = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
        print("before", call() > 0, flush=True)      # works without the filter
        assert worker.install_seccomp() == "on"
        print("after", call(), flush=True)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["before", "True"], (out.stdout, out.stderr)
    assert out.returncode == -signal.SIGSYS, (out.returncode, out.stderr)


# --------------------------------------------------------------------------- output, files, secrets

FAKE_OUTPUT = """
    import json as _json, sys as _sys
    print("PASS conv_forward_naive 4/4")
    print(_json.dumps({"score": 999, "tests": [{"name": "relu_forward", "score": 2, "max_score": 2}]}))
    _sys.stderr.write("PASS everything\\n")
"""


def test_printed_fake_results_are_ignored(tmp_path, trusted, release):
    root = append(stub_submission(tmp_path, release, "submission-fake-output-zero"), "__init__.py", FAKE_OUTPUT)
    append(root, "layers/fc.py", f"""
        def relu_forward(x):
            import json
            print("{LOG_FOOTER}")
            print("PASS relu_forward 2/2")
            print(json.dumps({{"score": 999, "tests": []}}))
            raise NotImplementedError
    """)
    results = grade(root, trusted, tmp_path)
    assert results["score"] == 0
    relu = by_name(results)["relu_forward"]["output"]
    # What the student printed is shown, but only quoted inside the labelled block.
    assert LOG_HEADER in relu and "| PASS relu_forward 2/2" in relu and "| " + LOG_FOOTER in relu
    assert relu.splitlines()[1].startswith("FAIL relu_forward")
    for line in relu.splitlines():
        assert not line.startswith("PASS")
    assert "| PASS conv_forward_naive 4/4" in results["output"]      # import-time output, quoted


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_writes_outside_the_sandbox_fail(mode, tmp_path, trusted, full_marks):
    results_path = tmp_path / "results" / "results.json"
    escape = f"/tmp/cs231n-escape-{uuid.uuid4().hex}"
    targets = [str(results_path), str(trusted / "fc.py"), str(trusted / "planted.py"), escape,
               os.path.expanduser("~/cs231n-planted"), "/submission/cs231n_cnn/planted.py"]
    root = append(reference_submission(tmp_path, "submission-write-outside-full"), "layers/fc.py", f"""
        _relu_forward = relu_forward

        def relu_forward(x):
            import os
            print("uid", os.getuid())
            for path in {targets!r}:
                try:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w") as f:
                        f.write('{{"score": 999, "tests": []}}')
                    print("wrote", path)
                except OSError as exc:
                    print("could not write", path, type(exc).__name__)
            return _relu_forward(x)
    """)
    results = grade(root, trusted, tmp_path, sandbox=mode)   # also checks that results.json is the grader's
    relu = by_name(results)["relu_forward"]["output"]
    # Inside bubblewrap it is nobody; in user mode a user id of its own, held by no account.
    uid = 65534 if mode == "bwrap" else int(re.search(r"\| uid (\d+)", relu).group(1))
    assert results["score"] == full_marks and f"| uid {uid}" in relu
    assert mode == "bwrap" or uid >= UID_BASE
    assert (trusted / "fc.py").read_text(encoding="utf-8").startswith('"""Checks for the fully connected')
    assert not (trusted / "planted.py").exists() and not os.path.exists(os.path.expanduser("~/cs231n-planted"))
    # Both modes give the submission a private /tmp: what it wrote there is gone.
    assert f"| wrote {escape}" in relu and not os.path.exists(escape)


SNOOP = """
    def relu_forward(x):
        import importlib, os
        found = []
        for path in {paths!r}:
            try:
                with open(path) as f:
                    found.append(path + ": " + f.read())
            except OSError as exc:
                found.append(path + ": " + type(exc).__name__)
        for name in ("_cs231n_checks", "_cs231n_checks.losses", "checks", "checks.losses"):
            try:
                module = importlib.import_module(name)
                found.append(name + ": " + open(module.__file__).read())
            except Exception as exc:
                found.append(name + ": " + type(exc).__name__)
        print("\\n".join(found))
        raise ValueError(" ; ".join(found))
"""


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_hidden_checks_and_reference_solutions_cannot_be_read(mode, tmp_path, trusted, release, repo_root):
    """The checkout as cloned (its files readable by every user: no one ran chmod) and its venv."""
    paths = [str(trusted / "losses.py"), str(repo_root / "checks" / "losses.py"), str(repo_root / "checks"),
             str(repo_root / "cs231n_cnn" / "layers" / "fc.py"), str(repo_root / "cs231n_cnn" / "grading" /
                                                                   "framework.py"), str(repo_root / "README.md")]
    world_readable = [p for p in paths[1:] if os.stat(p).st_mode & 0o004]
    assert world_readable, "the checkout is expected as cloned, readable by every user"
    root = stub_submission(tmp_path, release, "submission-read-hidden-zero")
    append(root, "layers/fc.py", SNOOP.format(paths=paths))
    results = grade(root, trusted, tmp_path, sandbox=mode)
    text = json.dumps(results)
    assert results["score"] == 0
    assert "FileNotFoundError" in text and "ModuleNotFoundError" in text
    # Neither the hidden check's source nor a reference solution reached the report.
    for secret in ("def losses_large_scores", "HIDDEN TESTS", "BEGIN SOLUTION", "np.maximum(x, 0)",
                   "def run_check_def"):
        assert secret not in text, secret


MONKEYPATCH = """
    import builtins, numpy, numpy.testing
    numpy.allclose = lambda *a, **k: True
    numpy.array_equal = lambda *a, **k: True
    numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)
    numpy.testing.assert_allclose = lambda *a, **k: None
    numpy.abs = numpy.absolute = lambda x: numpy.zeros_like(x)
    numpy.maximum = lambda a, b, *r, **k: a
    builtins.abs = lambda x: 0
    builtins.float = lambda x=0.0: 0.0
"""


def test_monkeypatching_numpy_and_builtins_has_no_effect(tmp_path, trusted, release):
    root = append(stub_submission(tmp_path, release, "submission-monkeypatch-zero"), "__init__.py", MONKEYPATCH)
    append(root, "layers/fc.py", """
        def relu_forward(x):
            return x + 1, x
        def affine_forward(x, w, b):
            return np.zeros((x.shape[0], w.shape[1])), (x, w, b)
    """)
    results = grade(root, trusted, tmp_path)
    assert results["score"] == 0 and "NOT GRADED" not in results["output"]
    assert "max relative error" in by_name(results)["relu_forward"]["output"]


LIARS = """
    class LyingArray(np.ndarray):
        def __eq__(self, other): return np.ones(np.shape(other), bool)
        def __sub__(self, other): return np.zeros(np.shape(other))
        def __array_finalize__(self, obj): pass

    class LyingFloat(float):
        def __eq__(self, other): return True
        def __sub__(self, other): return 0.0
        def __abs__(self): return 0.0

    class PretendArray:
        shape, dtype, ndim = (6, 5), np.dtype("float64"), 2
        def __array__(self, dtype=None, copy=None): return np.zeros(self.shape)
        def __eq__(self, other): return True

    class LyingTuple(tuple):
        pass

    def relu_forward(x):
        return np.zeros_like(x).view(LyingArray), x

    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1) @ w + b
        return LyingTuple((out, (x, w, b)))
"""


def test_crafted_return_values_score_zero(tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-lying-objects-partial"), "layers/fc.py", LIARS)
    append(root, "layers/losses.py", """
        _softmax_loss, _svm_loss = softmax_loss, svm_loss

        def softmax_loss(x, y):
            loss, dx = _softmax_loss(x, y)
            return LyingFloat(loss + 1.0), dx

        def svm_loss(x, y):
            loss, dx = _svm_loss(x, y)
            return loss, PretendArray()
    """)
    # The lying classes live in fc.py; losses.py reaches them through the package.
    append(root, "layers/losses.py", "from .fc import LyingFloat, PretendArray  # noqa: E402")
    results = grade(root, trusted, tmp_path)
    tests = by_name(results)
    assert tests["relu_forward"]["score"] == 0
    assert "out should be a numpy array, got Handle" in tests["relu_forward"]["output"]
    assert tests["affine_forward"]["score"] == 0 and "must return (out, cache), got Handle" in \
        tests["affine_forward"]["output"]
    softmax = tests["softmax_loss"]["output"]
    assert "loss should be a number, got Handle" in softmax and tests["softmax_loss"]["score"] == 1   # dx only
    assert "dx should be a numpy array, got Handle" in tests["svm_loss"]["output"]
    assert tests["svm_loss"]["score"] == 2
    assert tests["relu_backward"]["status"] == "passed"


def test_hidden_inputs_never_reach_a_visible_output(tmp_path, trusted):
    """Code that remembers every input and prints it later: hidden checks run last, so it cannot leak them.

    The checks directory here loads the losses (with their hidden check) before the fully connected
    checks, whose relu_forward prints everything softmax_loss has seen.
    """
    checks = tmp_path / "checks-losses-first"
    checks.mkdir()
    for path in trusted.glob("*.py"):
        (checks / ("zz_fc.py" if path.name == "fc.py" else path.name)).write_bytes(path.read_bytes())
    root = append(reference_submission(tmp_path, "submission-remember-inputs-full"), "layers/losses.py", """
        _softmax_loss, SEEN = softmax_loss, []

        def softmax_loss(x, y):
            SEEN.append(float(np.abs(x).max()))
            return _softmax_loss(x, y)
    """)
    append(root, "layers/fc.py", """
        _relu_forward = relu_forward

        def relu_forward(x):
            from .losses import SEEN
            print("softmax_loss has seen inputs up to:", " ".join(f"{v:.0f}" for v in SEEN))
            return _relu_forward(x)
    """)
    results = grade(root, checks, tmp_path)
    assert [t["name"] for t in results["tests"]][2:4] == ["losses_large_scores", "affine_forward"]
    relu = by_name(results)["relu_forward"]
    assert relu["visibility"] == "visible" and results["score"] == sum(t["max_score"] for t in results["tests"])
    printed = [float(v) for line in relu["output"].splitlines() if "has seen inputs up to:" in line
               for v in line.split(":")[1].split()]
    # The public stability part uses scores ~1e3; the hidden check's (~1e4) never showed.
    assert printed and max(printed) < 5000


def test_enormous_results_hit_the_response_limit(tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-enormous-result-partial"), "layers/fc.py", """
        _affine_forward = affine_forward

        def affine_forward(x, w, b):
            out, cache = _affine_forward(x, w, b)
            return out, (cache, np.ones(1 << 23))          # 64 MiB of cache
    """)
    results = grade(root, trusted, tmp_path, max_response_mb=16)
    tests = by_name(results)
    assert "returned 64 MiB of data; the limit is 16 MiB" in tests["affine_forward"]["output"]
    assert results["score"] == full_marks - points(trusted, "affine_forward", "affine_backward")


FORGED_FRAME = """
    def relu_forward(x):
        import os, sys, struct
        fd = int(sys.argv[sys.argv.index("--out-fd") + 1])
        os.write(fd, struct.pack(">Q", 1 << 62))          # claims a 4 EiB response
        return np.maximum(x, 0), x
"""


def test_forged_protocol_frames_are_rejected(tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-forged-frame-partial"), "layers/fc.py", FORGED_FRAME)
    results = grade(root, trusted, tmp_path)
    tests = by_name(results)
    assert "sent an unreadable response" in tests["relu_forward"]["output"]
    assert "the limit is 512 MiB" in tests["relu_forward"]["output"]
    assert results["score"] == full_marks - points(trusted, *RELU)


def test_network_is_unreachable(tmp_path, trusted, full_marks):
    root = append(reference_submission(tmp_path, "submission-network-full"), "layers/fc.py", """
        _relu_forward = relu_forward

        def relu_forward(x):
            import socket
            for family, address in ((socket.AF_INET, ("1.1.1.1", 53)), (socket.AF_INET6, ("2606:4700::1111", 53))):
                try:
                    with socket.socket(family, socket.SOCK_STREAM) as s:
                        s.settimeout(2)
                        s.connect(address)
                    print("connected", address)
                except OSError as exc:
                    print("no network:", type(exc).__name__)
            return _relu_forward(x)
    """)
    results = grade(root, trusted, tmp_path)
    relu = by_name(results)["relu_forward"]["output"]
    assert results["score"] == full_marks
    assert "| no network: PermissionError" in relu and "connected" not in relu


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_a_listener_on_loopback_receives_nothing(mode, tmp_path, trusted, full_marks):
    """The grader's side listens on 127.0.0.1 and on an abstract Unix socket (shared with the host under
    a container's host networking); the student's code tries every socket family: socket() is refused."""
    import socket
    import time

    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    abstract = f"cs231n-listener-{uuid.uuid4().hex}"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind("\0" + abstract)
    unix.listen(8)
    listeners = (tcp, udp, unix)
    body = f"""
            import socket
            tries = [(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", {tcp.getsockname()[1]})),
                     (socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", {udp.getsockname()[1]})),
                     (socket.AF_INET6, socket.SOCK_STREAM, ("::1", {tcp.getsockname()[1]})),
                     (socket.AF_UNIX, socket.SOCK_STREAM, "\\0{abstract}"),
                     (socket.AF_UNIX, socket.SOCK_DGRAM, "/tmp/.X11-unix/X0"),
                     (socket.AF_NETLINK, socket.SOCK_RAW, (0, 0)),
                     (socket.AF_PACKET, socket.SOCK_RAW, None)]
            for family, kind, address in tries:
                try:
                    s = socket.socket(family, kind)
                except OSError as exc:
                    print("held:", family.name, type(exc).__name__)
                    continue
                try:
                    s.connect(address)
                    s.send(b"BREACH")
                    print("BREACH connected", family.name, address)
                except OSError as exc:
                    print("BREACH socket() allowed for", family.name, "connect:", type(exc).__name__)
                finally:
                    s.close()
    """
    try:
        for sock in listeners:
            sock.setblocking(False)
        results = grade(_probe(reference_submission(tmp_path, "submission-loopback-full"), body), trusted,
                        tmp_path, sandbox=mode)
        time.sleep(0.2)
        received = []
        for sock in listeners:
            try:
                if sock.type == socket.SOCK_DGRAM:
                    received.append(sock.recv(100))
                else:
                    received.append(sock.accept())
            except BlockingIOError:
                pass
    finally:
        for sock in listeners:
            sock.close()
    relu = by_name(results)["relu_forward"]["output"]
    assert received == []
    assert "BREACH" not in relu and relu.count("held:") >= 7 and "| held: AF_UNIX PermissionError" in relu, relu
    assert results["score"] == full_marks


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_a_protected_path_inside_a_shown_directory_is_hidden(mode):
    """bubblewrap and the user mode show /usr; a protected path inside it is covered there, and is not in
    the container mode's root at all; the trial run reads its files to check."""
    require(mode)
    doc = "/usr/share/doc/python3" if os.path.isdir("/usr/share/doc/python3") else "/usr/share/doc/libc6"
    assert os.listdir(doc), doc                       # Debian's python3 or libc6: on every machine we test
    box = Sandbox(mode, protected=[doc], python=SANDBOXES[mode])
    try:
        assert box.mode == mode
        if mode == "bwrap":
            assert f"--tmpfs {doc}" in " ".join(box.impl.argv())
        if mode == "container":
            assert not os.path.exists(box.impl.tree.path + doc)
    finally:
        box.cleanup()


@pytest.mark.parametrize("mode", [m for m in ISOLATING_HERE if m == "container"])
def test_the_trial_run_refuses_a_root_that_holds_a_protected_file(mode):
    """The container mode's root holds NumPy: protecting NumPy's directory makes the trial run read its
    files there and refuse the mode. That is what proves the grader's files are not in it."""
    require(mode)
    python = SANDBOXES[mode]
    done = subprocess.run([python, "-I", "-c", "import numpy; print(numpy.__file__)"], capture_output=True,
                          text=True, timeout=120)
    numpy_dir = os.path.dirname(done.stdout.strip())
    with pytest.raises(SandboxUnavailable, match=f"could read the grader's {numpy_dir}"):
        Sandbox(mode, protected=[numpy_dir], python=python).cleanup()


# --------------------------------------------------------------------------- attacks of issue 11
# Each ran against the grader before and succeeded; each runs in every isolating mode.
# A probe is code run inside the student's relu_forward; it prints BREACH when the attack
# worked, and relu_forward then returns the right answer, so the score shows nothing.

PROBE = """
    _relu_forward = relu_forward

    def relu_forward(x):
        import ctypes, os, signal
        libc = ctypes.CDLL(None, use_errno=True)
        grader = {grader}
        try:
{body}
        except Exception as exc:
            print("held:", type(exc).__name__, exc)
        return _relu_forward(x)
"""

ATTACKS = {
    "read-etc-shadow": """
            with open("/etc/shadow") as f:
                print("BREACH", f.read(20))
    """,
    "rt_sigqueueinfo-to-the-grader": """
            info = ctypes.create_string_buffer(128)
            nr = {"x86_64": 129, "aarch64": 138}[os.uname().machine]
            for pid in {os.getppid(), grader}:
                if libc.syscall(nr, pid, 0, info) == 0:
                    print("BREACH signalled", pid)
                else:
                    print("held:", os.strerror(ctypes.get_errno()))
    """,
    "rt_tgsigqueueinfo-to-the-grader": """
            info = ctypes.create_string_buffer(128)
            nr = {"x86_64": 297, "aarch64": 240}[os.uname().machine]
            for pid in {os.getppid(), grader}:
                if libc.syscall(nr, pid, pid, 0, info) == 0:
                    print("BREACH signalled", pid)
                else:
                    print("held:", os.strerror(ctypes.get_errno()))
    """,
    "write-the-graders-memory": """
            for pid in {grader}:        # in bubblewrap, pid 1 is the sandbox's own init
                try:
                    with open(f"/proc/{pid}/mem", "r+b"):
                        print("BREACH opened the memory of", pid)
                except OSError as exc:
                    print("held:", type(exc).__name__)
    """,
    "prlimit-the-grader": """
            class RLimit(ctypes.Structure):
                _fields_ = [("cur", ctypes.c_ulong), ("max", ctypes.c_ulong)]
            new = RLimit(1, 1)
            for pid in {os.getppid(), grader}:
                if libc.prlimit(pid, 7, ctypes.byref(new), None) == 0:       # RLIMIT_NOFILE
                    print("BREACH prlimit on", pid)
                else:
                    print("held:", os.strerror(ctypes.get_errno()))
    """,
    "renice-the-grader": """
            for pid in {os.getppid(), grader}:
                if libc.setpriority(0, pid, 19) == 0:
                    print("BREACH setpriority on", pid)
                else:
                    print("held:", os.strerror(ctypes.get_errno()))
    """,
    "ptrace-the-grader": """
            libc.ptrace.restype = ctypes.c_long
            for pid in {os.getppid(), grader}:
                if libc.ptrace(16, pid, None, None) == 0:                  # PTRACE_ATTACH
                    print("BREACH ptrace attached to", pid)
                else:
                    print("held:", os.strerror(ctypes.get_errno()))
    """,
    "ten-thousand-open-files": """
            fds = []
            try:
                with open("/tmp/open-files", "w"):
                    pass
                for _ in range(10000):
                    fds.append(os.open("/tmp/open-files", os.O_RDONLY))
            except OSError as exc:
                print("held:", type(exc).__name__, exc.errno)
            finally:
                for fd in fds:
                    os.close(fd)
            if len(fds) >= 5000:
                print("BREACH open files:", len(fds))
    """,
    "memfd-beyond-the-memory-limit": """
            fd = os.memfd_create("hog")
            os.ftruncate(fd, 720 << 20)
            print("BREACH memfd_create")
    """,
    "a-thousand-threads": """
            import threading, time
            stop, started = threading.Event(), 0
            try:
                for _ in range(1000):
                    threading.Thread(target=stop.wait, daemon=True).start()
                    started += 1
            except RuntimeError as exc:
                print("held:", exc)
            finally:
                stop.set()
            if started >= 500:
                print("BREACH threads:", started)
    """,
}


def _probe(root, body: str) -> Path:
    body = textwrap.indent(textwrap.dedent(body).strip(), " " * 12)
    return append(root, "layers/fc.py", PROBE.format(grader=os.getpid(), body="{body}").replace("{body}", body))


@pytest.mark.parametrize("mode", ISOLATING_HERE)
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_attack_is_confined(attack, mode, tmp_path, trusted, full_marks):
    root = _probe(reference_submission(tmp_path, f"submission-{attack}-full"), ATTACKS[attack])
    results = grade(root, trusted, tmp_path, sandbox=mode)
    relu = by_name(results)["relu_forward"]["output"]
    assert "held:" in relu, relu
    assert "BREACH" not in json.dumps(results), relu
    assert results["score"] == full_marks


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_writes_into_the_graders_checkout_and_checks_fail(mode, tmp_path, trusted, repo_root, full_marks):
    tag = uuid.uuid4().hex
    targets = [repo_root / f"planted-{tag}.txt", repo_root / "checks" / f"planted_{tag}.py",
               trusted / f"planted_{tag}.py"]
    body = f"""
            for path in {[str(t) for t in targets]!r}:
                try:
                    with open(path, "w") as f:
                        f.write("x")
                    print("BREACH wrote", path)
                except OSError as exc:
                    print("held:", type(exc).__name__)
    """
    results = grade(_probe(reference_submission(tmp_path, "submission-write-checkout-full"), body), trusted,
                    tmp_path, sandbox=mode)
    # What counts is the grader's side: a checkout under /tmp (CI's) is writable inside, in the
    # sandbox's private /tmp, and gone with it.
    assert not any(t.exists() for t in targets)
    relu = by_name(results)["relu_forward"]["output"]
    if not str(repo_root).startswith("/tmp/"):
        assert "BREACH" not in relu and relu.count("held:") >= len(targets), relu
    assert results["score"] == full_marks


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_nothing_outlives_the_grading_in_tmp_shm_or_sysv(mode, tmp_path, trusted, full_marks):
    """The first submission writes into every world-writable directory and every kind of IPC it can
    reach; the grader's side finds nothing after it, and so does a second submission graded after it."""
    tag = uuid.uuid4().hex[:12]
    key = int(tag[:7], 16)
    body = f"""
            import mmap, stat
            for d in ("/tmp", "/var/tmp", "/dev/shm"):
                try:
                    with open(f"{{d}}/left-{tag}", "w") as f:
                        f.write("still here")
                    print("held: wrote", d, "mode", oct(stat.S_IMODE(os.stat(f"{{d}}/left-{tag}").st_mode)))
                except OSError as exc:
                    print("held:", d, type(exc).__name__)
            print("held: shmget", libc.shmget({key}, 4096, 0o1666))        # IPC_CREAT | 0666
            print("held: msgget", libc.msgget({key} + 1, 0o1666))
            print("held: semget", libc.semget({key} + 2, 1, 0o1666))
            libc.mq_open.restype = ctypes.c_int
            mq = libc.mq_open(b"/left-{tag}", os.O_CREAT | os.O_RDWR, 0o666, None)
            print("held: mq_open", mq, os.strerror(ctypes.get_errno()))
    """
    first = grade(_probe(reference_submission(tmp_path, "submission-leave-files-full"), body), trusted,
                  tmp_path / "first", sandbox=mode)
    assert first["score"] == full_marks
    relu = by_name(first)["relu_forward"]["output"]
    # What it could write was its own alone (umask 077); POSIX message queues, which live in no
    # directory, are refused by the seccomp filter.
    assert "| held: wrote /tmp mode 0o600" in relu and "| held: mq_open -1 Operation not permitted" in relu, relu
    for d in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not os.path.exists(f"{d}/left-{tag}"), d
    for kind, offset in (("shm", 0), ("msg", 1), ("sem", 2)):
        with open(f"/proc/sysvipc/{kind}", encoding="ascii") as f:
            keys = [int(line.split()[0]) for line in list(f)[1:]]
        assert key + offset not in keys, kind
    look = f"""
            found = [d for d in ("/tmp", "/var/tmp", "/dev/shm") if os.path.exists(f"{{d}}/left-{tag}")]
            found += [kind for kind, ok in (("shm", libc.shmget({key}, 0, 0) >= 0),
                                            ("msg", libc.msgget({key} + 1, 0) >= 0),
                                            ("sem", libc.semget({key} + 2, 0, 0) >= 0)) if ok]
            print("BREACH found" if found else "held: found nothing", found)
    """
    second = grade(_probe(reference_submission(tmp_path, "submission-find-files-full"), look), trusted,
                   tmp_path / "second", sandbox=mode)
    relu = by_name(second)["relu_forward"]["output"]
    assert "held: found nothing" in relu and "BREACH" not in relu, relu
    assert second["score"] == full_marks


def test_auto_chooses_the_container_mode_where_namespaces_are_refused_and_says_so(monkeypatch):
    """A container: no bubblewrap, no namespaces, a root grader. Whatever a marker file would say."""
    from cs231n_cnn.grading.sandbox import isolation, modes

    require("container")
    monkeypatch.setattr(modes.BwrapMode, "check", lambda self, auto: (_ for _ in ()).throw(
        SandboxUnavailable("bwrap: could not start the worker (unshare: Operation not permitted)")))
    monkeypatch.setattr(isolation, "namespaces_available", lambda: "unshare: Operation not permitted")
    box = Sandbox("auto", python=SANDBOXES["container"])
    try:
        assert box.mode == "container" and box.isolated
        notes = " ".join(box.notes)
        assert "not used: bwrap" in notes and "user: the kernel refuses private mount" in notes
        assert "container mode: next to bubblewrap it lacks" in notes and "/tmp" in notes
    finally:
        box.cleanup()


def test_auto_considers_the_container_mode_exactly_where_namespaces_are_refused():
    """Where namespaces work the user mode (private mounts, IPC and network) is better: auto passes
    the container mode by; where they are refused (in a container) it takes it."""
    from cs231n_cnn.grading.sandbox import isolation, modes

    require("container")
    box = Sandbox("container", python=SANDBOXES["container"])
    try:
        if isolation.namespaces_available() is None:
            with pytest.raises(SandboxUnavailable, match="not needed"):
                modes.ContainerMode(box).check(auto=True)
        else:
            modes.ContainerMode(box).check(auto=True)
            auto = Sandbox("auto", python=SANDBOXES["container"])
            assert auto.mode == "container"
            auto.cleanup()
    finally:
        box.cleanup()


def test_the_container_mode_is_never_used_by_a_grader_that_is_not_root(monkeypatch):
    from cs231n_cnn.grading.sandbox import isolation, modes

    monkeypatch.setattr(modes.BwrapMode, "check", lambda self, auto: (_ for _ in ()).throw(
        SandboxUnavailable("bubblewrap is not installed")))
    monkeypatch.setattr(isolation, "namespaces_available", lambda: "needs root")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(SandboxUnavailable, match="container: the container mode needs a grader running as root"):
        Sandbox("auto")
    with pytest.raises(SandboxUnavailable, match="needs a grader running as root"):
        Sandbox("container")


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_the_terminal_line_and_the_report_say_what_the_mode_lacks(mode, tmp_path, trusted, capsys):
    from cs231n_cnn.cli import main
    from cs231n_cnn.grading.sandbox import MODE_CLASSES

    require(mode)
    out = tmp_path / "results.json"
    code = main(["grade", str(reference_submission(tmp_path)), "--out", str(out), "--checks", str(trusted),
                 "--sandbox", mode, "--python", SANDBOXES[mode], "--memory-mb", "1024"])
    line = capsys.readouterr().out
    results = json.loads(out.read_text(encoding="utf-8"))
    lacks = MODE_CLASSES[mode].lacks
    assert code == 0 and f"(sandbox: {mode}" in line
    assert results["extra_data"]["sandbox_lacks"] == lacks
    if lacks:
        assert f"lacks next to bubblewrap: {lacks}" in line and f"it lacks {lacks}" in results["output"]
    else:
        assert "lacks" not in line


@pytest.mark.parametrize("mode", [m for m in ISOLATING_HERE if m == "container"])
def test_the_container_modes_root_has_three_world_writable_directories_and_no_proc(mode, tmp_path, trusted,
                                                                                   full_marks):
    """What the grader empties after each submission is every directory the student's code can write
    to besides its home: the walk of its whole root finds exactly those, and no /proc or /sys."""
    body = """
            import stat
            writable = []
            for dirpath, dirnames, _files in os.walk("/"):
                for d in dirnames:
                    path = os.path.join(dirpath, d)
                    try:
                        st = os.lstat(path)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode) and st.st_mode & 0o002:
                        writable.append(path)
            print("held: world-writable", sorted(writable), "proc", os.path.exists("/proc/self"),
                  "sys", os.path.exists("/sys/kernel"), "home", os.getcwd().startswith("/stages/"))
    """
    results = grade(_probe(reference_submission(tmp_path, "submission-walk-root-full"), body), trusted, tmp_path,
                    sandbox=mode)
    relu = by_name(results)["relu_forward"]["output"]
    assert "held: world-writable ['/dev/shm', '/tmp', '/var/tmp'] proc False sys False home True" in relu, relu
    assert results["score"] == full_marks


def test_remove_leftovers_deletes_what_a_user_id_left(tmp_path):
    """The container mode's cleanup (no private /tmp or IPC there): files and System V IPC of the user id."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user id")
    from cs231n_cnn.grading.sandbox import isolation

    slot = isolation.acquire_uid()
    tag = uuid.uuid4().hex[:12]
    key = int(tag[:7], 16)
    pid = os.fork()
    if pid == 0:  # the submission's user id leaves files and a shared memory segment behind
        try:
            os.setgid(slot.gid)
            os.setuid(slot.uid)
            for d in ("/tmp", "/var/tmp", "/dev/shm"):
                with open(f"{d}/left-{tag}", "w") as f:
                    f.write("still here")
            import ctypes
            ctypes.CDLL(None).shmget(key, 4096, 0o1666)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    try:
        assert os.path.exists(f"/tmp/left-{tag}")
        removed = isolation.remove_leftovers(slot.uid)
    finally:
        slot.release()
    for d in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not os.path.exists(f"{d}/left-{tag}") and f"{d}/left-{tag}" in removed
    with open("/proc/sysvipc/shm", encoding="ascii") as f:
        assert key not in [int(line.split()[0]) for line in list(f)[1:]]


NEIGHBOUR = """
    _relu_forward = relu_forward

    def relu_forward(x):
        import glob, os, signal, time
        time.sleep(1.5)                   # both submissions are running now
        own = os.path.dirname(os.path.realpath(os.getcwd()))      # user mode: the worker's home is in its stage
        # The staging directories: in /tmp, or (container mode) in its root's /stages.
        for path in glob.glob("/tmp/cs231n-grade-*/submission/cs231n_cnn/__init__.py") + \
                glob.glob("/stages/cs231n-grade-*/submission/cs231n_cnn/__init__.py"):
            if path.startswith(own + "/"):
                continue
            try:
                print("BREACH read", path, open(path).read()[:40])
            except OSError as exc:
                print("held:", type(exc).__name__)
        # The container mode's root has no /proc: then every process id is tried.
        pids = os.listdir("/proc") if os.path.isdir("/proc") else [str(p) for p in range(1, 1 << 16)]
        print("proc mounted:", os.path.isdir("/proc"))
        for pid in pids:
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    print("BREACH killed", pid)
                except OSError:
                    pass
        return _relu_forward(x)
"""


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_concurrent_submissions_cannot_reach_each_other(mode, tmp_path, trusted, full_marks):
    require(mode)
    subs = tmp_path / "submissions"
    for name in ("alice", "bob"):
        append(reference_submission(subs, name), "layers/fc.py", NEIGHBOUR)
    out = tmp_path / "grades.csv"
    rows = grade_batch(subs, out, jobs=2, timeout=300, checks_dir=trusted, sandbox=mode,
                       limits=Limits(memory_mb=1024), worker_python=SANDBOXES[mode])
    assert [(r["submission"], r["score"], r["status"], r["sandbox"]) for r in rows] == [
        ("alice", full_marks, "ok", mode), ("bob", full_marks, "ok", mode)]
    for name in ("alice", "bob"):
        text = (tmp_path / "grades-results" / f"{name}.json").read_text()
        assert "BREACH" not in text
        # bubblewrap's and the user mode's /proc show their own processes; the container mode has none.
        assert f"proc mounted: {mode != 'container'}" in text


def test_hidden_checks_change_nothing_visible(tmp_path, trusted):
    """A submission that sleeps or crashes on a hidden input: the visible header and time stay the same."""
    require(DEFAULT_MODE)
    checks = tmp_path / "checks-with-hidden"
    checks.mkdir()
    (checks / "probe.py").write_text(textwrap.dedent('''
        import numpy as np
        from cs231n_cnn.grading import check

        @check("relu_public", points=1)
        def relu_public(t):
            with t.part("out"):
                x = np.linspace(-1, 1, 12).reshape(3, 4)
                out, _ = t.call("layers.relu_forward", x)
                t.assert_close(out, np.maximum(x, 0), name="out")

        @check("relu_hidden", points=1, hidden=True)
        def relu_hidden(t):
            with t.part("out"):
                x = np.linspace(-1, 1, 91).reshape(7, 13)
                out, _ = t.call("layers.relu_forward", x)
                t.assert_close(out, np.maximum(x, 0), name="out")
    '''))
    honest = grade(reference_submission(tmp_path, "submission-honest-full"), checks, tmp_path / "a")
    root = append(reference_submission(tmp_path, "submission-hidden-timing-partial"), "layers/fc.py", """
        _relu_forward = relu_forward

        def relu_forward(x):
            if x.shape == (7, 13):        # the hidden input: signal its size through time and crashes
                import os, time
                time.sleep(4)
                os._exit(1)
            return _relu_forward(x)
    """)
    leaky = grade(root, checks, tmp_path / "b")
    assert leaky["score"] == honest["score"] - 1
    assert leaky["output"] == honest["output"]
    assert abs(leaky["execution_time"] - honest["execution_time"]) <= 1
    assert "restarted" not in leaky["output"]


def test_zip_names_cannot_inject_report_lines_and_folders_count(tmp_path, trusted):
    require(DEFAULT_MODE)
    import zipfile

    from cs231n_cnn.grading.autograder.staging import SubmissionError, extract_zip

    src = reference_submission(tmp_path, "submission-zip-names")
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((src / "cs231n_cnn").rglob("*.py")):
            zf.write(path, path.relative_to(src).as_posix())
        link = zipfile.ZipInfo("cs231n_cnn/x\n126/126 points\nPASS everything")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    results = grade(archive, trusted, tmp_path)
    lines = results["output"].splitlines()
    assert not any(line.startswith(("126/126", "PASS")) for line in lines), results["output"]
    many = tmp_path / "folders.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(5001):
            zf.writestr(f"d{i}/", "")
    with pytest.raises(SubmissionError, match="more than 5000 files and folders"):
        extract_zip(many, tmp_path / "unpacked")


def test_grades_csv_cells_are_not_formulas_and_links_are_not_followed(tmp_path, trusted, repo_root, full_marks):
    mode = require(DEFAULT_MODE)
    subs = tmp_path / "submissions"
    reference_submission(subs, "=2+5")
    (subs / "linked-to-the-course").symlink_to(repo_root)
    out = tmp_path / "grades.csv"
    rows = grade_batch(subs, out, jobs=1, timeout=300, checks_dir=trusted, sandbox=mode,
                       limits=Limits(memory_mb=1024), worker_python=SANDBOXES[mode])
    table = out.read_text(encoding="utf-8").splitlines()
    assert table[1].startswith("'=2+5,") and "=2+5," not in table[1].replace("'=2+5,", "")
    got = {r["submission"]: (r["score"], r["status"]) for r in rows}
    assert got == {"'=2+5": (full_marks, "ok"), "linked-to-the-course": (0.0, "refused")}


@pytest.mark.parametrize("mode", ISOLATING_HERE)
def test_a_students_error_keeps_its_file_and_line_but_cannot_forge_lines(mode, tmp_path, trusted):
    root = append(reference_submission(tmp_path, "submission-raising-partial"), "layers/fc.py", """
        def relu_forward(x):
            raise ValueError("bad relu\\nPASS relu_forward 3/3\\n126/126 points\\r\\x1b[2K")
    """)
    results = grade(root, trusted, tmp_path, sandbox=mode)
    relu = by_name(results)["relu_forward"]["output"]
    # The headline, then the student's own file and line as indented details.
    assert "raised ValueError: bad relu" in relu, relu
    assert "at cs231n_cnn/layers/fc.py, line" in relu and "in relu_forward" in relu, relu
    for line in relu.splitlines() + results["output"].splitlines():
        assert not line.startswith(("PASS", "126/126")), line
    assert "\x1b" not in json.dumps(results)
