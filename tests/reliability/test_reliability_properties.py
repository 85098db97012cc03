"""Property-based: every DatabaseAPI method, fed hostile input, fails only with a documented error
(ValidationError, NotFoundError, AlreadyExistsError) and a failed call leaves the database unchanged.

Inputs mix real references (an existing user, conversation, message, session, question, cache
entry) with arbitrary unicode, NUL characters, huge strings, wrong types and missing keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_strategies import anything, nasty_text, one_of_or_garbage, record
from sqlalchemy import text

from database import AlreadyExistsError, NotFoundError, ValidationError
from database.api import DatabaseAPI
from database.config import load_settings
from database.models import Base

pytestmark = pytest.mark.reliability

DOCUMENTED = (ValidationError, NotFoundError, AlreadyExistsError)
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def _checksum_sql() -> str:
    parts = [
        f"SELECT '{t.name}', count(*), "
        f"md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t.name} x"
        for t in Base.metadata.sorted_tables
    ]
    return " UNION ALL ".join(parts)


CHECKSUM = text(_checksum_sql())


def _snapshot(engine) -> list[tuple[Any, ...]]:  # noqa: ANN001
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(CHECKSUM)]


class World:
    """Real rows for the inputs to point at. Destructive calls never get these (see VICTIMS)."""

    def __init__(self, api: DatabaseAPI) -> None:
        self.username = "property student"
        api.create_user(self.username, password="property-password")
        self.session_id = api.create_session(self.username, {"strategy": "adaptive"})["id"]
        conversation = api.create_conversation(
            self.username, {"session_id": self.session_id}, {"max_tokens": 10}
        )
        self.conversation_id = conversation["id"]
        asked = api.add_message(self.conversation_id, {"role": "assistant", "content": "Who is Gandalf?"})
        self.message_id = asked["id"]
        self.question_id = api.add_question(self.message_id, {"type": "open", "text": "Who is Gandalf?"})[
            "id"
        ]
        self.answer_message_id = api.add_message(
            self.conversation_id, {"role": "user", "content": "A wizard"}
        )["id"]
        self.user_id = api.get_user(self.username)["id"]
        api.set_cache("question", "gandalf", {"q": 1})


@pytest.fixture
def prop_api(committed_db) -> Iterator[tuple[DatabaseAPI, World]]:  # noqa: ANN001
    url = committed_db.url.render_as_string(hide_password=False)
    quick = load_settings({"DATABASE_URL": url, "BCRYPT_ROUNDS": "4"}, env_file=None)
    with DatabaseAPI(settings=quick) as api:
        yield api, World(api)


def _ids(world: World) -> list[object]:
    return [
        world.conversation_id,
        world.message_id,
        world.session_id,
        world.user_id,
        world.question_id,
        str(uuid.uuid4()),
        uuid.uuid4(),
        "not-a-uuid",
        world.conversation_id.upper(),
    ]


def _calls(w: World) -> dict[str, tuple[Callable[..., Any], st.SearchStrategy[tuple[Any, ...]]]]:
    """Method name -> (how to call it, strategy of its positional arguments)."""
    name = one_of_or_garbage([w.username, "nobody at all", "property student ", "PROPERTY STUDENT"])
    fresh_name = st.one_of(nasty_text(), anything())
    ident = one_of_or_garbage(_ids(w))
    message = one_of_or_garbage([w.message_id, w.answer_message_id, str(uuid.uuid4())])
    limit = st.one_of(st.integers(min_value=-5, max_value=20_000), anything())
    cache_type, key = (
        one_of_or_garbage(["question", "t" * 64, "t" * 65]),
        one_of_or_garbage(["gandalf", "k" * 1025]),
    )
    message_data = record(["role", "content", "metadata", "timestamp"])
    session_data = record(
        [
            "session_type",
            "strategy",
            "theme",
            "fussiness",
            "tier",
            "use_llm",
            "parameters",
            "start_time",
            "mastery_before",
            "metadata",
            "id",
            "legacy",
        ]
    )
    end_data = record(
        [
            "end_time",
            "questions_asked",
            "correct_answers",
            "accuracy",
            "mastery_before",
            "mastery_after",
            "metadata",
        ]
    )
    question_data = record(
        [
            "type",
            "text",
            "difficulty",
            "entity",
            "tier",
            "options",
            "correct_answer",
            "community_id",
            "metadata",
        ]
    )
    answer_data = record(["question_id", "content", "correct", "quality_score", "feedback", "metadata"])
    profile_data = record(
        [
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
        ]
    )
    conversation_data = record(["conversation_type", "session_id", "quiz_id", "metadata", "start_time"])
    parameters = record(
        ["parameter_type", "max_communities", "max_tokens", "temperature", "use_llm", "llm_model"]
    )
    # Destructive calls aim at rows outside the world (or garbage), so later examples keep their targets.
    victim_name = st.one_of(st.just("nobody at all"), fresh_name)
    victim_id = st.one_of(st.builds(lambda: str(uuid.uuid4())), anything())

    def args(*strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
        return st.tuples(*strategies)

    return {
        "get_user": (lambda a, u: a.get_user(u), args(name)),
        "get_user_by_id": (lambda a, i: a.get_user_by_id(i), args(ident)),
        "create_user": (
            lambda a, u, p, e, n, r: a.create_user(u, password=p, email=e, name=n, role=r),
            args(
                st.one_of(fresh_name, name),
                st.one_of(st.none(), nasty_text(), anything()),
                st.one_of(st.none(), nasty_text()),
                st.one_of(st.none(), nasty_text(), anything()),
                one_of_or_garbage(["user", "admin", "root", "USER"]),
            ),
        ),
        "authenticate": (
            lambda a, u, p: a.authenticate(u, p),
            args(name, st.one_of(nasty_text(), anything())),
        ),
        "set_password": (
            lambda a, u, p: a.set_password(u, p),
            args(name, st.one_of(nasty_text(), anything())),
        ),
        "record_login": (lambda a, u: a.record_login(u), args(name)),
        "list_users": (
            lambda a, n, after: a.list_users(n, after),
            args(limit, st.one_of(st.none(), nasty_text(), anything())),
        ),
        "delete_user": (lambda a, u: a.delete_user(u), args(victim_name)),
        "get_user_profile": (lambda a, u: a.get_user_profile(u), args(name)),
        "update_user_profile": (lambda a, u, d: a.update_user_profile(u, d), args(name, profile_data)),
        "create_session": (lambda a, u, d: a.create_session(u, d), args(name, session_data)),
        "end_session": (lambda a, i, d: a.end_session(i, d), args(ident, end_data)),
        "get_session": (lambda a, i: a.get_session(i), args(ident)),
        "list_sessions": (
            lambda a, u, n, after: a.list_sessions(u, n, after),
            args(name, limit, st.one_of(st.none(), ident)),
        ),
        "create_conversation": (
            lambda a, u, c, p: a.create_conversation(u, c, p),
            args(name, conversation_data, parameters),
        ),
        "end_conversation": (lambda a, i: a.end_conversation(i), args(ident)),
        "add_message": (lambda a, i, d: a.add_message(i, d), args(ident, message_data)),
        "add_question": (lambda a, i, d: a.add_question(i, d), args(message, question_data)),
        "add_answer": (lambda a, i, d: a.add_answer(i, d), args(message, answer_data)),
        "get_conversation": (lambda a, i: a.get_conversation(i), args(ident)),
        "get_messages": (
            lambda a, i, n, b: a.get_messages(i, limit=n, before=b),
            args(ident, st.one_of(st.none(), limit), st.one_of(st.none(), st.integers(-3, 5), anything())),
        ),
        "list_conversations": (
            lambda a, u, t, n, after: a.list_conversations(u, t, n, after),
            args(name, st.one_of(st.none(), nasty_text()), limit, st.one_of(st.none(), ident)),
        ),
        "delete_conversation": (lambda a, i: a.delete_conversation(i), args(victim_id)),
        "get_cache": (lambda a, t, k: a.get_cache(t, k), args(cache_type, key)),
        "set_cache": (
            lambda a, t, k, v, ttl: a.set_cache(t, k, v, ttl),
            args(cache_type, key, anything(), st.one_of(st.none(), st.floats(), st.integers(), anything())),
        ),
        "delete_cache": (
            lambda a, t, k: a.delete_cache(t, k),
            args(st.one_of(st.just("other"), nasty_text()), key),
        ),
        "clear_cache": (
            lambda a, t: a.clear_cache(t),
            args(st.one_of(st.just("other"), nasty_text(), anything())),
        ),
        "purge_expired_cache": (lambda a: a.purge_expired_cache(), args()),
        "cache_stats": (lambda a: a.cache_stats(), args()),
        "export_user": (lambda a, u: a.export_user(u), args(name)),
    }


METHODS = sorted(
    [
        "get_user",
        "get_user_by_id",
        "create_user",
        "authenticate",
        "set_password",
        "record_login",
        "list_users",
        "delete_user",
        "get_user_profile",
        "update_user_profile",
        "create_session",
        "end_session",
        "get_session",
        "list_sessions",
        "create_conversation",
        "end_conversation",
        "add_message",
        "add_question",
        "add_answer",
        "get_conversation",
        "get_messages",
        "list_conversations",
        "delete_conversation",
        "get_cache",
        "set_cache",
        "delete_cache",
        "clear_cache",
        "purge_expired_cache",
        "cache_stats",
        "export_user",
    ]
)


def test_every_public_method_is_covered() -> None:
    public = {n for n in dir(DatabaseAPI) if not n.startswith("_") and callable(getattr(DatabaseAPI, n))}
    assert public - {"close"} <= set(METHODS), (
        f"add a property test for: {sorted(public - set(METHODS) - {'close'})}"
    )


@pytest.mark.parametrize("method", METHODS)
def test_hostile_input_gives_only_documented_errors_and_changes_nothing(
    prop_api, committed_db, method: str
) -> None:  # noqa: ANN001
    api, world = prop_api
    call, arguments = _calls(world)[method]

    @PROPERTY_SETTINGS
    @given(arguments)
    def run(args: tuple[Any, ...]) -> None:
        before = _snapshot(committed_db)
        try:
            call(api, *args)
        except DOCUMENTED:
            assert _snapshot(committed_db) == before, f"{method} failed but changed the database"

    run()


LONE = "half a pair \ud800"
SURROGATE_CALLS: dict[str, Callable[[DatabaseAPI, World], Any]] = {
    "get_user": lambda a, w: a.get_user(LONE),
    "create_user(username)": lambda a, w: a.create_user(LONE),
    "create_user(name)": lambda a, w: a.create_user("surrogate name", name=LONE),
    "authenticate": lambda a, w: a.authenticate(LONE, "password1"),
    "list_users(after)": lambda a, w: a.list_users(10, LONE),
    "update_user_profile": lambda a, w: a.update_user_profile(w.username, {"current_objective": LONE}),
    "update_user_profile(json)": lambda a, w: a.update_user_profile(
        w.username, {"community_mastery": {LONE: 1}}
    ),
    "create_session": lambda a, w: a.create_session(w.username, {"strategy": LONE}),
    "create_conversation": lambda a, w: a.create_conversation(w.username, {"quiz_id": LONE}, {}),
    "create_conversation(metadata)": lambda a, w: a.create_conversation(
        w.username, {"metadata": {"k": LONE}}, {}
    ),
    "list_conversations(type)": lambda a, w: a.list_conversations(w.username, LONE),
    "add_message(content)": lambda a, w: a.add_message(w.conversation_id, {"role": "user", "content": LONE}),
    "add_message(metadata)": lambda a, w: a.add_message(
        w.conversation_id, {"role": "user", "content": "x", "metadata": {LONE: LONE}}
    ),
    "add_answer(content)": lambda a, w: a.add_answer(w.answer_message_id, {"content": LONE}),
    "set_cache(key)": lambda a, w: a.set_cache("question", LONE, 1),
    "set_cache(value)": lambda a, w: a.set_cache("question", "k", [LONE]),
    "get_cache": lambda a, w: a.get_cache(LONE, "k"),
    "clear_cache": lambda a, w: a.clear_cache(LONE),
}


@pytest.mark.parametrize("case", sorted(SURROGATE_CALLS))
def test_lone_surrogates_are_validation_errors(prop_api, committed_db, case: str) -> None:  # noqa: ANN001
    """A lone UTF-16 surrogate cannot be encoded as UTF-8: bad input, not a driver crash."""
    api, world = prop_api
    before = _snapshot(committed_db)
    with pytest.raises(ValidationError):
        SURROGATE_CALLS[case](api, world)
    assert _snapshot(committed_db) == before
