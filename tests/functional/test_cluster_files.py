"""cs231n-cnn cluster-files: the Slurm job array and the Kubernetes Indexed Job, as files an instructor runs.

The manifests are validated against the published Kubernetes OpenAPI schema
(kubernetes-validate ships it, so this runs offline), strictly: an unknown or
misspelt field fails, not only a missing one. The Slurm script is run for real
by tests/cluster (make test-cluster).
"""

from __future__ import annotations

import copy
import stat
import subprocess
import sys

import kubernetes_validate  # the dev extra; a missing one fails here, never a silent skip
import pytest
import yaml

from cs231n_cnn.cli import main
from cs231n_cnn.grading.autograder.cluster import IMAGE_PLACEHOLDER

# The oldest schema the library ships (completionMode: Indexed is GA since 1.24),
# and the newest the library ships.
K8S_VERSIONS = ("1.25.0", kubernetes_validate.latest_version())


@pytest.fixture
def files(tmp_path):
    subs = tmp_path / "submissions"
    (subs / "alice").mkdir(parents=True)
    (subs / "bob.zip").write_bytes(b"")
    out = tmp_path / "cluster"
    assert main(["cluster-files", "--submissions", str(subs), "--shards", "4", "--out", str(out),
                 "--jobs", "2", "--timeout", "300", "--memory-mb", "1024"]) == 0
    return out


def docs(path):
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_the_manifests_are_valid_against_the_published_kubernetes_schema(files, version):
    for name in ("grade-job.yaml", "merge-job.yaml"):
        for doc in docs(files / name):
            kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_is_not_a_rubber_stamp(files):
    pvc, job = docs(files / "grade-job.yaml")
    bad = copy.deepcopy(job)
    bad["spec"]["completionMod"] = "Indexed"                   # misspelt
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSIONS[-1], strict=True)
    bad = copy.deepcopy(job)
    bad["spec"]["completions"] = "four"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSIONS[-1], strict=True)


def test_the_job_is_indexed_root_with_default_capabilities_on_a_read_write_many_volume(files):
    pvc, job = docs(files / "grade-job.yaml")
    assert pvc["kind"] == "PersistentVolumeClaim" and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    spec = job["spec"]
    assert (job["kind"], spec["completionMode"], spec["completions"]) == ("Job", "Indexed", 4)
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == IMAGE_PLACEHOLDER
    sc = container["securityContext"]
    assert sc["runAsUser"] == 0 and sc["runAsNonRoot"] is False and sc["privileged"] is False
    assert "capabilities" not in sc and "hostUsers" not in pod           # the runtime's (Docker's) defaults
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["env"] == [{"name": "CS231N_CHECKS_DIR", "value": "/opt/cs231n_cnn/checks"}]
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    script = container["command"][-1]
    assert container["command"][:2] == ["/bin/sh", "-c"]
    assert '--shard "${JOB_COMPLETION_INDEX}/4"' in script and "grade-batch /grading/submissions" in script
    assert "--jobs 2 --timeout 300 --memory-mb 1024" in script
    text = (files / "grade-job.yaml").read_text()
    assert '"restricted" Pod Security Standard forbids' in text and "hostUsers: false" in text
    merge = docs(files / "merge-job.yaml")[0]
    assert "grade-merge /grading/results/grades-*-of-4.csv" in merge["spec"]["template"]["spec"]["containers"][0][
        "command"][-1]


def test_image_names_the_instructors_image(tmp_path):
    (tmp_path / "subs" / "a").mkdir(parents=True)
    assert main(["cluster-files", "--submissions", str(tmp_path / "subs"), "--shards", "2", "--out",
                 str(tmp_path / "o"), "--image", "registry.example.edu/cs231n/grader:2026"]) == 0
    for name in ("grade-job.yaml", "merge-job.yaml"):
        text = (tmp_path / "o" / name).read_text()
        assert IMAGE_PLACEHOLDER not in text and "image: registry.example.edu/cs231n/grader:2026" in text


def test_the_slurm_script_is_an_array_of_one_grade_batch_per_shard(files, tmp_path):
    script = (files / "grade-array.sbatch").read_text()
    assert "#SBATCH --array=0-3\n" in script and "#SBATCH --cpus-per-task=2\n" in script
    assert '--shard "$I/4"' in script and 'I="${SLURM_ARRAY_TASK_ID:?' in script
    assert f"{sys.executable} -m cs231n_cnn grade-batch {tmp_path / 'submissions'}" in script
    assert "--jobs 2 --timeout 300 --memory-mb 1024" in script
    assert "--dependency=afterok:" in (files / "submit.sh").read_text()
    assert "grade-merge" in (files / "merge.sbatch").read_text()
    for name in ("grade-array.sbatch", "merge.sbatch", "submit.sh"):
        path = files / name
        assert path.stat().st_mode & stat.S_IXUSR
        subprocess.run(["bash", "-n", str(path)], check=True)                  # parses as bash
    # Outside an array task the script refuses to guess its shard.
    run = subprocess.run(["bash", str(files / "grade-array.sbatch")], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert run.returncode != 0 and "it is a job array" in run.stderr


@pytest.mark.parametrize("argv, message", [
    (["--shards", "0"], "--shards must be a whole number of at least 1, got 0"),
    (["--shards", "2", "--jobs", "0"], "--jobs must be at least 1"),
    (["--shards", "2", "--job-name", "CS231N_grade"], "--job-name must be lowercase"),
    (["--shards", "2", "--image-checks", "checks"], "--image-checks must be an absolute path"),
])
def test_bad_values_are_refused(tmp_path, capsys, argv, message):
    (tmp_path / "subs" / "a").mkdir(parents=True)
    assert main(["cluster-files", "--submissions", str(tmp_path / "subs"), "--out", str(tmp_path / "o"),
                 *argv]) == 1
    assert message in capsys.readouterr().err and not (tmp_path / "o").exists()
