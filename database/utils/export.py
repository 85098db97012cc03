"""Conversations as legacy JSON: for an imported file, the export parses equal to the file.

Imported rows carry in ``legacy`` what has no column (exact epoch floats, formatted times, list
content, unknown keys, keys the file did not have); the export lays those back over the values
built from the columns. A conversation created natively (no ``legacy``) exports in the same
shape from its columns alone, its ``*_formatted`` times in UTC.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from database.errors import NotFoundError
from database.repositories import legacy_export as repo
from database.utils.legacy.conversations import conversation_uuid

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def _formatted(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat() if moment is not None else None


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def _overlay(document: dict[str, Any], legacy: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
    """Put back the file's exact values, drop the keys it did not have, add the ones we do not know."""
    if not legacy:
        return document
    for key in keys:
        if key in legacy:
            document[key] = legacy[key]
    for key in legacy.get("absent", ()):
        document.pop(key, None)
    document.update(legacy.get("extra", {}))
    return document


def message_document(role: str, content: str, sent_at: datetime, metadata: dict[str, Any],
                     legacy: dict[str, Any] | None) -> dict[str, Any]:
    document = {"role": role, "content": content, "timestamp": _epoch(sent_at),
                "timestamp_formatted": _formatted(sent_at), "metadata": metadata}
    return _overlay(document, legacy, ("content", "timestamp", "timestamp_formatted"))


def conversation_document(row: Any, messages: list[Any]) -> dict[str, Any]:
    """The legacy JSON object of one conversation (``row`` and ``messages`` from the export reads)."""
    document = {
        "conversation_id": str(row.id),
        "student_id": row.username,
        "quiz_id": row.quiz_id,
        "metadata": row.metadata,
        "messages": [message_document(*m) for m in messages],
        "start_time": _epoch(row.start_time),
        "start_time_formatted": _formatted(row.start_time),
        "end_time": _epoch(row.end_time),
        "end_time_formatted": _formatted(row.end_time),
        "duration_seconds": row.duration_seconds,
    }
    return _overlay(document, row.legacy, ("conversation_id", "quiz_id", "start_time", "start_time_formatted",
                                           "end_time", "end_time_formatted", "duration_seconds"))


def dumps(document: dict[str, Any]) -> str:
    """The legacy writer's layout: two-space indent, non-ASCII as \\u escapes."""
    return json.dumps(document, indent=2, ensure_ascii=True)


def export_conversation(conn: Connection, conversation_id: str) -> dict[str, Any]:
    """One conversation by its id (the database uuid, or the legacy conversation_id)."""
    found = repo.conversation(conn, conversation_uuid(conversation_id.strip()))
    if found is None:
        raise NotFoundError(f"no conversation with id {conversation_id}")
    return conversation_document(*found)


def iter_export(conn: Connection) -> Iterator[tuple[uuid.UUID, dict[str, Any]]]:
    for row, messages in repo.all_conversations(conn):
        yield row.id, conversation_document(row, messages)


def file_name(database_id: uuid.UUID, document: dict[str, Any]) -> str:
    """``<conversation_id>.json``; the database id when the legacy id is not a safe file name."""
    legacy_id = str(document.get("conversation_id", ""))
    return f"{legacy_id if _SAFE_NAME.match(legacy_id) else database_id}.json"


def export_all(engine: Engine, output_dir: Path) -> int:
    """Write every conversation to ``output_dir``; returns how many (one snapshot for all)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        for database_id, document in iter_export(conn):
            (output_dir / file_name(database_id, document)).write_text(dumps(document) + "\n", encoding="utf-8")
            count += 1
    return count
