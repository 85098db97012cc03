"""Settings: precedence, URL escaping, validation, and that no password ever shows."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from database.config import load_settings
from database.connection import make_engine
from database.errors import ConfigurationError, DatabaseError
from database.schema import head_revision
from database.server import EmbeddedServer

REPO = Path(__file__).resolve().parents[1]
# Every character that breaks a hand-built URL.
AWKWARD_PASSWORD = "p@ss:w/rd%40 #?&="


def write_env(path: Path, text_: str) -> Path:
    path.write_text(text_)
    return path


# --- precedence -------------------------------------------------------------------------------


def test_defaults_when_nothing_is_set() -> None:
    settings = load_settings({}, env_file=None)
    assert (settings.user, settings.password, settings.host, settings.port, settings.name) == (
        "thegreytutor", "thegreytutor", "localhost", 5432, "thegreytutor",
    )
    assert settings.database_url is None
    assert (settings.bcrypt_rounds, settings.pool_size, settings.max_overflow) == (12, 5, 10)
    assert settings.pgdata_dir == Path(".pgdata")
    assert settings.address == "localhost:5432/thegreytutor"
    assert settings.url.drivername == "postgresql+psycopg2"


def test_env_file_overrides_defaults(tmp_path: Path) -> None:
    env_file = write_env(
        tmp_path / ".env",
        "# comment line\nDB_USER=fromfile\nDB_PORT=6001\nDB_PASSWORD=\"quoted # not a comment\"\n",
    )
    settings = load_settings({}, env_file)
    assert settings.user == "fromfile"
    assert settings.port == 6001
    assert settings.password == "quoted # not a comment"
    assert settings.host == "localhost"  # untouched by the file: default


def test_environment_overrides_env_file(tmp_path: Path) -> None:
    env_file = write_env(tmp_path / ".env", "DB_USER=fromfile\nDB_PORT=6001\nDB_NAME=filedb\n")
    settings = load_settings({"DB_USER": "fromenv", "DB_NAME": "envdb"}, env_file)
    assert (settings.user, settings.port, settings.name) == ("fromenv", 6001, "envdb")


def test_unknown_variables_are_ignored(tmp_path: Path) -> None:
    env_file = write_env(tmp_path / ".env", "SOMETHING_ELSE=1\n")
    settings = load_settings({"PATH": "/bin", "HOME": "/root"}, env_file)
    assert settings == load_settings({}, env_file=None)


def test_database_url_wins_over_parts(tmp_path: Path) -> None:
    settings = load_settings(
        {"DATABASE_URL": "postgresql://urluser:urlpw@urlhost:7001/urldb", "DB_USER": "x", "DB_PORT": "1"},
        env_file=None,
    )
    url = settings.url
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "urluser", "urlpw", "urlhost", 7001, "urldb",
    )
    assert url.drivername == "postgresql+psycopg2"
    assert settings.address == "urlhost:7001/urldb"


def test_database_url_in_env_file_wins_over_parts_in_environment(tmp_path: Path) -> None:
    env_file = write_env(tmp_path / ".env", "DATABASE_URL=postgresql://a:b@filehost:7002/filedb\n")
    settings = load_settings({"DB_HOST": "envhost"}, env_file)
    assert settings.address == "filehost:7002/filedb"


def test_empty_database_url_in_environment_falls_back_to_parts(tmp_path: Path) -> None:
    # An empty value in the environment still wins over .env, and means "not set".
    env_file = write_env(tmp_path / ".env", "DATABASE_URL=postgresql://a:b@filehost:7002/filedb\n")
    settings = load_settings({"DATABASE_URL": "", "DB_HOST": "envhost"}, env_file)
    assert settings.address == "envhost:5432/thegreytutor"


def test_postgres_scheme_is_accepted() -> None:
    url = load_settings({"DATABASE_URL": "postgres://u:p@h:5433/d"}, env_file=None).url
    assert (url.drivername, url.host, url.port) == ("postgresql+psycopg2", "h", 5433)


def test_default_env_file_is_read_from_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_env(tmp_path / ".env", "DB_NAME=cwd_db\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).name == "cwd_db"


def test_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DB_NAME", "from_os_environ")
    assert load_settings(env_file=None).name == "from_os_environ"


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DB_PORT", "abc"),
        ("DB_PORT", ""),
        ("DB_PORT", "0"),
        ("DB_PORT", "65536"),
        ("BCRYPT_ROUNDS", "3"),
        ("BCRYPT_ROUNDS", "32"),
        ("BCRYPT_ROUNDS", "twelve"),
        ("DB_POOL_SIZE", "0"),
        ("DB_MAX_OVERFLOW", "-1"),
    ],
)
def test_invalid_numbers_are_configuration_errors(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_settings({variable: value}, env_file=None)
    assert variable in str(info.value)
    assert isinstance(info.value, DatabaseError)


def test_invalid_number_in_env_file_is_a_configuration_error(tmp_path: Path) -> None:
    env_file = write_env(tmp_path / ".env", "DB_PORT=54x32\n")
    with pytest.raises(ConfigurationError, match="DB_PORT"):
        load_settings({}, env_file)


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://u:secretpw@h/db",
        "sqlite:///x.db",
        "http://u:secretpw@h/db",
        "not a url secretpw",
        "postgresql://u:secretpw@h:notaport/db",
    ],
)
def test_non_postgres_or_broken_database_url_is_a_configuration_error(raw: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        load_settings({"DATABASE_URL": raw}, env_file=None)
    message = str(info.value)
    assert "DATABASE_URL" in message
    assert "secretpw" not in message
    # Nor the chained parser error (which quotes the URL) in a printed traceback.
    assert "secretpw" not in "".join(traceback.format_exception(info.value))


def test_valid_boundaries_are_accepted() -> None:
    settings = load_settings({"DB_PORT": "65535", "BCRYPT_ROUNDS": "4", "DB_MAX_OVERFLOW": "0"}, env_file=None)
    assert (settings.port, settings.bcrypt_rounds, settings.max_overflow) == (65535, 4, 0)


# --- passwords: escaping and masking ------------------------------------------------------------


def test_awkward_password_round_trips_through_url_parts() -> None:
    settings = load_settings({"DB_PASSWORD": AWKWARD_PASSWORD, "DB_HOST": "db.example"}, env_file=None)
    assert settings.url.password == AWKWARD_PASSWORD
    rendered = settings.url.render_as_string(hide_password=False)
    reparsed = make_url(rendered)
    assert reparsed.password == AWKWARD_PASSWORD
    assert (reparsed.host, reparsed.port, reparsed.database) == ("db.example", 5432, "thegreytutor")


def test_percent_encoded_password_in_database_url_is_decoded() -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://u:p%40ss%3Aw%2Frd%25@h/d"}, env_file=None)
    assert settings.url.password == "p@ss:w/rd%"
    assert settings.address == "h:5432/d"


@pytest.mark.parametrize("source", ["parts", "url"])
def test_password_never_in_safe_url_or_repr(source: str) -> None:
    password = "Sup3r-" + secrets.token_hex(6)
    if source == "parts":
        environ = {"DB_PASSWORD": password}
    else:
        environ = {"DATABASE_URL": f"postgresql://u:{password}@h/d", "DATABASE_READ_URL": f"postgresql://r:{password}@h/d"}
    settings = load_settings(environ, env_file=None)
    assert settings.url.password == password
    for shown in (settings.safe_url, repr(settings), str(settings), str(settings.url), repr(settings.url)):
        assert password not in shown
    assert "***" in settings.safe_url


@pytest.fixture(scope="module")
def awkward_server() -> Iterator[dict[str, str]]:
    """Settings (as environment variables) of a server whose user's password has @ : / % # ? & =.

    An embedded server of its own: the shared test server may be one where the test role cannot
    create roles, or sit behind PgBouncer, which only knows its own users.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environ = {
        "DATABASE_URL": "",
        "DB_USER": "awkward_owner",
        "DB_PASSWORD": AWKWARD_PASSWORD,
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(port),
        "DB_NAME": "awkward_db",
    }
    # Outside pytest's tmp tree: as root the server runs as the pgserver user, and a concurrent
    # pytest run resets /tmp/pytest-of-root to mode 0700.
    data_root = Path(tempfile.mkdtemp(prefix="greytutor-test-awkward-"))
    server = EmbeddedServer(load_settings(environ, env_file=None), data_root / "pgdata")
    try:
        server.start()
        yield environ
    finally:
        server.stop()
        shutil.rmtree(data_root, ignore_errors=True)


