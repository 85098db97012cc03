"""DatabaseAPI messages, questions and answers: add_message, add_question, add_answer, get_messages."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from factories import make_user
from sqlalchemy import text

from database import AlreadyExistsError, NotFoundError, ValidationError

MESSAGE_KEYS = {
    "id",
    "conversation_id",
    "position",
    "role",
    "content",
    "timestamp",
    "metadata",
    "question",
    "answer",
}
QUESTION_KEYS = {
    "id",
    "message_id",
    "type",
    "text",
    "difficulty",
    "entity",
    "tier",
    "options",
    "correct_answer",
    "community_id",
    "created_at",
    "metadata",
}
ANSWER_KEYS = {
    "id",
    "message_id",
    "question_id",
    "content",
    "correct",
    "quality_score",
    "feedback",
    "created_at",
    "metadata",
}


def aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, value
    return parsed


@pytest.fixture
def conversation(api, session):
    make_user(session, username="gandalf")
    return api.create_conversation("gandalf", {"conversation_type": "quiz"}, {})


def say(api, conversation, content="hello", role="user", **extra):
    return api.add_message(conversation["id"], {"role": role, "content": content, **extra})


# -- add_message -------------------------------------------------------------------------------


def test_add_message_returns_the_stored_message(api, conversation, connection):
    data = {
        "role": "user",
        "content": "Hello, world!",
        "metadata": {"is_answer": True, "tags": ["a", {"b": None}]},
    }
    saved = copy.deepcopy(data)

    message = api.add_message(conversation["id"], data)

    assert data == saved
    assert set(message) == MESSAGE_KEYS
    assert uuid.UUID(message["id"]) and message["conversation_id"] == conversation["id"]
    assert message["position"] == 0 and message["role"] == "user" and message["content"] == "Hello, world!"
    assert message["metadata"] == {"is_answer": True, "tags": ["a", {"b": None}]}
    assert message["question"] is None and message["answer"] is None
    assert aware(message["timestamp"]) == connection.execute(text("SELECT now()")).scalar_one()
    # Mutating what we returned (or what the caller passed) does not reach the database.
    data["metadata"]["tags"].append("x")
    stored = connection.execute(text("SELECT metadata FROM messages WHERE id = :id"), {"id": message["id"]})
    assert stored.scalar_one() == {"is_answer": True, "tags": ["a", {"b": None}]}


def test_positions_count_up_and_bump_next_position(api, conversation, connection):
    positions = [say(api, conversation, f"m{i}")["position"] for i in range(5)]
    assert positions == [0, 1, 2, 3, 4]
    next_position = connection.execute(
        text("SELECT next_position FROM conversations WHERE id = :id"), {"id": conversation["id"]}
    ).scalar_one()
    assert next_position == 5


@pytest.mark.parametrize(
    "content",
    [
        "",
        "\n\n1. Frodo\n2. Sam",
        "  trailing spaces  \n",
        "Mellon — 🧝‍♂️ ñ ß 中文 \u200b",
        "\r\nCRLF\r\n",
        "x" * 100_000,
    ],
)
def test_content_is_stored_byte_exact(api, conversation, connection, content):
    message = say(api, conversation, content)
    assert message["content"] == content
    stored = connection.execute(text("SELECT content FROM messages WHERE id = :id"), {"id": message["id"]})
    assert stored.scalar_one().encode() == content.encode()
    assert api.get_conversation(conversation["id"])["messages"][0]["content"] == content


@pytest.mark.parametrize(
    "given",
    [
        datetime(2025, 6, 4, 17, 56, 22, 500000, tzinfo=timezone.utc),
        datetime(2025, 6, 4, 19, 56, 22, 500000, tzinfo=timezone(timedelta(hours=2))),
        "2025-06-04T17:56:22.500000+00:00",
        1749059782.5,
    ],
)
def test_historic_timestamp(api, conversation, given):
    message = say(api, conversation, timestamp=given)
    assert aware(message["timestamp"]) == datetime(2025, 6, 4, 17, 56, 22, 500000, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"content": "no role"}, "data.role"),
        ({"role": "", "content": "x"}, "data.role"),
        ({"role": "r" * 33, "content": "x"}, "data.role"),
        ({"role": "user"}, "data.content"),
        ({"role": "user", "content": None}, "data.content"),
        ({"role": "user", "content": 42}, "data.content"),
        ({"role": "user", "content": "nul\x00byte"}, "data.content"),
        ({"role": "user", "content": "x", "metadata": "flag"}, "data.metadata"),
        ({"role": "user", "content": "x", "metadata": {1: "int key"}}, "data.metadata"),
        ({"role": "user", "content": "x", "metadata": {"f": float("nan")}}, "data.metadata"),
        ({"role": "user", "content": "x", "timestamp": "yesterday"}, "data.timestamp"),
        ({"role": "user", "content": "x", "timestamp": datetime(2025, 1, 1)}, "data.timestamp"),
        ({"role": "user", "content": "x", "sender": "me"}, "data.sender"),
    ],
)
def test_add_message_rejects_bad_input(api, conversation, connection, data, field):
    with pytest.raises(ValidationError) as info:
        api.add_message(conversation["id"], data)
    assert info.value.field == field
    assert connection.execute(text("SELECT count(*) FROM messages")).scalar_one() == 0


def test_add_message_to_a_missing_conversation(api, connection):
    with pytest.raises(NotFoundError, match="conversation"):
        api.add_message(str(uuid.uuid4()), {"role": "user", "content": "hi"})
    with pytest.raises(ValidationError) as info:
        api.add_message("not-an-id", {"role": "user", "content": "hi"})
    assert info.value.field == "conversation_id"
    with pytest.raises(ValidationError) as info:
        api.add_message(str(uuid.uuid4()), ["role", "user"])
    assert info.value.field == "data"
    assert connection.execute(text("SELECT count(*) FROM messages")).scalar_one() == 0


def test_add_message_continues_after_directly_inserted_messages(api, conversation, connection):
    # Rows inserted around the API, next_position left at 0: the call catches up.
    connection.execute(
        text(
            "INSERT INTO messages (conversation_id, position, role, content) "
            "SELECT :id, p, 'user', 'imported' FROM unnest(ARRAY[0, 1, 2, 7]) AS p"
        ),
        {"id": conversation["id"]},
    )
    assert say(api, conversation)["position"] == 8
    assert say(api, conversation)["position"] == 9


# -- add_question / add_answer -----------------------------------------------------------------


def test_add_question_returns_the_stored_question(api, conversation):
    message = say(api, conversation, "\n\n1. Gollum\n2. Smeagol", role="assistant")
    data = {
        "type": "multiple_choice",
        "difficulty": 3,
        "entity": ["Gollum", "Sméagol"],
        "tier": "advanced",
        "options": ["Gollum", ["Smeagol", "Sméagol"]],
        "correct_answer": "Gollum",
        "community_id": 12,
        "metadata": {"template_id": "t1"},
    }
    saved = copy.deepcopy(data)

    question = api.add_question(message["id"], data)

    assert data == saved
    assert set(question) == QUESTION_KEYS
    assert uuid.UUID(question["id"]) and question["message_id"] == message["id"]
    assert (
        question["type"] == "multiple_choice"
        and question["difficulty"] == 3
        and question["tier"] == "advanced"
    )
    assert question["entity"] == ["Gollum", "Sméagol"]
    assert question["options"] == ["Gollum", ["Smeagol", "Sméagol"]]
    assert question["correct_answer"] == "Gollum"
    assert question["community_id"] == "12"  # ints and strings both occur: stored as text
    assert question["text"] is None and question["metadata"] == {"template_id": "t1"}
    aware(question["created_at"])


def test_add_question_optional_fields_and_string_community(api, conversation):
    message = say(api, conversation, role="assistant")
    question = api.add_question(message["id"], {"community_id": "c-7", "text": "", "entity": "Shire"})
    assert question["community_id"] == "c-7" and question["text"] == "" and question["entity"] == "Shire"
    assert question["type"] is None and question["options"] is None and question["metadata"] == {}


def test_add_question_errors(api, conversation, connection):
    message = say(api, conversation, role="assistant")
    with pytest.raises(NotFoundError, match="message"):
        api.add_question(str(uuid.uuid4()), {"type": "x"})
    first = api.add_question(message["id"], {"type": "first"})
    with pytest.raises(AlreadyExistsError, match="already has a question"):
        api.add_question(message["id"], {"type": "second"})
    # The failed call changed nothing.
    rows = connection.execute(text("SELECT id, question_type FROM questions")).all()
    assert [(str(r.id), r.question_type) for r in rows] == [(first["id"], "first")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"difficulty": "hard"}, "data.difficulty"),
        ({"difficulty": 2**31}, "data.difficulty"),
        ({"community_id": 1.5}, "data.community_id"),
        ({"community_id": True}, "data.community_id"),
        ({"community_id": "c" * 65}, "data.community_id"),
        ({"entity": {"name": "x"}}, "data.entity"),
        ({"options": {1, 2}}, "data.options"),
        ({"type": "t" * 65}, "data.type"),
        ({"text": "nul\x00"}, "data.text"),
        ({"answer": "x"}, "data.answer"),
    ],
)
def test_add_question_rejects_bad_input(api, conversation, data, field):
    message = say(api, conversation, role="assistant")
    with pytest.raises(ValidationError) as info:
        api.add_question(message["id"], data)
    assert info.value.field == field


def test_add_answer_returns_the_stored_answer(api, conversation):
    asked = say(api, conversation, "Who?", role="assistant")
    question = api.add_question(asked["id"], {"type": "short"})
    replied = say(api, conversation, "Gollum")
    data = {
        "question_id": question["id"],
        "content": "Gollum",
        "correct": True,
        "quality_score": 87,
        "feedback": {"explanation": "Right", "next_steps": ["more"]},
        "metadata": {"source": "test"},
    }
    saved = copy.deepcopy(data)

    answer = api.add_answer(replied["id"], data)

    assert data == saved
    assert set(answer) == ANSWER_KEYS
    assert answer["message_id"] == replied["id"] and answer["question_id"] == question["id"]
    assert answer["content"] == "Gollum" and answer["correct"] is True and answer["quality_score"] == 87.0
    assert answer["feedback"] == {"explanation": "Right", "next_steps": ["more"]}
    assert answer["metadata"] == {"source": "test"}
    aware(answer["created_at"])


@pytest.mark.parametrize("feedback", ["Good.", ["a", "b"], {"k": 1}, None])
def test_add_answer_feedback_kinds_and_no_question(api, conversation, feedback):
    replied = say(api, conversation)
    answer = api.add_answer(replied["id"], {"feedback": feedback, "quality_score": None, "correct": None})
    assert (
        answer["feedback"] == feedback and answer["question_id"] is None and answer["quality_score"] is None
    )


def test_add_answer_errors(api, conversation):
    replied = say(api, conversation)
    with pytest.raises(NotFoundError, match="message"):
        api.add_answer(str(uuid.uuid4()), {"content": "x"})
    with pytest.raises(NotFoundError, match="question"):
        api.add_answer(replied["id"], {"question_id": str(uuid.uuid4())})
    api.add_answer(replied["id"], {"content": "first"})
    with pytest.raises(AlreadyExistsError, match="already has an answer"):
        api.add_answer(replied["id"], {"content": "second"})
    assert api.get_conversation(conversation["id"])["messages"][0]["answer"]["content"] == "first"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quality_score": {"explanation": "a dict"}}, "data.quality_score"),
        ({"quality_score": "high"}, "data.quality_score"),
        ({"correct": "yes"}, "data.correct"),
        ({"feedback": 3}, "data.feedback"),
        ({"question_id": "nope"}, "data.question_id"),
        ({"content": 5}, "data.content"),
        ({"score": 1}, "data.score"),
    ],
)
def test_add_answer_rejects_bad_input(api, conversation, data, field):
    replied = say(api, conversation)
    with pytest.raises(ValidationError) as info:
        api.add_answer(replied["id"], data)
    assert info.value.field == field


# -- get_messages ------------------------------------------------------------------------------


def test_get_messages_last_n_in_order_and_paging_back(api, conversation):
    for i in range(7):
        say(api, conversation, f"m{i}")
    assert [m["content"] for m in api.get_messages(conversation["id"], limit=3)] == ["m4", "m5", "m6"]
    assert [m["position"] for m in api.get_messages(conversation["id"])] == list(range(7))
    page = api.get_messages(conversation["id"], limit=3, before=4)
    assert [m["content"] for m in page] == ["m1", "m2", "m3"]
    page = api.get_messages(conversation["id"], limit=3, before=page[0]["position"])
    assert [m["content"] for m in page] == ["m0"]
    assert api.get_messages(conversation["id"], limit=3, before=0) == []
    assert len(api.get_messages(conversation["id"], limit=100)) == 7


def test_get_messages_carry_questions_and_answers(api, conversation):
    asked = say(api, conversation, "Q", role="assistant")
    question = api.add_question(asked["id"], {"type": "tf"})
    replied = say(api, conversation, "A")
    answer = api.add_answer(replied["id"], {"question_id": question["id"], "correct": False})
    got = api.get_messages(conversation["id"], limit=2)
    assert set(got[0]) == MESSAGE_KEYS
    assert got[0]["question"] == question and got[1]["answer"] == answer
    assert got == api.get_conversation(conversation["id"])["messages"]


def test_get_messages_missing_empty_and_bad_arguments(api, conversation):
    assert api.get_messages(str(uuid.uuid4()), limit=5) is None
    assert api.get_messages(conversation["id"], limit=5) == []
    assert api.get_messages(conversation["id"]) == []
    for kwargs, field in (({"limit": 0}, "limit"), ({"limit": "5"}, "limit"), ({"before": -1}, "before")):
        with pytest.raises(ValidationError) as info:
            api.get_messages(conversation["id"], **kwargs)
        assert info.value.field == field
