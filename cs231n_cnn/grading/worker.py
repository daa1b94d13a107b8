"""The student side of the grader: see :mod:`.runtime.protocol` (the wire format),
:mod:`.runtime.seccomp` (the filter) and :mod:`.runtime.worker` (the program).

Kept so that ``cs231n_cnn.grading.worker`` stays importable.
"""

from __future__ import annotations

from .runtime.protocol import (
                               FRAME_HEADER,
                               MAX_JSON_BYTES,
                               EncodeError,
                               ProtocolError,
                               decode,
                               encode,
                               read_frame,
                               write_frame,
)
from .runtime.seccomp import install_seccomp
from .runtime.worker import main

__all__ = ["encode", "decode", "read_frame", "write_frame", "ProtocolError", "EncodeError",
           "FRAME_HEADER", "MAX_JSON_BYTES", "install_seccomp", "main"]
