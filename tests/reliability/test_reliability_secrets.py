"""No password or password hash in any log line, CLI output, exception message, traceback or repr.

Logging is captured at DEBUG for the ``sqlalchemy`` and ``database`` loggers with the engine's
echo on (statements, parameters and result rows), which is how an operator debugging a problem
would run it.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import traceback
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from database import AlreadyExistsError, DatabaseUnavailableError, ValidationError
from database import connection as db_connection
from database.api import DatabaseAPI
from database.config import load_settings
from database.connection import make_engine
from database.models import User

pytestmark = pytest.mark.reliability


def _secrets_of(engine, *passwords: str) -> list[str]:  # noqa: ANN001
    """The passwords, every stored hash, and the hashes' distinctive tails (salt + checksum)."""
    with engine.connect() as conn:
        hashes = [
            h
            for (h,) in conn.execute(text("SELECT password_hash FROM users WHERE password_hash IS NOT NULL"))
        ]
    assert hashes, "the scenario should have stored hashes"
    return [*passwords, *hashes, *(h[-53:] for h in hashes)]


# Any bcrypt hash, also one that was never stored (e.g. made for a rejected duplicate user).
BCRYPT_HASH = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")


def _assert_absent(where: str, output: str, secret_values: list[str]) -> None:
    for value in secret_values:
        assert value not in output, f"a password or hash appears in {where}"
    found = BCRYPT_HASH.search(output)
    assert found is None, (
        f"a bcrypt hash appears in {where}: ...{output[max(0, found.start() - 80) : found.end()]}"
    )


@pytest.fixture
def quick_settings(committed_db):  # noqa: ANN001
    """Settings of the test database with a cheap bcrypt cost (the scenario hashes often)."""
    url = committed_db.url.render_as_string(hide_password=False)
    return load_settings({"DATABASE_URL": url, "BCRYPT_ROUNDS": "5"}, env_file=None)


def test_no_secret_in_debug_logs_with_echo(quick_settings, committed_db, caplog, capsys) -> None:  # noqa
    first, second, wrong = (f"Pw-{secrets.token_hex(8)}" for _ in range(3))
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    caplog.set_level(logging.DEBUG, logger="database")
    engine = make_engine(quick_settings, echo="debug")
    try:
        with DatabaseAPI(engine, settings=quick_settings) as api:
            api.create_user("log watcher", password=first, email="w@example.org")
            assert api.authenticate("log watcher", first) is not None
            assert api.authenticate("log watcher", wrong) is None
            assert api.authenticate("nobody here", wrong) is None
            api.set_password("log watcher", second)
            assert api.authenticate("log watcher", second) is not None
            with pytest.raises(AlreadyExistsError):
                api.create_user("log watcher", password=first)
        # A login at a higher configured cost rehashes: the new hash is written, never logged.
        stronger = load_settings(
            {"DATABASE_URL": quick_settings.url.render_as_string(hide_password=False), "BCRYPT_ROUNDS": "6"},
            env_file=None,
        )
        with DatabaseAPI(engine, settings=stronger) as api:
            assert api.authenticate("log watcher", second) is not None
    finally:
        engine.dispose()
    captured = capsys.readouterr()
    logged = caplog.text  # before _secrets_of, whose own query would be logged too
    caplog.set_level(logging.WARNING, logger="sqlalchemy")
    assert "INSERT INTO users" in logged + captured.out, "echo should have logged the statements"
    hidden = _secrets_of(committed_db, first, second, wrong)
    _assert_absent("the log records", logged, hidden)
    _assert_absent("echo's output", captured.out + captured.err, hidden)


