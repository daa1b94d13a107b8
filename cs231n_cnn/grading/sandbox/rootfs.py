"""The container mode's root directory: the worker's interpreter, its standard library, NumPy and SciPy, nothing else.

Inside a container the kernel refuses new namespaces, so nothing can be
mounted for the worker. What a root grader can still do there is
``chroot`` (``CAP_SYS_CHROOT`` is one of Docker's default capabilities):
the worker then sees a directory tree made by the grader instead of the
machine's. That tree holds hard links (copies where the tree and a file
lie on different file systems) of exactly what the worker needs:

* the interpreter, with its chain of symbolic links (``.venv/bin/python``
  -> ``/root/.pyenv/.../python3.11``) and the venv's ``pyvenv.cfg``;
* its standard library and ``lib-dynload``;
* the NumPy and SciPy packages (with the ``numpy.libs``/``scipy.libs`` of
  a wheel) and, found by ``ldd``, every shared library these load;
* ``/etc/ld.so.cache``, ``/dev/null`` where the kernel lets root make it,
  and empty ``/tmp``, ``/var/tmp`` and ``/dev/shm`` (mode 1777).

The checkout, the rest of its venv (the installed course package, say),
the Gradescope bundle, the reports and other submissions are simply not in
it, whatever their permissions: the instructor changes none. Each
submission's staging directory is made inside the tree, under
``/stages`` (mode 0711: a worker can enter its own, list none).

The tree is built once per interpreter (and per NumPy, SciPy and
interpreter version) under ``/var/cache/cs231n-grader`` and reused by
every submission graded on the machine; a new version builds a new one.

Only the standard library: this runs in the grader, never in the sandbox.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile

from .errors import SandboxUnavailable

__all__ = ["RootTree", "root_tree", "CACHE_DIR", "SHARED_DIRS"]

CACHE_DIR = "/var/cache/cs231n-grader"
SHARED_DIRS = ("tmp", "var/tmp", "dev/shm")       # world-writable inside the tree: cleaned after each submission
STAGES = "stages"
_LAYOUT = 3                                          # bump when what goes into a tree changes

# Run by the worker's interpreter (trusted code only: the standard library, NumPy, SciPy).
_QUERY = r"""
import json, os, sys, sysconfig
import numpy, scipy
dynload = sysconfig.get_config_var("DESTSHARED") or ""
packages = []
for module in (numpy, scipy):
    home = os.path.dirname(os.path.realpath(module.__file__))
    packages.append(home)
    libs = home + ".libs"               # a wheel's bundled shared libraries
    if os.path.isdir(libs):
        packages.append(libs)
print(json.dumps({
    "executable": sys.executable, "real": os.path.realpath(sys.executable), "prefix": sys.prefix,
    "venv_cfg": os.path.join(sys.prefix, "pyvenv.cfg") if sys.prefix != sys.base_prefix else "",
    "stdlib": sysconfig.get_path("stdlib"), "dynload": dynload if os.path.isdir(dynload) else "",
    "site": [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))],
    "packages": packages, "versions": [sys.version, numpy.__version__, scipy.__version__],
}))
"""


class RootTree:
    """A built tree at ``path``: ``inside(p)`` is where the worker sees the grader's path ``p``."""

    def __init__(self, path: str):
        self.path = path

    def inside(self, host_path: str) -> str:
        """The worker's view of ``host_path`` (a path under this tree)."""
        rel = os.path.relpath(os.path.realpath(host_path), os.path.realpath(self.path))
        if rel.startswith(".."):
            raise ValueError(f"{host_path} is not inside the sandbox's root {self.path}")
        return "/" + rel

    @property
    def stages(self) -> str:
        return os.path.join(self.path, STAGES)

    def shared_dirs(self) -> list[str]:
        return [os.path.join(self.path, d) for d in SHARED_DIRS]


