"""DatabaseAPI cache: get (hit counting, expiry), set (upsert, ttl), delete, purge, clear, stats."""

from __future__ import annotations

import copy
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from database import ValidationError

ENTRY_KEYS = {"cache_type", "key", "value", "created_at", "last_accessed", "access_count", "expires_at"}


def aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, value
    return parsed


def expire(connection, cache_type: str, key: str) -> None:
    """Move an entry's expiry into the past (in a test transaction now() does not advance)."""
    connection.execute(
        text(
            "UPDATE cache_entries SET expires_at = now() - interval '1 second' "
            "WHERE cache_type = :t AND key = :k"
        ),
        {"t": cache_type, "k": key},
    )


def test_set_then_get_counts_hits(api, connection):
    value = {"question": "Who bore the Ring?", "options": ["Frodo", "Sam"], "difficulty": 2}
    saved = copy.deepcopy(value)

    stored = api.set_cache("question", "multiple_choice_Frodo Baggins_2", value)

    assert value == saved
    assert set(stored) == ENTRY_KEYS
    assert stored["value"] == value and stored["access_count"] == 0 and stored["expires_at"] is None
    db_now = connection.execute(text("SELECT now()")).scalar_one()
    assert aware(stored["created_at"]) == db_now == aware(stored["last_accessed"])
    connection.execute(text("UPDATE cache_entries SET last_accessed = now() - interval '1 day'"))

    first = api.get_cache("question", "multiple_choice_Frodo Baggins_2")
    second = api.get_cache("question", "multiple_choice_Frodo Baggins_2")

    assert set(first) == ENTRY_KEYS and first["value"] == value
    assert (first["access_count"], second["access_count"]) == (1, 2)
    assert aware(first["last_accessed"]) == db_now  # the hit moved it forward again
    row = connection.execute(text("SELECT access_count FROM cache_entries")).scalar_one()
    assert row == 2


def test_miss_returns_none_and_counts_nothing(api, connection):
    assert api.get_cache("question", "absent") is None
    api.set_cache("question", "present", 1)
    assert api.get_cache("assessment", "present") is None  # the type is part of the key
    assert connection.execute(text("SELECT access_count FROM cache_entries")).scalar_one() == 0


def test_expired_entry_is_a_miss_until_set_again(api, connection):
    stored = api.set_cache("query", "k", {"rows": []}, ttl_seconds=60)
    assert aware(stored["expires_at"]) - aware(stored["created_at"]) == timedelta(seconds=60)
    assert api.get_cache("query", "k")["access_count"] == 1
    expire(connection, "query", "k")
    assert api.get_cache("query", "k") is None
    count = connection.execute(text("SELECT access_count FROM cache_entries")).scalar_one()
    assert count == 1  # the miss did not count as a hit
    api.set_cache("query", "k", {"rows": [1]})
    assert api.get_cache("query", "k")["value"] == {"rows": [1]}


def test_set_replaces_and_starts_afresh(api, connection):
    api.set_cache("question", "k", "old", ttl_seconds=30)
    api.get_cache("question", "k")
    replaced = api.set_cache("question", "k", ["new"])
    assert replaced["value"] == ["new"] and replaced["access_count"] == 0 and replaced["expires_at"] is None
    assert connection.execute(text("SELECT count(*) FROM cache_entries")).scalar_one() == 1


@pytest.mark.parametrize(
    "value", [None, 0, -1.5, True, "", "ünïcode 🧙", [], {}, {"nested": {"list": [1, None, "x"]}}]
)
def test_json_values_round_trip(api, value):
    api.set_cache("assessment", "v", value)
    hit = api.get_cache("assessment", "v")
    assert hit is not None and hit["value"] == value and type(hit["value"]) is type(value)


