"""Cache entries keyed by (cache_type, key). Each function is ONE statement; never commits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Interval, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Session

from database.models import CacheEntry
from database.repositories.compiled import Compiled, json_text
from database.serializers import RowShape, plain

Executor = Connection | Session

entries = CacheEntry.__table__

ENTRY_COLUMNS = ("cache_type", "key", "value", "created_at", "last_accessed", "access_count", "expires_at")


_entry_dict = RowShape(ENTRY_COLUMNS, 0, ("created_at", "last_accessed", "expires_at"))


def _live() -> Any:
    # An expired entry is a miss even before purge_expired_cache() removes it.
    return entries.c.expires_at.is_(None) | (entries.c.expires_at > func.now())


# The hot statements are built once: constructing a statement costs more client time than the
# server spends on it. Values travel as bound parameters.
_RETURNED = [entries.c[name] for name in ENTRY_COLUMNS]
_GET = Compiled(
    update(entries)
    .where(entries.c.cache_type == bindparam("p_type"), entries.c.key == bindparam("p_key"), _live())
    .values(access_count=entries.c.access_count + 1, last_accessed=func.now())
    .returning(*_RETURNED)
)
_new = insert(entries).values(
    id=func.gen_random_uuid(),  # the server's default: no Python-side default under exec_driver_sql
    cache_type=bindparam("p_type"),
    key=bindparam("p_key"),
    # Typed explicitly: a Python None is stored as the JSON value null (the column is NOT NULL).
    value=bindparam("p_value", type_=JSONB(none_as_null=False)),
    created_at=func.now(),
    last_accessed=func.now(),
    access_count=0,
    # now() + NULL is NULL: no ttl, no expiry.
    expires_at=func.now() + bindparam("p_ttl", type_=Interval),
)
_PUT = Compiled(
    _new.on_conflict_do_update(
        index_elements=[entries.c.cache_type, entries.c.key],
        set_={
            "value": _new.excluded.value,
            "created_at": _new.excluded.created_at,
            "last_accessed": _new.excluded.last_accessed,
            "access_count": 0,
            "expires_at": _new.excluded.expires_at,
        },
    ).returning(*_RETURNED)
)


def get(conn: Connection, cache_type: str, key: str) -> dict[str, Any] | None:
    """A live entry, counting the hit in the same statement (UPDATE ... RETURNING); None on a miss."""
    row = _GET.first(conn, {"p_type": cache_type, "p_key": key})
    return _entry_dict(row) if row is not None else None


def put(conn: Connection, cache_type: str, key: str, value: Any, ttl_seconds: float | None) -> dict[str, Any]:
    """Insert or replace an entry: one upsert. Replacing starts it afresh (new value, created_at,
    expiry, zero hits). Concurrent puts of one key serialise on the row; the last one wins.
    ``value``: any JSON value (None is JSON null)."""
    ttl = timedelta(seconds=ttl_seconds) if ttl_seconds else None
    params = {"p_type": cache_type, "p_key": key, "p_value": json_text(value), "p_ttl": ttl}
    row = _PUT.first(conn, params)
    assert row is not None  # an upsert always returns its row
    return _entry_dict(row)


def delete_one(conn: Executor, cache_type: str, key: str) -> bool:
    stmt = (
        delete(entries)
        .where(entries.c.cache_type == cache_type, entries.c.key == key)
        .returning(entries.c.id)
    )
    return conn.execute(stmt).first() is not None


def purge_expired(conn: Executor) -> int:
    """Delete expired entries (served by the partial index on expires_at); returns how many."""
    stmt = delete(entries).where(entries.c.expires_at <= func.now())
    return conn.execute(stmt).rowcount


def clear(conn: Executor, cache_type: str) -> int:
    return conn.execute(delete(entries).where(entries.c.cache_type == cache_type)).rowcount


def stats(conn: Executor) -> dict[str, Any]:
    """Entries, expired entries, hits and last access per cache type, and the totals: one statement."""
    expired = entries.c.expires_at <= func.now()
    stmt = (
        select(
            entries.c.cache_type,
            func.count().label("entries"),
            func.count().filter(expired).label("expired"),
            func.coalesce(func.sum(entries.c.access_count), 0).label("hits"),
            func.max(entries.c.last_accessed).label("last_accessed"),
        )
        .group_by(entries.c.cache_type)
        .order_by(entries.c.cache_type)
    )
    by_type = {
        row["cache_type"]: {
            "entries": row["entries"],
            "expired": row["expired"],
            "hits": int(row["hits"]),
            "last_accessed": plain(row["last_accessed"]),
        }
        for row in conn.execute(stmt).mappings()
    }
    return {
        "entries": sum(t["entries"] for t in by_type.values()),
        "expired": sum(t["expired"] for t in by_type.values()),
        "hits": sum(t["hits"] for t in by_type.values()),
        "types": by_type,
    }
