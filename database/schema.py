"""The one schema path: Alembic migrations, run programmatically (never ``create_all``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from database.errors import SchemaError, translate

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config that works from any working directory; reuses ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["configure_logging"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head", address: str = "the database") -> tuple[str | None, str]:
    """Migrate to ``revision``; returns (revision before, revision after). Idempotent.

    Refuses a database that has tables but no Alembic version: those tables were not made by
    these migrations, and migrating over them could fail halfway or hide a different schema.
    """
    try:
        with engine.begin() as conn:
            before = current_revision(conn)
            if before is None:
                foreign = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
                if foreign:
                    raise SchemaError(
                        f"the database at {address} already has tables ({', '.join(sorted(foreign)[:5])}"
                        f"{', ...' if len(foreign) > 5 else ''}) but no Alembic version: it was not created by "
                        "these migrations. Use an empty database (set DB_NAME), or if this schema is known to "
                        "match revision 001, mark it with `alembic stamp 001` and run init again."
                    )
            command.upgrade(alembic_config(conn), revision)
            after = current_revision(conn)
    except SQLAlchemyError as exc:
        raise translate(exc, address) from exc
    return before, after or ""


def downgrade(engine: Engine, revision: str = "base") -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)
