"""What every part of DatabaseAPI shares: the bind, one unit of work per call, error translation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from database.config import Settings
from database.connection import get_engine, get_settings, make_engine
from database.errors import DatabaseError, translate


class APIBase:
    """Holds the bind. Each public call takes its own session (or connection) from the pool, so
    one instance may be shared by threads, a failed call changes nothing, and two calls are
    never entangled in one transaction."""

    def __init__(self, bind: Engine | Connection | None = None, *, settings: Settings | None = None) -> None:
        """``bind``: an Engine (default: the process-wide one) or a Connection already in a
        transaction (tests: each call then runs in a SAVEPOINT of it). ``settings``: build a
        private engine from these instead of the process-wide one."""
        self._settings = settings or get_settings()
        self._owned_engine: Engine | None = None
        if bind is None:
            if settings is not None:
                bind = self._owned_engine = make_engine(settings)
            else:
                bind = get_engine()
        self._bind = bind
        self._address = self._settings.address
        self._closed = False
        if isinstance(bind, Connection):
            self._session_factory = sessionmaker(
                bind=bind, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            self._engine: Engine | None = None
        else:
            self._session_factory = sessionmaker(bind=bind, expire_on_commit=False)
            # Single-statement calls run without BEGIN/COMMIT: one statement is atomic on its own
            # and the explicit transaction would cost two more round trips (see _statement).
            self._engine = bind

    @property
    def bcrypt_rounds(self) -> int:
        return self._settings.bcrypt_rounds

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseError("this DatabaseAPI has been closed")

    @contextmanager
    def _unit(self) -> Iterator[Session]:
        """One transaction: commits if the block succeeds, rolls back (changing nothing) if not."""
        self._check_open()
        try:
            with self._session_factory.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise translate(exc, self._address) from exc

    @contextmanager
    def _statement(self) -> Iterator[Connection]:
        """A connection in autocommit (no BEGIN/COMMIT round trips) for ONE self-contained
        statement, or for reads that need no common snapshot."""
        self._check_open()
        try:
            if self._engine is None:
                assert isinstance(self._bind, Connection)
                with self._bind.begin_nested():
                    yield self._bind
            else:
                with self._engine.connect() as conn:
                    # psycopg2's own switch is client-side only; SQLAlchemy's isolation_level
                    # option would send a SET on checkout and another on return (two round trips).
                    driver = conn.connection.driver_connection
                    driver.autocommit = True
                    try:
                        yield conn
                    finally:
                        if not conn.invalidated:
                            driver.autocommit = False
        except SQLAlchemyError as exc:
            raise translate(exc, self._address) from exc

    def close(self) -> None:
        """Release this API's resources. Further calls raise DatabaseError. Idempotent."""
        self._closed = True
        if self._owned_engine is not None:
            self._owned_engine.dispose()
            self._owned_engine = None

    def __enter__(self) -> "APIBase":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._settings.safe_url})"
