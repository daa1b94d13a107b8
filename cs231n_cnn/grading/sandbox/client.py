"""The grader's side of one sandboxed worker: :class:`SandboxStudent`, with the interface of InProcessStudent."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from ..runtime.protocol import FRAME_HEADER, EncodeError, ProtocolError, decode, encode
from ..runtime.student import Handle, StudentError
from .errors import SandboxUnavailable, SubmissionImportError, WorkerDied, WorkerTimeout
from .limits import Limits
from .pipes import drain, kill_worker, read_worker_frame, write_all
from .spawn import Sandbox
from .text import clean_lines, clean_text, scrub

__all__ = ["SandboxStudent"]


class _StartError(StudentError):
    """A worker that did not start; ``details`` as in SubmissionImportError."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


def _describe_exit(rc: int | None, signal_in_exit_code: bool, limits: Limits) -> str:
    """Why a worker process ended, in words a student can act on.

    ``signal_in_exit_code``: the mode's launcher (bubblewrap) reports a
    worker killed by a signal as exit status 128 + the signal.
    """
    if rc is None:
        return "stopped responding"
    sig = -rc if rc < 0 else (rc - 128 if signal_in_exit_code and 128 < rc < 128 + 65 else None)
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
            drain(self._fds["log"], self._on_log)
        data, dropped = bytes(self._log), self._log_dropped
        self._log.clear()
        self._log_dropped = 0
        if not data and not dropped:
            return ""
        text = data.decode("utf-8", "replace")
        text = scrub(text)
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

    def set_item(self, handle: Handle, attr: str, key: str, value) -> None:
        """``obj.<attr>[key] = value`` in the worker (``value``: plain data, e.g. a parameter array)."""
        return self._request(f"{handle.type_name}.{attr}[{key!r}]", {"op": "set_item", "handle": handle,
                                                                     "attr": attr, "key": key, "value": value})

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
                               + _describe_exit(rc, self.sandbox.impl.signal_in_exit_code, self.limits)) from None
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
        raw = read_worker_frame(self._fds["resp"], self._fds["log"], deadline, max_bytes, self._on_log)
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
        write_all(self._fds["req"], FRAME_HEADER.pack(len(payload)) + payload, deadline)
        resp = self._read(deadline, self.limits.max_response_mb * 2**20)
        if type(resp) is not dict or resp.get("id") != self._request_id or type(resp.get("ok")) is not bool:
            raise ProtocolError("a response that does not answer the request")
        if not resp["ok"]:
            error, kinds = resp.get("error"), resp.get("kinds")
            # Untrusted like everything else from the worker: a short tuple of identifier-like names.
            if not (type(kinds) is tuple and len(kinds) <= 16
                    and all(type(k) is str and k.isidentifier() and len(k) <= 40 for k in kinds)):
                kinds = ()
            raise StudentError(clean_lines(error if isinstance(error, str) else "failed"), kinds=kinds)
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
            why = _describe_exit(rc, self.sandbox.impl.signal_in_exit_code, self.limits)
            raise StudentError(f"{label}: the student's process {why}") \
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
        drain(fds.get("log"), self._on_log, seconds=0.5)
        rc = kill_worker(proc, fds)
        self._fds = {}
        self._epoch += 1
        return rc
