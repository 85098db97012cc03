"""``python -m database.test_api`` as a user runs it: a subprocess against the configured database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
STEPS = (
    "create_user",
    "get_user",
    "get_user_profile",
    "update_user_profile",
    "authenticate",
    "create_session",
    "create_conversation",
    "add_message",
    "add_question",
    "add_answer",
    "get_messages",
    "get_conversation",
    "list_conversations",
    "end_conversation",
    "end_session",
    "cache",
    "export_user",
    "delete_conversation",
    "delete_user",
)
TABLES = (
    "users",
    "user_profiles",
    "user_sessions",
    "conversations",
    "messages",
    "questions",
    "answers",
    "cache_entries",
)


def run_smoke(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_URL"))}
    env.update({"DATABASE_URL": database_url, "BCRYPT_ROUNDS": "4"})
    return subprocess.run(
        [sys.executable, "-m", "database.test_api"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_smoke_run_passes_and_cleans_up(committed_db):
    url = committed_db.url.render_as_string(hide_password=False)

    result = run_smoke(url)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("database: ") and "***" in lines[0]
    assert not committed_db.url.password or committed_db.url.password not in result.stdout
    steps = [line.split()[1] for line in lines if line.startswith("ok ")]
    assert steps == list(STEPS)
    assert lines[-1].startswith(f"all {len(STEPS)} steps passed")
    assert "$2b$" not in result.stdout and result.stderr == ""
    assert row_counts(committed_db) == dict.fromkeys(TABLES, 0)  # it removed everything it made


def test_smoke_run_fails_and_still_cleans_up(committed_db):
    """A failure injected in the database halfway through: exit 1, the failing step named, no leftovers."""
    with committed_db.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION smoke_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER smoke_refuse BEFORE INSERT ON cache_entries "
                "FOR EACH ROW EXECUTE FUNCTION smoke_refuse()"
            )
        )
    try:
        result = run_smoke(committed_db.url.render_as_string(hide_password=False))
    finally:
        with committed_db.begin() as conn:
            conn.execute(text("DROP TRIGGER smoke_refuse ON cache_entries"))
            conn.execute(text("DROP FUNCTION smoke_refuse()"))

    assert result.returncode == 1
    assert "ok    end_session" in result.stdout
    assert "FAIL  cache" in result.stdout and "ok    export_user" not in result.stdout
    assert result.stderr.startswith("error: smoke run failed after 15 passed steps")
    assert row_counts(committed_db) == dict.fromkeys(TABLES, 0)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_database_is_one_line_and_exit_1():
    result = run_smoke(f"postgresql://someone:s3cret-pw@127.0.0.1:{_closed_port()}/nowhere")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no PostgreSQL server answers at 127.0.0.1:")
    assert "s3cret-pw" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["mysql://u:p@localhost/db", "not a url"])
def test_bad_settings_are_one_line_and_exit_1(url):
    result = run_smoke(url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr
