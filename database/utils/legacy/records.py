"""Session records (v1, v2) and student models → plain records (no database here)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from database.utils.legacy.conversations import LEGACY_ID_NAMESPACE, MAX_USERNAME
from database.utils.legacy.decoding import Rejected, canonical_sha256, epoch, expect, is_number

PROFILE_DICTS = ("community_mastery", "entity_familiarity", "question_type_performance", "difficulty_performance")
PROFILE_LISTS = ("recent_questions", "mastered_objectives")


@dataclass(slots=True)
class SessionRecord:
    id: uuid.UUID
    format: str  # "v1" or "v2"
    student_id: str
    stem: str  # v1 links by conversation.metadata.session_id == stem
    start_time: datetime
    end_time: datetime | None
    questions_asked: int
    correct_answers: int
    accuracy: float | None
    mastery_before: float | None
    mastery_after: float | None
    record: dict[str, Any]  # the whole file: question_history, summary, exact floats...
    content_sha256: str


@dataclass(slots=True)
class StudentModel:
    student_id: str
    name: str | None
    record: dict[str, Any]
    content_sha256: str


def _student(student_id: str | None, where: str) -> str:
    if not student_id:
        raise Rejected(f"missing id: no student id in {where}")
    if len(student_id) > MAX_USERNAME:
        raise Rejected(f"wrong value for the student id: longer than {MAX_USERNAME} characters")
    return student_id


def _count(raw: dict[str, Any], key: str) -> int:
    value = raw.get(key, 0)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
        raise Rejected(f"wrong type for {key}: expected a whole number >= 0")
    return value


def _number(raw: dict[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if not is_number(value):
        raise Rejected(f"wrong type for {where}.{key}: expected a number or null")
    return float(value)


def parse_session(raw: Any, fmt: str, student_id: str | None, relpath: str) -> SessionRecord:
    """A session record of either format; the student comes from its folder (v1) or name (v2)."""
    expect(raw, dict, "the top level")
    student = _student(student_id, relpath)
    if "start_time" not in raw:
        raise Rejected("unparseable time in start_time: missing")
    start = epoch(raw["start_time"], "start_time")
    end = epoch(raw.get("end_time"), "end_time", nullable=True)
    expect(raw.get("question_history", []), list, "question_history")
    summary = expect(raw.get("summary", {}), dict, "summary")
    correct_key = "correct_answers" if fmt == "v1" else "correct"
    return SessionRecord(
        id=uuid.uuid5(LEGACY_ID_NAMESPACE, f"session:{fmt}:{student}:{raw['start_time']!r}"),
        format=fmt,
        student_id=student,
        stem=PurePosixPath(relpath).stem,
        start_time=start,  # type: ignore[arg-type]
        end_time=end,
        questions_asked=_count(raw, "questions_asked"),
        correct_answers=_count(raw, correct_key),
        accuracy=_number(summary, "accuracy", "summary"),
        mastery_before=_number(summary, "mastery_before", "summary"),
        mastery_after=_number(summary, "mastery_after", "summary"),
        record=raw,
        content_sha256=canonical_sha256(raw),
    )


def parse_student_model(raw: Any) -> StudentModel:
    """A student model: ``id`` is the student (the file name is not trusted)."""
    expect(raw, dict, "the top level")
    student = raw.get("id")
    if student is None or student == "":
        raise Rejected("missing id: the student model has no id")
    expect(student, str, "id")
    _student(student, "id")
    name = expect(raw.get("name"), str, "name", nullable=True)
    if name is not None and len(name) > 255:
        raise Rejected("wrong value for name: longer than 255 characters")
    for key in PROFILE_DICTS:
        expect(raw.get(key, {}), dict, key)
    for key in PROFILE_LISTS:
        expect(raw.get(key, []), list, key)
    expect(raw.get("current_objective"), str, "current_objective", nullable=True)
    if raw.get("overall_mastery") is not None and not is_number(raw["overall_mastery"]):
        raise Rejected("wrong type for overall_mastery: expected a number or null")
    return StudentModel(student_id=student, name=name, record=raw, content_sha256=canonical_sha256(raw))


def profile_values(record: dict[str, Any]) -> dict[str, Any]:
    """user_profiles columns from a (validated) student model."""
    values: dict[str, Any] = {key: record.get(key) or {} for key in PROFILE_DICTS}
    values.update({key: record.get(key) or [] for key in PROFILE_LISTS})
    values["current_objective"] = record.get("current_objective")
    mastery = record.get("overall_mastery")
    values["overall_mastery"] = float(mastery) if mastery is not None else None
    return values
