"""``python -m database.cli``: the operators' command line, a thin shell over the library.

Each module in ``COMMAND_MODULES`` adds its subcommands with ``register(subparsers)``; each
command is a function ``(args) -> int`` whose docstring's first line is its help text.
Exit status: 0 success, 1 error (one line on stderr), 2 usage error; others as documented.
"""

from __future__ import annotations

from database.cli.runner import build_parser, run

COMMAND_MODULES = (
    "database.cli.server_cmds",
    "database.cli.schema_cmds",
    "database.cli.users_cmds",
    "database.cli.move_cmds",
    "database.cli.maintenance_cmds",
    "database.cli.importing_cmds",
)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(
        prog="python -m database.cli",
        description="Manage The Grey Tutor's PostgreSQL database.",
        modules=COMMAND_MODULES,
    )
    return run(parser, argv)


__all__ = ["main"]
