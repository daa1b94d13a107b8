"""One real IPython kernel (jupyter_client), fed notebook cells one at a time, as JupyterLab feeds them.

The kernel runs a Python whose ``site-packages`` holds only a path file naming
this interpreter's ``site-packages``: the dependencies import, but the
editable install of this repository (a hook run from a ``.pth`` file, which a
path file does not run) is not there. The package the kernel imports is the
one on ``PYTHONPATH``: the release's.
"""

from __future__ import annotations

import json
import os
import queue
import re
import sys
import sysconfig
import venv
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

__all__ = ["CellRun", "Kernel", "kernel_python", "kernel_env"]

KERNEL_NAME = "cs231n-learner"
# The placeholder lines of the notebook extension, and a traceback of any kind.
TRACEBACK = "Traceback (most recent call last)"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")        # IPython colours its tracebacks


@dataclass
class CellRun:
    """What one executed cell produced, as text: stream text, text/plain results, and any error."""

    source: str
    status: str = "ok"                       # "ok", "error" or "timeout"
    text: str = ""                           # stdout + stderr + text/plain of results and displays, in order
    error: str = ""                          # "ename: evalue" of an error reply
    traceback: list[str] = field(default_factory=list)
    images: int = 0

    @property
    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    def all_text(self) -> str:
        return "\n".join([self.text, self.error, *self.traceback])


def kernel_python(where: Path) -> Path:
    """A Python in ``where`` that sees this interpreter's dependencies but not the editable install of the repo."""
    python = where / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(where)
        site = where / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
        (site / "cs231n_learner_deps.pth").write_text("".join(f"{p}\n" for p in paths))
    return python


def kernel_env(package_root: Path, work: Path, **extra: str) -> dict[str, str]:
    """The kernel's environment: this one without the test run's settings, the release on PYTHONPATH.

    Bytecode is written, as on a learner's machine (Python's own cache is
    part of what an edit must get past). IPython and Matplotlib get empty
    configuration directories, so no startup file of the machine runs.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CS231N_", "PYTHON", "JUPYTER", "IPYTHON", "MPL", "PYTEST", "COV_"))}
    for name in ("ipython", "mpl", "jupyter-runtime"):
        (work / name).mkdir(parents=True, exist_ok=True)
    env.update(PYTHONPATH=str(package_root), IPYTHONDIR=str(work / "ipython"), MPLCONFIGDIR=str(work / "mpl"),
               JUPYTER_RUNTIME_DIR=str(work / "jupyter-runtime"),
               # Two cores shared with the rest of the run: one BLAS thread per kernel.
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.update(extra)
    return env


class Kernel:
    """A started kernel; ``run(source)`` executes one cell and returns its :class:`CellRun`."""

    def __init__(self, python: Path, cwd: Path, env: dict[str, str], work: Path, *, startup_timeout: float = 120):
        spec_dir = work / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True, exist_ok=True)
        (spec_dir / "kernel.json").write_text(json.dumps({
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "learner", "language": "python"}))
        ksm = KernelSpecManager(kernel_dirs=[str(work / "kernels")])
        # IPC sockets in the work directory: nothing listens on the network.
        self.manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm, transport="ipc",
                                     ip=str(work / "runtime" / "ipc"))
        (work / "runtime").mkdir(exist_ok=True)
        self.manager.connection_file = str(work / "runtime" / "kernel.json")
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            self.stop()
            raise

    def run(self, source: str, timeout: float = 600) -> CellRun:
        run = CellRun(source)
        parts: list[str] = []

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                parts.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                data = content.get("data", {})
                if "image/png" in data:
                    run.images += 1
                elif "text/plain" in data and "application/vnd.jupyter.widget-view+json" not in data:
                    parts.append(data["text/plain"] + "\n")
            elif kind == "error":
                run.error = f"{content['ename']}: {content['evalue']}"
                run.traceback = [_ANSI.sub("", line) for line in content.get("traceback", [])]
            elif kind == "clear_output":
                parts.clear()           # JupyterLab drops what the cell showed so far

        try:
            reply = self.client.execute_interactive(source, output_hook=hook, timeout=timeout, allow_stdin=False,
                                                    stop_on_error=False)
            run.status = reply["content"]["status"]
            if run.status == "error" and not run.error:
                run.error = f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"
        except (TimeoutError, queue.Empty):
            run.status, run.error = "timeout", f"no reply within {timeout:g} s"
            self.manager.interrupt_kernel()
        run.text = "".join(parts)
        return run

    def stop(self) -> None:
        try:
            self.client.stop_channels()
        finally:
            self.manager.shutdown_kernel(now=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
