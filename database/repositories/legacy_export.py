"""Reads for the legacy-format export: a conversation with its user name and ordered messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, select

from database.models import Conversation, Message, User

CONVERSATIONS = Conversation.__table__
MESSAGES = Message.__table__
USERS = User.__table__

_CONVERSATION_COLUMNS = (
    CONVERSATIONS.c.id, USERS.c.username, CONVERSATIONS.c.quiz_id, CONVERSATIONS.c.metadata,
    CONVERSATIONS.c.start_time, CONVERSATIONS.c.end_time, CONVERSATIONS.c.duration_seconds, CONVERSATIONS.c.legacy,
)


def _conversations(conn: Connection, where: Any, limit: int | None = None) -> list[Any]:
    stmt = (select(*_CONVERSATION_COLUMNS).join(USERS, USERS.c.id == CONVERSATIONS.c.user_id)
            .where(where).order_by(CONVERSATIONS.c.id))
    return conn.execute(stmt.limit(limit) if limit else stmt).all()


def messages_by_conversation(conn: Connection, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """(role, content, sent_at, metadata, legacy) per conversation, in position order; one query."""
    found: dict[uuid.UUID, list[Any]] = {cid: [] for cid in ids}
    if ids:
        rows = conn.execute(
            select(MESSAGES.c.conversation_id, MESSAGES.c.role, MESSAGES.c.content, MESSAGES.c.sent_at,
                   MESSAGES.c.metadata, MESSAGES.c.legacy)
            .where(MESSAGES.c.conversation_id.in_(list(ids)))
            .order_by(MESSAGES.c.conversation_id, MESSAGES.c.position)
        )
        for row in rows:
            found[row[0]].append(row[1:])
    return found


def conversation(conn: Connection, conversation_id: uuid.UUID) -> tuple[Any, list[Any]] | None:
    rows = _conversations(conn, CONVERSATIONS.c.id == conversation_id)
    if not rows:
        return None
    return rows[0], messages_by_conversation(conn, [conversation_id])[conversation_id]


def all_conversations(conn: Connection, chunk: int = 200) -> Iterator[tuple[Any, list[Any]]]:
    """Every conversation with its messages, by id, ``chunk`` at a time (memory stays flat)."""
    after: uuid.UUID | None = None
    while True:
        where = CONVERSATIONS.c.id > after if after is not None else CONVERSATIONS.c.id.is_not(None)
        rows = _conversations(conn, where, limit=chunk)
        if not rows:
            return
        messages = messages_by_conversation(conn, [row.id for row in rows])
        for row in rows:
            yield row, messages[row.id]
        after = rows[-1].id
