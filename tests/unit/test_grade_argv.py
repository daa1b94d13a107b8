"""``grade-batch`` writes the ``grade`` command line with grade_argv; the command's own parser reads it back."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cs231n_cnn.commands.grade import add_arguments, limits_from_args
from cs231n_cnn.grading.autograder.command import grade_argv
from cs231n_cnn.grading.sandbox import Limits


def parse(argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(argv)
    return {"submission": args.submission, "out": args.out, "checks_dir": args.checks, "sandbox": args.sandbox,
            "limits": limits_from_args(args, args.total_timeout), "python": args.python}


@pytest.mark.parametrize("options", [
    {"submission": Path("subs/alice.zip"), "out": Path("/tmp/r.json"), "checks_dir": None, "sandbox": "auto",
     "limits": Limits(), "python": None},
    {"submission": Path("/x/bob dir"), "out": Path("out/-b.json"), "checks_dir": Path("/trusted/checks"),
     "sandbox": "none", "limits": Limits(memory_mb=1024, check_timeout=0.1 + 0.2, total_timeout=1e-3 * 7),
     "python": "/usr/bin/python3"},
    {"submission": Path("-starts-with-dash"), "out": Path("r.json"), "checks_dir": Path("c"), "sandbox": "bwrap",
     "limits": Limits(check_timeout=60, total_timeout=1350.0), "python": None},
], ids=["defaults", "every-option", "odd-names"])
def test_parsing_what_grade_argv_builds_gives_back_the_options(options):
    assert parse(grade_argv(**options)) == options
