"""SIGKILL in the middle of an import leaves no half-imported file; the next run finishes the job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.import_helpers import counts, import_json, snapshot, write_json

FILES = 400


def _generate(root: Path) -> None:
    for n in range(FILES):
        start = 1_700_000_000.25 + n * 3600
        messages = []
        for m in range(30):
            question = m % 3 == 0
            messages.append({
                "role": "assistant" if m % 3 != 1 else "user", "content": f"message {m} of {n} \u2014 Lothl\u00f3rien",
                "timestamp": start + m * 0.5, "timestamp_formatted": "local",
                "metadata": {"is_question": True, "question_type": "factual"} if question
                else {"is_answer": True, "correct": m % 2 == 0, "quality_score": m} if m % 3 == 1 else {},
            })
        write_json(root / f"conversation_history/student{n % 17}/conversation_{n}_20240101_000000.json", {
            "conversation_id": f"crash-{n}", "student_id": f"student{n % 17}", "quiz_id": f"q{n}",
            "metadata": {"strategy": "adaptive", "session_id": None}, "messages": messages,
            "start_time": start, "start_time_formatted": "local", "end_time": start + 15,
            "end_time_formatted": "local", "duration_seconds": 15.0,
        })


def _consistent(engine) -> int:  # noqa: ANN001
    """Every ledger row's file is wholly in the database, and nothing is there without its ledger row."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT f.counts, (SELECT count(*) FROM messages m WHERE m.conversation_id = f.conversation_id) AS messages, "
            "(SELECT count(*) FROM questions q JOIN messages m ON m.id = q.message_id "
            " WHERE m.conversation_id = f.conversation_id) AS questions FROM import_files f")).all()
        orphans = conn.execute(text("SELECT count(*) FROM conversations c WHERE NOT EXISTS "
                                    "(SELECT 1 FROM import_files f WHERE f.conversation_id = c.id)")).scalar_one()
    assert orphans == 0
    for row in rows:
        assert (row.messages, row.questions) == (row.counts["messages"], row.counts["questions"]) == (30, 10)
    return len(rows)


@pytest.mark.reliability
@pytest.mark.slow
def test_sigkill_midway_then_rerun_equals_a_clean_import(committed_db, capsys, tmp_path):
    root = tmp_path / "app"
    _generate(root)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen(
        [sys.executable, "-m", "database.cli", "import", "--root", str(root), "--batch-size", "4", "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    seen = 0
    while time.monotonic() < deadline and process.poll() is None:
        with committed_db.connect() as conn:
            seen = conn.execute(text("SELECT count(*) FROM import_files")).scalar_one()
        if seen >= 60:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the import finished before it could be killed: make the tree bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    done = _consistent(committed_db)
    assert 60 <= done < FILES  # killed midway, and what is there is whole

    code, summary = import_json(capsys, root)
    assert code == 0
    assert summary["files"]["unchanged"] == done and summary["files"]["imported"] == FILES - done
    assert _consistent(committed_db) == FILES
    after_rerun = snapshot(committed_db)

    with committed_db.begin() as conn:
        conn.execute(text("TRUNCATE users, cache_entries, import_files CASCADE"))
    code, summary = import_json(capsys, root)
    assert code == 0 and summary["files"]["imported"] == FILES
    assert snapshot(committed_db) == after_rerun
    assert counts(committed_db)["messages"] == FILES * 30
    assert json.loads(json.dumps(summary["rows"]))["conversations"] == FILES