def _check_owned_by_root(path: str) -> None:
    """``path`` and every ancestor: owned by root and writable by nobody else (no one can swap the tree)."""
    path = current = os.path.realpath(path)
    while True:
        st = os.lstat(current)
        # A sticky ancestor (/tmp) lets others add entries, never rename or remove ours.
        sticky_ancestor = bool(st.st_mode & stat.S_ISVTX) and current != path
        if st.st_uid != 0 or (st.st_mode & 0o022 and not sticky_ancestor):
            raise SandboxUnavailable(f"the container mode's root {path} is unsafe: {current} is not root's alone "
                                     f"(owner {st.st_uid}, mode {stat.filemode(st.st_mode)})")
        if current == "/":
            return
        current = os.path.dirname(current)


def _query(python: str) -> dict:
    try:
        done = subprocess.run([python, "-I", "-c", _QUERY], capture_output=True, text=True, timeout=300, cwd="/")
        return json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"cannot ask {python} where its standard library, numpy and scipy are "
                                 f"({exc}); the container mode needs numpy and scipy in the worker's interpreter") \
            from None


class _Builder:
    """Mirrors host paths into ``tree`` (same absolute paths inside), links and copies."""

    def __init__(self, tree: str):
        self.tree = tree
        self.done: set[str] = set()
        self.linked = self.copied = 0

    def dest(self, host: str) -> str:
        return self.tree + host

    def _file(self, src: str, dst: str) -> None:
        # A link shares the file: one any user may write (a venv made under umask 000), or a
        # set-id one, is copied instead, root's and read-only to others.
        risky = os.stat(src).st_mode & (0o002 | stat.S_ISUID | stat.S_ISGID)
        try:
            if risky:
                raise OSError("copied, not linked")
            os.link(src, dst)
            self.linked += 1
        except OSError:
            shutil.copy2(src, dst)          # another file system, links refused, or risky
            os.chown(dst, 0, 0)
            os.chmod(dst, stat.S_IMODE(os.stat(src).st_mode) & 0o755)
            self.copied += 1

    def put(self, host: str, skip=()) -> None:
        """Mirror ``host`` (a file, or a whole directory but its subdirectories matching a pattern of
        ``skip``, at any depth), with every symbolic link on its way."""
        host = os.path.normpath(host)
        if host in self.done or host == "/":
            return
        self.done.add(host)
        parts = host.strip("/").split("/")
        current = ""
        for i, part in enumerate(parts):
            current += "/" + part
            dst = self.dest(current)
            if os.path.islink(current):
                target = os.readlink(current)
                if not os.path.lexists(dst):
                    os.symlink(target, dst)
                resolved = os.path.normpath(os.path.join(os.path.dirname(current), target))
                rest = "/".join(parts[i + 1:])
                self.put(os.path.join(resolved, rest) if rest else resolved)
                return
            if i < len(parts) - 1:
                if not os.path.isdir(dst):
                    os.mkdir(dst, 0o755)
                continue
            if os.path.isdir(current):
                self._tree(current, skip)
            elif os.path.isfile(current) and not os.path.lexists(dst):
                self._file(current, dst)

    def _tree(self, top: str, skip=()) -> None:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not any(fnmatch.fnmatch(d, p) for p in skip)]
            os.makedirs(self.dest(dirpath), mode=0o755, exist_ok=True)
            for name in dirnames + filenames:
                src = os.path.join(dirpath, name)
                dst = self.dest(src)
                if os.path.islink(src):
                    if not os.path.lexists(dst):
                        os.symlink(os.readlink(src), dst)
                    real = os.path.realpath(src)
                    if not real.startswith(top.rstrip("/") + "/"):
                        self.put(real)
                elif name in filenames and os.path.isfile(src) and not os.path.lexists(dst):
                    self._file(src, dst)


