"""DatabaseAPI methods: sessions (being written)."""

from __future__ import annotations

from database.api.base import APIBase


class SessionsAPI(APIBase):
    pass
