"""A one-node Slurm cluster in a temporary directory, for tests/cluster: munged, slurmctld and slurmd.

Debian's packages (``apt-get install slurmctld slurmd munge``), run as root
with every path of their own under the directory (key, sockets, state, spool,
logs), ``SLURM_CONF`` pointing at its ``slurm.conf``: nothing of the
machine's is read or changed, and a machine that already runs Slurm or munge
is not disturbed (other ports, another socket). The daemons run in the
foreground, children of the test, and are stopped by their PIDs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol")
SLURM_CONF = """\
# A one-node cluster for tests/cluster (written by slurm_cluster.py).
ClusterName=cs231ntest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={dir}/munge.socket
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
# No cgroups: the machine's hybrid cgroup tree is not Slurm's to manage here.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdTimeout=300
InactiveLimit=0
KillWait=5
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=grading Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def missing_tools() -> list[str]:
    return [t for t in DAEMONS if shutil.which(t) is None and not Path("/usr/sbin", t).exists()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tool(name: str) -> str:
    return shutil.which(name) or str(Path("/usr/sbin", name))


@contextlib.contextmanager
def one_node_slurm(directory: Path, *, cpus: int | None = None, start_timeout: float = 120.0):
    """Start munged, slurmctld and slurmd under ``directory``; yield the environment that reaches them.

    The node is idle when this yields (``sinfo`` says so). On exit every
    daemon started here is stopped by PID (SIGTERM, then SIGKILL).
    """
    directory = Path(directory)
    for sub in ("state", "spool"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)            # munged refuses a key or socket directory writable by others
    host = socket.gethostname().split(".")[0]
    conf = directory / "slurm.conf"
    conf.write_text(SLURM_CONF.format(host=host, dir=directory, ctld_port=_free_port(), d_port=_free_port(),
                                      cpus=cpus or os.cpu_count() or 1))
    env = dict(os.environ, SLURM_CONF=str(conf))
    env.pop("SLURM_JOB_ID", None)
    key = directory / "munge.key"
    subprocess.run([_tool("mungekey"), "--create", "--keyfile", str(key)], check=True)
    key.chmod(0o400)
    procs: list[subprocess.Popen] = []
    logs = []

    def start(argv, log_name):
        log = open(directory / log_name, "wb")
        logs.append(log)
        procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                      stdin=subprocess.DEVNULL))

    try:
        start([_tool("munged"), "--foreground", "--force", f"--key-file={key}",
               f"--socket={directory}/munge.socket", f"--pid-file={directory}/munged.pid",
               f"--log-file={directory}/munged.log", f"--seed-file={directory}/munged.seed"], "munged.out")
        _wait(lambda: (directory / "munge.socket").exists(), 30, "munged's socket", directory)
        start([_tool("slurmctld"), "-D", "-i", "-f", str(conf)], "slurmctld.out")
        start([_tool("slurmd"), "-D", "-f", str(conf), "-N", host], "slurmd.out")

        def idle():
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{p.args[0]} exited with status {p.returncode}: {_tails(directory)}")
            run = subprocess.run([_tool("sinfo"), "-h", "-N", "-o", "%t"], env=env, capture_output=True, text=True)
            return run.returncode == 0 and run.stdout.strip() in ("idle", "idle*") and "*" not in run.stdout
        _wait(idle, start_timeout, "the node to be idle", directory)
        yield env
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in logs:
            log.close()


def _tails(directory: Path) -> str:
    out = []
    for name in ("munged.log", "slurmctld.log", "slurmd.log", "slurmctld.out", "slurmd.out"):
        path = directory / name
        if path.exists():
            out.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:]))
    return "\n".join(out)


def _wait(ready, timeout: float, what: str, directory: Path) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:g} s for {what}:\n{_tails(directory)}")
        time.sleep(0.5)


def wait_for_jobs(job_ids, env, timeout: float) -> dict[str, str]:
    """Poll ``squeue`` until none of ``job_ids`` is queued or running; then each (array) task's final state.

    States come from ``scontrol show job`` (no accounting database here, so no ``sacct``).
    """
    deadline = time.monotonic() + timeout
    while True:
        run = subprocess.run([_tool("squeue"), "-h", "-j", ",".join(job_ids), "-o", "%i %T"], env=env,
                             capture_output=True, text=True)
        if run.returncode == 0 and not run.stdout.strip():
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs {job_ids} still queued or running after {timeout:g} s:\n{run.stdout}")
        time.sleep(2)
    states = {}
    for job in job_ids:
        show = subprocess.run([_tool("scontrol"), "-o", "show", "job", job], env=env, capture_output=True,
                              text=True, check=True).stdout
        for line in show.splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            task = (f"{fields['ArrayJobId']}_{fields['ArrayTaskId']}" if "ArrayTaskId" in fields
                    else fields["JobId"])
            states[task] = f"{fields['JobState']} {fields.get('ExitCode', '')}"
    return states
