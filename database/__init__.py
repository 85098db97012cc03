"""greytutor-db: The Grey Tutor's PostgreSQL data layer.

``from database.api import DatabaseAPI`` is the public face. Importing this package opens no
connection and configures no logging.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from database.errors import (
    AlreadyExistsError,
    ConfigurationError,
    DatabaseError,
    DatabaseUnavailableError,
    NotFoundError,
    RetryableError,
    SchemaError,
    ValidationError,
)

if TYPE_CHECKING:
    from database.api import DatabaseAPI

__all__ = [
    "AlreadyExistsError",
    "ConfigurationError",
    "DatabaseAPI",
    "DatabaseError",
    "DatabaseUnavailableError",
    "NotFoundError",
    "RetryableError",
    "SchemaError",
    "ValidationError",
]


def __getattr__(name: str) -> Any:
    # Lazy, so `import database` stays cheap (no ORM mapping work until the API is used).
    if name == "DatabaseAPI":
        from database.api import DatabaseAPI

        return DatabaseAPI
    raise AttributeError(f"module 'database' has no attribute {name!r}")
