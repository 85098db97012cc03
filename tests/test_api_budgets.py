"""Statement budgets on the real (committing, autocommit) path, counted with before_cursor_execute.

Nothing is excluded from the counts. Single-statement calls must also run with the driver in
autocommit mode: then psycopg2 sends no BEGIN/COMMIT around the statement (those would not
show up as cursor executes, so that is checked separately).
"""

from __future__ import annotations

import json

import pytest
from factories import commit_user
from sqlalchemy import event, text


@pytest.fixture
def autocommit_seen(committed_db):
    """Records, per statement, whether the DBAPI connection was in autocommit mode."""
    seen: list[bool] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(cursor.connection.autocommit)

    event.listen(committed_db, "before_cursor_execute", listener)
    yield seen
    event.remove(committed_db, "before_cursor_execute", listener)


@pytest.fixture
def conversation(committed_api, committed_db):
    commit_user(committed_db, username="budget")
    return committed_api.create_conversation("budget", {}, {})


def add_messages(engine, conversation_id: str, count: int) -> None:
    """Bulk-load ``count`` messages (as the importer would) without going through the API."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO messages (conversation_id, position, role, content) "
                "SELECT :id, p, CASE WHEN p % 2 = 0 THEN 'user' ELSE 'assistant' END, 'message ' || p "
                "FROM generate_series(0, :n - 1) AS p"
            ),
            {"id": conversation_id, "n": count},
        )
        conn.execute(text("ANALYZE messages"))


def test_single_statement_calls(committed_api, conversation, count_statements, autocommit_seen):
    api = committed_api
    calls = {
        "add_message": lambda: api.add_message(conversation["id"], {"role": "user", "content": "hi"}),
        "set_cache": lambda: api.set_cache("question", "k", {"v": 1}, ttl_seconds=60),
        "get_cache": lambda: api.get_cache("question", "k"),
        "delete_cache": lambda: api.delete_cache("question", "k"),
        "end_conversation": lambda: api.end_conversation(conversation["id"]),
        "get_messages": lambda: api.get_messages(conversation["id"], limit=10),
        "create_conversation": lambda: api.create_conversation(
            "budget", {"metadata": {"a": 1}}, {"verbose": True}
        ),
        "list_conversations": lambda: api.list_conversations("budget", limit=10, after=conversation["id"]),
        "clear_cache": lambda: api.clear_cache("question"),
        "purge_expired_cache": api.purge_expired_cache,
        "cache_stats": api.cache_stats,
    }
    for name, call in calls.items():
        before = count_statements.count
        seen_before = len(autocommit_seen)
        result = call()
        assert result is not None, name
        assert count_statements.count - before == 1, (name, count_statements.statements[before:])
        assert autocommit_seen[seen_before:] == [True], name


def test_question_and_answer_are_one_statement_each(
    committed_api, conversation, count_statements, autocommit_seen
):
    asked = committed_api.add_message(conversation["id"], {"role": "assistant", "content": "Q?"})
    replied = committed_api.add_message(conversation["id"], {"role": "user", "content": "A"})
    before = count_statements.count
    question = committed_api.add_question(asked["id"], {"type": "short", "community_id": 3})
    assert count_statements.count - before == 1
    before = count_statements.count
    answer = committed_api.add_answer(replied["id"], {"question_id": question["id"], "correct": True})
    assert count_statements.count - before == 1
    assert answer["question_id"] == question["id"]
    assert autocommit_seen[-2:] == [True, True]
    before = count_statements.count
    assert committed_api.delete_conversation(conversation["id"]) is True
    assert count_statements.count - before == 1


def test_add_message_statement_is_what_the_comment_says(committed_api, conversation, count_statements):
    committed_api.add_message(conversation["id"], {"role": "user", "content": "x"})
    (statement,) = count_statements.statements[-1:]
    normalised = " ".join(statement.split()).upper()
    assert normalised.startswith(
        "WITH SLOT AS (UPDATE CONVERSATIONS SET NEXT_POSITION=(CONVERSATIONS.NEXT_POSITION + "
    )
    assert "INSERT INTO MESSAGES" in normalised and "RETURNING" in normalised
    assert "MAX(" not in normalised  # the catch-up probe is only for a taken position
    assert "'x'" not in statement  # values travel as bound parameters


def test_add_message_catches_up_once_after_rows_written_around_it(
    committed_api, committed_db, conversation, count_statements
):
    # Rows inserted without bumping next_position (not what the importer does: it sets it).
    with committed_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO messages (conversation_id, position, role, content) "
                "SELECT :id, p, 'user', 'direct' FROM generate_series(0, 2) AS p"
            ),
            {"id": conversation["id"]},
        )
    before = count_statements.count
    assert committed_api.add_message(conversation["id"], {"role": "user", "content": "a"})["position"] == 3
    assert count_statements.count - before == 2  # the taken slot, then the catch-up statement
    assert "MAX(" in " ".join(count_statements.statements[-1].split()).upper()
    before = count_statements.count
    assert committed_api.add_message(conversation["id"], {"role": "user", "content": "b"})["position"] == 4
    assert count_statements.count - before == 1  # caught up: next_position is past the rows again


def test_get_conversation_is_a_fixed_number_of_statements(committed_api, committed_db, count_statements):
    commit_user(committed_db, username="budget")
    counts = []
    for size in (0, 5, 200):
        conversation = committed_api.create_conversation("budget", {}, {})
        add_messages(committed_db, conversation["id"], size)
        if size:
            # Give some messages a question and an answer, so the joins have rows to find.
            messages = committed_api.get_messages(conversation["id"], limit=2)
            question = committed_api.add_question(messages[0]["id"], {"type": "t"})
            committed_api.add_answer(messages[1]["id"], {"question_id": question["id"]})
        before = count_statements.count
        got = committed_api.get_conversation(conversation["id"])
        counts.append(count_statements.count - before)
        assert len(got["messages"]) == size
        assert [m["position"] for m in got["messages"]] == list(range(size))
        if size:
            assert got["messages"][-2]["question"]["id"] == question["id"]
    assert counts == [2, 2, 2]


def _plan_nodes(plan: dict) -> list[dict]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(_plan_nodes(child))
    return nodes


def test_get_messages_reads_only_the_window(committed_api, committed_db, conversation, count_statements):
    add_messages(committed_db, conversation["id"], 10_000)
    other = committed_api.create_conversation("budget", {}, {})
    add_messages(committed_db, other["id"], 500)

    before = count_statements.count
    window = committed_api.get_messages(conversation["id"], limit=20)
    assert count_statements.count - before == 1
    assert [m["position"] for m in window] == list(range(9980, 10_000))
    assert window[-1]["content"] == "message 9999"

    # EXPLAIN ANALYZE the very statement get_messages sent, with its parameters.
    statement = count_statements.statements[-1]
    captured: list = []

    def grab(conn, cursor, stmt, parameters, context, executemany):
        captured.append(parameters)

    event.listen(committed_db, "before_cursor_execute", grab)
    try:
        committed_api.get_messages(conversation["id"], limit=20)
    finally:
        event.remove(committed_db, "before_cursor_execute", grab)
    with committed_db.connect() as conn:
        raw = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, captured[-1]).scalar_one()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    nodes = _plan_nodes(plan)
    scans = [n for n in nodes if n.get("Relation Name") == "messages"]
    assert len(scans) == 1, scans
    scan = scans[0]
    assert scan["Node Type"] in ("Index Scan", "Index Only Scan")
    assert scan["Index Name"] == "uq_messages_conversation_id_position"
    assert scan["Scan Direction"] == "Backward"
    assert scan["Actual Rows"] == 20  # stopped after the window, never read the other 9,980
    assert not [n for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")]
