"""Helpers for the users/profiles/sessions/export tests.

Conversation rows are written with plain Core inserts (not through the conversations API), so
these tests do not depend on the other half of DatabaseAPI.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from database.config import Settings, load_settings
from database.models import Answer, Conversation, ConversationParameters, Message, Question

USER_KEYS = {
    "id",
    "username",
    "email",
    "name",
    "role",
    "created_at",
    "updated_at",
    "last_login",
    "has_password",
    "metadata",
}

#: bcrypt cost for tests where the cost does not matter (the minimum bcrypt accepts).
FAST_ROUNDS = 4


def fast_settings(rounds: int = FAST_ROUNDS) -> Settings:
    """The test database's settings (DATABASE_URL is set by the engine fixture), cheap bcrypt."""
    return replace(load_settings(env_file=None), bcrypt_rounds=rounds)


def add_quiz(
    conn: Connection,
    user_id: Any,
    outcomes: Sequence[bool | None] = (True, False),
    *,
    session_id: Any = None,
    start_time: datetime | None = None,
) -> uuid.UUID:
    """A conversation with parameters and, per outcome, a question message and an answer
    message (answer.correct = outcome). Messages are inserted last-first, so readers must
    order by position. Returns the conversation id."""
    values: dict[str, Any] = {"user_id": user_id, "session_id": session_id, "conversation_type": "quiz"}
    if start_time is not None:
        values["start_time"] = start_time
    conversation_id = conn.execute(
        insert(Conversation).values(**values).returning(Conversation.id)
    ).scalar_one()
    conn.execute(insert(ConversationParameters).values(conversation_id=conversation_id, strategy="adaptive"))
    rows = []
    for index, correct in enumerate(outcomes):
        rows.append((2 * index, "assistant", f"question {index}", None))
        rows.append((2 * index + 1, "user", f"answer {index}", correct))
    message_ids: dict[int, uuid.UUID] = {}
    for position, role, content, _ in sorted(rows, reverse=True):
        message_ids[position] = conn.execute(
            insert(Message)
            .values(conversation_id=conversation_id, position=position, role=role, content=content)
            .returning(Message.id)
        ).scalar_one()
    for position, role, content, correct in rows:
        if role == "assistant":
            question_id = conn.execute(
                insert(Question)
                .values(
                    message_id=message_ids[position], question_type="mcq", text=content, options=["a", "b"]
                )
                .returning(Question.id)
            ).scalar_one()
        else:
            conn.execute(
                insert(Answer).values(
                    message_id=message_ids[position],
                    question_id=question_id,
                    content=content,
                    correct=correct,
                )
            )
    return conversation_id


def race_create_user(usernames: list[str], barrier: Any, results: Any) -> None:
    """Child process body: its own DatabaseAPI from DATABASE_URL, then create each username
    in lockstep with the other process (a barrier before each attempt)."""
    from database.api import DatabaseAPI
    from database.errors import AlreadyExistsError

    with DatabaseAPI() as api:
        api.get_user("warm-up")  # connect before the race starts
        for name in usernames:
            barrier.wait(timeout=60)
            try:
                api.create_user(name, email="race@example.org")
                results.put((name, "created"))
            except AlreadyExistsError:
                results.put((name, "exists"))
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
                results.put((name, f"unexpected {type(exc).__name__}: {exc}"))


def assert_iso(value: str) -> None:
    assert isinstance(value, str)
    assert datetime.fromisoformat(value).utcoffset() is not None


def assert_user_shape(user: dict) -> None:
    assert set(user) == USER_KEYS
    assert str(uuid.UUID(user["id"])) == user["id"]
    for key in ("created_at", "updated_at"):
        assert_iso(user[key])
    if user["last_login"] is not None:
        assert_iso(user["last_login"])
    assert isinstance(user["has_password"], bool)
    assert "bcrypt" not in json.dumps(user) and "$2b$" not in json.dumps(user)
