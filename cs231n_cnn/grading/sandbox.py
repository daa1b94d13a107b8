"""Running a submission's code in a separate, confined process.

:class:`Sandbox` decides how worker processes start and holds the files they
see; :class:`SandboxStudent` is the grader's side of one worker, with the
interface of :class:`~.student.InProcessStudent` (``call``, ``call_method``,
``get_attr``, ``close``), so every check runs unchanged::

    sandbox = Sandbox("auto")      # then copy the submission's package into sandbox.submission_dir
    run_check_def(check, SandboxStudent(sandbox))

Three modes; ``auto`` picks the first of the two isolating ones that passes
a trial run, and never ``none``:

``bwrap``
    bubblewrap: new user, pid, network, IPC and UTS namespaces; a read-only
    view of the system directories and the Python installation only (never
    the grader's package, checks, repository or output); private,
    size-limited ``/tmp`` and ``/dev/shm``; the submission read-only at
    ``/submission``; killed with the grader. A grader running as root
    starts bubblewrap as a user id of the submission's own
    (:func:`.isolation.acquire_uid`), so the sandbox is never root outside:
    ``/etc/shadow`` stays unreadable and ``RLIMIT_NPROC`` counts its threads.
``user``
    without bubblewrap, as root: the worker runs as a user id of its own in
    a private mount, IPC and network namespace made by the grader
    (:class:`.isolation.MountPlan`): the grader's files covered by empty
    tmpfs, private size-limited ``/tmp``, ``/var/tmp`` and ``/dev/shm``, its
    own System V IPC, no network. Where the kernel refuses a mount
    namespace, the user id alone, with the grader's files protected by their
    permissions (the trial run refuses the mode if it can read one) and what
    it left in the shared temporary directories removed afterwards.
``none``
    resource limits only, as the grader's own user: not isolated. Only when
    asked for by name.

In every mode the worker gets resource limits (address space, CPU time,
file size, open files, and a process count where the kernel enforces it), a
clean environment with single-threaded BLAS, a new session (so the whole
process group can be killed) and, from the worker itself before any
student code runs, a seccomp filter that forbids new processes, ``exec``,
signals to other processes, ``ptrace`` and network sockets. The grader
enforces wall-time limits per call, per check and per submission.

Messages from the worker are read from a dedicated pipe and decoded as
plain data (:func:`.worker.decode`); the student's stdout and stderr go to
another pipe whose first bytes are kept per check and shown as untrusted
text. Nothing is ever parsed from them.
"""

from __future__ import annotations

import os
import re
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import isolation
from . import student as _student_module
from . import worker as _worker_module
from .student import Handle, StudentError
from .worker import FRAME_HEADER, EncodeError, ProtocolError, decode, encode

__all__ = ["Limits", "Sandbox", "SandboxStudent", "SandboxUnavailable", "SubmissionImportError", "MODES",
           "ISOLATING", "NO_SANDBOX_HELP"]

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
_MAX_MESSAGE = 400


@dataclass
class Limits:
    """Resource limits for the student's process and the time limits the grader enforces."""

    memory_mb: int = 4096            # RLIMIT_AS of the worker
    check_timeout: float = 60.0      # wall seconds for one check (all its calls)
    call_timeout: float | None = None  # wall seconds for one call (default: what is left of the check's)
    total_timeout: float = 1200.0    # wall seconds for the whole submission
    startup_timeout: float = 60.0    # importing the submission's package
    cpu_seconds: int | None = None   # RLIMIT_CPU of one worker process (default: total_timeout)
    max_response_mb: int = 512       # largest frame accepted from the worker
    file_size_mb: int = 64           # RLIMIT_FSIZE, and the size of the private /tmp
    nproc: int = 64                  # RLIMIT_NPROC where it is enforced (not for root)
    log_bytes: int = 8192            # student output kept per check

    def describe(self) -> str:
        return (f"{self.memory_mb} MiB memory, {self.check_timeout:g} s per check, "
                f"{self.total_timeout:g} s per submission")


class SandboxUnavailable(RuntimeError):
    """The requested sandbox mode cannot run here (the message says why)."""


class SubmissionImportError(Exception):
    """The submission's package could not be imported.

    ``message`` is one line; ``details`` the traceback through the
    submission's files, if any (both hold untrusted text).
    """

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.message = message
        self.details = details


