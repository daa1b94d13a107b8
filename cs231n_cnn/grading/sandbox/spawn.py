"""How a submission's worker processes start: choosing a mode, its trial run, the spawn itself (limits, user id)."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import runtime
from ..runtime.protocol import ProtocolError, decode
from . import isolation
from .errors import SandboxUnavailable, WorkerDied, WorkerTimeout
from .interpreter import is_inside, sample_files, unique_paths
from .limits import Limits
from .modes import AUTO_ORDER, MODE_CLASSES, RUNTIME_MOUNT, SANDBOX_GID, SANDBOX_UID, SUBMISSION_MOUNT, Mode
from .pipes import kill_worker, read_worker_frame

__all__ = ["Sandbox", "MODES", "ISOLATING", "NO_SANDBOX_HELP", "RUNTIME_MOUNT", "SUBMISSION_MOUNT", "SANDBOX_UID",
           "SANDBOX_GID"]

NO_SANDBOX_HELP = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) or run the grader as root; "
                   "--sandbox none runs the submission unconfined")

MODES = {name: cls.summary for name, cls in MODE_CLASSES.items()}
ISOLATING = AUTO_ORDER                 # what auto may choose, best first


class Sandbox:
    """Where and how worker processes run for one submission.

    ``protected`` lists the grader's own paths (package, checks, repository,
    output directory): no isolating mode shows them, and the trial run checks
    that the worker cannot read them. Files live in a private staging
    directory: ``submission_dir`` (the grader copies the submission's
    package there), the worker's runtime and the worker's home. How the
    worker is confined is the job of ``impl``, a :class:`~.modes.Mode`;
    ``mode`` is its name.
    """

    def __init__(self, mode: str = "auto", limits: Limits | None = None, protected=(), python: str | None = None):
        if mode not in ("auto", *MODES):
            raise ValueError(f"sandbox mode must be auto, {', '.join(MODES)}; got {mode!r}")
        self.limits = limits or Limits()
        self.python = python or sys.executable
        self.protected = unique_paths(protected)
        self.notes: list[str] = []
        self.seccomp = "unknown"
        self.leftovers: list[str] = []
        self.slot: isolation.UidSlot | None = None
        self.impl: Mode | None = None
        self.stage: Path | None = None
        try:
            # A root grader gives the worker a user id of its own, in every mode that confines it.
            if os.geteuid() == 0 and (mode == "auto" or MODE_CLASSES[mode].isolating):
                try:
                    self.slot = isolation.acquire_uid()
                except OSError as exc:
                    raise SandboxUnavailable(f"no user id for the sandbox: {exc}") from None
            self.mode = self._choose(mode)
        except BaseException:
            self.cleanup()
            raise
        if self.impl.lacks and self.impl.isolating:
            self.notes.append(f"{self.mode} mode: next to bubblewrap it lacks {self.impl.lacks}")

    @property
    def description(self) -> str:
        """The mode's name and what it means, e.g. ``bwrap (bubblewrap)``: the reports print it."""
        return f"{self.mode} ({MODES[self.mode]})"

    @property
    def isolated(self) -> bool:
        return self.impl is not None and self.impl.isolating

    @property
    def lacks(self) -> str:
        """What the mode that runs lacks next to bubblewrap ("" for bubblewrap and the user mode)."""
        return self.impl.lacks if self.impl is not None else ""

    def _make_stage(self, parent: str | None) -> None:
        self.stage = Path(tempfile.mkdtemp(prefix="cs231n-grade-", dir=parent))
        self.submission_dir = self.stage / "submission"
        self.runtime = self.stage / "runtime"
        self.home = self.stage / "home"
        for d in (self.submission_dir, self.runtime, self.home):
            d.mkdir()
        for name in runtime.FILES:
            shutil.copyfile(runtime.directory() / name, self.runtime / name)

    def _remove_stage(self) -> None:
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None

    def _choose(self, requested: str) -> str:
        candidates = list(ISOLATING) if requested == "auto" else [requested]
        self._auto = requested == "auto"
        reasons = []
        for mode in candidates:
            try:
                self._trial(mode)
            except SandboxUnavailable as exc:
                reasons.append(f"{mode}: {exc}")
                self.impl = None
                self._remove_stage()
                continue
            if reasons:
                self.notes.append("not used: " + "; ".join(reasons))
            return mode
        if requested == "auto":
            raise SandboxUnavailable("no isolating sandbox works here (" + "; ".join(reasons) + "); "
                                     + NO_SANDBOX_HELP)
        raise SandboxUnavailable("; ".join(reasons))

    def _trial(self, mode: str) -> None:
        """Start a worker in ``mode`` that imports numpy and scipy and reports what it can see."""
        impl = MODE_CLASSES[mode](self)
        impl.check(auto=self._auto)
        self.impl = impl
        self._make_stage(impl.stage_parent())
        samples = sample_files(unique_paths(impl.samples()))
        proc, fds = self._spawn(["--probe", *samples])
        deadline = time.monotonic() + max(30.0, self.limits.startup_timeout)
        log = bytearray()
        try:
            raw = read_worker_frame(fds["resp"], fds["log"], deadline, 2**20, log.extend)
            report = decode(raw, untrusted=True)
        except (WorkerTimeout, WorkerDied, ProtocolError) as exc:
            text = bytes(log).decode("utf-8", "replace").strip().splitlines()
            raise SandboxUnavailable(f"the trial run failed ({type(exc).__name__}"
                                     f"{': ' + text[-1][:200] if text else ''})") from None
        finally:
            kill_worker(proc, fds)
        if type(report) is not dict or report.get("kind") != "probe":
            raise SandboxUnavailable("the trial run sent an unexpected report")
        self.seccomp = str(report.get("seccomp"))
        visible = [p for p in report.get("visible", ()) if isinstance(p, str)]
        # A protected directory that holds a shown one (a checkout's own .venv) exists
        # in the sandbox as a path to it; only its files matter, and those are sampled
        # and checked on their own.
        shown = impl.shown()
        visible = [p for p in visible if not (os.path.isdir(p) and any(is_inside(b, p) for b in shown))]
        if impl.isolating and visible:
            raise SandboxUnavailable(f"the sandbox could read the grader's {visible[0]}")
        impl.verify(report)
        if self.seccomp != "on":
            if impl.isolating:
                raise SandboxUnavailable(f"the seccomp filter is {self.seccomp}")
            self.notes.append(f"seccomp filter {self.seccomp}: forking and signals are not blocked")
        if report.get("fork_blocked") is not True and self.seccomp == "on":
            raise SandboxUnavailable("the seccomp filter did not block fork()")
        if report.get("umask") != 0o077:
            raise SandboxUnavailable(f"the worker's umask is {report.get('umask')!r}, not 0o077")

    def _open_up(self) -> None:
        """Staged files readable by this sandbox's user id only (through the group), its home writable."""
        if self.slot is None:
            return
        gid = self.slot.gid
        os.chown(self.stage, 0, gid)
        os.chmod(self.stage, 0o750)        # other submissions' user ids cannot even look inside
        for top in (self.submission_dir, self.runtime):
            for dirpath, _dirnames, filenames in os.walk(top):
                os.chmod(dirpath, 0o755)
                for f in filenames:
                    os.chmod(os.path.join(dirpath, f), 0o644)
        os.chown(self.home, self.slot.uid, gid)
        os.chmod(self.home, 0o700)

    def spawn_worker(self, worker_args: list[str]):
        """Start a worker process; returns ``(Popen, fds)`` with fds ``req`` (write), ``resp``, ``log`` (read)."""
        return self._spawn(worker_args)

    def _spawn(self, worker_args: list[str]):
        launch = self.impl.launch()
        argv = [*launch.prefix, self.python, "-I", "-B", "-u", f"{launch.runtime}/worker.py", "--in-fd", "{req}",
                "--out-fd", "{resp}", "--submission", launch.submission,
                "--memory-mb", str(self.limits.memory_mb),
                "--max-response", str(self.limits.max_response_mb * 2**20), *worker_args]
        self._open_up()
        setup = launch.setup
        slot = self.slot
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        log_r, log_w = os.pipe()
        err_r, err_w = os.pipe()
        argv = [a.replace("{req}", str(req_r)).replace("{resp}", str(resp_w)) for a in argv]
        env = _clean_env(launch.home)
        limits = self.limits
        highest_fd = max(req_r, resp_w, log_w)

        def preexec():  # runs in the child between fork and exec
            mem = limits.memory_mb * 2**20
            cpu = int(limits.cpu_seconds or limits.total_timeout) + 1
            fsize = limits.file_size_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            nofile = max(256, highest_fd + 64)
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
            if setup is not None:
                setup(err_w)
            # What the student's code creates in a shared directory is its own alone (set after
            # the setup, whose mount points must stay reachable).
            os.umask(0o077)
            if slot is not None:
                # Counted per real user id, threads included: this id runs nothing else.
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))
                os.setgroups([])
                os.setgid(slot.gid)
                os.setuid(slot.uid)

        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log_w, stderr=log_w, pass_fds=(req_r, resp_w),
                cwd=launch.cwd, env=env, start_new_session=True, preexec_fn=preexec, close_fds=True)
        except (OSError, subprocess.SubprocessError) as exc:
            os.close(err_w)
            why = os.read(err_r, 1000).decode("utf-8", "replace") or str(exc)
            for fd in (req_r, req_w, resp_r, resp_w, log_r, log_w, err_r):
                os.close(fd)
            raise SandboxUnavailable(f"could not start the worker ({why})") from None
        for fd in (req_r, resp_w, log_w, err_r, err_w):
            os.close(fd)
        for fd in (req_w, resp_r, log_r):
            os.set_blocking(fd, False)
        return proc, {"req": req_w, "resp": resp_r, "log": log_r, "mode": self.impl.name}

    def cleanup(self) -> None:
        """Remove the staging directory and give the user id back (after killing what still runs under it)."""
        if self.slot is not None:
            isolation.kill_processes_of(self.slot.uid)
            if self.impl is not None:
                self.leftovers = self.impl.cleanup()
            self.slot.release()
            self.slot = None
        self._remove_stage()


def _clean_env(home: str) -> dict:
    """The worker's whole environment: nothing of the grader's, single-threaded numerics."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": "/tmp" if home == "/tmp" else home,
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.matplotlib"}
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "NUMEXPR_MAX_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS"):
        env[var] = "1"
    return env
