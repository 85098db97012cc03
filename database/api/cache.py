"""DatabaseAPI methods: cache (being written)."""

from __future__ import annotations

from database.api.base import APIBase


class CacheAPI(APIBase):
    pass
