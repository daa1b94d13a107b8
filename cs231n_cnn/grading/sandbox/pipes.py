"""The grader's ends of a worker's pipes, read and written without blocking past a deadline."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time

from ..runtime.protocol import FRAME_HEADER, ProtocolError
from .errors import WorkerDied, WorkerTimeout

# Helpers of the sandbox package only (spawn.py, client.py).
__all__ = ["read_worker_frame", "write_all", "drain", "kill_worker"]


def read_worker_frame(resp_fd: int, log_fd: int | None, deadline: float, max_bytes: int, on_log) -> bytes:
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


def write_all(fd: int, data: bytes, deadline: float) -> None:
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


def drain(fd: int | None, on_log, seconds: float = 0.0) -> None:
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


def kill_worker(proc, fds) -> int | None:
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
