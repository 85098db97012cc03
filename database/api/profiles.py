"""DatabaseAPI methods: the student-model profile of a user."""

from __future__ import annotations

from typing import Any

from database import validation as v
from database.api.base import APIBase
from database.errors import ValidationError
from database.repositories import profiles as profiles_repo

_UPDATABLE = (*profiles_repo.MERGED_FIELDS, *profiles_repo.REPLACED_FIELDS, "last_updated")


def _json_list(field: str, value: object) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise ValidationError(field, f"must be a list, got {type(value).__name__}")
    v.json_value(field, value)
    return list(value)


class ProfilesAPI(APIBase):
    def get_user_profile(self, username: str) -> dict[str, Any] | None:
        """The user's student model, or None if there is no such user.

        Keys: user_id, community_mastery, entity_familiarity, question_type_performance,
        difficulty_performance, overall_mastery, mastered_objectives, current_objective,
        recent_questions, last_updated, metadata. One statement.
        """
        name = v.username(username)
        with self._statement() as conn:
            return profiles_repo.by_username(conn, name)

    def update_user_profile(self, username: str, data: dict[str, Any]) -> bool:
        """Update part of a user's student model; False if there is no such user.

        The JSON-object fields (community_mastery, entity_familiarity, question_type_performance,
        difficulty_performance, metadata) MERGE: the given top-level keys are set, the others
        kept, so concurrent updates of different keys all survive. overall_mastery,
        mastered_objectives, current_objective and recent_questions are replaced. last_updated
        is set to now (or to ``data["last_updated"]``, for imports). One statement. Unknown
        fields and wrong types raise ValidationError naming the field.
        """
        name = v.username(username)
        fields = v.known_fields("data", data, _UPDATABLE)
        changes: dict[str, Any] = {}
        for field, value in fields.items():
            if field in profiles_repo.MERGED_FIELDS:
                changes[field] = v.json_object(field, value)
            elif field in ("mastered_objectives", "recent_questions"):
                changes[field] = _json_list(field, value)
            elif field == "overall_mastery":
                changes[field] = v.number(field, value)
            elif field == "current_objective":
                changes[field] = v.text(field, value, optional=True)
        stamp = v.timestamp("last_updated", fields.get("last_updated"))
        with self._statement() as conn:
            return profiles_repo.upsert(conn, name, changes, stamp)
