"""DatabaseAPI methods: export everything held about a user."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from database import validation as v
from database.api.base import APIBase
from database.repositories import export as export_repo

EXPORT_FORMAT = "greytutor-user-export"
EXPORT_VERSION = 1


class ExportAPI(APIBase):
    def export_user(self, username: str) -> dict[str, Any] | None:
        """Everything the database holds about a user as one JSON-serialisable dict, or None.

        Keys: format, version, exported_at, user (no password hash), profile, sessions,
        conversations (each with parameters and its messages in order, each message with its
        question and answer or None). Four statements however much the user has, read from
        one consistent snapshot (REPEATABLE READ) when running on an engine.
        """
        name = v.username(username)
        with self._unit() as session:
            if self._engine is not None:
                # Must be the first use of the session's connection: the isolation level
                # applies to the transaction that starts now.
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            data = export_repo.for_user(session, name)
        if data is None:
            return None
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": datetime.now(timezone.utc).isoformat(),
            **data,
        }
