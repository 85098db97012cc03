"""Conversation JSON → plain records (no database here).

Identity, user and type come from the content, never from the file's name or folder. Every
value without a column is kept in ``legacy`` so the export parses equal to the file.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from database.utils.legacy.decoding import (
    MAX_EPOCH,
    MIN_EPOCH,
    Rejected,
    canonical_sha256,
    epoch,
    expect,
    is_number,
)

CONVERSATION_KEYS = (
    "conversation_id", "student_id", "quiz_id", "metadata", "messages", "start_time",
    "start_time_formatted", "end_time", "end_time_formatted", "duration_seconds",
)
MESSAGE_KEYS = ("role", "content", "timestamp", "timestamp_formatted", "metadata")
# Non-uuid legacy ids (e.g. "conversation_3") get a stable uuid, so re-runs find the same row.
LEGACY_ID_NAMESPACE = uuid.UUID("6f1c2a52-4b8e-4d0e-9a57-0c3f0e2b9d11")
MAX_USERNAME, MAX_QUIZ_ID, MAX_ROLE, MAX_TYPE = 150, 255, 32, 32


def conversation_uuid(legacy_id: str) -> uuid.UUID:
    """The database id of a legacy conversation id (the id itself when it is a uuid)."""
    try:
        return uuid.UUID(legacy_id)
    except ValueError:
        return uuid.uuid5(LEGACY_ID_NAMESPACE, f"conversation:{legacy_id}")


@dataclass(slots=True)
class LegacyMessage:
    role: str
    content: str | list[str]
    timestamp: float
    sent_at: datetime
    metadata: dict[str, Any]
    legacy: dict[str, Any]  # exact timestamp, formatted time, list content, extra/absent keys

    @property
    def text(self) -> str:
        """The content as one string (list content joined by newlines)."""
        return self.content if isinstance(self.content, str) else "\n".join(self.content)


@dataclass(slots=True)
class LegacyConversation:
    id: uuid.UUID
    legacy_id: str
    student_id: str
    quiz_id: str | None
    conversation_type: str
    metadata: dict[str, Any]
    start_time: datetime
    end_time: datetime | None
    duration_seconds: float | None
    messages: list[LegacyMessage]
    legacy: dict[str, Any]
    content_sha256: str
    session_key: str | None = field(default=None)  # metadata.session_id, for v1 session records


def conversation_type(metadata: dict[str, Any], messages: list[LegacyMessage]) -> str:
    """chat/assessment from ``metadata.mode``; quiz when a strategy is set (never the folder)."""
    mode = metadata.get("mode")
    if isinstance(mode, str) and mode.strip():
        return mode[:MAX_TYPE]
    if metadata.get("strategy"):
        return "quiz"
    # Neither key: the flags tell (a quiz marks its questions); otherwise it is a chat.
    return "quiz" if any(m.metadata.get("is_question") is True for m in messages) else "chat"


def _split_known(raw: dict[str, Any], known: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    extra = {k: v for k, v in raw.items() if k not in known}
    absent = [k for k in known if k not in raw]
    return extra, absent


_MESSAGE_KEY_SET = frozenset(MESSAGE_KEYS)


def parse_message(raw: Any, index: int) -> LegacyMessage:
    # The common, well-formed message takes the short path; anything else gets the careful one,
    # which also says precisely what is wrong.
    if type(raw) is dict and raw.keys() == _MESSAGE_KEY_SET:
        role, content, timestamp, metadata = raw["role"], raw["content"], raw["timestamp"], raw["metadata"]
        formatted = raw["timestamp_formatted"]
        if (type(role) is str and 0 < len(role) <= MAX_ROLE and type(content) is str and type(metadata) is dict
                and (type(formatted) is str or formatted is None) and type(timestamp) is float
                and MIN_EPOCH <= timestamp <= MAX_EPOCH):
            return LegacyMessage(role, content, timestamp, datetime.fromtimestamp(timestamp, tz=timezone.utc),
                                 metadata, {"timestamp": timestamp, "timestamp_formatted": formatted})
    return _parse_message_carefully(raw, index)


def _parse_message_carefully(raw: Any, index: int) -> LegacyMessage:
    where = f"messages[{index}]"
    expect(raw, dict, where)
    role = expect(raw.get("role"), str, f"{where}.role")
    if not role or len(role) > MAX_ROLE:
        raise Rejected(f"wrong value for {where}.role: {role[:40]!r}")
    content = raw.get("content")
    if isinstance(content, list):
        if not all(isinstance(item, str) for item in content):
            raise Rejected(f"wrong type for {where}.content: a list must hold only strings")
    else:
        expect(content, str, f"{where}.content")
    if "timestamp" not in raw:
        raise Rejected(f"unparseable time in {where}.timestamp: missing")
    timestamp = raw["timestamp"]
    sent_at = epoch(timestamp, f"{where}.timestamp")
    metadata = expect(raw.get("metadata", {}), dict, f"{where}.metadata")
    expect(raw.get("timestamp_formatted"), str, f"{where}.timestamp_formatted", nullable=True)
    extra, absent = _split_known(raw, MESSAGE_KEYS)
    legacy: dict[str, Any] = {"timestamp": timestamp}
    if "timestamp_formatted" in raw:
        legacy["timestamp_formatted"] = raw["timestamp_formatted"]
    if isinstance(content, list):
        legacy["content"] = content
    if extra:
        legacy["extra"] = extra
    if absent:
        legacy["absent"] = absent
    return LegacyMessage(role, content, timestamp, sent_at, metadata, legacy)  # type: ignore[arg-type]


def parse_conversation(raw: Any) -> LegacyConversation:
    """Validate a parsed conversation file; any problem rejects the whole file."""
    expect(raw, dict, "the top level")
    legacy_id = raw.get("conversation_id")
    if legacy_id is None or legacy_id == "":
        raise Rejected("missing id: conversation_id is absent or empty")
    expect(legacy_id, str, "conversation_id")
    student_id = raw.get("student_id")
    if student_id is None or student_id == "":
        raise Rejected("missing id: student_id is absent or empty")
    expect(student_id, str, "student_id")
    if len(student_id) > MAX_USERNAME:
        raise Rejected(f"wrong value for student_id: longer than {MAX_USERNAME} characters")
    quiz_id = expect(raw.get("quiz_id"), str, "quiz_id", nullable=True)
    metadata = expect(raw.get("metadata", {}), dict, "metadata")
    messages_raw = expect(raw.get("messages"), list, "messages")
    if "start_time" not in raw:
        raise Rejected("unparseable time in start_time: missing")
    start_time = epoch(raw["start_time"], "start_time")
    end_time = epoch(raw.get("end_time"), "end_time", nullable=True)
    duration = raw.get("duration_seconds")
    if duration is not None and not is_number(duration):
        raise Rejected("wrong type for duration_seconds: expected a number or null")
    for key in ("start_time_formatted", "end_time_formatted"):
        expect(raw.get(key), str, key, nullable=True)
    messages = [parse_message(m, i) for i, m in enumerate(messages_raw)]

    db_id = conversation_uuid(legacy_id)
    extra, absent = _split_known(raw, CONVERSATION_KEYS)
    legacy: dict[str, Any] = {k: raw[k] for k in ("start_time", "start_time_formatted", "end_time",
                                                 "end_time_formatted") if k in raw}
    if str(db_id) != legacy_id:
        legacy["conversation_id"] = legacy_id
    if quiz_id is not None and len(quiz_id) > MAX_QUIZ_ID:
        legacy["quiz_id"], quiz_id = quiz_id, None
    if duration is not None and not isinstance(duration, float):
        legacy["duration_seconds"] = duration  # an int stays an int in the export
    if extra:
        legacy["extra"] = extra
    if absent:
        legacy["absent"] = absent
    session_key = metadata.get("session_id")
    return LegacyConversation(
        id=db_id,
        legacy_id=legacy_id,
        student_id=student_id,
        quiz_id=quiz_id,
        conversation_type=conversation_type(metadata, messages),
        metadata=metadata,
        start_time=start_time,  # type: ignore[arg-type]
        end_time=end_time,
        duration_seconds=float(duration) if duration is not None else None,
        messages=messages,
        legacy=legacy,
        content_sha256=canonical_sha256(raw),
        session_key=session_key if isinstance(session_key, str) else None,
    )
