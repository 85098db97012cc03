"""Reading a legacy file's bytes into JSON, or a precise reason why it cannot be imported.

PostgreSQL cannot store NUL in text or jsonb, nor lone UTF-16 surrogates, nor NaN/Infinity in
jsonb: such files are rejected whole here, before anything is written.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from datetime import datetime, timezone
from typing import Any

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# A timestamptz must lie in years 1..9999; the legacy app wrote epoch seconds.
MIN_EPOCH, MAX_EPOCH = -62135596800.0, 253402300799.0


class Rejected(Exception):
    """The file cannot be imported; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _no_constants(name: str) -> Any:
    raise Rejected(f"invalid JSON: {name} is not a JSON number (PostgreSQL jsonb cannot store it)")


def decode_json(data: bytes) -> Any:
    """Parse a legacy JSON file. A UTF-8 byte-order mark and CRLF line ends are accepted."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if not data.strip():
        raise Rejected("empty file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(f"not UTF-8: undecodable byte 0x{data[exc.start]:02x} at offset {exc.start}") from None
    if "\x00" in text:
        raise Rejected("NUL character in the file (PostgreSQL text cannot store it)")
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        # The parser stops at the end of the text, or inside a string that never closes.
        truncated = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        hint = "truncated JSON" if truncated else "invalid JSON"
        raise Rejected(f"{hint}: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise Rejected("invalid JSON: nested too deeply") from None
    # Escapes (\u0000, lone \ud800) only become NUL/surrogates after parsing: cheap text
    # pre-checks first, the full walk only when one could be there.
    if "\\u0000" in text or _SURROGATE_ESCAPE.search(text):
        _check_strings(value, "$")
    return value


def _check_strings(value: Any, where: str) -> None:
    if isinstance(value, str):
        _check_text(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, where)
            # Plain names read as $.a.b; anything else is quoted, so a reason stays on one line.
            step = f".{key}" if key.isidentifier() else f"[{json.dumps(key)}]"
            _check_strings(item, where + step)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_strings(item, f"{where}[{index}]")


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise Rejected(f"NUL character (\\u0000) in {where} (PostgreSQL text and jsonb cannot store it)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected(f"invalid \\u escape in {where}: a lone UTF-16 surrogate is not text") from None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def epoch(value: Any, where: str, *, nullable: bool = False) -> datetime | None:
    """An epoch float (UTC) as an aware datetime; formatted strings are never used for time."""
    if value is None and nullable:
        return None
    if not is_number(value):
        raise Rejected(f"unparseable time in {where}: expected epoch seconds, got {_describe(value)}")
    if not MIN_EPOCH <= value <= MAX_EPOCH:
        raise Rejected(f"unparseable time in {where}: {value!r} is out of range")
    return datetime.fromtimestamp(value, tz=timezone.utc)


def expect(value: Any, types: type | tuple[type, ...], where: str, *, nullable: bool = False) -> Any:
    """``value`` if it has one of ``types`` (bool is never an int here), else a rejection."""
    if value is None and nullable:
        return None
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in _as_tuple(types))
    if not ok:
        names = " or ".join(t.__name__ for t in _as_tuple(types)) + (" or null" if nullable else "")
        raise Rejected(f"wrong type for {where}: expected {names}, got {_describe(value)}")
    return value


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _describe(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind) and not (kind is not bool and isinstance(value, bool)):
            return name if kind is not str else f"the string {value[:40]!r}"
    return f"the number {value!r}" if isinstance(value, (int, float)) else type(value).__name__


def canonical_sha256(value: Any) -> str:
    """Digest of the parsed content: equal for copies that differ only in BOM, line ends, layout."""
    import hashlib

    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
