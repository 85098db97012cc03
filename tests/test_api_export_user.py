"""DatabaseAPI.export_user: everything about one user, JSON-serialisable, fixed statement count."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, update
from user_helpers import add_quiz, fast_settings

from database.api import DatabaseAPI
from database.errors import ValidationError
from database.models import Conversation

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def api(connection: Connection):
    with DatabaseAPI(connection, settings=fast_settings()) as instance:
        yield instance


def _walk_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for item in value.values() for k in _walk_keys(item)}
    if isinstance(value, list):
        return {k for item in value for k in _walk_keys(item)}
    return set()


def test_export_holds_everything_about_the_user(api: DatabaseAPI, connection: Connection) -> None:
    user = api.create_user("Zoë O'Brien", "secret password", email="zoe@example.org", metadata={"k": "v"})
    api.update_user_profile("Zoë O'Brien", {"community_mastery": {"1": 0.5}, "mastered_objectives": ["o1"]})
    session = api.create_session(
        "Zoë O'Brien", {"start_time": T0, "strategy": "adaptive", "legacy": {"summary": {"accuracy": 50}}}
    )
    user_id = uuid.UUID(user["id"])
    first = add_quiz(connection, user_id, (True, False), session_id=uuid.UUID(session["id"]), start_time=T0)
    second = add_quiz(connection, user_id, (None,), start_time=T0 + timedelta(hours=1))
    connection.execute(
        update(Conversation).where(Conversation.id == second).values(legacy={"file": "x.json"})
    )
    other = api.create_user("other")
    add_quiz(connection, uuid.UUID(other["id"]), (True,))

    export = api.export_user("Zoë O'Brien")

    text = json.dumps(export)  # JSON-serialisable as it is
    assert "password_hash" not in _walk_keys(export)
    assert "bcrypt" not in text and "$2b$" not in text and "secret password" not in text
    assert export["format"] == "greytutor-user-export" and export["version"] == 1
    assert datetime.fromisoformat(export["exported_at"]).utcoffset() is not None
    assert export["user"] == api.get_user("Zoë O'Brien")
    assert export["profile"]["community_mastery"] == {"1": 0.5}
    assert export["profile"]["mastered_objectives"] == ["o1"]

    [exported_session] = export["sessions"]
    assert exported_session["id"] == session["id"] and exported_session["strategy"] == "adaptive"
    assert exported_session["legacy"] == {"summary": {"accuracy": 50}}

    assert [c["id"] for c in export["conversations"]] == [str(first), str(second)]
    quiz = export["conversations"][0]
    assert quiz["session_id"] == session["id"] and quiz["parameters"]["strategy"] == "adaptive"
    assert export["conversations"][1]["legacy"] == {"file": "x.json"}
    assert [m["position"] for m in quiz["messages"]] == [0, 1, 2, 3]  # in order, though inserted reversed
    assert [m["content"] for m in quiz["messages"]] == ["question 0", "answer 0", "question 1", "answer 1"]
    question, answer = quiz["messages"][0], quiz["messages"][1]
    assert question["question"]["text"] == "question 0" and question["question"]["options"] == ["a", "b"]
    assert question["answer"] is None and answer["question"] is None
    assert answer["answer"]["correct"] is True
    assert answer["answer"]["question_id"] == question["question"]["id"]
    assert quiz["messages"][3]["answer"]["correct"] is False
    assert export["conversations"][1]["messages"][1]["answer"]["correct"] is None
    # Ids are strings, timestamps ISO with offset.
    assert isinstance(quiz["messages"][0]["id"], str)
    assert datetime.fromisoformat(quiz["messages"][0]["sent_at"]).utcoffset() is not None


def test_export_of_a_bare_user(api: DatabaseAPI) -> None:
    api.create_user("bare")
    export = api.export_user("bare")
    assert export["sessions"] == [] and export["conversations"] == []
    assert export["profile"]["community_mastery"] == {}


def test_export_missing_or_bad_user(api: DatabaseAPI) -> None:
    assert api.export_user("nobody") is None
    with pytest.raises(ValidationError) as info:
        api.export_user("bad\x00name")
    assert info.value.field == "username"


@pytest.mark.parametrize("conversations", [1, 20])
def test_export_statement_count_does_not_grow(
    api: DatabaseAPI, connection: Connection, count_statements, conversations: int
) -> None:
    user = api.create_user("many")
    for index in range(3):
        api.create_session("many", {"start_time": T0 + timedelta(minutes=index)})
    for index in range(conversations):
        add_quiz(
            connection, uuid.UUID(user["id"]), (True, False, None), start_time=T0 + timedelta(minutes=index)
        )
    count_statements.statements.clear()
    export = api.export_user("many")
    assert len(export["conversations"]) == conversations
    assert sum(len(c["messages"]) for c in export["conversations"]) == 6 * conversations
    assert len([s for s in count_statements.statements if "SAVEPOINT" not in s]) == 4


def test_export_on_a_real_engine(committed_db, count_statements) -> None:
    with DatabaseAPI(committed_db, settings=fast_settings()) as api:
        user = api.create_user("real", "password-r")
        with committed_db.begin() as conn:
            add_quiz(conn, uuid.UUID(user["id"]), (True,))
        count_statements.statements.clear()
        export = api.export_user("real")
        assert count_statements.count == 4
        assert len(export["conversations"]) == 1 and len(export["conversations"][0]["messages"]) == 2
        # The REPEATABLE READ transaction of the export did not leak into the pool.
        with committed_db.connect() as conn:
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar_one() == "read committed"
