"""DatabaseAPI methods: conversations, their messages, and the questions/answers in them.

Writes are one SQL statement each and run through ``_statement()`` (no BEGIN/COMMIT round
trips); reads of several tables run in one ``_unit()``. Inputs are validated here, so bad
input never reaches the database; the caller's dicts are only read, never changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from database import validation as check
from database.api.base import APIBase
from database.errors import AlreadyExistsError, NotFoundError, ValidationError
from database.repositories import conversations as conversation_repo
from database.repositories import messages as message_repo

CONVERSATION_FIELDS = ("conversation_type", "session_id", "quiz_id", "metadata", "start_time")
MESSAGE_FIELDS = ("role", "content", "metadata", "timestamp")
POSITION_TAKEN = "uq_messages_conversation_id_position"
QUESTION_FIELDS = (
    "type",
    "text",
    "difficulty",
    "entity",
    "tier",
    "options",
    "correct_answer",
    "community_id",
    "metadata",
)
ANSWER_FIELDS = ("question_id", "content", "correct", "quality_score", "feedback", "metadata")

# conversation_parameters columns: kind and, for text, the column's length.
PARAMETER_KINDS: dict[str, tuple[str, int]] = {
    "parameter_type": ("text", 64),
    "llm_model": ("text", 128),
    "strategy": ("text", 64),
    "tier": ("text", 32),
    "theme": ("text", 64),
    "max_communities": ("int", 0),
    "max_path_length": ("int", 0),
    "max_paths_per_entity": ("int", 0),
    "max_tokens": ("int", 0),
    "fussiness": ("int", 0),
    "use_cache": ("bool", 0),
    "verbose": ("bool", 0),
    "use_llm": ("bool", 0),
    "temperature": ("number", 0),
}
INT32 = 2**31


def _int32(field: str, value: object) -> int | None:
    result = check.integer(field, value)
    if result is not None and not -INT32 <= result < INT32:
        raise ValidationError(field, "is out of range")
    return result


def _name(field: str, value: object, max_length: int) -> str:
    """Required, non-empty short text (a type or role)."""
    result = check.text(field, value, max_length=max_length)
    if not result:
        raise ValidationError(field, "must not be empty")
    return result


def _json_of(field: str, value: object, kinds: tuple[type, ...], label: str) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
        raise ValidationError(field, f"must be {label}, got {type(value).__name__}")
    return check.json_value(field, value)


def _parameters(data: object) -> dict[str, Any]:
    given = check.known_fields("parameters_data", data, PARAMETER_KINDS)
    values: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:  # absent: the column's default (NULL, or 'default' for parameter_type)
            continue
        kind, length = PARAMETER_KINDS[name]
        field = f"parameters_data.{name}"
        if kind == "text":
            values[name] = _name(field, value, length)
        elif kind == "int":
            values[name] = _int32(field, value)
        elif kind == "bool":
            values[name] = check.boolean(field, value)
        else:
            values[name] = check.number(field, value)
    return values


def _question_fields(data: object) -> dict[str, Any]:
    given = check.known_fields("data", data, QUESTION_FIELDS)
    community = given.get("community_id")
    if community is not None:
        if isinstance(community, bool) or not isinstance(community, (int, str)):
            raise ValidationError(
                "data.community_id", f"must be an int or a string, got {type(community).__name__}"
            )
        community = check.text("data.community_id", str(community), max_length=64)
    return {
        "question_type": check.text("data.type", given.get("type"), optional=True, max_length=64),
        "text": check.text("data.text", given.get("text"), optional=True),
        "difficulty": _int32("data.difficulty", given.get("difficulty")),
        "entity": _json_of("data.entity", given.get("entity"), (str, list, tuple), "a string or a list"),
        "tier": check.text("data.tier", given.get("tier"), optional=True, max_length=32),
        "options": check.json_value("data.options", given.get("options")),
        "correct_answer": check.json_value("data.correct_answer", given.get("correct_answer")),
        "community_id": community,
        "metadata": check.json_object("data.metadata", given.get("metadata")),
    }


def _answer_fields(data: object) -> dict[str, Any]:
    given = check.known_fields("data", data, ANSWER_FIELDS)
    return {
        "content": check.text("data.content", given.get("content"), optional=True),
        "correct": check.boolean("data.correct", given.get("correct")),
        "quality_score": check.number("data.quality_score", given.get("quality_score")),
        "feedback": _json_of(
            "data.feedback", given.get("feedback"), (str, list, tuple, Mapping), "a string, list or dict"
        ),
        "metadata": check.json_object("data.metadata", given.get("metadata")),
    }


class ConversationsAPI(APIBase):
    def create_conversation(
        self,
        username: str,
        conversation_data: Mapping[str, Any] | None = None,
        parameters_data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Start a conversation for a user, with its retrieval/LLM parameters; returns it.

        ``conversation_data``: conversation_type (default "chat"), session_id (a quiz session
        of this user), quiz_id, metadata (dict, stored and returned), start_time (a historic
        start; default now). ``parameters_data``: any conversation_parameters field.
        Raises NotFoundError for an unknown user or session, ValidationError for bad input."""
        name = check.username(username)
        given = check.known_fields("conversation_data", conversation_data, CONVERSATION_FIELDS)
        session_id = given.get("session_id")
        session_id = (
            check.identifier("conversation_data.session_id", session_id) if session_id is not None else None
        )
        conversation_type = given.get("conversation_type")
        values = {
            "conversation_type": "chat"
            if conversation_type is None
            else _name("conversation_data.conversation_type", conversation_type, 32),
            "session_id": session_id,
            "quiz_id": check.text(
                "conversation_data.quiz_id", given.get("quiz_id"), optional=True, max_length=255
            ),
            "metadata": check.json_object("conversation_data.metadata", given.get("metadata")),
            "start_time": check.timestamp("conversation_data.start_time", given.get("start_time")),
        }
        parameter_values = _parameters(parameters_data)
        with self._statement() as conn:
            created = conversation_repo.create(conn, name, parameter_values=parameter_values, **values)
        if created is None:
            with self._statement() as conn:
                reason = conversation_repo.why_missing(conn, name, session_id)
            raise NotFoundError(reason)
        return created

    def end_conversation(self, conversation_id: Any) -> bool:
        """Mark a conversation ended now (end_time, duration_seconds); False if it does not exist.

        Ending an already ended conversation keeps its first end time (and returns True)."""
        cid = check.identifier("conversation_id", conversation_id)
        with self._statement() as conn:
            return conversation_repo.end(conn, cid)

    def add_message(self, conversation_id: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """Append a message (role, content, metadata, optional timestamp) to a conversation; returns it.

        One SQL statement, position included: concurrent writers to one conversation get unique,
        gap-free positions. ``content`` is stored exactly as given (may be empty).
        Raises NotFoundError if the conversation does not exist."""
        cid = check.identifier("conversation_id", conversation_id)
        given = check.known_fields("data", data, MESSAGE_FIELDS)
        role = _name("data.role", given.get("role"), 32)
        content = check.text("data.content", given.get("content"))
        metadata = check.json_object("data.metadata", given.get("metadata"))
        sent_at = check.timestamp("data.timestamp", given.get("timestamp"))
        fields = {"role": role, "content": content, "metadata": metadata, "sent_at": sent_at}
        try:
            with self._statement() as conn:
                message = message_repo.add(conn, cid, **fields)
        except AlreadyExistsError as exc:
            if exc.constraint != POSITION_TAKEN:
                raise
            # A row written around next_position holds the slot (see message_repo.add).
            with self._statement() as conn:
                message = message_repo.add(conn, cid, **fields, catch_up=True)
        if message is None:
            raise NotFoundError(f"conversation {cid} not found")
        return message

    def add_question(self, message_id: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """Record the question a message asks (type, difficulty, entity, tier, options, ...); returns it.

        ``community_id`` may be an int or a string; it is stored (and returned) as a string.
        Raises NotFoundError if the message does not exist, AlreadyExistsError if it already has
        a question."""
        mid = check.identifier("message_id", message_id)
        fields = _question_fields(data)
        with self._statement() as conn:
            question = message_repo.add_question(conn, mid, fields)
        if question is None:
            raise NotFoundError(f"message {mid} not found")
        return question

    def add_answer(self, message_id: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """Record the answer a message gives; returns it.

        ``data``: question_id, content, correct, quality_score (number or None), feedback
        (str, list or dict), metadata.

        Raises NotFoundError if the message or the given question does not exist,
        AlreadyExistsError if the message already has an answer."""
        mid = check.identifier("message_id", message_id)
        fields = _answer_fields(data)
        question_id = (data or {}).get("question_id")
        qid = check.identifier("data.question_id", question_id) if question_id is not None else None
        with self._statement() as conn:
            answer = message_repo.add_answer(conn, mid, qid, fields)
        if answer is None:
            with self._statement() as conn:
                missing_message = not message_repo.message_exists(conn, mid)
            raise NotFoundError(
                f"message {mid} not found" if missing_message else f"question {qid} not found"
            )
        return answer

    def get_conversation(self, conversation_id: Any) -> dict[str, Any] | None:
        """A conversation with its parameters and all its messages in order; None if it does not exist.

        Each message carries its ``question`` and ``answer`` (None when absent). Two statements
        however many messages there are, on one connection without BEGIN/COMMIT: each read is
        consistent on its own, and a message appended between them is simply included."""
        cid = check.identifier("conversation_id", conversation_id)
        with self._statement() as conn:
            conversation = conversation_repo.get(conn, cid)
            if conversation is None:
                return None
            conversation["messages"] = message_repo.for_conversation(conn, cid)
        return conversation

    def get_messages(
        self, conversation_id: Any, limit: int | None = None, before: int | None = None
    ) -> list[dict[str, Any]] | None:
        """The last ``limit`` messages of a conversation, oldest first; None if it does not exist.

        ``limit`` None: all of them.

        ``before``: only messages with position < before; to page back, pass the position of
        the first message of the previous result. An empty conversation gives []. One
        statement, reading only the rows returned."""
        cid = check.identifier("conversation_id", conversation_id)
        count = check.limit(limit) if limit is not None else None
        start = check.integer("before", before, minimum=0)
        with self._statement() as conn:
            return message_repo.last(conn, cid, limit=count, before=start)

    def list_conversations(
        self, username: str, conversation_type: str | None = None, limit: int = 50, after: Any = None
    ) -> list[dict[str, Any]]:
        """A user's conversations newest first, each with its message_count ([] for an unknown user).

        Keyset paging: ``after`` is the id of the last conversation of the previous page.
        Raises ValidationError if ``after`` is not one of this user's conversations."""
        name = check.username(username)
        kind = check.text("conversation_type", conversation_type, optional=True, max_length=32)
        count = check.limit(limit, maximum=1000)
        anchor = check.identifier("after", after) if after is not None else None
        with self._statement() as conn:
            user_found, anchor_found, page = conversation_repo.list_for_user(
                conn, name, conversation_type=kind, limit=count, after=anchor
            )
        if user_found and not anchor_found:
            raise ValidationError("after", f"no conversation {anchor} of user {name!r} (stale page token?)")
        return page

    def delete_conversation(self, conversation_id: Any) -> bool:
        """Delete a conversation and everything in it; False if it does not exist.

        Its parameters, messages, questions and answers go with it."""
        cid = check.identifier("conversation_id", conversation_id)
        with self._statement() as conn:
            return conversation_repo.delete_one(conn, cid)
