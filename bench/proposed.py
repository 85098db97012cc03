"""A prototype of the connection changes proposed in docs/BENCHMARKS.md, to measure what they buy.

NOT the shipped API: the same DatabaseAPI methods, but
- single-statement calls take a connection from a pool whose connections are autocommit from
  the moment they connect (``isolation_level="AUTOCOMMIT"`` on the engine), instead of switching
  a pooled connection to autocommit per call: psycopg2's ``set_isolation_level`` sends
  ``SET default_transaction_isolation TO DEFAULT`` on every switch, two round trips per call;
- optionally no ``pool_pre_ping`` (one ``SELECT 1`` round trip per call): SQLAlchemy then
  handles a server restart optimistically, the first call on a dead connection fails and the
  whole pool is recycled, which the reliability suite shows keeps the "at most one
  DatabaseUnavailableError" promise.
"""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from database.api import DatabaseAPI
from database.config import Settings
from database.connection import make_engine


class ProposedAPI(DatabaseAPI):
    def __init__(self, settings: Settings, *, pre_ping: bool) -> None:
        engine = make_engine(settings, pool_pre_ping=pre_ping)
        super().__init__(engine, settings=settings)
        self._owned_engine = engine
        self._autocommit_engine = make_engine(settings, pool_pre_ping=pre_ping, isolation_level="AUTOCOMMIT")
        self._autocommit = self._autocommit_engine
        self._session_factory = sessionmaker(bind=engine, expire_on_commit=False)

    def close(self) -> None:
        super().close()
        self._autocommit_engine.dispose()
