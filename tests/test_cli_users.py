"""``create-user`` and ``reset-password`` through database.cli.main, on a committing database."""

from __future__ import annotations

import getpass
import io
import sys

import pytest
from sqlalchemy import select
from user_helpers import fast_settings

from database import connection as db_connection
from database import passwords
from database.api import DatabaseAPI
from database.cli import main
from database.models import User

PASSWORD = "s3cret correct horse"


class FakeTerminal(io.StringIO):
    """Standard input that claims to be a terminal (the prompts are answered by getpass below)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def cli_db(committed_db, monkeypatch: pytest.MonkeyPatch):
    """The CLI builds its own engine from the environment (DATABASE_URL is the test DB)."""
    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    db_connection.dispose_engine()  # forget cached settings: re-read BCRYPT_ROUNDS
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal unless a test says so
    yield committed_db
    db_connection.dispose_engine()


@pytest.fixture
def check_api(committed_db):
    with DatabaseAPI(committed_db, settings=fast_settings()) as api:
        yield api


class Prompts(list):
    """Answers for getpass, consumed in order; the prompts shown are recorded in ``asked``."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def __call__(self, prompt: str = "Password: ", stream=None) -> str:
        self.asked.append(prompt)
        if not self:
            raise EOFError
        return self.pop(0)


@pytest.fixture
def prompts(monkeypatch: pytest.MonkeyPatch) -> Prompts:
    """A terminal on standard input whose hidden prompts are answered from a list."""
    answers = Prompts()
    monkeypatch.setattr(getpass, "getpass", answers)
    monkeypatch.setattr(sys, "stdin", FakeTerminal(""))
    return answers


def stored_hash(engine, username: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(User.password_hash).where(User.username == username)).scalar_one()


def assert_no_secret(captured, *secrets: str) -> None:
    for stream in (captured.out, captured.err):
        assert "$2b$" not in stream and passwords.PREFIX not in stream
        for secret in secrets:
            assert secret not in stream


# --- create-user ------------------------------------------------------------------------------------


