"""The admin lists through main([...]): tables, JSON, JSON lines, filters, exit status."""

from __future__ import annotations

import json
import uuid

import pytest
from admin_helpers import at, out_lines, truncate
from admin_seeds import FAKE_HASH, LONG_KEY, LONG_TEXT, seed_basic

from database.admin import main
from database.admin.output import ELLIPSIS


@pytest.fixture(scope="module")
def data(engine):
    """Seeded once: every test here only reads (tests that write are in test_admin_behaviour.py)."""
    truncate(engine)
    yield seed_basic(engine)
    truncate(engine)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list)
    return rows


def test_list_users_table(data, capsys):
    code, out, err = run(capsys, "list-users")
    assert code == 0 and err == ""
    lines = out_lines(out)
    assert lines[0].split()[:4] == ["USERNAME", "NAME", "EMAIL", "ROLE"]
    assert [line.split()[0] for line in lines[1:4]] == ["alice", "bob", "carol"]
    assert lines[1].split()[-2:] == ["2", "2"]  # alice: 2 sessions, 2 conversations
    assert "bob o'neil" in lines[2]
    assert lines[-1] == "3 users; end of list"
    # Columns line up: every row starts its ROLE cell where the header does.
    role_at = lines[0].index("ROLE")
    assert lines[1][role_at:].startswith("user") and lines[3][role_at:].startswith("admin")


def test_list_users_json_never_shows_the_hash(data, capsys):
    rows = run_json(capsys, "list-users")
    assert [r["username"] for r in rows] == ["alice", "bob o'neil", "carol"]
    assert set(rows[0]) == {
        "username",
        "id",
        "name",
        "email",
        "role",
        "created_at",
        "updated_at",
        "last_login",
        "password_set",
        "sessions",
        "conversations",
    }
    assert rows[0]["password_set"] is True and rows[1]["password_set"] is False
    assert rows[0]["id"] == str(data["alice"]) and rows[0]["created_at"] == at(-300).isoformat()
    assert (rows[0]["sessions"], rows[0]["conversations"], rows[2]["sessions"]) == (2, 2, 0)
    for argv in (["list-users"], ["list-users", "--json"], ["list-users", "--jsonl"]):
        _, out, err = run(capsys, *argv)
        assert FAKE_HASH not in out + err and "password_hash" not in out


def test_jsonl_is_one_object_per_line(data, capsys):
    code, out, _ = run(capsys, "list-conversations", "--jsonl")
    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert len(objects) == 4 and all(isinstance(o, dict) for o in objects)
    assert objects == json.loads(run(capsys, "list-conversations", "--json")[1])


def test_json_and_jsonl_together_is_a_usage_error(data, capsys):
    code, _, err = run(capsys, "list-users", "--json", "--jsonl")
    assert code == 2 and "not allowed with" in err


def test_list_users_time_filter(data, capsys):
    rows = run_json(capsys, "list-users", "--since", at(-250).isoformat(), "--until", at(-100).isoformat())
    assert [r["username"] for r in rows] == ["bob o'neil"]


def test_list_sessions(data, capsys):
    rows = run_json(capsys, "list-sessions")
    assert [r["id"] for r in rows] == [str(i) for i in reversed(data["sessions"])]  # newest first
    assert rows[-1]["username"] == "alice" and rows[-1]["accuracy"] == 50.0
    assert {
        "id",
        "username",
        "user_id",
        "session_type",
        "start_time",
        "end_time",
        "questions_asked",
        "correct_answers",
        "accuracy",
        "strategy",
        "parameters",
        "metadata",
    } <= set(rows[0])
    code, out, _ = run(capsys, "list-sessions")
    assert (
        code == 0 and out_lines(out)[0].startswith("ID") and out_lines(out)[-1] == "3 sessions; end of list"
    )


def test_list_sessions_filters(data, capsys):
    assert {r["username"] for r in run_json(capsys, "list-sessions", "--user", "alice")} == {"alice"}
    assert len(run_json(capsys, "list-sessions", "--user", "alice")) == 2
    assert [r["session_type"] for r in run_json(capsys, "list-sessions", "--type", "practice")] == [
        "practice"
    ]
    # --since is inclusive, --until exclusive; no offset means UTC.
    since = run_json(capsys, "list-sessions", "--since", "2025-06-02T13:00")
    assert [r["start_time"] for r in since] == [at(120).isoformat(), at(60).isoformat()]
    assert run_json(capsys, "list-sessions", "--since", "2025-06-02T15:00+02:00") == since
    assert run_json(capsys, "list-sessions", "--since", "2025-06-02T13:00Z") == since
    until = run_json(capsys, "list-sessions", "--until", "2025-06-02 13:00")
    assert [r["start_time"] for r in until] == [at(0).isoformat()]
    assert run_json(capsys, "list-sessions", "--until", "2025-06-02") == []  # a date alone: midnight UTC
    assert len(run_json(capsys, "list-sessions", "--since", "2025-06-02")) == 3


