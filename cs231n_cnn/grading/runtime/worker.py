"""The worker program: serves a submission's ``cs231n_cnn`` to the grader from inside the sandbox.

Run by :mod:`..sandbox` as a standalone script (``python -I worker.py ...``)
from a copy of this runtime directory. It cannot see the grader's package,
so it imports nothing from it: its siblings :mod:`protocol`,
:mod:`seccomp` and :mod:`student` (:class:`InProcessStudent`, exactly the
rules the notebooks use) are imported as top-level modules from its own
directory. Before any student code runs it installs the seccomp filter,
then imports the submission's ``cs231n_cnn`` from the submission directory
only and serves ``call`` / ``call_method`` / ``get_attr`` / ``set_item`` / ``reset``
requests. The student's stdout and stderr go to a separate pipe and are
shown as text by the grader, never parsed.

Part of the runtime copied into the sandbox: only the standard library and NumPy
(and SciPy, imported by the trial run to show the checks can use it).
"""

from __future__ import annotations

import os
import sys

import numpy as np

if __package__:  # imported as cs231n_cnn.grading.runtime.worker (the grader, tests)
    from . import student as plain
    from .protocol import EncodeError, decode, encode, read_frame, write_frame
    from .seccomp import install_seccomp
else:  # run as a script in the sandbox: the siblings sit beside it, without their package
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import student as plain
    from protocol import EncodeError, decode, encode, read_frame, write_frame
    from seccomp import install_seccomp

__all__ = ["main", "install_seccomp"]

# The submission's package (a constant here, not cs231n_cnn.paths.PACKAGE: this file runs without the package).
PACKAGE = "cs231n_cnn"

