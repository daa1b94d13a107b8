"""The grader inside a real container: podman + runc, Docker's default seccomp profile and capabilities.

The container's root is an overlay of this machine's (``--rootfs /:O``: no
image is pulled, the checkout and its venv are where they are here), with
host networking as graders' containers have. Namespaces are refused in it,
so bubblewrap and the user mode cannot start: the grader, root, must use
the container mode. Run by ``make test-container`` (``.ci/run``'s last step),
never by ``make test``: ``conftest.py`` leaves this file out unless
``CS231N_CONTAINER_TESTS=1``. Where podman cannot run a container here the
tests skip, and fail under CI (``CI`` or ``CS231N_REQUIRE_SANDBOX=1``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional"))
from grading_fixtures import (  # noqa: E402 - the shared grading fixtures live with the functional tests
    append,
    build_release,
    reference_submission,
    stub_submission,
    validate_report,
)

from cs231n_cnn.cli import main  # noqa: E402
from cs231n_cnn.grading import load_checks  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
REQUIRED = os.environ.get("CI", "") not in ("", "0", "false") or \
    os.environ.get("CS231N_REQUIRE_SANDBOX", "") not in ("", "0")
# crun refuses the hybrid cgroups of the machines this runs on; runc works. The ulimits are
# what Docker gives by default; podman's own would be the (larger) machine's.
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "run", "--rm", "--network", "host",
          "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=8192:8192"]
UID_LOCKS = "/run/cs231n-grader"
FULL_MARKS = sum(c.points for c in load_checks(REPO / "checks").values())


def _unavailable(why: str):
    if REQUIRED:
        pytest.fail(f"{why} (required under CI: .ci/run installs podman and runc as root)")
    pytest.skip(why)


def in_container(script: str, *binds: Path, timeout: float = 600, env: dict | None = None):
    """Run ``sh -c script`` as root in a fresh container; ``binds`` are shared with it at the same paths."""
    argv = list(PODMAN)
    # The sandbox's user ids are the machine's (no user namespace): graders running here at the same
    # time (other tests, other engineers) must see the container's locks on them, or one that takes
    # an id kills what runs under it in the container. The lock directory is shared for that.
    os.makedirs(UID_LOCKS, mode=0o700, exist_ok=True)
    for b in (REPO, *binds):
        argv += ["-v", f"{b}:{b}"]
    argv += ["-v", f"{UID_LOCKS}:{UID_LOCKS}"]
    for key, value in (env or {}).items():
        argv += ["-e", f"{key}={value}"]
    # A tree built outside the container is in the overlay's lower layer: start from none.
    argv += ["--rootfs", "/:O", "sh", "-c", "rm -rf /var/cache/cs231n-grader; " + script]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def podman():
    if shutil.which("podman") is None or shutil.which("runc") is None:
        _unavailable("podman and runc are not installed (Debian: apt-get install podman runc)")
    if os.geteuid() != 0:
        _unavailable("these containers are started as root")
    done = in_container("id -u")
    if done.returncode != 0 or done.stdout.strip() != "0":
        _unavailable(f"podman could not start a container: {done.stderr.strip()[-500:]}")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("container")


def test_the_container_refuses_namespaces_as_dockers_default_does(work):
    done = in_container("unshare --mount --ipc --net true; echo unshare=$?; "
                        "bwrap --ro-bind / / true; echo bwrap=$?; grep Seccomp: /proc/self/status")
    assert "unshare=1" in done.stdout and "bwrap=1" in done.stdout, done.stdout + done.stderr
    assert re.search(r"Seccomp:\s+2", done.stdout), done.stdout          # a seccomp filter is on


def _grade(work: Path, submission: Path, name: str, *options: str) -> tuple[dict, str]:
    out = work / f"{name}.json"
    done = in_container(f"cd / && {PYTHON} -m cs231n_cnn grade {submission} --out {out} {' '.join(options)}", work)
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    validate_report(results)
    return results, done.stdout


def test_the_reference_scores_full_marks_in_the_container_mode(work):
    results, line = _grade(work, reference_submission(work), "reference")
    assert results["score"] == FULL_MARKS
    assert results["extra_data"]["sandbox"] == "container" and results["extra_data"]["isolated"] is True
    # Loud: the terminal line and the report say which mode ran and what it lacks.
    assert "(sandbox: container; lacks next to bubblewrap: private network, IPC and pid namespaces" in line
    assert "not used: bwrap:" in results["output"] and "container mode: next to bubblewrap it lacks" in \
        results["output"]


def test_the_untouched_release_scores_zero(work):
    release = build_release(work / "release-build")
    results, line = _grade(work, stub_submission(work, release), "release")
    assert results["score"] == 0 and results["extra_data"]["sandbox"] == "container"
    assert f": 0/{FULL_MARKS:g} (sandbox: container;" in line


SNOOP = """
    _relu_forward = relu_forward

    def relu_forward(x):
        for path in {paths!r}:
            try:
                with open(path) as f:
                    print("BREACH read", path, f.read()[:2000])
            except OSError as exc:
                print("held:", path, type(exc).__name__)
        return _relu_forward(x)