def test_unknown_user_filter_is_a_one_line_error(data, capsys):
    for command in ("list-sessions", "list-conversations", "list-questions", "list-answers"):
        code, out, err = run(capsys, command, "--user", "nobody")
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and err.startswith("error: no user named 'nobody'")


def test_bad_time_is_a_usage_error(data, capsys):
    code, _, err = run(capsys, "list-sessions", "--since", "yesterday")
    assert code == 2 and "not an ISO-8601 date or time" in err


def test_list_conversations_and_filters(data, capsys):
    rows = run_json(capsys, "list-conversations")
    assert [r["id"] for r in rows] == [str(data[k]) for k in ("assessment", "long_chat", "chat", "quiz")]
    quiz = rows[-1]
    assert quiz["messages"] == 6 and quiz["conversation_type"] == "quiz" and quiz["quiz_id"] == "quiz-1"
    assert quiz["session_id"] == str(data["sessions"][0]) and quiz["metadata"] == {"mode": "quiz"}
    assert {r["id"] for r in run_json(capsys, "list-conversations", "--type", "chat")} == {
        str(data["chat"]),
        str(data["long_chat"]),
    }
    assert [r["id"] for r in run_json(capsys, "list-conversations", "--user", "bob o'neil")] == [
        str(data["long_chat"])
    ]
    window = run_json(
        capsys, "list-conversations", "--since", at(61).isoformat(), "--until", at(180).isoformat()
    )
    assert [r["id"] for r in window] == [str(data["long_chat"]), str(data["chat"])]


def test_list_conversations_search(data, capsys):
    def found(text):
        return [r["id"] for r in run_json(capsys, "list-conversations", "--search", text)]

    # Case-insensitive whole words, accents kept; every word must occur in one message.
    assert found("lothlórien") == [str(data["chat"]), str(data["quiz"])]
    assert found("golden wood") == [str(data["chat"])]
    assert found('"wood golden"') == []
    assert found("mithril") == [str(data["assessment"])]
    assert found("mithril or golden") == [str(data["assessment"]), str(data["chat"])]
    assert found("lothlórien -please -golden") == [str(data["quiz"])]  # per message
    assert found("balrog") == []


def test_list_messages(data, capsys):
    rows = run_json(capsys, "list-messages", str(data["quiz"]))
    assert [r["position"] for r in rows] == list(range(6))
    assert rows[1]["question_id"] and rows[2]["answer_id"] and rows[0]["question_id"] is None
    assert rows[0]["content"] == "Welcome to the quiz.\nGood luck!"
    code, out, _ = run(capsys, "list-messages", str(data["quiz"]))
    lines = out_lines(out)
    assert lines[0].split() == ["POS", "TIME", "(UTC)", "ROLE", "Q/A", "CONTENT"]
    assert "Welcome to the quiz. Good luck!" in lines[1]  # one line per row in tables
    assert "question" in lines[2] and "answer" in lines[3]
    assert lines[-1] == "6 messages; end of list"


def test_list_messages_filters(data, capsys):
    quiz = str(data["quiz"])
    assert [r["position"] for r in run_json(capsys, "list-messages", quiz, "--role", "user")] == [2, 5]
    assert [r["position"] for r in run_json(capsys, "list-messages", quiz, "--search", "meneldil")] == [1]
    assert [r["position"] for r in run_json(capsys, "list-messages", quiz, "--after", "3")] == [4, 5]
    sent = run_json(
        capsys,
        "list-messages",
        quiz,
        "--since",
        at(1).replace(second=2).isoformat(),
        "--until",
        at(1).replace(second=4).isoformat(),
    )
    assert [r["position"] for r in sent] == [2, 3]