def test_keys_are_exact(api):
    keys = [
        "multiple_choice_Gandalf the Grey_3",
        "-9223372036854775808_9223372036854775807",
        "k" * 1024,
        "ключ",
    ]
    for i, key in enumerate(keys):
        api.set_cache("question", key, i)
    for i, key in enumerate(keys):
        assert api.get_cache("question", key)["value"] == i
    assert api.get_cache("question", keys[0].lower()) is None


def test_delete_cache(api):
    api.set_cache("question", "k", 1)
    assert api.delete_cache("question", "k") is True
    assert api.get_cache("question", "k") is None
    assert api.delete_cache("question", "k") is False


def test_purge_expired_and_clear(api, connection):
    for key in ("a", "b", "c"):
        api.set_cache("question", key, key, ttl_seconds=60)
    api.set_cache("question", "forever", 0)
    api.set_cache("assessment", "a", 1, ttl_seconds=60)
    expire(connection, "question", "a")
    expire(connection, "assessment", "a")

    assert api.purge_expired_cache() == 2
    assert api.purge_expired_cache() == 0
    assert api.get_cache("question", "b")["value"] == "b"

    api.set_cache("assessment", "z", 1)
    assert api.clear_cache("question") == 3
    assert api.clear_cache("question") == 0
    assert api.get_cache("assessment", "z")["value"] == 1


def test_cache_stats(api, connection):
    assert api.cache_stats() == {"entries": 0, "expired": 0, "hits": 0, "types": {}}
    api.set_cache("question", "a", 1)
    api.set_cache("question", "b", 2, ttl_seconds=5)
    api.set_cache("query", "q", 3)
    for _ in range(3):
        api.get_cache("question", "a")
    api.get_cache("query", "q")
    expire(connection, "question", "b")

    stats = api.cache_stats()

    assert (stats["entries"], stats["expired"], stats["hits"]) == (3, 1, 4)
    assert set(stats["types"]) == {"question", "query"}
    question = stats["types"]["question"]
    assert (question["entries"], question["expired"], question["hits"]) == (2, 1, 3)
    aware(question["last_accessed"])
    assert stats["types"]["query"]["hits"] == 1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", "k"), "cache_type"),
        (("t" * 65, "k"), "cache_type"),
        (("nul\x00", "k"), "cache_type"),
        ((None, "k"), "cache_type"),
        (("question", ""), "key"),
        (("question", "k" * 1025), "key"),
        (("question", "k\x00"), "key"),
        (("question", 42), "key"),
    ],
)
def test_bad_type_or_key(api, args, field):
    for call in (api.get_cache, api.delete_cache, lambda t, k: api.set_cache(t, k, 1)):
        with pytest.raises(ValidationError) as info:
            call(*args)
        assert info.value.field == field


@pytest.mark.parametrize(
    ("value", "ttl", "field"),
    [
        ({1, 2}, None, "value"),
        (object(), None, "value"),
        ({"x": float("inf")}, None, "value"),
        ("nul\x00", None, "value"),
        (1, 0, "ttl_seconds"),
        (1, -5, "ttl_seconds"),
        (1, "60", "ttl_seconds"),
        (1, True, "ttl_seconds"),
        (1, 10**12, "ttl_seconds"),
    ],
)
def test_set_cache_rejects_bad_values(api, connection, value, ttl, field):
    with pytest.raises(ValidationError) as info:
        api.set_cache("question", "k", value, ttl_seconds=ttl)
    assert info.value.field == field
    assert connection.execute(text("SELECT count(*) FROM cache_entries")).scalar_one() == 0
    with pytest.raises(ValidationError) as info:
        api.clear_cache("")
    assert info.value.field == "cache_type"


def test_expiry_in_real_time(committed_api):
    committed_api.set_cache("query", "short", "lived", ttl_seconds=0.5)
    assert committed_api.get_cache("query", "short")["value"] == "lived"
    time.sleep(1.0)
    assert committed_api.get_cache("query", "short") is None
    assert committed_api.cache_stats()["expired"] == 1
    assert committed_api.purge_expired_cache() == 1
    assert committed_api.cache_stats()["entries"] == 0
