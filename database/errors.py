"""The exceptions the data layer raises. No SQLAlchemy or psycopg2 exception escapes it.

``translate()`` is the one place where driver/ORM errors become these; callers use
``raise translate(exc) from exc``.
"""

from __future__ import annotations

import re


class DatabaseError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigurationError(DatabaseError):
    """A setting is missing or invalid."""


class DatabaseUnavailableError(DatabaseError):
    """The server cannot be reached, rejects the login, or lacks the database."""



class NotFoundError(DatabaseError):
    """A row the call needs does not exist."""


class AlreadyExistsError(DatabaseError):
    """A unique value (username, cache key, ...) is already taken."""

    def __init__(self, message: str, constraint: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint  # the unique constraint's name, when the server gave it


class ValidationError(DatabaseError, ValueError):
    """Bad input: names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class IntegrityViolation(DatabaseError):
    """A database constraint rejected the write (not a duplicate)."""


class RetryableError(DatabaseError):
    """A concurrent transaction won (deadlock or serialization failure): the call may be retried."""


class SchemaError(DatabaseError):
    """The database schema is missing, not at the expected revision, or not ours."""


# Constraint name (see models.base naming convention) -> message for AlreadyExistsError.
_UNIQUE_MESSAGES = {
    "uq_users_username": "a user with this username already exists",
    "uq_cache_entries_cache_type_key": "this cache entry already exists",
    "uq_messages_conversation_id_position": "a message already holds this position in the conversation",
    "uq_questions_message_id": "this message already has a question",
    "uq_answers_message_id": "this message already has an answer",
    "pk_conversations": "a conversation with this id already exists",
    "pk_user_sessions": "a session with this id already exists",
}


def _constraint_name(orig: object) -> str | None:
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name
    match = re.search(r'constraint "([^"]+)"', str(orig))
    return match.group(1) if match else None


def describe_operational(exc: BaseException, address: str) -> str:
    """One line for a connection failure: what happened at ``address`` and what to do next."""
    text = str(getattr(exc, "orig", exc) or exc)
    low = text.lower()
    # "SASL authentication failed": PgBouncer's word for a wrong SCRAM password.
    if "authentication failed" in low or "no password supplied" in low:
        return (
            f"the server at {address} rejected the login: check DB_USER and DB_PASSWORD "
            "(or DATABASE_URL) in the environment or .env"
        )
    if "does not exist" in low and "database" in low:
        return (
            f"the server at {address} has no such database: create it "
            "(createdb, or `python -m database.cli server start` for the embedded server) or fix DB_NAME"
        )
    if "role" in low and "does not exist" in low:
        return f"the server at {address} has no such role: create the user or fix DB_USER"
    if "connection refused" in low or "could not connect" in low or "no such file" in low:
        return (
            f"no PostgreSQL server answers at {address}: start one with "
            "`python -m database.cli server start` (embedded) or `docker compose up -d`, or fix DB_HOST/DB_PORT"
        )
    if "timeout" in low or "timed out" in low:
        return f"the server at {address} did not answer in time: check that it is up and reachable"
    if "could not translate host name" in low:
        return f"the host in {address} cannot be resolved: fix DB_HOST"
    if "invalid response to ssl negotiation" in low or (
        "failed:" in low and "server closed the connection unexpectedly" in low
    ):  # dropped during the handshake: usually another program listening on that port
        return (
            f"something answers at {address} but does not speak PostgreSQL: if another program "
            "uses that port, stop it or choose another DB_PORT"
        )
    if "terminating connection" in low or "server closed the connection" in low or "connection already closed" in low:
        return f"the connection to {address} was lost (server restarted or stopped); retry the call"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"cannot use the database at {address}: {first}"


def translate(exc: BaseException, address: str = "the database") -> DatabaseError:
    """Map a SQLAlchemy/DBAPI error to one of ours. The single translation point."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, DatabaseError):
        return exc
    if isinstance(exc, sa_exc.IntegrityError):
        name = _constraint_name(exc.orig)
        sqlstate = getattr(exc.orig, "pgcode", None)
        if sqlstate == "23505" or (name and name.startswith(("uq_", "pk_"))):
            return AlreadyExistsError(_UNIQUE_MESSAGES.get(name or "", f"duplicate value ({name})"), name)
        if sqlstate == "23503":
            return NotFoundError(f"the referenced row does not exist ({name})")
        return IntegrityViolation(f"constraint {name or 'unknown'} rejected the write")
    if getattr(getattr(exc, "orig", None), "pgcode", None) in ("40P01", "40001"):
        # psycopg2 files these under OperationalError, but the server is fine.
        return RetryableError("a concurrent transaction conflicted with this call (nothing was changed); retry it")
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) or (
        isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
    ):
        return DatabaseUnavailableError(describe_operational(exc, address))
    if isinstance(exc, sa_exc.DataError):
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else "invalid value"
        return ValidationError("value", first)
    if isinstance(exc, sa_exc.ProgrammingError) and "does not exist" in str(exc.orig):
        return SchemaError(
            "the schema is missing or out of date: run `python -m database.cli init` "
            f"({str(exc.orig).strip().splitlines()[0]})"
        )
    return DatabaseError(f"database error: {type(exc).__name__}")
