"""One engine per process, created lazily from settings. Importing this opens nothing.

``get_engine()`` / ``get_sessionmaker()`` / ``dispose_engine()``; ``dispose_engine()`` is for
tests and for child processes after ``fork`` (a pooled connection must never cross a fork).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from database import ping
from database.config import Settings, load_settings
from database.errors import translate

_lock = threading.Lock()
_engine: Engine | None = None
_settings: Settings | None = None


def make_engine(settings: Settings, **overrides: object) -> Engine:
    """A new engine for ``settings`` (psycopg2, pre-ping, UTC sessions).

    The pre-ping answers from the socket when it can (database/ping.py): a round trip only for a
    connection whose socket has something waiting or that sat idle for long."""
    options: dict[str, object] = {
        "pool_pre_ping": True,
        # Bound values (password hashes among them) never reach log lines or exception messages.
        "hide_parameters": True,
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "connect_args": {"connect_timeout": 5, "options": "-c timezone=UTC", "application_name": "greytutor-db"},
    }
    if "poolclass" in overrides:  # e.g. NullPool, which takes no size arguments
        options.pop("pool_size")
        options.pop("max_overflow")
    options.update(overrides)
    engine = create_engine(settings.url, **options)
    if options["pool_pre_ping"]:
        ping.install(engine)
    return engine


def get_settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            _settings = load_settings()
        return _settings


def get_engine() -> Engine:
    """The process-wide engine, created on first use."""
    global _engine
    settings = get_settings()
    with _lock:
        if _engine is None:
            _engine = make_engine(settings)
        return _engine


def get_sessionmaker(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


def dispose_engine() -> None:
    """Close the pool and forget the engine and settings (tests, after fork, settings change)."""
    global _engine, _settings
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None
        _settings = None


@dataclass(frozen=True)
class ServerInfo:
    version: str
    revision: str | None
    database: str
    user: str


def probe(engine: Engine, address: str) -> ServerInfo:
    """Connect once and report version and Alembic revision; one-line error on failure."""
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            database, user = conn.execute(text("SELECT current_database(), current_user")).one()
            has_table = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar_one()
            revision = (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
                if has_table
                else None
            )
    except SQLAlchemyError as exc:
        raise translate(exc, address) from exc
    return ServerInfo(version=str(version), revision=revision, database=database, user=user)
