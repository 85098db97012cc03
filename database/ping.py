"""The pool's pre-ping without a round trip when the socket already tells the answer.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: one more round trip per API
call, more than the client-side cost of a single-row call (docs/BENCHMARKS.md). But an idle
connection that PostgreSQL has given up on announces it: a server shutting down or restarting, an
``idle_session_timeout``, ``pg_terminate_backend`` and PgBouncer all send an error message and
close the socket, so the idle socket turns readable. An idle socket with nothing to read is
answered without asking; one that is readable (or closed, or in an unknown state) gets the real
``SELECT 1``, which reads what arrived and fails over exactly as before. A connection idle for
longer than ``full_after`` seconds gets the real ping anyway, for the silent failures (a
firewall dropping state) where a round trip is cheap next to the wait since its last use.

What it cannot see is what the plain ping cannot see either: a server that dies silently between
the check and the statement. That statement fails, the pool is invalidated, and the caller gets
one DatabaseUnavailableError (tests/reliability/test_reliability_restart.py).
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from typing import Any

from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from sqlalchemy import Engine, event

# Past this idle time a checkout pays for the real round trip.
FULL_PING_AFTER = 30.0

_LAST_USED = "greytutor_last_checkin"


def _readable(fd: int) -> bool:
    """True if the socket has data, EOF or an error waiting (it must be read to know more)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [fd], 0)[0])  # pragma: no cover - platforms without poll


class QuietSocketPing:
    """A ``Dialect.do_ping`` replacement: True without a round trip while the socket is quiet."""

    def __init__(self, full_ping: Callable[[Any], bool], full_after: float = FULL_PING_AFTER) -> None:
        self.full_ping = full_ping
        self.full_after = full_after
        # dbapi connection id -> monotonic time of its last checkin (kept by install()'s listener).
        self.last_checkin: dict[int, float] = {}

    def __call__(self, dbapi_connection: Any) -> bool:
        if dbapi_connection.closed:
            return False
        if (
            dbapi_connection.get_transaction_status() != TRANSACTION_STATUS_IDLE
            or _readable(dbapi_connection.fileno())
            or time.monotonic() - self.last_checkin.get(id(dbapi_connection), 0.0) > self.full_after
        ):
            return self.full_ping(dbapi_connection)
        return True


def install(engine: Engine, full_after: float = FULL_PING_AFTER) -> QuietSocketPing:
    """Make ``engine``'s pre-ping (``pool_pre_ping=True`` must be set) the quiet-socket ping."""
    ping = QuietSocketPing(engine.dialect.do_ping, full_after)
    # Dialect.do_ping is the hook pool_pre_ping calls; the instance attribute applies to this
    # engine's dialect only.
    engine.dialect.do_ping = ping  # type: ignore[method-assign]

    @event.listens_for(engine.pool, "checkin")
    def _remember(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            ping.last_checkin[id(dbapi_connection)] = time.monotonic()

    @event.listens_for(engine.pool, "close")
    def _forget(dbapi_connection: Any, _record: Any) -> None:
        ping.last_checkin.pop(id(dbapi_connection), None)

    return ping
