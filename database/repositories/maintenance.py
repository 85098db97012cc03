"""Queries behind the maintenance commands: previews (what a command would remove), table sizes,
and the chunked delete of old quiz sessions. Nothing here commits; the command owns each transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, bindparam, delete, func, select, text

from database.models import (
    Answer,
    CacheEntry,
    Conversation,
    Message,
    Question,
    User,
    UserProfile,
    UserSession,
)


def user_footprint(conn: Connection, username: str) -> dict[str, int] | None:
    """What deleting the user would remove, in the keys delete_user reports (one statement)."""
    U, C, M = User, Conversation, Message

    def owned(model: Any, *joins: Any) -> Any:
        stmt = select(func.count()).select_from(model)
        for target, on in joins:
            stmt = stmt.join(target, on)
        return stmt.where(C.user_id == U.id).scalar_subquery()

    stmt = select(
        select(func.count()).where(C.user_id == U.id).scalar_subquery().label("conversations"),
        owned(M, (C, C.id == M.conversation_id)).label("messages"),
        owned(Question, (M, M.id == Question.message_id), (C, C.id == M.conversation_id)).label("questions"),
        owned(Answer, (M, M.id == Answer.message_id), (C, C.id == M.conversation_id)).label("answers"),
        select(func.count()).where(UserSession.user_id == U.id).scalar_subquery().label("sessions"),
        select(func.count()).where(UserProfile.user_id == U.id).scalar_subquery().label("profile"),
    ).where(U.username == username)
    row = conn.execute(stmt).mappings().one_or_none()
    return dict(row) if row is not None else None


def expired_cache_count(conn: Connection) -> int:
    """Entries purge-cache --expired would remove (the partial index on expires_at)."""
    stmt = select(func.count()).where(CacheEntry.expires_at <= func.now())
    return conn.execute(stmt).scalar_one()


def cache_type_count(conn: Connection, cache_type: str) -> int:
    stmt = select(func.count()).where(CacheEntry.cache_type == cache_type)
    return conn.execute(stmt).scalar_one()


def old_sessions(conn: Connection, days: int) -> RowMapping:
    """The cutoff (database clock) and what lies before it: sessions, their time span, and the
    conversations linked to them (kept; their session_id becomes NULL)."""
    cutoff = select(func.now() - func.make_interval(0, 0, 0, bindparam("days", days))).scalar_subquery()
    S = UserSession
    before = select(S.id).where(S.start_time < cutoff)
    stmt = select(
        cutoff.label("cutoff"),
        select(func.count()).where(S.start_time < cutoff).scalar_subquery().label("sessions"),
        select(func.min(S.start_time)).where(S.start_time < cutoff).scalar_subquery().label("oldest"),
        select(func.max(S.start_time)).where(S.start_time < cutoff).scalar_subquery().label("newest"),
        select(func.count())
        .where(Conversation.session_id.in_(before))
        .scalar_subquery()
        .label("conversations"),
    )
    return conn.execute(stmt).mappings().one()


def delete_old_sessions(conn: Connection, cutoff: datetime, chunk: int) -> int:
    """Delete at most ``chunk`` sessions that started before ``cutoff``, oldest first (the
    (start_time, id) index). SKIP LOCKED: a session another transaction holds is left for a later
    run instead of blocking this one. Returns how many were deleted."""
    S = UserSession
    victims = (
        select(S.id)
        .where(S.start_time < cutoff)
        .order_by(S.start_time, S.id)
        .limit(chunk)
        .with_for_update(skip_locked=True)
    )
    return conn.execute(delete(S).where(S.id.in_(victims.scalar_subquery()))).rowcount


def table_estimates(conn: Connection, tables: Iterable[Table]) -> dict[str, int]:
    """The planner's row estimate (pg_class.reltuples) of each existing table; -1 = never analysed."""
    names = [table.name for table in tables]
    rows = conn.execute(
        text(
            "SELECT c.relname, c.reltuples::bigint FROM pg_class c WHERE c.relname = ANY(:names) "
            "AND c.relkind = 'r' AND c.relnamespace = to_regnamespace(current_schema())"
        ),
        {"names": names},
    )
    return {name: estimate for name, estimate in rows}


def exact_counts(conn: Connection, tables: Iterable[Table]) -> dict[str, int]:
    """count(*) of each table, in one statement."""
    tables = list(tables)
    if not tables:
        return {}
    stmt = select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
    return dict(conn.execute(stmt).mappings().one())


def database_size(conn: Connection) -> int:
    return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
