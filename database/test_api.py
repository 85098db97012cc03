"""``python -m database.test_api``: a smoke run of the whole DatabaseAPI against the configured database.

Every call's result is checked. Everything it creates belongs to a throwaway user (and a
throwaway cache type) with a unique name, removed at the end whatever happened. Prints one
line per step; exits 0 if all passed, 1 on the first failure or if the database cannot be used.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from database.api import DatabaseAPI
from database.connection import get_settings
from database.errors import DatabaseError


class SmokeFailure(Exception):
    """A result was not what the API promises."""


def expect(condition: object, message: str) -> None:
    # Not ``assert``: python -O must not turn the checks off.
    if not condition:
        raise SmokeFailure(message)


def is_iso(value: object) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


def is_id(value: object) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


class Smoke:
    def __init__(self, api: DatabaseAPI) -> None:
        tag = uuid.uuid4().hex[:12]
        self.api = api
        self.username = f"smoke-test {tag}"
        self.password = f"smoke-{uuid.uuid4().hex}"
        self.cache_type = f"smoke-test-{tag}"
        self.state: dict[str, Any] = {}
        self.passed = 0

    def step(self, name: str, check: Callable[[], str | None]) -> None:
        started = time.perf_counter()
        try:
            detail = check()
        except Exception as exc:
            print(f"FAIL  {name:<22} {type(exc).__name__}: {exc}", flush=True)
            raise
        took = (time.perf_counter() - started) * 1000
        self.passed += 1
        print(f"ok    {name:<22} {took:7.1f} ms{'  ' + detail if detail else ''}", flush=True)

    # -- users, profiles ------------------------------------------------------------------------

    def create_user(self) -> str:
        user = self.api.create_user(self.username, password=self.password, email="smoke@example.invalid")
        expect(user["username"] == self.username and is_id(user["id"]), f"create_user returned {user!r}")
        expect("password_hash" not in user, "create_user returned the password hash")
        self.state["user"] = user
        return repr(self.username)

    def get_user(self) -> None:
        user = self.api.get_user(self.username)
        expect(user is not None and user["id"] == self.state["user"]["id"], f"get_user returned {user!r}")
        expect(
            self.api.get_user(self.username + " missing") is None, "get_user of a missing user is not None"
        )

    def get_user_profile(self) -> None:
        profile = self.api.get_user_profile(self.username)
        expect(
            profile is not None and profile["community_mastery"] == {},
            f"get_user_profile returned {profile!r}",
        )

    def update_user_profile(self) -> None:
        expect(
            self.api.update_user_profile(self.username, {"community_mastery": {"1": 0.5}}) is True,
            "first update",
        )
        expect(
            self.api.update_user_profile(self.username, {"community_mastery": {"2": 0.75}}) is True,
            "second update",
        )
        profile = self.api.get_user_profile(self.username)
        expect(
            profile["community_mastery"] == {"1": 0.5, "2": 0.75}, f"profile merge lost a key: {profile!r}"
        )

    def authenticate(self) -> None:
        user = self.api.authenticate(self.username, self.password)
        expect(user is not None and user["username"] == self.username, "the right password was refused")
        expect(is_iso(user["last_login"]), "authenticate did not record the login")
        expect(
            self.api.authenticate(self.username, self.password + "x") is None, "a wrong password was accepted"
        )

    # -- sessions, conversations, messages --------------------------------------------------------

    def create_session(self) -> None:
        session = self.api.create_session(
            self.username, {"strategy": "adaptive", "tier": "basic", "use_llm": False}
        )
        expect(is_id(session["id"]) and is_iso(session["start_time"]), f"create_session returned {session!r}")
        self.state["session"] = session

    def create_conversation(self) -> None:
        data = {
            "conversation_type": "quiz",
            "session_id": self.state["session"]["id"],
            "metadata": {"smoke": True},
        }
        conversation = self.api.create_conversation(
            self.username, data, {"parameter_type": "default", "max_tokens": 64}
        )
        expect(
            is_id(conversation["id"]) and conversation["metadata"] == {"smoke": True}, f"got {conversation!r}"
        )
        expect(conversation["parameters"]["max_tokens"] == 64, "parameters were not stored")
        self.state["conversation"] = conversation

    def add_message(self) -> None:
        cid = self.state["conversation"]["id"]
        contents = ["Which metal is mithril?", "\n\nA silver-steel — ünïcode ✓", ""]
        sent = [
            self.api.add_message(cid, {"role": role, "content": content, "metadata": {"n": i}})
            for i, (role, content) in enumerate(zip(("assistant", "user", "assistant"), contents))
        ]
        expect([m["position"] for m in sent] == [0, 1, 2], f"positions {[m['position'] for m in sent]}")
        expect([m["content"] for m in sent] == contents, "content was not stored exactly")
        expect(
            all(is_iso(m["timestamp"]) and m["metadata"] == {"n": i} for i, m in enumerate(sent)), "bad shape"
        )
        self.state["messages"] = sent

    def add_question(self) -> None:
        message = self.state["messages"][0]
        question = self.api.add_question(message["id"], {"type": "short", "difficulty": 2, "community_id": 7})
        expect(
            question["message_id"] == message["id"] and question["community_id"] == "7", f"got {question!r}"
        )
        self.state["question"] = question

    def add_answer(self) -> None:
        message, question = self.state["messages"][1], self.state["question"]
        answer = self.api.add_answer(
            message["id"], {"question_id": question["id"], "correct": True, "quality_score": 0.9}
        )
        expect(answer["question_id"] == question["id"] and answer["correct"] is True, f"got {answer!r}")

    def get_messages(self) -> None:
        last_two = self.api.get_messages(self.state["conversation"]["id"], limit=2)
        expect([m["position"] for m in last_two] == [1, 2], f"get_messages returned {last_two!r}")
        expect(last_two[0]["answer"]["correct"] is True, "the answer is missing from its message")

    def get_conversation(self) -> None:
        got = self.api.get_conversation(self.state["conversation"]["id"])
        expect(got is not None and len(got["messages"]) == 3, f"get_conversation returned {got!r}")
        expect(
            got["messages"][0]["question"]["id"] == self.state["question"]["id"], "the question is missing"
        )
        expect(self.api.get_conversation(str(uuid.uuid4())) is None, "a missing conversation is not None")

    def list_conversations(self) -> None:
        listed = self.api.list_conversations(self.username)
        expect([c["id"] for c in listed] == [self.state["conversation"]["id"]], f"listed {listed!r}")
        expect(listed[0]["message_count"] == 3, "wrong message_count")

    def end_conversation(self) -> None:
        expect(
            self.api.end_conversation(self.state["conversation"]["id"]) is True, "end_conversation said False"
        )
        got = self.api.get_conversation(self.state["conversation"]["id"])
        expect(is_iso(got["end_time"]) and got["duration_seconds"] >= 0, f"not ended: {got!r}")

    def end_session(self) -> None:
        expect(
            self.api.end_session(self.state["session"]["id"], {"mastery_after": 0.6}) is True,
            "end_session said False",
        )
        session = self.api.get_session(self.state["session"]["id"])
        expect(is_iso(session["end_time"]), f"session not ended: {session!r}")
        expect(
            (session["questions_asked"], session["correct_answers"]) == (1, 1), f"derived counts: {session!r}"
        )

    # -- cache, export, delete ----------------------------------------------------------------

    def cache(self) -> None:
        stored = self.api.set_cache(self.cache_type, "key one", {"answer": [1, 2]}, ttl_seconds=300)
        expect(
            stored["value"] == {"answer": [1, 2]} and is_iso(stored["expires_at"]),
            f"set_cache returned {stored!r}",
        )
        hit = self.api.get_cache(self.cache_type, "key one")
        expect(hit is not None and hit["access_count"] == 1, f"get_cache returned {hit!r}")
        expect(self.api.get_cache(self.cache_type, "absent") is None, "a miss is not None")
        stats = self.api.cache_stats()
        expect(stats["types"].get(self.cache_type, {}).get("hits") == 1, "cache_stats did not count the hit")
        expect(self.api.delete_cache(self.cache_type, "key one") is True, "delete_cache said False")
        expect(self.api.delete_cache(self.cache_type, "key one") is False, "second delete_cache said True")

    def export_user(self) -> None:
        exported = self.api.export_user(self.username)
        expect(
            exported is not None and exported["user"]["username"] == self.username,
            "export_user lost the user",
        )
        conversations = exported["conversations"]
        expect(
            len(conversations) == 1 and len(conversations[0]["messages"]) == 3, "export_user lost messages"
        )

    def delete_conversation(self) -> None:
        extra = self.api.create_conversation(self.username, {}, {})
        expect(self.api.delete_conversation(extra["id"]) is True, "delete_conversation said False")
        expect(self.api.get_conversation(extra["id"]) is None, "the deleted conversation is still there")

    def delete_user(self) -> str:
        counts = self.api.delete_user(self.username)
        expect(
            counts.get("conversations") == 1 and counts.get("messages") == 3,
            f"delete_user removed {counts!r}",
        )
        expect(self.api.get_user(self.username) is None, "the deleted user is still there")
        self.state["deleted"] = True
        return str(counts)

    def cleanup(self) -> None:
        """Remove whatever a failed run left behind (nothing, after a full run)."""
        if self.state.get("user") and not self.state.get("deleted"):
            try:
                self.api.delete_user(self.username)
            except DatabaseError:
                pass
        self.api.clear_cache(self.cache_type)

    def run(self) -> None:
        for name in (
            "create_user",
            "get_user",
            "get_user_profile",
            "update_user_profile",
            "authenticate",
            "create_session",
            "create_conversation",
            "add_message",
            "add_question",
            "add_answer",
            "get_messages",
            "get_conversation",
            "list_conversations",
            "end_conversation",
            "end_session",
            "cache",
            "export_user",
            "delete_conversation",
            "delete_user",
        ):
            self.step(name, getattr(self, name))


def main() -> int:
    """Smoke-test every DatabaseAPI method against the configured database; exit 1 on any failure."""
    try:
        api = DatabaseAPI()
        # Fail fast, in one line, when there is no usable database (no step has run yet).
        api.get_user("smoke-test connection check")
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    smoke = Smoke(api)
    print(f"database: {get_settings().safe_url}")
    failed: BaseException | None = None
    try:
        smoke.run()
    except Exception as exc:  # noqa: BLE001 - any failure is reported and fails the run
        failed = exc
    finally:
        try:
            smoke.cleanup()
        except DatabaseError as exc:
            print(f"error: cleanup failed: {exc}", file=sys.stderr)
            failed = failed or exc
        api.close()
    if failed is not None:
        print(
            f"error: smoke run failed after {smoke.passed} passed steps: {type(failed).__name__}: {failed}",
            file=sys.stderr,
        )
        return 1
    print(
        f"all {smoke.passed} steps passed; removed user {smoke.username!r}"
        f" and cache type {smoke.cache_type!r}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