def test_no_secret_in_exceptions_tracebacks_or_reprs(quick_settings, committed_db) -> None:  # noqa: ANN001
    # Generated, never literals: a traceback quotes source lines, and a literal there would be
    # found by the check below without any leak.
    password, too_short = f"Pw-{secrets.token_hex(8)}", secrets.token_hex(3)
    with DatabaseAPI(settings=quick_settings) as api:
        user = api.create_user("exceptional", password=password)
        with pytest.raises(AlreadyExistsError) as duplicate:
            api.create_user("exceptional", password=password)
        with pytest.raises(ValidationError) as short:
            api.create_user("too short", password=too_short)
        with pytest.raises(ValidationError) as nul:
            api.set_password("exceptional", "nul\x00" + password)
        api_repr = repr(api)
    assert "password_hash" not in user
    hidden = _secrets_of(committed_db, password, too_short, "nul\x00" + password)
    for info in (duplicate, short, nul):
        # The whole chain as logger.exception() would print it, driver errors included.
        rendered = "".join(traceback.format_exception(info.value))
        _assert_absent(f"the {type(info.value).__name__} traceback", rendered + repr(info.value), hidden)

    with db_connection.get_sessionmaker(committed_db)() as session:
        model = session.query(User).filter_by(username="exceptional").one()
        assert model.password_hash
        _assert_absent("User.__repr__", repr(model) + str(model), hidden)

    db_password = quick_settings.url.password
    settings_text = repr(quick_settings) + str(quick_settings) + quick_settings.safe_url
    _assert_absent("Settings/DatabaseAPI repr", settings_text + api_repr, [db_password, *hidden])


def test_a_rejected_database_login_does_not_echo_the_password(committed_db) -> None:  # noqa: ANN001
    wrong = f"wrong-{secrets.token_hex(8)}"
    url = make_url(committed_db.url.render_as_string(hide_password=False)).set(password=wrong)
    settings = load_settings({"DATABASE_URL": url.render_as_string(hide_password=False)}, env_file=None)
    with DatabaseAPI(settings=settings) as api:
        with pytest.raises(DatabaseUnavailableError) as info:
            api.get_user("anyone")
        rendered = "".join(traceback.format_exception(info.value)) + repr(api)
    assert wrong not in rendered


@pytest.fixture
def cli_env(monkeypatch, committed_db) -> Iterator[None]:  # noqa: ANN001
    """The CLI reads the same test database from the environment, with a cheap bcrypt cost."""
    monkeypatch.setenv("BCRYPT_ROUNDS", "5")
    db_connection.dispose_engine()
    yield
    db_connection.dispose_engine()


def _cli(argv: list[str], capsys, monkeypatch, stdin: str = "") -> str:  # noqa: ANN001
    from database.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, f"{argv[0]} failed: {err}"
    return out + err


def _admin(argv: list[str], capsys) -> str:  # noqa: ANN001
    from database.admin import main

    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 0, f"{argv[0]} failed: {err}"
    return out + err


def test_no_secret_in_cli_output(cli_env, committed_db, capsys, monkeypatch) -> None:  # noqa: ANN001
    first, second, on_argv = (f"Pw-{secrets.token_hex(8)}" for _ in range(3))
    outputs = {
        "create-user --password-stdin": _cli(
            ["create-user", "cli person", "--password-stdin"], capsys, monkeypatch, first + "\n"
        ),
        "create-user --password": _cli(
            ["create-user", "old script", "--password", on_argv, "--role", "user"], capsys, monkeypatch
        ),
        "reset-password": _cli(
            ["reset-password", "cli person", "--password-stdin"], capsys, monkeypatch, second
        ),
        "status": _cli(["status"], capsys, monkeypatch),
        "server status": _cli(["server", "status"], capsys, monkeypatch),
        "list-users": _cli(["list-users"], capsys, monkeypatch),
        "list-users --json": _cli(["list-users", "--json"], capsys, monkeypatch),
        "export-user": _cli(["export-user", "cli person"], capsys, monkeypatch),
        "show-user": _admin(["show-user", "cli person"], capsys),
        "show-user --json": _admin(["show-user", "cli person", "--json"], capsys),
        "admin list-users --json": _admin(["list-users", "--json"], capsys),
    }
    assert "created user 'cli person'" in outputs["create-user --password-stdin"]
    assert "cli person" in outputs["export-user"] and "cli person" in outputs["show-user --json"]
    db_password = db_connection.get_settings().url.password
    hidden = _secrets_of(committed_db, first, second, on_argv)
    for command, output in outputs.items():
        _assert_absent(f"the output of {command}", output, [*hidden, db_password])
