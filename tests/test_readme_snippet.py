"""The documented snippet (issue 3, "The documented API works exactly as written"), run verbatim.

It runs on a really committing database: ``DatabaseAPI()`` with no arguments picks the test
database up from DATABASE_URL (set by the ``engine`` fixture). ``committed_db`` empties the
tables afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from factories import commit_user
from sqlalchemy import text

from database import DatabaseError

SNIPPET = """\
from database.api import DatabaseAPI

api = DatabaseAPI()
user = api.get_user("username")
conversation = api.create_conversation(
    "username",
    {"conversation_type": "chat"},
    {"parameter_type": "default"}
)
message = api.add_message(conversation["id"], {
    "role": "user",
    "content": "Hello, world!"
})
api.close()
"""

WITH_SNIPPET = """\
from database.api import DatabaseAPI

with DatabaseAPI() as api:
    user = api.get_user("username")
    conversation = api.create_conversation(
        "username",
        {"conversation_type": "chat"},
        {"parameter_type": "default"}
    )
    message = api.add_message(conversation["id"], {
        "role": "user",
        "content": "Hello, world!"
    })
"""


def check_results(namespace: dict, engine) -> None:
    user, conversation, message = namespace["user"], namespace["conversation"], namespace["message"]
    assert user["username"] == "username" and uuid.UUID(user["id"])
    assert conversation["user_id"] == user["id"] and conversation["conversation_type"] == "chat"
    assert conversation["parameters"]["parameter_type"] == "default"
    assert message["conversation_id"] == conversation["id"]
    assert message["role"] == "user" and message["content"] == "Hello, world!"
    assert datetime.fromisoformat(message["timestamp"]).utcoffset() is not None
    with engine.connect() as conn:  # really committed: visible from another connection
        stored = conn.execute(
            text(
                "SELECT m.content, m.position, c.conversation_type FROM messages m "
                "JOIN conversations c ON c.id = m.conversation_id WHERE m.id = :id"
            ),
            {"id": message["id"]},
        ).one()
    assert tuple(stored) == ("Hello, world!", message["position"], "chat")


def test_the_documented_snippet_runs_verbatim(committed_db):
    commit_user(committed_db, username="username")
    namespace: dict = {}
    exec(compile(SNIPPET, "<issue 3 snippet>", "exec"), namespace)  # noqa: S102 - the snippet, verbatim
    check_results(namespace, committed_db)
    assert namespace["message"]["position"] == 0
    with pytest.raises(DatabaseError, match="closed"):  # api.close() really closed it
        namespace["api"].get_user("username")


def test_the_with_form(committed_db):
    commit_user(committed_db, username="username")
    namespace: dict = {}
    exec(compile(WITH_SNIPPET, "<with snippet>", "exec"), namespace)  # noqa: S102 - the snippet, verbatim
    check_results(namespace, committed_db)
    with pytest.raises(DatabaseError, match="closed"):  # leaving the block closed it
        namespace["api"].add_message(namespace["conversation"]["id"], {"role": "user", "content": "late"})
