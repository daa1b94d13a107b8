"""The sandbox modes: one class each, with one job: how a worker of that mode is confined.

A mode says whether it can run here (:meth:`Mode.check`), where the
submission's staging directory goes (:meth:`Mode.stage_parent`), how a
worker starts (:meth:`Mode.launch`: what comes before the interpreter, the
paths the worker sees, what the child does as root before it drops to the
sandbox's user id), what its trial run must show (:meth:`Mode.verify`) and
what is cleaned up after the submission (:meth:`Mode.cleanup`). The class
attributes say what it confines and, next to bubblewrap, what it lacks:
the reports print both. :class:`~.spawn.Sandbox` does the rest the same way
for every mode (resource limits, the user id, the pipes, the trial run).

A new mode is one class here, added to :data:`MODE_CLASSES`, and its tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Callable, ClassVar

from . import isolation, rootfs
from .errors import SandboxUnavailable
from .interpreter import installed_copies, is_inside, python_dirs, unique_paths

__all__ = ["Mode", "Launch", "BwrapMode", "UserMode", "ContainerMode", "NoneMode", "MODE_CLASSES", "AUTO_ORDER"]

SANDBOX_UID = SANDBOX_GID = 65534      # nobody / nogroup inside bubblewrap
SUBMISSION_MOUNT = "/submission"
RUNTIME_MOUNT = "/grader-runtime"
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


@dataclass
class Launch:
    """How one worker starts: ``prefix`` comes before the interpreter; the paths are the worker's view.

    ``setup(report_fd)`` runs in the child, as root, after the resource
    limits and before it drops to the sandbox's user id; on failure it
    writes why to ``report_fd`` and raises OSError.
    """

    runtime: str
    submission: str
    home: str
    cwd: str
    prefix: list[str] = field(default_factory=list)
    setup: Callable[[int], None] | None = None


class Mode:
    """One way of confining the student's process; ``box`` is the :class:`~.spawn.Sandbox` it serves."""

    name: ClassVar[str]
    summary: ClassVar[str]                 # what it is, for the report's ``sandbox:`` line
    isolating: ClassVar[bool] = True       # auto may choose it
    lacks: ClassVar[str] = ""              # what it lacks next to bubblewrap ("" for none)
    signal_in_exit_code: ClassVar[bool] = False   # a killed worker shows as exit status 128 + signal

    def __init__(self, box):
        self.box = box

    def check(self, *, auto: bool) -> None:
        """Raise :class:`SandboxUnavailable` (saying why) where this mode cannot run; ``auto``: chosen by auto."""

    def stage_parent(self) -> str | None:
        """Where the staging directory is made (None: the system's temporary directory)."""
        return None

    def samples(self) -> list[str]:
        """Paths the trial run tries to read: none may be readable from an isolating mode."""
        return self.box.protected + installed_copies(self.box.python)

    def shown(self) -> list[str]:
        """Directories the worker sees by design: a protected directory holding one may show it (its
        other files are sampled on their own)."""
        return python_dirs(self.box.python)

    def launch(self) -> Launch:
        raise NotImplementedError

    def verify(self, report: dict) -> None:
        """Mode-specific checks of the trial run's report (the common ones are in :class:`~.spawn.Sandbox`)."""
        slot = self.box.slot
        if slot is not None and report.get("uid") != slot.uid:
            raise SandboxUnavailable(f"the worker ran as uid {report.get('uid')}, not the sandbox's {slot.uid}")

    def cleanup(self) -> list[str]:
        """After the submission (its processes are killed already): what was removed, for the notes."""
        return []

    def _own_paths(self) -> Launch:
        box = self.box
        return Launch(str(box.runtime), str(box.submission_dir), str(box.home), str(box.home))


