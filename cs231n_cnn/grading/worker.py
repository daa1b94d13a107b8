"""The student side of the grader: a process that runs the submission's code.

This file has two roles.

1. **The wire format**, imported by the grader (:func:`encode`,
   :func:`decode`, :func:`read_frame`, :func:`write_frame`). Every message,
   in both directions, is a length-prefixed frame holding a JSON tree plus
   the raw bytes of the arrays it mentions; nothing is ever unpickled. A
   response from the worker is decoded with ``untrusted=True``: only plain
   values (``None``, ``bool``, ``int``, ``float``, ``str``, tuples, dicts
   with string keys, numeric arrays) and opaque handles are accepted, with
   sizes, dtypes, shapes and nesting checked before any array is built.

2. **The worker program**, run by :mod:`.sandbox` as a standalone script
   inside the sandbox (``python -I worker.py ...``). It cannot see the
   grader's package, so it imports nothing from it: a copy of
   ``student.py`` is loaded by path for :class:`InProcessStudent` and
   :func:`to_plain`, exactly the rules the notebooks use. Before any student
   code runs it installs a seccomp filter (no new processes, no exec, no
   signals to other processes, no ptrace, no network sockets), then imports
   the submission's ``cs231n_cnn`` from the submission directory only and
   serves ``call`` / ``call_method`` / ``get_attr`` / ``reset`` requests.

Nothing the worker sends is trusted by the grader: student code runs in the
same process and can write anything to the protocol pipe. The grader only
ever takes plain data out of a frame, so a forged frame is no better than a
wrong return value. The student's stdout and stderr go to a separate pipe
and are shown as text, never parsed.
"""

from __future__ import annotations

import json
import os
import re
import struct
import sys

import numpy as np

__all__ = ["encode", "decode", "read_frame", "write_frame", "ProtocolError", "EncodeError",
           "FRAME_HEADER", "MAX_JSON_BYTES"]

FRAME_HEADER = struct.Struct(">Q")     # payload length, then the payload
_JSON_LEN = struct.Struct(">I")        # inside a payload: JSON length, JSON, then array bytes
MAX_JSON_BYTES = 64 * 2**20
MAX_DEPTH = 12
MAX_NODES = 1_000_000
MAX_NDIM = 32
# Array dtypes that may cross: booleans, integers and floats, in the exact spellings numpy uses.
_DTYPE_RE = re.compile(r"^(\|b1|\|i1|\|u1|[<>](?:i2|i4|i8|u2|u4|u8|f2|f4|f8))$")
_INT_RE = re.compile(r"^-?[0-9]{1,4300}$")


class ProtocolError(Exception):
    """A frame that is malformed, too large or holds something other than plain data."""


class EncodeError(TypeError):
    """A value that cannot be put on the wire."""


# --------------------------------------------------------------------------- encoding

