"""A real Jupyter kernel driven the way JupyterLab drives it (jupyter_client), for tests.

``KernelSession(cwd, env)`` starts an ``ipykernel`` of this interpreter; ``run(code)`` sends one
cell and returns a :class:`CellRun`: the reply's status, and the outputs in the order the
kernel sent them (streams, results, displays, errors), as JupyterLab would show them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from jupyter_client.manager import KernelManager

__all__ = ["KernelSession", "CellRun"]


@dataclass
class CellRun:
    status: str                                          # "ok" or "error", as the kernel replied
    outputs: list[tuple[str, str]] = field(default_factory=list)   # (kind, text)

    @property
    def text(self) -> str:
        """Everything the cell showed, as text (an error as ``ename: evalue`` plus its traceback)."""
        return "".join(text for _, text in self.outputs)

    @property
    def has_traceback(self) -> bool:
        return any(kind == "error" for kind, _ in self.outputs) or "Traceback (most recent call last)" in self.text


class KernelSession:
    """One kernel for a whole walk: cells share its state, as in a notebook."""

    def __init__(self, cwd, env: dict | None = None, timeout: float = 600):
        self.timeout = timeout
        self.km = KernelManager(kernel_name="python3")
        # The kernel runs this interpreter (.venv's), whatever kernelspec a machine has installed.
        self.km.kernel_spec.argv[0] = sys.executable
        self.km.start_kernel(cwd=str(cwd), env={**os.environ, **(env or {})})
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code: str) -> CellRun:
        # Each cell is judged by its own status, sent only after the one before has replied. With the default
        # stop_on_error, ipykernel 6.25 (the lower bound) aborts an execute request that reaches it before it
        # has cleared its abort flag after an error, which on a loaded machine the next cell can: "aborted".
        msg_id = self.kc.execute(code, store_history=True, stop_on_error=False)
        outputs: list[tuple[str, str]] = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=self.timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                outputs.append((content["name"], content["text"]))
            elif kind in ("execute_result", "display_data"):
                outputs.append((kind, content["data"].get("text/plain", "") + "\n"))
            elif kind == "error":
                outputs.append(("error", f"{content['ename']}: {content['evalue']}\n" + "\n".join(content["traceback"])))
            elif kind == "status" and content["execution_state"] == "idle":
                break
        while True:
            reply = self.kc.get_shell_msg(timeout=self.timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return CellRun(reply["content"]["status"], outputs)

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
