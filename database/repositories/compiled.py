"""The hot statements: Core constructs compiled once to SQL text, run on the connection's cursor.

``Connection.execute(statement)`` looks the statement up in the compiled cache, runs every bound
value through its type's processor, builds an execution context and result metadata, on every
call: on this project's benchmark machine that is more client time than the server spends on a
single-row statement (docs/BENCHMARKS.md). A ``Compiled`` statement skips all of that and runs
through ``Connection._cursor_execute``, SQLAlchemy's own path for statements it issues itself
(sequences, defaults), which keeps what matters:

- the ``before_cursor_execute`` / ``after_cursor_execute`` events (statement budgets are tested
  with them) and the engine's echo, with ``hide_parameters`` honoured;
- SQLAlchemy's error wrapping (so ``errors.translate`` sees every failure) and its disconnect
  handling (a dead connection is invalidated, and the pool with it).

``_cursor_execute`` is underscored, though present with this signature throughout the
SQLAlchemy range requirements.txt allows (2.0.30 to 2.1), and dialects use it. A release
without it fails at import with a clear message instead of running a path with other
properties (result rows, which may hold a password hash, are never logged on this one).

Values go to psycopg2 as they are, so callers pass what psycopg2 adapts by itself: str, int,
float, bool, None, datetime, timedelta; uuids as ``str`` (the SQL casts each uuid parameter,
``%(id)s::UUID``) and JSON as text from ``json_text`` (cast ``::JSONB``). Rows come back as
tuples, typed by psycopg2 (uuid columns as str, jsonb parsed, timestamptz as datetime).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Text, Uuid, cast
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.sql import ClauseElement

_DIALECT = PGDialect_psycopg2()
if not callable(getattr(Connection, "_cursor_execute", None)):  # pragma: no cover - guarded by the pin
    raise ImportError(
        "this SQLAlchemy has no Connection._cursor_execute: install a version requirements.txt allows"
    )


def as_text(column: Any) -> Any:
    """A uuid column read as text (other columns unchanged), keeping the column's name.

    SQLAlchemy's psycopg2 dialect registers psycopg2's uuid typecaster, so a uuid column would
    arrive as uuid.UUID, to be turned back into the str the API returns: most of a long read's
    client time."""
    return cast(column, Text).label(column.name) if isinstance(column.type, Uuid) else column


def json_text(value: Any) -> str:
    """A validated JSON value as the text a JSONB parameter takes.

    ASCII with escapes, as SQLAlchemy's JSON type sends it: a lone surrogate then reaches the
    server as an escape it rejects (a ValidationError), not an encoding error in the driver."""
    return json.dumps(value, allow_nan=False)


class Compiled:
    """One statement, compiled once for psycopg2."""

    __slots__ = ("sql", "constants")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_DIALECT)
        self.sql = str(compiled)
        # Literals the construct turned into parameters (the 1 of ``access_count + 1``).
        self.constants = {name: value for name, value in compiled.params.items() if value is not None}

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self._run(conn, params, many=False)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row."""
        return self._run(conn, params, many=True)

    def _run(self, conn: Connection, params: Mapping[str, Any], many: bool) -> Any:
        values = {**self.constants, **params} if self.constants else params
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            conn._cursor_execute(cursor, self.sql, values)
            return cursor.fetchall() if many else cursor.fetchone()
        finally:
            cursor.close()

    def __repr__(self) -> str:
        return f"Compiled({self.sql[:60]!r}...)"

