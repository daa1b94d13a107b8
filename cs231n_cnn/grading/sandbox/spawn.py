"""How a submission's worker processes start: the mode, its trial run, bubblewrap's argv, the spawn itself."""

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
from .interpreter import _inside, _installed_copies, _python_dirs, _sample_files, _unique_paths
from .limits import Limits
from .pipes import _kill, _read_frame

__all__ = ["Sandbox", "MODES", "ISOLATING", "NO_SANDBOX_HELP"]

NO_SANDBOX_HELP = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) or run the grader as root; "
                   "--sandbox none runs the submission unconfined")

MODES = {
    "bwrap": "bubblewrap",
    "user": "a user id of its own + private mounts",
    "none": "rlimits only (NOT isolated)",
}
ISOLATING = ("bwrap", "user")          # what auto may choose, best first
SANDBOX_UID = SANDBOX_GID = 65534      # nobody / nogroup inside bubblewrap
SUBMISSION_MOUNT = "/submission"
RUNTIME_MOUNT = "/grader-runtime"
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


class Sandbox:
    """Where and how worker processes run for one submission.

    ``protected`` lists the grader's own paths (package, checks, repository,
    output directory): bubblewrap never shows them, and the trial run checks
    that the worker cannot read them. Files live in a private staging
    directory: ``submission_dir`` (the grader copies the submission's
    package there), the worker's runtime and the worker's home.
    """

    def __init__(self, mode: str = "auto", limits: Limits | None = None, protected=(), python: str | None = None,
                 *, namespaces: bool = True):
        if mode not in ("auto", *MODES):
            raise ValueError(f"sandbox mode must be auto, {', '.join(MODES)}; got {mode!r}")
        self.limits = limits or Limits()
        self.python = python or sys.executable
        self.protected = _unique_paths(protected)
        self.notes: list[str] = []
        self.seccomp = "unknown"
        self._bwrap: str | None = None
        self._bwrap_extra: list[str] = []
        self._tmpfs_size = False
        # ``namespaces=False`` forces the user mode's fallback (tests of what it still guarantees).
        self._namespaces = namespaces
        self._private_mounts = False
        self.leftovers: list[str] = []
        self.slot: isolation.UidSlot | None = None
        self.stage = Path(tempfile.mkdtemp(prefix="cs231n-grade-"))
        try:
            if os.geteuid() == 0 and mode != "none":
                try:
                    self.slot = isolation.acquire_uid()
                except OSError as exc:
                    raise SandboxUnavailable(f"no user id for the sandbox: {exc}") from None
            self.submission_dir = self.stage / "submission"
            self.runtime = self.stage / "runtime"
            self.home = self.stage / "home"
            for d in (self.submission_dir, self.runtime, self.home):
                d.mkdir()
            for name in runtime.FILES:
                shutil.copyfile(runtime.directory() / name, self.runtime / name)
            self.mode = self._choose(mode)
        except BaseException:
            self.cleanup()
            raise

    @property
    def description(self) -> str:
        """The mode's name and what it means, e.g. ``bwrap (bubblewrap)``: the reports print it."""
        return f"{self.mode} ({MODES[self.mode]})"

    @property
    def isolated(self) -> bool:
        return self.mode in ISOLATING

    def _choose(self, requested: str) -> str:
        candidates = list(ISOLATING) if requested == "auto" else [requested]
        reasons = []
        for mode in candidates:
            try:
                self._trial(mode)
            except SandboxUnavailable as exc:
                reasons.append(f"{mode}: {exc}")
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
        if mode == "bwrap":
            self._bwrap = bwrap = shutil.which("bwrap")
            if bwrap is None:
                raise SandboxUnavailable("bubblewrap is not installed (apt-get install bubblewrap)")
            help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=30).stdout
            self._bwrap_extra = [opt for opt in ("--disable-userns",) if opt in help_text]
            self._tmpfs_size = "--size" in help_text
        if mode == "user":
            if os.geteuid() != 0:
                raise SandboxUnavailable("switching to a user id of its own needs root")
            why = isolation.namespaces_available() if self._namespaces else "turned off"
            self._private_mounts = why is None
            if why is not None:
                self.notes.append(f"user mode without a private mount namespace ({why}): the grader's files are "
                                  f"protected by their permissions only")
                problem = isolation.reachability_problem(_python_dirs(self.python) + [str(self.stage)],
                                                         f"the sandbox user (uid {self.slot.uid})")
                if problem:
                    raise SandboxUnavailable(f"{problem}; install bubblewrap, or pass --python an interpreter "
                                             f"every user can read (with numpy and scipy)")
        samples = _sample_files(self.protected + (_installed_copies(self.python) if mode != "none" else []))
        proc, fds = self._spawn(mode, ["--probe", *samples])
        deadline = time.monotonic() + max(30.0, self.limits.startup_timeout)
        log = bytearray()
        try:
            raw = _read_frame(fds["resp"], fds["log"], deadline, 2**20, log.extend)
            report = decode(raw, untrusted=True)
        except (WorkerTimeout, WorkerDied, ProtocolError) as exc:
            text = bytes(log).decode("utf-8", "replace").strip().splitlines()
            raise SandboxUnavailable(f"the trial run failed ({type(exc).__name__}"
                                     f"{': ' + text[-1][:200] if text else ''})") from None
        finally:
            _kill(proc, fds)
        if type(report) is not dict or report.get("kind") != "probe":
            raise SandboxUnavailable("the trial run sent an unexpected report")
        self.seccomp = str(report.get("seccomp"))
        visible = [p for p in report.get("visible", ()) if isinstance(p, str)]
        # A protected directory that holds a bound one (a checkout's own .venv) exists
        # in the sandbox as a path to the mount point; only its files matter, and those
        # are sampled and checked on their own.
        bound = _python_dirs(self.python) + ([str(self.stage)] if mode == "user" and self._private_mounts else [])
        visible = [p for p in visible if not (os.path.isdir(p) and any(_inside(b, p) for b in bound))]
        if mode in ISOLATING and visible:
            raise SandboxUnavailable(f"the sandbox could read the grader's {visible[0]}"
                                     + ("; make the grader's files unreadable to other users (chmod -R go-rwx)"
                                        if mode == "user" else ""))
        if mode == "none" and os.geteuid() == 0 and self.seccomp != "on":
            raise SandboxUnavailable("refusing to run untrusted code as root with neither a sandbox nor seccomp")
        if self.seccomp != "on":
            if mode in ISOLATING:
                raise SandboxUnavailable(f"the seccomp filter is {self.seccomp}")
            self.notes.append(f"seccomp filter {self.seccomp}: forking and signals are not blocked")
        if report.get("fork_blocked") is not True and self.seccomp == "on":
            raise SandboxUnavailable("the seccomp filter did not block fork()")
        if mode in ISOLATING and self.slot is not None and report.get("uid") == 0 and mode == "user":
            raise SandboxUnavailable("the worker still ran as root")

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
        return self._spawn(self.mode, worker_args)

    def _mount_plan(self, mode: str):
        """The private mount namespace the child builds before it drops root, or None."""
        if self.slot is None or mode == "none":
            return None
        needed = _python_dirs(self.python) + [str(self.stage)]
        try:
            if mode == "bwrap":
                # bubblewrap itself hides the grader's files; the namespace only makes the
                # interpreter reachable for the unprivileged user that starts bubblewrap.
                if isolation.reachability_problem(needed, "") is None:
                    return None
                return isolation.plan_mounts(needed)
            if not self._private_mounts:
                return None
            return isolation.plan_mounts(needed, self.protected + _installed_copies(self.python), private_tmp=True,
                                         tmp_bytes=self.limits.file_size_mb * 2**20, private_ipc_net=True)
        except OSError as exc:
            raise SandboxUnavailable(f"cannot prepare the sandbox's mounts ({exc})") from None

    def _spawn(self, mode: str, worker_args: list[str]):
        prefix = self._bwrap_argv() + ["--"] if mode == "bwrap" else []
        if mode == "bwrap":
            runtime_dir, submission, home = RUNTIME_MOUNT, SUBMISSION_MOUNT, "/tmp"
        else:
            runtime_dir, submission, home = str(self.runtime), str(self.submission_dir), str(self.home)
        argv = [*prefix, self.python, "-I", "-B", "-u", f"{runtime_dir}/worker.py", "--in-fd", "{req}",
                "--out-fd", "{resp}", "--submission", submission,
                "--memory-mb", str(self.limits.memory_mb),
                "--max-response", str(self.limits.max_response_mb * 2**20), *worker_args]
        self._open_up()
        plan = self._mount_plan(mode)
        slot = self.slot if mode != "none" else None
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        log_r, log_w = os.pipe()
        err_r, err_w = os.pipe()
        argv = [a.replace("{req}", str(req_r)).replace("{resp}", str(resp_w)) for a in argv]
        env = _clean_env(home)
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
            if plan is not None:
                plan.apply(err_w)
            if slot is not None:
                # Counted per real user id, threads included: this id runs nothing else.
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))
                os.setgroups([])
                os.setgid(slot.gid)
                os.setuid(slot.uid)

        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log_w, stderr=log_w, pass_fds=(req_r, resp_w),
                cwd=home if mode != "bwrap" else "/", env=env, start_new_session=True, preexec_fn=preexec,
                close_fds=True)
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
        return proc, {"req": req_w, "resp": resp_r, "log": log_r, "mode": mode}

    def _bwrap_argv(self) -> list[str]:
        argv = [self._bwrap, "--unshare-all", "--unshare-user", *self._bwrap_extra,
                "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID), "--hostname", "sandbox",
                "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        # The private /tmp comes first: directories bound below may lie under /tmp
        # (a checkout's .venv, say) and must be mounted on top of it, not hidden by it.
        if self._tmpfs_size:
            argv += ["--size", str(self.limits.file_size_mb * 2**20)]
        argv += ["--tmpfs", "/tmp"]
        binds = []
        for d in _SYSTEM_DIRS:
            if os.path.islink(d):
                argv += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                binds.append(d)
        binds += [p for p in _python_dirs(self.python) if not any(_inside(p, b) for b in binds)]
        for b in binds:
            argv += ["--ro-bind", b, b]
        argv += ["--proc", "/proc", "--dev", "/dev"]
        # /dev/shm on bubblewrap's /dev would be limited by nothing but the machine's memory.
        if self._tmpfs_size:
            argv += ["--size", str(self.limits.file_size_mb * 2**20)]
        argv += ["--tmpfs", "/dev/shm"]
        # The grader's files that happen to lie inside a bound directory (say, the
        # course package installed into site-packages) are covered by empty tmpfs.
        hide = [p for p in self.protected + _installed_copies(self.python)
                if any(_inside(p, b) and p != b for b in binds)]
        for p in _unique_paths(hide):
            argv += ["--tmpfs", p]
        argv += ["--ro-bind", str(self.runtime), RUNTIME_MOUNT,
                 "--ro-bind", str(self.submission_dir), SUBMISSION_MOUNT,
                 # The directories made for the mount points (/work/main for a bound .venv, say)
                 # would otherwise be writable: only /tmp and /dev/shm are.
                 "--remount-ro", "/", "--chdir", "/tmp"]
        return argv

    def cleanup(self) -> None:
        """Remove the staging directory and give the user id back (after killing what still runs under it)."""
        if self.slot is not None:
            isolation.kill_processes_of(self.slot.uid)
            if getattr(self, "mode", None) == "user" and not self._private_mounts:
                self.leftovers = isolation.remove_leftovers(self.slot.uid)
            self.slot.release()
            self.slot = None
        shutil.rmtree(self.stage, ignore_errors=True)


def _clean_env(home: str) -> dict:
    """The worker's whole environment: nothing of the grader's, single-threaded numerics."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": "/tmp" if home == "/tmp" else home,
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.matplotlib"}
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "NUMEXPR_MAX_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS"):
        env[var] = "1"
    return env
