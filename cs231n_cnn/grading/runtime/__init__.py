"""The grader's runtime: the files copied into the sandbox, where the worker runs without this package.

Each module imports only the standard library and NumPy (a test enforces
it), and :mod:`.worker` imports its siblings as top-level modules from its
own directory:

* :mod:`.protocol`: the wire format (frames of plain data);
* :mod:`.seccomp`: the system-call filter the worker installs on itself;
* :mod:`.student`: calling the student's functions and bringing back plain data
  (also used in-process by notebooks and tests);
* :mod:`.worker`: the worker program itself.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FILES", "directory"]

#: What the sandbox copies, in one directory of their own.
FILES = ("protocol.py", "seccomp.py", "student.py", "worker.py")


def directory() -> Path:
    """The directory holding the runtime files."""
    return Path(__file__).resolve().parent
