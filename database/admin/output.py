"""How the admin prints: aligned tables for people, a JSON array or JSON lines for scripts.

Tables shorten long values (one line per row, an ellipsis where cut); JSON never shortens.
Times print in UTC. Colour only on a terminal, and never with NO_COLOR set.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TextIO

from database.serializers import plain

ELLIPSIS = "…"


def shorten(text: str, width: int) -> str:
    """One line (runs of whitespace become one space), at most ``width`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + ELLIPSIS


def when(value: datetime | None) -> str:
    """A table cell for a timestamp: UTC to the second."""
    if value is None:
        return "-"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def cell(value: Any) -> str:
    """Plain text for one table cell (not yet shortened)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


@dataclass(frozen=True)
class Column:
    """A table column: header, how to get the value from a row, and its maximum width (None:
    never shortened, for ids and times that must stay copyable)."""

    header: str
    value: Callable[[Mapping[str, Any]], Any]
    width: int | None = None
    right: bool = False


def col(header: str, key: str, width: int | None = None, right: bool = False) -> Column:
    return Column(header, lambda row: row[key], width, right)


def colour_enabled(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def bold(text: str, stream: TextIO) -> str:
    return f"\033[1m{text}\033[0m" if colour_enabled(stream) else text


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], stream: TextIO | None = None) -> None:
    """Print ``rows`` as an aligned table under a header line."""
    out = stream or sys.stdout
    cells = []
    for row in rows:
        line = []
        for column in columns:
            text = " ".join(cell(column.value(row)).split())
            line.append(shorten(text, column.width) if column.width else text)
        cells.append(line)
    widths = [max([len(c.header)] + [len(line[i]) for line in cells]) for i, c in enumerate(columns)]

    def render(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if c.right else v.ljust(w) for v, w, c in zip(values, widths, columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    print(bold(render([c.header for c in columns]), out), file=out)
    for line in cells:
        print(render(line), file=out)


def json_array(rows: Iterable[Mapping[str, Any]], stream: TextIO | None = None) -> None:
    """One JSON array (ids as strings, times ISO-8601 with offset, values complete)."""
    out = stream or sys.stdout
    json.dump([to_json(row) for row in rows], out, ensure_ascii=False, indent=2)
    out.write("\n")


def json_lines(rows: Iterable[Mapping[str, Any]], stream: TextIO | None = None) -> None:
    """One compact JSON object per line."""
    out = stream or sys.stdout
    for row in rows:
        out.write(json.dumps(to_json(row), ensure_ascii=False, separators=(",", ":")) + "\n")


def to_json(value: Any) -> Any:
    """A JSON-serialisable copy: uuid and datetime leaves become strings, everything else as is."""
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return plain(value)


def document(value: Any, stream: TextIO | None = None) -> None:
    """One JSON document (show-* --json)."""
    out = stream or sys.stdout
    json.dump(to_json(value), out, ensure_ascii=False, indent=2)
    out.write("\n")
