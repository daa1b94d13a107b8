"""Training progress: a live line rewritten in place, or plain lines for logs, or nothing.

The live display is for terminals and notebooks: in a terminal, one line
rewritten with ``\\r`` (speed and time left); in a Jupyter kernel, a tqdm
progress bar (``tqdm.auto``: a real bar widget in JupyterLab, where a long
``\\r`` line wraps, as the browser test's screenshots showed). Logs, CI and
nbval get the course's plain lines, which hold no timings, so the output of
a seeded run is reproducible. :func:`live_progress` decides which.
"""

from __future__ import annotations

import math
import os
import sys
import time

__all__ = ["Progress", "live_progress", "in_notebook", "format_seconds"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell); never imports IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def live_progress(setting, stream) -> bool:
    """Whether to draw the live line: ``setting`` True/False as given, else decide.

    For ``'auto'``: the environment variable ``CS231N_PROGRESS=1``/``0``
    decides if set; otherwise never when ``CI`` is set, else when ``stream``
    is a terminal or the code runs in a Jupyter kernel.
    """
    if setting is not True and setting is not False:  # 'auto'
        env = os.environ.get("CS231N_PROGRESS", "").strip().lower()
        if env in ("1", "true", "yes", "on"):
            return True
        if env in ("0", "false", "no", "off"):
            return False
        if os.environ.get("CI"):
            return False
        isatty = getattr(stream, "isatty", None)
        try:
            tty = bool(isatty()) if isatty is not None else False
        except (ValueError, OSError):  # closed stream
            tty = False
        return tty or in_notebook()
    return setting


def format_seconds(s: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on."""
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class Progress:
    """Training output: a live line rewritten with ``\\r``, or plain lines, or nothing.

    Plain lines are the course's ``(Iteration i / n) loss: ...`` every
    ``print_every`` iterations and ``(Epoch e / E) train acc: ...; val_acc:
    ...`` per accuracy check; they hold no timings, so logs of seeded runs
    are reproducible. The live line adds speed and time left.

    Parameters
    ----------
    solver : Solver
        Read, never changed: ``verbose``, ``progress``, ``stream``,
        ``print_every``, ``num_epochs``, ``batch_size``,
        ``iterations_per_epoch``, ``epoch``, ``iteration``,
        ``loss_history`` and ``acc_time_history``.
    total : int
        Iterations the run will have done when it ends.
    """

    MIN_INTERVAL = 0.1  # seconds between redraws of the live line

    def __init__(self, solver, total: int):
        self.s = solver
        self.total = total
        self.stream = solver.stream if solver.stream is not None else sys.stdout
        self.mode = "off" if not solver.verbose else ("live" if live_progress(solver.progress, self.stream)
                                                     else "lines")
        self.start = time.perf_counter()
        self.start_iteration = solver.iteration
        self.last_draw = -math.inf
        self.width = 0
        self.bar = _notebook_bar(total, self.start_iteration) if self.mode == "live" and in_notebook() else None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _clear(self) -> None:
        if self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def iteration(self) -> None:
        """Report the iteration just done (its loss is ``loss_history[-1]``)."""
        s = self.s
        if self.mode == "lines":
            if (s.iteration - 1) % s.print_every == 0:
                self._write(f"(Iteration {s.iteration} / {self.total}) loss: {s.loss_history[-1]:f}\n")
        elif self.mode == "live":
            now = time.perf_counter()
            if now - self.last_draw < self.MIN_INTERVAL and s.iteration < self.total:
                return
            self.last_draw = now
            done = s.iteration - self.start_iteration
            rate = done / max(now - self.start, 1e-9)
            ipe = s.iterations_per_epoch
            epoch, in_epoch = divmod(s.iteration - 1, ipe)
            if self.bar is not None:
                self.bar.set_description(f"epoch {epoch + 1}/{s.num_epochs}", refresh=False)
                self.bar.set_postfix_str(f"loss {s.loss_history[-1]:.4f}, {rate * s.batch_size:.0f} img/s",
                                         refresh=False)
                self.bar.update(s.iteration - self.bar.n)
                return
            filled = int(20 * (in_epoch + 1) / ipe)
            eta = format_seconds((self.total - s.iteration) / rate) if rate > 0 else "?"
            line = (f"epoch {epoch + 1}/{s.num_epochs} [{'=' * filled}{'.' * (20 - filled)}] "
                    f"it {s.iteration}/{self.total} loss {s.loss_history[-1]:.4f} "
                    f"{rate:.1f} it/s ({rate * s.batch_size:.0f} img/s) eta {eta}")
            self._write("\r" + line.ljust(self.width))
            self.width = len(line)

    def accuracy(self, train_acc: float, val_acc: float) -> None:
        """Report an accuracy check (one line in either mode)."""
        if self.mode == "off":
            return
        s = self.s
        line = f"(Epoch {s.epoch} / {s.num_epochs}) train acc: {train_acc:f}; val_acc: {val_acc:f}"
        if self.mode == "live":
            self._clear()
            line += f"  [{format_seconds(s.acc_time_history[-1])}]"
        if self.bar is not None:
            self.bar.write(line)
            return
        self._write(line + "\n")

    def close(self) -> None:
        """Erase the live line, so what follows starts on a clean line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.mode == "live":
            self._clear()


def _notebook_bar(total: int, initial: int):
    """A ``tqdm.auto`` bar (a widget in JupyterLab, text elsewhere) for ``total`` iterations, or None without tqdm."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, unit="it", dynamic_ncols=True, leave=True)
