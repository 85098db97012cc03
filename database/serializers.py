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


class RowShape:
    """Turns a slice of a result row (a tuple) into a dict: output keys in column order,
    timestamps as ISO-8601. Built once per statement; per row it is one ``zip`` plus a fix-up of
    the timestamp keys, which is what keeps long reads close to the driver's own speed."""

    __slots__ = ("keys", "start", "stop", "timestamps")

    def __init__(self, keys: list[str] | tuple[str, ...], start: int = 0, timestamps: tuple[str, ...] = ()) -> None:
        unknown = set(timestamps) - set(keys)
        if unknown:
            raise ValueError(f"timestamp keys not among the keys: {sorted(unknown)}")
        self.keys = tuple(keys)
        self.start = start
        self.stop = start + len(self.keys)
        self.timestamps = timestamps

    def __call__(self, row: Any) -> dict[str, Any]:
        out = dict(zip(self.keys, row[self.start : self.stop]))
        for key in self.timestamps:
            value = out[key]
            if value is not None:
                out[key] = value.isoformat()
        return out
