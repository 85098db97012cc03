"""DatabaseAPI methods: users (being written)."""

from __future__ import annotations

from database.api.base import APIBase


class UsersAPI(APIBase):
    pass
