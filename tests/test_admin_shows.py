"""show-user and show-conversation through main([...])."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from admin_helpers import at, truncate
from admin_seeds import FAKE_HASH, LONG_TEXT, seed_basic

from database.admin import main


@pytest.fixture(scope="module")
def data(engine):
    """Seeded once: every test here only reads."""
    truncate(engine)
    yield seed_basic(engine)
    truncate(engine)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def field(out: str, label: str) -> str:
    match = re.search(rf"^  {re.escape(label)} +(.*)$", out, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{out}"
    return match.group(1)


def test_show_user_text(data, capsys):
    code, out, err = run(capsys, "show-user", "alice")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "user alice"
    assert field(out, "name") == "Alice Liddell" and field(out, "email") == "alice@example.org"
    assert field(out, "password") == "set" and field(out, "role") == "user"
    assert field(out, "overall mastery") == "62.5"
    assert field(out, "strongest communities") == "1182 (0.95), 5 (0.85), 12 (0.7)"
    assert field(out, "weakest communities") == "None (0.1), 793 (0.4), 12 (0.7)"
    assert field(out, "current objective") == "Learn about Gondor"
    assert field(out, "mastered objectives") == "2"
    assert field(out, "sessions") == "2" and field(out, "conversations") == "2"
    # The last message of the latest conversation (chat, 2 messages from at(61)).
    assert field(out, "last activity") == "2025-06-02 13:01:01 UTC"
    assert FAKE_HASH not in out and "hash" not in out


def test_show_user_json(data, capsys):
    code, out, _ = run(capsys, "show-user", "alice", "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"user", "profile", "sessions", "conversations", "last_activity"}
    assert doc["user"]["id"] == str(data["alice"]) and doc["user"]["password_set"] is True
    assert "password_hash" not in doc["user"] and FAKE_HASH not in out
    assert doc["profile"]["overall_mastery"] == 62.5 and doc["profile"]["communities"] == 5
    assert doc["profile"]["strongest_communities"][0] == {"community": "1182", "mastery": 0.95}
    assert doc["profile"]["weakest_communities"][0] == {"community": "None", "mastery": 0.1}
    assert (doc["sessions"], doc["conversations"]) == (2, 2)
    assert doc["last_activity"] == (at(61) + timedelta(seconds=1)).isoformat()


def test_show_user_without_profile_or_password(data, capsys):
    code, out, _ = run(capsys, "show-user", "bob o'neil")
    assert code == 0
    assert field(out, "password") == "not set (cannot log in)"
    assert "profile: none" in out
    assert field(out, "sessions") == "1" and field(out, "conversations") == "1"
    doc = json.loads(run(capsys, "show-user", "carol", "--json")[1])
    assert doc["profile"] is None and doc["sessions"] == 0
    assert doc["last_activity"] == (at(180) + timedelta(seconds=2)).isoformat()


def test_show_user_unknown(data, capsys):
    code, out, err = run(capsys, "show-user", "nobody")
    assert code == 1 and out == ""
    assert err == "error: no user named 'nobody': check the spelling (list-users shows every user)\n"


def test_show_conversation_transcript(data, capsys):
    code, out, err = run(capsys, "show-conversation", str(data["quiz"]))
    assert code == 0 and err == ""
    assert out.splitlines()[0] == f"conversation {data['quiz']}"
    assert field(out, "user") == "alice" and field(out, "type") == "quiz" and field(out, "messages") == "6"
    assert field(out, "session") == str(data["sessions"][0])
    assert field(out, "parameters") == "parameter_type=default, strategy=adaptive, tier=basic"
    headers = [line for line in out.splitlines() if line.startswith("#")]
    assert [h.split()[0] for h in headers] == ["#0", "#1", "#2", "#3", "#4", "#5"]
    assert headers[0] == "#0  2025-06-02 12:01:00 UTC  system"
    assert headers[1].endswith("assistant  [question: multiple_choice, difficulty 2, entity Meneldil]")
    assert headers[2].endswith("user  [answer: incorrect, score 0]")
    assert headers[5].endswith("user  [answer: correct, score 1]")
    # The transcript, in order, with the question's options, the answer's correctness and feedback.
    expected = [
        "    Welcome to the quiz.",
        "    Good luck!",
        "    Which of the following participates in Meneldil?",
        "    options:",
        "      1. John",
        "      2. Sam Gamgee / Sam",
        "      3. Uttermost West",
        "    correct answer: Uttermost West",
        "    John",
        "    answers the question at #1",
        "    feedback:",
        "      next_steps: Read about Meneldil",
        "      explanation: Not John.",  # jsonb's key order
        "    Incorrect. The answer was Uttermost West.",
        "    Who rules Lothlórien?",
        "      1. Galadriel",
        "      2. Elrond",
        "    Galadriel",
        "    answers the question at #4",
        "    feedback: Well done",
    ]
    lines = out.splitlines()
    positions = [lines.index(line) for line in expected]
    assert positions == sorted(positions)


def test_show_conversation_json(data, capsys):
    code, out, _ = run(capsys, "show-conversation", str(data["quiz"]), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["id"] == str(data["quiz"]) and doc["username"] == "alice" and doc["message_count"] == 6
    assert doc["parameters"]["strategy"] == "adaptive" and doc["parameters"]["tier"] == "basic"
    messages = doc["messages"]
    assert [m["position"] for m in messages] == list(range(6))
    assert messages[0]["question"] is None and messages[0]["answer"] is None
    question = messages[1]["question"]
    assert question["options"] == ["John", ["Sam Gamgee", "Sam"], "Uttermost West"]
    assert question["correct_answer"] == "Uttermost West" and question["difficulty"] == 2
    answer = messages[2]["answer"]
    assert answer["correct"] is False and answer["quality_score"] == 0.0
    assert answer["question_id"] == question["id"] and answer["question_position"] == 1
    assert answer["feedback"] == {"explanation": "Not John.", "next_steps": "Read about Meneldil"}
    assert messages[0]["sent_at"] == at(1).isoformat()


def test_show_conversation_keeps_long_content_whole(data, capsys):
    code, out, _ = run(capsys, "show-conversation", str(data["long_chat"]))
    assert code == 0
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#0"))
    body = []
    for line in lines[start + 1 :]:
        if not line:
            break
        body.append(line[4:])
    assert "\n".join(body) == LONG_TEXT  # every line, indented, nothing cut
    doc = json.loads(run(capsys, "show-conversation", str(data["long_chat"]), "--json")[1])
    assert doc["messages"][0]["content"] == LONG_TEXT and doc["parameters"] is None


def test_show_conversation_errors(data, capsys):
    missing = uuid.uuid4()
    code, out, err = run(capsys, "show-conversation", str(missing))
    assert code == 1 and out == ""
    assert err == f"error: no conversation with id {missing}: list-conversations shows the ids\n"
    code, _, err = run(capsys, "show-conversation", "12345")
    assert code == 2 and "not an id: '12345'" in err
