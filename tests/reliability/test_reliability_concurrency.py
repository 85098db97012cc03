"""Threads AND processes writing messages, sessions, cache entries, profiles and users at once.

No write is lost, nothing deadlocks (every wait has a timeout, so a hang fails the test instead
of stalling CI), and the constraints hold afterwards: positions unique and gap-free, one cache
row per key, one user per name, every user with its profile.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from typing import Any

import pytest
from sqlalchemy import text

from database import AlreadyExistsError
from database.api import DatabaseAPI

pytestmark = pytest.mark.reliability

THREADS = 6
PROCESSES = 3
MESSAGES = 15
SESSIONS = 4
CONTESTED = [f"contested user {i}" for i in range(4)]
SHARED_KEYS = [f"shared-{i}" for i in range(4)]
TIMEOUT = 120


def work(tag: str, conversation_id: str, barrier: Any) -> dict[str, Any]:
    """One writer's share of the mix. Returns what it did, and any unexpected error."""
    report: dict[str, Any] = {"tag": tag, "won": [], "lost": [], "errors": []}
    try:
        with DatabaseAPI() as api:
            barrier.wait(timeout=TIMEOUT)
            for i in range(MESSAGES):
                api.add_message(
                    conversation_id, {"role": "user", "content": f"{tag}:{i}", "metadata": {"i": i}}
                )
                if i < len(CONTESTED):
                    try:
                        api.create_user(CONTESTED[i], name=tag)
                        report["won"].append(CONTESTED[i])
                    except AlreadyExistsError:
                        report["lost"].append(CONTESTED[i])
                if i < SESSIONS:
                    api.create_session("shared student", {"strategy": tag})
                    api.create_user(f"own {tag} {i}")
                api.set_cache("race", SHARED_KEYS[i % len(SHARED_KEYS)], {"by": tag, "i": i})
                api.set_cache("race", f"{tag}-{i}", i)
            # Concurrent partial profile updates of different keys must all survive (merge).
            api.update_user_profile("shared student", {"community_mastery": {tag: 0.5}})
    except Exception:  # noqa: BLE001 - reported to the parent, which fails the test with it
        report["errors"].append(traceback.format_exc())
    return report


def _process_main(tag: str, conversation_id: str, barrier: Any, results: Any) -> None:
    results.put(work(tag, conversation_id, barrier))


def test_mixed_writers_in_threads_and_processes(committed_api: DatabaseAPI, committed_db) -> None:
    committed_api.create_user("shared student")
    conversation = committed_api.create_conversation("shared student", {"conversation_type": "chat"}, {})
    cid = conversation["id"]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(THREADS + PROCESSES)
    results_queue = context.Queue()

    processes = [
        context.Process(target=_process_main, args=(f"p{i}", cid, barrier, results_queue))
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    thread_reports: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda t=f"t{i}": thread_reports.append(work(t, cid, barrier)))
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    hung = [t.name for t in threads if t.is_alive()]
    reports = list(thread_reports)
    try:
        for _ in processes:
            reports.append(results_queue.get(timeout=TIMEOUT))
    except Exception:  # queue.Empty: a child hung or died
        hung.append("a writer process")
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            hung.append(process.name)
    assert not hung, f"writers did not finish within {TIMEOUT}s (deadlock?): {hung}"
    errors = [e for r in reports for e in r["errors"]]
    assert not errors, "unexpected errors:\n" + "\n".join(errors)

    tags = sorted(r["tag"] for r in reports)
    assert len(tags) == THREADS + PROCESSES
    _assert_messages(committed_db, cid, tags)
    _assert_users(committed_db, reports, tags)
    _assert_cache(committed_api, committed_db, tags)
    _assert_sessions_and_profile(committed_api, committed_db, tags)


def _assert_messages(engine, cid: str, tags: list[str]) -> None:  # noqa: ANN001
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT position, content FROM messages WHERE conversation_id = :c ORDER BY position"),
            {"c": cid},
        ).all()
    assert [p for p, _ in rows] == list(range(len(tags) * MESSAGES)), "positions must be unique and gap-free"
    assert sorted(c for _, c in rows) == sorted(f"{t}:{i}" for t in tags for i in range(MESSAGES))
    for tag in tags:  # each writer's messages keep the order it wrote them in
        mine = [int(c.split(":")[1]) for _, c in rows if c.split(":")[0] == tag]
        assert mine == list(range(MESSAGES))


def _assert_users(engine, reports: list[dict[str, Any]], tags: list[str]) -> None:  # noqa: ANN001
    for name in CONTESTED:
        winners = [r["tag"] for r in reports if name in r["won"]]
        losers = [r["tag"] for r in reports if name in r["lost"]]
        assert len(winners) == 1, f"{name!r} created by {winners}"
        assert len(losers) == len(tags) - 1
    with engine.connect() as conn:
        duplicates = conn.execute(
            text("SELECT username FROM users GROUP BY username HAVING count(*) > 1")
        ).all()
        users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
        profiles = conn.execute(text("SELECT count(*) FROM user_profiles")).scalar_one()
        owners = dict(
            conn.execute(text("SELECT username, name FROM users WHERE username LIKE 'contested%'")).all()
        )
    assert duplicates == []
    assert users == 1 + len(CONTESTED) + len(tags) * SESSIONS
    assert profiles == users, "every user has its profile"
    for name in CONTESTED:
        assert owners[name] in [r["tag"] for r in reports if name in r["won"]]


def _assert_cache(api: DatabaseAPI, engine, tags: list[str]) -> None:  # noqa: ANN001
    with engine.connect() as conn:
        duplicates = conn.execute(
            text("SELECT cache_type, key FROM cache_entries GROUP BY cache_type, key HAVING count(*) > 1")
        ).all()
        entries = conn.execute(
            text("SELECT count(*) FROM cache_entries WHERE cache_type = 'race'")
        ).scalar_one()
    assert duplicates == []
    assert entries == len(SHARED_KEYS) + len(tags) * MESSAGES
    for tag in tags:
        for i in range(MESSAGES):
            assert api.get_cache("race", f"{tag}-{i}")["value"] == i
    for key in SHARED_KEYS:  # last writer wins: some writer's value for that key, whole
        value = api.get_cache("race", key)["value"]
        assert value["by"] in tags and SHARED_KEYS[value["i"] % len(SHARED_KEYS)] == key


def _assert_sessions_and_profile(api: DatabaseAPI, engine, tags: list[str]) -> None:  # noqa: ANN001
    sessions = api.list_sessions("shared student", limit=1000)
    assert sorted(s["strategy"] for s in sessions) == sorted(t for t in tags for _ in range(SESSIONS))
    assert len({s["id"] for s in sessions}) == len(sessions)
    profile = api.get_user_profile("shared student")
    assert profile["community_mastery"] == {tag: 0.5 for tag in tags}
