"""DatabaseAPI methods: quiz sessions."""

from __future__ import annotations

from typing import Any

from database import validation as v
from database.api.base import APIBase
from database.errors import NotFoundError, ValidationError
from database.repositories import sessions as sessions_repo

_CREATE_FIELDS = (
    "session_type",
    "strategy",
    "theme",
    "fussiness",
    "tier",
    "use_llm",
    "parameters",
    "start_time",
    "mastery_before",
    "metadata",
    "id",
    "legacy",
)
_END_FIELDS = (
    "end_time",
    "questions_asked",
    "correct_answers",
    "accuracy",
    "mastery_before",
    "mastery_after",
    "metadata",
)
_TEXT_LIMITS = {"session_type": 32, "strategy": 64, "theme": 64, "tier": 32}


def _create_values(data: object) -> dict[str, Any]:
    fields = v.known_fields("data", data, _CREATE_FIELDS)
    values: dict[str, Any] = {}
    for field, value in fields.items():
        if value is None:
            continue  # the column default (session_type "quiz", start_time now, ...)
        if field in _TEXT_LIMITS:
            values[field] = v.text(field, value, max_length=_TEXT_LIMITS[field])
        elif field == "fussiness":
            values[field] = v.integer(field, value)
        elif field == "use_llm":
            values[field] = v.boolean(field, value)
        elif field == "mastery_before":
            values[field] = v.number(field, value)
        elif field == "start_time":
            values[field] = v.timestamp(field, value)
        elif field == "id":
            values[field] = v.identifier(field, value)
        else:  # parameters, metadata, legacy
            values[field] = v.json_object(field, value)
    if values.get("session_type") == "":
        raise ValidationError("session_type", "must not be empty")
    return values


def _end_values(data: object) -> dict[str, Any]:
    fields = v.known_fields("data", data, _END_FIELDS)
    values: dict[str, Any] = {
        "end_time": v.timestamp("end_time", fields.get("end_time")),
        "questions_asked": v.integer("questions_asked", fields.get("questions_asked"), minimum=0),
        "correct_answers": v.integer("correct_answers", fields.get("correct_answers"), minimum=0),
        "accuracy": v.number("accuracy", fields.get("accuracy")),
        "mastery_before": v.number("mastery_before", fields.get("mastery_before")),
        "mastery_after": v.number("mastery_after", fields.get("mastery_after")),
        "metadata": v.json_object("metadata", fields.get("metadata")),
    }
    if values["accuracy"] is not None and not 0 <= values["accuracy"] <= 100:
        raise ValidationError("accuracy", "must be a percentage between 0 and 100")
    asked, correct = values["questions_asked"], values["correct_answers"]
    if asked is not None and correct is not None and correct > asked:
        raise ValidationError("correct_answers", "must not exceed questions_asked")
    return values


class SessionsAPI(APIBase):
    """Quiz sessions. A session dict has id, user_id, username, session_type, start_time,
    end_time, questions_asked, correct_answers, accuracy, mastery_before, mastery_after,
    strategy, theme, fussiness, tier, use_llm, parameters and metadata."""

    def create_session(self, username: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Start a quiz session for a user; returns the session dict.

        ``data``: session_type (default "quiz"), strategy, theme, fussiness, tier, use_llm,
        parameters, metadata, mastery_before; for imports also start_time (default now), id and
        legacy. One statement. Raises NotFoundError if there is no such user, AlreadyExistsError
        for a taken id, ValidationError for unknown fields or wrong types.
        """
        name = v.username(username)
        values = _create_values(data)
        with self._statement() as conn:
            session = sessions_repo.insert_for_user(conn, name, values)
        if session is None:
            raise NotFoundError(f"no user named {name!r}")
        return session

    def end_session(self, session_id: Any, data: dict[str, Any] | None = None) -> bool:
        """End a quiz session; False if there is no such session.

        ``data`` (all optional): end_time (default now), questions_asked, correct_answers,
        accuracy (percent 0-100), mastery_before, mastery_after, metadata (merged). Counts not
        given are derived from the answers recorded in the session's conversations: questions
        asked = their questions, correct answers = their answers marked correct; accuracy not
        given = 100 * correct / asked (None when no questions). One statement.
        """
        sid = v.identifier("session_id", session_id)
        values = _end_values(data)
        with self._statement() as conn:
            return sessions_repo.end(conn, sid, values)

    def get_session(self, session_id: Any) -> dict[str, Any] | None:
        """The quiz session with this id, or None. One statement."""
        sid = v.identifier("session_id", session_id)
        with self._statement() as conn:
            return sessions_repo.by_id(conn, sid)

    def list_sessions(self, username: str, limit: int = 50, after: Any = None) -> list[dict[str, Any]]:
        """A user's quiz sessions, newest first (start_time, then id), at most ``limit``.

        Keyset paging: pass the id of the last session of the previous page as ``after``; an
        empty list is the end. A user without sessions (or no such user) gives []. An ``after``
        that is not a session of this user raises ValidationError (a stale page token must not
        look like the end).
        """
        name = v.username(username)
        count = v.limit(limit)
        anchor = v.identifier("after", after) if after is not None else None
        with self._statement() as conn:
            rows = sessions_repo.page(conn, name, count, anchor)
        if rows is None:
            raise ValidationError("after", f"no session {anchor} of user {name!r}")
        return rows
