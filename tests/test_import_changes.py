"""Re-runs: changed files replace exactly what they produced; copies, conflicts, import order."""

from __future__ import annotations

import json
import shutil

from sqlalchemy import text

from tests.import_helpers import copy_app, counts, import_json, ledger, snapshot, write_json

QUIZ = "conversation_history/test_user/conversation_6c220a97-f4d6-4eea-bda8-aabcfdedd83c_20250602_181747.json"
QUIZ_ID = "6c220a97-f4d6-4eea-bda8-aabcfdedd83c"
V1 = "student_models/sessions/test_user/session_20250602_181747.json"


def _messages(engine, cid):  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(text("SELECT content FROM messages WHERE conversation_id = :id ORDER BY position"),
                            {"id": cid}).scalars().all()


def test_changed_conversation_replaces_exactly_what_it_produced(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    before = counts(committed_db)
    raw = json.loads((root / QUIZ).read_text())
    raw["messages"] = raw["messages"][:6]  # drop the last 13 messages (4 questions, 4 answers)
    raw["messages"][0]["content"] = "Welcome back, Frodo!"
    write_json(root / QUIZ, raw)

    code, summary = import_json(capsys, root)
    assert summary["files"]["imported"] == 1 and summary["files"]["unchanged"] == 29
    assert summary["rows"] == {"conversations": 1, "messages": 6, "questions": 1, "answers": 1}
    after = counts(committed_db)
    assert after["messages"] == before["messages"] - 13
    assert (after["questions"], after["answers"]) == (before["questions"] - 4, before["answers"] - 4)
    assert after["conversations"] == before["conversations"] and after["users"] == before["users"]
    assert _messages(committed_db, QUIZ_ID)[0] == "Welcome back, Frodo!"
    row = ledger(committed_db)[QUIZ]
    assert row["counts"] == {"conversations": 1, "messages": 6, "questions": 1, "answers": 1}
    with committed_db.connect() as conn:  # still linked to its session record, still enriched
        linked = conn.execute(text("SELECT s.legacy->>'stem' FROM conversations c JOIN user_sessions s "
                                   "ON s.id = c.session_id WHERE c.id = :id"), {"id": QUIZ_ID}).scalar_one()
    assert linked == "session_20250602_181747"
    # ... and a third run is quiet again.
    code, summary = import_json(capsys, root)
    assert summary["rows"] == {} and summary["files"]["unchanged"] == 30


def test_identical_copy_elsewhere_adds_a_path_not_a_conversation(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    before = counts(committed_db)
    copy = "kg_quizzing/scripts/conversation_history/test_user/" + QUIZ.rsplit("/", 1)[1]
    (root / copy).parent.mkdir(parents=True)
    shutil.copyfile(root / QUIZ, root / copy)
    code, summary = import_json(capsys, root)
    assert summary["files"]["duplicate"] == 1 and summary["rows"] == {}
    assert counts(committed_db) == {**before, "import_files": before["import_files"] + 1}
    row = ledger(committed_db)[copy]
    assert (row["result"], row["reason"], str(row["conversation_id"])) == (
        "duplicate", f"same conversation as {QUIZ}", QUIZ_ID)
    with committed_db.connect() as conn:
        paths = conn.execute(text("SELECT legacy->'source_paths' FROM conversations WHERE id = :id"),
                             {"id": QUIZ_ID}).scalar_one()
    assert paths == [QUIZ, copy]


def test_same_id_with_other_content_is_a_conflict_naming_the_first_file(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    raw = json.loads((root / QUIZ).read_text())
    raw["messages"][0]["content"] = "A different welcome"
    clash = "assessment_conversations/test_user/conversation_copy_that_differs.json"
    write_json(root / clash, raw)
    before = snapshot(committed_db, ("conversations", "messages", "questions", "answers"))
    code, summary = import_json(capsys, root)
    assert code == 3
    assert {"path": clash, "kind": "conversation",
            "reason": f"conflict: conversation {QUIZ_ID} was already imported from {QUIZ} with different content"} \
        in summary["rejected"]
    assert snapshot(committed_db, ("conversations", "messages", "questions", "answers")) == before
    assert ledger(committed_db)[clash]["result"] == "rejected"


def test_copy_that_later_changes_stops_being_a_copy(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    export = "conversation_history/data/exports/conversation_2b4474b5-446f-47f6-9788-fc0a0f1234c2_20250602_174048.json"
    raw = json.loads((root / export).read_text())
    raw["quiz_id"] = "edited"
    write_json(root / export, raw)
    code, summary = import_json(capsys, root)
    reasons = {r["path"]: r["reason"] for r in summary["rejected"]}
    assert code == 3 and reasons[export].startswith("conflict: conversation 2b4474b5")
    with committed_db.connect() as conn:
        paths = conn.execute(text("SELECT legacy->'source_paths' FROM conversations "
                                  "WHERE id = '2b4474b5-446f-47f6-9788-fc0a0f1234c2'")).scalar_one()
    assert export not in paths and len(paths) == 2


def test_changed_file_that_became_invalid_keeps_its_earlier_import(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    before = snapshot(committed_db, ("conversations", "messages"))
    (root / QUIZ).write_bytes((root / QUIZ).read_bytes()[:500])
    code, summary = import_json(capsys, root)
    assert code == 3
    reason = next(r["reason"] for r in summary["rejected"] if r["path"] == QUIZ)
    assert reason.startswith("truncated JSON") and reason.endswith("(its earlier import is kept)")
    assert snapshot(committed_db, ("conversations", "messages")) == before
    row = ledger(committed_db)[QUIZ]
    assert row["result"] == "rejected" and str(row["conversation_id"]) == QUIZ_ID


def test_changed_primary_sends_its_copies_back_for_a_fresh_look(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    primary = ("conversation_history/data/api_test_student/"
               "conversation_2b4474b5-446f-47f6-9788-fc0a0f1234c2_20250602_174036.json")
    raw = json.loads((root / primary).read_text())
    raw["metadata"]["tags"] = ["changed"]
    write_json(root / primary, raw)
    code, summary = import_json(capsys, root, str(root / primary))  # only the primary this time
    assert summary["files"] == {"imported": 1, "duplicate": 0, "derived": 0, "rejected": 0, "unchanged": 0}
    rows = ledger(committed_db)
    # Its two copies now differ from it: no longer trusted as duplicates until re-examined.
    assert not any(r["result"] == "duplicate" for r in rows.values() if "2b4474b5" in r["path"])
    code, summary = import_json(capsys, root)
    assert [r["reason"][:9] for r in summary["rejected"] if "2b4474b5" in r["path"]] == ["conflict:"] * 2


def test_session_record_arriving_after_its_conversation_gives_the_same_result(committed_db, capsys, tmp_path):
    all_at_once = copy_app(tmp_path, "one")
    import_json(capsys, all_at_once)
    expected = snapshot(committed_db, ("users", "sessions", "conversations", "messages", "questions", "answers"))

    with committed_db.begin() as conn:
        conn.execute(text("TRUNCATE users, cache_entries, import_files CASCADE"))
    root = copy_app(tmp_path, "two")
    # Conversations first (no session records yet), then everything else.
    import_json(capsys, root, str(root / "conversation_history"), str(root / "kg_quizzing/scripts/conversation_history"))
    with committed_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM conversations WHERE session_id IS NOT NULL")).scalar_one() == 0
    code, summary = import_json(capsys, root)
    assert summary["files"]["unchanged"] == 10  # 9 under conversation_history, 1 under kg_quizzing
    assert snapshot(committed_db, ("users", "sessions", "conversations", "messages", "questions", "answers")) == expected


def test_changed_session_record_is_replaced_and_relinked(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    raw = json.loads((root / V1).read_text())
    raw["question_history"][0]["question"]["entity"] = "Meneldil the Changed"
    raw["correct_answers"] = 4
    write_json(root / V1, raw)
    code, summary = import_json(capsys, root)
    assert summary["rows"] == {"user_sessions": 1}
    with committed_db.connect() as conn:
        session = conn.execute(text("SELECT id, correct_answers FROM user_sessions WHERE legacy->>'stem' = "
                                    "'session_20250602_181747'")).one()
        assert session.correct_answers == 4
        linked = conn.execute(text("SELECT session_id FROM conversations WHERE id = :id"), {"id": QUIZ_ID}).scalar_one()
        entity = conn.execute(text("SELECT q.entity FROM questions q JOIN messages m ON m.id = q.message_id "
                                   "WHERE m.conversation_id = :id ORDER BY m.position LIMIT 1"),
                              {"id": QUIZ_ID}).scalar_one()
    assert linked == session.id and entity == "Meneldil the Changed"
    assert counts(committed_db)["user_sessions"] == 3


def test_changed_cache_file_replaces_its_namespace_only(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    write_json(root / "question_cache/question_cache.json", {"only_one_left": {"question": "?", "type": "factual"}})
    code, summary = import_json(capsys, root)
    assert summary["rows"] == {"cache_entries": 1}
    with committed_db.connect() as conn:
        per_type = dict(conn.execute(text("SELECT cache_type, count(*) FROM cache_entries GROUP BY 1")).all())
    assert per_type["question_cache:question_cache.json"] == 1
    assert per_type["question_cache:question_cache_backup.json"] == 5
    assert per_type["question_cache:kg_quizzing/question_cache.json"] == 1


def test_student_model_changed_to_another_student_moves_its_data(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    import_json(capsys, root)
    model = json.loads((root / "student_models/sam.json").read_text())
    write_json(root / "student_models/sam.json", {**model, "id": "rosie", "name": "Rosie Cotton"})
    import_json(capsys, root)
    with committed_db.connect() as conn:
        rows = {r.username: r for r in conn.execute(text(
            "SELECT u.username, u.name, p.metadata FROM users u JOIN user_profiles p ON p.user_id = u.id "
            "WHERE u.username IN ('sam', 'rosie')"))}
    assert rows["rosie"].name == "Rosie Cotton"
    assert list(rows["rosie"].metadata["models"]) == ["student_models/sam.json"]
    # Sam keeps the other root's copy, which is now his primary model.
    assert rows["sam"].metadata["primary"] == "kg_quizzing/scripts/student_models/sam.json"
    assert rows["sam"].name == "Samwise Gamgee"
