"""The whole fixture tree imported: every row where it belongs, every file in the ledger."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text

from tests.import_helpers import FIXTURES, copy_app, counts, import_json, ledger, snapshot

SAM = "5d7e1c2a-0c1e-4d8e-9a3b-2f6b8c9d0e1f"
TEST_STUDENT = "e1b601f5-5f22-4624-ac63-385bdea879b0"
TEST_USER_QUIZ = "6c220a97-f4d6-4eea-bda8-aabcfdedd83c"
API_TEST = "2b4474b5-446f-47f6-9788-fc0a0f1234c2"
ASSESSMENT_2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
TRUNCATED = "cache/1dad74597b200e6c5785cd292ed97629.json"


@pytest.fixture
def imported(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    code, summary = import_json(capsys, root)
    return committed_db, root, code, summary


def test_summary_counts_every_file_and_row(imported):
    engine, _, code, summary = imported
    assert code == 3  # the truncated query-cache file
    assert summary["files"] == {"imported": 22, "duplicate": 3, "derived": 5, "rejected": 1, "unchanged": 0}
    assert summary["rows"] == {"answers": 17, "cache_entries": 19, "conversations": 9, "messages": 55,
                               "questions": 19, "user_profiles": 6, "user_sessions": 3, "users": 6}
    assert summary["rejected"] == [{"path": TRUNCATED, "kind": "query_cache",
                                    "reason": "truncated JSON: Expecting value at line 101 column 21"}]
    table_counts = counts(engine)
    assert {t: table_counts[t] for t in summary["rows"]} == summary["rows"]
    assert table_counts["import_files"] == 31


def test_ledger_records_every_file_but_never_the_indexer_cache(imported):
    engine, root, _, _ = imported
    rows = ledger(engine)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    indexer = {p for p in on_disk if p.startswith(("cache/extract_graph/", "cache/community_reporting/",
                                                   "kg_queries/scripts/cache/text_embedding/"))}
    assert len(indexer) == 3
    assert set(rows) == on_disk - indexer
    for path, row in rows.items():
        data = (root / path).read_bytes()
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
        assert row["size_bytes"] == len(data)
    results = {path: row["result"] for path, row in rows.items()}
    assert results["assessment_fd6abc21-008e-4d7a-8fb2-2fe59490209b.txt"] == "derived"
    assert rows["conversation_history/test_exports/"
                "conversation_2b4474b5-446f-47f6-9788-fc0a0f1234c2_20250602_180000.csv"]["kind"] == "derived_export"
    assert rows[TRUNCATED]["result"] == "rejected"
    conv = rows["kg_quizzing/scripts/conversation_history/sam/conversation_5d7e1c2a-0c1e-4d8e-9a3b-2f6b8c9d0e1f_"
                "20250105_130000.json"]
    assert (conv["kind"], conv["result"], str(conv["conversation_id"])) == ("conversation", "imported", SAM)
    assert conv["counts"] == {"conversations": 1, "messages": 8, "questions": 3, "answers": 2}


def test_copies_are_duplicates_recorded_on_one_conversation(imported):
    engine, _, _, _ = imported
    rows = ledger(engine)
    primary = f"conversation_history/data/api_test_student/conversation_{API_TEST}_20250602_174036.json"
    copies = [f"conversation_history/data/exports/conversation_{API_TEST}_20250602_174048.json",
              f"conversation_history/test_exports/conversation_{API_TEST}_20250602_180000.json"]
    assert (FIXTURES / copies[1]).read_bytes().startswith(b"\xef\xbb\xbf{\r\n")  # BOM + CRLF copy
    for path in copies:
        assert rows[path]["result"] == "duplicate"
        assert rows[path]["kind"] == "conversation_export"
        assert rows[path]["reason"] == f"same conversation as {primary}"
        assert str(rows[path]["conversation_id"]) == API_TEST
    with engine.connect() as conn:
        paths = conn.execute(text("SELECT legacy->'source_paths' FROM conversations WHERE id = :id"),
                             {"id": API_TEST}).scalar_one()
        assert paths == [primary, *copies]
        assert conn.execute(text("SELECT count(*) FROM messages WHERE conversation_id = :id"),
                            {"id": API_TEST}).scalar_one() == 3


def test_users_and_profiles(imported):
    engine, _, _, _ = imported
    with engine.connect() as conn:
        users = dict(conn.execute(text("SELECT username, name FROM users")).all())
        assert users == {"test_user": "Frodo", "sam": "Samwise Gamgee", "test_student": None, "frodo": None,
                         "anonymous": None, "api_test_student": None}
        assert conn.execute(text("SELECT count(*) FROM users WHERE password_hash IS NOT NULL")).scalar_one() == 0
        sam = conn.execute(text("SELECT p.* FROM user_profiles p JOIN users u ON u.id = p.user_id "
                                "WHERE u.username = 'sam'")).mappings().one()
        model = json.loads((FIXTURES / "student_models/sam.json").read_text())
        for field in ("community_mastery", "entity_familiarity", "question_type_performance",
                      "difficulty_performance", "recent_questions", "mastered_objectives", "current_objective"):
            assert sam[field] == model[field]
        assert sam["overall_mastery"] == 55.0
        assert sam["metadata"]["primary"] == "student_models/sam.json"
        assert set(sam["metadata"]["models"]) == {"student_models/sam.json", "kg_quizzing/scripts/student_models/sam.json"}
        frodo = conn.execute(text("SELECT p.* FROM user_profiles p JOIN users u ON u.id = p.user_id "
                                  "WHERE u.username = 'test_user'")).mappings().one()
        # Both models kept; the app's own root wins over kg_quizzing/scripts for the columns.
        assert frodo["overall_mastery"] == 52.0
        assert frodo["metadata"]["models"]["kg_quizzing/scripts/student_models/test_user.json"]["overall_mastery"] == 61.5
        empty = conn.execute(text("SELECT p.community_mastery, p.recent_questions, p.overall_mastery FROM user_profiles p "
                                  "JOIN users u ON u.id = p.user_id WHERE u.username = 'anonymous'")).one()
        assert tuple(empty) == ({}, [], None)
    rows = ledger(engine)
    assert rows["kg_quizzing/scripts/student_models/sam.json"]["result"] == "duplicate"
    assert rows["kg_quizzing/scripts/student_models/test_user.json"]["result"] == "imported"


def test_sessions_link_to_their_conversations(imported):
    engine, _, _, _ = imported
    with engine.connect() as conn:
        links = dict(conn.execute(text(
            "SELECT c.id::text, s.legacy->>'format' || ':' || (s.legacy->>'stem') FROM conversations c "
            "LEFT JOIN user_sessions s ON s.id = c.session_id")).all())
        assert links[TEST_USER_QUIZ] == "v1:session_20250602_181747"  # metadata.session_id == file stem
        assert links[TEST_STUDENT] == "v2:test_student_20250604_082258"  # same student, same start_time
        assert links[SAM] == "v1:session_20250105_120000"
        assert {cid for cid, link in links.items() if link is not None} == {TEST_USER_QUIZ, TEST_STUDENT, SAM}
        session = conn.execute(text("SELECT * FROM user_sessions WHERE legacy->>'stem' = 'session_20250602_181747'"))\
            .mappings().one()
        assert (session["questions_asked"], session["correct_answers"], session["accuracy"]) == (5, 3, 60.0)
        assert (session["mastery_before"], session["mastery_after"]) == (52.0, 52.0)
        assert session["start_time"].timestamp() == pytest.approx(1748884667.84506, abs=1e-6)
        record = json.loads((FIXTURES / "student_models/sessions/test_user/session_20250602_181747.json").read_text())
        assert session["legacy"]["record"] == record
        v2 = conn.execute(text("SELECT correct_answers, accuracy, mastery_before, mastery_after FROM user_sessions "
                               "WHERE legacy->>'format' = 'v2'")).one()
        assert tuple(v2) == (4, 66.66666666666666, None, 68.0)


def _qa(conn, conversation_id):  # noqa: ANN001
    return conn.execute(text(
        "SELECT m.position, q.text, q.question_type, q.difficulty, q.entity, q.tier, q.community_id, q.options, "
        "q.correct_answer, q.metadata, am.position AS answered_at, a.content, a.correct, a.quality_score, a.feedback "
        "FROM questions q JOIN messages m ON m.id = q.message_id LEFT JOIN answers a ON a.question_id = q.id "
        "LEFT JOIN messages am ON am.id = a.message_id WHERE m.conversation_id = :id ORDER BY m.position"),
        {"id": conversation_id}).mappings().all()


def test_questions_are_enriched_from_the_linked_v1_record(imported):
    engine, _, _, _ = imported
    with engine.connect() as conn:
        first, second, third = _qa(conn, SAM)
    # Empty question text (content is only the options): the text comes from question_history.
    assert first["position"] == 1 and first["text"] == "Which blade did Bilbo give Frodo?"
    assert (first["entity"], first["tier"], first["correct_answer"]) == ("Sting", "basic", "Sting")
    assert first["options"] == ["Sting", "Glamdring", "And\u00faril", "Orcrist"]
    assert (first["question_type"], first["difficulty"], first["community_id"]) == ("multiple_choice", 2, "42")
    assert first["metadata"]["question_id"] == "q-sam-1"
    assert first["metadata"]["session_question"]["template_id"] == "multiple_choice_1"
    assert (first["answered_at"], first["content"], first["correct"], first["quality_score"]) == (2, "Sting", True, 90.0)
    assert first["feedback"] == "Well done, Master Samwise."  # the is_feedback message that follows
    # Message text kept (options stripped from it); list options and list entity from the record.
    assert second["text"] == "Name the hobbits of the Fellowship."
    assert second["options"] == [["Frodo", "Sam"], "Merry"]
    assert second["entity"] == ["Frodo Baggins", "Frodo"]
    assert second["correct_answer"] == ["Frodo", "Sam", "Merry", "Pippin"]
    # quality_score held a dict: it is the feedback; the numeric score comes from the record.
    assert second["feedback"]["message"] == "Splendid!"
    assert second["quality_score"] == 1.0 and second["correct"] is True
    assert second["content"] == "Frodo\nSam, Merry, Pippin"  # list content joined for the column
    # The last question was never answered.
    assert third["position"] == 6 and third["answered_at"] is None and third["correct_answer"] == "Rhudaur"


def test_v2_record_fills_empty_text_scores_and_feedback(imported):
    engine, _, _, _ = imported
    with engine.connect() as conn:
        rows = _qa(conn, TEST_STUDENT)
        assert conn.execute(text("SELECT count(*) FROM answers WHERE quality_score IS NOT NULL AND "
                                 "jsonb_typeof(to_jsonb(quality_score)) <> 'number'")).scalar_one() == 0
    assert [r["position"] for r in rows] == [0, 2, 4, 6, 8, 10]
    assert [r["answered_at"] for r in rows] == [1, 3, 5, 7, 9, None]
    assert rows[2]["text"] is None  # empty in the message and in the record
    assert rows[2]["options"] == ["Samwise", "Faramir", "Gandalf", "Bear"] and rows[2]["correct_answer"] == "Bear"
    assert [r["quality_score"] for r in rows[:5]] == [0.0, 1.0, 1.0, 1.0, 1.0]
    assert rows[0]["feedback"]["weaknesses"][0] == "The answer does not address the question asked."
    assert rows[0]["tier"] == "basic" and rows[0]["entity"] == "Fellowship of the Ring"


def test_assessment_triples_and_chat(imported):
    engine, _, _, _ = imported
    with engine.connect() as conn:
        rows = _qa(conn, ASSESSMENT_2)
        types = dict(conn.execute(text("SELECT id::text, conversation_type FROM conversations")).all())
        chat_meta = conn.execute(text("SELECT metadata FROM messages WHERE conversation_id = "
                                      "'0578fcf6-bbb2-461a-8348-eb23984552b2' ORDER BY position")).scalars().all()
        chat_questions = conn.execute(text("SELECT count(*) FROM questions q JOIN messages m ON m.id = q.message_id "
                                           "WHERE m.conversation_id = '0578fcf6-bbb2-461a-8348-eb23984552b2'")).scalar_one()
    assert [(r["position"], r["text"], r["answered_at"], r["content"], r["correct"]) for r in rows] == [
        (0, "Who forged the One Ring?", 1, "Sauron", None), (3, "Where is Lothl\u00f3rien?", 4, "", None)]
    assert rows[0]["feedback"] == "\n\nIndeed, in the fires of Orodruin."
    assert types[ASSESSMENT_2] == "assessment"
    assert types["0578fcf6-bbb2-461a-8348-eb23984552b2"] == "chat"  # lives under assessment_conversations/
    assert types[TEST_USER_QUIZ] == "quiz"
    assert types["a1b2c3d4-0000-4000-8000-00000000abcd"] == "chat"  # no mode, no strategy, no question flags
    assert chat_questions == 0
    assert chat_meta[0]["user_agent"].startswith("Expo/") and chat_meta[0]["client_host"] == "192.168.0.124"


def test_messages_are_byte_exact_in_array_order_with_epoch_times(imported):
    engine, _, _, _ = imported
    raw = json.loads((FIXTURES / f"conversation_history/test_user/conversation_{TEST_USER_QUIZ}_20250602_181747.json")
                     .read_text())
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT position, role, content, sent_at, metadata, legacy FROM messages "
                                 "WHERE conversation_id = :id ORDER BY position"), {"id": TEST_USER_QUIZ}).all()
    assert [r.position for r in rows] == list(range(len(raw["messages"])))
    for row, message in zip(rows, raw["messages"]):
        assert (row.role, row.content, row.metadata) == (message["role"], message["content"], message["metadata"])
        assert row.legacy["timestamp"] == message["timestamp"]  # exact float, not the formatted local time
        assert abs(row.sent_at.timestamp() - message["timestamp"]) < 1e-6
    # Three welcome messages share one timestamp: order is the array order.
    assert rows[0].sent_at == rows[1].sent_at == rows[2].sent_at and rows[0].content.startswith("Welcome")


def test_every_imported_conversation_leaves_next_position_past_its_last_message(imported):
    # add_message relies on it: one statement, no catch-up probe, for imported conversations too.
    engine, _, _, _ = imported
    with engine.connect() as conn:
        behind = conn.execute(text(
            "SELECT c.id FROM conversations c JOIN messages m ON m.conversation_id = c.id "
            "GROUP BY c.id HAVING c.next_position <> max(m.position) + 1")).all()
        imported_count = conn.execute(text("SELECT count(DISTINCT conversation_id) FROM messages")).scalar_one()
    assert imported_count == 8 and behind == []  # 9 conversations, one without messages


def test_caches_are_namespaced_by_source_so_colliding_keys_are_all_kept(imported):
    engine, _, _, _ = imported
    with engine.connect() as conn:
        per_type = dict(conn.execute(text("SELECT cache_type, count(*) FROM cache_entries GROUP BY 1")).all())
        frodo = dict(conn.execute(text("SELECT cache_type, value->>'question' FROM cache_entries "
                                       "WHERE key = 'multiple_choice_Frodo Baggins_3'")).all())
        verdicts = dict(conn.execute(text("SELECT cache_type, value FROM cache_entries "
                                          "WHERE key = '6086466343669898344_6880632098767905873'")).all())
        query = conn.execute(text("SELECT value FROM cache_entries WHERE cache_type = 'query_cache:cache'")).scalar_one()
    assert per_type == {"question_cache:question_cache_backup.json": 5, "question_cache:question_cache.json": 2,
                        "question_cache:kg_quizzing/question_cache.json": 1,
                        "assessment_cache:assessment_cache.json": 2,
                        "assessment_cache:kg_quizzing/assessment_cache.json": 7,
                        "query_cache:cache": 1, "query_cache:kg_queries/cache": 1}
    assert frodo == {"question_cache:question_cache_backup.json": "Who is the bearer of the One Ring?",
                     "question_cache:question_cache.json": "Who carried the Ring to Mount Doom?",
                     "question_cache:kg_quizzing/question_cache.json": "Whose heir was Frodo?"}
    assert verdicts["assessment_cache:assessment_cache.json"][:2] == [True, 100]
    assert verdicts["assessment_cache:kg_quizzing/assessment_cache.json"][:2] == [False, 20]
    assert query["execution_time"] == 2.1e-05 and query["query"] == "Tell me about Rivendell"


def test_second_run_adds_nothing_and_leaves_the_ledger_as_it_was(imported, capsys):
    engine, root, _, _ = imported
    before_rows, before_ledger, before_snapshot = counts(engine), ledger(engine), snapshot(engine)
    code, summary = import_json(capsys, root)
    assert code == 3  # the truncated file is still bad, and still reported
    assert summary["files"] == {"imported": 0, "duplicate": 0, "derived": 0, "rejected": 1, "unchanged": 30}
    assert summary["rows"] == {}
    assert counts(engine) == before_rows
    assert ledger(engine) == before_ledger  # recorded_at included: not even touched
    assert snapshot(engine) == before_snapshot


def test_dry_run_writes_nothing_and_reports_what_a_real_run_does(committed_db, capsys, tmp_path):
    root = copy_app(tmp_path)
    code, dry = import_json(capsys, root, "--dry-run")
    assert code == 3 and dry["dry_run"] is True
    assert set(counts(committed_db).values()) == {0}
    code, real = import_json(capsys, root)
    for key in ("files", "files_by_kind", "rows", "rejected", "exit_code"):
        assert dry[key] == real[key], key
    # A dry run over an imported tree changes nothing either, and says so.
    before = snapshot(committed_db)
    code, again = import_json(capsys, root, "--dry-run")
    assert again["files"]["unchanged"] == 30 and snapshot(committed_db) == before


def _many_conversations(root, count):  # noqa: ANN001
    from tests.import_helpers import write_json

    for n in range(count):
        write_json(root / f"conversation_history/s{n % 3}/conversation_{n}_20250101_000000.json", {
            "conversation_id": f"budget-{n}", "student_id": f"s{n % 3}", "quiz_id": None,
            "metadata": {"strategy": "adaptive", "session_id": None},
            "messages": [{"role": "assistant", "content": "Q?", "timestamp": 1.0e9 + n, "timestamp_formatted": "x",
                          "metadata": {"is_question": True}},
                         {"role": "user", "content": "A", "timestamp": 1.0e9 + n, "timestamp_formatted": "x",
                          "metadata": {"is_answer": True, "quality_score": 3}}],
            "start_time": 1.0e9 + n, "start_time_formatted": "x", "end_time": None, "end_time_formatted": None,
            "duration_seconds": None})


def test_statements_per_batch_do_not_grow_with_the_number_of_files(committed_db, tmp_path):
    """One round trip per table per batch, never per file or per row (COPY included)."""
    from sqlalchemy import event

    from database.connection import dispose_engine, get_engine
    from database.repositories import bulk_copy
    from database.utils.import_data import run_import

    statements = []
    real_copy = bulk_copy._copy

    def counting_copy(conn, table, columns, lines):  # noqa: ANN001
        statements.append(f"COPY {table}")
        real_copy(conn, table, columns, lines)

    def run(count: int) -> int:
        root = tmp_path / f"tree{count}"
        _many_conversations(root, count)
        with committed_db.begin() as conn:
            conn.execute(text("TRUNCATE users, cache_entries, import_files CASCADE"))
        dispose_engine()
        engine = get_engine()
        statements.clear()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        bulk_copy._copy = counting_copy
        try:
            summary = run_import([], root, batch_size=1000)
        finally:
            bulk_copy._copy = real_copy
            event.remove(engine, "before_cursor_execute", listener)
        assert summary.files["imported"] == count and summary.rows["messages"] == 2 * count
        return len(statements)

    assert run(5) == run(60) <= 20