def _shared_libraries(files: list[str]) -> list[str]:
    """Every shared library (and the dynamic loader) the ELF ``files`` load, found by ``ldd``."""
    ldd = shutil.which("ldd")
    if ldd is None:
        raise SandboxUnavailable("the container mode needs ldd (Debian/Ubuntu: libc-bin) to find the "
                                 "interpreter's shared libraries")
    found: set[str] = set()
    for i in range(0, len(files), 200):
        done = subprocess.run([ldd, *files[i:i + 200]], capture_output=True, text=True, timeout=300,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
        for line in done.stdout.splitlines():
            line = line.strip()
            path = line.split("=>", 1)[1].strip() if "=>" in line else line
            path = path.split(" (", 1)[0].strip()
            if path.startswith("/") and os.path.exists(path):
                found.add(path)
    # glibc dlopens libgcc_s for thread cancellation and unwinding; it is in no DT_NEEDED.
    for lib in list(found):
        if os.path.basename(lib).startswith("libc.so"):
            gcc = os.path.join(os.path.dirname(lib), "libgcc_s.so.1")
            if os.path.exists(gcc):
                found.add(gcc)
    return sorted(found)


def _build(tree: str, info: dict) -> _Builder:
    b = _Builder(tree)
    b.put(info["executable"])
    b.put(info["real"])
    if info["venv_cfg"] and os.path.isfile(info["venv_cfg"]):
        b.put(info["venv_cfg"])
    for site in info["site"]:
        if os.path.isdir(site):
            os.makedirs(b.dest(site), mode=0o755, exist_ok=True)
    # The standard library without the packages installed next to it (another copy of the
    # course package, say), its own test suite and the files for building extensions.
    b.put(info["stdlib"], skip=("site-packages", "dist-packages", "test", "config-*"))
    if info["dynload"]:
        b.put(info["dynload"])
    for package in info["packages"]:
        b.put(package, skip=("tests",))          # NumPy's and SciPy's own test suites
    elf = [info["real"]]
    for top in [info["dynload"], *info["packages"]]:
        for dirpath, _dirs, files in os.walk(top or "/nonexistent"):
            elf += [os.path.join(dirpath, f) for f in files if ".so" in f]
    for lib in _shared_libraries(elf):
        b.put(lib)
    if os.path.isfile("/etc/ld.so.cache"):
        b.put("/etc/ld.so.cache")
    for d in SHARED_DIRS:
        path = os.path.join(tree, d)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o1777)
    for name, minor in (("null", 3), ("zero", 5), ("urandom", 9)):
        try:
            os.mknod(os.path.join(tree, "dev", name), 0o666 | stat.S_IFCHR, os.makedev(1, minor))
            os.chmod(os.path.join(tree, "dev", name), 0o666)
        except OSError:
            pass                     # no CAP_MKNOD: Python and NumPy start without them
    os.mkdir(os.path.join(tree, STAGES), 0o711)
    return b


_TREES: dict[str, RootTree] = {}


def root_tree(python: str, cache_dir: str = CACHE_DIR) -> RootTree:
    """The tree for ``python``, built on first use (atomically: built aside, then renamed into place)."""
    if python in _TREES and os.path.isdir(_TREES[python].stages):
        return _TREES[python]
    info = _query(python)
    key = hashlib.sha256(json.dumps([_LAYOUT, os.path.abspath(python), info]).encode()).hexdigest()[:16]
    try:
        os.makedirs(cache_dir, mode=0o755, exist_ok=True)
        _check_owned_by_root(cache_dir)
        final = os.path.join(cache_dir, f"root-{key}")
        if not os.path.isdir(os.path.join(final, STAGES)):
            work = tempfile.mkdtemp(prefix=f"root-{key}.building-", dir=cache_dir)
            os.chmod(work, 0o755)
            old_umask = os.umask(0o022)      # the worker must be able to read all it is given
            try:
                _build(work, info)
                try:
                    os.rename(work, final)
                except OSError:
                    if not os.path.isdir(os.path.join(final, STAGES)):   # not another grader's, finished
                        raise
            finally:
                os.umask(old_umask)
                shutil.rmtree(work, ignore_errors=True)
        _check_owned_by_root(final)
    except OSError as exc:
        raise SandboxUnavailable(f"cannot build the container mode's root under {cache_dir} ({exc})") from None
    _TREES[python] = RootTree(final)
    return _TREES[python]
