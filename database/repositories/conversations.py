"""Conversations and their parameters: create, end, read, list, delete.

Functions take a Connection or Session, build Core statements with bound parameters only,
may flush, never commit. Results are plain dicts (ids as str, timestamps ISO-8601).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    case,
    delete,
    exists,
    extract,
    func,
    insert,
    null,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from database.models import Conversation, ConversationParameters, Message, User, UserSession
from database.repositories.compiled import Compiled, as_text
from database.serializers import RowShape, plain

Executor = Connection | Session

conversations = Conversation.__table__
parameters = ConversationParameters.__table__
messages = Message.__table__
users = User.__table__
sessions = UserSession.__table__

# Columns of a conversation as the API returns them (output key -> column).
CONVERSATION_COLUMNS = (
    "id",
    "user_id",
    "session_id",
    "conversation_type",
    "quiz_id",
    "start_time",
    "end_time",
    "duration_seconds",
    "metadata",
)
PARAMETER_FIELDS = tuple(c.name for c in parameters.columns if c.name != "conversation_id")


def _conversation_dict(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    return {name: plain(row[prefix + name]) for name in CONVERSATION_COLUMNS}


def _parameters_dict(row: Mapping[str, Any], prefix: str = "p_") -> dict[str, Any]:
    return {name: row[prefix + name] for name in PARAMETER_FIELDS}


def create(
    conn: Executor,
    username: str,
    *,
    conversation_type: str,
    session_id: uuid.UUID | None,
    quiz_id: str | None,
    metadata: dict[str, Any],
    start_time: datetime | None,
    parameter_values: Mapping[str, Any],
) -> dict[str, Any] | None:
    """Insert a conversation and its parameters row in ONE statement (two data-modifying CTEs).

    Returns None when the user does not exist, or the given quiz session does not exist or
    belongs to someone else (see ``why_missing``)."""
    source = select(
        users.c.id,
        bindparam("session_id", session_id, type_=conversations.c.session_id.type),
        bindparam("conversation_type", conversation_type, type_=conversations.c.conversation_type.type),
        bindparam("quiz_id", quiz_id, type_=conversations.c.quiz_id.type),
        bindparam("start_time", start_time, type_=conversations.c.start_time.type)
        if start_time is not None
        else func.now(),
        bindparam("metadata", metadata, type_=JSONB),
        bindparam("conversation_id", uuid.uuid4(), type_=conversations.c.id.type),
    ).where(users.c.username == bindparam("username", username, type_=users.c.username.type))
    if session_id is not None:
        # The session must be one of this user's: a conversation never links to another's quiz.
        source = source.join(sessions, (sessions.c.user_id == users.c.id) & (sessions.c.id == session_id))
    new_conversation = (
        insert(conversations)
        .from_select(
            ["user_id", "session_id", "conversation_type", "quiz_id", "start_time", "metadata", "id"],
            source,
            # Python-side column defaults would be rendered as broken binds inside the CTE;
            # everything not given here has a server default.
            include_defaults=False,
        )
        .returning(*[conversations.c[name] for name in CONVERSATION_COLUMNS])
        .cte("new_conversation")
    )
    names = list(parameter_values)
    new_parameters = (
        insert(parameters)
        .from_select(
            ["conversation_id", *names],
            select(
                new_conversation.c.id,
                *[bindparam(f"p_{n}", parameter_values[n], type_=parameters.c[n].type) for n in names],
            ),
            include_defaults=False,
        )
        .returning(*[parameters.c[name].label(f"p_{name}") for name in PARAMETER_FIELDS])
        .cte("new_parameters")
    )
    stmt = select(new_conversation, new_parameters).select_from(new_conversation.join(new_parameters, true()))
    row = conn.execute(stmt).mappings().first()
    if row is None:
        return None
    result = _conversation_dict(row)
    result["username"] = username
    result["parameters"] = _parameters_dict(row)
    return result


def why_missing(conn: Executor, username: str, session_id: uuid.UUID | None) -> str:
    """Explain (after a failed create) which parent is missing: the user or the session."""
    user_exists = conn.execute(select(exists().where(users.c.username == username))).scalar_one()
    if not user_exists:
        return f"user {username!r} not found"
    return f"session {session_id} not found for user {username!r}"


def end(conn: Executor, conversation_id: uuid.UUID) -> bool:
    """Set end_time and duration_seconds once (a second call keeps the first end); False if missing."""
    already_ended = conversations.c.end_time.is_not(None)
    stmt = (
        update(conversations)
        .where(conversations.c.id == conversation_id)
        .values(
            end_time=func.coalesce(conversations.c.end_time, func.now()),
            duration_seconds=case(
                (already_ended, conversations.c.duration_seconds),
                else_=extract("epoch", func.now() - conversations.c.start_time),
            ),
        )
        .returning(conversations.c.id)
    )
    return conn.execute(stmt).first() is not None


_GET = Compiled(  # built once: building a statement costs more client time than running this one
    select(
        # uuids as text: psycopg2 (as SQLAlchemy sets it up) would parse them into uuid.UUID.
        *[as_text(conversations.c[name]) for name in CONVERSATION_COLUMNS],
        users.c.username,
        *[parameters.c[name].label(f"p_{name}") for name in PARAMETER_FIELDS],
        parameters.c.conversation_id.label("p_present"),
    )
    .select_from(
        conversations.join(users, users.c.id == conversations.c.user_id).outerjoin(
            parameters, parameters.c.conversation_id == conversations.c.id
        )
    )
    .where(conversations.c.id == bindparam("conversation_id", type_=conversations.c.id.type))
)


# _GET's row: the conversation, its username, its parameters, whether parameters exist.
_GET_CONVERSATION = RowShape(CONVERSATION_COLUMNS, 0, ("start_time", "end_time"))
_GET_PARAMETERS = RowShape(PARAMETER_FIELDS, _GET_CONVERSATION.stop + 1)


def get(conn: Connection, conversation_id: uuid.UUID) -> dict[str, Any] | None:
    """The conversation with its username and parameters (one statement); None if missing."""
    row = _GET.first(conn, {"conversation_id": str(conversation_id)})
    if row is None:
        return None
    result = _GET_CONVERSATION(row)
    result["username"] = row[_GET_CONVERSATION.stop]
    result["parameters"] = _GET_PARAMETERS(row) if row[-1] is not None else None
    return result


def list_for_user(
    conn: Executor,
    username: str,
    *,
    conversation_type: str | None,
    limit: int,
    after: uuid.UUID | None,
) -> tuple[bool, bool, list[dict[str, Any]]]:
    """One page of a user's conversations, newest first, each with its message count.

    Keyset paging on (start_time, id): ``after`` is the id of the last conversation of the
    previous page, resolved to its (start_time, id) inside this same statement. One statement
    driven by the user row, so it also tells (user_found, anchor_found) without another query.
    Returns (user_found, anchor_found, page)."""
    anchor = conversations.alias("anchor")
    page_filter = [conversations.c.user_id == users.c.id]
    if conversation_type is not None:
        page_filter.append(conversations.c.conversation_type == conversation_type)
    if after is not None:
        page_filter.append(
            tuple_(conversations.c.start_time, conversations.c.id) < tuple_(anchor.c.start_time, anchor.c.id)
        )
    # Counted per listed conversation through the unique (conversation_id, position) index:
    # part of this statement, so no N+1 round trips.
    message_count = (
        select(func.count())
        .where(messages.c.conversation_id == conversations.c.id)
        .scalar_subquery()
        .label("message_count")
    )
    page = (
        select(*[conversations.c[name] for name in CONVERSATION_COLUMNS], message_count)
        .where(*page_filter)
        .order_by(conversations.c.start_time.desc(), conversations.c.id.desc())
        .limit(limit)
        .lateral("page")
    )
    source: Any = users
    anchor_id: Any = null()
    if after is not None:
        source = source.outerjoin(anchor, (anchor.c.id == after) & (anchor.c.user_id == users.c.id))
        anchor_id = anchor.c.id
    source = source.outerjoin(page, true())
    columns = [
        users.c.id.label("found_user_id"),
        anchor_id.label("anchor_id"),
        *[page.c[name] for name in CONVERSATION_COLUMNS],
        page.c.message_count,
    ]
    stmt = select(*columns).select_from(source).where(users.c.username == username)
    rows = conn.execute(stmt).mappings().all()
    if not rows:
        return False, False, []
    anchor_found = after is None or rows[0]["anchor_id"] is not None
    if not anchor_found:
        return True, False, []
    result = []
    for row in rows:
        if row["id"] is None:  # the user has no conversation on this page (outer join filler)
            continue
        item = _conversation_dict(row)
        item["username"] = username
        item["message_count"] = row["message_count"]
        result.append(item)
    return True, True, result


def delete_one(conn: Executor, conversation_id: uuid.UUID) -> bool:
    """Delete a conversation; its parameters, messages, questions and answers go with it (FK cascade)."""
    stmt = delete(conversations).where(conversations.c.id == conversation_id).returning(conversations.c.id)
    return conn.execute(stmt).first() is not None
