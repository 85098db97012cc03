"""Messages and the questions/answers attached to them.

Functions take a Connection or Session, build Core statements with bound parameters only,
may flush, never commit. Each write is ONE statement so the API can run it without
BEGIN/COMMIT. Results are plain dicts (ids as str, timestamps ISO-8601).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, exists, func, insert, select, true, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from database.models import Answer, Conversation, Message, Question
from database.repositories.compiled import Compiled, as_text, json_text
from database.serializers import RowShape, plain

Executor = Connection | Session

conversations = Conversation.__table__
messages = Message.__table__
questions = Question.__table__
answers = Answer.__table__

# Output key -> column, per kind of row.
MESSAGE_COLUMNS = {
    "id": "id",
    "conversation_id": "conversation_id",
    "position": "position",
    "role": "role",
    "content": "content",
    "timestamp": "sent_at",
    "metadata": "metadata",
}
QUESTION_COLUMNS = {
    "id": "id",
    "message_id": "message_id",
    "type": "question_type",
    "text": "text",
    "difficulty": "difficulty",
    "entity": "entity",
    "tier": "tier",
    "options": "options",
    "correct_answer": "correct_answer",
    "community_id": "community_id",
    "created_at": "created_at",
    "metadata": "metadata",
}
ANSWER_COLUMNS = {
    "id": "id",
    "message_id": "message_id",
    "question_id": "question_id",
    "content": "content",
    "correct": "correct",
    "quality_score": "quality_score",
    "feedback": "feedback",
    "created_at": "created_at",
    "metadata": "metadata",
}
# Optional JSON columns: a Python None is SQL NULL there, not the JSON value null.
NULLABLE_JSON = JSONB(none_as_null=True)


def _bind(table: Any, name: str, value: Any) -> Any:
    column = table.c[name]
    kind = NULLABLE_JSON if isinstance(column.type, JSONB) and column.nullable else column.type
    return bindparam(f"v_{name}", value, type_=kind)


def _pick(row: Mapping[str, Any], spec: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    return {key: plain(row[prefix + column]) for key, column in spec.items()}


def _out(column: Any, label: str) -> Any:
    return as_text(column).label(label)  # uuids as text, see compiled.as_text


def _labelled(table: Any, spec: Mapping[str, str], prefix: str) -> list[Any]:
    return [_out(table.c[column], prefix + column) for column in spec.values()]


# Rows of _message_select: message columns, then its question's, then its answer's.
_MESSAGE_SHAPE = RowShape(list(MESSAGE_COLUMNS), 0, ("timestamp",))
_QUESTION_SHAPE = RowShape(list(QUESTION_COLUMNS), _MESSAGE_SHAPE.stop, ("created_at",))
_ANSWER_SHAPE = RowShape(list(ANSWER_COLUMNS), _QUESTION_SHAPE.stop, ("created_at",))
_Q_ID, _A_ID = _QUESTION_SHAPE.start, _ANSWER_SHAPE.start


def message_dict(row: Any, *, joined: bool = True) -> dict[str, Any]:
    """A message row (a tuple from ``_message_select``, or ``_ADD``'s when not ``joined``) with
    its question and answer, None when absent."""
    result = _MESSAGE_SHAPE(row)
    result["question"] = _QUESTION_SHAPE(row) if joined and row[_Q_ID] is not None else None
    result["answer"] = _ANSWER_SHAPE(row) if joined and row[_A_ID] is not None else None
    return result


def add(
    conn: Connection,
    conversation_id: uuid.UUID,
    *,
    role: str,
    content: str,
    metadata: dict[str, Any],
    sent_at: datetime | None,
    catch_up: bool = False,
) -> dict[str, Any] | None:
    """Append a message at the conversation's next position in ONE statement.

    Returns None if the conversation is missing.

    Why this is race-free without a transaction around it: the UPDATE in the CTE takes the
    conversation's row lock, so concurrent appenders to one conversation queue up on it. When
    the lock is released, PostgreSQL (READ COMMITTED) re-reads the now-committed row and
    re-evaluates the SET expression on it (EvalPlanQual), so each writer sees the next_position
    its predecessor left. If the conversation does not exist the UPDATE returns no row and
    nothing is inserted.

    Every writer of messages keeps next_position past the last position (the importer sets it
    from the file). Should a row written some other way hold the position next_position gives,
    the insert fails on the unique (conversation_id, position) index, changing nothing, and
    the caller runs this again with ``catch_up``: next_position then also jumps past
    MAX(position), one probe of that index, and stays caught up for the calls after it.
    """
    params = {
        "conversation_id": str(conversation_id),
        "v_role": role,
        "v_content": content,
        "v_sent_at": sent_at,
        "v_metadata": json_text(metadata),
    }
    row = (_ADD_CATCHING_UP if catch_up else _ADD).first(conn, params)
    return message_dict(row, joined=False) if row is not None else None


def _build_add(catch_up: bool) -> Compiled:
    """The add_message statement, built and compiled once."""
    cid = bindparam("conversation_id", type_=conversations.c.id.type)
    next_position: Any = conversations.c.next_position
    if catch_up:
        next_free = (
            select(func.coalesce(func.max(messages.c.position) + 1, 0))
            .where(messages.c.conversation_id == cid)
            .scalar_subquery()
        )
        next_position = func.greatest(next_position, next_free)
    slot = (
        update(conversations)
        .where(conversations.c.id == cid)
        .values(next_position=next_position + 1)
        .returning(
            conversations.c.id.label("conversation_id"), (conversations.c.next_position - 1).label("position")
        )
        .cte("slot")
    )
    values = select(
        func.gen_random_uuid(),
        slot.c.conversation_id,
        slot.c.position,
        bindparam("v_role", type_=messages.c.role.type),
        bindparam("v_content", type_=messages.c.content.type),
        func.coalesce(bindparam("v_sent_at", type_=messages.c.sent_at.type), func.now()),
        bindparam("v_metadata", type_=JSONB),
    )
    return Compiled(
        insert(messages)
        .from_select(
            ["id", "conversation_id", "position", "role", "content", "sent_at", "metadata"],
            values,
            include_defaults=False,  # every value is given; the rest are server defaults
        )
        .returning(*_labelled(messages, MESSAGE_COLUMNS, "m_"))
    )


_ADD = _build_add(catch_up=False)
_ADD_CATCHING_UP = _build_add(catch_up=True)


def add_question(conn: Executor, message_id: uuid.UUID, fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """Attach a question to a message. ONE statement; None if the message is missing."""
    names = list(fields)
    values = select(
        bindparam("question_id", uuid.uuid4(), type_=questions.c.id.type),
        messages.c.id,
        *[_bind(questions, name, fields[name]) for name in names],
    ).where(messages.c.id == message_id)
    stmt = (
        insert(questions)
        .from_select(["id", "message_id", *names], values, include_defaults=False)
        .returning(*[questions.c[c] for c in QUESTION_COLUMNS.values()])
    )
    row = conn.execute(stmt).mappings().first()
    return _pick(row, QUESTION_COLUMNS) if row is not None else None


def add_answer(
    conn: Executor, message_id: uuid.UUID, question_id: uuid.UUID | None, fields: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Attach an answer to a message. ONE statement; None if the message or given question is missing."""
    names = list(fields)
    source = select(
        bindparam("answer_id", uuid.uuid4(), type_=answers.c.id.type),
        messages.c.id,
        questions.c.id
        if question_id is not None
        else bindparam("no_question", None, type_=answers.c.question_id.type),
        *[_bind(answers, name, fields[name]) for name in names],
    ).where(messages.c.id == message_id)
    if question_id is not None:
        # Joined, not just bound: a missing question yields no row instead of a silent dangling id.
        source = source.join(questions, questions.c.id == question_id)
    stmt = (
        insert(answers)
        .from_select(["id", "message_id", "question_id", *names], source, include_defaults=False)
        .returning(*[answers.c[c] for c in ANSWER_COLUMNS.values()])
    )
    row = conn.execute(stmt).mappings().first()
    return _pick(row, ANSWER_COLUMNS) if row is not None else None


def message_exists(conn: Executor, message_id: uuid.UUID) -> bool:
    return bool(conn.execute(select(exists().where(messages.c.id == message_id))).scalar_one())


def _message_select(source: Any) -> Any:
    """SELECT message columns (m_*), its question (q_*) and answer (a_*) from ``source``."""
    return select(
        *[_out(source.c[c], "m_" + c) for c in MESSAGE_COLUMNS.values()],
        *_labelled(questions, QUESTION_COLUMNS, "q_"),
        *_labelled(answers, ANSWER_COLUMNS, "a_"),
    )


def for_conversation(conn: Connection, conversation_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every message of a conversation in order, each with its question/answer: ONE statement."""
    rows = _FOR_CONVERSATION.all(conn, {"conversation_id": str(conversation_id)})
    return [message_dict(row) for row in rows]


_FOR_CONVERSATION = Compiled(  # built once, like _ADD
    _message_select(messages)
    .select_from(
        messages.outerjoin(questions, questions.c.message_id == messages.c.id).outerjoin(
            answers, answers.c.message_id == messages.c.id
        )
    )
    .where(messages.c.conversation_id == bindparam("conversation_id", type_=messages.c.conversation_id.type))
    .order_by(messages.c.position)
)


def last(
    conn: Connection, conversation_id: uuid.UUID, *, limit: int | None, before: int | None
) -> list[dict[str, Any]] | None:
    """The last ``limit`` messages (before position ``before``), ascending.

    None if the conversation is missing.

    ONE statement: the conversation row drives a LATERAL subquery that walks the unique
    (conversation_id, position) index backwards and stops after ``limit`` rows, so a long
    conversation is never read whole; the outer join tells "missing" (no row) from "empty"."""
    params = {"conversation_id": str(conversation_id), "before": before, "limit": limit}
    rows = _last_statement(limit is not None, before is not None).all(conn, params)
    if not rows:
        return None
    found = [message_dict(row) for row in rows if row[0] is not None]
    # No outer ORDER BY: that would be a sort step in the plan; at most ``limit`` rows here.
    found.sort(key=lambda message: message["position"])
    return found


@functools.lru_cache(maxsize=4)
def _last_statement(limited: bool, paged: bool) -> Compiled:
    """The get_messages statement for each shape of call, built once (values are bound)."""
    recent = select(*[messages.c[c] for c in MESSAGE_COLUMNS.values()]).where(
        messages.c.conversation_id == conversations.c.id
    )
    if paged:
        recent = recent.where(messages.c.position < bindparam("before", type_=messages.c.position.type))
    recent = recent.order_by(messages.c.position.desc())
    if limited:
        recent = recent.limit(bindparam("limit", type_=Integer))
    window = recent.lateral("window")
    return Compiled(
        _message_select(window)
        .add_columns(conversations.c.id.label("found_conversation_id"))
        .select_from(
            conversations.outerjoin(window, true())
            .outerjoin(questions, questions.c.message_id == window.c.id)
            .outerjoin(answers, answers.c.message_id == window.c.id)
        )
        .where(conversations.c.id == bindparam("conversation_id", type_=conversations.c.id.type))
    )


def question_exists(conn: Executor, question_id: uuid.UUID) -> bool:
    return bool(conn.execute(select(exists().where(questions.c.id == question_id))).scalar_one())