class _StartError(StudentError):
    """A worker that did not start; ``details`` as in SubmissionImportError."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class WorkerTimeout(Exception):
    pass


class WorkerDied(Exception):
    pass


# --------------------------------------------------------------------------- the sandbox

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
            shutil.copyfile(_worker_module.__file__, self.runtime / "worker.py")
            shutil.copyfile(_student_module.__file__, self.runtime / "student.py")
            self.mode = self._choose(mode)
        except BaseException:
            self.cleanup()
            raise

    # ------------------------------------------------------------ mode selection

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

    # ------------------------------------------------------------ starting workers

    def _open_up(self) -> None:
        """Staged files readable by this sandbox's user id only (through the group), its home writable."""
        if self.slot is None:
            return
        gid = self.slot.gid
        os.chown(self.stage, 0, gid)
        os.chmod(self.stage, 0o750)        # other submissions' user ids cannot even look inside
        for top in (self.submission_dir, self.runtime):
            for dirpath, dirnames, filenames in os.walk(top):
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
            runtime, submission, home = RUNTIME_MOUNT, SUBMISSION_MOUNT, "/tmp"
        else:
            runtime, submission, home = str(self.runtime), str(self.submission_dir), str(self.home)
        argv = [*prefix, self.python, "-I", "-B", "-u", f"{runtime}/worker.py", "--in-fd", "{req}",
                "--out-fd", "{resp}", "--plain", f"{runtime}/student.py", "--submission", submission,
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


# Run by the worker's interpreter (the grader's own, or the one given with
# python=...) to say where it and its packages live.
_PATHS_SCRIPT = r"""
import json, os, site, sys
dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable)}
try:
    dirs.update(site.getsitepackages())
except AttributeError:
    pass
user = site.getusersitepackages() if site.ENABLE_USER_SITE else ""
if user and os.path.isdir(user):
    dirs.add(user)
for name in ("numpy", "scipy", "matplotlib", "numexpr"):
    try:
        module = __import__(name)
    except Exception:
        continue
    dirs.add(os.path.dirname(os.path.dirname(os.path.realpath(module.__file__))))
print(json.dumps({"dirs": sorted(d for d in dirs if d), "path": [p for p in sys.path if p]}))
"""
_PATHS_CACHE: dict[str, dict] = {}


def _interpreter_paths(python: str) -> dict:
    """``dirs`` (prefixes, site-packages, numpy's and scipy's home) and ``path`` (sys.path) of ``python -I``."""
    if python not in _PATHS_CACHE:
        import json

        try:
            done = subprocess.run([python, "-I", "-c", _PATHS_SCRIPT], capture_output=True, text=True, timeout=120,
                                  cwd="/")
            _PATHS_CACHE[python] = json.loads(done.stdout)
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise SandboxUnavailable(f"cannot ask {python} where its packages are ({exc})") from None
    return _PATHS_CACHE[python]


def _python_dirs(python: str) -> list[str]:
    """The directories the worker's interpreter needs, outermost first, none inside another."""
    dirs = set(_interpreter_paths(python)["dirs"]) | {str(Path(os.path.realpath(python)).parent.parent)}
    out = []
    for d in sorted(dirs, key=len):
        if d and os.path.isdir(d) and d != "/" and not any(_inside(d, o) for o in out):
            out.append(os.path.abspath(d))
    return out


def _installed_copies(python: str) -> list[str]:
    """Copies of the course package on the interpreter's path (e.g. installed in site-packages).

    They hold the reference solutions; the sandbox covers them with an empty tmpfs.
    """
    found = []
    for entry in _interpreter_paths(python)["path"]:
        candidate = os.path.join(entry, "cs231n_cnn")
        if os.path.isdir(candidate):
            found.append(os.path.realpath(candidate))
    return found


def _inside(path: str, parent: str) -> bool:
    path, parent = os.path.abspath(path), os.path.abspath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _unique_paths(paths) -> list[str]:
    out = []
    for p in paths:
        if p is None:
            continue
        p = os.path.realpath(str(p))
        if p not in out and p != "/":
            out.append(p)
    return out


def _sample_files(paths: list[str], per_dir: int = 3) -> list[str]:
    """The protected paths and a few files inside each, for the trial run to try to read."""
    out = []
    for p in paths:
        out.append(p)
        if os.path.isdir(p):
            try:
                files = sorted(f for f in os.listdir(p) if os.path.isfile(os.path.join(p, f)))
            except OSError:
                continue
            out += [os.path.join(p, f) for f in files[:per_dir]]
    return out


# --------------------------------------------------------------------------- pipes

def _read_frame(resp_fd: int, log_fd: int | None, deadline: float, max_bytes: int, on_log) -> bytes:
    """One frame from the worker, reading its output pipe meanwhile.

    Raises WorkerTimeout at ``deadline``, WorkerDied at end of file, and
    ProtocolError for a frame larger than ``max_bytes``.
    """
    sel = selectors.DefaultSelector()
    sel.register(resp_fd, selectors.EVENT_READ, "resp")
    if log_fd is not None:
        sel.register(log_fd, selectors.EVENT_READ, "log")
    header = bytearray()
    body = None
    got = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout()
            for key, _ in sel.select(timeout=left):
                if key.data == "log":
                    try:
                        chunk = os.read(log_fd, 65536)
                    except BlockingIOError:
                        continue
                    if chunk:
                        on_log(chunk)
                    else:
                        sel.unregister(log_fd)
                    continue
                try:
                    if body is None:
                        chunk = os.read(resp_fd, FRAME_HEADER.size - len(header))
                        if not chunk:
                            raise WorkerDied()
                        header += chunk
                        if len(header) == FRAME_HEADER.size:
                            (n,) = FRAME_HEADER.unpack(header)
                            if n > max_bytes:
                                raise ProtocolError(f"it sent a response of {n / 2**20:.0f} MiB; the limit is "
                                                    f"{max_bytes / 2**20:.0f} MiB")
                            body = bytearray(n)
                            view = memoryview(body)
                            if n == 0:
                                return bytes(body)
                    else:
                        k = os.readv(resp_fd, [view[got:]])
                        if k == 0:
                            raise WorkerDied()
                        got += k
                        if got == len(body):
                            return bytes(body)
                except BlockingIOError:
                    continue
    finally:
        sel.close()


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_WRITE)
    try:
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerTimeout()
            if not sel.select(timeout=left):
                continue
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                raise WorkerDied() from None
            view = view[n:]
    finally:
        sel.close()


