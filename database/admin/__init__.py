"""``./run_admin.sh COMMAND`` (= ``python -m database.admin``): inspect the data without SQL.

Read-only: every command runs in a read-only transaction (on the replica in DATABASE_READ_URL
when one is configured). Lists print an aligned table, or ``--json`` / ``--jsonl`` for scripts,
and page with ``--limit`` / ``--after``. Exit status: 0 success, 1 error (one line on stderr;
``--traceback`` for the rest), 2 usage error.
"""

from __future__ import annotations

import os

from database.cli.runner import build_parser, run

ADMIN_MODULES = (
    "database.admin.lists",
    "database.admin.quiz_lists",
    "database.admin.show_user",
    "database.admin.show_conversation",
)

# run_admin.sh sets this so the "next page" commands the tables print start with ./run_admin.sh.
PROG_VARIABLE = "GREYTUTOR_ADMIN_PROG"


def main(argv: list[str] | None = None) -> int:
    """Run one admin command; returns the exit status."""
    parser = build_parser(
        prog=os.environ.get(PROG_VARIABLE) or "python -m database.admin",
        description="Inspect The Grey Tutor's database (read-only): users, sessions, conversations, "
        "messages, questions, answers, cache.",
        modules=ADMIN_MODULES,
    )
    return run(parser, argv)


__all__ = ["main"]
