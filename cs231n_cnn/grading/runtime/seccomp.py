"""The seccomp filter the worker installs before any student code runs.

A classic-BPF filter built here and installed with the seccomp(2) system
call through ctypes (no compiled code): no new processes, no ``exec``, no
signals to other processes, no ``ptrace``, no network sockets. It is the
defence that does not depend on user ids: ``RLIMIT_NPROC`` is not enforced
for root, and bubblewrap run by root maps the sandbox user to root outside.

Part of the runtime copied into the sandbox: only the standard library.
"""

from __future__ import annotations

import os
import sys

__all__ = ["install_seccomp"]

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SYSCALLS = {  # name -> (x86_64, aarch64); None where the architecture has no such call
    "fork": (57, None), "vfork": (58, None), "execve": (59, 221), "execveat": (322, 281),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "tkill": (200, 130), "pidfd_open": (434, 434), "pidfd_send_signal": (424, 424),
    "pidfd_getfd": (438, 438), "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427), "mq_open": (240, 180), "bpf": (321, 280),
    "perf_event_open": (298, 241), "unshare": (272, 97), "setns": (308, 268), "mount": (165, 40),
    "umount2": (166, 39), "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "userfaultfd": (323, 282), "memfd_create": (319, 279), "process_madvise": (440, 440), "kcmp": (312, 272),
    "migrate_pages": (256, 238), "move_pages": (279, 239), "open_by_handle_at": (304, 265),
    # Handled specially below.
    "clone": (56, 220), "clone3": (435, 435), "kill": (62, 129), "tgkill": (234, 131),
    "rt_sigqueueinfo": (129, 138), "rt_tgsigqueueinfo": (297, 240),
    "prlimit64": (302, 261), "setpriority": (141, 140), "sched_setaffinity": (203, 122),
    "sched_setscheduler": (144, 119), "sched_setparam": (142, 118), "sched_setattr": (314, 274),
    "ioprio_set": (251, 30),
    "socket": (41, 198), "seccomp": (317, 277),
}
# socket: no network and no local services (a Docker socket, say) even without bubblewrap;
# socketpair, which reaches nothing outside the process, stays allowed.
# memfd_create: its memory is counted by no RLIMIT_AS (720 MiB were held under a 512 MiB limit).
# mq_open: a POSIX message queue lives in no directory the grader cleans and would outlive the submission.
_DENY = ("fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "tkill",
         "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "io_uring_setup", "io_uring_enter",
         "io_uring_register", "mq_open", "bpf", "perf_event_open",
         "unshare", "setns", "mount", "umount2", "keyctl", "add_key", "request_key", "userfaultfd", "socket",
         "memfd_create", "process_madvise", "kcmp", "migrate_pages", "move_pages", "open_by_handle_at")
# Calls whose first argument is a process (0 = the caller): allowed on this process only.
# rt_sigqueueinfo delivers a signal just as kill does; prlimit64 and the scheduling
# calls would change another process's limits or priority (the grader's, say).
_SELF_ONLY_ARG0 = ("kill", "rt_sigqueueinfo", "prlimit64", "sched_setaffinity", "sched_setscheduler",
                   "sched_setparam", "sched_setattr")
_SELF_ONLY_ARG1 = ("setpriority", "ioprio_set")          # (which, who, ...): who = 0 or this process
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000


def _seccomp_program(arch: str, pid: int) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions; ``pid`` is this process's id (signals to itself stay allowed)."""
    col = 0 if arch == "x86_64" else 1
    nr = {name: nums[col] for name, nums in _SYSCALLS.items() if nums[col] is not None}
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
    ALLOW, KILL = 0x7FFF0000, 0x80000000
    errno = lambda e: 0x00050000 | e  # noqa: E731 - SECCOMP_RET_ERRNO
    prog: list = []
    labels: dict[str, int] = {}

    def jump(code, k, jt, jf):  # jt/jf: label names or None for "next instruction"
        prog.append([code, jt, jf, k])

    def label(name):
        labels[name] = len(prog)

    jump(LD, 4, None, None)                               # seccomp_data.arch
    jump(JEQ, _AUDIT_ARCH[arch], None, "kill")
    jump(LD, 0, None, None)                               # seccomp_data.nr
    if arch == "x86_64":
        jump(JGE, 0x40000000, "eperm", None)              # the x32 ABI: a second numbering for every call
    for name in _DENY:
        if name in nr:
            jump(JEQ, nr[name], "eperm", None)
    jump(JEQ, nr["clone3"], "enosys", None)               # flags sit behind a pointer: make libc fall back to clone
    jump(JEQ, nr["clone"], "clone", None)
    for name in _SELF_ONLY_ARG0:
        jump(JEQ, nr[name], "self_arg0", None)
    for name in _SELF_ONLY_ARG1:
        jump(JEQ, nr[name], "self_arg1", None)
    jump(JEQ, nr["tgkill"], "tgid_arg0", None)
    jump(JEQ, nr["rt_tgsigqueueinfo"], "tgid_arg0", None)
    jump(RET, ALLOW, None, None)
    label("clone")                                         # threads yes, processes no
    jump(LD, 16, None, None)                              # args[0] (low 32 bits): flags
    jump(JSET, _CLONE_THREAD, "allow", "eperm")
    label("self_arg0")                                     # kill(pid, sig) etc.: this process, 0, or its group
    jump(LD, 16, None, None)
    jump(JEQ, pid, "allow", None)
    jump(JEQ, 0, "allow", None)
    jump(JEQ, (-pid) & 0xFFFFFFFF, "allow", "eperm")
    label("self_arg1")                                     # setpriority(which, who, prio): who is args[1]
    jump(LD, 24, None, None)
    jump(JEQ, pid, "allow", None)
    jump(JEQ, 0, "allow", "eperm")
    label("tgid_arg0")                                     # tgkill(tgid, tid, sig): threads of this process
    jump(LD, 16, None, None)
    jump(JEQ, pid, "allow", "eperm")
    label("allow")
    jump(RET, ALLOW, None, None)
    label("eperm")
    jump(RET, errno(_EPERM), None, None)
    label("enosys")
    jump(RET, errno(_ENOSYS), None, None)
    label("kill")
    jump(RET, KILL, None, None)
    out = []
    for i, (code, jt, jf, k) in enumerate(prog):
        def rel(target):
            if target is None:
                return 0
            d = labels[target] - i - 1
            if not 0 <= d <= 255:
                raise AssertionError("seccomp jump out of range")
            return d
        out.append((code, rel(jt), rel(jf), k & 0xFFFFFFFF))
    return out


def install_seccomp() -> str:
    """Install the filter on every thread of this process; returns "on" or why not."""
    import ctypes
    import platform

    arch = platform.machine()
    if sys.platform != "linux" or arch not in _AUDIT_ARCH:
        return f"unavailable on {sys.platform}/{arch}"
    prog = _seccomp_program(arch, os.getpid())

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*ins) for ins in prog])
    fprog = SockFprog(len(prog), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 38, 1, 1
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"unavailable (prctl: {os.strerror(ctypes.get_errno())})"
    nr = _SYSCALLS["seccomp"][0 if arch == "x86_64" else 1]
    libc.syscall.restype = ctypes.c_long
    if libc.syscall(ctypes.c_long(nr), SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                    ctypes.byref(fprog)) != 0:
        return f"unavailable (seccomp: {os.strerror(ctypes.get_errno())})"
    return "on"
