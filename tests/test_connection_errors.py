"""Connection failures give one clear line naming host:port/database; importing connects nothing."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

import database.cli
from database import connection as db_connection
from database.config import load_settings
from database.connection import make_engine, probe
from database.errors import DatabaseUnavailableError
from database.schema import head_revision

REPO = Path(__file__).resolve().parents[1]
WRONG_PASSWORD = "Wr0ng-" + secrets.token_hex(6)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**values: str) -> dict[str, str]:
    """os.environ without any database setting, plus ``values`` (DATABASE_URL "" beats a .env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_", "PGDATA"))}
    env.update({"DATABASE_URL": "", "PYTHONPATH": str(REPO)}, **values)
    return env


# Each failure: the settings that cause it and words its message must contain.
FAILURES = {
    "server down": ("no PostgreSQL server answers at", "server start"),
    "bad password": ("rejected the login", "DB_PASSWORD"),
    "missing database": ("has no such database", "DB_NAME"),
}


@pytest.fixture(params=list(FAILURES))
def failure(request: pytest.FixtureRequest, engine: Engine) -> tuple[str, dict[str, str], str]:
    """(kind, DB_* settings that fail that way, the password in them)."""
    url = engine.url
    good = {
        "DB_HOST": url.host or "localhost",
        "DB_PORT": str(url.port or 5432),
        "DB_USER": url.username or "",
        "DB_PASSWORD": url.password or "",
        "DB_NAME": url.database or "",
    }
    kind = request.param
    if kind == "server down":
        values = {**good, "DB_HOST": "127.0.0.1", "DB_PORT": str(free_port()), "DB_PASSWORD": WRONG_PASSWORD}
    elif kind == "bad password":
        values = {**good, "DB_PASSWORD": WRONG_PASSWORD}
    else:
        values = {**good, "DB_NAME": f"greytutor_missing_{secrets.token_hex(4)}"}
    return kind, values, values["DB_PASSWORD"]


def address_of(values: dict[str, str]) -> str:
    return f"{values['DB_HOST']}:{values['DB_PORT']}/{values['DB_NAME']}"


def assert_one_clear_line(message: str, kind: str, values: dict[str, str], password: str) -> None:
    assert "\n" not in message.strip(), message
    assert address_of(values) in message
    for words in FAILURES[kind]:
        assert words in message, message
    assert password not in message
    assert "Traceback" not in message


def _probe_failure(values: dict[str, str]) -> DatabaseUnavailableError:
    """The DatabaseUnavailableError that probe() raises for these settings."""
    settings = load_settings({**values, "DATABASE_URL": ""}, env_file=None)
    failing = make_engine(settings, poolclass=NullPool)
    try:
        with pytest.raises(DatabaseUnavailableError) as info:
            probe(failing, settings.address)
    finally:
        failing.dispose()
    return info.value


def test_probe_gives_one_clear_line(failure: tuple[str, dict[str, str], str]) -> None:
    kind, values, password = failure
    error = _probe_failure(values)
    assert_one_clear_line(str(error), kind, values, password)
    assert isinstance(error.__cause__, OperationalError)


def test_test_connection_module_prints_one_line_and_exits_1(
    failure: tuple[str, dict[str, str], str], tmp_path: Path
) -> None:
    kind, values, password = failure
    result = subprocess.run(
        [sys.executable, "-m", "database.test_connection"],
        env=clean_env(**values), cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert_one_clear_line(result.stderr, kind, values, password)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Run database.cli.main in-process with settings from the environment only."""
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("PGDATA_DIR", str(tmp_path / "no-embedded-server"))
    db_connection.dispose_engine()
    yield monkeypatch
    db_connection.dispose_engine()


@pytest.mark.parametrize("argv", [["init"], ["server", "status"]])
def test_cli_commands_give_one_clear_line(
    argv: list[str], failure: tuple[str, dict[str, str], str], cli_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kind, values, password = failure
    for key, value in values.items():
        cli_env.setenv(key, value)
    assert database.cli.main(argv) == 1
    out, err = capsys.readouterr()
    assert password not in out + err
    if argv == ["server", "status"] and kind == "server down":
        # Not an error of the command: status reports what it found, with the next step.
        assert err == ""
        assert f"nothing answers at {values['DB_HOST']}:{values['DB_PORT']}" in out
        assert "hint: python -m database.cli server start" in out
        return
    assert err.startswith("error: ")
    assert_one_clear_line(err, kind, values, password)


@pytest.mark.parametrize("kind", ["bad password", "missing database"])
def test_server_start_never_falls_back_when_the_configured_server_refuses(
    kind: str, engine: Engine, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = engine.url
    values = {
        "DB_HOST": url.host or "localhost", "DB_PORT": str(url.port), "DB_USER": url.username or "",
        "DB_PASSWORD": url.password or "", "DB_NAME": url.database or "",
    }
    if kind == "bad password":
        values["DB_PASSWORD"] = WRONG_PASSWORD
    else:
        values["DB_NAME"] = f"greytutor_missing_{secrets.token_hex(4)}"
    for key, value in values.items():
        cli_env.setenv(key, value)
    assert database.cli.main(["server", "start"]) == 1
    out, err = capsys.readouterr()
    assert "already answers" in out and "using it" in out
    assert_one_clear_line(err, kind, values, values["DB_PASSWORD"])
    assert not (tmp_path / "no-embedded-server").exists()  # no embedded server was created


def test_cli_subprocess_shows_no_traceback(tmp_path: Path) -> None:
    env = clean_env(DB_HOST="127.0.0.1", DB_PORT=str(free_port()), DB_PASSWORD=WRONG_PASSWORD)
    result = subprocess.run(
        [sys.executable, "-m", "database.cli", "init"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: no PostgreSQL server answers")
    assert WRONG_PASSWORD not in result.stderr


def test_test_connection_on_the_good_database(engine: Engine, tmp_path: Path) -> None:
    url = engine.url
    password = url.password or ""
    env = clean_env(DATABASE_URL=url.render_as_string(hide_password=False))
    result = subprocess.run(
        [sys.executable, "-m", "database.test_connection"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("connected: ") and "***" in lines[0]
    assert lines[1].startswith("server version: PostgreSQL 1")
    assert lines[2] == f"migration revision: {head_revision()}"
    assert password not in result.stdout


IMPORT_CHECK = """
import logging, sys
root = logging.getLogger()
level = root.level
import database
import database.config, database.connection, database.errors, database.models, database.schema
import database.server, database.cli, database.cli.runner, database.test_connection
from database import DatabaseError
database.connection.get_settings()
assert database.connection._engine is None, "an engine was created at import"
assert root.handlers == [], root.handlers
assert root.level == level, "root logger level changed"
loggers = {n: lg for n, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger)}
# Libraries may add a NullHandler (alembic does) or set their own level (sqlalchemy does); we do neither.
emitting = [n for n, lg in loggers.items() if any(not isinstance(h, logging.NullHandler) for h in lg.handlers)]
assert not emitting, emitting
ours = [n for n, lg in loggers.items() if n.split(".")[0] == "database" and (lg.handlers or lg.level)]
assert not ours, ours
print("imported cleanly")
"""


def test_import_opens_no_connection_and_configures_no_logging(tmp_path: Path) -> None:
    # A listener on the configured port: any connection attempt at import would be queued here.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-c", IMPORT_CHECK],
            env=clean_env(DB_HOST="127.0.0.1", DB_PORT=str(port)), cwd=tmp_path,
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "imported cleanly"
        assert result.stderr == ""
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()


@pytest.fixture(params=["hangs up", "speaks HTTP"])
def not_postgres(request: pytest.FixtureRequest) -> Iterator[int]:
    """A port where another program listens: it closes at once, or answers like a web server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)  # closing a socket does not wake a blocked accept()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with client:
                if request.param == "speaks HTTP":
                    client.recv(64)
                    client.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_port_used_by_another_program(
    not_postgres: int, cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {"DB_HOST": "127.0.0.1", "DB_PORT": str(not_postgres), "DB_PASSWORD": WRONG_PASSWORD}
    expected = f"something answers at 127.0.0.1:{not_postgres}/thegreytutor but does not speak PostgreSQL"
    assert str(_probe_failure(values)).startswith(expected)

    # `server start` neither starts an embedded server over it nor pretends all is well.
    for key, value in values.items():
        cli_env.setenv(key, value)
    assert database.cli.main(["server", "start"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"error: {expected}") and err.count("\n") == 1
    assert WRONG_PASSWORD not in out + err
