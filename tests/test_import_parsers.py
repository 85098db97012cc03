"""The legacy parsers on their own: classification, decoding, conversations, questions, records."""

from __future__ import annotations

import json

import pytest

from database.utils.legacy import (
    Rejected,
    classify,
    decode_json,
    derive,
    namespace,
    parse_cache,
    parse_conversation,
    parse_session,
    parse_student_model,
    split_options,
)
from database.utils.legacy.discovery import is_indexer_cache


@pytest.mark.parametrize(("relpath", "expected"), [
    ("conversation_history/bob/conversation_1_20250101_101010.json", ("conversation", None)),
    ("conversation_history/data/exports/x.json", ("conversation_export", None)),
    ("conversation_history/a/b/exports/c/x.json", ("conversation_export", None)),
    ("conversation_history/test_exports/x.json", ("conversation_export", None)),
    ("conversation_history/test_exports/x.csv", ("derived_export", None)),
    ("assessment_conversations/bob/x.txt", ("derived_export", None)),
    ("assessment_conversations/bob/assessment_0a1b.txt", ("stray_text", None)),
    ("assessment_0a1b.txt", ("stray_text", None)),
    ("notes.txt", ("unknown", None)),
    ("kg_quizzing/scripts/assessment_conversations/bob/x.json", ("conversation", None)),
    ("student_models/bob.json", ("student_model", None)),
    ("kg_quizzing/scripts/student_models/bob.json", ("student_model", None)),
    ("student_models/sessions/bob/session_20250101_101010.json", ("session_v1", "bob")),
    ("kg_quizzing/scripts/student_models/sessions/bob/session_20250101_101010.json", ("session_v1", "bob")),
    ("student_models/session_stats/test_user_x_20250101_101010.json", ("session_v2", "test_user_x")),
    ("student_models/sessions/bob/other.json", ("unknown", None)),
    ("question_cache/question_cache_backup.json", ("question_cache", None)),
    ("kg_quizzing/scripts/assessment_cache/assessment_cache.json", ("assessment_cache", None)),
    ("cache/1dad74597b200e6c5785cd292ed97629.json", ("query_cache", None)),
    ("kg_queries/scripts/cache/e8ff6533d25e289965ebc0f769bd930a.json", ("query_cache", None)),
    ("cache/readme.json", ("unknown", None)),
])
def test_classify(relpath, expected):
    assert classify(relpath) == expected


def test_indexer_cache_dirs():
    assert is_indexer_cache("cache/extract_graph/abc")
    assert is_indexer_cache("kg_queries/scripts/cache/text_embedding/x")
    assert not is_indexer_cache("cache/1dad74597b200e6c5785cd292ed97629.json")


def test_bom_and_crlf_are_fine():
    assert decode_json(b'\xef\xbb\xbf{\r\n  "a": "L\\u00f3"\r\n}\r\n') == {"a": "L\u00f3"}


def test_escaped_backslash_u0000_is_text_not_nul():
    assert decode_json(b'{"a": "\\\\u0000"}') == {"a": "\\u0000"}


@pytest.mark.parametrize(("text", "expected"), [
    ("Which?\n\n1. A\n2. B", ("Which?", ["A", "B"])),
    ("\n\n1. Bear\n2. Gandalf", ("", ["Bear", "Gandalf"])),
    ("No options here", ("No options here", None)),
    ("Steps:\n\n1. one\n3. three", ("Steps:\n\n1. one\n3. three", None)),
    ("Q\n\n1. ['Sam Gamgee', 'Sam']\n2. Dwarves", ("Q", ["['Sam Gamgee', 'Sam']", "Dwarves"])),
])
def test_split_options(text, expected):
    assert split_options(text) == expected


def _conversation(messages, metadata):  # noqa: ANN001
    return parse_conversation({
        "conversation_id": "c", "student_id": "s", "quiz_id": None, "metadata": metadata,
        "messages": [{"role": r, "content": c, "timestamp": 1.0, "timestamp_formatted": None, "metadata": m}
                     for r, c, m in messages],
        "start_time": 1.0, "start_time_formatted": None, "end_time": None, "end_time_formatted": None,
        "duration_seconds": None})


def test_answer_is_the_message_right_after_its_question():
    conv = _conversation([
        ("assistant", "Q1", {"is_question": True}),
        ("assistant", "Q2", {"is_question": True}),  # Q1 is unanswered: the next message is not a user's
        ("user", "A2", {"is_answer": True, "quality_score": 7}),
        ("user", "stray", {"is_answer": True}),
    ], {"strategy": "adaptive"})
    questions, answers = derive(conv.conversation_type, conv.messages)
    assert [q.position for q in questions] == [0, 1]
    assert [(a.position, a.question_position, a.quality_score) for a in answers] == [(2, 1, 7.0)]


def test_assessment_preamble_without_answer_is_not_a_question():
    conv = _conversation([("system", "Welcome", {}), ("system", "Q", {}), ("user", "A", {}),
                          ("assistant", "F", {"is_feedback": True})], {"mode": "assessment"})
    questions, answers = derive(conv.conversation_type, conv.messages)
    assert [q.position for q in questions] == [1] and answers[0].feedback == "F"


def test_conversation_type_comes_from_metadata_not_flags_when_present():
    chat = _conversation([("assistant", "Q", {"is_question": True})], {"mode": "chat"})
    assert chat.conversation_type == "chat"
    assert _conversation([], {"strategy": "adaptive"}).conversation_type == "quiz"
    assert _conversation([("assistant", "Q", {"is_question": True})], {}).conversation_type == "quiz"
    assert _conversation([], {}).conversation_type == "chat"


def test_session_records_both_formats():
    v1 = parse_session({"questions_asked": 2, "correct_answers": 1, "start_time": 10.5, "end_time": None,
                        "summary": {"accuracy": 50.0, "mastery_before": 1, "mastery_after": 2}},
                       "v1", "bob", "student_models/sessions/bob/session_20250101_101010.json")
    v2 = parse_session({"questions_asked": 2, "correct": 2, "start_time": 10.5, "summary": {"accuracy": 100}},
                       "v2", "bob", "student_models/session_stats/bob_20250101_101510.json")
    assert (v1.stem, v1.correct_answers, v1.mastery_before) == ("session_20250101_101010", 1, 1.0)
    assert (v2.correct_answers, v2.accuracy, v2.mastery_before) == (2, 100.0, None)
    assert v1.id != v2.id
    with pytest.raises(Rejected, match="wrong type for summary.accuracy"):
        parse_session({"start_time": 1.0, "summary": {"accuracy": "60%"}}, "v1", "bob", "x/session_1.json")


def test_student_model_id_comes_from_content():
    model = parse_student_model({"id": "rosie", "name": None})
    assert model.student_id == "rosie"
    with pytest.raises(Rejected, match="wrong type for community_mastery"):
        parse_student_model({"id": "rosie", "community_mastery": []})


def test_cache_namespaces_fit_and_do_not_collide():
    names = {namespace("question_cache", "question_cache/question_cache.json"),
             namespace("question_cache", "kg_quizzing/scripts/question_cache/question_cache.json"),
             namespace("question_cache", "question_cache/question_cache_backup.json"),
             namespace("question_cache", "question_cache/" + "x" * 100 + ".json"),
             namespace("question_cache", "question_cache/" + "y" * 100 + ".json")}
    assert len(names) == 5 and max(map(len, names)) <= 64
    cache = parse_cache(json.loads('{"a_b": [true, 5, {}]}'), "assessment_cache", "assessment_cache/assessment_cache.json")
    assert cache.entries == [("a_b", [True, 5, {}])] and cache.whole_namespace
