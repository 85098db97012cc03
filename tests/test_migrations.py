"""Migrations, on a separate database of the test server: one head, up from empty equals the
models, down leaves nothing, every step goes down and up again; ``cli init`` is idempotent and
refuses a schema that Alembic did not make.

Written against whatever revisions exist, so new migrations are covered without edits here.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.pool import NullPool

import database.cli
from database import connection as db_connection
from database.models import Base
from database.schema import alembic_config, current_revision, downgrade, head_revision, upgrade

REPO = Path(__file__).resolve().parents[1]


def revisions_base_to_head() -> list[Script]:
    return list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))


@pytest.fixture
def empty_db(engine: Engine) -> Iterator[Engine]:
    """A fresh, empty database on the test server; dropped afterwards."""
    name = f"greytutor_migrations_{secrets.token_hex(4)}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng = create_engine(
        engine.url.set(database=name), poolclass=NullPool, connect_args={"options": "-c timezone=UTC"}
    )
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def schema_diff(eng: Engine) -> list[object]:
    with eng.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "compare_server_default": True, "target_metadata": Base.metadata},
        )
        return compare_metadata(context, Base.metadata)


CATALOG = text(
    """
    WITH ns AS (
        SELECT oid, nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'
    )
    SELECT 'relation ' || c.relkind::text, ns.nspname || '.' || c.relname
        FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    UNION ALL SELECT 'type ' || t.typtype::text, ns.nspname || '.' || t.typname
        FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION ALL SELECT 'constraint', ns.nspname || '.' || co.conname
        FROM pg_constraint co JOIN ns ON ns.oid = co.connamespace
    UNION ALL SELECT 'function', ns.nspname || '.' || p.proname
        FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION ALL SELECT 'schema', nspname FROM ns
    UNION ALL SELECT 'extension', extname FROM pg_extension
    """
)


def catalog(eng: Engine) -> set[tuple[str, str]]:
    """Every user-visible object of the database: tables, indexes, sequences, types, functions..."""
    with eng.connect() as conn:
        return {(kind, name) for kind, name in conn.execute(CATALOG)}


def without_version_table(objects: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(kind, name) for kind, name in objects if not re.search(r"\b_?alembic_version", name)}


def revision_of(eng: Engine) -> str | None:
    with eng.connect() as conn:
        return current_revision(conn)


def test_one_linear_history_numbered_001_002() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert len(script.get_bases()) == 1, script.get_bases()
    revisions = revisions_base_to_head()
    assert revisions[0].revision == "001" and revisions[0].down_revision is None
    for number, rev in enumerate(revisions, start=1):
        assert rev.revision == f"{number:03d}"
        assert Path(rev.path).name.startswith(f"{rev.revision}_"), rev.path
        assert not rev.is_merge_point and not rev.is_branch_point
        if number > 1:
            assert rev.down_revision == revisions[number - 2].revision
    assert head_revision() == revisions[-1].revision


def test_upgrade_from_empty_builds_exactly_the_models(empty_db: Engine) -> None:
    assert revision_of(empty_db) is None
    before, after = upgrade(empty_db)
    assert (before, after) == (None, head_revision())
    assert set(inspect(empty_db).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    assert schema_diff(empty_db) == []
    # `alembic check`, through the project's env.py.
    with empty_db.begin() as conn:
        command.check(alembic_config(conn))


def test_downgrade_to_base_leaves_nothing_and_upgrade_again_works(empty_db: Engine) -> None:
    pristine = catalog(empty_db)
    upgrade(empty_db)
    downgrade(empty_db, "base")
    assert inspect(empty_db).get_table_names() == ["alembic_version"]
    assert revision_of(empty_db) is None
    after = catalog(empty_db)
    assert after - pristine == {item for item in after - pristine if "alembic_version" in item[1]}
    assert without_version_table(after) == pristine, "downgrade left objects behind or removed some"
    assert pristine - after == set()

    assert upgrade(empty_db) == (None, head_revision())
    assert schema_diff(empty_db) == []


def test_every_revision_steps_down_and_up(empty_db: Engine) -> None:
    revisions = revisions_base_to_head()
    for rev in revisions:
        below = rev.down_revision or "base"
        objects_below = without_version_table(catalog(empty_db))
        upgrade(empty_db, rev.revision)
        assert revision_of(empty_db) == rev.revision
        objects_at = without_version_table(catalog(empty_db))

        downgrade(empty_db, below)
        assert revision_of(empty_db) == rev.down_revision
        assert without_version_table(catalog(empty_db)) == objects_below, f"{rev.revision} down is not exact"

        upgrade(empty_db, rev.revision)
        assert without_version_table(catalog(empty_db)) == objects_at, f"{rev.revision} up again differs"
    assert revision_of(empty_db) == head_revision()
    assert schema_diff(empty_db) == []


def test_alembic_command_line_upgrades_and_checks(empty_db: Engine, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_"))}
    env.update(DATABASE_URL=empty_db.url.render_as_string(hide_password=False), PYTHONPATH=str(REPO))
    ini = str(REPO / "alembic.ini")
    for args in (["upgrade", "head"], ["check"]):
        result = subprocess.run(
            [sys.executable, "-m", "alembic", "-c", ini, *args],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert (empty_db.url.password or "\0") not in result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr
    assert revision_of(empty_db) == head_revision()


@pytest.fixture
def cli_on(empty_db: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """database.cli.main configured (through the environment) for ``empty_db``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", empty_db.url.render_as_string(hide_password=False))
    db_connection.dispose_engine()
    yield empty_db
    db_connection.dispose_engine()


def test_cli_init_is_idempotent(cli_on: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    head = head_revision()
    assert database.cli.main(["init"]) == 0
    first = capsys.readouterr()
    assert f"schema migrated empty -> {head}" in first.out
    assert revision_of(cli_on) == head
    objects = catalog(cli_on)

    assert database.cli.main(["init"]) == 0
    second = capsys.readouterr()
    assert f"schema already at revision {head}" in second.out
    assert catalog(cli_on) == objects
    password = cli_on.url.password or "\0"
    assert password not in first.out + first.err + second.out + second.err


def test_cli_init_refuses_tables_without_alembic_version(
    cli_on: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    with cli_on.begin() as conn:
        conn.execute(text("CREATE TABLE users (id integer PRIMARY KEY, nickname text)"))
        conn.execute(text("INSERT INTO users VALUES (1, 'kept')"))
    before = catalog(cli_on)

    assert database.cli.main(["init"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "already has tables (users)" in err
    assert "no Alembic version" in err
    assert "alembic stamp" in err  # and what to do about it

    assert catalog(cli_on) == before  # nothing created, not even alembic_version
    with cli_on.connect() as conn:
        assert conn.execute(text("SELECT nickname FROM users")).scalars().all() == ["kept"]


def test_schema_upgrade_reuses_a_callers_connection(empty_db: Engine) -> None:
    """env.py runs in the caller's transaction: rolling it back undoes the migration."""
    with empty_db.connect() as conn:
        transaction = conn.begin()
        command.upgrade(alembic_config(conn), "head")
        assert current_revision(conn) == head_revision()
        transaction.rollback()
    assert inspect(empty_db).get_table_names() == []