def _submission_traceback(exc: BaseException, root: str, limit: int = 10) -> str:
    """The traceback of ``exc`` through the submission's files only (the worker's frames say nothing)."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root.rstrip("/") + "/")]
    text = "".join(traceback.format_list(frames[-limit:]))
    text += "".join(traceback.format_exception_only(type(exc), exc))
    return text.rstrip()[-4000:]


_importing = [PACKAGE]   # the module being imported, for the error message


def _import_submission(root: str, preload: list[str]) -> str:
    """Import ``cs231n_cnn`` (and ``preload`` submodules) from ``root`` only; return its __file__."""
    import importlib
    import importlib.machinery

    # Only the standard finders: an editable install of the course package
    # (a finder in site-packages) must not win over the submission.
    sys.meta_path[:] = [f for f in sys.meta_path
                        if f in (importlib.machinery.BuiltinImporter, importlib.machinery.FrozenImporter,
                                 importlib.machinery.PathFinder)]
    sys.path.insert(0, root)
    package = importlib.import_module(PACKAGE)  # the submission's package

    where = os.path.realpath(getattr(package, "__file__", None) or "")
    if not where.startswith(os.path.realpath(root) + os.sep):
        raise ImportError(f"{PACKAGE} was imported from {where or 'nowhere'} (no {PACKAGE}/__init__.py?), "
                          f"not from the submission")
    for name in preload:
        _importing[0] = f"{PACKAGE}.{name}"
        importlib.import_module(_importing[0])
    return where


def _serve(in_fd: int, out_fd: int, memory_mb: int, max_request: int, max_response: int) -> int:
    student = plain.InProcessStudent()
    handle_type = plain.Handle

    def send(msg):
        try:
            payload = encode(msg, handle_type=handle_type)
        except EncodeError as exc:
            payload = encode({"id": msg.get("id"), "ok": False, "error": f"returned {exc}, which cannot be graded"})
        if len(payload) > max_response:
            payload = encode({"id": msg.get("id"), "ok": False,
                              "error": f"returned {len(payload) / 2**20:.0f} MiB of data; the limit is "
                                       f"{max_response / 2**20:.0f} MiB"})
        write_frame(out_fd, payload)

    while True:
        raw = read_frame(in_fd, max_request)
        if raw is None:
            return 0
        req = decode(raw, untrusted=False, handle_factory=handle_type)
        rid, op = req["id"], req["op"]
        label = req.get("name") or req.get("method") or op
        try:
            if op == "reset":
                student.close()
                value = None
            elif op == "call":
                value = student.call(req["name"], *req["args"], **req["kwargs"])
            elif op == "call_method":
                label = f"{req['handle'].type_name}.{req['method']}"
                value = student.call_method(req["handle"], req["method"], *req["args"], **req["kwargs"])
            elif op == "get_attr":
                label = f"{req['handle'].type_name}.{req['attr']}"
                value = student.get_attr(req["handle"], req["attr"])
            elif op == "set_item":
                label = f"{req['handle'].type_name}.{req['attr']}[{req['key']!r}]"
                value = student.set_item(req["handle"], req["attr"], req["key"], req["value"])
            else:
                raise ValueError(f"unknown request {op!r}")
            msg = {"id": rid, "ok": True, "value": value}
        except plain.StudentError as exc:
            error = exc.message
            if " raised MemoryError" in error:
                error = f"{label} ran out of memory ({memory_mb} MiB limit): {error}"
            msg = {"id": rid, "ok": False, "error": error, "kinds": tuple(exc.kinds)}
        except KeyError as exc:  # a handle the worker does not hold
            msg = {"id": rid, "ok": False, "error": f"{label}: unknown student object {exc}"}
        except MemoryError as exc:
            msg = {"id": rid, "ok": False, "error": f"{label} ran out of memory ({memory_mb} MiB limit): {exc}"}
        except BaseException as exc:  # SystemExit, KeyboardInterrupt, import errors of a submodule, ...
            msg = {"id": rid, "ok": False, "error": f"{label} raised {type(exc).__name__}: {exc}"}
        if not msg["ok"] and len(msg["error"]) > 2000:  # the grader shows one line of it anyway
            msg["error"] = msg["error"][:2000] + "..."
        value = None
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # the student may have replaced or closed them
                pass
        send(msg)


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="worker.py", description="serve a submission's cs231n_cnn to the grader")
    p.add_argument("--in-fd", type=int, required=True)
    p.add_argument("--out-fd", type=int, required=True)
    p.add_argument("--submission", help="directory holding the submission's cs231n_cnn/")
    p.add_argument("--preload", default="", help="comma-separated submodules imported at start")
    p.add_argument("--memory-mb", type=int, default=0)
    p.add_argument("--max-response", type=int, default=512 * 2**20)
    p.add_argument("--probe", nargs="*", default=None, help="report what is visible, then exit")
    args = p.parse_args(argv)
    in_fd, out_fd = args.in_fd, args.out_fd
    for fd in (in_fd, out_fd):
        os.set_inheritable(fd, False)
    seccomp = install_seccomp()

    def send(msg):
        write_frame(out_fd, encode(msg))

    if args.probe is not None:
        visible = []
        for path in args.probe:
            try:
                if os.path.isdir(path):
                    seen = bool(os.listdir(path))   # an empty directory (a tmpfs over it) shows nothing
                else:
                    with open(path, "rb") as f:
                        f.read(1)
                    seen = True
            except OSError:
                seen = False
            if seen:
                visible.append(path)
        import scipy  # noqa: F401 - the checks' student code may use it

        send({"kind": "probe", "seccomp": seccomp, "numpy": np.__version__, "visible": tuple(visible),
              "uid": os.getuid(), "fork_blocked": _fork_blocked(), "umask": _umask()})
        return 0
    # Sent before any student code runs, so the grader can trust what it says about the filter.
    send({"kind": "hello", "seccomp": seccomp})
    try:
        where = _import_submission(args.submission, [m for m in args.preload.split(",") if m])
    except BaseException as exc:  # noqa: BLE001 - report any failure, including SystemExit
        send({"kind": "import_error", "module": _importing[0], "error": f"{type(exc).__name__}: {exc}"[:500],
              "traceback": _submission_traceback(exc, args.submission)})
        return 3
    send({"kind": "ready", "package": where})
    return _serve(in_fd, out_fd, args.memory_mb, max_request=2**31, max_response=args.max_response)


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _fork_blocked() -> bool:
    try:
        pid = os.fork()
    except OSError:
        return True
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return False


if __name__ == "__main__":
    sys.exit(main())
