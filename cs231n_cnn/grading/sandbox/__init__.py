"""Running a submission's code in a separate, confined process.

:class:`Sandbox` decides how worker processes start and holds the files they
see; :class:`SandboxStudent` is the grader's side of one worker, with the
interface of :class:`~..runtime.student.InProcessStudent` (``call``, ``call_method``,
``get_attr``, ``set_item``, ``close``), so every check runs unchanged::

    sandbox = Sandbox("auto")      # then copy the submission's package into sandbox.submission_dir
    run_check_def(check, SandboxStudent(sandbox))

Four modes, each a class of :mod:`.modes`; ``auto`` tries the three
isolating ones in this order, keeps the first that passes a trial run, and
never picks ``none``:

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
    own System V IPC, no network. Needs the kernel to allow the namespaces.
``container``
    as root where the kernel refuses namespaces (a Docker container, a
    Kubernetes pod; ``auto`` takes it only there): a user id of its own,
    chrooted into a tree holding the interpreter, its standard library,
    NumPy and SciPy (:mod:`.rootfs`) and its staging directory. The grader's
    files are not in that tree, whatever their permissions. It lacks
    private namespaces and a private /tmp (shared by submissions graded at
    once, and emptied of each one's files and System V IPC after it); the
    reports say so.
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
plain data (:func:`..runtime.protocol.decode`); the student's stdout and
stderr go to another pipe whose first bytes are kept per check and shown as
untrusted text. Nothing is ever parsed from them.

The parts: :mod:`.limits` (what a worker may use), :mod:`.errors`,
:mod:`.isolation` (user ids and private mounts), :mod:`.interpreter` (what
the worker's interpreter needs to see), :mod:`.modes` (one class per mode),
:mod:`.rootfs` (the container mode's root), :mod:`.spawn` (:class:`Sandbox`:
choosing a mode and starting workers), :mod:`.pipes` (reading and writing
the worker's pipes under a deadline), :mod:`.client` (:class:`SandboxStudent`)
and :mod:`.text` (untrusted text made safe to show).
"""

from __future__ import annotations

from .client import SandboxStudent
from .errors import SandboxUnavailable, SubmissionImportError, WorkerDied, WorkerTimeout
from .limits import Limits
from .modes import MODE_CLASSES, Mode
from .spawn import ISOLATING, MODES, NO_SANDBOX_HELP, RUNTIME_MOUNT, SANDBOX_GID, SANDBOX_UID, SUBMISSION_MOUNT, Sandbox
from .text import clean_lines, clean_text, scrub

__all__ = ["Limits", "Sandbox", "SandboxStudent", "SandboxUnavailable", "SubmissionImportError", "MODES", "Mode",
           "MODE_CLASSES",
           "ISOLATING", "NO_SANDBOX_HELP", "clean_text", "clean_lines", "scrub", "WorkerTimeout", "WorkerDied",
           "SANDBOX_UID", "SANDBOX_GID", "SUBMISSION_MOUNT", "RUNTIME_MOUNT"]
