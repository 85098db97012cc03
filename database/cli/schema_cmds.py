"""``init``: migrate the configured database to the newest schema."""

from __future__ import annotations

import argparse

from sqlalchemy.pool import NullPool

from database.cli.runner import add_command
from database.connection import get_settings, make_engine
from database.schema import upgrade


def cmd_init(args: argparse.Namespace) -> int:
    """Create or upgrade the schema (migrations to head).

    Safe to run again.

    Runs the same migrations as `alembic upgrade head`. A database that already has tables
    but no migration history is refused with an explanation.
    """
    settings = get_settings()
    engine = make_engine(settings, poolclass=NullPool)
    try:
        before, after = upgrade(engine, address=settings.address)
    finally:
        engine.dispose()
    if before == after:
        print(f"schema already at revision {after} ({settings.safe_url})")
    else:
        print(f"schema migrated {before or 'empty'} -> {after} ({settings.safe_url})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    add_command(subparsers, "init", cmd_init, "python -m database.cli init")
