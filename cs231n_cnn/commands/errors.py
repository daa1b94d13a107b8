"""What a command reports to the user instead of a traceback, and the exit statuses it means.

The commands raise these and :mod:`cs231n_cnn.cli` prints them; they live here,
below both, so a command never imports the CLI that dispatches to it.
"""

from __future__ import annotations

__all__ = ["CommandError", "UsageError", "EXIT_INTERRUPTED", "EXIT_USAGE"]


class CommandError(Exception):
    """An error for the user: printed as one line, exit code 1, no traceback."""


class UsageError(CommandError):
    """A command line the command itself refuses (a ``--resume`` file that does not exist): one line, exit code 2.

    2 is what argparse returns for the command lines it refuses itself.
    """


#: Exit status after Ctrl-C (SIGINT): 128 + 2, what a shell reports for a command the signal ended.
EXIT_INTERRUPTED = 130

#: Exit status of a refused command line (:class:`UsageError`), the same as argparse's.
EXIT_USAGE = 2
