"""DatabaseAPI users: create/get/list/delete, returned shape, statement budgets, the process race.

Logins and passwords: test_api_authenticate.py."""

from __future__ import annotations

import copy
import multiprocessing
import queue
import uuid

import pytest
from sqlalchemy import Connection, func, select, text
from user_helpers import FAST_ROUNDS, add_quiz, assert_user_shape, fast_settings, race_create_user

from database import passwords
from database.api import DatabaseAPI
from database.errors import AlreadyExistsError, NotFoundError, ValidationError
from database.models import Answer, Conversation, Message, Question, User, UserProfile, UserSession


@pytest.fixture
def api(connection: Connection):
    """The rolled-back test connection, with the cheapest bcrypt cost (cost is not under test)."""
    with DatabaseAPI(connection, settings=fast_settings()) as instance:
        yield instance


@pytest.fixture
def fast_committed_api(committed_db):
    with DatabaseAPI(committed_db, settings=fast_settings()) as instance:
        yield instance


def stored_hash(connection: Connection, username: str) -> str | None:
    return connection.execute(select(User.password_hash).where(User.username == username)).scalar_one()


# --- create_user / get_user -------------------------------------------------------------------


def test_create_user_returns_the_user_and_stores_it(api: DatabaseAPI, connection: Connection) -> None:
    metadata = {"source": "signup", "tags": ["a", "b"]}
    original = copy.deepcopy(metadata)
    user = api.create_user(
        "alice", "password-1", email="alice@example.org", name="Alice", role="admin", metadata=metadata
    )
    assert_user_shape(user)
    assert user["username"] == "alice"
    assert (user["email"], user["name"], user["role"]) == ("alice@example.org", "Alice", "admin")
    assert user["has_password"] is True and user["last_login"] is None
    assert user["metadata"] == original
    assert metadata == original  # caller's dict untouched
    metadata["tags"].append("c")
    assert api.get_user("alice") == user  # and not shared with what was stored
    stored = stored_hash(connection, "alice")
    assert stored is not None and stored.startswith(passwords.PREFIX)
    assert passwords.verify("password-1", stored, FAST_ROUNDS)


def test_create_user_makes_an_empty_profile_in_the_same_statement(
    api: DatabaseAPI, connection: Connection, count_statements
) -> None:
    user = api.create_user("bob")
    real = [s for s in count_statements.statements if "SAVEPOINT" not in s]
    assert len(real) == 1
    profile = connection.execute(
        select(
            UserProfile.community_mastery, UserProfile.mastered_objectives, UserProfile.last_updated
        ).where(UserProfile.user_id == uuid.UUID(user["id"]))
    ).one()
    assert profile.community_mastery == {} and profile.mastered_objectives == []
    assert profile.last_updated is not None
    assert user["has_password"] is False and user["role"] == "user" and user["email"] is None


def test_user_without_profile_rollback_leaves_nothing(api: DatabaseAPI, connection: Connection) -> None:
    with pytest.raises(ValidationError):
        api.create_user("carol", "short")
    assert api.get_user("carol") is None
    assert connection.execute(select(func.count()).select_from(UserProfile)).scalar_one() == 0