def encode(obj, *, handle_type=None, handle_id=None) -> bytes:
    """Encode plain data as a payload: 4-byte JSON length, JSON tree, array bytes.

    ``handle_type`` is the class standing for objects that stay with the
    student; ``handle_id(h)`` gives the number to send for one (default
    ``h.id``). Lists, NumPy scalars and dtypes are allowed here (the grader
    sends them as arguments); :func:`decode` with ``untrusted=True`` refuses
    them in a response.
    """
    blobs: list[bytes] = []
    offset = 0

    def add_blob(data: bytes) -> int:
        nonlocal offset
        start = offset
        blobs.append(data)
        offset += len(data)
        return start

    def enc(x, depth):
        if depth > MAX_DEPTH:
            raise EncodeError(f"nested more than {MAX_DEPTH} levels deep")
        t = type(x)
        if x is None:
            return {"t": "none"}
        if t is bool:
            return {"t": "bool", "v": x}
        if t is int:
            try:
                digits = str(x)
            except ValueError:  # Python >= 3.11 refuses very long conversions
                digits = ""
            if not _INT_RE.match(digits):
                raise EncodeError("an integer too large to send")
            return {"t": "int", "v": digits}
        if t is float:
            return {"t": "float", "v": x.hex()}
        if t is str:
            return {"t": "str", "v": x}
        if t is tuple or t is list:
            return {"t": t.__name__, "v": [enc(v, depth + 1) for v in x]}
        if t is dict:
            return {"t": "dict", "v": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in x.items()]}
        if t is np.ndarray:
            if x.dtype.kind not in "biuf" or not _DTYPE_RE.match(x.dtype.str):
                raise EncodeError(f"an array of dtype {x.dtype}")
            data = np.ascontiguousarray(x).tobytes()
            return {"t": "array", "dtype": x.dtype.str, "shape": list(x.shape),
                    "offset": add_blob(data), "nbytes": len(data)}
        if isinstance(x, np.generic) and t.__module__ == "numpy" and x.dtype.kind in "biuf" \
                and _DTYPE_RE.match(x.dtype.str):
            data = x.tobytes()
            return {"t": "scalar", "dtype": x.dtype.str, "offset": add_blob(data), "nbytes": len(data)}
        if isinstance(x, np.dtype) or (t is type and issubclass(x, np.generic)):
            return {"t": "dtype", "v": np.dtype(x).str}
        if handle_type is not None and t is handle_type:
            return {"t": "handle", "id": handle_id(x) if handle_id else x.id, "type": str(x.type_name)}
        raise EncodeError(f"a value of type {t.__name__}")

    tree = enc(obj, 0)
    header = json.dumps(tree, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii")
    if len(header) > MAX_JSON_BYTES:
        raise EncodeError(f"a structure of {len(header)} bytes of JSON (limit {MAX_JSON_BYTES})")
    return _JSON_LEN.pack(len(header)) + header + b"".join(blobs)


# --------------------------------------------------------------------------- decoding

def _small_int(s: str) -> int:
    # Only offsets, sizes, ids and shapes are JSON numbers; a long digit string is an attack on int().
    if len(s) > 20:
        raise ProtocolError("a number in the frame is too long")
    return int(s)


def _no_floats(s: str):
    raise ProtocolError(f"unexpected JSON number {s[:20]!r}")


def decode(payload, *, untrusted: bool = True, handle_factory=None):
    """Decode a payload made by :func:`encode` into fresh plain objects.

    With ``untrusted=True`` (a worker's response) only ``None``, ``bool``,
    ``int``, ``float``, ``str``, tuples, dicts with string keys, arrays of
    bool/int/uint/float dtype and handles are accepted. Arrays come back as
    native-endian, C-ordered ``numpy.ndarray`` copies that own their memory.
    ``handle_factory(id, type_name)`` makes the local stand-in for a handle.
    Raises :class:`ProtocolError` on anything else.
    """
    try:
        return _decode(memoryview(payload), untrusted, handle_factory)
    except ProtocolError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError, MemoryError,
            UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed frame ({type(exc).__name__}: {str(exc)[:200]})") from None


def _decode(view: memoryview, untrusted: bool, handle_factory):
    if len(view) < _JSON_LEN.size:
        raise ProtocolError("frame too short")
    (hlen,) = _JSON_LEN.unpack(view[:_JSON_LEN.size])
    if hlen > MAX_JSON_BYTES or _JSON_LEN.size + hlen > len(view):
        raise ProtocolError(f"frame declares {hlen} bytes of JSON, more than it holds")
    header = bytes(view[_JSON_LEN.size:_JSON_LEN.size + hlen]).decode("ascii")
    blob = view[_JSON_LEN.size + hlen:]
    tree = json.loads(header, parse_int=_small_int, parse_float=_no_floats, parse_constant=_no_floats)
    allowed = {"none", "bool", "int", "float", "str", "tuple", "dict", "array", "handle"}
    if not untrusted:
        allowed |= {"list", "scalar", "dtype"}
    nodes = 0

    def fail(msg):
        raise ProtocolError(msg)

    def field(node, key, typ):
        v = node.get(key)
        if type(v) is not typ:
            fail(f"field {key!r} of a {node.get('t')!r} node should be {typ.__name__}")
        return v

    def array_from(node, shape):
        dt_str = field(node, "dtype", str)
        if not _DTYPE_RE.match(dt_str):
            fail(f"array dtype {dt_str[:20]!r} is not bool, int, uint or float")
        dt = np.dtype(dt_str)
        off, nbytes = field(node, "offset", int), field(node, "nbytes", int)
        count = 1
        for d in shape:
            count *= d
        if off < 0 or nbytes != count * dt.itemsize or off + nbytes > len(blob):
            fail(f"array of shape {tuple(shape)} and dtype {dt} does not match its {nbytes} bytes")
        native = dt.newbyteorder("=")
        if count == 0:
            return np.zeros(shape, dtype=native)
        raw = np.frombuffer(blob[off:off + nbytes], dtype=dt, count=count)
        return raw.reshape(shape).astype(native, order="C", copy=True)

    def dec(node, depth):
        nonlocal nodes
        nodes += 1
        if nodes > MAX_NODES:
            fail(f"more than {MAX_NODES} values in one frame")
        if depth > MAX_DEPTH:
            fail(f"values nested more than {MAX_DEPTH} levels deep")
        if type(node) is not dict or type(node.get("t")) is not str:
            fail("a value without a type tag")
        t = node["t"]
        if t not in allowed:
            fail(f"a value of kind {t[:20]!r}, which is not plain data")
        if t == "none":
            return None
        if t == "bool":
            return field(node, "v", bool)
        if t == "int":
            s = field(node, "v", str)
            if not _INT_RE.match(s):
                fail("a malformed integer")
            return int(s)
        if t == "float":
            s = field(node, "v", str)
            if len(s) > 40:
                fail("a malformed float")
            return float.fromhex(s)
        if t == "str":
            return field(node, "v", str)
        if t in ("tuple", "list"):
            items = [dec(v, depth + 1) for v in field(node, "v", list)]
            return tuple(items) if t == "tuple" else items
        if t == "dict":
            out = {}
            for pair in field(node, "v", list):
                if type(pair) is not list or len(pair) != 2:
                    fail("a malformed dict entry")
                k = dec(pair[0], depth + 1)
                if untrusted and type(k) is not str:
                    fail("a dict key that is not a string")
                if not untrusted and type(k) not in (str, int, bool, float, tuple) and k is not None:
                    fail("an unhashable dict key")
                out[k] = dec(pair[1], depth + 1)
            return out
        if t == "array":
            shape = field(node, "shape", list)
            if len(shape) > MAX_NDIM or any(type(d) is not int or d < 0 for d in shape):
                fail("a malformed array shape")
            return array_from(node, tuple(shape))
        if t == "scalar":
            return array_from(node, ())[()]
        if t == "dtype":
            s = field(node, "v", str)
            if not _DTYPE_RE.match(s):
                fail("a malformed dtype")
            return np.dtype(s)
        # handle
        hid, type_name = field(node, "id", int), field(node, "type", str)
        if handle_factory is None:
            fail("a handle where none was expected")
        return handle_factory(hid, type_name[:100])

    return dec(tree, 0)


# --------------------------------------------------------------------------- frames

def write_frame(fd: int, payload: bytes) -> None:
    """Write one frame (8-byte big-endian length, then the payload) to a blocking fd."""
    data = memoryview(FRAME_HEADER.pack(len(payload)) + payload)
    while data:
        n = os.write(fd, data)
        data = data[n:]


def read_exact(fd: int, n: int) -> bytes | None:
    """``n`` bytes from a blocking fd, or None at end of file."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k == 0:
            return None
        got += k
    return bytes(buf)


def read_frame(fd: int, max_bytes: int) -> bytes | None:
    """One frame's payload from a blocking fd (the worker reading requests); None at end of file."""
    head = read_exact(fd, FRAME_HEADER.size)
    if head is None:
        return None
    (n,) = FRAME_HEADER.unpack(head)
    if n > max_bytes:
        raise ProtocolError(f"a frame of {n} bytes is larger than the limit of {max_bytes}")
    return read_exact(fd, n)


# --------------------------------------------------------------------------- seccomp
# A classic-BPF filter built here and installed with the seccomp(2) system
# call through ctypes (no compiled code). It is the defence that does not
# depend on user ids: RLIMIT_NPROC is not enforced for root, and bubblewrap
# run by root maps the sandbox user to root outside.

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SYSCALLS = {  # name -> (x86_64, aarch64); None where the architecture has no such call
    "fork": (57, None), "vfork": (58, None), "execve": (59, 221), "execveat": (322, 281),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "tkill": (200, 130), "pidfd_open": (434, 434), "pidfd_send_signal": (424, 424),
    "pidfd_getfd": (438, 438), "io_uring_setup": (425, 425), "bpf": (321, 280),
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
_DENY = ("fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "tkill",
         "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "io_uring_setup", "bpf", "perf_event_open",
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


# --------------------------------------------------------------------------- the worker program

def _load_plain(path: str):
    """The grader's ``student.py``, loaded by path (the sandbox has no grader package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_cs231n_grading_student", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses looks the module up while building Handle
    spec.loader.exec_module(module)
    return module


def _submission_traceback(exc: BaseException, root: str, limit: int = 10) -> str:
    """The traceback of ``exc`` through the submission's files only (the worker's frames say nothing)."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root.rstrip("/") + "/")]
    text = "".join(traceback.format_list(frames[-limit:]))
    text += "".join(traceback.format_exception_only(type(exc), exc))
    return text.rstrip()[-4000:]


_importing = ["cs231n_cnn"]   # the module being imported, for the error message


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
    import cs231n_cnn  # noqa: F401 - the submission's package

    where = os.path.realpath(getattr(cs231n_cnn, "__file__", None) or "")
    if not where.startswith(os.path.realpath(root) + os.sep):
        raise ImportError(f"cs231n_cnn was imported from {where or 'nowhere'} (no cs231n_cnn/__init__.py?), "
                          f"not from the submission")
    for name in preload:
        _importing[0] = f"cs231n_cnn.{name}"
        importlib.import_module(_importing[0])
    return where


def _serve(in_fd: int, out_fd: int, plain, memory_mb: int, max_request: int, max_response: int) -> int:
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
            else:
                raise ValueError(f"unknown request {op!r}")
            msg = {"id": rid, "ok": True, "value": value}
        except plain.StudentError as exc:
            error = exc.message
            if " raised MemoryError" in error:
                error = f"{label} ran out of memory ({memory_mb} MiB limit): {error}"
            msg = {"id": rid, "ok": False, "error": error}
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
    p.add_argument("--plain", required=True, help="path of the grader's student.py")
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
              "uid": os.getuid(), "fork_blocked": _fork_blocked()})
        return 0
    # Sent before any student code runs, so the grader can trust what it says about the filter.
    send({"kind": "hello", "seccomp": seccomp})
    plain = _load_plain(args.plain)
    try:
        where = _import_submission(args.submission, [m for m in args.preload.split(",") if m])
    except BaseException as exc:  # noqa: BLE001 - report any failure, including SystemExit
        send({"kind": "import_error", "module": _importing[0], "error": f"{type(exc).__name__}: {exc}"[:500],
              "traceback": _submission_traceback(exc, args.submission)})
        return 3
    send({"kind": "ready", "package": where})
    return _serve(in_fd, out_fd, plain, args.memory_mb, max_request=2**31, max_response=args.max_response)


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
