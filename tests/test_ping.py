"""The pool's pre-ping (database/ping.py): no round trip on a quiet socket, the real ping otherwise.

Against a real server: a terminated backend, a NOTIFY that arrives on an idle connection and a
long idle time must each lead to the real ``SELECT 1``; a quiet, recently used connection must not.
The server is a private one (tests/server_helpers.py): these tests terminate backends, which
means something else behind PgBouncer (CI's third pass points the suite's database at one).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from server_helpers import private_server
from sqlalchemy import Engine, text

from database import DatabaseUnavailableError
from database.api import DatabaseAPI
from database.config import Settings
from database.connection import make_engine
from database.ping import QuietSocketPing


class RecordingPing:
    """The real psycopg2 ping, counting its calls."""

    def __init__(self, engine: Engine) -> None:
        self.real = type(engine.dialect).do_ping.__get__(engine.dialect)
        self.calls = 0

    def __call__(self, dbapi_connection: Any) -> bool:
        self.calls += 1
        return self.real(dbapi_connection)


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with private_server("ping", "ping-password-1") as (_, started):
        yield started


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the private server (shadows the suite's), for the killing side."""
    private = make_engine(settings)
    yield private
    private.dispose()


@pytest.fixture
def raw_connection(settings: Settings) -> Iterator[Any]:
    """A plain psycopg2 connection to the private server, idle, outside any pool."""
    conn = psycopg2.connect(
        host=settings.host, port=settings.port, user=settings.user, password=settings.password,
        dbname=settings.name,
    )
    conn.autocommit = True
    yield conn
    conn.close()


def _private_api(settings: Settings, **engine_options: Any) -> tuple[Engine, DatabaseAPI]:
    """An API whose connections carry an application_name of their own, so they can be found."""
    private = make_engine(
        settings,
        connect_args={"options": "-c timezone=UTC", "application_name": "greytutor-ping-test"},
        **engine_options,
    )
    return private, DatabaseAPI(private, settings=settings)


def _terminate_api_connections(engine: Engine) -> int:
    with engine.connect() as other:
        killed = other.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'greytutor-ping-test'"
            )
        ).scalar_one()
    time.sleep(0.2)  # the FATAL message and the close travel to the client
    return killed


def _terminate(engine: Engine, pid: int) -> None:
    with engine.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one() is True
    time.sleep(0.2)  # the FATAL message and the close travel to the client


def test_engines_pre_ping_with_the_quiet_socket_check(settings: Settings) -> None:
    fresh = make_engine(settings)
    try:
        assert fresh.pool._pre_ping is True  # issue 2: pool_pre_ping=True
        assert isinstance(fresh.dialect.do_ping, QuietSocketPing)
    finally:
        fresh.dispose()
    plain = make_engine(settings, pool_pre_ping=False)
    try:
        assert not isinstance(plain.dialect.do_ping, QuietSocketPing)
    finally:
        plain.dispose()


def _just_used(real: RecordingPing, conn: Any, full_after: float = 60) -> QuietSocketPing:
    """The package's ping around ``real``, with ``conn`` checked in just now."""
    ping = QuietSocketPing(real, full_after=full_after)
    ping.last_checkin[id(conn)] = time.monotonic()
    return ping


def test_a_quiet_recently_used_connection_is_not_pinged(engine: Engine, raw_connection: Any) -> None:
    real = RecordingPing(engine)
    ping = _just_used(real, raw_connection)
    assert ping(raw_connection) is True
    assert real.calls == 0


def test_a_terminated_backend_is_found_dead(engine: Engine, raw_connection: Any) -> None:
    real = RecordingPing(engine)
    ping = _just_used(real, raw_connection)
    with raw_connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    _terminate(engine, pid)
    with pytest.raises(psycopg2.OperationalError):
        ping(raw_connection)  # SQLAlchemy's caller turns a disconnect error into "dead"
    assert real.calls == 1


def test_anything_waiting_on_the_socket_gets_the_real_ping(engine: Engine, raw_connection: Any) -> None:
    real = RecordingPing(engine)
    ping = _just_used(real, raw_connection)
    with raw_connection.cursor() as cur:
        cur.execute("LISTEN greytutor_ping_test")
    with engine.connect() as other:
        other.execute(text("NOTIFY greytutor_ping_test"))
        other.commit()
    time.sleep(0.2)
    assert ping(raw_connection) is True  # alive: the real ping read the notification
    assert real.calls == 1
    raw_connection.poll()
    assert [n.channel for n in raw_connection.notifies] == ["greytutor_ping_test"]


def test_a_long_idle_connection_gets_the_real_ping(engine: Engine, raw_connection: Any) -> None:
    real = RecordingPing(engine)
    ping = _just_used(real, raw_connection, full_after=0.05)
    time.sleep(0.1)
    assert ping(raw_connection) is True
    assert real.calls == 1
    never_checked_in = QuietSocketPing(real, full_after=60)
    assert never_checked_in(raw_connection) is True
    assert real.calls == 2


def test_a_closed_connection_is_dead_without_a_round_trip(engine: Engine, raw_connection: Any) -> None:
    real = RecordingPing(engine)
    ping = QuietSocketPing(real)
    raw_connection.close()
    assert ping(raw_connection) is False
    assert real.calls == 0


def test_the_api_replaces_terminated_pooled_connections_without_an_error(
    settings: Settings, engine: Engine
) -> None:
    private, api = _private_api(settings)
    try:
        assert api.get_cache("ping-test", "absent") is None
        with private.connect() as conn:
            before = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert _terminate_api_connections(engine) >= 1
        stored = api.set_cache("ping-test", "after", {"ok": True})  # no DatabaseUnavailableError
        assert stored["value"] == {"ok": True}
        with private.connect() as conn:
            after = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert after != before
    finally:
        api.close()
        private.dispose()


def test_without_pre_ping_a_dead_connection_is_one_unavailable_error(
    settings: Settings, engine: Engine
) -> None:
    # The statement itself meets the dead connection, as after a failure the socket did not show.
    private, api = _private_api(settings, pool_pre_ping=False)
    try:
        assert api.get_cache("ping-dead", "k") is None
        assert _terminate_api_connections(engine) >= 1
        with pytest.raises(DatabaseUnavailableError):
            api.get_cache("ping-dead", "k")
        assert api.get_cache("ping-dead", "k") is None  # the dead connection was discarded
    finally:
        api.close()
        private.dispose()
