"""README.md lists every command of both command lines (python -m database.cli, ./run_admin.sh).

The names come from the argparse parsers themselves, so a new command without a README entry
fails here. A name counts as listed when it appears as a whole word in code (`inline` or a fenced
block) or in a table row: prose such as "exit status" does not count for `status`.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from database.admin import ADMIN_MODULES
from database.cli import COMMAND_MODULES
from database.cli.runner import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


def command_names(modules: tuple[str, ...]) -> list[str]:
    parser = build_parser(prog="x", description="", modules=modules)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(subparsers.choices)


def listed_text(readme: str) -> str:
    """The parts of README.md where a command list lives: code spans, code blocks, table rows."""
    parts = re.findall(r"`([^`\n]+)`", readme)
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", readme, flags=re.MULTILINE | re.DOTALL)
    rows = [line for line in readme.splitlines() if line.lstrip().startswith("|")]
    return "\n".join(parts + fenced + rows)


CLI = command_names(COMMAND_MODULES)
ADMIN = command_names(ADMIN_MODULES)


def test_the_parsers_have_commands():
    assert {"list-users", "delete-user", "status", "export-user", "purge-cache", "cleanup", "init"} <= set(
        CLI
    )
    assert {"list-messages", "show-user", "show-conversation"} <= set(ADMIN)


@pytest.mark.parametrize("name", [f"cli:{n}" for n in CLI] + [f"admin:{n}" for n in ADMIN])
def test_readme_lists_the_command(name):
    assert README.is_file(), "README.md is missing: it must list every command (see docs/CLI.md)"
    command = name.split(":", 1)[1]
    text = listed_text(README.read_text(encoding="utf-8"))
    assert re.search(rf"(?<![\w-]){re.escape(command)}(?![\w-])", text), (
        f"README.md does not list the command {command!r} ({name.split(':')[0]})"
    )
