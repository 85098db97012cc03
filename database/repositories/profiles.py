"""Student-model profiles (``user_profiles``, 1:1 with users). Each function is one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Session

from database.models import User, UserProfile
from database.serializers import iso, plain

Executor = Session | Connection

users = User.__table__
profiles = UserProfile.__table__

#: Fields whose value is a JSON object: a partial update merges its top-level keys.
MERGED_FIELDS = (
    "community_mastery",
    "entity_familiarity",
    "question_type_performance",
    "difficulty_performance",
    "metadata",
)
#: Fields a partial update replaces whole.
REPLACED_FIELDS = ("overall_mastery", "mastered_objectives", "current_objective", "recent_questions")
PROFILE_FIELDS = (*MERGED_FIELDS[:4], *REPLACED_FIELDS, "last_updated", "metadata")

_EMPTY: dict[str, Any] = {
    "community_mastery": {},
    "entity_familiarity": {},
    "question_type_performance": {},
    "difficulty_performance": {},
    "overall_mastery": None,
    "mastered_objectives": [],
    "current_objective": None,
    "recent_questions": [],
    "last_updated": None,
    "metadata": {},
}


def by_username(ex: Executor, username: str) -> dict[str, Any] | None:
    """The user's profile; a user without a profile row gets the empty profile (last_updated None)."""
    stmt = (
        select(users.c.id.label("uid"), *(profiles.c[name] for name in PROFILE_FIELDS))
        .select_from(users.outerjoin(profiles, profiles.c.user_id == users.c.id))
        .where(users.c.username == username)
    )
    row = ex.execute(stmt).first()
    if row is None:
        return None
    data = row._mapping
    out: dict[str, Any] = {"user_id": str(data["uid"])}
    has_row = data["last_updated"] is not None
    for name in PROFILE_FIELDS:
        out[name] = plain(data[name]) if has_row else _EMPTY[name]
    out["last_updated"] = iso(data["last_updated"])
    return out


def upsert(ex: Executor, username: str, changes: dict[str, Any], last_updated: datetime | None) -> bool:
    """Apply a partial update in ONE statement; False if the user does not exist.

    Why concurrent updates of different keys both survive: the merge is done by the server,
    ``SET col = user_profiles.col || :patch``, never read-modify-write in Python. INSERT ... ON
    CONFLICT DO UPDATE locks the profile row and evaluates the SET expression against the
    newest committed version of it; under READ COMMITTED a second writer waits for the first
    one's row lock and then merges into the row the first one left. Neither patch is lost.
    A user without a profile row gets one (the INSERT branch).
    """
    stamp = literal(last_updated) if last_updated is not None else func.now()
    source_columns = [users.c.id]
    target_names = ["user_id"]
    for name, value in changes.items():
        source_columns.append(literal(value, profiles.c[name].type))
        target_names.append(name)
    source_columns.append(stamp)
    target_names.append("last_updated")
    stmt = insert(profiles).from_select(
        target_names, select(*source_columns).where(users.c.username == username), include_defaults=False
    )
    excluded = stmt.excluded
    set_: dict[str, Any] = {"last_updated": excluded.last_updated}
    for name in changes:
        if name in MERGED_FIELDS:
            set_[name] = profiles.c[name].op("||", return_type=JSONB)(excluded[name])
        else:
            set_[name] = excluded[name]
    stmt = stmt.on_conflict_do_update(index_elements=[profiles.c.user_id], set_=set_).returning(
        profiles.c.user_id
    )
    return ex.execute(stmt).first() is not None