def _drain(fd: int | None, on_log, seconds: float = 0.0) -> None:
    """Read what is waiting in the output pipe (up to ``seconds`` for more, until end of file)."""
    if fd is None:
        return
    end = time.monotonic() + seconds
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    try:
        while True:
            if not sel.select(timeout=max(0.0, end - time.monotonic())):
                return
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                return
            if not chunk:
                return
            on_log(chunk)
    finally:
        sel.close()


def _kill(proc, fds) -> int | None:
    """Kill the worker's whole process group and close our pipe ends; returns the exit status."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process in uninterruptible sleep
        rc = None
    for key in ("req", "resp", "log"):
        fd = fds.get(key)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
            fds[key] = None
    return rc


def _describe_exit(rc: int | None, mode: str, limits: Limits) -> str:
    """Why a worker process ended, in words a student can act on."""
    if rc is None:
        return "stopped responding"
    sig = -rc if rc < 0 else (rc - 128 if mode == "bwrap" and 128 < rc < 128 + 65 else None)
    if sig is None:
        return f"exited with code {rc} (sys.exit or os._exit in the submission's code?)"
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = f"signal {sig}"
    cpu = int(limits.cpu_seconds or limits.total_timeout)
    if sig == signal.SIGXCPU:
        return f"used up its CPU-time limit of {cpu} s"
    if sig == signal.SIGKILL:
        return (f"was killed (SIGKILL): it ran out of memory (limit {limits.memory_mb} MiB) or CPU time "
                f"(limit {cpu} s)")
    if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
        return (f"crashed with signal {name}; if it was allocating memory, it may have run out "
                f"(limit {limits.memory_mb} MiB)")
    return f"crashed with signal {name}"


def clean_text(text: str, limit: int = _MAX_MESSAGE) -> str:
    """One line of untrusted text: control characters and newlines replaced, length capped."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "?", text)
    text = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def clean_lines(text: str, max_lines: int = 12, limit: int = 2000) -> str:
    """Untrusted text kept as a few lines: a headline, then details such as the student's file and line.

    Control characters other than newline are replaced and blank lines
    dropped. The reports indent every line after the first, so a line of
    the student's cannot pose as one of the grader's (a fake ``PASS``).
    """
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "?", text[:limit])
    lines = [line.rstrip() for line in text.split("\n") if line.strip()]
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [f"[... {len(lines) - max_lines + 1} more lines]"]
    return "\n".join(lines) or "failed"


# --------------------------------------------------------------------------- the student

