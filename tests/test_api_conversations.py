"""DatabaseAPI conversations: create, end, get, list (keyset paging), delete."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from factories import make_session, make_user
from sqlalchemy import text

from database import DatabaseError, NotFoundError, ValidationError

CONVERSATION_KEYS = {
    "id",
    "user_id",
    "username",
    "session_id",
    "conversation_type",
    "quiz_id",
    "start_time",
    "end_time",
    "duration_seconds",
    "metadata",
    "parameters",
}
PARAMETER_KEYS = {
    "parameter_type",
    "max_communities",
    "max_path_length",
    "max_paths_per_entity",
    "use_cache",
    "verbose",
    "llm_model",
    "temperature",
    "max_tokens",
    "strategy",
    "tier",
    "use_llm",
    "fussiness",
    "theme",
}


def aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, value
    return parsed


@pytest.fixture
def student(session):
    return make_user(session, username="Frodo O'Baggins")


def test_create_conversation_returns_the_stored_conversation(api, student, connection):
    conversation_data = {
        "conversation_type": "quiz",
        "quiz_id": "q-17",
        "metadata": {"client": "web", "n": [1, 2]},
    }
    parameters_data = {
        "parameter_type": "quiz",
        "max_communities": 3,
        "temperature": 0.7,
        "use_llm": True,
        "llm_model": "gpt-x",
        "fussiness": 2,
        "tier": "basic",
        "theme": "rings",
    }
    saved = copy.deepcopy((conversation_data, parameters_data))

    conversation = api.create_conversation("Frodo O'Baggins", conversation_data, parameters_data)

    assert (conversation_data, parameters_data) == saved  # caller's dicts untouched
    assert set(conversation) == CONVERSATION_KEYS
    assert uuid.UUID(conversation["id"]) and conversation["user_id"] == str(student.id)
    assert conversation["username"] == "Frodo O'Baggins"
    assert conversation["conversation_type"] == "quiz" and conversation["quiz_id"] == "q-17"
    assert conversation["metadata"] == {"client": "web", "n": [1, 2]}
    assert conversation["end_time"] is None and conversation["duration_seconds"] is None
    db_now = connection.execute(text("SELECT now()")).scalar_one()
    assert aware(conversation["start_time"]) == db_now  # default start: now (this transaction's)
    params = conversation["parameters"]
    assert set(params) == PARAMETER_KEYS
    assert params["parameter_type"] == "quiz" and params["max_communities"] == 3
    assert params["temperature"] == 0.7 and params["use_llm"] is True and params["verbose"] is None
    stored = connection.execute(
        text(
            "SELECT c.metadata, p.llm_model FROM conversations c JOIN conversation_parameters p "
            "ON p.conversation_id = c.id WHERE c.id = :id"
        ),
        {"id": conversation["id"]},
    ).one()
    assert stored.metadata == {"client": "web", "n": [1, 2]} and stored.llm_model == "gpt-x"


def test_create_conversation_defaults(api, student):
    conversation = api.create_conversation("Frodo O'Baggins", None, None)
    assert conversation["conversation_type"] == "chat"
    assert conversation["metadata"] == {}
    assert conversation["parameters"]["parameter_type"] == "default"


def test_create_conversation_with_historic_start_and_own_session(api, session, student):
    quiz = make_session(session, student)
    start = datetime(2025, 6, 4, 17, 56, 22, 123456, tzinfo=timezone(timedelta(hours=2)))
    conversation = api.create_conversation(
        "Frodo O'Baggins", {"session_id": str(quiz.id), "start_time": start.isoformat()}, {}
    )
    assert conversation["session_id"] == str(quiz.id)
    assert aware(conversation["start_time"]) == start
    assert conversation["start_time"].endswith("+00:00")


def test_create_conversation_unknown_user_or_session(api, session, student):
    with pytest.raises(NotFoundError, match="user 'nobody' not found"):
        api.create_conversation("nobody", {}, {})
    with pytest.raises(NotFoundError, match="session .* not found"):
        api.create_conversation("Frodo O'Baggins", {"session_id": str(uuid.uuid4())}, {})
    someone_else = make_user(session, username="Sam")
    their_quiz = make_session(session, someone_else)
    with pytest.raises(NotFoundError, match="session"):
        api.create_conversation("Frodo O'Baggins", {"session_id": their_quiz.id}, {})


@pytest.mark.parametrize(
    ("conversation_data", "parameters_data", "field"),
    [
        ({"colour": "red"}, {}, "conversation_data.colour"),
        ({}, {"max_depth": 3}, "parameters_data.max_depth"),
        ({"conversation_type": ""}, {}, "conversation_data.conversation_type"),
        ({"conversation_type": "x" * 33}, {}, "conversation_data.conversation_type"),
        ({"session_id": "not-a-uuid"}, {}, "conversation_data.session_id"),
        ({"metadata": ["not", "a", "dict"]}, {}, "conversation_data.metadata"),
        ({"metadata": {"bad": "nul\x00"}}, {}, "conversation_data.metadata"),
        ({"start_time": "2025-06-04T17:56:22"}, {}, "conversation_data.start_time"),
        ({"quiz_id": 17}, {}, "conversation_data.quiz_id"),
        ({}, {"temperature": "hot"}, "parameters_data.temperature"),
        ({}, {"max_tokens": 2**31}, "parameters_data.max_tokens"),
        ({}, {"use_llm": "yes"}, "parameters_data.use_llm"),
        ({}, {"tier": "t" * 33}, "parameters_data.tier"),
        ("chat", {}, "conversation_data"),
    ],
)
def test_create_conversation_rejects_bad_input(
    api, student, connection, conversation_data, parameters_data, field
):
    with pytest.raises(ValidationError) as info:
        api.create_conversation("Frodo O'Baggins", conversation_data, parameters_data)
    assert info.value.field == field
    assert connection.execute(text("SELECT count(*) FROM conversations")).scalar_one() == 0


@pytest.mark.parametrize("username", ["", "x" * 151, "tab\there", None])
def test_create_conversation_rejects_bad_usernames(api, username):
    with pytest.raises(ValidationError) as info:
        api.create_conversation(username, {}, {})
    assert info.value.field == "username"


def test_end_conversation(api, student, connection):
    start = connection.execute(text("SELECT now() - interval '1 hour'")).scalar_one()
    conversation = api.create_conversation("Frodo O'Baggins", {"start_time": start}, {})
    assert api.end_conversation(conversation["id"]) is True
    ended = api.get_conversation(conversation["id"])
    end_time = aware(ended["end_time"])
    assert ended["duration_seconds"] == pytest.approx((end_time - start).total_seconds())
    assert ended["duration_seconds"] == 3600  # now() is this test transaction's start
    # A second end keeps the first end time.
    assert api.end_conversation(uuid.UUID(conversation["id"])) is True
    assert api.get_conversation(conversation["id"])["end_time"] == ended["end_time"]


def test_end_conversation_missing_or_bad_id(api):
    assert api.end_conversation(str(uuid.uuid4())) is False
    with pytest.raises(ValidationError) as info:
        api.end_conversation("42")
    assert info.value.field == "conversation_id"


def test_get_conversation_returns_messages_in_order_with_questions_and_answers(api, student):
    conversation = api.create_conversation("Frodo O'Baggins", {"metadata": {"k": "v"}}, {"verbose": True})
    asked = api.add_message(conversation["id"], {"role": "assistant", "content": "What is mithril?"})
    replied = api.add_message(conversation["id"], {"role": "user", "content": "A metal"})
    api.add_message(conversation["id"], {"role": "assistant", "content": "Correct."})
    question = api.add_question(asked["id"], {"type": "short", "difficulty": 2})
    answer = api.add_answer(
        replied["id"], {"question_id": question["id"], "correct": True, "quality_score": 0.9}
    )

    got = api.get_conversation(conversation["id"])

    assert set(got) == CONVERSATION_KEYS | {"messages"}
    assert got["metadata"] == {"k": "v"} and got["parameters"]["verbose"] is True
    assert [m["position"] for m in got["messages"]] == [0, 1, 2]
    assert [m["content"] for m in got["messages"]] == ["What is mithril?", "A metal", "Correct."]
    assert got["messages"][0]["question"] == question and got["messages"][0]["answer"] is None
    assert got["messages"][1]["answer"] == answer and got["messages"][1]["question"] is None
    assert got["messages"][2]["question"] is None and got["messages"][2]["answer"] is None


def test_get_conversation_missing_empty_and_bad_id(api, student):
    assert api.get_conversation(str(uuid.uuid4())) is None
    conversation = api.create_conversation("Frodo O'Baggins", {}, {})
    assert api.get_conversation(conversation["id"])["messages"] == []
    with pytest.raises(ValidationError):
        api.get_conversation({"id": 1})


def _conversations(api, username, count, **data):
    base = datetime(2025, 1, 1, tzinfo=timezone.utc)
    return [
        api.create_conversation(username, {"start_time": base + timedelta(minutes=i), **data}, {})
        for i in range(count)
    ]


def test_list_conversations_newest_first_with_message_counts(api, student, session):
    make_user(session, username="Sam")
    made = _conversations(api, "Frodo O'Baggins", 3)
    api.create_conversation("Sam", {}, {})  # someone else's: never listed
    for _ in range(4):
        api.add_message(made[1]["id"], {"role": "user", "content": "hi"})

    listed = api.list_conversations("Frodo O'Baggins")

    assert [c["id"] for c in listed] == [c["id"] for c in reversed(made)]
    assert [c["message_count"] for c in listed] == [0, 4, 0]
    assert set(listed[0]) == (CONVERSATION_KEYS - {"parameters"}) | {"message_count"}
    assert listed[0]["username"] == "Frodo O'Baggins"


def test_list_conversations_filters_by_type(api, student):
    _conversations(api, "Frodo O'Baggins", 2, conversation_type="chat")
    quizzes = _conversations(api, "Frodo O'Baggins", 2, conversation_type="quiz")
    listed = api.list_conversations("Frodo O'Baggins", conversation_type="quiz")
    assert [c["id"] for c in listed] == [quizzes[1]["id"], quizzes[0]["id"]]
    assert api.list_conversations("Frodo O'Baggins", conversation_type="assessment") == []


def test_list_conversations_keyset_paging_covers_everything_once(api, student):
    made = _conversations(api, "Frodo O'Baggins", 5)
    # Two more sharing one start time: the id breaks the tie, paging must still see each once.
    same = datetime(2025, 1, 1, 0, 2, 30, tzinfo=timezone.utc)
    made += [api.create_conversation("Frodo O'Baggins", {"start_time": same}, {}) for _ in range(2)]
    pages, after = [], None
    while True:
        page = api.list_conversations("Frodo O'Baggins", limit=2, after=after)
        if not page:
            break
        assert len(page) <= 2
        pages.append(page)
        after = page[-1]["id"]
    seen = [c["id"] for page in pages for c in page]
    assert sorted(seen) == sorted(c["id"] for c in made) and len(seen) == len(set(seen)) == 7
    starts = [(aware(c["start_time"]), c["id"]) for page in pages for c in page]
    assert starts == sorted(starts, reverse=True)


def test_list_conversations_unknown_user_stale_token_and_bad_limit(api, student, session):
    assert api.list_conversations("nobody") == []
    assert api.list_conversations("Frodo O'Baggins") == []
    make_user(session, username="Sam")
    theirs = api.create_conversation("Sam", {}, {})
    for after in (str(uuid.uuid4()), theirs["id"]):
        with pytest.raises(ValidationError) as info:
            api.list_conversations("Frodo O'Baggins", after=after)
        assert info.value.field == "after"
    for limit in (0, -1, 1001, "10", True):
        with pytest.raises(ValidationError) as info:
            api.list_conversations("Frodo O'Baggins", limit=limit)
        assert info.value.field == "limit"


def test_delete_conversation_removes_everything_under_it(api, student, connection):
    conversation = api.create_conversation("Frodo O'Baggins", {}, {"max_tokens": 100})
    asked = api.add_message(conversation["id"], {"role": "assistant", "content": "Q?"})
    replied = api.add_message(conversation["id"], {"role": "user", "content": "A"})
    question = api.add_question(asked["id"], {"type": "short"})
    api.add_answer(replied["id"], {"question_id": question["id"]})

    assert api.delete_conversation(conversation["id"]) is True

    assert api.get_conversation(conversation["id"]) is None
    for table in ("conversations", "conversation_parameters", "messages", "questions", "answers"):
        assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
    assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 1
    assert api.delete_conversation(conversation["id"]) is False
    with pytest.raises(ValidationError):
        api.delete_conversation("")


def test_errors_are_ours(api):
    for call in (
        lambda: api.create_conversation("nobody", {}, {}),
        lambda: api.end_conversation("x"),
        lambda: api.list_conversations("nobody", after="x"),
    ):
        with pytest.raises(DatabaseError):
            call()