@pytest.mark.parametrize(
    "username",
    [
        "Zoë O'Brien",
        "student with spaces",
        "  leading and trailing  ",
        "学生一号",
        "Ŧħë Ġřëý",
        "o'neil-'quotes'\"",
        "x" * 150,
    ],
)
def test_usernames_are_kept_exactly(api: DatabaseAPI, username: str) -> None:
    created = api.create_user(username)
    assert created["username"] == username
    fetched = api.get_user(username)
    assert fetched is not None and fetched["username"] == username and fetched["id"] == created["id"]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"username": ""}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"username": "nul\x00name"}, "username"),
        ({"username": "line\nbreak"}, "username"),
        ({"username": 42}, "username"),
        ({"username": None}, "username"),
        ({"username": "ok", "role": "root"}, "role"),
        ({"username": "ok", "role": None}, "role"),
        ({"username": "ok", "email": "a\x00@b"}, "email"),
        ({"username": "ok", "email": 5}, "email"),
        ({"username": "ok", "email": "a" * 321}, "email"),
        ({"username": "ok", "name": "Al\x00ice"}, "name"),
        ({"username": "ok", "name": ["Alice"]}, "name"),
        ({"username": "ok", "password": "seven77"}, "password"),
        ({"username": "ok", "password": "pass\x00word"}, "password"),
        ({"username": "ok", "password": 12345678}, "password"),
        ({"username": "ok", "metadata": ["not", "a", "dict"]}, "metadata"),
        ({"username": "ok", "metadata": {"k": "nul\x00"}}, "metadata"),
        ({"username": "ok", "metadata": {"k": float("nan")}}, "metadata"),
    ],
)
def test_create_user_rejects_bad_input_naming_the_field(api: DatabaseAPI, kwargs: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        api.create_user(**kwargs)
    assert info.value.field == field
    assert api.list_users() == []


def test_duplicate_username_is_already_exists(api: DatabaseAPI) -> None:
    first = api.create_user("dup", email="first@example.org")
    with pytest.raises(AlreadyExistsError, match="already exists"):
        api.create_user("dup", "password-2", email="second@example.org")
    assert api.get_user("dup") == first


def test_get_user_missing_is_none(api: DatabaseAPI) -> None:
    assert api.get_user("nobody") is None


def test_get_user_by_id(api: DatabaseAPI) -> None:
    user = api.create_user("eve")
    assert api.get_user_by_id(user["id"]) == user
    assert api.get_user_by_id(uuid.UUID(user["id"])) == user
    assert api.get_user_by_id(str(uuid.uuid4())) is None
    for bad in ("not-a-uuid", 17, None):
        with pytest.raises(ValidationError) as info:
            api.get_user_by_id(bad)
        assert info.value.field == "user_id"


def test_get_user_never_exposes_the_hash(api: DatabaseAPI) -> None:
    api.create_user("frank", "password-3")
    user = api.get_user("frank")
    assert user is not None and "password_hash" not in user and user["has_password"] is True
    assert "password_hash" not in repr(User(username="x", password_hash="secret-hash"))


# --- list_users -----------------------------------------------------------------------------------


def test_list_users_keyset_paging(api: DatabaseAPI) -> None:
    names = [f"user{i:02d}" for i in range(7)]
    for name in reversed(names):
        api.create_user(name)
    first = api.list_users(limit=3)
    assert [u["username"] for u in first] == names[:3]
    for user in first:
        assert_user_shape(user)
    second = api.list_users(limit=3, after=first[-1]["username"])
    assert [u["username"] for u in second] == names[3:6]
    third = api.list_users(limit=3, after=second[-1]["username"])
    assert [u["username"] for u in third] == names[6:]
    assert api.list_users(limit=3, after=third[-1]["username"]) == []
    # The token need not exist any more.
    assert [u["username"] for u in api.list_users(after="user02x")] == names[3:]
    assert len(api.list_users()) == 7


@pytest.mark.parametrize("limit", [0, -1, "5", True, 1.5, 10_001])
def test_list_users_bad_limit(api: DatabaseAPI, limit: object) -> None:
    with pytest.raises(ValidationError) as info:
        api.list_users(limit=limit)  # type: ignore[arg-type]
    assert info.value.field == "limit"


def test_list_users_bad_after(api: DatabaseAPI) -> None:
    with pytest.raises(ValidationError) as info:
        api.list_users(after=5)  # type: ignore[arg-type]
    assert info.value.field == "after"


# --- delete_user ----------------------------------------------------------------------------------


def _row_counts(connection: Connection) -> dict[str, int]:
    return {
        model.__tablename__: connection.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (User, UserProfile, UserSession, Conversation, Message, Question, Answer)
    }


def test_delete_user_reports_and_removes_everything(api: DatabaseAPI, connection: Connection) -> None:
    user = api.create_user("rita", "password-r")
    keep = api.create_user("sam")
    session = api.create_session("rita", {"strategy": "adaptive"})
    api.create_session("rita", {})
    add_quiz(connection, uuid.UUID(user["id"]), (True, False, None), session_id=uuid.UUID(session["id"]))
    add_quiz(connection, uuid.UUID(user["id"]), (True,))
    add_quiz(connection, uuid.UUID(keep["id"]), (False,))
    before = _row_counts(connection)

    counts = api.delete_user("rita")

    assert counts == {
        "conversations": 2,
        "messages": 8,
        "questions": 4,
        "answers": 4,
        "sessions": 2,
        "profile": 1,
    }
    after = _row_counts(connection)
    assert before["users"] - after["users"] == 1
    assert before["messages"] - after["messages"] == 8 and after["messages"] == 2
    assert before["questions"] - after["questions"] == 4 and before["answers"] - after["answers"] == 4
    assert after["user_sessions"] == 0 and after["user_profiles"] == 1 and after["conversations"] == 1
    assert api.get_user("rita") is None and api.get_user("sam") == keep


def test_delete_user_missing_and_bad(api: DatabaseAPI) -> None:
    with pytest.raises(NotFoundError):
        api.delete_user("nobody")
    with pytest.raises(ValidationError):
        api.delete_user("x" * 151)


@pytest.mark.parametrize("conversations", [1, 20])
def test_delete_user_statement_count_does_not_grow(
    api: DatabaseAPI, connection: Connection, count_statements, conversations: int
) -> None:
    user = api.create_user("tom")
    for _ in range(conversations):
        add_quiz(connection, uuid.UUID(user["id"]), (True, False))
    count_statements.statements.clear()
    counts = api.delete_user("tom")
    assert counts["conversations"] == conversations and counts["messages"] == 4 * conversations
    real = [s for s in count_statements.statements if "SAVEPOINT" not in s]
    assert len(real) == 3  # lock, count, delete


# --- statement budgets on a real (committing) engine ------------------------------------------------


def test_single_row_calls_are_single_statements(fast_committed_api: DatabaseAPI, count_statements) -> None:
    api = fast_committed_api
    api.get_user("warm-up")  # the first checkout of the engine is not what is measured
    count_statements.statements.clear()
    api.create_user("uma", "password-u")
    assert count_statements.count == 1
    count_statements.statements.clear()
    assert api.get_user("uma")["username"] == "uma"
    assert count_statements.count == 1
    count_statements.statements.clear()
    assert api.authenticate("uma", "password-u") is not None
    assert count_statements.count == 2  # read the hash; record the login (bcrypt runs in between)
    count_statements.statements.clear()
    assert api.authenticate("ghost", "password-u") is None
    assert count_statements.count == 1
    count_statements.statements.clear()
    api.set_password("uma", "password-v")
    api.record_login("uma")
    api.list_users(limit=10)
    assert count_statements.count == 3
    count_statements.statements.clear()
    api.delete_user("uma")
    assert [s.split()[0] for s in count_statements.statements] == ["SELECT", "SELECT", "DELETE"]


def test_committed_create_and_delete_really_persist(fast_committed_api: DatabaseAPI, committed_db) -> None:
    fast_committed_api.create_user("vic", "password-v")
    with committed_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_profiles")).scalar_one() == 1
    assert fast_committed_api.delete_user("vic")["profile"] == 1
    with committed_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


# --- two processes race for one username ------------------------------------------------------------


@pytest.mark.reliability
def test_two_processes_creating_one_username(committed_db) -> None:
    ctx = multiprocessing.get_context("spawn")
    names = [f"racer {i}" for i in range(5)]
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    workers = [ctx.Process(target=race_create_user, args=(names, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes: list[tuple[str, str]] = []
    try:
        for _ in range(2 * len(names)):
            outcomes.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail(f"workers did not report; got {outcomes}")
    finally:
        for worker in workers:
            worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0, 0]
    for name in names:
        mine = sorted(outcome for n, outcome in outcomes if n == name)
        assert mine == ["created", "exists"], (name, mine)
    with committed_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == len(names)
        assert conn.execute(text("SELECT count(*) FROM user_profiles")).scalar_one() == len(names)
