"""The benchmark's database: BENCH_DATABASE_URL, or a fresh embedded PostgreSQL in a temp dir.

Both sides of every comparison talk to the same server over TCP on loopback, with the server's
defaults (fsync and synchronous_commit on: a durable write pays for its fsync on both sides).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from database.config import Settings, load_settings
from database.connection import make_engine
from database.models import Base
from database.schema import upgrade
from database.server import EmbeddedServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(url: str, bcrypt_rounds: int = 12) -> Settings:
    return load_settings({"DATABASE_URL": url, "BCRYPT_ROUNDS": str(bcrypt_rounds)}, env_file=None)


@contextmanager
def bench_database(reset: bool = False) -> Iterator[tuple[Settings, str]]:
    """Yields (settings, description). The schema is migrated to head; tables start empty."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        settings = settings_for(explicit)
        _prepare(settings, reset)
        yield settings, f"BENCH_DATABASE_URL ({settings.safe_url})"
        return
    data_dir = Path(tempfile.mkdtemp(prefix="greytutor-bench-pg-"))
    base = load_settings(
        {
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(_free_port()),
            "DB_PASSWORD": "bench-password",
            "DB_NAME": "bench",
        },
        env_file=None,
    )
    server = EmbeddedServer(base, data_dir / "pgdata")
    server.start()
    try:
        settings = settings_for(base.url.render_as_string(hide_password=False))
        _prepare(settings, reset=True)
        yield settings, f"embedded PostgreSQL in {data_dir}"
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _prepare(settings: Settings, reset: bool) -> None:
    engine = make_engine(settings, poolclass=NullPool)
    try:
        upgrade(engine, address=settings.address)
        with engine.connect() as conn:
            users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
        if users and not reset:
            raise SystemExit(
                f"error: the benchmark database {settings.safe_url} already holds {users} users; "
                "the benchmark empties its tables: pass --reset to allow that"
            )
    finally:
        engine.dispose()
    truncate_all(settings)


def raw_connection(settings: Settings):  # noqa: ANN201
    """Plain psycopg2, autocommit, same session settings as the package's engine."""
    url = settings.url
    conn = psycopg2.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database,
        options="-c timezone=UTC",
        application_name="greytutor-bench-raw",
    )
    conn.autocommit = True
    return conn


def truncate_all(settings: Settings) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    conn = raw_connection(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        conn.close()


def server_version(settings: Settings) -> str:
    conn = raw_connection(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            return cur.fetchone()[0]
    finally:
        conn.close()
