"""Users: Core statements on the ``users`` table. Each function is one statement; none commits.

The password hash leaves the database in exactly one place, ``credentials()``; every other
query returns ``has_password`` instead.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from database.models import User, UserProfile
from database.passwords import Hashed
from database.repositories.compiled import Compiled, as_text
from database.serializers import RowShape, row_dict

Executor = Session | Connection

users = User.__table__
profiles = UserProfile.__table__

PUBLIC_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.email,
    users.c.name,
    users.c.role,
    users.c.created_at,
    users.c.updated_at,
    users.c.last_login,
    users.c.password_hash.is_not(None).label("has_password"),
    users.c.metadata,
)
PUBLIC_KEYS = tuple(c.name for c in PUBLIC_COLUMNS)


def to_dict(row: Any) -> dict[str, Any]:
    return row_dict(row, PUBLIC_KEYS)


def _one(ex: Executor, stmt: Any) -> dict[str, Any] | None:
    row = ex.execute(stmt).first()
    return to_dict(row) if row is not None else None


def by_username(ex: Executor, username: str) -> dict[str, Any] | None:
    return _one(ex, select(*PUBLIC_COLUMNS).where(users.c.username == username))


def by_id(ex: Executor, user_id: uuid.UUID) -> dict[str, Any] | None:
    return _one(ex, select(*PUBLIC_COLUMNS).where(users.c.id == user_id))


_PUBLIC_TEXT_IDS = tuple(as_text(column) for column in PUBLIC_COLUMNS)
_public_dict = RowShape(PUBLIC_KEYS, 0, ("created_at", "updated_at", "last_login"))

# authenticate()'s two statements, compiled once (a login is on the tutor's hot path).
_CREDENTIALS = Compiled(
    select(as_text(users.c.id), users.c.password_hash).where(users.c.username == bindparam("username"))
)


def _build_record_login(rehash: bool) -> Compiled:
    values: dict[str, Any] = {"last_login": func.now(), "updated_at": users.c.updated_at}
    if rehash:
        values["password_hash"] = bindparam("new_hash")
    return Compiled(
        update(users)
        .where(users.c.id == bindparam("user_id", type_=users.c.id.type))
        .where(users.c.password_hash == bindparam("expected_hash"))
        .values(**values)
        .returning(*_PUBLIC_TEXT_IDS)
    )


_RECORD_LOGIN = _build_record_login(rehash=False)
_RECORD_LOGIN_REHASHED = _build_record_login(rehash=True)


def credentials(conn: Connection, username: str) -> tuple[str, str | None] | None:
    """(id, password_hash) of a user, for authentication only. The hash is a ``Hashed``: its repr
    (log lines, tracebacks) is masked."""
    row = _CREDENTIALS.first(conn, {"username": username})
    if row is None:
        return None
    return row[0], Hashed(row[1]) if row[1] is not None else None


def insert_with_profile(ex: Executor, values: dict[str, Any]) -> dict[str, Any]:
    """Insert the user and its empty profile in ONE statement (a data-modifying CTE).

    One statement is atomic on its own, so this needs no BEGIN/COMMIT around it. A second
    writer of the same username hits uq_users_username and gets AlreadyExistsError.
    """
    new_user = insert(users).values(**values).returning(*PUBLIC_COLUMNS).cte("new_user")
    new_profile = (
        # include_defaults=False: the server fills the empty JSON defaults (Python-side
        # defaults cannot be rendered inside a CTE).
        insert(profiles)
        .from_select([profiles.c.user_id], select(new_user.c.id), include_defaults=False)
        .cte("new_profile")
    )
    stmt = select(*(new_user.c[key] for key in PUBLIC_KEYS)).add_cte(new_profile)
    return to_dict(ex.execute(stmt).one())


def set_password_hash(ex: Executor, username: str, password_hash: str | None) -> dict[str, Any] | None:
    stmt = (
        update(users)
        .where(users.c.username == username)
        .values(password_hash=password_hash, updated_at=func.now())
        .returning(*PUBLIC_COLUMNS)
    )
    return _one(ex, stmt)


def record_login(
    conn: Connection, user_id: str | uuid.UUID, *, expected_hash: str, new_hash: str | None = None
) -> dict[str, Any] | None:
    """Set last_login (and, on a rehash, the new hash) in one statement.

    Compare-and-set on ``expected_hash``: if the password changed between the check and this
    update, nothing is written and None comes back (the old password no longer counts).
    A login is not an edit of the account, so updated_at keeps its value.
    """
    params = {"user_id": str(user_id), "expected_hash": str(expected_hash)}
    if new_hash is None:
        row = _RECORD_LOGIN.first(conn, params)
    else:
        row = _RECORD_LOGIN_REHASHED.first(conn, {**params, "new_hash": new_hash})
    return _public_dict(row) if row is not None else None


def record_login_by_name(ex: Executor, username: str) -> dict[str, Any] | None:
    stmt = (
        update(users)
        .where(users.c.username == username)
        .values(last_login=func.now(), updated_at=users.c.updated_at)
        .returning(*PUBLIC_COLUMNS)
    )
    return _one(ex, stmt)


def page(ex: Executor, limit: int, after: str | None) -> list[dict[str, Any]]:
    """Users ordered by username, the ``limit`` after username ``after`` (keyset paging)."""
    stmt = select(*PUBLIC_COLUMNS).order_by(users.c.username).limit(limit)
    if after is not None:
        stmt = stmt.where(users.c.username > after)
    return [to_dict(row) for row in ex.execute(stmt)]


def lock_id(ex: Executor, username: str) -> uuid.UUID | None:
    """The user's id, row locked until the transaction ends (FOR UPDATE).

    FOR UPDATE conflicts with the FOR KEY SHARE lock every insert referencing the user takes, so
    once this returns no new conversation, session or profile can be attached to the user.
    """
    return ex.execute(
        select(users.c.id).where(users.c.username == username).with_for_update()
    ).scalar_one_or_none()


_OWNED_COUNTS = text(
    """
    SELECT
      (SELECT count(*) FROM conversations c WHERE c.user_id = :uid) AS conversations,
      (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE c.user_id = :uid) AS messages,
      (SELECT count(*) FROM questions q JOIN messages m ON m.id = q.message_id
         JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = :uid) AS questions,
      (SELECT count(*) FROM answers a JOIN messages m ON m.id = a.message_id
         JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = :uid) AS answers,
      (SELECT count(*) FROM user_sessions s WHERE s.user_id = :uid) AS sessions,
      (SELECT count(*) FROM user_profiles p WHERE p.user_id = :uid) AS profile
    """
)


def owned_counts(ex: Executor, user_id: uuid.UUID) -> dict[str, int]:
    """How many rows of each kind belong to the user, in one statement."""
    row = ex.execute(_OWNED_COUNTS, {"uid": user_id}).one()
    return {key: int(value) for key, value in row._mapping.items()}


def delete(ex: Executor, user_id: uuid.UUID) -> int:
    """Delete the user; the foreign keys cascade to everything the user owns."""
    result = ex.execute(users.delete().where(users.c.id == user_id).returning(literal_column("1")))
    return len(result.all())