def test_awkward_password_actually_connects(awkward_server: dict[str, str]) -> None:
    settings = load_settings(awkward_server, env_file=None)
    assert settings.password == AWKWARD_PASSWORD
    # Once from the parts, once from the percent-encoded DATABASE_URL (as .env.example says).
    encoded = settings.url.render_as_string(hide_password=False)
    assert AWKWARD_PASSWORD not in encoded  # escaped, not pasted in
    for source in (settings, load_settings({"DATABASE_URL": encoded}, env_file=None)):
        probe_engine = make_engine(source, poolclass=NullPool)
        try:
            with probe_engine.connect() as conn:
                row = conn.execute(text("SELECT current_user, current_database()")).one()
        finally:
            probe_engine.dispose()
        assert tuple(row) == ("awkward_owner", "awkward_db")


def test_awkward_password_works_for_alembic_and_test_connection(
    awkward_server: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_"))}
    env.update(awkward_server, PYTHONPATH=str(REPO))
    head = head_revision()

    # The alembic command line (alembic.ini, env.py) reads the same settings.
    alembic = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(REPO / "alembic.ini"), "upgrade", "head"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert alembic.returncode == 0, alembic.stderr
    assert AWKWARD_PASSWORD not in alembic.stdout + alembic.stderr

    probe = subprocess.run(
        [sys.executable, "-m", "database.test_connection"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert f"migration revision: {head}" in probe.stdout
    assert "awkward_owner:***@127.0.0.1" in probe.stdout
    assert AWKWARD_PASSWORD not in probe.stdout + probe.stderr
