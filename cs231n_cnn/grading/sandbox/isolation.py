"""What confines a worker beyond its own code: a user id of its own, a private view of the file system.

Used by :mod:`.spawn` when the grader runs as root:

* :func:`acquire_uid` gives each sandbox (one submission at a time) a user
  id that no account and no other concurrent worker has, held by a lock
  file until :meth:`UidSlot.release`. Everything the kernel counts or
  checks per user then belongs to one submission only: ``RLIMIT_NPROC``
  (threads included), signals, ``/proc/<pid>/mem``, files it creates.
* :class:`MountPlan` is a private mount namespace built in the child
  between ``fork`` and ``exec``, while it is still root: the grader's own
  directories covered by empty tmpfs, private size-limited ``/tmp``,
  ``/var/tmp`` and ``/dev/shm``, and the directories the worker needs made
  reachable even when they sit under an unreadable home (``/root/.pyenv``):
  the unreadable ancestor is covered by a tmpfs of mode 0755 and the needed
  directory is bound back inside it from a file descriptor opened before.
* :func:`reachability_problem` says, in one sentence, why a user cannot
  reach a directory (bubblewrap started by the sandbox's user id needs to).
* :func:`remove_leftovers` deletes what a user id left in the shared
  temporary directories and System V IPC (the container mode has no private ones).

Only the standard library: this runs in the grader, never in the sandbox.
"""

from __future__ import annotations

import ctypes
import fcntl
import grp
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field

__all__ = ["UidSlot", "acquire_uid", "MountPlan", "plan_mounts", "reachability_problem", "blocking_ancestor",
           "remove_leftovers", "processes_of", "UID_BASE", "UID_SLOTS", "PRIVATE_TMP"]

# Far above any account a distribution or a directory service hands out; below 2**31
# so that no tool that stores uids as signed ints misreads them.
UID_BASE = 2_100_000_000
UID_SLOTS = 1000
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")

_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x1000, 0x4000, 0x40000
_IPC_RMID = 0


# --------------------------------------------------------------------------- user ids

@dataclass
class UidSlot:
    """A user id (and group id, the same number) held for one sandbox until :meth:`release`."""

    uid: int
    lock_fd: int | None = field(default=None, repr=False)

    @property
    def gid(self) -> int:
        return self.uid

    def release(self) -> None:
        kill_processes_of(self.uid)
        if self.lock_fd is not None:
            os.close(self.lock_fd)     # closing drops the flock
            self.lock_fd = None


def _lock_dir() -> str:
    for d in ("/run/cs231n-grader", os.path.join(tempfile.gettempdir(), f"cs231n-grader-{os.geteuid()}")):
        try:
            os.makedirs(d, mode=0o700, exist_ok=True)
            st = os.lstat(d)
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077:
                return d
        except OSError:
            continue
    raise OSError("no private directory for the grader's uid locks (/run/cs231n-grader or one in /tmp)")


