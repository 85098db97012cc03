"""DatabaseAPI quiz sessions: create, end (given and derived counts), get, list with keyset paging."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection
from user_helpers import add_quiz, fast_settings

from database.api import DatabaseAPI
from database.errors import AlreadyExistsError, NotFoundError, ValidationError

SESSION_KEYS = {
    "id",
    "user_id",
    "username",
    "session_type",
    "start_time",
    "end_time",
    "questions_asked",
    "correct_answers",
    "accuracy",
    "mastery_before",
    "mastery_after",
    "strategy",
    "theme",
    "fussiness",
    "tier",
    "use_llm",
    "parameters",
    "metadata",
}
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def api(connection: Connection):
    with DatabaseAPI(connection, settings=fast_settings()) as instance:
        yield instance


@pytest.fixture
def student(api: DatabaseAPI) -> dict:
    return api.create_user("Zoë O'Brien")


def real_statements(counter) -> list[str]:
    return [s for s in counter.statements if "SAVEPOINT" not in s]


# --- create_session ------------------------------------------------------------------------------


def test_create_session_stores_everything(api: DatabaseAPI, student: dict) -> None:
    data = {
        "session_type": "quiz",
        "strategy": "adaptive",
        "theme": "hobbits",
        "fussiness": 3,
        "tier": "advanced",
        "use_llm": True,
        "parameters": {"max_questions": 10, "nested": {"a": [1, 2]}},
        "metadata": {"client": "web"},
    }
    original = copy.deepcopy(data)
    session = api.create_session("Zoë O'Brien", data)
    assert data == original
    assert set(session) == SESSION_KEYS
    assert str(uuid.UUID(session["id"])) == session["id"]
    assert session["user_id"] == student["id"] and session["username"] == "Zoë O'Brien"
    for key, value in original.items():
        assert session[key] == value, key
    assert session["end_time"] is None and session["accuracy"] is None
    assert (session["questions_asked"], session["correct_answers"]) == (0, 0)
    assert datetime.fromisoformat(session["start_time"]).utcoffset() is not None
    data["parameters"]["nested"]["a"].append(3)
    assert api.get_session(session["id"]) == session


def test_create_session_defaults(api: DatabaseAPI, student: dict) -> None:
    session = api.create_session("Zoë O'Brien", {})
    assert session["session_type"] == "quiz" and session["parameters"] == {} and session["metadata"] == {}
    assert session["strategy"] is None and session["use_llm"] is None
    assert api.create_session("Zoë O'Brien")["session_type"] == "quiz"


@pytest.mark.parametrize(
    "start_time",
    [T0, T0.isoformat(), "2024-03-01T10:00:00+01:00", T0.timestamp(), int(T0.timestamp())],
)
def test_create_session_historic_start_time(api: DatabaseAPI, student: dict, start_time: object) -> None:
    session = api.create_session("Zoë O'Brien", {"start_time": start_time})
    assert datetime.fromisoformat(session["start_time"]) == T0


def test_create_session_with_id_and_legacy(api: DatabaseAPI, student: dict) -> None:
    session_id = uuid.uuid4()
    session = api.create_session(
        "Zoë O'Brien", {"id": session_id, "legacy": {"question_history": []}, "mastery_before": 12.5}
    )
    assert session["id"] == str(session_id) and session["mastery_before"] == 12.5
    with pytest.raises(AlreadyExistsError):
        api.create_session("Zoë O'Brien", {"id": str(session_id)})


def test_create_session_missing_user(api: DatabaseAPI) -> None:
    with pytest.raises(NotFoundError):
        api.create_session("nobody", {"strategy": "adaptive"})


@pytest.mark.parametrize(
    "data, field",
    [
        ({"bogus": 1}, "data.bogus"),
        ({"questions_asked": 3}, "data.questions_asked"),
        ("quiz", "data"),
        ({"session_type": ""}, "session_type"),
        ({"session_type": "x" * 33}, "session_type"),
        ({"strategy": 5}, "strategy"),
        ({"strategy": "a\x00b"}, "strategy"),
        ({"theme": "t" * 65}, "theme"),
        ({"tier": ["basic"]}, "tier"),
        ({"fussiness": "3"}, "fussiness"),
        ({"fussiness": 2.5}, "fussiness"),
        ({"use_llm": "yes"}, "use_llm"),
        ({"use_llm": 1}, "use_llm"),
        ({"parameters": [1, 2]}, "parameters"),
        ({"parameters": {"k": "nul\x00"}}, "parameters"),
        ({"metadata": "m"}, "metadata"),
        ({"start_time": "2024-03-01T09:00:00"}, "start_time"),
        ({"start_time": "soon"}, "start_time"),
        ({"id": "not-a-uuid"}, "id"),
        ({"mastery_before": "low"}, "mastery_before"),
    ],
)
def test_create_session_bad_input(api: DatabaseAPI, student: dict, data: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        api.create_session("Zoë O'Brien", data)  # type: ignore[arg-type]
    assert info.value.field == field
    assert api.list_sessions("Zoë O'Brien") == []


def test_create_session_bad_username(api: DatabaseAPI) -> None:
    with pytest.raises(ValidationError) as info:
        api.create_session("", {})
    assert info.value.field == "username"


def test_create_session_is_one_statement(api: DatabaseAPI, student: dict, count_statements) -> None:
    api.create_session("Zoë O'Brien", {"strategy": "adaptive"})
    assert len(real_statements(count_statements)) == 1


# --- end_session ---------------------------------------------------------------------------------


def test_end_session_with_given_values(api: DatabaseAPI, student: dict) -> None:
    session = api.create_session("Zoë O'Brien", {"start_time": T0, "metadata": {"a": 1}})
    end = T0 + timedelta(minutes=12)
    data = {
        "end_time": end.isoformat(),
        "questions_asked": 10,
        "correct_answers": 7,
        "accuracy": 70.0,
        "mastery_before": 40.0,
        "mastery_after": 55.5,
        "metadata": {"b": 2},
    }
    original = copy.deepcopy(data)
    assert api.end_session(session["id"], data) is True
    assert data == original
    ended = api.get_session(session["id"])
    assert datetime.fromisoformat(ended["end_time"]) == end
    assert (ended["questions_asked"], ended["correct_answers"], ended["accuracy"]) == (10, 7, 70.0)
    assert (ended["mastery_before"], ended["mastery_after"]) == (40.0, 55.5)
    assert ended["metadata"] == {"a": 1, "b": 2}


def test_end_session_derives_counts_from_recorded_answers(
    api: DatabaseAPI, student: dict, connection: Connection
) -> None:
    session = api.create_session("Zoë O'Brien", {"mastery_before": 30.0})
    user_id, session_id = uuid.UUID(student["id"]), uuid.UUID(session["id"])
    add_quiz(connection, user_id, (True, False, True), session_id=session_id)
    add_quiz(connection, user_id, (None, True), session_id=session_id)
    add_quiz(connection, user_id, (True, True, True))  # another conversation, not in this session
    other = api.create_session("Zoë O'Brien", {})
    add_quiz(connection, user_id, (False,), session_id=uuid.UUID(other["id"]))

    assert api.end_session(session["id"], {"mastery_after": 45.0}) is True
    ended = api.get_session(session["id"])
    assert ended["questions_asked"] == 5 and ended["correct_answers"] == 3
    assert ended["accuracy"] == pytest.approx(60.0)
    assert ended["end_time"] is not None
    assert (ended["mastery_before"], ended["mastery_after"]) == (30.0, 45.0)  # kept, set

    assert api.end_session(other["id"]) is True
    assert api.get_session(other["id"])["accuracy"] == 0.0


def test_end_session_given_counts_win_and_accuracy_follows_them(
    api: DatabaseAPI, student: dict, connection: Connection
) -> None:
    session = api.create_session("Zoë O'Brien", {})
    add_quiz(connection, uuid.UUID(student["id"]), (True, True), session_id=uuid.UUID(session["id"]))
    api.end_session(session["id"], {"questions_asked": 8})
    ended = api.get_session(session["id"])
    assert (ended["questions_asked"], ended["correct_answers"]) == (8, 2)
    assert ended["accuracy"] == pytest.approx(25.0)


def test_end_session_without_questions_has_no_accuracy(api: DatabaseAPI, student: dict) -> None:
    session = api.create_session("Zoë O'Brien", {})
    assert api.end_session(session["id"], {}) is True
    ended = api.get_session(session["id"])
    assert (ended["questions_asked"], ended["correct_answers"], ended["accuracy"]) == (0, 0, None)


def test_end_session_missing_is_false(api: DatabaseAPI) -> None:
    assert api.end_session(str(uuid.uuid4()), {"questions_asked": 1}) is False


@pytest.mark.parametrize(
    "data, field",
    [
        ({"bogus": 1}, "data.bogus"),
        ({"strategy": "x"}, "data.strategy"),
        ({"questions_asked": -1}, "questions_asked"),
        ({"questions_asked": "3"}, "questions_asked"),
        ({"correct_answers": 1.5}, "correct_answers"),
        ({"questions_asked": 2, "correct_answers": 3}, "correct_answers"),
        ({"accuracy": 101}, "accuracy"),
        ({"accuracy": -0.5}, "accuracy"),
        ({"accuracy": "high"}, "accuracy"),
        ({"mastery_after": float("nan")}, "mastery_after"),
        ({"end_time": datetime(2024, 1, 1)}, "end_time"),
        ({"metadata": ["x"]}, "metadata"),
    ],
)
def test_end_session_bad_input(api: DatabaseAPI, student: dict, data: dict, field: str) -> None:
    session = api.create_session("Zoë O'Brien", {})
    with pytest.raises(ValidationError) as info:
        api.end_session(session["id"], data)
    assert info.value.field == field
    assert api.get_session(session["id"]) == session


@pytest.mark.parametrize("bad", ["not-a-uuid", 12, None])
def test_end_and_get_session_bad_id(api: DatabaseAPI, bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        api.end_session(bad, {})
    assert info.value.field == "session_id"
    with pytest.raises(ValidationError) as info:
        api.get_session(bad)
    assert info.value.field == "session_id"


@pytest.mark.parametrize("conversations", [1, 15])
def test_end_session_is_one_statement_however_many_conversations(
    api: DatabaseAPI, student: dict, connection: Connection, count_statements, conversations: int
) -> None:
    session = api.create_session("Zoë O'Brien", {})
    for _ in range(conversations):
        add_quiz(connection, uuid.UUID(student["id"]), (True, False), session_id=uuid.UUID(session["id"]))
    count_statements.statements.clear()
    api.end_session(session["id"], {})
    assert len(real_statements(count_statements)) == 1
    assert api.get_session(session["id"])["questions_asked"] == 2 * conversations


def test_end_session_on_a_real_engine_is_one_statement(committed_db, count_statements) -> None:
    with DatabaseAPI(committed_db, settings=fast_settings()) as api:
        api.create_user("kai")
        session = api.create_session("kai", {"strategy": "adaptive"})
        count_statements.statements.clear()
        assert api.end_session(session["id"], {"mastery_after": 1.0}) is True
        assert count_statements.count == 1
        count_statements.statements.clear()
        assert api.get_session(session["id"])["mastery_after"] == 1.0
        assert count_statements.count == 1


# --- get_session / list_sessions ------------------------------------------------------------------


def test_get_session_missing_is_none(api: DatabaseAPI) -> None:
    assert api.get_session(uuid.uuid4()) is None


def test_list_sessions_newest_first_with_keyset_paging(api: DatabaseAPI, student: dict) -> None:
    made = []
    for minutes in (0, 10, 10, 10, 20, 30, 40):  # equal start times: ordered by id
        made.append(api.create_session("Zoë O'Brien", {"start_time": T0 + timedelta(minutes=minutes)}))
    api.create_user("other")
    api.create_session("other", {"start_time": T0 + timedelta(hours=1)})
    expected = sorted(made, key=lambda s: (s["start_time"], s["id"]), reverse=True)

    seen: list[dict] = []
    after = None
    while True:
        page = api.list_sessions("Zoë O'Brien", limit=3, after=after)
        if not page:
            break
        assert len(page) <= 3
        seen.extend(page)
        after = page[-1]["id"]
    assert [s["id"] for s in seen] == [s["id"] for s in expected]
    assert all(set(s) == SESSION_KEYS and s["username"] == "Zoë O'Brien" for s in seen)
    assert api.list_sessions("Zoë O'Brien") == expected


def test_list_sessions_empty_and_missing_user(api: DatabaseAPI, student: dict) -> None:
    assert api.list_sessions("Zoë O'Brien") == []
    assert api.list_sessions("nobody") == []


def test_list_sessions_stale_or_foreign_token(api: DatabaseAPI, student: dict) -> None:
    api.create_session("Zoë O'Brien", {})
    api.create_user("other")
    foreign = api.create_session("other", {})
    for token in (str(uuid.uuid4()), foreign["id"]):
        with pytest.raises(ValidationError) as info:
            api.list_sessions("Zoë O'Brien", after=token)
        assert info.value.field == "after"
    with pytest.raises(ValidationError) as info:
        api.list_sessions("Zoë O'Brien", after="page-2")
    assert info.value.field == "after"


@pytest.mark.parametrize("limit", [0, -5, "10", None, 10_001])
def test_list_sessions_bad_limit(api: DatabaseAPI, limit: object) -> None:
    with pytest.raises(ValidationError) as info:
        api.list_sessions("anyone", limit=limit)  # type: ignore[arg-type]
    assert info.value.field == "limit"


def test_list_sessions_statement_budget(api: DatabaseAPI, student: dict, count_statements) -> None:
    sessions = [
        api.create_session("Zoë O'Brien", {"start_time": T0 + timedelta(minutes=i)}) for i in range(5)
    ]
    count_statements.statements.clear()
    page = api.list_sessions("Zoë O'Brien", limit=2, after=sessions[-1]["id"])
    assert len(page) == 2 and len(real_statements(count_statements)) == 1
    count_statements.statements.clear()
    assert api.list_sessions("Zoë O'Brien", after=sessions[0]["id"]) == []
    assert len(real_statements(count_statements)) == 2  # an empty page checks its token
