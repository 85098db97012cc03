"""The hot statements' execution path (database/repositories/compiled.py).

Run on the connection's cursor through ``Connection._cursor_execute``, they must give plain
results (ids as str, times as ISO strings), show every statement to ``before_cursor_execute``
listeners, honour echo's hide_parameters, and turn failures into the package's errors.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import pytest
from factories import commit_user
from sqlalchemy import text

from database import AlreadyExistsError, NotFoundError, ValidationError
from database.api import DatabaseAPI
from database.config import load_settings
from database.connection import make_engine

UUID_KEYS = {"id", "user_id", "session_id", "conversation_id", "message_id", "question_id"}
TIME_KEYS = {"timestamp", "created_at", "last_accessed", "expires_at", "start_time", "end_time"}


def _check_plain(value: Any, path: str = "$") -> None:
    """Ids are str, times are ISO-8601 str with an offset, and all of it is JSON."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in UUID_KEYS and item is not None:
                assert isinstance(item, str) and len(item) == 36, f"{path}.{key} = {item!r}"
            if key in TIME_KEYS and item is not None:
                assert isinstance(item, str) and datetime.fromisoformat(item).utcoffset() is not None, path
            _check_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain(item, f"{path}[{index}]")


def _hot_calls(api: DatabaseAPI, username: str) -> dict[str, Any]:
    conversation = api.create_conversation(username, {"conversation_type": "quiz"}, {"max_tokens": 9})
    first = api.add_message(conversation["id"], {"role": "assistant", "content": "Who is Sméagol?"})
    api.add_question(first["id"], {"type": "open", "text": "Who is Sméagol?", "correct_answer": "Gollum"})
    reply = api.add_message(conversation["id"], {"role": "user", "content": "Gollum", "metadata": {"a": [1]}})
    api.add_answer(reply["id"], {"content": "Gollum", "correct": True, "quality_score": 0.9})
    return {
        "add_message": reply,
        "set_cache": api.set_cache("question", f"{username}-k", {"v": [1, "two", None]}, ttl_seconds=60),
        "get_cache": api.get_cache("question", f"{username}-k"),
        "get_conversation": api.get_conversation(conversation["id"]),
        "get_messages": api.get_messages(conversation["id"], limit=1),
        "missing": (api.get_conversation("00000000-0000-4000-8000-000000000000"), api.get_cache("q", "none")),
    }


def test_hot_calls_return_plain_json_with_str_ids(committed_api, committed_db) -> None:
    commit_user(committed_db, username="compiled")
    results = _hot_calls(committed_api, "compiled")
    _check_plain(results)
    json.dumps(results)
    conversation = results["get_conversation"]
    assert [m["content"] for m in conversation["messages"]] == ["Who is Sméagol?", "Gollum"]
    assert conversation["messages"][0]["question"]["correct_answer"] == "Gollum"
    assert conversation["messages"][1]["answer"]["quality_score"] == 0.9
    assert conversation["username"] == "compiled" and conversation["parameters"]["max_tokens"] == 9
    assert results["get_messages"] == conversation["messages"][1:]
    assert results["add_message"]["metadata"] == {"a": [1]} and results["add_message"]["position"] == 1
    assert results["get_cache"]["value"] == {"v": [1, "two", None]}
    assert results["get_cache"]["access_count"] == 1
    assert results["missing"] == (None, None)


def test_every_statement_reaches_cursor_listeners(committed_api, committed_db, count_statements) -> None:
    commit_user(committed_db, username="counted")
    conversation = committed_api.create_conversation("counted", {}, {})
    for call, expected in (
        (lambda: committed_api.add_message(conversation["id"], {"role": "user", "content": "x"}), 1),
        (lambda: committed_api.set_cache("c", "k", 1), 1),
        (lambda: committed_api.get_cache("c", "k"), 1),
        (lambda: committed_api.get_messages(conversation["id"], limit=5), 1),
        (lambda: committed_api.get_conversation(conversation["id"]), 2),
    ):
        before = count_statements.count
        call()
        assert count_statements.count - before == expected


def test_failures_become_the_packages_errors(committed_api, committed_db) -> None:
    commit_user(committed_db, username="errors")
    with pytest.raises(NotFoundError):
        committed_api.add_message("00000000-0000-4000-8000-000000000000", {"role": "user", "content": "x"})
    with pytest.raises(ValidationError):
        committed_api.set_cache("c", "k", {"text": "\ud800"})  # the server rejects the escape
    conversation = committed_api.create_conversation("errors", {}, {})
    with committed_db.begin() as conn:  # a row around the API: the first append meets it
        conn.execute(
            text(
                "INSERT INTO messages (conversation_id, position, role, content) "
                "VALUES (:c, 0, 'user', 'x')"
            ),
            {"c": conversation["id"]},
        )
    assert committed_api.add_message(conversation["id"], {"role": "user", "content": "y"})["position"] == 1
    with committed_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cache_entries")).scalar_one() == 0


def test_echo_logs_statements_but_hides_parameters(engine, caplog) -> None:
    settings = load_settings(env_file=None)
    loud = make_engine(settings, echo=True)
    api = DatabaseAPI(loud, settings=settings)
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            api.set_cache("compiled-echo", "secret-key-value", {"token": "secret-json-value"})
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert "INSERT INTO cache_entries" in logged
        assert "secret-key-value" not in logged and "secret-json-value" not in logged
    finally:
        api.close()
        loud.dispose()
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM cache_entries WHERE cache_type = 'compiled-echo'"))


def test_a_duplicate_is_already_exists_naming_its_constraint(committed_api, committed_db) -> None:
    commit_user(committed_db, username="dup")
    with pytest.raises(AlreadyExistsError) as caught:
        committed_api.create_user("dup")
    assert caught.value.constraint == "uq_users_username"
