"""Test database: TEST_DATABASE_URL if set, else a throwaway embedded server in a temp dir.

The schema is built once per run by ``alembic upgrade head`` (which tests the migrations too).
Each test gets a connection inside an outer transaction that is rolled back; code under test
uses SAVEPOINTs on it (``join_transaction_mode="create_savepoint"``). Tests that need real
commits (CLI, threads, processes) use ``committed_db``, which empties the tables afterwards.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import URL, Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from database import connection as db_connection
from database.config import load_settings
from database.models import Base
from database.schema import upgrade
from database.server import EmbeddedServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[URL]:
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        yield make_url(explicit).set(drivername="postgresql+psycopg2")
        return
    data_dir = Path(tempfile.mkdtemp(prefix="greytutor-test-pg-"))
    settings = load_settings(
        {"DB_HOST": "127.0.0.1", "DB_PORT": str(_free_port()), "DB_PASSWORD": "test-p@ss:w/rd%"}, env_file=None
    )
    server = EmbeddedServer(settings, data_dir / "pgdata")
    server.start()
    try:
        yield settings.url
    finally:
        server.stop()
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(database_url: URL) -> Iterator[Engine]:
    """The test database, migrated to head; DATABASE_URL points the package's own engine at it."""
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL",)}
    os.environ["DATABASE_URL"] = database_url.render_as_string(hide_password=False)
    db_connection.dispose_engine()
    eng = db_connection.make_engine(load_settings(env_file=None))
    upgrade(eng)
    yield eng
    eng.dispose()
    db_connection.dispose_engine()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection in an outer transaction, rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as s:
        yield s


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def committed_db(engine: Engine) -> Iterator[Engine]:
    """For tests that must really commit (CLI, threads, processes): emptied before and after."""
    _truncate_all(engine)
    db_connection.dispose_engine()
    yield engine
    db_connection.dispose_engine()
    _truncate_all(engine)


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self.statements.append(statement)


@pytest.fixture
def count_statements(engine: Engine) -> Iterator[StatementCounter]:
    """Counts every statement sent through the test engine (SAVEPOINTs included)."""
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def api(connection: Connection):
    """DatabaseAPI bound to the rolled-back test connection (each call in a SAVEPOINT)."""
    from database.api import DatabaseAPI

    with DatabaseAPI(connection) as instance:
        yield instance


@pytest.fixture
def committed_api(committed_db: Engine):
    """DatabaseAPI on a real engine that commits (and the autocommit single-statement path)."""
    from database.api import DatabaseAPI

    with DatabaseAPI(committed_db) as instance:
        yield instance
