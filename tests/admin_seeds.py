"""The data sets of the admin and maintenance CLI tests (ORM inserts that really commit)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from admin_helpers import (
    add_cache,
    add_conversation,
    add_profile,
    add_session,
    add_user,
    at,
    committing,
    quiz_turns,
)
from sqlalchemy import Engine

# A bcrypt-looking value: the tests assert it never appears in any output.
FAKE_HASH = "$2b$04$NEVERSHOWNeverShownNEVERSHOWNeverShownNEVERSHOWN0123"
LONG_TEXT = "The road goes ever on and on,\ndown from the door where it began. " * 5
LONG_KEY = "multiple_choice_" + "Thranduil's halls beneath the mountain " * 4


def seed_basic(engine: Engine) -> dict[str, Any]:
    """Three users, three quiz sessions, four conversations (quiz, chat, long chat, assessment),
    two questions with their answers, four cache entries (one expired). Returns the ids."""
    future = datetime.now(timezone.utc) + timedelta(days=1)
    with committing(engine) as s:
        alice = add_user(
            s,
            "alice",
            name="Alice Liddell",
            email="alice@example.org",
            password_hash=FAKE_HASH,
            created_at=at(-300),
        )
        add_profile(
            s,
            alice,
            overall_mastery=62.5,
            current_objective="Learn about Gondor",
            mastered_objectives=["Shire", "Bree"],
            community_mastery={"1182": 0.95, "793": 0.4, "12": 0.7, "None": 0.1, "5": 0.85},
        )
        bob = add_user(s, "bob o'neil", created_at=at(-200))
        carol = add_user(s, "carol", role="admin", created_at=at(-100))
        s1 = add_session(
            s, alice, at(0), questions_asked=2, correct_answers=1, accuracy=50.0, strategy="adaptive"
        )
        s2 = add_session(s, alice, at(60))
        s3 = add_session(s, bob, at(120), session_type="practice")
        turns = [{"role": "system", "content": "Welcome to the quiz.\nGood luck!"}]
        turns += quiz_turns(
            "Which of the following participates in Meneldil?",
            ["John", ["Sam Gamgee", "Sam"], "Uttermost West"],
            "John",
            False,
            0.0,
            {"explanation": "Not John.", "next_steps": "Read about Meneldil"},
            difficulty=2,
            entity="Meneldil",
            correct_answer="Uttermost West",
        )
        turns += [{"role": "assistant", "content": "Incorrect. The answer was Uttermost West."}]
        turns += quiz_turns(
            "Who rules Lothlórien?",
            ["Galadriel", "Elrond"],
            "Galadriel",
            True,
            1.0,
            "Well done",
            difficulty=1,
            entity="Galadriel",
            correct_answer="Galadriel",
        )
        quiz = add_conversation(
            s,
            alice,
            at(1),
            turns,
            quiz_session=s1,
            quiz_id="quiz-1",
            metadata_={"mode": "quiz"},
            parameters={"strategy": "adaptive", "tier": "basic"},
        )
        chat = add_conversation(
            s,
            alice,
            at(61),
            [
                {"role": "user", "content": "Tell me about Lothlórien please"},
                {"role": "assistant", "content": "Lothlórien is the golden wood."},
            ],
            kind="chat",
        )
        long_chat = add_conversation(
            s,
            bob,
            at(121),
            [
                {"role": "user", "content": LONG_TEXT},
                {"role": "assistant", "content": "Short answer."},
            ],
            kind="chat",
        )
        assessment = add_conversation(
            s,
            carol,
            at(180),
            [
                {"role": "system", "content": "What is mithril?"},
                {"role": "user", "content": "A metal"},
                {"role": "assistant", "content": "Yes."},
            ],
            kind="assessment",
        )
        fresh = add_cache(
            s, "question", "multiple_choice_Meneldil_2", {"text": "Which...?"}, expires_at=future
        )
        expired = add_cache(s, "question", "true_false_Bree_1", {"text": "Is Bree...?"}, expires_at=at(0))
        assessment_entry = add_cache(s, "assessment", "123_-456", [True, 90, {}])
        long_entry = add_cache(s, "query", LONG_KEY, {"nodes": ["n" * 50] * 10})
    return {
        "alice": alice.id,
        "bob": bob.id,
        "carol": carol.id,
        "sessions": [s1.id, s2.id, s3.id],
        "quiz": quiz.id,
        "chat": chat.id,
        "long_chat": long_chat.id,
        "assessment": assessment.id,
        "cache_fresh": fresh.id,
        "cache_expired": expired.id,
        "cache_assessment": assessment_entry.id,
        "cache_long": long_entry.id,
    }


def seed_many(engine: Engine, n: int = 23) -> dict[str, Any]:
    """``n`` of everything, with runs of identical timestamps so paging must break ties by id."""
    with committing(engine) as s:
        users = [add_user(s, f"user{i:02d}") for i in range(n)]
        owner = users[0]
        sessions = [add_session(s, users[i % 3], at(i // 4)) for i in range(n)]
        conversations = [add_conversation(s, users[i % 3], at(i // 4), kind="chat") for i in range(n)]
        turns = []
        for i in range(n):
            pair = quiz_turns(f"Question {i}?", ["a", "b"], "a", i % 2 == 0)
            # Identical creation times in runs of four as well.
            pair[0]["question"]["created_at"] = pair[1]["answer"]["created_at"] = at(i // 4)
            turns += pair
        quiz = add_conversation(s, owner, at(0), turns)
        long_one = add_conversation(s, owner, at(0), [{"role": "user", "content": f"m{i}"} for i in range(n)])
        entries = [add_cache(s, ("a", "b", "c")[i % 3], f"key{i:02d}", i) for i in range(n)]
    return {
        "users": [u.username for u in users],
        "sessions": [x.id for x in sessions],
        "conversations": [x.id for x in conversations] + [quiz.id, long_one.id],
        "long": long_one.id,
        "cache": [e.id for e in entries],
        "n": n,
    }
