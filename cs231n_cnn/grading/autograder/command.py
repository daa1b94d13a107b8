"""The ``cs231n-cnn grade`` command line for one submission, built from its options.

:func:`grade_argv` is the one place that writes it (``grade-batch`` starts
one such process per submission); its inverse is the command's own parser,
:func:`cs231n_cnn.commands.grade.add_arguments` with
:func:`~cs231n_cnn.commands.grade.limits_from_args`, and a test checks that
parsing what it builds gives back the same options.
"""

from __future__ import annotations

from .. import sandbox as _sandbox

__all__ = ["grade_argv"]


def grade_argv(submission, out, *, checks_dir=None, sandbox: str = "auto", limits: _sandbox.Limits | None = None,
               python: str | None = None) -> list[str]:
    """The arguments of ``cs231n-cnn grade`` (after the word ``grade``) for these options.

    Parameters
    ----------
    submission, out : path-like
        The submission (directory or zip) and where its report goes.
    checks_dir : path-like, optional
        The trusted checks directory (default: the command's own default).
    sandbox : str
        ``auto``, ``bwrap``, ``user`` or ``none``.
    limits : Limits, optional
        Only ``memory_mb``, ``check_timeout`` and ``total_timeout`` have
        options; the command uses its defaults for the rest.
    python : str, optional
        The interpreter for the student's process.

    Returns
    -------
    list of str
    """
    limits = limits or _sandbox.Limits()
    argv = ["--out", str(out)]
    if checks_dir is not None:
        argv += ["--checks", str(checks_dir)]
    argv += ["--sandbox", sandbox, "--timeout-per-check", str(limits.check_timeout),
             "--memory-mb", str(limits.memory_mb), "--total-timeout", str(limits.total_timeout)]
    if python:
        argv += ["--python", python]
    return [*argv, "--", str(submission)]    # a name starting with "-" is still the submission