class SandboxStudent:
    """The submission's functions (in ``sandbox.submission_dir``), called in a sandboxed worker process.

    Same interface as :class:`~.student.InProcessStudent`. One worker serves
    all checks; after a crash, a timeout or a malformed response it is
    killed, the current part fails with a message saying which, and the
    next call starts a fresh worker. Objects of a killed worker are gone: a
    handle to one fails its part.

    The grader calls :meth:`start` once (a failure there is a
    :class:`SubmissionImportError`), then :meth:`begin_check` before each
    check and :meth:`take_log` after it.
    """

    mode = "sandbox"

    def __init__(self, sandbox: Sandbox, *, preload=()):
        self.sandbox = sandbox
        self.limits = sandbox.limits
        self.preload = ",".join(preload)
        self.mode = sandbox.mode
        self._proc = None
        self._fds: dict = {}
        self._epoch = 0
        self._handles: dict[int, tuple[int, int]] = {}
        self._next_handle = 0
        self._request_id = 0
        self._log = bytearray()
        self._log_dropped = 0
        self._submission_deadline = time.monotonic() + self.limits.total_timeout
        self._check_deadline = None
        self.starts = 0

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the first worker; raises SubmissionImportError if the package does not import."""
        deadline = min(time.monotonic() + self.limits.startup_timeout, self._submission_deadline)
        try:
            self._start_worker(deadline)
        except StudentError as exc:
            raise SubmissionImportError(exc.message, getattr(exc, "details", "")) from None

    def begin_check(self, name: str = "") -> None:
        """Start a check's time budget; objects from earlier checks are released."""
        self._check_deadline = min(time.monotonic() + self.limits.check_timeout, self._submission_deadline)
        self._epoch += 1
        self._handles.clear()
        if self._proc is not None:
            try:
                self._roundtrip({"op": "reset"}, time.monotonic() + 10)
            except (WorkerTimeout, WorkerDied, ProtocolError, StudentError):
                self._stop()

    def time_left(self) -> float:
        return self._submission_deadline - time.monotonic()

    def take_log(self) -> str:
        """What the student's code printed since the last call, truncated, as untrusted text."""
        if self._fds.get("log") is not None:
            _drain(self._fds["log"], self._on_log)
        data, dropped = bytes(self._log), self._log_dropped
        self._log.clear()
        self._log_dropped = 0
        if not data and not dropped:
            return ""
        text = data.decode("utf-8", "replace")
        text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "?", text)
        if dropped:
            text += f"\n[... {dropped} more bytes not shown]"
        return text

    def close(self) -> None:
        self._stop()

    # ------------------------------------------------------------ the student interface

    def call(self, name: str, *args, **kwargs):
        """Call the submission's ``cs231n_cnn.<name>(*args, **kwargs)``; plain data or handles come back."""
        return self._request(name, {"op": "call", "name": name, "args": list(args), "kwargs": kwargs})

    def call_method(self, handle: Handle, method: str, *args, **kwargs):
        return self._request(f"{handle.type_name}.{method}", {"op": "call_method", "handle": handle,
                                                              "method": method, "args": list(args),
                                                              "kwargs": kwargs})

    def get_attr(self, handle: Handle, attr: str):
        return self._request(f"{handle.type_name}.{attr}", {"op": "get_attr", "handle": handle, "attr": attr})

    # ------------------------------------------------------------ internals

    def _on_log(self, chunk: bytes) -> None:
        room = self.limits.log_bytes - len(self._log)
        if room > 0:
            self._log += chunk[:room]
        self._log_dropped += max(0, len(chunk) - max(room, 0))

    def _deadline(self) -> tuple[float, str]:
        now = time.monotonic()
        candidates = [(self._submission_deadline, f"the submission's time limit of {self.limits.total_timeout:g} s")]
        if self._check_deadline is not None:
            candidates.append((self._check_deadline, f"the check's time limit of {self.limits.check_timeout:g} s"))
        else:
            candidates.append((now + self.limits.check_timeout, f"the time limit of {self.limits.check_timeout:g} s"))
        if self.limits.call_timeout is not None:
            candidates.append((now + self.limits.call_timeout, f"the time limit of {self.limits.call_timeout:g} s "
                                                               f"per call"))
        return min(candidates)

    def _start_worker(self, deadline: float) -> None:
        self._stop()
        self.starts += 1
        try:
            self._proc, self._fds = self.sandbox.spawn_worker(["--preload", self.preload])
        except SandboxUnavailable as exc:
            raise StudentError(f"the grader could not start the student's process: {exc}") from None
        started = time.monotonic()
        max_bytes = 2**20
        try:
            hello = self._read(deadline, max_bytes)
            if type(hello) is not dict or hello.get("kind") != "hello":
                raise ProtocolError("no greeting")
            msg = self._read(deadline, max_bytes)
        except WorkerTimeout:
            self._stop()
            raise StudentError(f"importing the submission's cs231n_cnn timed out after "
                               f"{time.monotonic() - started:.0f} s") from None
        except WorkerDied:
            rc = self._stop(grace=2.0)
            raise StudentError("the process importing the submission's cs231n_cnn "
                               + _describe_exit(rc, self.mode, self.limits)) from None
        except ProtocolError as exc:
            self._stop()
            raise StudentError(f"the process importing the submission's cs231n_cnn sent a malformed "
                               f"message ({exc})") from None
        kind = msg.get("kind") if type(msg) is dict else None
        if kind == "import_error":
            self._stop()
            fields = {k: msg.get(k) if isinstance(msg.get(k), str) else "" for k in ("module", "error", "traceback")}
            raise _StartError(clean_text(f"importing the submission's {fields['module'] or 'package'} failed: "
                                         f"{fields['error'] or 'unknown error'}"), fields["traceback"][-4000:])
        if kind != "ready":
            self._stop()
            raise StudentError("the process importing the submission's cs231n_cnn sent an unexpected message")
        self._epoch += 1
        self._handles.clear()

    def _read(self, deadline: float, max_bytes: int):
        raw = _read_frame(self._fds["resp"], self._fds["log"], deadline, max_bytes, self._on_log)
        return decode(raw, untrusted=True, handle_factory=self._new_handle)

    def _new_handle(self, remote_id: int, type_name: str) -> Handle:
        self._next_handle += 1
        self._handles[self._next_handle] = (self._epoch, remote_id)
        return Handle(self._next_handle, type_name)

    def _remote_id(self, handle: Handle) -> int:
        entry = self._handles.get(handle.id)
        if entry is None or entry[0] != self._epoch:
            raise StudentError(f"the {handle.type_name} object is gone: the student's process was restarted "
                               f"after an earlier failure")
        return entry[1]

    def _roundtrip(self, msg: dict, deadline: float):
        self._request_id += 1
        msg["id"] = self._request_id
        try:
            payload = encode(msg, handle_type=Handle, handle_id=self._remote_id)
        except EncodeError as exc:
            raise TypeError(f"the grader cannot send {exc} to the student's process") from None
        _write_all(self._fds["req"], FRAME_HEADER.pack(len(payload)) + payload, deadline)
        resp = self._read(deadline, self.limits.max_response_mb * 2**20)
        if type(resp) is not dict or resp.get("id") != self._request_id or type(resp.get("ok")) is not bool:
            raise ProtocolError("a response that does not answer the request")
        if not resp["ok"]:
            error = resp.get("error")
            raise StudentError(clean_lines(error if isinstance(error, str) else "failed"))
        return resp.get("value")

    def _request(self, label: str, msg: dict):
        deadline, limit = self._deadline()
        if deadline <= time.monotonic():
            raise StudentError(f"{label} was not run: {limit} was used up")
        if self._proc is None:
            self._start_worker(deadline)
        started = time.monotonic()
        try:
            return self._roundtrip(msg, deadline)
        except WorkerTimeout:
            self._stop()
            raise StudentError(f"{label} timed out after {time.monotonic() - started:.0f} s ({limit})") from None
        except WorkerDied:
            rc = self._stop(grace=2.0)
            raise StudentError(f"{label}: the student's process {_describe_exit(rc, self.mode, self.limits)}") \
                from None
        except ProtocolError as exc:
            self._stop()
            raise StudentError(f"{label}: the student's process sent an unreadable response ({exc}); "
                               f"it was restarted") from None

    def _stop(self, grace: float = 0.0) -> int | None:
        """Kill the worker (after ``grace`` seconds to exit by itself, when it is ending anyway)."""
        if self._proc is None:
            return None
        proc, fds = self._proc, self._fds
        self._proc = None
        if grace > 0:
            try:  # its own exit status says more than the SIGKILL we would give it
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        # Whatever it printed before dying is part of this check's log.
        _drain(fds.get("log"), self._on_log, seconds=0.5)
        rc = _kill(proc, fds)
        self._fds = {}
        self._epoch += 1
        return rc

