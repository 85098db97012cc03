"""Rows to plain dicts: ids as strings, timestamps as ISO-8601 with offset, JSON as-is."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def plain(value: Any) -> Any:
    """Convert uuid/datetime leaves so the result is JSON-serialisable."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def row_dict(row: Any, columns: tuple[str, ...] | list[str], rename: dict[str, str] | None = None) -> dict[str, Any]:
    """Pick ``columns`` from an ORM object or Row mapping; ``rename`` maps attribute -> output key."""
    rename = rename or {}
    mapping = row._mapping if hasattr(row, "_mapping") else None
    out: dict[str, Any] = {}
    for name in columns:
        value = mapping[name] if mapping is not None else getattr(row, name)
        out[rename.get(name, name)] = plain(value)
    return out
