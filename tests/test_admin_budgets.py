"""Speed by design: fixed statement counts, index-served pages, the GIN index behind --search."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from contextlib import redirect_stdout

import pytest
from admin_helpers import Explain, counting, plan_nodes
from admin_seeds import seed_basic, seed_many
from sqlalchemy import Connection, text

from database import connection as db_connection
from database.admin import main
from database.repositories import admin_queries as q

BIG = 100_000


def statements(argv: list[str]) -> list[str]:
    """The statements one command sends through the engine it uses (the process engine)."""
    engine = db_connection.get_engine()
    with counting(engine) as seen, redirect_stdout(io.StringIO()):
        assert main(argv) == 0
    return seen


def test_statement_counts_do_not_grow_with_rows(committed_db):
    ids = seed_basic(committed_db)
    commands = {
        "list-users": (["list-users"], 1),
        "list-sessions": (["list-sessions"], 1),
        "list-sessions --user": (["list-sessions", "--user", "alice"], 2),  # + the username lookup
        "list-conversations": (["list-conversations", "--search", "quiz or lothlórien"], 1),
        "list-messages": (["list-messages", str(ids["quiz"])], 1),
        "list-questions": (["list-questions", "--user", "alice"], 2),
        "list-answers": (["list-answers", "--correct"], 1),
        "list-cache": (["list-cache", "--type", "question"], 1),
        "show-user": (["show-user", "alice"], 1),
        "show-conversation": (["show-conversation", str(ids["quiz"])], 2),  # header + transcript
    }
    statements(["list-users"])  # first use of the engine: connection setup is not the command's
    few = {name: len(statements(argv)) for name, (argv, _) in commands.items()}
    many = seed_many(committed_db, n=60)
    commands["list-messages"] = (["list-messages", str(many["long"])], 1)
    more = {name: len(statements(argv)) for name, (argv, _) in commands.items()}
    assert few == more == {name: budget for name, (_, budget) in commands.items()}


def test_next_pages_cost_the_same(committed_db):
    seed_many(committed_db)
    first = statements(["list-sessions", "--limit", "5", "--json"])
    out = io.StringIO()
    with redirect_stdout(out):
        main(["list-sessions", "--limit", "5", "--json"])
    last = json.loads(out.getvalue())[-1]["id"]
    assert len(first) == len(statements(["list-sessions", "--limit", "5", "--after", last])) == 1


@pytest.fixture(scope="module")
def big(engine) -> Iterator[tuple[Connection, uuid.UUID]]:
    """A conversation with 100,000 messages (one INSERT ... SELECT generate_series), built once for
    the module in a transaction that is rolled back at the end; each test runs in a savepoint."""
    conn = engine.connect()
    outer = conn.begin()
    user_id = conn.execute(text("INSERT INTO users (username) VALUES ('big') RETURNING id")).scalar_one()
    conversation_id = conn.execute(
        text("INSERT INTO conversations (user_id, next_position) VALUES (:u, :n) RETURNING id"),
        {"u": user_id, "n": BIG},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO messages (conversation_id, position, role, content) "
            "SELECT :c, g, CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END, "
            "'message about topic ' || (g % 500) || CASE WHEN g = 77777 THEN ' needle' ELSE '' END "
            "FROM generate_series(0, :last) AS g"
        ),
        {"c": conversation_id, "last": BIG - 1},
    )
    conn.execute(text("ANALYZE messages, conversations"))
    try:
        yield conn, conversation_id
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def big_conversation(big) -> Iterator[uuid.UUID]:
    conn, conversation_id = big
    savepoint = conn.begin_nested()  # SET LOCAL inside a test is undone with it
    try:
        yield conversation_id
    finally:
        savepoint.rollback()


@pytest.fixture
def big_connection(big) -> Connection:
    return big[0]


def _nodes(connection: Connection, stmt, analyze: bool = True) -> list[dict]:
    return plan_nodes(connection.execute(Explain(stmt, analyze=analyze)).scalar_one())


@pytest.mark.parametrize("after", [None, 99_000])
def test_a_page_of_a_100k_message_conversation_reads_only_that_page(big_connection, big_conversation, after):
    connection = big_connection
    nodes = _nodes(connection, q.messages_query(big_conversation, q.Window(limit=50, after=after)))
    assert nodes[0]["Node Type"] == "Limit"
    assert not [n for n in nodes if "Sort" in n["Node Type"]], "the page must come in index order, not sorted"
    scans = [n for n in nodes if n.get("Relation Name") == "messages"]
    assert len(scans) == 1
    scan = scans[0]
    assert scan["Node Type"] in ("Index Scan", "Index Only Scan")
    assert scan["Index Name"] == "uq_messages_conversation_id_position"
    assert scan["Actual Rows"] == 51  # limit + 1, of 100,000
    rows = q.page(connection, q.messages_query(big_conversation, q.Window(limit=50, after=after)))
    start = 0 if after is None else after + 1
    assert [r["position"] for r in rows] == list(range(start, start + 51))


def test_search_uses_the_full_text_index(big_connection, big_conversation):
    connection = big_connection
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    for stmt in (
        q.conversations_query(q.Window(limit=50), search="needle"),
        q.messages_query(big_conversation, q.Window(limit=50), search="needle"),
    ):
        nodes = _nodes(connection, stmt)
        gin = [n for n in nodes if n.get("Index Name") == "ix_messages_content_fts"]
        assert gin and gin[0]["Node Type"] == "Bitmap Index Scan"
    found = q.page(connection, q.messages_query(big_conversation, q.Window(limit=50), search="needle"))
    assert [r["position"] for r in found] == [77777]
    conversations = q.page(connection, q.conversations_query(q.Window(limit=50), search="NEEDLE"))
    assert [r["id"] for r in conversations] == [big_conversation] and conversations[0]["messages"] == BIG


def _anchor() -> uuid.UUID:
    return uuid.uuid4()


LISTS = {
    "users": (lambda: q.users_query(q.Window(limit=50, after="m")), "users", "uq_users_username"),
    "sessions": (
        lambda: q.sessions_query(q.Window(limit=50, after=_anchor())),
        "user_sessions",
        "ix_user_sessions_start_time_id",
    ),
    "conversations": (
        lambda: q.conversations_query(q.Window(limit=50, after=_anchor())),
        "conversations",
        "ix_conversations_start_time_id",
    ),
    "questions": (
        lambda: q.questions_query(q.Window(limit=50, after=_anchor())),
        "questions",
        "ix_questions_created_at_id",
    ),
    "answers": (
        lambda: q.answers_query(q.Window(limit=50, after=_anchor())),
        "answers",
        "ix_answers_created_at_id",
    ),
    "cache": (
        lambda: q.cache_query(q.Window(limit=50, after=_anchor())),
        "cache_entries",
        "uq_cache_entries_cache_type_key",
    ),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_list_page_is_an_index_range_without_a_sort(connection, name):
    """With sequential scans and sorts priced out, the planner still finds a plan without either:
    the page is an index scan in the list's order (the keyset condition is an index condition)."""
    build, table, index = LISTS[name]
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    connection.execute(text("SET LOCAL enable_sort = off"))
    nodes = _nodes(connection, build(), analyze=False)
    assert not [n for n in nodes if "Sort" in n["Node Type"] or n["Node Type"] == "Seq Scan"]
    main_scan = [
        n for n in nodes if n.get("Index Name") == index and "Subplan Name" not in n
    ]  # not the anchor
    assert main_scan and main_scan[0]["Node Type"] == "Index Scan"
    if name != "users":
        assert "ROW(" in main_scan[0]["Index Cond"]  # the keyset bound is used by the index