"""


def test_the_gradescope_bundle_grades_in_a_fake_autograder(work):
    """``run_autograder`` as Gradescope runs it, in /autograder inside the container: the bundle as
    unpacked (no chmod), then with an interpreter that has the course package installed in its
    site-packages; the student's code can read none of the three."""
    bundle = work / "autograder.zip"
    assert main(["gradescope-bundle", "--out", str(bundle)]) == 0
    reference = reference_submission(work / "gradescope")
    snooper = reference_submission(work / "gradescope", "submission-snoop-full")
    base = subprocess.run([PYTHON, "-c", "import sys; print(sys.base_prefix)"], capture_output=True, text=True,
                          check=True).stdout.strip()
    installed = "/opt/installed/lib/python{0}.{1}/site-packages/cs231n_cnn".format(*sys.version_info)
    secrets = ["/autograder/source/checks/conv.py", "/autograder/source/cs231n_cnn/layers/fc.py",
               f"{installed}/layers/fc.py", str(REPO / "checks" / "conv.py"), str(REPO / "cs231n_cnn" / "layers" /
                                                                                  "fc.py")]
    append(snooper, "layers/fc.py", SNOOP.format(paths=secrets))
    out = work / "gradescope-out"
    out.mkdir()
    script = f"""
        set -e
        mkdir -p /autograder && cd /autograder
        {PYTHON} -m zipfile -e {bundle} /autograder/source
        ls -l /autograder/source/checks/conv.py
        cp -r {reference} /autograder/submission
        CS231N_PYTHON={PYTHON} CS231N_GRADE_OPTIONS="--memory-mb 2048" bash /autograder/source/run_autograder
        cp /autograder/results/results.json {out}/reference.json
        # An interpreter with the course package installed (copied into its site-packages, as pip would).
        {base}/bin/python3 -m venv --system-site-packages /opt/installed
        cp -r {REPO}/cs231n_cnn {installed}
        rm -rf /autograder/submission /autograder/results
        cp -r {snooper} /autograder/submission
        CS231N_PYTHON=/opt/installed/bin/python CS231N_GRADE_OPTIONS="--memory-mb 2048" \\
            bash /autograder/source/run_autograder
        cp /autograder/results/results.json {out}/snoop.json
    """
    done = in_container(script, work)
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr
    assert re.search(r"-rw-r--r-- .* /autograder/source/checks/conv.py", done.stdout)   # as unpacked
    reference_results = json.loads((out / "reference.json").read_text(encoding="utf-8"))
    validate_report(reference_results)
    assert reference_results["score"] == FULL_MARKS
    assert reference_results["extra_data"]["sandbox"] == "container"
    snoop = json.loads((out / "snoop.json").read_text(encoding="utf-8"))
    validate_report(snoop)
    text = json.dumps(snoop)
    assert snoop["extra_data"]["sandbox"] == "container" and snoop["score"] == FULL_MARKS
    assert "BREACH" not in text and "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    for path in secrets:
        assert f"held: {path} FileNotFoundError" in text, path


def test_the_adversarial_suite_holds_in_the_container_mode(work):
    """Every attack of tests/functional/test_adversarial.py, in the container mode, none skipped."""
    env = {"CS231N_SANDBOX_MODES": "container,none", "CS231N_REQUIRE_SANDBOX": "1", "CS231N_SMALL": "1",
           "MPLBACKEND": "Agg"}
    # How many tests the suite holds in these modes (collected here, outside): all must pass there.
    collected = subprocess.run([PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q",
                                "tests/functional/test_adversarial.py"], capture_output=True, text=True, cwd=REPO,
                               env={**os.environ, **env}, timeout=300)
    expected = sum(1 for line in collected.stdout.splitlines() if "::" in line)
    done = in_container(
        f"cd {REPO} && {PYTHON} -m pytest -p no:cacheprovider -q -rsxX tests/functional/test_adversarial.py",
        work, timeout=900, env=env)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    print(done.stdout[-3000:], done.stderr[-2000:])
    assert done.returncode == 0, summary
    assert re.fullmatch(r"=* ?\d+ passed in .*", summary), summary     # nothing skipped, xfailed or failed
    assert expected > 40 and int(summary.split(" passed")[0].split()[-1]) == expected, (summary, expected)
    # The container mode was the one attacked.
    assert "test_attack_is_confined[read-etc-shadow-container]" in collected.stdout