def _account_exists(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        pass
    try:
        grp.getgrgid(uid)
        return True
    except KeyError:
        return False


def acquire_uid(base: int = UID_BASE, slots: int = UID_SLOTS) -> UidSlot:
    """A free user id from ``base .. base + slots``, locked for this process; needs no account.

    Any process still running under the id (left by a grader that was
    killed) is killed first.
    """
    locks = _lock_dir()
    for uid in range(base, base + slots):
        if _account_exists(uid):
            continue
        fd = os.open(os.path.join(locks, f"uid-{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        kill_processes_of(uid)
        return UidSlot(uid, fd)
    raise OSError(f"all {slots} sandbox user ids from {base} are in use")


def processes_of(uid: int) -> list[int]:
    """Process ids whose real or effective user id is ``uid``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        real, effective = (int(v) for v in line.split()[1:3])
                        if uid in (real, effective):
                            pids.append(int(entry))
                        break
        except (OSError, ValueError):
            continue
    return pids


def kill_processes_of(uid: int) -> None:
    if os.geteuid() != 0:
        return
    for pid in processes_of(uid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# --------------------------------------------------------------------------- reaching directories

def blocking_ancestor(path: str) -> str | None:
    """The outermost ancestor of ``path`` that other users cannot traverse (no o+x), or None."""
    parts = os.path.abspath(path).split("/")[1:]
    current = ""
    for part in parts[:-1]:
        current += "/" + part
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return current
        if not mode & stat.S_IXOTH:
            return current
    return None


def _describe(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"{path} ({exc.strerror})"
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    return f"{path} is {stat.filemode(st.st_mode)} {owner}"


def reachability_problem(dirs, who: str) -> str | None:
    """Why ``who`` (a user with no owner or group rights) cannot read one of ``dirs``; None if it can."""
    for d in dirs:
        blocker = blocking_ancestor(d)
        if blocker is not None:
            return f"{who} cannot reach {d}: {_describe(blocker)}"
        try:
            mode = os.stat(d).st_mode
        except OSError as exc:
            return f"{who} cannot reach {d}: {exc.strerror}"
        if (mode & 0o005) != 0o005:
            return f"{who} cannot read {d}: {_describe(d)}"
    return None


# --------------------------------------------------------------------------- the mount namespace

def _inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


@dataclass
class MountPlan:
    """Mounts applied in the child, as root, before it drops to the sandbox user.

    ``covers`` are directories hidden by an empty tmpfs (mode 0755); ``tmp``
    directories get a fresh tmpfs of mode 1777 and ``tmp_bytes``; ``binds``
    are directories bound back (read-only for the worker, since it owns
    nothing there) after the covers; ``inner_covers`` hide paths inside
    the bound directories. ``unshare`` is the set of namespace flags.
    """

    covers: list[str]
    tmp: list[str]
    binds: list[str]
    inner_covers: list[str]
    tmp_bytes: int
    unshare: int = _CLONE_NEWNS
    _libc: object = field(default=None, repr=False)

    def apply(self, report_fd: int | None = None) -> None:
        """Run in the child (root, single-threaded, after fork). Raises OSError after writing why to ``report_fd``."""
        libc = self._libc

        def call(what, rc):
            if rc != 0:
                err = ctypes.get_errno()
                message = f"{what}: {os.strerror(err)}"
                if report_fd is not None:
                    try:
                        os.write(report_fd, message.encode()[:500])
                    except OSError:
                        pass
                raise OSError(err, message)

        def mount(source, target, fstype, flags, data):
            call(f"mount {target}", libc.mount(source, target.encode(), fstype, ctypes.c_ulong(flags), data))

        call("unshare", libc.unshare(self.unshare))
        mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)
        # Opened in the new namespace (a bind from a mount of another namespace is refused)
        # and before the covers hide them.
        fds = []
        for path in self.binds:
            try:
                fds.append(os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC))
            except OSError as exc:
                call(f"open {path}: {exc.strerror}", -1)
        options = f"mode=0755,size={1 << 20}".encode()
        for cover in self.covers:
            mount(b"tmpfs", cover, b"tmpfs", _MS_NOSUID | _MS_NODEV, options)
        tmp_options = f"mode=1777,size={self.tmp_bytes}".encode()
        for d in self.tmp:
            mount(b"tmpfs", d, b"tmpfs", _MS_NOSUID | _MS_NODEV, tmp_options)
        for path, fd in zip(self.binds, fds):
            os.makedirs(path, mode=0o755, exist_ok=True)
            mount(f"/proc/self/fd/{fd}".encode(), path, None, _MS_BIND | _MS_REC, None)
        for cover in self.inner_covers:
            mount(b"tmpfs", cover, b"tmpfs", _MS_NOSUID | _MS_NODEV, options)


def plan_mounts(needed, hide=(), *, private_tmp: bool = False, tmp_bytes: int = 64 << 20,
                private_ipc_net: bool = False) -> MountPlan:
    """A :class:`MountPlan` that makes ``needed`` reachable, hides ``hide`` and, optionally, makes /tmp private.

    ``needed`` are directories the worker must read (the interpreter's, the
    staging directory); ``hide`` the grader's own. A hidden directory that
    holds a needed one (a checkout's ``.venv``) is covered and the needed
    one bound back into it.
    """
    needed = [os.path.realpath(d) for d in dict.fromkeys(needed)]
    hide = [os.path.realpath(h) for h in dict.fromkeys(hide) if os.path.isdir(h)]
    tmp = [d for d in PRIVATE_TMP if private_tmp and os.path.isdir(d) and not os.path.islink(d)]
    covers = set()
    for d in needed:
        blocker = blocking_ancestor(d)
        if blocker is not None:
            covers.add(blocker)
    inner = []
    for h in hide:
        if any(_inside(h, n) and h != n for n in needed):
            inner.append(h)          # e.g. the course package installed in site-packages
        else:
            covers.add(h)            # a needed directory inside it is bound back below
    # Outermost first; a cover inside another cover (or a private tmp) is hidden already.
    ordered = []
    for c in sorted(covers, key=lambda p: (p.count("/"), p)):
        if not any(_inside(c, o) for o in ordered + tmp):
            ordered.append(c)
    hidden_roots = ordered + tmp
    binds = []
    for d in sorted(needed, key=lambda p: (p.count("/"), p)):
        if any(_inside(d, r) for r in hidden_roots) and not any(_inside(d, b) for b in binds):
            binds.append(d)
    flags = _CLONE_NEWNS | ((_CLONE_NEWIPC | _CLONE_NEWNET) if private_ipc_net else 0)
    return MountPlan(ordered, tmp, binds, sorted(set(inner)), tmp_bytes, flags,
                     ctypes.CDLL(None, use_errno=True))


def namespaces_available() -> str | None:
    """None if this process may build a private mount namespace for a child; else why not."""
    if os.geteuid() != 0:
        return "needs root"
    if shutil.which("unshare") is None:
        return None     # let the trial run decide
    try:
        done = subprocess.run(["unshare", "--mount", "--ipc", "--net", "true"], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed ({exc})"
    if done.returncode != 0:
        return f"unshare: {done.stderr.strip()[-200:] or 'failed'}"
    return None


# --------------------------------------------------------------------------- leftovers

def remove_leftovers(uid: int, dirs=PRIVATE_TMP) -> list[str]:
    """Delete files owned by ``uid`` at the top of the shared temporary directories and its System V IPC.

    For the ``container`` mode, which has no private /tmp or IPC namespace;
    returns what was removed, for the report's notes.
    """
    removed = []
    for d in dirs:
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if e.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path, ignore_errors=True)
                else:
                    os.unlink(e.path)
                removed.append(e.path)
            except OSError:
                continue
    libc = ctypes.CDLL(None, use_errno=True)
    remove = {"shm": lambda i: libc.shmctl(i, _IPC_RMID, None), "msg": lambda i: libc.msgctl(i, _IPC_RMID, None),
              "sem": lambda i: libc.semctl(i, 0, _IPC_RMID)}
    found = []
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}", encoding="ascii") as f:
                header = f.readline().split()
                rows = [line.split() for line in f]
        except OSError:
            continue
        try:
            id_col, uid_col = header.index({"shm": "shmid", "msg": "msqid", "sem": "semid"}[kind]), header.index("uid")
        except ValueError:
            continue
        found += [(kind, int(row[id_col])) for row in rows
                  if len(row) > max(id_col, uid_col) and row[uid_col] == str(uid)]
    if not found:
        return removed
    # Root in a container lacks CAP_IPC_OWNER (not among Docker's default capabilities): the
    # owner itself removes its objects, in a child that takes its user id.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            done = [i for i, (kind, ipc_id) in enumerate(found) if remove[kind](ipc_id) == 0]
            os.write(write_end, ",".join(map(str, done)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        answer = f.read().decode()
    os.waitpid(pid, 0)
    for i in (int(v) for v in answer.split(",") if v):
        removed.append(f"System V {found[i][0]} {found[i][1]}")
    return removed
