"""DatabaseAPI methods: conversations (being written)."""

from __future__ import annotations

from database.api.base import APIBase


class ConversationsAPI(APIBase):
    pass
