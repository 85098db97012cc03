"""./setup_database.sh on a temporary embedded server: exit 0, schema at head, admin created with
the printed password, safe to run again and again; a failing step stops it with an ``error:`` line."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from database.config import load_settings
from database.connection import make_engine
from database.passwords import verify
from database.schema import current_revision, head_revision
from database.server import EmbeddedServer

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "setup_database.sh"
DB_PASSWORD = "setup:p@ss/%word"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def setup_env() -> Iterator[dict[str, str]]:
    """Settings for a throwaway embedded server; the same venv; the server is stopped afterwards.

    Its data lives outside pytest's tmp tree: as root the server runs as the pgserver user, and a
    concurrent pytest run resets /tmp/pytest-of-root to mode 0700.
    """
    data_root = Path(tempfile.mkdtemp(prefix="greytutor-test-setup-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_", "PGDATA", "ADMIN_"))}
    env.update(
        # Every setting explicit: the script runs in the checkout, whose .env must not leak in.
        DB_USER="thegreytutor",
        DB_NAME="thegreytutor",
        DB_HOST="127.0.0.1",
        DB_PORT=str(free_port()),
        DB_PASSWORD=DB_PASSWORD,
        DATABASE_URL="",  # wins over a DATABASE_URL in the checkout's .env
        PGDATA_DIR=str(data_root / "pgdata"),
        BCRYPT_ROUNDS="4",
        VIRTUAL_ENV=sys.prefix,
    )
    try:
        yield env
    finally:
        subprocess.run(
            [sys.executable, "-m", "database.cli", "server", "stop"],
            env={**env, "PYTHONPATH": str(REPO)}, cwd=REPO, capture_output=True, timeout=120,
        )
        settings = load_settings({k: v for k, v in env.items() if k.startswith("DB_")}, env_file=None)
        EmbeddedServer(settings, data_root / "pgdata").stop()
        shutil.rmtree(data_root, ignore_errors=True)


def run_setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Run from an empty app directory: the legacy import (once it exists) finds nothing there.
    app_dir = Path(env["PGDATA_DIR"]).parent / "app"
    app_dir.mkdir(exist_ok=True)
    return subprocess.run([str(SCRIPT)], env=env, cwd=app_dir, capture_output=True, text=True, timeout=600)


def admin_row(env: dict[str, str]) -> tuple[str | None, str | None, str]:
    settings = load_settings({k: v for k, v in env.items() if k.startswith("DB_")}, env_file=None)
    engine = make_engine(settings, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            revision = current_revision(conn)
            row = conn.execute(text("SELECT role, password_hash FROM users WHERE username = 'admin'")).one()
    finally:
        engine.dispose()
    return revision, row.password_hash, row.role


def delete_admin(env: dict[str, str]) -> None:
    settings = load_settings({k: v for k, v in env.items() if k.startswith("DB_")}, env_file=None)
    engine = make_engine(settings, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE username = 'admin'"))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_setup_runs_again_and_again(setup_env: dict[str, str]) -> None:
    # 1. From nothing: server, schema, admin with a generated password printed once.
    first = run_setup(setup_env)
    assert first.returncode == 0, first.stdout + first.stderr
    for step in ("==> installing requirements", "==> starting database server",
                 "==> migrating the schema", "==> creating the admin user", "==> done"):
        assert step in first.stdout
    match = re.search(r"admin password \(shown only this once[^)]*\): (\S+)", first.stdout)
    assert match, first.stdout
    generated = match.group(1)
    assert DB_PASSWORD not in first.stdout + first.stderr
    revision, generated_hash, role = admin_row(setup_env)
    assert revision == head_revision()
    assert role == "admin"
    assert verify(generated, generated_hash, rounds=4)

    # 2. Again, with ADMIN_PASSWORD: everything is there already; the existing admin is left alone.
    chosen = "Chosen-admin-pw-" + os.urandom(4).hex()
    second = run_setup({**setup_env, "ADMIN_PASSWORD": chosen})
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already running" in second.stdout
    assert f"schema already at revision {head_revision()}" in second.stdout
    assert "the admin user already exists; left as it is" in second.stdout
    assert generated not in second.stdout + second.stderr  # printed once only
    assert chosen not in second.stdout + second.stderr
    assert admin_row(setup_env)[1] == generated_hash

    # 3. Without an admin, ADMIN_PASSWORD is the password, and it is not printed.
    delete_admin(setup_env)
    third = run_setup({**setup_env, "ADMIN_PASSWORD": chosen})
    assert third.returncode == 0, third.stdout + third.stderr
    assert "admin password taken from ADMIN_PASSWORD" in third.stdout
    assert chosen not in third.stdout + third.stderr
    assert verify(chosen, admin_row(setup_env)[1], rounds=4)


def test_a_failing_step_stops_with_an_error_line(setup_env: dict[str, str]) -> None:
    result = run_setup({**setup_env, "DB_PORT": "abc"})
    assert result.returncode != 0
    assert "==> starting database server" in result.stdout
    assert "==> migrating" not in result.stdout
    assert "error: DB_PORT must be a whole number" in result.stderr
    assert "error: starting database server failed" in result.stderr
    assert not Path(setup_env["PGDATA_DIR"]).exists()
