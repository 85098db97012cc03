"""Data builders and helpers for the admin and maintenance CLI tests (ORM inserts that really commit)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement, Executable

from database.models import (
    Answer,
    CacheEntry,
    Conversation,
    ConversationParameters,
    Message,
    Question,
    User,
    UserProfile,
    UserSession,
)

T0 = datetime(2025, 6, 2, 12, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def add_user(session: Session, username: str, **fields: Any) -> User:
    user = User(username=username, **fields)
    session.add(user)
    session.flush()
    return user


def add_profile(session: Session, user: User, **fields: Any) -> UserProfile:
    profile = UserProfile(user_id=user.id, **fields)
    session.add(profile)
    session.flush()
    return profile


def add_session(session: Session, user: User, start: datetime, **fields: Any) -> UserSession:
    record = UserSession(user_id=user.id, start_time=start, **fields)
    session.add(record)
    session.flush()
    return record


def add_conversation(
    session: Session,
    user: User,
    start: datetime,
    turns: Sequence[dict[str, Any]] = (),
    *,
    kind: str = "quiz",
    quiz_session: UserSession | None = None,
    parameters: dict[str, Any] | None = None,
    **fields: Any,
) -> Conversation:
    """A conversation with ``turns``: {"role", "content"} plus optional "question" (Question fields)
    or "answer" (Answer fields; linked to the latest question)."""
    conversation = Conversation(
        user_id=user.id,
        conversation_type=kind,
        start_time=start,
        next_position=len(turns),
        session_id=quiz_session.id if quiz_session else None,
        **fields,
    )
    session.add(conversation)
    session.flush()
    if parameters is not None:
        session.add(ConversationParameters(conversation_id=conversation.id, **parameters))
    question_id = None
    for position, turn in enumerate(turns):
        # Ids chosen here, so the whole conversation goes in one flush.
        message = Message(
            id=uuid.uuid4(),
            conversation_id=conversation.id,
            position=position,
            role=turn["role"],
            content=turn["content"],
            sent_at=start + timedelta(seconds=position),
        )
        session.add(message)
        if "question" in turn:
            question_id = uuid.uuid4()
            session.add(
                Question(
                    id=question_id,
                    message_id=message.id,
                    **{"created_at": message.sent_at, **turn["question"]},
                )
            )
        if "answer" in turn:
            session.add(
                Answer(
                    message_id=message.id,
                    question_id=question_id,
                    **{"created_at": message.sent_at, **turn["answer"]},
                )
            )
    session.flush()
    return conversation


def add_cache(session: Session, cache_type: str, key: str, value: Any, **fields: Any) -> CacheEntry:
    entry = CacheEntry(cache_type=cache_type, key=key, value=value, **fields)
    session.add(entry)
    session.flush()
    return entry


def quiz_turns(
    question: str,
    options: list[Any],
    answer: str,
    correct: bool,
    score: Any = None,
    feedback: Any = None,
    **question_fields: Any,
) -> list[dict[str, Any]]:
    return [
        {
            "role": "assistant",
            "content": question,
            "question": {"question_type": "multiple_choice", "options": options, **question_fields},
        },
        {
            "role": "user",
            "content": answer,
            "answer": {"content": answer, "correct": correct, "quality_score": score, "feedback": feedback},
        },
    ]


def truncate(engine: Engine) -> None:
    """Empty every table (for module-scoped data sets; committed_db does this per test)."""
    from sqlalchemy import text

    from database.models import Base

    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in Base.metadata.sorted_tables)} CASCADE"))


@contextmanager
def committing(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


class Explain(Executable, ClauseElement):
    """EXPLAIN (ANALYZE, FORMAT JSON) of a Core statement, with its bind values processed as usual."""

    inherit_cache = False

    def __init__(self, statement: Any, analyze: bool = True) -> None:
        self.statement = statement
        self.analyze = analyze


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    options = "ANALYZE, BUFFERS, FORMAT JSON" if element.analyze else "FORMAT JSON"
    return f"EXPLAIN ({options}) " + compiler.process(element.statement, **kw)


def plan_nodes(plan: Any) -> list[dict[str, Any]]:
    """Every node of an EXPLAIN FORMAT JSON plan, depth first."""
    if isinstance(plan, str):
        plan = json.loads(plan)
    if isinstance(plan, list):
        plan = plan[0]["Plan"]
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes += plan_nodes(child)
    return nodes


def out_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


DOWN_PASSWORD = "Sup3r-Secret-Pw"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server_down(monkeypatch: Any) -> Iterator[int]:
    """Point the package's settings at a port where nothing listens (with a password to leak)."""
    from database import connection as db_connection

    port = free_port()
    monkeypatch.setenv("DATABASE_URL", f"postgresql://admin:{DOWN_PASSWORD}@127.0.0.1:{port}/greytutor")
    db_connection.dispose_engine()
    try:
        yield port
    finally:
        db_connection.dispose_engine()  # the next use reads the restored settings
