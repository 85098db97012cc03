"""DatabaseAPI logins: authenticate (dummy check, rehash, long/unicode passwords), set_password,
record_login."""

from __future__ import annotations

import uuid

import bcrypt
import pytest
from sqlalchemy import Connection, select, update
from user_helpers import FAST_ROUNDS, assert_user_shape, fast_settings

from database import passwords
from database.api import DatabaseAPI
from database.errors import NotFoundError, ValidationError
from database.models import User
from database.repositories import users as users_repo


@pytest.fixture
def api(connection: Connection):
    """The rolled-back test connection, with the cheapest bcrypt cost (unless a test sets one)."""
    with DatabaseAPI(connection, settings=fast_settings()) as instance:
        yield instance


def stored_hash(connection: Connection, username: str) -> str | None:
    return connection.execute(select(User.password_hash).where(User.username == username)).scalar_one()


# --- authenticate --------------------------------------------------------------------------------


@pytest.fixture
def checkpw_calls(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The hash every real bcrypt.checkpw call checks against."""
    calls: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", spy)
    return calls


def test_authenticate_success_records_the_login(api: DatabaseAPI) -> None:
    created = api.create_user("gina", "right password")
    user = api.authenticate("gina", "right password")
    assert user is not None
    assert_user_shape(user)
    assert user["id"] == created["id"] and user["last_login"] is not None
    assert user["updated_at"] == created["updated_at"]  # a login is not an edit
    assert api.get_user("gina")["last_login"] == user["last_login"]


def test_authenticate_wrong_password(api: DatabaseAPI, checkpw_calls: list[bytes]) -> None:
    api.create_user("hal", "right password")
    assert api.authenticate("hal", "wrong password") is None
    assert api.get_user("hal")["last_login"] is None
    assert len(checkpw_calls) == 1 and checkpw_calls[0].startswith(b"$2b$04$")


def test_authenticate_unknown_user_runs_bcrypt_at_the_configured_cost(
    connection: Connection, checkpw_calls: list[bytes]
) -> None:
    with DatabaseAPI(connection, settings=fast_settings(rounds=6)) as api:
        assert api.authenticate("ghost", "any password") is None
    assert len(checkpw_calls) == 1
    assert checkpw_calls[0] == passwords.dummy_hash(6)[len(passwords.PREFIX) :].encode()


def test_user_without_password_never_logs_in(api: DatabaseAPI, checkpw_calls: list[bytes]) -> None:
    api.create_user("imported student")
    for attempt in ("", "password", "None", "null", passwords.dummy_hash(FAST_ROUNDS)):
        assert api.authenticate("imported student", attempt) is None
    assert len(checkpw_calls) == 5  # every attempt did a full (dummy) bcrypt check
    assert api.get_user("imported student")["last_login"] is None


def test_authenticate_long_passwords_differing_after_byte_72(api: DatabaseAPI) -> None:
    prefix = "p" * 72
    api.create_user("long", prefix + "-one")
    assert api.authenticate("long", prefix + "-two") is None
    assert api.authenticate("long", prefix) is None
    assert api.authenticate("long", prefix + "-one") is not None


def test_authenticate_unicode_password(api: DatabaseAPI) -> None:
    api.create_user("Ünïcödé", "päss wörd 密码 🔑")
    assert api.authenticate("Ünïcödé", "päss wörd 密码 🔑") is not None
    assert api.authenticate("Ünïcödé", "pass word 密码 🔑") is None


def test_authenticate_rejects_non_string_password(api: DatabaseAPI) -> None:
    api.create_user("ivan", "right password")
    with pytest.raises(ValidationError) as info:
        api.authenticate("ivan", None)  # type: ignore[arg-type]
    assert info.value.field == "password"
    with pytest.raises(ValidationError) as info:
        api.authenticate("", "x")
    assert info.value.field == "username"


def test_low_cost_hash_is_upgraded_on_successful_login(connection: Connection) -> None:
    with DatabaseAPI(connection, settings=fast_settings(rounds=4)) as old:
        old.create_user("jane", "the password")
    assert passwords.cost(stored_hash(connection, "jane")) == 4
    with DatabaseAPI(connection, settings=fast_settings(rounds=5)) as api:
        assert api.authenticate("jane", "wrong password") is None
        assert passwords.cost(stored_hash(connection, "jane")) == 4  # only a success upgrades
        assert api.authenticate("jane", "the password") is not None
        upgraded = stored_hash(connection, "jane")
        assert passwords.cost(upgraded) == 5 and upgraded.startswith(passwords.PREFIX)
        assert api.authenticate("jane", "the password") is not None
        assert stored_hash(connection, "jane") == upgraded  # no rehash once at the configured cost


def test_hash_written_directly_at_low_cost_is_upgraded(api: DatabaseAPI, connection: Connection) -> None:
    api.create_user("kim")
    connection.execute(
        update(User).where(User.username == "kim").values(password_hash=passwords.rehash("kim's password", 4))
    )
    with DatabaseAPI(connection, settings=fast_settings(rounds=5)) as api5:
        assert api5.authenticate("kim", "kim's password") is not None
    assert passwords.cost(stored_hash(connection, "kim")) == 5


def test_login_update_is_compare_and_set_on_the_checked_hash(
    api: DatabaseAPI, connection: Connection
) -> None:
    user = api.create_user("lee", "first password")
    checked = stored_hash(connection, "lee")
    api.set_password("lee", "second password")  # changed between the check and the update
    assert users_repo.record_login(connection, uuid.UUID(user["id"]), expected_hash=checked) is None
    assert api.get_user("lee")["last_login"] is None


# --- set_password / record_login ------------------------------------------------------------------


def test_set_password(api: DatabaseAPI) -> None:
    api.create_user("mia", "old password")
    assert api.set_password("mia", "new password") is True
    assert api.authenticate("mia", "old password") is None
    assert api.authenticate("mia", "new password") is not None


def test_set_password_none_disables_login(api: DatabaseAPI) -> None:
    api.create_user("ned", "old password")
    assert api.set_password("ned", None) is True
    assert api.get_user("ned")["has_password"] is False
    assert api.authenticate("ned", "old password") is None


def test_set_password_gives_a_user_without_one_a_login(api: DatabaseAPI) -> None:
    api.create_user("olga")
    api.set_password("olga", "brand new pw")
    assert api.authenticate("olga", "brand new pw")["username"] == "olga"


def test_set_password_errors(api: DatabaseAPI) -> None:
    with pytest.raises(NotFoundError):
        api.set_password("nobody", "long enough")
    api.create_user("pat", "old password")
    with pytest.raises(ValidationError) as info:
        api.set_password("pat", "short")
    assert info.value.field == "password"
    assert api.authenticate("pat", "old password") is not None


def test_record_login(api: DatabaseAPI) -> None:
    created = api.create_user("quinn")
    user = api.record_login("quinn")
    assert_user_shape(user)
    assert user["last_login"] is not None and user["updated_at"] == created["updated_at"]
    with pytest.raises(NotFoundError):
        api.record_login("nobody")
    with pytest.raises(ValidationError):
        api.record_login("")
