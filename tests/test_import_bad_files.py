"""Bad files are rejected whole, with path and reason; the import goes on with the rest."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import text

from tests.import_helpers import copy_app, counts, import_json, ledger

GOOD = {
    "conversation_id": "00000000-0000-4000-8000-000000000001", "student_id": "ghost", "quiz_id": None,
    "metadata": {"mode": "chat"},
    "messages": [{"role": "user", "content": "Hello", "timestamp": 1749000000.5, "timestamp_formatted": "x",
                  "metadata": {}}],
    "start_time": 1749000000.5, "start_time_formatted": "x", "end_time": None, "end_time_formatted": None,
    "duration_seconds": None,
}


def _with(**changes):  # noqa: ANN003
    value = json.loads(json.dumps(GOOD))
    value.update(changes)
    return json.dumps(value).encode()


def _message(**changes):  # noqa: ANN003
    message = dict(GOOD["messages"][0], **changes)
    return _with(messages=[message])


BAD_CONVERSATIONS = {
    "empty.json": (b"", "empty file"),
    "blank.json": (b"\xef\xbb\xbf  \r\n", "empty file"),
    "truncated.json": (_with()[:-40], "truncated JSON: "),
    "invalid.json": (b'{"conversation_id": "x",, }', "invalid JSON: "),
    "latin1.json": (_with(metadata={"name": "Lothl\u00f3rien"}).replace(b"\\u00f3", b"\xf3"), "not UTF-8: undecodable byte 0xf3"),
    "nul_byte.json": (_with().replace(b'"Hello"', b'"Hel\x00lo"'), "NUL character in the file"),
    "nul_escape.json": (_message(content="Hel\u0000lo"), "NUL character (\\u0000) in $.messages[0].content"),
    "surrogate.json": (_message(content="x").replace(b'"x"', b'"\\ud800"'), "invalid \\u escape in $.messages[0].content"),
    "nan.json": (_with().replace(b'"duration_seconds": null', b'"duration_seconds": NaN'), "NaN is not a JSON number"),
    "list.json": (b"[1, 2]", "wrong type for the top level: expected dict, got a list"),
    "messages_dict.json": (_with(messages={}), "wrong type for messages: expected list, got an object"),
    "content_number.json": (_message(content=42), "wrong type for messages[0].content: expected str, got the number 42"),
    "content_mixed_list.json": (_message(content=["a", 1]), "messages[0].content: a list must hold only strings"),
    "metadata_list.json": (_with(metadata=[]), "wrong type for metadata: expected dict, got a list"),
    "no_id.json": (_with(conversation_id=None), "missing id: conversation_id is absent or empty"),
    "no_student.json": (_with(student_id=""), "missing id: student_id is absent or empty"),
    "id_number.json": (_with(conversation_id=7), "wrong type for conversation_id: expected str, got the number 7"),
    "start_string.json": (_with(start_time="2025-06-04T08:17:08"),
                          "unparseable time in start_time: expected epoch seconds, got the string '2025-06-04T08:17:08'"),
    "start_huge.json": (_with(start_time=1e300), "unparseable time in start_time: 1e+300 is out of range"),
    "end_bool.json": (_with(end_time=True), "unparseable time in end_time: expected epoch seconds, got a boolean"),
    "timestamp_null.json": (_message(timestamp=None), "unparseable time in messages[0].timestamp"),
    "timestamp_missing.json": (json.dumps({**GOOD, "messages": [{"role": "user", "content": "x", "metadata": {}}]}).encode(),
                               "unparseable time in messages[0].timestamp: missing"),
}


@pytest.fixture
def bad_tree(tmp_path):
    root = copy_app(tmp_path)
    folder = root / "conversation_history" / "ghost"
    folder.mkdir()
    for name, (data, _) in BAD_CONVERSATIONS.items():
        (folder / name).write_bytes(data)
    others = {
        "student_models/no_id.json": (b'{"name": "Nobody"}', "missing id: the student model has no id"),
        "student_models/bad_mastery.json": (b'{"id": "ghost", "overall_mastery": "high"}',
                                            "wrong type for overall_mastery"),
        "student_models/session_stats/ghost_20250101_101010.json": (
            b'{"start_time": 1.5, "questions_asked": -1}', "wrong type for questions_asked: expected a whole number >= 0"),
        "student_models/sessions/ghost/session_20250101_101010.json": (
            b'{"end_time": 2.5}', "unparseable time in start_time: missing"),
        "question_cache/question_cache_old.json": (b'{"k": "not an object"}', "wrong type for entry 'k': expected dict"),
        "assessment_cache/assessment_cache_old.json": (b"[]", "wrong type for the top level"),
        "student_models/notes.md": (b"# notes", "unknown file: not a legacy format the importer knows"),
        "assessment_conversations/ghost/conversation_lonely.txt": (b"text", "text export without its JSON twin"),
    }
    for rel, (data, _) in others.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    os.symlink(root / "student_models/sam.json", root / "student_models/linked.json")
    others["student_models/linked.json"] = (b"", "symbolic link: not followed")
    expected = {f"conversation_history/ghost/{name}": reason for name, (_, reason) in BAD_CONVERSATIONS.items()}
    expected.update({rel: reason for rel, (_, reason) in others.items()})
    expected["cache/1dad74597b200e6c5785cd292ed97629.json"] = "truncated JSON"
    return root, expected


def test_every_bad_file_is_rejected_with_its_reason_and_contributes_nothing(committed_db, capsys, bad_tree):
    root, expected = bad_tree
    code, summary = import_json(capsys, root)
    assert code == 3
    reasons = {item["path"]: item["reason"] for item in summary["rejected"]}
    assert set(reasons) == set(expected)
    for path, reason in expected.items():
        assert reason in reasons[path], (path, reasons[path])
    rows = ledger(committed_db)
    assert {p for p, r in rows.items() if r["result"] == "rejected"} == set(expected)
    assert all(rows[p]["counts"] == {} and rows[p]["conversation_id"] is None for p in expected)
    # The good files are all in; nothing at all from the bad ones (no user "ghost" either).
    assert summary["files"]["imported"] == 22 and summary["rows"]["messages"] == 55
    with committed_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users WHERE username = 'ghost'")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM conversations WHERE quiz_id IS NULL")).scalar_one() == 1


def test_fixed_file_is_imported_on_the_next_run(committed_db, capsys, bad_tree):
    root, _ = bad_tree
    import_json(capsys, root)
    (root / "conversation_history/ghost/empty.json").write_bytes(_with())
    code, summary = import_json(capsys, root)
    assert summary["files"]["imported"] == 1
    assert ledger(committed_db)["conversation_history/ghost/empty.json"]["result"] == "imported"
    with committed_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users WHERE username = 'ghost'")).scalar_one() == 1


@pytest.fixture
def refusing_database(committed_db):
    """A real server-side refusal (a trigger), to see one file rejected and its batch-mates kept."""
    with committed_db.begin() as conn:
        conn.execute(text(
            "CREATE FUNCTION refuse_cursed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.content = 'cursed' THEN RAISE EXCEPTION 'this message is cursed' USING ERRCODE = '23514'; END IF; "
            "RETURN NEW; END $$"))
        conn.execute(text("CREATE TRIGGER refuse_cursed BEFORE INSERT ON messages FOR EACH ROW "
                          "EXECUTE FUNCTION refuse_cursed()"))
    yield committed_db
    with committed_db.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_cursed ON messages"))
        conn.execute(text("DROP FUNCTION refuse_cursed()"))


def test_a_file_the_database_refuses_is_rejected_alone(refusing_database, capsys, tmp_path):
    root = tmp_path / "app"
    folder = root / "conversation_history" / "ghost"
    folder.mkdir(parents=True)
    for n in range(5):
        content = "cursed" if n == 2 else f"hello {n}"
        message = dict(GOOD["messages"][0], content=content)
        (folder / f"c{n}.json").write_text(json.dumps({**GOOD, "conversation_id": f"c-{n}", "messages": [message]}))
    code, summary = import_json(capsys, root)
    assert code == 3
    assert summary["rejected"] == [{"path": "conversation_history/ghost/c2.json", "kind": "conversation",
                                    "reason": "the database refused it: this message is cursed"}]
    assert summary["rows"] == {"conversations": 4, "messages": 4, "users": 1, "user_profiles": 1}
    table_counts = counts(refusing_database)
    assert (table_counts["conversations"], table_counts["messages"], table_counts["users"]) == (4, 4, 1)
