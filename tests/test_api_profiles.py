"""DatabaseAPI profiles: read, partial update (merge vs replace), errors, budget, concurrent merges."""

from __future__ import annotations

import copy
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Connection, delete, select
from user_helpers import fast_settings

from database.api import DatabaseAPI
from database.errors import ValidationError
from database.models import User, UserProfile

PROFILE_KEYS = {
    "user_id",
    "community_mastery",
    "entity_familiarity",
    "question_type_performance",
    "difficulty_performance",
    "overall_mastery",
    "mastered_objectives",
    "current_objective",
    "recent_questions",
    "last_updated",
    "metadata",
}


@pytest.fixture
def api(connection: Connection):
    with DatabaseAPI(connection, settings=fast_settings()) as instance:
        yield instance


def test_new_user_has_an_empty_profile(api: DatabaseAPI) -> None:
    user = api.create_user("Zoë O'Brien")
    profile = api.get_user_profile("Zoë O'Brien")
    assert set(profile) == PROFILE_KEYS
    assert profile["user_id"] == user["id"]
    assert profile == {
        **profile,
        "community_mastery": {},
        "entity_familiarity": {},
        "question_type_performance": {},
        "difficulty_performance": {},
        "overall_mastery": None,
        "mastered_objectives": [],
        "current_objective": None,
        "recent_questions": [],
        "metadata": {},
    }
    assert datetime.fromisoformat(profile["last_updated"]).utcoffset() is not None


def test_get_user_profile_missing_user_is_none(api: DatabaseAPI) -> None:
    assert api.get_user_profile("nobody") is None
    with pytest.raises(ValidationError) as info:
        api.get_user_profile("")
    assert info.value.field == "username"


def test_update_merges_dicts_and_replaces_the_rest(api: DatabaseAPI) -> None:
    api.create_user("ann")
    first = {
        "community_mastery": {"1": 0.5, "2": 0.25},
        "entity_familiarity": {"Gandalf": 3},
        "question_type_performance": {"mcq": {"correct": 1, "total": 2}},
        "difficulty_performance": {"1": {"correct": 1, "total": 1}},
        "overall_mastery": 40,
        "mastered_objectives": ["obj-1"],
        "current_objective": "obj-2",
        "recent_questions": [{"text": "Who is Frodo?"}],
        "metadata": {"source": "quiz"},
    }
    assert api.update_user_profile("ann", first) is True
    second = {
        "community_mastery": {"2": 0.75, "None": 0.1},
        "question_type_performance": {"mcq": {"correct": 2, "total": 3}},
        "mastered_objectives": ["obj-2"],
        "recent_questions": [],
        "current_objective": None,
        "metadata": {"client": "web"},
    }
    assert api.update_user_profile("ann", second) is True
    profile = api.get_user_profile("ann")
    assert profile["community_mastery"] == {"1": 0.5, "2": 0.75, "None": 0.1}
    assert profile["entity_familiarity"] == {"Gandalf": 3}  # not given: kept
    assert profile["question_type_performance"] == {
        "mcq": {"correct": 2, "total": 3}
    }  # top-level key replaced
    assert profile["difficulty_performance"] == {"1": {"correct": 1, "total": 1}}
    assert profile["overall_mastery"] == 40.0  # not given: kept
    assert profile["mastered_objectives"] == ["obj-2"]  # list: replaced
    assert profile["recent_questions"] == []
    assert profile["current_objective"] is None
    assert profile["metadata"] == {"source": "quiz", "client": "web"}


