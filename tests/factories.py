"""Small factories for the conversation/cache tests: ORM inserts that flush, never commit.

Users are made here (not through create_user) so these tests do not depend on the users API.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from database.models import User, UserProfile, UserSession

_serial = itertools.count(1)


def make_user(session: Session, **overrides: Any) -> User:
    """A user with an empty profile; no password (such a user cannot log in)."""
    values: dict[str, Any] = {"username": f"student {next(_serial)}", "role": "user"}
    values.update(overrides)
    user = User(**values)
    user.profile = UserProfile()
    session.add(user)
    session.flush()
    return user


def make_session(session: Session, user: User, **overrides: Any) -> UserSession:
    """A quiz session of ``user``."""
    values: dict[str, Any] = {"user_id": user.id, "session_type": "quiz"}
    values.update(overrides)
    quiz = UserSession(**values)
    session.add(quiz)
    session.flush()
    return quiz


def commit_user(engine: Engine, **overrides: Any) -> User:
    """For committed_db tests: a user really committed (the factory above, then COMMIT)."""
    with Session(engine, expire_on_commit=False) as session:
        user = make_user(session, **overrides)
        session.commit()
        return user
