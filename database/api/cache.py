"""DatabaseAPI methods: the cache (question, assessment and knowledge-graph query results).

Every method is one SQL statement run through ``_statement()``: no BEGIN/COMMIT round trips.
"""

from __future__ import annotations

from typing import Any

from database import validation as check
from database.api.base import APIBase
from database.errors import ValidationError
from database.repositories import cache as cache_repo

MAX_CACHE_TYPE = 64
MAX_KEY = 1024
MAX_TTL = 100 * 366 * 86400  # a century: beyond that "no expiry" (None) is meant


def _cache_type(value: object) -> str:
    result = check.text("cache_type", value, max_length=MAX_CACHE_TYPE)
    if not result:
        raise ValidationError("cache_type", "must not be empty")
    return result


def _key(value: object) -> str:
    result = check.text("key", value, max_length=MAX_KEY)
    if not result:
        raise ValidationError("key", "must not be empty")
    return result


class CacheAPI(APIBase):
    def get_cache(self, cache_type: str, key: str) -> dict[str, Any] | None:
        """A live cache entry (value, created_at, last_accessed, access_count, expires_at), or None on a miss.

        An expired entry is a miss. A hit is counted (access_count + 1, last_accessed = now) in
        the same statement that reads it."""
        kind, name = _cache_type(cache_type), _key(key)
        with self._statement() as conn:
            return cache_repo.get(conn, kind, name)

    def set_cache(
        self, cache_type: str, key: str, value: Any, ttl_seconds: float | None = None
    ) -> dict[str, Any]:
        """Store a JSON value under (cache_type, key), replacing any entry; returns the entry.

        It expires ``ttl_seconds`` from now if given, else never.

        One upsert: concurrent writers of one key leave one entry, the last writer's value.
        A replaced entry starts afresh (created_at now, access_count 0)."""
        kind, name = _cache_type(cache_type), _key(key)
        stored = check.json_value("value", value)
        ttl = check.number("ttl_seconds", ttl_seconds)
        if ttl is not None and not 0 < ttl <= MAX_TTL:
            raise ValidationError("ttl_seconds", f"must be > 0 and <= {MAX_TTL} (or None for no expiry)")
        with self._statement() as conn:
            return cache_repo.put(conn, kind, name, stored, ttl)

    def delete_cache(self, cache_type: str, key: str) -> bool:
        """Remove one cache entry; False if there was none."""
        kind, name = _cache_type(cache_type), _key(key)
        with self._statement() as conn:
            return cache_repo.delete_one(conn, kind, name)

    def purge_expired_cache(self) -> int:
        """Delete every expired cache entry; returns how many were removed."""
        with self._statement() as conn:
            return cache_repo.purge_expired(conn)

    def clear_cache(self, cache_type: str) -> int:
        """Delete every entry of one cache type; returns how many were removed."""
        kind = _cache_type(cache_type)
        with self._statement() as conn:
            return cache_repo.clear(conn, kind)

    def cache_stats(self) -> dict[str, Any]:
        """Cache totals (entries, expired, hits) and the same per type, with each type's last access.

        Shape: {"entries": n, "expired": n, "hits": n, "types": {cache_type: {"entries", "expired",
        "hits", "last_accessed"}}}."""
        with self._statement() as conn:
            return cache_repo.stats(conn)
