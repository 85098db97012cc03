"""``DatabaseAPI``: the one public face of the data layer, what the tutor app imports.

    from database.api import DatabaseAPI

    with DatabaseAPI() as api:
        user = api.get_user("username")

Each public method is one unit of work (one transaction, or one autocommit statement), keyed
by username where the original JSON-file API was. Returned dicts carry ids as strings and
timestamps as ISO-8601 with offset. Errors are the ones in ``database.errors``.
The methods live in mixins by domain; this class only puts them together.
"""

from __future__ import annotations

from database.api.base import APIBase
from database.api.cache import CacheAPI
from database.api.conversations import ConversationsAPI
from database.api.sessions import SessionsAPI
from database.api.users import UsersAPI


class DatabaseAPI(UsersAPI, SessionsAPI, ConversationsAPI, CacheAPI, APIBase):
    """Everything the tutor stores and reads."""

    def __enter__(self) -> "DatabaseAPI":
        return self


__all__ = ["DatabaseAPI"]
