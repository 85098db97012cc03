"""Real concurrency on a committing database: threads and processes appending to one conversation,
concurrent set_cache of one key, and add_message after messages written directly (importer)."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from collections.abc import Callable

import pytest
from factories import commit_user
from sqlalchemy import text

from database.api import DatabaseAPI

pytestmark = pytest.mark.reliability


def run_together(workers: int, work: Callable[[int], None]) -> list[BaseException]:
    """Start ``workers`` threads at once (barrier) and collect every exception they raise."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def body(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return errors


def stored_messages(engine, conversation_id: str) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT position, content FROM messages WHERE conversation_id = :id ORDER BY position"),
            {"id": conversation_id},
        ).all()
    return [(row.position, row.content) for row in rows]


def assert_writer_order(messages: list[tuple[int, str]]) -> None:
    """Each writer's own messages keep the order it wrote them in."""
    by_writer: dict[str, list[int]] = {}
    for _, content in messages:
        writer, number = content.split(":")
        by_writer.setdefault(writer, []).append(int(number))
    for numbers in by_writer.values():
        assert numbers == sorted(numbers)


@pytest.fixture
def conversation(committed_api, committed_db):
    commit_user(committed_db, username="concurrent")
    return committed_api.create_conversation("concurrent", {}, {})


def test_eight_threads_append_to_one_conversation(committed_api, committed_db, conversation):
    returned: list[int] = []

    def append(index: int) -> None:
        for n in range(50):
            message = committed_api.add_message(
                conversation["id"], {"role": "user", "content": f"t{index}:{n}"}
            )
            returned.append(message["position"])

    assert run_together(8, append) == []

    messages = stored_messages(committed_db, conversation["id"])
    assert [position for position, _ in messages] == list(range(400))
    assert sorted(returned) == list(range(400))
    assert len({content for _, content in messages}) == 400
    assert_writer_order(messages)
    with committed_db.connect() as conn:
        next_position = conn.execute(
            text("SELECT next_position FROM conversations WHERE id = :id"), {"id": conversation["id"]}
        ).scalar_one()
    assert next_position == 400


def append_in_process(conversation_id: str, tag: str, count: int, barrier, results) -> None:
    """Runs in a spawned child: its own DatabaseAPI (settings from DATABASE_URL), racing its sibling."""
    with DatabaseAPI() as api:
        api.get_messages(conversation_id, limit=1)  # connected and warm before the race starts
        barrier.wait(60)
        positions = [
            api.add_message(conversation_id, {"role": "user", "content": f"{tag}:{n}"})["position"]
            for n in range(count)
        ]
    results.put((tag, positions))


def test_two_processes_append_to_one_conversation(committed_db, conversation):
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier, results = manager.Barrier(2), manager.Queue()
        processes = [
            context.Process(target=append_in_process, args=(conversation["id"], tag, 100, barrier, results))
            for tag in ("p0", "p1")
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=180)
        assert [process.exitcode for process in processes] == [0, 0]
        returned = dict(results.get(timeout=5) for _ in processes)

    assert sorted(returned["p0"] + returned["p1"]) == list(range(200))
    messages = stored_messages(committed_db, conversation["id"])
    assert [position for position, _ in messages] == list(range(200))
    assert_writer_order(messages)
    # Both really wrote while the other did (interleaved), or the test proved nothing.
    writers = [content.split(":")[0] for _, content in messages]
    switches = sum(1 for a, b in itertools.pairwise(writers) if a != b)
    assert switches >= 1


def test_concurrent_set_cache_of_one_key(committed_api, committed_db):
    written = [{"writer": i, "round": r} for i in range(8) for r in range(25)]

    def write(index: int) -> None:
        for r in range(25):
            committed_api.set_cache("question", "contested", {"writer": index, "round": r})

    assert run_together(8, write) == []

    with committed_db.connect() as conn:
        rows = (
            conn.execute(
                text("SELECT value FROM cache_entries WHERE cache_type = 'question' AND key = 'contested'")
            )
            .scalars()
            .all()
        )
    assert len(rows) == 1
    final = committed_api.get_cache("question", "contested")["value"]
    assert final == rows[0] and final in written
    assert final["round"] == 24  # the last write overall is some writer's last round
    # Sequentially, the last writer wins.
    committed_api.set_cache("question", "contested", "A")
    committed_api.set_cache("question", "contested", "B")
    assert committed_api.get_cache("question", "contested")["value"] == "B"


def test_add_message_after_direct_inserts(committed_api, committed_db, conversation):
    # Messages inserted around the API (positions 0..9), leaving next_position at 0: every
    # writer first meets a taken slot and catches up.
    with committed_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO messages (conversation_id, position, role, content) "
                "SELECT :id, p, 'user', 'imported:' || p FROM generate_series(0, 9) AS p"
            ),
            {"id": conversation["id"]},
        )
    assert (
        committed_api.add_message(conversation["id"], {"role": "user", "content": "api:0"})["position"] == 10
    )

    def append(index: int) -> None:
        for n in range(10):
            committed_api.add_message(conversation["id"], {"role": "user", "content": f"t{index}:{n}"})

    assert run_together(4, append) == []

    messages = stored_messages(committed_db, conversation["id"])
    assert [position for position, _ in messages] == list(range(51))
    assert_writer_order(messages)
