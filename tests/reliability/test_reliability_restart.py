"""A PostgreSQL restart while a DatabaseAPI is in use: the next calls succeed, committed data is intact.

Each test starts its OWN embedded server (not the suite's), so it can stop and start it. The
API's pool holds connections to the old server process when it goes away; with pool_pre_ping
(the package default) the dead ones are replaced before use, so no error should reach the
caller. The issue allows one DatabaseUnavailableError; the optimistic variant (no pre-ping)
shows that SQLAlchemy's pool-wide invalidation keeps that promise too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from server_helpers import private_server

from database import DatabaseUnavailableError
from database.api import DatabaseAPI
from database.config import Settings
from database.connection import make_engine
from database.server import EmbeddedServer

pytestmark = pytest.mark.reliability

PASSWORD = "restart-password-1"


@pytest.fixture(scope="module")
def own_server() -> Iterator[tuple[EmbeddedServer, Settings]]:
    """A private embedded PostgreSQL, migrated to head; removed afterwards."""
    with private_server("restart", "restart:p@ss/w%rd") as started:
        yield started


def _write_state(api: DatabaseAPI, tag: str) -> dict[str, Any]:
    """Committed data of every kind, and what it should read back as."""
    user = api.create_user(f"restart {tag}", password=PASSWORD)
    quiz = api.create_session(user["username"], {"strategy": "adaptive"})
    conversation = api.create_conversation(user["username"], {"session_id": quiz["id"]}, {"max_tokens": 300})
    messages = [
        api.add_message(
            conversation["id"], {"role": "user" if i % 2 else "assistant", "content": f"line {i} ✓"}
        )
        for i in range(6)
    ]
    api.set_cache("restart", tag, {"answer": tag, "n": [1, 2, 3]})
    return {"user": user, "session": quiz, "conversation": conversation, "messages": messages, "tag": tag}


def _check_state(api: DatabaseAPI, state: dict[str, Any]) -> None:
    username = state["user"]["username"]
    assert api.get_user(username)["id"] == state["user"]["id"]
    assert api.authenticate(username, PASSWORD)["id"] == state["user"]["id"]
    assert api.get_session(state["session"]["id"])["strategy"] == "adaptive"
    stored = api.get_conversation(state["conversation"]["id"])
    written = len(state["messages"])
    assert [(m["position"], m["content"]) for m in stored["messages"][:written]] == [
        (m["position"], m["content"]) for m in state["messages"]
    ]
    assert stored["parameters"]["max_tokens"] == 300
    assert api.get_cache("restart", state["tag"])["value"] == {"answer": state["tag"], "n": [1, 2, 3]}


def _calls_after_restart(api: DatabaseAPI, state: dict[str, Any]) -> list[Callable[[], Any]]:
    """A realistic mix of the next calls an app makes: reads, then writes."""
    cid = state["conversation"]["id"]
    return [
        lambda: api.get_messages(cid, limit=3),
        lambda: api.add_message(cid, {"role": "user", "content": "after the restart"}),
        lambda: api.get_cache("restart", state["tag"]),
        lambda: api.set_cache("restart", state["tag"] + "-after", {"ok": True}),
        lambda: api.get_user(state["user"]["username"]),
        lambda: api.create_user(f"after restart {state['tag']}"),
    ]


def _fill_pool(api: DatabaseAPI, state: dict[str, Any], threads: int = 4) -> None:
    """Make several pooled connections exist (all of them die with the server)."""
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait(timeout=30)
        for _ in range(5):
            api.get_conversation(state["conversation"]["id"])

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert not worker.is_alive(), "a reader hung"


def _run_counting_unavailable(calls: list[Callable[[], Any]]) -> int:
    """Run each call; a DatabaseUnavailableError is counted and the call retried once."""
    failures = 0
    for call in calls:
        try:
            call()
        except DatabaseUnavailableError:
            failures += 1
            call()
    return failures


@pytest.mark.parametrize("pre_ping", [True, False], ids=["default-pre-ping", "optimistic-no-pre-ping"])
def test_calls_succeed_after_a_server_restart_and_data_is_intact(own_server, pre_ping: bool) -> None:
    server, settings = own_server
    engine = make_engine(settings, pool_pre_ping=pre_ping)
    api = DatabaseAPI(engine, settings=settings)
    try:
        tag = "ping" if pre_ping else "optimistic"
        state = _write_state(api, tag)
        _fill_pool(api, state)
        assert engine.pool.checkedin() >= 2, "the pool should hold connections that the restart kills"

        # No call while it is down: the first call after the restart meets the dead connections.
        server.stop()
        server.start()

        failures = _run_counting_unavailable(_calls_after_restart(api, state))
        assert failures <= 1
        if pre_ping:
            assert failures == 0, "pool_pre_ping should replace every dead connection before use"
        else:
            assert failures == 1, "the first call meets a dead connection; the pool is then recycled whole"
        _check_state(api, state)
        assert [m["content"] for m in api.get_messages(state["conversation"]["id"], limit=1)] == [
            "after the restart"
        ]
    finally:
        api.close()
        engine.dispose()


def test_calls_during_the_outage_raise_only_database_unavailable(own_server) -> None:
    """While the server is down, every method fails fast with our error, never a driver error."""
    server, settings = own_server
    api = DatabaseAPI(settings=settings)
    try:
        state = _write_state(api, "outage")
        server.stop()
        try:
            for call in _calls_after_restart(api, state) + [
                lambda: api.authenticate("restart outage", PASSWORD)
            ]:
                with pytest.raises(DatabaseUnavailableError) as info:
                    call()
                message = str(info.value)
                assert settings.address in message
                assert settings.password not in message
        finally:
            server.start()
        _check_state(api, state)
    finally:
        api.close()
