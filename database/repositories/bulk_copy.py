"""COPY FROM STDIN for the importer's bulk loads: rows rendered in COPY's text format.

COPY carries data, never SQL, so it is as safe as bound parameters, several times faster than
multi-row INSERTs for the big tables, and it runs on the caller's connection inside its
transaction (a SAVEPOINT still undoes it). Never commits.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import psycopg2
from sqlalchemy import Boolean, Connection, DateTime, Float, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError

from database.models import Answer, Conversation, ImportedFile, Message, Question

TABLES = {"conversations": Conversation.__table__, "messages": Message.__table__, "questions": Question.__table__,
          "answers": Answer.__table__, "import_files": ImportedFile.__table__}


def insert_rows(conn: Connection, table_name: str, rows: list[dict[str, Any]]) -> None:
    """Bulk-load rows (dicts with the same keys) into one of TABLES with COPY FROM STDIN."""
    if not rows:
        return
    table = TABLES[table_name]
    columns = list(rows[0])
    converters = [_converter(table.c[name].type) for name in columns]
    pairs = list(zip(columns, converters))
    _copy(conn, table.name, columns,
          ["\t".join([convert(row[name]) for name, convert in pairs]) + "\n" for row in rows])


MESSAGE_COLUMNS = ("id", "conversation_id", "position", "role", "content", "sent_at", "metadata", "legacy")


def new_ids(count: int) -> list[str]:
    """``count`` random (version 4) uuids as strings, from one urandom call: uuid.uuid4() is slow."""
    raw = bytearray(os.urandom(16 * count))
    ids = []
    for start in range(0, 16 * count, 16):
        raw[start + 6] = (raw[start + 6] & 0x0F) | 0x40
        raw[start + 8] = (raw[start + 8] & 0x3F) | 0x80
        h = raw[start:start + 16].hex()
        ids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return ids


def _legacy_text(legacy: dict[str, Any]) -> str:
    # The usual shape is written directly; repr() of a finite float is exact JSON.
    if len(legacy) == 2 and type(legacy.get("timestamp")) is float and "timestamp_formatted" in legacy:
        formatted = legacy["timestamp_formatted"]
        text = "null" if formatted is None else _escape(encode_basestring(formatted))
        return f'{{"timestamp":{legacy["timestamp"]!r},"timestamp_formatted":{text}}}'
    return _escape(_JSON.encode(legacy))


def render_messages(conversation_id: uuid.UUID, messages: list[tuple[Any, ...]]) -> tuple[list[str], str]:
    """New message ids and the COPY text of one conversation's messages, (role, content, sent_at,
    metadata, legacy) each. Needs no database, so the importer's reader thread does it ahead."""
    encode = _JSON.encode
    cid = str(conversation_id)
    ids = new_ids(len(messages))
    text = "".join([
        f"{mid}\t{cid}\t{position}\t{_escape(role)}\t{_escape(content)}\t{sent_at.isoformat()}\t"
        f"{_escape(encode(metadata)) if metadata else '{}'}\t{_legacy_text(legacy)}\n"
        for position, (mid, (role, content, sent_at, metadata, legacy)) in enumerate(zip(ids, messages))
    ])
    return ids, text


def insert_messages(conn: Connection, rendered: list[str]) -> None:
    """COPY messages rendered by ``render_messages`` (one text per conversation)."""
    if rendered:
        _copy(conn, "messages", list(MESSAGE_COLUMNS), rendered)


def _copy(conn: Connection, table: str, columns: list[str], lines: list[str]) -> None:
    # Encoded once and sent in large pieces: psycopg2 would otherwise read and encode 8 KiB at a time.
    buffer = io.BytesIO("".join(lines).encode("utf-8"))
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(statement, buffer, size=1 << 20)
    except psycopg2.Error as exc:
        # The raw cursor bypasses SQLAlchemy: wrap the error as it would (IntegrityError, ...).
        raise DBAPIError.instance(statement, None, exc, psycopg2.Error) from exc
    finally:
        cursor.close()


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # built once: json.dumps builds one per call


def _escape(text: str) -> str:
    """COPY text format: backslash, line ends and tabs are escaped (checks first: most text has none)."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return text


# One function per column type, each handling None itself (\\N): no extra call per value.
def _json_field(value: Any) -> str:
    if value is None:
        return "\\N"
    return "{}" if value == {} else _escape(_JSON.encode(value))


def _bool_field(value: Any) -> str:
    return "\\N" if value is None else ("t" if value else "f")


def _time_field(value: Any) -> str:
    return "\\N" if value is None else value.isoformat()


def _float_field(value: Any) -> str:
    return "\\N" if value is None else repr(value)


def _text_field(value: Any) -> str:
    return "\\N" if value is None else _escape(value)


def _plain_field(value: Any) -> str:  # uuids, integers
    return "\\N" if value is None else str(value)


def _converter(column_type: Any) -> Any:
    """value -> one field of COPY's text format, for a column of this type."""
    for kind, convert in ((JSONB, _json_field), (Boolean, _bool_field), (DateTime, _time_field),
                          (Float, _float_field), ((String, Text), _text_field)):
        if isinstance(column_type, kind):
            return convert
    return _plain_field