class BwrapMode(Mode):
    """bubblewrap: new user, pid, network, IPC and UTS namespaces; the system read-only; private /tmp."""

    name = "bwrap"
    summary = "bubblewrap"
    signal_in_exit_code = True

    def __init__(self, box):
        super().__init__(box)
        self.bwrap: str | None = None
        self.extra: list[str] = []
        self.tmpfs_size = False

    def check(self, *, auto: bool) -> None:
        self.bwrap = shutil.which("bwrap")
        if self.bwrap is None:
            raise SandboxUnavailable("bubblewrap is not installed (apt-get install bubblewrap)")
        help_text = subprocess.run([self.bwrap, "--help"], capture_output=True, text=True, timeout=30).stdout
        self.extra = [opt for opt in ("--disable-userns",) if opt in help_text]
        self.tmpfs_size = "--size" in help_text

    def verify(self, report: dict) -> None:
        if report.get("uid") != SANDBOX_UID:    # outside, the slot's uid (when root) starts bubblewrap
            raise SandboxUnavailable(f"the worker ran as uid {report.get('uid')} inside bubblewrap, not "
                                     f"{SANDBOX_UID}")

    def launch(self) -> Launch:
        box = self.box
        plan = None
        if box.slot is not None:
            # bubblewrap itself hides the grader's files; the namespace only makes the
            # interpreter reachable for the unprivileged user that starts bubblewrap.
            needed = python_dirs(box.python) + [str(box.stage)]
            if isolation.reachability_problem(needed, "") is not None:
                try:
                    plan = isolation.plan_mounts(needed)
                except OSError as exc:
                    raise SandboxUnavailable(f"cannot prepare the sandbox's mounts ({exc})") from None
        return Launch(RUNTIME_MOUNT, SUBMISSION_MOUNT, "/tmp", "/", self.argv() + ["--"],
                      plan.apply if plan is not None else None)

    def argv(self) -> list[str]:
        """bubblewrap's options: what the worker sees."""
        box = self.box
        size = ["--size", str(box.limits.file_size_mb * 2**20)] if self.tmpfs_size else []
        argv = [self.bwrap, "--unshare-all", "--unshare-user", *self.extra,
                "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID), "--hostname", "sandbox",
                "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        # The private /tmp comes first: directories bound below may lie under /tmp
        # (a checkout's .venv, say) and must be mounted on top of it, not hidden by it.
        argv += [*size, "--tmpfs", "/tmp"]
        binds = []
        for d in _SYSTEM_DIRS:
            if os.path.islink(d):
                argv += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                binds.append(d)
        binds += [p for p in python_dirs(box.python) if not any(is_inside(p, b) for b in binds)]
        for b in binds:
            argv += ["--ro-bind", b, b]
        argv += ["--proc", "/proc", "--dev", "/dev"]
        # /dev/shm on bubblewrap's /dev would be limited by nothing but the machine's memory.
        argv += [*size, "--tmpfs", "/dev/shm"]
        # The grader's files that happen to lie inside a bound directory (say, the
        # course package installed into site-packages) are covered by empty tmpfs.
        hide = [p for p in box.protected + installed_copies(box.python)
                if any(is_inside(p, b) and p != b for b in binds)]
        for p in unique_paths(hide):
            argv += ["--tmpfs", p]
        argv += ["--ro-bind", str(box.runtime), RUNTIME_MOUNT,
                 "--ro-bind", str(box.submission_dir), SUBMISSION_MOUNT,
                 # The directories made for the mount points (/work/main for a bound .venv, say)
                 # would otherwise be writable: only /tmp and /dev/shm are.
                 "--remount-ro", "/", "--chdir", "/tmp"]
        return argv


class UserMode(Mode):
    """Root without bubblewrap: a user id of its own in private mount, IPC and network namespaces."""

    name = "user"
    summary = "a user id of its own + private mounts"

    def check(self, *, auto: bool) -> None:
        if os.geteuid() != 0:
            raise SandboxUnavailable("switching to a user id of its own needs root")
        why = isolation.namespaces_available()
        if why is not None:
            raise SandboxUnavailable(f"the kernel refuses private mount, IPC and network namespaces ({why})")

    def shown(self) -> list[str]:
        return super().shown() + [str(self.box.stage)]

    def launch(self) -> Launch:
        box = self.box
        try:
            plan = isolation.plan_mounts(python_dirs(box.python) + [str(box.stage)],
                                         box.protected + installed_copies(box.python), private_tmp=True,
                                         tmp_bytes=box.limits.file_size_mb * 2**20, private_ipc_net=True)
        except OSError as exc:
            raise SandboxUnavailable(f"cannot prepare the sandbox's mounts ({exc})") from None
        launch = self._own_paths()
        launch.setup = plan.apply
        return launch


class ContainerMode(Mode):
    """Root where namespaces are refused (a container): a user id of its own, chrooted into a staged tree.

    The tree (:mod:`.rootfs`) holds the interpreter, its standard library,
    NumPy and SciPy, and the submission's staging directory: the grader's
    files are not in it, whatever their permissions.
    """

    name = "container"
    summary = "a user id of its own + a chroot holding only Python, NumPy and SciPy; no namespaces"
    lacks = ("private network, IPC and pid namespaces (seccomp and its user id alone stop sockets, signals "
             "and ptrace); a private /tmp (its root's /tmp, /var/tmp and /dev/shm are shared by the submissions "
             "graded at once, and emptied of its files after it); a bound on the disk it fills there")

    def __init__(self, box):
        super().__init__(box)
        self.tree: rootfs.RootTree | None = None

    def check(self, *, auto: bool) -> None:
        if os.geteuid() != 0:
            raise SandboxUnavailable("the container mode needs a grader running as root (it switches the "
                                     "student's process to a user id of its own and chroots it)")
        if auto:
            why = isolation.namespaces_available()
            if why is None:
                raise SandboxUnavailable("not needed: this machine allows namespaces, which the user mode uses")
        self.tree = rootfs.root_tree(self.box.python)

    def stage_parent(self) -> str | None:
        return self.tree.stages

    def launch(self) -> Launch:
        box, tree = self.box, self.tree
        root, home = tree.path, tree.inside(str(box.home))

        def setup(report_fd: int) -> None:
            try:
                os.chroot(root)
                os.chdir(home)
            except OSError as exc:
                try:
                    os.write(report_fd, f"chroot {root}: {exc.strerror}".encode()[:500])
                except OSError:
                    pass
                raise

        return Launch(tree.inside(str(box.runtime)), tree.inside(str(box.submission_dir)), home, str(box.home),
                      setup=setup)

    def cleanup(self) -> list[str]:
        slot = self.box.slot
        if slot is None or self.tree is None:
            return []
        dirs = [*self.tree.shared_dirs(), *isolation.PRIVATE_TMP]
        return isolation.remove_leftovers(slot.uid, dirs)


class NoneMode(Mode):
    """Resource limits and seccomp only, as the grader's own user: not isolated; only when asked for by name."""

    name = "none"
    summary = "rlimits only (NOT isolated)"
    isolating = False
    lacks = "everything: the student's code runs as the grader's user, seeing all the grader sees"

    def samples(self) -> list[str]:
        return list(self.box.protected)

    def verify(self, report: dict) -> None:
        if os.geteuid() == 0 and self.box.seccomp != "on":
            raise SandboxUnavailable("refusing to run untrusted code as root with neither a sandbox nor seccomp")

    def launch(self) -> Launch:
        return self._own_paths()


MODE_CLASSES: dict[str, type[Mode]] = {cls.name: cls for cls in (BwrapMode, UserMode, ContainerMode, NoneMode)}
AUTO_ORDER = tuple(name for name, cls in MODE_CLASSES.items() if cls.isolating)     # best first