def test_update_sets_last_updated(api: DatabaseAPI) -> None:
    api.create_user("ben")
    historic = datetime(2023, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert api.update_user_profile("ben", {"overall_mastery": 1.5, "last_updated": historic})
    assert datetime.fromisoformat(api.get_user_profile("ben")["last_updated"]) == historic
    assert api.update_user_profile("ben", {})
    assert datetime.fromisoformat(api.get_user_profile("ben")["last_updated"]) > historic


def test_update_missing_user_is_false(api: DatabaseAPI, connection: Connection) -> None:
    assert api.update_user_profile("nobody", {"overall_mastery": 1}) is False
    assert connection.execute(select(UserProfile.user_id)).all() == []


def test_update_does_not_touch_the_callers_dict(api: DatabaseAPI) -> None:
    api.create_user("cat")
    data = {"community_mastery": {"1": 0.5}, "recent_questions": [{"q": 1}]}
    original = copy.deepcopy(data)
    api.update_user_profile("cat", data)
    assert data == original
    data["community_mastery"]["1"] = 0.0
    data["recent_questions"].append({"q": 2})
    profile = api.get_user_profile("cat")
    assert profile["community_mastery"] == {"1": 0.5} and profile["recent_questions"] == [{"q": 1}]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"bogus": 1}, "data.bogus"),
        ({"community_mastery": {}, "password_hash": "x"}, "data.password_hash"),
        ({"user_id": "x"}, "data.user_id"),
        (["not", "a", "dict"], "data"),
        ({"community_mastery": [1, 2]}, "community_mastery"),
        ({"entity_familiarity": "Gandalf"}, "entity_familiarity"),
        ({"community_mastery": {"k\x00": 1}}, "community_mastery"),
        ({"community_mastery": {"1": float("inf")}}, "community_mastery"),
        ({"community_mastery": {1: 0.5}}, "community_mastery"),
        ({"overall_mastery": "high"}, "overall_mastery"),
        ({"overall_mastery": float("nan")}, "overall_mastery"),
        ({"overall_mastery": True}, "overall_mastery"),
        ({"mastered_objectives": {"a": 1}}, "mastered_objectives"),
        ({"mastered_objectives": "obj"}, "mastered_objectives"),
        ({"recent_questions": [{"text": "nul\x00"}]}, "recent_questions"),
        ({"current_objective": 5}, "current_objective"),
        ({"current_objective": "a\x00b"}, "current_objective"),
        ({"last_updated": "yesterday"}, "last_updated"),
        ({"last_updated": datetime(2024, 1, 1)}, "last_updated"),
        ({"metadata": [1]}, "metadata"),
    ],
)
def test_update_rejects_bad_input_naming_the_field(api: DatabaseAPI, data: object, field: str) -> None:
    api.create_user("dan")
    before = api.get_user_profile("dan")
    with pytest.raises(ValidationError) as info:
        api.update_user_profile("dan", data)  # type: ignore[arg-type]
    assert info.value.field == field
    assert api.get_user_profile("dan") == before


def test_update_bad_username(api: DatabaseAPI) -> None:
    with pytest.raises(ValidationError) as info:
        api.update_user_profile("x" * 151, {})
    assert info.value.field == "username"


def test_user_without_profile_row(api: DatabaseAPI, connection: Connection) -> None:
    # Users written by other tools may lack the row: reads show the empty profile, writes create it.
    user = api.create_user("eli")
    connection.execute(delete(UserProfile))
    profile = api.get_user_profile("eli")
    assert profile["user_id"] == user["id"] and profile["community_mastery"] == {}
    assert profile["last_updated"] is None and profile["mastered_objectives"] == []
    assert api.update_user_profile("eli", {"community_mastery": {"3": 1.0}, "mastered_objectives": ["m"]})
    profile = api.get_user_profile("eli")
    assert profile["community_mastery"] == {"3": 1.0} and profile["mastered_objectives"] == ["m"]
    assert profile["entity_familiarity"] == {} and profile["last_updated"] is not None


def test_update_is_one_statement(api: DatabaseAPI, count_statements) -> None:
    api.create_user("fay")
    count_statements.statements.clear()
    api.update_user_profile(
        "fay", {"community_mastery": {"1": 0.1}, "overall_mastery": 3, "recent_questions": [1]}
    )
    real = [s for s in count_statements.statements if "SAVEPOINT" not in s]
    assert len(real) == 1 and real[0].lstrip().startswith("INSERT INTO user_profiles")
    count_statements.statements.clear()
    api.get_user_profile("fay")
    assert len([s for s in count_statements.statements if "SAVEPOINT" not in s]) == 1


def test_update_on_a_real_engine_is_one_statement_and_advances_last_updated(
    committed_db, count_statements
) -> None:
    with DatabaseAPI(committed_db, settings=fast_settings()) as api:
        api.create_user("gus")
        before = api.get_user_profile("gus")["last_updated"]
        count_statements.statements.clear()
        assert api.update_user_profile("gus", {"entity_familiarity": {"Sam": 1}}) is True
        assert count_statements.count == 1
        after = api.get_user_profile("gus")
        assert after["entity_familiarity"] == {"Sam": 1} and after["last_updated"] > before


@pytest.mark.reliability
def test_concurrent_updates_of_different_keys_all_survive(committed_db) -> None:
    threads_n, rounds = 8, 10
    with DatabaseAPI(committed_db, settings=fast_settings()) as api:
        api.create_user("hal")
        barrier = threading.Barrier(threads_n)
        errors: list[BaseException] = []

        def writer(index: int) -> None:
            try:
                barrier.wait(timeout=30)
                for step in range(rounds):
                    api.update_user_profile(
                        "hal",
                        {
                            "community_mastery": {f"c{index}-{step}": step},
                            "entity_familiarity": {f"e{index}": step},
                        },
                    )
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads_n)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert errors == []
        profile = api.get_user_profile("hal")
    assert profile["community_mastery"] == {f"c{i}-{s}": s for i in range(threads_n) for s in range(rounds)}
    assert profile["entity_familiarity"] == {f"e{i}": rounds - 1 for i in range(threads_n)}
    with committed_db.connect() as conn:
        assert conn.execute(select(User.username)).scalars().all() == ["hal"]