def test_list_messages_errors(data, capsys):
    code, out, err = run(capsys, "list-messages", str(uuid.uuid4()))
    assert (
        code == 1 and out == "" and err.startswith("error: no conversation with id ") and err.count("\n") == 1
    )
    code, _, err = run(capsys, "list-messages", "not-a-uuid")
    assert code == 2 and "not an id: 'not-a-uuid'" in err
    code, _, err = run(capsys, "list-messages", str(data["quiz"]), "--after", "-1")
    assert code == 2
    code, _, err = run(capsys, "list-messages")
    assert code == 2 and "CONVERSATION_ID" in err


def test_an_existing_but_empty_result_is_not_an_error(data, capsys):
    code, out, _ = run(capsys, "list-messages", str(data["quiz"]), "--role", "nobody")
    assert code == 0 and out == "no messages\n"


def test_list_questions(data, capsys):
    rows = run_json(capsys, "list-questions")
    assert [r["text"] for r in rows] == [
        "Who rules Lothlórien?",
        "Which of the following participates in Meneldil?",
    ]
    first = rows[1]
    assert first["options"] == ["John", ["Sam Gamgee", "Sam"], "Uttermost West"]
    assert (
        first["correct_answer"] == "Uttermost West"
        and first["difficulty"] == 2
        and first["username"] == "alice"
    )
    assert first["conversation_id"] == str(data["quiz"])
    assert len(run_json(capsys, "list-questions", "--user", "alice")) == 2
    assert run_json(capsys, "list-questions", "--user", "carol") == []
    assert len(run_json(capsys, "list-questions", "--type", "multiple_choice")) == 2
    assert run_json(capsys, "list-questions", "--type", "true_false") == []
    assert len(run_json(capsys, "list-questions", "--until", at(1).replace(second=3).isoformat())) == 1


def test_list_answers(data, capsys):
    rows = run_json(capsys, "list-answers")
    assert [(r["content"], r["correct"], r["quality_score"]) for r in rows] == [
        ("Galadriel", True, 1.0),
        ("John", False, 0.0),
    ]
    assert rows[1]["feedback"] == {"explanation": "Not John.", "next_steps": "Read about Meneldil"}
    assert rows[1]["question_text"] == "Which of the following participates in Meneldil?"
    assert [r["content"] for r in run_json(capsys, "list-answers", "--correct")] == ["Galadriel"]
    assert [r["content"] for r in run_json(capsys, "list-answers", "--incorrect")] == ["John"]
    assert len(run_json(capsys, "list-answers", "--user", "alice")) == 2
    assert run_json(capsys, "list-answers", "--user", "bob o'neil") == []
    assert [
        r["content"] for r in run_json(capsys, "list-answers", "--since", at(1).replace(second=5).isoformat())
    ] == ["Galadriel"]
    code, _, err = run(capsys, "list-answers", "--correct", "--incorrect")
    assert code == 2 and "not allowed with" in err


def test_list_cache(data, capsys):
    rows = run_json(capsys, "list-cache")
    assert [(r["cache_type"], r["key"]) for r in rows] == [
        ("assessment", "123_-456"),
        ("query", LONG_KEY),
        ("question", "multiple_choice_Meneldil_2"),
        ("question", "true_false_Bree_1"),
    ]
    assert rows[0]["value"] == [True, 90, {}]
    assert [r["expired"] for r in rows] == [False, False, False, True]
    assert [r["key"] for r in run_json(capsys, "list-cache", "--type", "question")] == [
        "multiple_choice_Meneldil_2",
        "true_false_Bree_1",
    ]
    assert [r["id"] for r in run_json(capsys, "list-cache", "--expired")] == [str(data["cache_expired"])]
    assert run_json(capsys, "list-cache", "--type", "assessment", "--expired") == []


def test_long_values_are_shortened_in_tables_never_in_json(data, capsys):
    code, out, _ = run(capsys, "list-messages", str(data["long_chat"]))
    row = out_lines(out)[1]
    content = row[row.index("The road") :]
    assert content.endswith(ELLIPSIS) and len(content) == 70 and "\n" not in content
    assert run_json(capsys, "list-messages", str(data["long_chat"]))[0]["content"] == LONG_TEXT
    code, out, _ = run(capsys, "list-cache", "--type", "query")
    assert LONG_KEY not in out and LONG_KEY[:30] in out and out.count(ELLIPSIS) == 2  # key and value
    entry = run_json(capsys, "list-cache", "--type", "query")[0]
    assert entry["key"] == LONG_KEY and entry["value"] == {"nodes": ["n" * 50] * 10}
    code, out, _ = run(capsys, "list-cache", "--type", "query", "--jsonl")
    assert json.loads(out)["key"] == LONG_KEY
