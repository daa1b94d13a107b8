"""`cs231n-cnn --help`: every command listed with its line from cli.COMMANDS, no command module imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cs231n_cnn import cli

PROBE = """
import json, sys
from cs231n_cnn import cli
try:
    cli.main(["--help"])
except SystemExit as exc:
    code = exc.code
# commands.errors (what a command raises, which cli.py catches) is no command: it has no imports of its own.
print(json.dumps([code, sorted(m for m in sys.modules
                               if m.startswith("cs231n_cnn.commands.") and m != "cs231n_cnn.commands.errors")]))
"""


def test_help_lists_every_command_with_its_line_from_the_table():
    text = " ".join(cli.build_parser().format_help().split())
    for name, (_, help_) in cli.COMMANDS.items():
        assert f"{name} {help_}" in text


def test_help_imports_no_command_module():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    code, imported = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (code, imported) == (0, [])


def test_a_commands_own_help_starts_with_its_line_from_the_table(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["describe", "--help"])
    assert info.value.code == 0
    assert " ".join(cli.COMMANDS["describe"][1].split()) in " ".join(capsys.readouterr().out.split())