def test_create_user_password_stdin(cli_db, check_api, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code = main(
        [
            "create-user",
            "Zoë O'Brien",
            "--email",
            "zoe@example.org",
            "--name",
            "Zoë",
            "--role",
            "admin",
            "--password-stdin",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "created user" in captured.out and "Zoë O'Brien" in captured.out
    assert_no_secret(captured, PASSWORD)
    user = check_api.authenticate("Zoë O'Brien", PASSWORD)  # trailing newline was not part of it
    assert user is not None and user["role"] == "admin" and user["email"] == "zoe@example.org"
    assert user["name"] == "Zoë"
    assert passwords.cost(stored_hash(cli_db, "Zoë O'Brien")) == 4  # BCRYPT_ROUNDS from the environment


def test_create_user_password_on_argv_still_works_but_warns(cli_db, check_api, capsys) -> None:
    code = main(["create-user", "legacy-script", "--password", PASSWORD, "--role", "user"])
    captured = capsys.readouterr()
    assert code == 0
    assert "warning:" in captured.err and "visible" in captured.err and "history" in captured.err
    assert_no_secret(captured, PASSWORD)
    assert check_api.authenticate("legacy-script", PASSWORD) is not None


def test_create_user_prompts_twice_on_a_terminal(cli_db, check_api, capsys, prompts) -> None:
    prompts.extend([PASSWORD, PASSWORD])
    code = main(["create-user", "tty-user"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert len(prompts.asked) == 2 and "tty-user" in prompts.asked[0]
    assert_no_secret(captured, PASSWORD)
    assert check_api.authenticate("tty-user", PASSWORD) is not None


def test_create_user_prompt_mismatch_creates_nothing(cli_db, check_api, capsys, prompts) -> None:
    prompts.extend([PASSWORD, PASSWORD + "x"])
    assert main(["create-user", "typo"]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == "error: the passwords do not match; nothing was changed"
    assert check_api.get_user("typo") is None


def test_create_user_prompt_eof(cli_db, check_api, capsys, prompts) -> None:
    assert main(["create-user", "gave-up"]) == 1
    assert "error: no password entered" in capsys.readouterr().err
    assert check_api.get_user("gave-up") is None


def test_create_user_without_terminal_has_no_password(cli_db, check_api, capsys) -> None:
    code = main(["create-user", "imported"])
    captured = capsys.readouterr()
    assert code == 0
    assert "no password" in captured.out and "reset-password" in captured.out
    user = check_api.get_user("imported")
    assert user is not None and user["has_password"] is False


def test_create_user_short_password_is_an_error(cli_db, check_api, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["create-user", "shorty", "--password-stdin"]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == "error: password: must be at least 8 characters"
    assert_no_secret(captured, "short\n")
    assert check_api.get_user("shorty") is None


def test_create_user_empty_stdin_is_an_error(cli_db, check_api, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["create-user", "empty", "--password-stdin"]) == 1
    assert "error: no password on standard input" in capsys.readouterr().err
    assert check_api.get_user("empty") is None


def test_create_user_duplicate(cli_db, check_api, capsys) -> None:
    check_api.create_user("taken", email="first@example.org")
    assert main(["create-user", "taken", "--email", "second@example.org"]) == 1
    assert capsys.readouterr().err.strip() == "error: a user with this username already exists"
    assert check_api.get_user("taken")["email"] == "first@example.org"


def test_create_user_if_not_exists(cli_db, check_api, capsys, monkeypatch) -> None:
    check_api.create_user("taken", "old password", email="first@example.org")
    monkeypatch.setattr(sys, "stdin", io.StringIO("new password\n"))
    code = main(
        ["create-user", "taken", "--email", "second@example.org", "--password-stdin", "--if-not-exists"]
    )
    captured = capsys.readouterr()
    assert code == 0 and "already exists" in captured.out and "left unchanged" in captured.out
    assert check_api.get_user("taken")["email"] == "first@example.org"
    assert check_api.authenticate("taken", "old password") is not None
    # ... and a new user is created as usual with the flag.
    monkeypatch.setattr(sys, "stdin", io.StringIO("new password\n"))
    assert main(["create-user", "fresh", "--password-stdin", "--if-not-exists"]) == 0
    assert check_api.authenticate("fresh", "new password") is not None


@pytest.mark.parametrize(
    "argv",
    [
        ["create-user", "x", "--role", "root"],
        ["create-user", "x", "--password-stdin", "--password", "long enough"],
        ["create-user"],
        ["create-user", "x", "--bogus"],
    ],
)
def test_create_user_usage_errors(cli_db, check_api, capsys, argv: list[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err
    assert check_api.get_user("x") is None


@pytest.mark.parametrize(
    "username, message", [("", "username: must not be empty"), ("x" * 151, "username: must be at most 150")]
)
def test_create_user_bad_username(cli_db, capsys, username: str, message: str) -> None:
    assert main(["create-user", username]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


# --- reset-password ---------------------------------------------------------------------------------


def test_reset_password_from_stdin(cli_db, check_api, capsys, monkeypatch) -> None:
    check_api.create_user("rita", "old password")
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD))
    code = main(["reset-password", "rita", "--password-stdin"])
    captured = capsys.readouterr()
    assert code == 0 and "password of 'rita' changed" in captured.out
    assert_no_secret(captured, PASSWORD)
    assert check_api.authenticate("rita", "old password") is None
    assert check_api.authenticate("rita", PASSWORD) is not None


def test_reset_password_prompts_on_a_terminal(cli_db, check_api, capsys, prompts) -> None:
    check_api.create_user("sam")
    prompts.extend([PASSWORD, PASSWORD])
    assert main(["reset-password", "sam"]) == 0
    assert len(prompts.asked) == 2
    assert_no_secret(capsys.readouterr(), PASSWORD)
    assert check_api.authenticate("sam", PASSWORD) is not None


def test_reset_password_without_terminal_is_a_usage_error(cli_db, check_api, capsys) -> None:
    check_api.create_user("tia", "old password")
    assert main(["reset-password", "tia"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--password-stdin" in err
    assert check_api.authenticate("tia", "old password") is not None


def test_reset_password_missing_user(cli_db, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD))
    assert main(["reset-password", "nobody", "--password-stdin"]) == 1
    assert capsys.readouterr().err.strip() == "error: no user named 'nobody'"


def test_reset_password_too_short(cli_db, check_api, capsys, monkeypatch) -> None:
    check_api.create_user("uma", "old password")
    monkeypatch.setattr(sys, "stdin", io.StringIO("short"))
    assert main(["reset-password", "uma", "--password-stdin"]) == 1
    assert "error: password: must be at least 8 characters" in capsys.readouterr().err
    assert check_api.authenticate("uma", "old password") is not None


def test_reset_password_prompt_mismatch(cli_db, check_api, capsys, prompts) -> None:
    check_api.create_user("vic", "old password")
    prompts.extend(["first try!", "second try"])
    assert main(["reset-password", "vic"]) == 1
    assert "do not match" in capsys.readouterr().err
    assert check_api.authenticate("vic", "old password") is not None


def test_reset_password_does_not_accept_argv_passwords(cli_db, capsys) -> None:
    assert main(["reset-password", "x", "--password", PASSWORD]) == 2


# --- help ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command, words", [("create-user", "--password-stdin"), ("reset-password", "prompts")]
)
def test_help_has_text_and_an_example(capsys, command: str, words: str) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "example:" in out and words in out
    assert main(["--help"]) == 0
    assert command in capsys.readouterr().out
