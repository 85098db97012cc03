"""Input checks shared by the API: each failure is a ValidationError naming the field."""

from __future__ import annotations

import json
import math
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from database.errors import ValidationError

MAX_USERNAME = 150


def known_fields(field: str, data: object, allowed: Iterable[str]) -> Mapping[str, Any]:
    """``data`` must be a mapping whose keys are all in ``allowed``."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValidationError(field, f"must be a dict, got {type(data).__name__}")
    allowed_set = set(allowed)
    unknown = sorted(str(k) for k in data if k not in allowed_set)
    if unknown:
        raise ValidationError(f"{field}.{unknown[0]}", f"unknown field (allowed: {', '.join(sorted(allowed_set))})")
    return data


def username(value: object, field: str = "username") -> str:
    """1-150 characters, no control characters; anything else (spaces, apostrophes, any letters) is kept."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > MAX_USERNAME:
        raise ValidationError(field, f"must be at most {MAX_USERNAME} characters (got {len(value)})")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValidationError(field, "must not contain control characters")
    _encodable(field, value)
    return value


def _encodable(field: str, value: str) -> None:
    # A lone UTF-16 surrogate (e.g. from a bad JSON "\ud800" escape) cannot be sent as UTF-8:
    # without this the driver raises UnicodeEncodeError, which is not one of our errors.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, "is not valid Unicode text (lone surrogate)") from None


def text(field: str, value: object, *, optional: bool = False, max_length: int | None = None) -> str | None:
    """A string PostgreSQL can store (no NUL), within ``max_length`` if given."""
    if value is None:
        if optional:
            return None
        raise ValidationError(field, "is required")
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    if "\x00" in value:
        raise ValidationError(field, "must not contain NUL characters")
    if max_length is not None and len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters (got {len(value)})")
    _encodable(field, value)
    return value


def integer(field: str, value: object, *, optional: bool = True, minimum: int | None = None) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"must be an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValidationError(field, f"must be >= {minimum}")
    if not -(2**63) <= value < 2**63:
        raise ValidationError(field, "is out of range")
    return value


def number(field: str, value: object, *, optional: bool = True) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, f"must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValidationError(field, "must be a finite number")
    return float(value)


def boolean(field: str, value: object, *, optional: bool = True) -> bool | None:
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise ValidationError(field, f"must be true or false, got {type(value).__name__}")
    return value


def identifier(field: str, value: object) -> uuid.UUID:
    """A uuid given as uuid.UUID or string."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ValidationError(field, f"must be a UUID, got {value!r:.60}")


def json_value(field: str, value: object, *, optional: bool = True) -> Any:
    """A JSON-serialisable value jsonb can hold: no NUL in any string, finite numbers, str keys."""
    if value is None:
        if optional:
            return None
        raise ValidationError(field, "is required")
    _check_json(field, value, depth=0)
    return value


def json_object(field: str, value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"must be a dict, got {type(value).__name__}")
    _check_json(field, value, depth=0)
    # A deep copy through JSON: the caller's dict is never shared with (or mutated by) us.
    return json.loads(json.dumps(value))


def _check_json(field: str, value: object, depth: int) -> None:
    if depth > 100:
        raise ValidationError(field, "is nested too deeply")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError(field, "must not contain NUL characters")
        return
    if isinstance(value, int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, "must not contain NaN or infinity")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(field, f"keys must be strings, got {type(key).__name__}")
            if "\x00" in key:
                raise ValidationError(field, "must not contain NUL characters")
            _check_json(field, item, depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_json(field, item, depth + 1)
        return
    raise ValidationError(field, f"must be JSON (str, number, bool, null, list, dict), got {type(value).__name__}")


def timestamp(field: str, value: object, *, optional: bool = True) -> datetime | None:
    """An instant: aware datetime, epoch seconds (UTC), or ISO-8601 string with offset."""
    if value is None:
        if optional:
            return None
        raise ValidationError(field, "is required")
    if isinstance(value, bool):
        raise ValidationError(field, "must be a datetime, epoch seconds or ISO-8601 string")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValidationError(field, "must be a finite number of seconds")
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValidationError(field, "is out of range") from None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(field, "is not an ISO-8601 timestamp") from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(field, "must carry a timezone (naive times are ambiguous)")
        return value.astimezone(timezone.utc)
    raise ValidationError(field, f"must be a datetime, epoch seconds or ISO-8601 string, got {type(value).__name__}")


def limit(value: object, field: str = "limit", maximum: int = 10_000) -> int:
    result = integer(field, value, optional=False, minimum=1)
    assert result is not None
    if result > maximum:
        raise ValidationError(field, f"must be at most {maximum}")
    return result
