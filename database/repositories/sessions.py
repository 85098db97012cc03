"""Quiz sessions (``user_sessions``). Each function is one statement (two for a stale page token)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, bindparam, literal, select, text, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from database.models import User, UserSession
from database.serializers import row_dict

Executor = Session | Connection

users = User.__table__
sessions = UserSession.__table__

SESSION_KEYS = (
    "id",
    "user_id",
    "username",
    "session_type",
    "start_time",
    "end_time",
    "questions_asked",
    "correct_answers",
    "accuracy",
    "mastery_before",
    "mastery_after",
    "strategy",
    "theme",
    "fussiness",
    "tier",
    "use_llm",
    "parameters",
    "metadata",
)
_COLUMNS = tuple(sessions.c[key] for key in SESSION_KEYS if key != "username")


def to_dict(row: Any) -> dict[str, Any]:
    return row_dict(row, SESSION_KEYS)


def insert_for_user(ex: Executor, username: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """Insert a session for ``username`` in one statement; None if there is no such user."""
    names = ["user_id", *values]
    source = select(users.c.id, *(literal(v, sessions.c[k].type) for k, v in values.items())).where(
        users.c.username == username
    )
    stmt = (
        sessions.insert()
        .from_select(names, source, include_defaults=False)
        # The username matched with = is the stored one, so it can be echoed back.
        .returning(*_COLUMNS, literal(username).label("username"))
    )
    row = ex.execute(stmt).first()
    return to_dict(row) if row is not None else None


def by_id(ex: Executor, session_id: uuid.UUID) -> dict[str, Any] | None:
    stmt = (
        select(*_COLUMNS, users.c.username)
        .join_from(sessions, users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id == session_id)
    )
    row = ex.execute(stmt).first()
    return to_dict(row) if row is not None else None


def page(ex: Executor, username: str, limit: int, after: uuid.UUID | None) -> list[dict[str, Any]] | None:
    """A user's sessions newest first (start_time, id descending), the ``limit`` after session
    ``after``. None when ``after`` names no session of this user (a stale page token)."""
    stmt = (
        select(*_COLUMNS, users.c.username)
        .join_from(sessions, users, users.c.id == sessions.c.user_id)
        .where(users.c.username == username)
        .order_by(sessions.c.start_time.desc(), sessions.c.id.desc())
        .limit(limit)
    )
    if after is not None:
        anchor = (
            select(sessions.c.start_time, sessions.c.id, sessions.c.user_id)
            .where(sessions.c.id == after)
            .subquery("anchor")
        )
        # Joined on the owner: another user's session id is as stale a token as a deleted one.
        stmt = stmt.join(anchor, anchor.c.user_id == users.c.id).where(
            tuple_(sessions.c.start_time, sessions.c.id) < tuple_(anchor.c.start_time, anchor.c.id)
        )
    rows = [to_dict(row) for row in ex.execute(stmt)]
    if not rows and after is not None:
        # Only an empty page can hide a bad token; check it then (a second, rare statement).
        owner = ex.execute(
            select(users.c.username)
            .join_from(sessions, users, users.c.id == sessions.c.user_id)
            .where(sessions.c.id == after)
        ).scalar_one_or_none()
        if owner != username:
            return None
    return rows


# Derived counts come from the answers recorded in the session's conversations:
# conversations.session_id -> messages -> questions / answers. Values the caller gave win
# (COALESCE); accuracy is derived from the final counts, as a percentage 0-100.
_END = text(
    """
    WITH recorded AS (
      SELECT
        (SELECT count(*) FROM questions q
           JOIN messages m ON m.id = q.message_id
           JOIN conversations c ON c.id = m.conversation_id
          WHERE c.session_id = :sid) AS asked,
        (SELECT count(*) FROM answers a
           JOIN messages m ON m.id = a.message_id
           JOIN conversations c ON c.id = m.conversation_id
          WHERE c.session_id = :sid AND a.correct) AS correct
    ), final AS (
      SELECT COALESCE(CAST(:asked AS integer), asked) AS asked,
             COALESCE(CAST(:correct AS integer), correct) AS correct
        FROM recorded
    )
    UPDATE user_sessions s SET
      end_time = COALESCE(CAST(:end_time AS timestamptz), now()),
      questions_asked = f.asked,
      correct_answers = f.correct,
      accuracy = COALESCE(
        CAST(:accuracy AS double precision),
        CASE WHEN f.asked > 0 THEN LEAST(100.0, 100.0 * f.correct / f.asked) END
      ),
      mastery_before = COALESCE(CAST(:mastery_before AS double precision), s.mastery_before),
      mastery_after = COALESCE(CAST(:mastery_after AS double precision), s.mastery_after),
      metadata = s.metadata || :metadata
    FROM final f
    WHERE s.id = :sid
    RETURNING s.id
    """
).bindparams(bindparam("metadata", type_=JSONB))


def end(ex: Executor, session_id: uuid.UUID, values: dict[str, Any]) -> bool:
    """Close a session in one statement; False if it does not exist."""
    params = {
        "sid": session_id,
        "asked": values.get("questions_asked"),
        "correct": values.get("correct_answers"),
        "end_time": values.get("end_time"),
        "accuracy": values.get("accuracy"),
        "mastery_before": values.get("mastery_before"),
        "mastery_after": values.get("mastery_after"),
        "metadata": values.get("metadata") or {},
    }
    return ex.execute(_END, params).first() is not None
