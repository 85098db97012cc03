"""The zero-setup PostgreSQL: starts, serves, stops, keeps its data; the CLI around it."""

from __future__ import annotations

import os
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

from database.config import Settings, load_settings
from database.connection import make_engine
from database.errors import ConfigurationError
from database.schema import head_revision
from database.server import EmbeddedServer, EmbeddedServerError, port_answers

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "emb@dded:pw/with%40signs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(port: int) -> Settings:
    return load_settings(
        {"DB_HOST": "127.0.0.1", "DB_PORT": str(port), "DB_PASSWORD": PASSWORD, "DATABASE_URL": ""}, env_file=None
    )


@pytest.fixture
def data_root() -> Iterator[Path]:
    """A directory for a server's data, outside pytest's tmp tree: as root the server runs as the
    pgserver user, and a concurrent pytest run resets /tmp/pytest-of-root to mode 0700."""
    path = Path(tempfile.mkdtemp(prefix="greytutor-test-embedded-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server(data_root: Path) -> Iterator[EmbeddedServer]:
    """An embedded server (not started) in its own directory on a free port; stopped afterwards."""
    srv = EmbeddedServer(settings_for(free_port()), data_root / "pgdata")
    try:
        yield srv
    finally:
        srv.stop()


def query(srv: EmbeddedServer, sql: str, commit: bool = False) -> list[tuple[object, ...]]:
    engine = make_engine(srv.settings, poolclass=NullPool)
    try:
        with engine.begin() if commit else engine.connect() as conn:
            result = conn.execute(text(sql))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


@pytest.mark.slow
def test_starts_serves_and_stops(server: EmbeddedServer) -> None:
    assert not server.initialized and not server.is_running()
    assert server.start() is True
    assert server.is_running()
    assert port_answers("127.0.0.1", server.port)

    [(database, user, listen, port)] = query(
        server, "SELECT current_database(), current_user, current_setting('listen_addresses'), "
        "current_setting('port')"
    )
    assert (database, user, listen, port) == ("thegreytutor", "thegreytutor", "127.0.0.1", str(server.port))
    [(version,)] = query(server, "SHOW server_version")
    assert str(version).startswith("16.")

    assert server.start() is False  # already running: nothing to do
    assert server.stop() is True
    assert not server.is_running()
    assert not port_answers("127.0.0.1", server.port)
    assert server.stop() is False


@pytest.mark.slow
def test_data_survives_stop_and_start(server: EmbeddedServer) -> None:
    server.start()
    query(server, "CREATE TABLE ring (bearer text NOT NULL); INSERT INTO ring VALUES ('Frodo')", commit=True)
    server.stop()
    assert server.start() is True
    assert query(server, "SELECT bearer FROM ring") == [("Frodo",)]
    assert server.init() is False  # the existing cluster is reused, never re-created


@pytest.mark.slow
def test_password_is_stored_hashed_only(server: EmbeddedServer) -> None:
    server.start()
    needle = PASSWORD.encode()
    for path in server.data_dir.rglob("*"):
        if path.is_file() and not path.name.startswith("postmaster"):
            assert needle not in path.read_bytes(), path
    [(method,)] = query(server, "SELECT left(rolpassword, 13) FROM pg_authid WHERE rolname = current_user")
    assert method == "SCRAM-SHA-256"


@pytest.mark.slow
def test_port_used_by_another_program(data_root: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        srv = EmbeddedServer(settings_for(port), data_root / "pgdata")
        with pytest.raises(EmbeddedServerError) as info:
            srv.start()
        assert str(info.value) == (
            f"another program already listens on 127.0.0.1:{port}; stop it or choose another DB_PORT"
        )
        assert PASSWORD not in str(info.value)
        assert not srv.is_running()


@pytest.mark.parametrize("host", ["db.example.com", "10.1.2.3"])
def test_only_runs_on_this_machine(host: str, tmp_path: Path) -> None:
    settings = load_settings({"DB_HOST": host, "DATABASE_URL": ""}, env_file=None)
    with pytest.raises(ConfigurationError, match="only runs on this machine"):
        EmbeddedServer(settings, tmp_path / "pgdata")


# --- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli(data_root: Path) -> Iterator[tuple[dict[str, str], EmbeddedServer]]:
    """Environment for ``python -m database.cli server ...`` on a fresh data dir; stops the server after."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_", "PGDATA"))}
    env.update(
        DB_HOST="127.0.0.1", DB_PORT=str(port), DB_PASSWORD=PASSWORD, DATABASE_URL="",
        PGDATA_DIR=str(data_root / "pgdata"), PYTHONPATH=str(REPO),
    )
    srv = EmbeddedServer(settings_for(port), data_root / "pgdata")
    try:
        yield env, srv
    finally:
        srv.stop()


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "database.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert PASSWORD not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.mark.slow
def test_cli_server_start_status_stop(cli: tuple[dict[str, str], EmbeddedServer], tmp_path: Path) -> None:
    env, srv = cli
    address = f"127.0.0.1:{srv.port}"
    data_dir = str(srv.data_dir)

    status = run_cli(env, tmp_path, "server", "status")
    assert status.returncode == 1
    assert f"configured: postgresql+psycopg2://thegreytutor:***@{address}/thegreytutor" in status.stdout
    assert "not running" in status.stdout
    assert f"nothing answers at {address}" in status.stdout
    assert "hint: python -m database.cli server start" in status.stdout

    start = run_cli(env, tmp_path, "server", "start")
    assert start.returncode == 0, start.stderr
    assert f"started embedded PostgreSQL at {address} (data in {data_dir})" in start.stdout
    assert "ok: PostgreSQL 16" in start.stdout and "database thegreytutor as thegreytutor" in start.stdout
    assert srv.is_running()  # still running after the command returned

    again = run_cli(env, tmp_path, "server", "start")
    assert again.returncode == 0
    assert f"embedded PostgreSQL already running at {address}" in again.stdout

    status = run_cli(env, tmp_path, "server", "status")
    assert status.returncode == 0, status.stderr
    assert f"embedded server ({data_dir}): running" in status.stdout
    assert "server: PostgreSQL 16" in status.stdout and "(embedded)" in status.stdout
    assert "database: thegreytutor as thegreytutor" in status.stdout
    assert "migration revision: none (run: python -m database.cli init)" in status.stdout

    assert run_cli(env, tmp_path, "init").returncode == 0
    status = run_cli(env, tmp_path, "server", "status")
    assert f"migration revision: {head_revision()} (up to date)" in status.stdout

    stop = run_cli(env, tmp_path, "server", "stop")
    assert stop.returncode == 0
    assert f"stopped embedded PostgreSQL (data kept in {data_dir})" in stop.stdout
    assert not srv.is_running()

    status = run_cli(env, tmp_path, "server", "status")
    assert status.returncode == 1
    assert f"embedded server ({data_dir}): not running" in status.stdout
    assert "hint: python -m database.cli server start" in status.stdout

    stop = run_cli(env, tmp_path, "server", "stop")
    assert stop.returncode == 0
    assert "embedded PostgreSQL is not running" in stop.stdout
