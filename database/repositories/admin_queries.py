"""Read-only queries behind the admin lists: one statement per page, each page served by an index.

Each ``*_query`` builds the statement of one page (so tests can EXPLAIN exactly what runs) and
``page`` runs it. Paging is keyset ("the next LIMIT rows after the last one shown", in the list's
fixed total order), so a deep page costs what the first one costs. Every page query fetches
``limit + 1`` rows: the extra row only tells the caller that another page exists. Where the order
is by time, the key is the last row's id and the query looks up that row's time itself (a one-row
index probe in the same statement), so the caller only ever hands over an id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    Uuid,
    func,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.orm import aliased

from database.models import Answer, CacheEntry, Conversation, Message, Question, User, UserSession

# Must be the expression of ix_messages_content_fts (models/conversation.py), or the index is unusable.
_SEARCH_CONFIG = literal_column("'simple'")


@dataclass(frozen=True)
class Window:
    """What every list takes: page size, where to continue, and a time range [since, until)."""

    limit: int
    after: Any = None
    since: datetime | None = None
    until: datetime | None = None


def content_matches(column: Any, search: str) -> ColumnElement[bool]:
    """Full-text match: every word (websearch syntax: "a phrase", or, -word) in the content."""
    document = func.to_tsvector(_SEARCH_CONFIG, column)
    return document.bool_op("@@")(func.websearch_to_tsquery(_SEARCH_CONFIG, search))


def _columns(model: Any, names: str) -> list[Any]:
    """The attributes of ``model`` named in ``names`` (space-separated); ``metadata_`` comes out
    as ``metadata``."""
    return [
        getattr(model, n).label("metadata") if n == "metadata_" else getattr(model, n) for n in names.split()
    ]


def _time_range(stmt: Select[Any], column: Any, window: Window) -> Select[Any]:
    if window.since is not None:
        stmt = stmt.where(column >= window.since)
    if window.until is not None:
        stmt = stmt.where(column < window.until)
    return stmt


def _newest_first(stmt: Select[Any], model: Any, time_attr: str, window: Window) -> Select[Any]:
    """ORDER BY (time, id) DESC, continuing after the row whose id is ``window.after``."""
    time_col, id_col = getattr(model, time_attr), model.id
    if window.after is not None:
        anchor = aliased(model)
        anchor_time = select(getattr(anchor, time_attr)).where(anchor.id == window.after).scalar_subquery()
        stmt = stmt.where(tuple_(time_col, id_col) < tuple_(anchor_time, literal(window.after, Uuid())))
    stmt = _time_range(stmt, time_col, window)
    return stmt.order_by(time_col.desc(), id_col.desc()).limit(window.limit + 1)


def page(conn: Connection, stmt: Select[Any]) -> list[RowMapping]:
    """Run one page query (built by a ``*_query`` function below)."""
    return list(conn.execute(stmt).mappings())


def user_id(conn: Connection, username: str) -> uuid.UUID | None:
    return conn.execute(select(User.id).where(User.username == username)).scalar_one_or_none()


def row_exists(conn: Connection, model: Any, row_id: Any) -> bool:
    """Whether the anchor of an ``--after`` still exists (asked only when a page came back empty)."""
    return conn.execute(select(literal(1)).where(model.id == row_id)).first() is not None


def users_query(window: Window) -> Select[Any]:
    """By username (the unique index); ``after`` is a username."""
    sessions = select(func.count()).where(UserSession.user_id == User.id).scalar_subquery()
    conversations = select(func.count()).where(Conversation.user_id == User.id).scalar_subquery()
    stmt = select(
        *_columns(User, "username id name email role created_at updated_at last_login"),
        # Whether a password is set: the hash itself never leaves the database.
        User.password_hash.is_not(None).label("password_set"),
        sessions.label("sessions"),
        conversations.label("conversations"),
    )
    if window.after is not None:
        stmt = stmt.where(User.username > window.after)
    stmt = _time_range(stmt, User.created_at, window)
    return stmt.order_by(User.username).limit(window.limit + 1)


def sessions_query(
    window: Window, *, user: uuid.UUID | None = None, session_type: str | None = None
) -> Select[Any]:
    """Quiz sessions, newest first; served by (start_time, id), or (user_id, start_time) with ``user``."""
    S = UserSession
    fields = (
        "user_id session_type start_time end_time questions_asked correct_answers accuracy mastery_before "
        "mastery_after strategy theme fussiness tier use_llm parameters metadata_"
    )
    stmt = select(S.id, User.username, *_columns(S, fields)).join(User, User.id == S.user_id)
    if user is not None:
        stmt = stmt.where(S.user_id == user)
    if session_type is not None:
        stmt = stmt.where(S.session_type == session_type)
    return _newest_first(stmt, S, "start_time", window)


def message_count(conversation_id: Any) -> Any:
    """Messages in a conversation = last position + 1 (positions are gap-free): one index probe,
    where count(*) would read every message of a long conversation."""
    last = aliased(Message)
    probe = (
        select(last.position + 1)
        .where(last.conversation_id == conversation_id)
        .order_by(last.position.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(probe, 0)


def conversations_query(
    window: Window,
    *,
    user: uuid.UUID | None = None,
    conversation_type: str | None = None,
    search: str | None = None,
) -> Select[Any]:
    """Newest first; ``search`` keeps conversations with a message matching it (GIN index)."""
    C = Conversation
    fields = "user_id conversation_type quiz_id session_id start_time end_time duration_seconds"
    stmt = select(
        C.id,
        User.username,
        *_columns(C, fields),
        message_count(C.id).label("messages"),
        C.metadata_.label("metadata"),
    ).join(User, User.id == C.user_id)
    if user is not None:
        stmt = stmt.where(C.user_id == user)
    if conversation_type is not None:
        stmt = stmt.where(C.conversation_type == conversation_type)
    if search is not None:
        stmt = stmt.where(
            C.id.in_(select(Message.conversation_id).where(content_matches(Message.content, search)))
        )
    return _newest_first(stmt, C, "start_time", window)


def messages_query(
    conversation_id: uuid.UUID,
    window: Window,
    *,
    role: str | None = None,
    search: str | None = None,
) -> Select[Any]:
    """In position order, LIMIT on the (conversation_id, position) index; ``after`` is a position."""
    M = Message
    stmt = (
        select(
            *_columns(M, "id position role content sent_at metadata_"),
            Question.id.label("question_id"),
            Answer.id.label("answer_id"),
        )
        .outerjoin(Question, Question.message_id == M.id)
        .outerjoin(Answer, Answer.message_id == M.id)
        .where(M.conversation_id == conversation_id)
    )
    if window.after is not None:
        stmt = stmt.where(M.position > window.after)
    if role is not None:
        stmt = stmt.where(M.role == role)
    if search is not None:
        stmt = stmt.where(content_matches(M.content, search))
    stmt = _time_range(stmt, M.sent_at, window)
    return stmt.order_by(M.position).limit(window.limit + 1)


def questions_query(
    window: Window, *, user: uuid.UUID | None = None, question_type: str | None = None
) -> Select[Any]:
    """Newest first, on (created_at, id); ``text`` falls back to the message content (the legacy
    quizzes kept the question text only there)."""
    Q, M, C = Question, Message, Conversation
    stmt = (
        select(
            Q.id,
            Q.message_id,
            M.conversation_id,
            User.username,
            Q.question_type,
            func.coalesce(Q.text, M.content).label("text"),
            *_columns(Q, "difficulty entity tier community_id options correct_answer created_at metadata_"),
        )
        .join(M, M.id == Q.message_id)
        .join(C, C.id == M.conversation_id)
        .join(User, User.id == C.user_id)
    )
    if user is not None:
        stmt = stmt.where(C.user_id == user)
    if question_type is not None:
        stmt = stmt.where(Q.question_type == question_type)
    return _newest_first(stmt, Q, "created_at", window)


def answers_query(
    window: Window, *, user: uuid.UUID | None = None, correct: bool | None = None
) -> Select[Any]:
    """Newest first, on (created_at, id), with the text of the question answered."""
    A, M, C = Answer, Message, Conversation
    question_message = aliased(Message)
    stmt = (
        select(
            A.id,
            A.message_id,
            A.question_id,
            M.conversation_id,
            User.username,
            *_columns(A, "content correct quality_score feedback created_at metadata_"),
            func.coalesce(Question.text, question_message.content).label("question_text"),
        )
        .join(M, M.id == A.message_id)
        .join(C, C.id == M.conversation_id)
        .join(User, User.id == C.user_id)
        .outerjoin(Question, Question.id == A.question_id)
        .outerjoin(question_message, question_message.id == Question.message_id)
    )
    if user is not None:
        stmt = stmt.where(C.user_id == user)
    if correct is not None:
        stmt = stmt.where(A.correct.is_(correct))
    return _newest_first(stmt, A, "created_at", window)


def cache_query(window: Window, *, cache_type: str | None = None, expired: bool = False) -> Select[Any]:
    """By (cache_type, key), the unique index; ``after`` is an entry id (its type and key are looked up)."""
    E = CacheEntry
    is_expired = func.coalesce(E.expires_at <= func.now(), False)
    fields = "id cache_type key value created_at last_accessed access_count expires_at"
    stmt = select(*_columns(E, fields), is_expired.label("expired"))
    if window.after is not None:
        anchor = aliased(E)
        anchor_type = select(anchor.cache_type).where(anchor.id == window.after).scalar_subquery()
        anchor_key = select(anchor.key).where(anchor.id == window.after).scalar_subquery()
        stmt = stmt.where(tuple_(E.cache_type, E.key) > tuple_(anchor_type, anchor_key))
    if cache_type is not None:
        stmt = stmt.where(E.cache_type == cache_type)
    if expired:
        stmt = stmt.where(E.expires_at <= func.now())
    stmt = _time_range(stmt, E.created_at, window)
    return stmt.order_by(E.cache_type, E.key).limit(window.limit + 1)
